// flux/helmrelease.ts on plain objects: the CRD policies as helm-controller reads them
// (internal/action/crds.go crdPolicyOrDefault, internal/action/install.go).
import { describe, expect, it } from 'vitest';
import { helmReleaseFromObject } from '../../src/flux/helmrelease.js';
import type { KubeObject } from '../../src/model/object.js';

const hr = (spec: Record<string, unknown>): KubeObject =>
  ({ apiVersion: 'helm.toolkit.fluxcd.io/v2', kind: 'HelmRelease', metadata: { name: 'web', namespace: 'apps' }, spec: { interval: '5m', chart: { spec: { chart: 'web', sourceRef: { kind: 'HelmRepository', name: 'repo' } } }, ...spec } }) as unknown as KubeObject;

describe('HelmRelease CRD policies', () => {
  it('an empty policy is Create on install and upgrade', () => {
    const s = helmReleaseFromObject(hr({}));
    expect([s.installCrds, s.upgradeCrds]).toEqual(['Create', 'Create']);
  });

  it('the deprecated install.skipCRDs has no effect: install.crds alone decides', () => {
    expect(helmReleaseFromObject(hr({ install: { skipCRDs: true } })).installCrds).toBe('Create');
    expect(helmReleaseFromObject(hr({ install: { skipCRDs: true, crds: 'Skip' } })).installCrds).toBe('Skip');
    expect(helmReleaseFromObject(hr({ install: { crds: 'CreateReplace' }, upgrade: { crds: 'Skip' } }))).toMatchObject({ installCrds: 'CreateReplace', upgradeCrds: 'Skip' });
  });

  it('an unknown policy is an error naming the HelmRelease', () => {
    expect(() => helmReleaseFromObject(hr({ upgrade: { crds: 'Replace' } }))).toThrow(/invalid CRD policy "Replace"/);
  });
});
