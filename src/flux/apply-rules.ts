// Flux's apply rules, written once: what kustomize-controller (and helm-controller, for a chart's objects)
// would do with each object, and the reason a report gives for it. Pure: no I/O. The targets only supply
// the facts — the existing object (the live one, or the one built at the base ref), the merged one (the
// server-side apply dry run, or the working tree's build) or why the dry run was refused — and report the
// verdict this module returns. The verdicts are model/verdict.ts's: `applied` becomes created, drifted or
// unchanged in diff/changes.ts (after normalization and masking); a pruned object is `deleted`, a kept or
// protected one `skipped` (`not pruned: …`, `not deleted: …`).
//
// Upstream, as read at fluxcd/kustomize-controller@186fb3b and fluxcd/pkg@e2cfd1a:
// - internal/controller/kustomization_controller.go `apply`: `ExclusionSelector` is
//   `kustomize.toolkit.fluxcd.io/reconcile: disabled` and `kustomize.toolkit.fluxcd.io/ssa: Ignore`,
//   `IfNotPresentSelector` is `ssa: IfNotPresent`, `ForceSelector` is `force: enabled`, `applyOpts.Force`
//   is spec.force; `deleteObjects`: prune `Exclusions` are `prune: disabled`, `reconcile: disabled`,
//   `ssa: Ignore`, read on the in-cluster object.
// - ssa/manager_apply.go `shouldSkipApply`: an exclusion on the desired or the existing object skips it;
//   IfNotPresent (on the desired object) skips it only when it exists. `shouldForceApply`: an immutable-field
//   error (ssa/errors/immutable.go `IsImmutableError`) recreates the object when spec.force is set or the
//   force selector matches the desired or the existing object. `ApplyAllStaged`: CRDs, Namespaces (and
//   ClusterRoles upstream; podo stages the first two: flux/order.ts `applyOrder`, `ApplySettings.inBuild`) go before the rest.
// - selectors match annotations and labels (ssa/utils `AnyInMetadata`); podo reads values case-insensitively.
// - helm (pkg/action/resource_policy.go `filterManifestsToKeep`): `helm.sh/resource-policy: keep` keeps an
//   object helm would delete on upgrade or uninstall.
import { annotationsOf, groupOf, refOf, type FieldPath, type KubeObject, type ObjectRef, type RenderedObject } from '../model/object.js';
import type { CreatedByDependencies, DryRunFailure, Verdict } from '../model/verdict.js';
import { flag, FORCE, PRUNE, RECONCILE, SSA } from './annotations.js';

/** Where the existing object comes from: its words in a reason. */
export type ExistingFrom = 'cluster' | 'base-ref';

/** An applied verdict: what the rule book hands to `Sameness.unchanged`. */
export type AppliedVerdict = Extract<Verdict, { action: 'applied' }>;

/**
 * How the target compares (the diff's judgement, handed in so that flux/ stays free of diff/): the
 * cluster target compares as the report does; the base-ref target asks for the same build at both refs.
 */
export interface Sameness {
  /** Applying would leave the existing object as it is. */
  unchanged(v: AppliedVerdict): boolean;
  /** Two objects with the same spec (helm-controller's CRD policy Create leaves such an existing one alone). */
  sameSpec(a: KubeObject, b: KubeObject): boolean;
}

/** The Kustomization's settings and the run's facts the rules read. */
export interface ApplySettings {
  /** spec.force: an object whose immutable field changes is recreated. */
  force: boolean;
  existingFrom: ExistingFrom;
  /** What this build creates before its other objects (staged apply): Namespace names, CRD kinds (`group/Kind`). */
  inBuild: { namespaces: ReadonlySet<string>; crdKinds: { has(kind: string): boolean } };
  /** What the Kustomizations this one depends on create. */
  prior: CreatedByDependencies;
  same: Sameness;
}

/** The existing object: the live one, or the one built at the base ref (with what that build knows of it). */
export interface Existing {
  object: KubeObject;
  valuesUnknown?: boolean;
  secretPaths?: FieldPath[];
}

/** What the merge said: the merged object, or why the server refused it. */
export type MergeOutcome = { merged: KubeObject } | { failure: DryRunFailure };

export interface ApplyInput {
  /** The object as it would be applied: normalized, its namespace placed (`placeNamespace`). */
  desired: RenderedObject;
  existing?: Existing;
  /** False when the cluster has no resource type for it (no CRD installed). */
  kindKnown: boolean;
  /** Whether the target can merge it at all (the cluster cannot dry-run a Secret whose values are unknown). */
  mergeable: boolean;
  merge?: MergeOutcome;
}

