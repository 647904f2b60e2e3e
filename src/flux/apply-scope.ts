// What applying one Kustomization involves besides its own objects, from its spec and the inventory of
// the Kustomization as it stands (kustomize-controller's `status.inventory`): whether there is anything to
// evaluate, whether it prunes, which inventory entries the build no longer produces (they are pruned), and
// which HelmReleases it no longer builds (helm-controller uninstalls them when they are pruned). Pure.
//
// Upstream (fluxcd/kustomize-controller, internal/controller/kustomization_controller.go): `prune` deletes
// the inventory entries missing from the new build (`ssa.Manager.DeleteAll` on the stale objects); a
// removed Kustomization's finalizer applies spec.deletionPolicy (flux/deletion-policy.ts).
import type { FluxKustomization, InventoryEntry, KustomizationSpec } from '../model/kustomization.js';
import { groupOf, type KubeObject, type ObjectRef } from '../model/object.js';
import { removalEffect } from './deletion-policy.js';
import { HELM_GROUP, isHelmRelease } from './helmrelease.js';
import { inventoryId } from './spec.js';

/** An inventory entry the build no longer produces. */
export interface PruneCandidate {
  ref: ObjectRef;
  group: string;
  version: string;
}

export type ApplyScope =
  /** Nothing to evaluate: the Kustomization is removed and deletes nothing (the note says why, when known). */
  | { evaluated: false; notes: string[] }
  | {
      evaluated: true;
      spec: KustomizationSpec;
      notes: string[];
      prune: boolean;
      pruneCandidates: PruneCandidate[];
      /** HelmReleases of the inventory the build no longer has: uninstalled when pruned. */
      removedReleases: { name: string; namespace: string }[];
    };

/** `head`: the Kustomization as built (absent when removed); `existing`: as it stands, with its inventory; `produced`: what the build makes. */
export function applyScope(head: FluxKustomization | undefined, existing: FluxKustomization | undefined, produced: KubeObject[]): ApplyScope {
  const notes: string[] = [];
  let prune = head?.spec.prune === true;
  if (!head) {
    if (!existing) return { evaluated: false, notes };
    // Removed from the build: Flux deletes the Kustomization; its deletionPolicy says what happens to its inventory.
    const removal = removalEffect(existing.spec);
    if (!removal.deletes || !existing.inventory) return { evaluated: false, notes: [removal.note] };
    notes.push(removal.note);
    prune = removal.deletes;
  }
  const inventory = prune ? existing?.inventory : undefined;
  return {
    evaluated: true,
    spec: (head ?? existing)!.spec,
    notes,
    prune,
    pruneCandidates: inventory ? pruneCandidates(inventory, produced) : [],
    removedReleases: inventory ? removedHelmReleases(inventory, produced) : [],
  };
}

/** Inventory entries the build no longer produces. */
function pruneCandidates(inventory: InventoryEntry[], produced: KubeObject[]): PruneCandidate[] {
  const ids = new Set(
    produced.map((o) => inventoryId({ namespace: o.metadata.namespace as string | undefined, name: o.metadata.name, group: groupOf(o.apiVersion), kind: o.kind })),
  );
  return inventory
    .filter((e) => !ids.has(e.id))
    .map((e) => ({
      ref: { apiVersion: e.group ? `${e.group}/${e.version}` : e.version, kind: e.kind, name: e.name, ...(e.namespace ? { namespace: e.namespace } : {}) },
      group: e.group,
      version: e.version,
    }));
}

/** HelmReleases of the inventory that the build no longer has (one without a namespace is applied to `default`). */
function removedHelmReleases(inventory: InventoryEntry[], built: KubeObject[]): { name: string; namespace: string }[] {
  const present = new Set(built.filter(isHelmRelease).map((o) => `${(o.metadata.namespace as string | undefined) || 'default'}/${o.metadata.name}`));
  return inventory.filter((e) => e.group === HELM_GROUP && e.kind === 'HelmRelease' && !present.has(`${e.namespace}/${e.name}`)).map((e) => ({ name: e.name, namespace: e.namespace }));
}
