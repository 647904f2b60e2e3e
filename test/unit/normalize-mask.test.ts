// Pure pieces of the diff engine on plain objects: normalization, masking, image rules, flags.
import { describe, expect, it } from 'vitest';
import { normalizeDesired, stripNoise } from '../../src/diff/normalize.js';
import { maskSecrets, MASK, MASK_AFTER, MASK_BEFORE, MASK_UNKNOWN } from '../../src/diff/mask.js';
import { imageProblem, imageTag } from '../../src/diff/images.js';
import { skipReason, pruneProtection } from '../../src/flux/apply-rules.js';
import { redact } from '../../src/cluster/dryrun.js';
import { applyOrder } from '../../src/flux/order.js';
import { normalizeGitUrl, parseLocalSource, parseLocalSources } from '../../src/sources/local-sources.js';
import { parseDuration, useColor } from '../../src/cli/options.js';
import type { KubeObject } from '../../src/model/object.js';

const secret = (data: Record<string, string>, stringData?: Record<string, string>): KubeObject => ({
  apiVersion: 'v1',
  kind: 'Secret',
  metadata: { name: 's', namespace: 'ns' },
  data,
  ...(stringData ? { stringData } : {}),
});

describe('normalizeDesired', () => {
  it('folds stringData into base64 data, stringData winning', () => {
    const out = normalizeDesired(secret({ a: Buffer.from('old').toString('base64') }, { a: 'new', b: 'x' }));
    expect(out.stringData).toBeUndefined();
    expect(out.data).toEqual({ a: Buffer.from('new').toString('base64'), b: Buffer.from('x').toString('base64') });
  });

  it('defaults protocol TCP on container and Service ports, drops status and creationTimestamp', () => {
    const d = normalizeDesired({
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'd', creationTimestamp: null },
      spec: { template: { spec: { containers: [{ name: 'c', ports: [{ containerPort: 80 }, { containerPort: 53, protocol: 'UDP' }] }] } } },
      status: { replicas: 1 },
    });
    expect(d.status).toBeUndefined();
    expect(d.metadata.creationTimestamp).toBeUndefined();
    expect(d).toMatchObject({ spec: { template: { spec: { containers: [{ ports: [{ protocol: 'TCP' }, { protocol: 'UDP' }] }] } } } });
    const s = normalizeDesired({ apiVersion: 'v1', kind: 'Service', metadata: { name: 's' }, spec: { ports: [{ port: 80 }] } });
    expect(s).toMatchObject({ spec: { ports: [{ port: 80, protocol: 'TCP' }] } });
  });
});

describe('stripNoise', () => {
  it('removes server bookkeeping, and server-assigned fields only when the local object does not set them', () => {
    const live: KubeObject = {
      apiVersion: 'v1',
      kind: 'Service',
      metadata: {
        name: 's',
        uid: 'u',
        resourceVersion: '5',
        generation: 3,
        creationTimestamp: 'now',
        managedFields: [],
        annotations: { 'kubectl.kubernetes.io/last-applied-configuration': '{}' },
      },
      spec: { clusterIP: '10.96.0.10', clusterIPs: ['10.96.0.10'], ports: [] },
      status: { loadBalancer: {} },
    };
    expect(stripNoise(live)).toEqual({ apiVersion: 'v1', kind: 'Service', metadata: { name: 's' }, spec: { ports: [] } });
    const local: KubeObject = { apiVersion: 'v1', kind: 'Service', metadata: { name: 's' }, spec: { clusterIP: 'None' } };
    expect(stripNoise(live, local).spec).toEqual({ clusterIP: '10.96.0.10', ports: [] });
  });
});