/**
 * A verdict, or the merge the rules need first: `compare` only to learn whether an object Flux leaves
 * alone would change (any failure: it is skipped), `apply` for the real dry run (failures are verdicts).
 */
export type Decision = { verdict: Verdict } | { merge: 'compare' | 'apply' };

/** What Flux does with one object of the build. */
export function decideApply(input: ApplyInput & { merge: MergeOutcome }, s: ApplySettings): { verdict: Verdict };
export function decideApply(input: ApplyInput, s: ApplySettings): Decision;
export function decideApply(input: ApplyInput, s: ApplySettings): Decision {
  const v = decide(input, s);
  return 'merge' in v ? v : { verdict: withOrigin(v.verdict, input.desired, input.existing) };
}

function decide(input: ApplyInput, s: ApplySettings): Decision {
  const { desired: d, existing, merge } = input;
  const obj = d.object;
  const ref = shownRef(d);
  const verdict = (v: Verdict): Decision => ({ verdict: v });
  if (!input.kindKnown) {
    // The CRD is applied in the first stage (ApplyAllStaged), by this build or a dependency: shown created.
    const kind = `${groupOf(obj.apiVersion)}/${obj.kind}`;
    if (s.inBuild.crdKinds.has(kind)) return verdict({ action: 'staged', ref, desired: obj, reason: 'its CustomResourceDefinition is created by this build' });
    const dep = s.prior.crds.get(kind);
    if (dep) return verdict({ action: 'staged', ref, desired: obj, reason: `its CustomResourceDefinition is created by ${dep.by}` });
    return verdict({ action: 'failed', ref, reason: `the cluster has no resource type ${obj.apiVersion} ${obj.kind} (is its CRD installed?)` });
  }
  if (d.withheld) return verdict({ action: 'failed', ref, reason: d.withheld });
  // kustomize-controller's per-object annotations do not apply to what helm-controller applies.
  const skip = d.helmRelease ? undefined : skipReason(obj, existing?.object, s.existingFrom);
  if (skip) {
    // An object Flux leaves alone that would not change anyway is as silent as any unchanged one; only
    // a change that will not be applied is worth a line.
    if (existing && input.mergeable) {
      if (!merge) return { merge: 'compare' };
      if ('merged' in merge) {
        const applied: AppliedVerdict = { action: 'applied', ref, existed: true, desired: obj, live: existing.object, merged: merge.merged };
        if (s.same.unchanged(withOrigin(applied, d, existing) as AppliedVerdict)) return verdict(applied);
      }
    }
    return verdict({ action: 'skipped', ref, reason: skip });
  }
  if (d.valuesUnknown || existing?.valuesUnknown) return verdict({ action: 'unknown-values', ref, existed: existing !== undefined, desired: obj, live: existing?.object });
  if (!merge) return { merge: 'apply' };
  if ('failure' in merge) return verdict(failureVerdict(merge.failure, ref, obj, existing?.object, s));
  const applied: AppliedVerdict = { action: 'applied', ref, existed: existing !== undefined, desired: obj, live: existing?.object, merged: merge.merged };
  // Created only when missing (a chart's CRD under policy Create, a release namespace): an existing one
  // whose spec would change is left as it is. Its labels are whoever created it first.
  if (d.createOnly && existing) return verdict(s.same.sameSpec(existing.object, merge.merged) ? { ...applied, merged: existing.object } : { action: 'skipped', ref, reason: d.createOnly });
  return verdict(applied);
}

/** A refused dry run: staged behind a Namespace created first, replaced (force), or failed. */
function failureVerdict(f: DryRunFailure, ref: ObjectRef, obj: KubeObject, existing: KubeObject | undefined, s: ApplySettings): Verdict {
  switch (f.kind) {
    case 'namespace-missing': {
      if (s.inBuild.namespaces.has(f.namespace)) return { action: 'staged', ref, desired: obj, reason: `its Namespace ${f.namespace} is created by this build` };
      const by = s.prior.namespaces.get(f.namespace);
      if (by) return { action: 'staged', ref, desired: obj, reason: `its Namespace ${f.namespace} is created by ${by}` };
      return { action: 'failed', ref, reason: `Namespace ${f.namespace} does not exist and this build does not create it` };
    }
    case 'denied':
      return { action: 'failed', ref, reason: f.message };
    case 'immutable':
      if (!existing) return { action: 'failed', ref, reason: f.generic };
      if (s.force || forced(obj, existing)) return { action: 'replaced', ref, desired: obj, live: existing, reason: `${f.field} is immutable` };
      return { action: 'failed', ref, reason: `${f.field} is immutable and would need the object replaced (set ${FORCE}: enabled or spec.force): ${f.message}` };
    case 'other':
      return { action: 'failed', ref, reason: f.message };
  }
}

