// The rule book (flux/apply-rules.ts) on plain objects: each of Flux's apply rules, with and without an
// existing object, before and after the merge, and the reason text each verdict carries.
import { isDeepStrictEqual } from 'node:util';
import { describe, expect, it } from 'vitest';
import { placeNamespace } from '../../src/cluster/discovery.js';
import {
  decideApply,
  decideRemoval,
  mayPrune,
  pruneWithheld,
  type ApplyInput,
  type ApplySettings,
  type Decision,
  type ExistingFrom,
  type MergeOutcome,
} from '../../src/flux/apply-rules.js';
import type { KubeObject, RenderedObject } from '../../src/model/object.js';
import type { Verdict } from '../../src/model/verdict.js';

const cm = (annotations: Record<string, string> = {}, data: Record<string, string> = { a: '1' }, ns = 'apps'): KubeObject => ({
  apiVersion: 'v1',
  kind: 'ConfigMap',
  metadata: { name: 'cm', namespace: ns, ...(Object.keys(annotations).length > 0 ? { annotations } : {}) },
  data,
});
const ref = { apiVersion: 'v1', kind: 'ConfigMap', name: 'cm', namespace: 'apps' };

const settings = (over: Partial<ApplySettings> = {}, existingFrom: ExistingFrom = 'cluster'): ApplySettings => ({
  force: false,
  existingFrom,
  inBuild: { namespaces: new Set(['made-here']), crdKinds: new Set(['example.com/Widget']) },
  prior: { namespaces: new Map([['made-before', 'Kustomization flux-system/infra']]), crds: new Map([['example.com/Gadget', { by: 'Kustomization flux-system/crds', namespaced: true }]]) },
  same: {
    unchanged: (v) => isDeepStrictEqual(v.live, v.merged),
    sameSpec: (a, b) => isDeepStrictEqual(a.spec, b.spec),
  },
  ...over,
});

const input = (desired: Partial<RenderedObject> & { object: KubeObject }, existing?: KubeObject, merge?: MergeOutcome, over: Partial<ApplyInput> = {}): ApplyInput => ({
  desired,
  existing: existing ? { object: existing } : undefined,
  kindKnown: true,
  mergeable: true,
  ...(merge ? { merge } : {}),
  ...over,
});

const verdict = (d: Decision): Verdict => {
  if (!('verdict' in d)) throw new Error(`asked for a merge (${d.merge})`);
  return d.verdict;
};

const RECONCILE_OFF = { 'kustomize.toolkit.fluxcd.io/reconcile': 'disabled' };
const SSA_IGNORE = { 'kustomize.toolkit.fluxcd.io/ssa': 'Ignore' };
const IF_NOT_PRESENT = { 'kustomize.toolkit.fluxcd.io/ssa': 'IfNotPresent' };
const FORCE_ON = { 'kustomize.toolkit.fluxcd.io/force': 'enabled' };

