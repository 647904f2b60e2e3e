// Where the root of a Kustomization's source lies in the user's checkout. Flux resolves spec.path from
// the root of the source (kustomize-controller joins the artifact's root and spec.path); podo is given
// a directory, --path, and works the root out from it here, for every mode (the planner, pipeline/plan.ts)
// and for the boundary a build may not leave (render/tree/containment.ts, which asks git first).
import path from 'node:path';
import type { FluxKustomization } from '../model/kustomization.js';
import type { Selection } from '../model/settings.js';

/**
 * The repository root is `--path` minus the Kustomization's `spec.path` when `--path` ends with it
 * (so `../base` references resolve as in Flux); otherwise `--path` itself.
 */
export function repositoryRoot(userDir: string, specPath: string | undefined): string {
  const abs = path.resolve(userDir);
  const rel = (specPath ?? '').replace(/^\.\//, '').replace(/\/+$/, '');
  if (rel === '' || rel === '.') return abs;
  const parts = rel.split('/').filter((p) => p && p !== '.');
  if (parts.includes('..')) return abs;
  const tail = abs.split(path.sep).slice(-parts.length);
  if (tail.length === parts.length && tail.every((p, i) => p === parts[i])) {
    return abs.split(path.sep).slice(0, -parts.length).join(path.sep) || path.sep;
  }
  return abs;
}

/**
 * The root of the user's checkout: the directory a Kustomization's spec.path and the sources mapped to
 * the checkout (sources/local-sources.ts) are relative to. With --all, --path (`dir`) is that root; for
 * one Kustomization, --path is its directory and the root is above it by spec.path.
 */
export function checkoutRoot(selection: Selection, dir: string, first: FluxKustomization | undefined): string {
  return selection.mode === 'all' ? dir : repositoryRoot(dir, first?.spec.path);
}