/** Who removes an object the build no longer produces: kustomize-controller's prune, or helm (upgrade, uninstall). */
export type RemovedBy = 'prune' | 'helm';

/** What happens to an existing object that is removed: deleted, or left by prune protection / helm's keep policy. */
export function decideRemoval(existing: Existing & { ref: ObjectRef; helmRelease?: string }, by: RemovedBy): Verdict {
  const protectedBy = by === 'helm' ? helmKeep(existing.object) : pruneProtection(existing.object);
  const { ref } = existing;
  const v: Verdict = protectedBy ? { action: 'skipped', ref, reason: `not ${by === 'helm' ? 'deleted' : 'pruned'}: ${protectedBy}` } : { action: 'deleted', ref, live: existing.object };
  return withOrigin(v, existing, undefined);
}

/** kustomize-controller prunes only after every object applied (`apply` returns the error first). */
export function mayPrune(verdicts: Verdict[]): boolean {
  return !verdicts.some((v) => v.action === 'failed');
}

/**
 * kustomize-controller prunes only after every object applied (`apply` returns the error first): with a
 * failure, the deletions are not evaluated, and this note says so.
 */
export function pruneWithheld(verdicts: Verdict[], candidates: number, kustomization: string): string | undefined {
  if (candidates === 0 || mayPrune(verdicts)) return undefined;
  return `Kustomization ${kustomization}: deletions not evaluated because some objects failed (Flux skips pruning too)`;
}

/** Why Flux would leave this object alone (shouldSkipApply), or undefined when it would apply it. */
export function skipReason(local: KubeObject, live: KubeObject | undefined, existingFrom: ExistingFrom = 'cluster'): string | undefined {
  for (const o of [local, live]) {
    if (flag(o, RECONCILE) === 'disabled') return `${RECONCILE}: disabled`;
    if (flag(o, SSA) === 'ignore') return `${SSA}: Ignore`;
    if (live && flag(o, SSA) === 'ifnotpresent') return `${SSA}: IfNotPresent and it exists${existingFrom === 'base-ref' ? ' (built at the base ref)' : ''}`;
  }
  return undefined;
}

/** Why Flux would not prune this live object (deleteObjects' Exclusions), or undefined when it would. */
export function pruneProtection(live: KubeObject): string | undefined {
  if (flag(live, PRUNE) === 'disabled') return `${PRUNE}: disabled`;
  if (flag(live, RECONCILE) === 'disabled') return `${RECONCILE}: disabled`;
  if (flag(live, SSA) === 'ignore') return `${SSA}: Ignore`;
  return undefined;
}

/** The force selector on the desired or the existing object (shouldForceApply). */
export function forced(local: KubeObject, live: KubeObject | undefined): boolean {
  return flag(local, FORCE) === 'enabled' || flag(live, FORCE) === 'enabled';
}

/** helm's keep policy: an object helm would delete stays. */
export function helmKeep(live: KubeObject): string | undefined {
  return annotationsOf(live)['helm.sh/resource-policy'] === 'keep' ? 'helm.sh/resource-policy: keep' : undefined;
}

/** The identity reports show: a name that depends on a secret shown hidden. */
function shownRef(d: Pick<RenderedObject, 'object' | 'shownName'>): ObjectRef {
  const ref = refOf(d.object);
  return d.shownName ? { ...ref, name: d.shownName } : ref;
}

/** The HelmRelease that renders the object, and the fields that depend on a secret on either side (masked on both). */
function withOrigin(v: Verdict, d: { helmRelease?: string; secretPaths?: FieldPath[] }, existing: Existing | undefined): Verdict {
  const secretPaths = [...(d.secretPaths ?? []), ...(existing?.secretPaths ?? [])];
  return { ...v, ...(d.helmRelease ? { helmRelease: d.helmRelease } : {}), ...(secretPaths.length > 0 ? { secretPaths } : {}) };
}
