// The Kustomization ordering of a run: dependsOn, as kustomize-controller waits for dependencies to be
// ready. (The object ordering, Namespaces then CRDs, is flux/order.ts.)
import type { FluxKustomization } from '../model/kustomization.js';

export const keyOf = (k: { namespace: string; name: string }): string => `${k.namespace}/${k.name}`;

/** `namespace/name` of the Kustomizations `ks` depends on. */
export function dependenciesOf(ks: FluxKustomization | undefined): string[] {
  return (ks?.spec.dependsOn ?? []).map(keyOf);
}

/**
 * The pending Kustomizations that may be evaluated now: every dependency that is part of the run is
 * done. Dependencies outside the run are taken as ready (podo cannot see them; Flux would wait).
 */
export function readyNow<T extends { key: string; deps: string[] }>(pending: T[], done: (key: string) => boolean): T[] {
  const inRun = new Set(pending.map((p) => p.key));
  return pending.filter((p) => p.deps.every((d) => done(d) || !inRun.has(d)));
}

/** A dependency cycle through `start`, as `a → b → a`, if there is one among `pending`. */
export function cycleThrough<T extends { key: string; deps: string[] }>(start: T, pending: T[]): string | undefined {
  const byKey = new Map(pending.map((p) => [p.key, p]));
  const path: string[] = [];
  const visit = (key: string): string | undefined => {
    const i = path.indexOf(key);
    if (i >= 0) return [...path.slice(i), key].join(' → ');
    const node = byKey.get(key);
    if (!node) return undefined;
    path.push(key);
    for (const d of node.deps) {
      const c = visit(d);
      if (c) return c;
    }
    path.pop();
    return undefined;
  };
  return visit(start.key);
}
