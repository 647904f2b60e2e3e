// Flux's per-object annotations and labels (case-insensitive values), read on local and live objects.
// What they decide is the rule book's (flux/apply-rules.ts).
import { annotationsOf, labelsOf, type KubeObject } from '../model/object.js';

export const RECONCILE = 'kustomize.toolkit.fluxcd.io/reconcile';
export const SSA = 'kustomize.toolkit.fluxcd.io/ssa';
export const PRUNE = 'kustomize.toolkit.fluxcd.io/prune';
export const FORCE = 'kustomize.toolkit.fluxcd.io/force';

export function flag(obj: KubeObject | undefined, key: string): string | undefined {
  if (!obj) return undefined;
  const v = annotationsOf(obj)[key] ?? labelsOf(obj)[key];
  return typeof v === 'string' ? v.toLowerCase() : undefined;
}