describe('skip rules (shouldSkipApply)', () => {
  const cases: { name: string; desired: KubeObject; existing?: KubeObject; reason: string | undefined; from?: ExistingFrom }[] = [
    { name: 'reconcile: disabled on the desired object, none existing', desired: cm(RECONCILE_OFF), reason: 'kustomize.toolkit.fluxcd.io/reconcile: disabled' },
    { name: 'reconcile: Disabled (any case) on the existing object', desired: cm(), existing: cm({ 'kustomize.toolkit.fluxcd.io/reconcile': 'Disabled' }, { a: '0' }), reason: 'kustomize.toolkit.fluxcd.io/reconcile: disabled' },
    { name: 'ssa: Ignore on the desired object', desired: cm(SSA_IGNORE), reason: 'kustomize.toolkit.fluxcd.io/ssa: Ignore' },
    { name: 'ssa: Ignore on the existing object', desired: cm(), existing: cm(SSA_IGNORE, { a: '0' }), reason: 'kustomize.toolkit.fluxcd.io/ssa: Ignore' },
    { name: 'ssa: IfNotPresent and it exists (cluster)', desired: cm(IF_NOT_PRESENT), existing: cm({}, { a: '0' }), reason: 'kustomize.toolkit.fluxcd.io/ssa: IfNotPresent and it exists' },
    { name: 'ssa: IfNotPresent and it exists (base ref)', desired: cm(IF_NOT_PRESENT), existing: cm({}, { a: '0' }), reason: 'kustomize.toolkit.fluxcd.io/ssa: IfNotPresent and it exists (built at the base ref)', from: 'base-ref' },
    { name: 'ssa: IfNotPresent, nothing existing: applied', desired: cm(IF_NOT_PRESENT), reason: undefined },
    { name: 'no annotation', desired: cm(), existing: cm({}, { a: '0' }), reason: undefined },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const merged = { ...c.desired };
      const v = verdict(decideApply(input({ object: c.desired }, c.existing, { merged }), settings({}, c.from)));
      if (c.reason) expect(v).toEqual({ action: 'skipped', ref, reason: c.reason });
      else expect(v).toMatchObject({ action: 'applied', existed: c.existing !== undefined, merged });
    });
  }

  it('asks no merge when nothing exists, a compare-only merge when something does, none when it cannot merge', () => {
    expect(decideApply(input({ object: cm(RECONCILE_OFF) }), settings())).toEqual({ verdict: { action: 'skipped', ref, reason: 'kustomize.toolkit.fluxcd.io/reconcile: disabled' } });
    expect(decideApply(input({ object: cm(RECONCILE_OFF) }, cm()), settings())).toEqual({ merge: 'compare' });
    expect(verdict(decideApply(input({ object: cm(RECONCILE_OFF), valuesUnknown: true }, cm(), undefined, { mergeable: false }), settings()))).toMatchObject({ action: 'skipped' });
  });

  it('an object left alone that would not change is unchanged; a change or a refused merge is a skip', () => {
    const live = cm(RECONCILE_OFF);
    const same = verdict(decideApply(input({ object: cm(RECONCILE_OFF) }, live, { merged: live }), settings()));
    expect(same).toEqual({ action: 'applied', ref, existed: true, desired: cm(RECONCILE_OFF), live, merged: live });
    expect(verdict(decideApply(input({ object: cm(RECONCILE_OFF, { a: '2' }) }, live, { merged: cm(RECONCILE_OFF, { a: '2' }) }), settings()))).toMatchObject({ action: 'skipped' });
    expect(verdict(decideApply(input({ object: cm(RECONCILE_OFF) }, live, { failure: { kind: 'other', message: 'boom' } }), settings()))).toMatchObject({ action: 'skipped' });
  });

  it("kustomize-controller's annotations do not apply to a chart's objects", () => {
    const v = verdict(decideApply(input({ object: cm(RECONCILE_OFF), helmRelease: 'apps/web' }, undefined, { merged: cm(RECONCILE_OFF) }), settings()));
    expect(v).toMatchObject({ action: 'applied', existed: false, helmRelease: 'apps/web' });
  });
});

describe('merge and its outcome', () => {
  it('asks for the apply merge once the skip rules pass', () => {
    expect(decideApply(input({ object: cm() }), settings())).toEqual({ merge: 'apply' });
    expect(decideApply(input({ object: cm() }, cm()), settings())).toEqual({ merge: 'apply' });
  });

  it('created, or applied over the existing object', () => {
    const merged = cm({}, { a: '2' });
    expect(verdict(decideApply(input({ object: cm() }, undefined, { merged }), settings()))).toEqual({ action: 'applied', ref, existed: false, desired: cm(), live: undefined, merged });
    expect(verdict(decideApply(input({ object: cm() }, cm({}, { a: '0' }), { merged }), settings()))).toEqual({ action: 'applied', ref, existed: true, desired: cm(), live: cm({}, { a: '0' }), merged });
  });

  it('values podo cannot know (either side): unknown-values, without a merge', () => {
    expect(verdict(decideApply(input({ object: cm(), valuesUnknown: true }, cm()), settings()))).toEqual({ action: 'unknown-values', ref, existed: true, desired: cm(), live: cm() });
    const d = decideApply({ desired: { object: cm() }, existing: { object: cm(), valuesUnknown: true }, kindKnown: true, mergeable: true }, settings());
    expect(verdict(d)).toMatchObject({ action: 'unknown-values', existed: true });
    expect(verdict(decideApply(input({ object: cm(), valuesUnknown: true }), settings()))).toMatchObject({ action: 'unknown-values', existed: false });
  });

  it('withheld (its name depends on a secret): failed under the name shown', () => {
    const v = verdict(decideApply(input({ object: cm(), withheld: 'its name depends on a secret value', shownName: '***' }, undefined, { merged: cm() }), settings()));
    expect(v).toEqual({ action: 'failed', ref: { ...ref, name: '***' }, reason: 'its name depends on a secret value' });
  });
});

