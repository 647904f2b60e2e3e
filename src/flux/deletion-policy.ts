// What happens to a Kustomization's objects when the Kustomization itself is deleted (removed from the
// repository, so its parent prunes it). kustomize-controller's finalizer (finalizerShouldDeleteResources):
// a suspended Kustomization or one without inventory deletes nothing; otherwise spec.deletionPolicy
// decides: MirrorPrune (the default) follows spec.prune, Delete and WaitForTermination delete, Orphan keeps.
import type { KustomizationSpec } from '../model/kustomization.js';

export interface RemovalEffect {
  /** Whether the inventory is deleted from the cluster. */
  deletes: boolean;
  /** One line for the report saying so, with the field that decides it. */
  note: string;
}

export function removalEffect(spec: Pick<KustomizationSpec, 'deletionPolicy' | 'prune' | 'suspend'>): RemovalEffect {
  const policy = spec.deletionPolicy ?? 'MirrorPrune';
  if (spec.suspend) return { deletes: false, note: `Kustomization removed: it is suspended, so Flux deletes none of its objects (deletionPolicy ${policy} not applied)` };
  const deletes = policy === 'MirrorPrune' ? spec.prune === true : policy !== 'Orphan';
  const why = policy === 'MirrorPrune' ? `deletionPolicy MirrorPrune, spec.prune: ${spec.prune === true}` : `deletionPolicy ${policy}`;
  const effect = deletes
    ? policy === 'WaitForTermination'
      ? 'Flux deletes its objects and waits for them to terminate'
      : 'Flux deletes its objects'
    : 'its objects stay in the cluster, no longer managed';
  return { deletes, note: `Kustomization removed (${why}): ${effect}` };
}
