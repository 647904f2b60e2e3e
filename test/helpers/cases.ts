// One isolated scenario per test: a fresh namespace and a Flux Kustomization of its own.
import { applyLive, ensureNamespace, fluxKustomization, uniqueName } from './cluster.js';

export interface Case {
  ns: string;
  ks: string;
}

export function setupCase(opts: { createNamespace?: boolean } = {}): Case {
  ensureNamespace('flux-system');
  const c = { ns: uniqueName('ns'), ks: uniqueName('ks') };
  if (opts.createNamespace !== false) ensureNamespace(c.ns);
  return c;
}

export function applyFluxKs(name: string, opts: { prune?: boolean; force?: boolean; inventory?: string[]; extraSpec?: string; path?: string }): void {
  applyLive(fluxKustomization({ name, path: opts.path ?? './', prune: opts.prune, force: opts.force, inventory: opts.inventory, extraSpec: opts.extraSpec }));
}