describe('staged apply (ApplyAllStaged: Namespaces and CRDs first)', () => {
  const widget = (kind: string): KubeObject => ({ apiVersion: 'example.com/v1', kind, metadata: { name: 'w', namespace: 'apps' } });
  const cases = [
    { kind: 'Widget', want: { action: 'staged', reason: 'its CustomResourceDefinition is created by this build' } },
    { kind: 'Gadget', want: { action: 'staged', reason: 'its CustomResourceDefinition is created by Kustomization flux-system/crds' } },
    { kind: 'Gizmo', want: { action: 'failed', reason: 'the cluster has no resource type example.com/v1 Gizmo (is its CRD installed?)' } },
  ];
  for (const c of cases) {
    it(`a kind the cluster does not know: ${c.kind} → ${c.want.action}`, () => {
      expect(verdict(decideApply(input({ object: widget(c.kind) }, undefined, undefined, { kindKnown: false }), settings()))).toMatchObject(c.want);
    });
  }

  const nsCases = [
    { ns: 'made-here', want: { action: 'staged', reason: 'its Namespace made-here is created by this build' } },
    { ns: 'made-before', want: { action: 'staged', reason: 'its Namespace made-before is created by Kustomization flux-system/infra' } },
    { ns: 'nowhere', want: { action: 'failed', reason: 'Namespace nowhere does not exist and this build does not create it' } },
  ];
  for (const c of nsCases) {
    it(`a missing Namespace ${c.ns} → ${c.want.action}`, () => {
      const v = verdict(decideApply(input({ object: cm({}, {}, c.ns) }, undefined, { failure: { kind: 'namespace-missing', namespace: c.ns } }), settings()));
      expect(v).toMatchObject(c.want);
    });
  }
});

describe('immutable fields (shouldForceApply)', () => {
  const failure: MergeOutcome = { failure: { kind: 'immutable', field: 'spec.selector', message: 'field is immutable', generic: 'dry-run failed (422 Invalid): field is immutable' } };
  const cases: { name: string; desired: KubeObject; existing?: KubeObject; force?: boolean; want: Partial<Verdict> & { reason: string } }[] = [
    { name: 'nothing existing: the server message', desired: cm(), want: { action: 'failed', reason: 'dry-run failed (422 Invalid): field is immutable' } },
    { name: 'without force: failed, naming the fix', desired: cm(), existing: cm(), want: { action: 'failed', reason: 'spec.selector is immutable and would need the object replaced (set kustomize.toolkit.fluxcd.io/force: enabled or spec.force): field is immutable' } },
    { name: 'spec.force: replaced', desired: cm(), existing: cm(), force: true, want: { action: 'replaced', reason: 'spec.selector is immutable' } },
    { name: 'force: enabled on the desired object: replaced', desired: cm(FORCE_ON), existing: cm(), want: { action: 'replaced', reason: 'spec.selector is immutable' } },
    { name: 'force: Enabled on the existing object: replaced', desired: cm(), existing: cm({ 'kustomize.toolkit.fluxcd.io/force': 'Enabled' }), want: { action: 'replaced', reason: 'spec.selector is immutable' } },
  ];
  for (const c of cases) {
    it(c.name, () => {
      expect(verdict(decideApply(input({ object: c.desired }, c.existing, failure), settings({ force: c.force === true })))).toMatchObject(c.want);
    });
  }

  it('a denied or other refusal fails with its message', () => {
    expect(verdict(decideApply(input({ object: cm() }, undefined, { failure: { kind: 'denied', message: 'not allowed' } }), settings()))).toEqual({ action: 'failed', ref, reason: 'not allowed' });
    expect(verdict(decideApply(input({ object: cm() }, cm(), { failure: { kind: 'other', message: 'dry-run failed (500): x' } }), settings()))).toEqual({ action: 'failed', ref, reason: 'dry-run failed (500): x' });
  });
});

describe('created only when missing (helm CRD policy Create, install.createNamespace)', () => {
  const crd = (spec: string): KubeObject => ({ apiVersion: 'apiextensions.k8s.io/v1', kind: 'CustomResourceDefinition', metadata: { name: 'widgets.example.com' }, spec: { v: spec } });
  const crdRef = { apiVersion: 'apiextensions.k8s.io/v1', kind: 'CustomResourceDefinition', name: 'widgets.example.com' };
  const desired = (spec: string) => ({ object: crd(spec), helmRelease: 'apps/web', createOnly: 'helm leaves existing CRDs alone' });

  it('missing: created', () => {
    expect(verdict(decideApply(input(desired('new'), undefined, { merged: crd('new') }), settings()))).toMatchObject({ action: 'applied', existed: false });
  });
  it('existing with the same spec: unchanged, the existing object stands', () => {
    const live = { ...crd('same'), metadata: { name: 'widgets.example.com', labels: { by: 'other' } } };
    expect(verdict(decideApply(input(desired('same'), live, { merged: crd('same') }), settings()))).toEqual({ action: 'applied', ref: crdRef, existed: true, desired: crd('same'), live, merged: live, helmRelease: 'apps/web' });
  });
  it('existing with another spec: left as it is', () => {
    expect(verdict(decideApply(input(desired('new'), crd('old'), { merged: crd('new') }), settings()))).toEqual({ action: 'skipped', ref: crdRef, reason: 'helm leaves existing CRDs alone', helmRelease: 'apps/web' });
  });
});

