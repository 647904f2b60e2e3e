// Flux's apply order (fluxcd/pkg ssa SortableUnstructureds, simplified to what a diff needs):
// Namespaces, then CustomResourceDefinitions, then everything else by kind, namespace and name.
// The one object ordering of podo; the Kustomization ordering (dependsOn) is pipeline/order.ts.
import { byNamespaceName, type ObjectRef } from '../model/object.js';

export function applyOrder(a: ObjectRef, b: ObjectRef): number {
  const rank = (r: ObjectRef) => (r.kind === 'Namespace' ? 0 : r.kind === 'CustomResourceDefinition' ? 1 : 2);
  return rank(a) - rank(b) || a.kind.localeCompare(b.kind) || byNamespaceName(a, b);
}