describe('maskSecrets', () => {
  it('masks equal values as ***, changed ones as before/after, one-sided keys as ***', () => {
    const { before, after } = maskSecrets(secret({ same: 'YQ==', changed: 'Yg==', gone: 'Yw==' }), secret({ same: 'YQ==', changed: 'ZA==', added: 'ZQ==' }));
    expect(before!.data).toEqual({ same: MASK, changed: MASK_BEFORE, gone: MASK });
    expect(after!.data).toEqual({ same: MASK, changed: MASK_AFTER, added: MASK });
  });

  it('shows unknown values as ***** and leaves non-Secrets alone', () => {
    const { after } = maskSecrets(secret({ a: 'x' }), secret({ a: 'ENC[...]' }), true);
    expect(after!.data).toEqual({ a: MASK_UNKNOWN });
    const cm: KubeObject = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'c' }, data: { a: 'visible' } };
    expect(maskSecrets(undefined, cm).after).toBe(cm);
  });

  it('never leaves a value behind, also in stringData', () => {
    const { after } = maskSecrets(undefined, secret({ a: 'Q0FOQVJZ' }, { b: 'CANARY' }));
    expect(JSON.stringify(after)).not.toMatch(/CANARY|Q0FOQVJZ/);
  });
});

describe('redact', () => {
  it('removes values the server echoes in errors about Secrets', () => {
    const s = secret({}, { pin: '987654321' });
    expect(redact('expected string, got &value.valueUnstructured{Value:987654321}', s)).not.toContain('987654321');
    expect(redact('bad value 987654321 here', s)).not.toContain('987654321');
    expect(redact('Secret "s" is invalid: data.pin: Invalid value: "987654321"', s, { reason: 'Invalid', details: { causes: [{ field: 'data.pin' }] } })).toBe(
      "Invalid: data.pin (the server's message is withheld: the object carries secret values)",
    );
  });

  it('never echoes maps or lists, whatever the object', () => {
    const cm = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'c' } };
    expect(redact('.data: expected map, got map[a:hunter2 b:map[c:d]]', cm)).toBe('.data: expected map, got map[…]');
  });
});

describe('images', () => {
  it.each([
    ['nginx', undefined, 'has no tag'],
    ['nginx:latest', 'latest', 'uses the :latest tag'],
    ['registry:5000/envoy', undefined, 'has no tag'],
    ['registry:5000/envoy:v1', 'v1', undefined],
    ['ghcr.io/a/b@sha256:abc', undefined, undefined],
    ['ghcr.io/a/b:1.2@sha256:abc', '1.2', undefined],
  ])('%s', (image, tag, problem) => {
    expect(imageTag(image)).toBe(tag);
    const p = imageProblem(image);
    if (problem) expect(p).toContain(problem);
    else expect(p).toBeUndefined();
  });
});

describe('Flux flags', () => {
  const obj = (annotations: Record<string, string>, labels: Record<string, string> = {}): KubeObject => ({
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: { name: 'x', annotations, labels },
  });
  it('skip rules are case-insensitive and read labels and annotations on either side', () => {
    expect(skipReason(obj({ 'kustomize.toolkit.fluxcd.io/reconcile': 'Disabled' }), undefined)).toContain('reconcile');
    expect(skipReason(obj({}), obj({}, { 'kustomize.toolkit.fluxcd.io/ssa': 'ignore' }))).toContain('Ignore');
    expect(skipReason(obj({ 'kustomize.toolkit.fluxcd.io/ssa': 'IfNotPresent' }), undefined)).toBeUndefined();
    expect(skipReason(obj({ 'kustomize.toolkit.fluxcd.io/ssa': 'IfNotPresent' }), obj({}))).toContain('IfNotPresent');
    expect(pruneProtection(obj({ 'kustomize.toolkit.fluxcd.io/prune': 'disabled' }))).toContain('prune');
    expect(pruneProtection(obj({}))).toBeUndefined();
  });

  it('orders Namespaces, then CRDs, then by kind, namespace, name', () => {
    const refs = [
      { apiVersion: 'v1', kind: 'Service', namespace: 'b', name: 'a' },
      { apiVersion: 'v1', kind: 'ConfigMap', namespace: 'b', name: 'z' },
      { apiVersion: 'apiextensions.k8s.io/v1', kind: 'CustomResourceDefinition', name: 'c' },
      { apiVersion: 'v1', kind: 'ConfigMap', namespace: 'a', name: 'z' },
      { apiVersion: 'v1', kind: 'Namespace', name: 'n' },
    ];
    expect(refs.sort(applyOrder).map((r) => `${r.kind}/${r.namespace ?? ''}/${r.name}`)).toEqual([
      'Namespace//n',
      'CustomResourceDefinition//c',
      'ConfigMap/a/z',
      'ConfigMap/b/z',
      'Service/b/a',
    ]);
  });
});