describe('where a verdict comes from', () => {
  it('names the HelmRelease, shows a hidden name, and masks fields secret-derived on either side', () => {
    const existing = { object: cm(), secretPaths: [['data', 'b']] };
    const d = decideApply({ desired: { object: cm(), helmRelease: 'apps/web', shownName: '***', secretPaths: [['data', 'a']] }, existing, kindKnown: true, mergeable: true, merge: { merged: cm() } }, settings());
    expect(verdict(d)).toMatchObject({ action: 'applied', ref: { ...ref, name: '***' }, helmRelease: 'apps/web', secretPaths: [['data', 'a'], ['data', 'b']] });
    expect(verdict(decideApply(input({ object: cm(), secretPaths: [] }, undefined, { merged: cm() }), settings()))).not.toHaveProperty('secretPaths');
  });
});

describe('removal: prune (deleteObjects Exclusions) and helm (resource-policy keep)', () => {
  const cases: { name: string; annotations: Record<string, string>; by: 'prune' | 'helm'; reason?: string }[] = [
    { name: 'pruned', annotations: {}, by: 'prune' },
    { name: 'prune: disabled', annotations: { 'kustomize.toolkit.fluxcd.io/prune': 'Disabled' }, by: 'prune', reason: 'not pruned: kustomize.toolkit.fluxcd.io/prune: disabled' },
    { name: 'reconcile: disabled', annotations: RECONCILE_OFF, by: 'prune', reason: 'not pruned: kustomize.toolkit.fluxcd.io/reconcile: disabled' },
    { name: 'ssa: Ignore', annotations: SSA_IGNORE, by: 'prune', reason: 'not pruned: kustomize.toolkit.fluxcd.io/ssa: Ignore' },
    { name: 'IfNotPresent does not protect', annotations: IF_NOT_PRESENT, by: 'prune' },
    { name: 'helm deletes', annotations: {}, by: 'helm' },
    { name: 'helm keeps', annotations: { 'helm.sh/resource-policy': 'keep' }, by: 'helm', reason: 'not deleted: helm.sh/resource-policy: keep' },
    { name: "helm ignores Flux's prune protection", annotations: { 'kustomize.toolkit.fluxcd.io/prune': 'disabled' }, by: 'helm' },
    { name: "Flux's prune ignores helm's keep", annotations: { 'helm.sh/resource-policy': 'keep' }, by: 'prune' },
  ];
  for (const c of cases) {
    it(`${c.by}: ${c.name}`, () => {
      const live = cm(c.annotations);
      const helmRelease = c.by === 'helm' ? { helmRelease: 'apps/web' } : {};
      const v = decideRemoval({ ref, object: live, ...helmRelease, secretPaths: [['data', 'a']] }, c.by);
      if (c.reason) expect(v).toEqual({ action: 'skipped', ref, reason: c.reason, ...helmRelease, secretPaths: [['data', 'a']] });
      else expect(v).toEqual({ action: 'deleted', ref, live, ...helmRelease, secretPaths: [['data', 'a']] });
    });
  }

  it('Flux prunes only when every object applied, and says so when it does not', () => {
    const ok: Verdict[] = [{ action: 'skipped', ref, reason: 'x' }];
    const failed: Verdict[] = [...ok, { action: 'failed', ref, reason: 'y' }];
    expect(mayPrune(ok)).toBe(true);
    expect(mayPrune(failed)).toBe(false);
    expect(pruneWithheld(ok, 3, 'flux-system/apps')).toBeUndefined();
    expect(pruneWithheld(failed, 0, 'flux-system/apps')).toBeUndefined();
    expect(pruneWithheld(failed, 3, 'flux-system/apps')).toBe('Kustomization flux-system/apps: deletions not evaluated because some objects failed (Flux skips pruning too)');
  });
});

describe('namespace placement', () => {
  const cases: { name: string; ns: unknown; clusterScoped: boolean; want: string | undefined }[] = [
    { name: 'cluster-scoped: dropped', ns: 'apps', clusterScoped: true, want: undefined },
    { name: 'namespaced, set: kept', ns: 'apps', clusterScoped: false, want: 'apps' },
    { name: 'namespaced, missing: default', ns: undefined, clusterScoped: false, want: 'default' },
    { name: 'namespaced, empty: default', ns: '', clusterScoped: false, want: 'default' },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const o: KubeObject = { apiVersion: 'v1', kind: 'X', metadata: { name: 'x', ...(c.ns !== undefined ? { namespace: c.ns as string } : {}) } };
      placeNamespace(o, c.clusterScoped);
      expect(o.metadata.namespace).toBe(c.want);
    });
  }
});
