// Flux's per-object annotations and labels (case-insensitive values), read on local and live objects.
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

/** Why Flux would leave this object alone, or undefined when it would apply it. */
export function skipReason(local: KubeObject, live: KubeObject | undefined): string | undefined {
  for (const o of [local, live]) {
    if (flag(o, RECONCILE) === 'disabled') return `${RECONCILE}: disabled`;
    if (flag(o, SSA) === 'ignore') return `${SSA}: Ignore`;
    if (live && flag(o, SSA) === 'ifnotpresent') return `${SSA}: IfNotPresent and it exists`;
  }
  return undefined;
}

/** Why Flux would not prune this live object, or undefined when it would. */
export function pruneProtection(live: KubeObject): string | undefined {
  if (flag(live, PRUNE) === 'disabled') return `${PRUNE}: disabled`;
  if (flag(live, RECONCILE) === 'disabled') return `${RECONCILE}: disabled`;
  if (flag(live, SSA) === 'ignore') return `${SSA}: Ignore`;
  return undefined;
}

export function forced(local: KubeObject, live: KubeObject | undefined): boolean {
  return flag(local, FORCE) === 'enabled' || flag(live, FORCE) === 'enabled';
}