describe('CLI option parsing', () => {
  it('durations', () => {
    expect(parseDuration('--timeout', '5m')).toBe(300_000);
    expect(parseDuration('--timeout', '1h30m')).toBe(5_400_000);
    expect(parseDuration('--timeout', '250ms')).toBe(250);
    expect(() => parseDuration('--timeout', '5 minutes')).toThrow(/--timeout/);
  });
  it('color: --no-color and NO_COLOR win, FORCE_COLOR forces, else TTY', () => {
    expect(useColor({ flag: true, env: {}, isTTY: true })).toBe(true);
    expect(useColor({ flag: true, env: {}, isTTY: false })).toBe(false);
    expect(useColor({ flag: false, env: { FORCE_COLOR: '1' }, isTTY: true })).toBe(false);
    expect(useColor({ flag: true, env: { NO_COLOR: '1', FORCE_COLOR: '1' }, isTTY: true })).toBe(false);
    expect(useColor({ flag: true, env: { FORCE_COLOR: '1' }, isTTY: false })).toBe(true);
  });
  it('source mappings and git URLs', () => {
    expect(parseLocalSource('GitRepository/flux-system/apps=./x')).toMatchObject({ kind: 'GitRepository', namespace: 'flux-system', name: 'apps' });
    // flux's spelling: the namespace may be left out (it defaults to the Kustomization's own).
    expect(parseLocalSource('OCIRepository/apps=./x')).not.toHaveProperty('namespace');
    expect(parseLocalSources(['Bucket/a/b=./x,ExternalArtifact/c=./y', 'GitRepository/d=./z']).map((s) => s.kind)).toEqual(['Bucket', 'ExternalArtifact', 'GitRepository']);
    expect(() => parseLocalSource('GitRepository=./x')).toThrow(/Kind\/namespace\/name=DIR/);
    expect(() => parseLocalSource('HelmChart/flux-system/x=./x')).toThrow(/GitRepository, OCIRepository, Bucket, ExternalArtifact/);
    expect(normalizeGitUrl('git@github.com:org/repo.git')).toBe('github.com/org/repo');
    expect(normalizeGitUrl('https://github.com/org/repo')).toBe('github.com/org/repo');
    expect(normalizeGitUrl('ssh://git@github.com/org/repo.git')).toBe('github.com/org/repo');
  });
});

describe('replaced objects', () => {
  it('compare only the fields the local object sets', async () => {
    const { toResourceChange } = await import('../../src/diff/changes.js');
    const live: KubeObject = {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'web', namespace: 'ns', resourceVersion: '3' },
      spec: { progressDeadlineSeconds: 600, replicas: 1, selector: { matchLabels: { app: 'old' } } },
    };
    const desired: KubeObject = { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'web', namespace: 'ns' }, spec: { replicas: 1, selector: { matchLabels: { app: 'new' } } } };
    const r = toResourceChange({ action: 'replaced', ref: { apiVersion: 'apps/v1', kind: 'Deployment', namespace: 'ns', name: 'web' }, desired, live, reason: 'spec.selector is immutable' });
    expect(r.action).toBe('replaced');
    expect(r.changes).toEqual([{ path: ['spec', 'selector', 'matchLabels', 'app'], kind: 'modify', from: 'old', to: 'new' }]);
  });
});
