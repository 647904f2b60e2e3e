// substituteFrom sources the repository itself defines, in pull-request mode (issue 19): a repository
// shaped like stefanprodan/gitops-istio, where the Istio version lives in a ConfigMap that the cluster's
// root Kustomization applies and istio-system reads through postBuild.substituteFrom into its
// HelmReleases' chart version; and a `cluster-vars` ConfigMap applied by a sibling Kustomization (no
// dependsOn) that another one substitutes from. `--all --base-ref` with no cluster must show the chart
// upgrade and the changed host, not "unchanged", and never ask helm for chart version `${version}`.
// Charts come from a real OCI registry on loopback (docker-registry), pushed by a real helm.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fluxKustomization, repoRoot, runPodo, writeTree } from '../helpers/cluster.js';
import { chartFiles } from '../helpers/chart-repo.js';
import { startOciRegistry, type OciRegistry } from '../helpers/oci-registry.js';

interface Report {
  kustomizations: Array<{
    name: string;
    skipped?: string;
    error?: string;
    notes: string[];
    resources: Array<{ kind: string; name: string; namespace?: string; action: string }>;
    helmReleases?: Array<{ name: string; chart?: { version?: string }; notRendered?: string }>;
  }>;
}

let registry: OciRegistry;
let repo: string;

/** The fixture chart at VERSION; 1.1.0 adds an env var to its Deployment. */
function chartDir(version: string): string {
  const files = chartFiles(path.join(repoRoot, 'fixtures/helm/app'), '.');
  files['Chart.yaml'] = files['Chart.yaml'].replace('version: 1.0.0', `version: ${version}`);
  if (version !== '1.0.0') {
    files['templates/deployment.yaml'] = files['templates/deployment.yaml'].replace(
      '          ports:',
      '          env:\n            - name: CHART_VERSION\n              value: {{ .Chart.Version | quote }}\n          ports:',
    );
  }
  return writeTree(files);
}

const cm = (name: string, ns: string, data: string) => `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: ${name}\n  namespace: ${ns}\ndata:\n${data}`;
const ks = (name: string, p: string, extraSpec = '') => fluxKustomization({ name, path: p, prune: true, extraSpec });
const from = (name: string) => `  postBuild:\n    substituteFrom:\n      - kind: ConfigMap\n        name: ${name}\n`;

beforeAll(async () => {
  registry = await startOciRegistry();
  await registry.push(chartDir('1.0.0'), 'charts');
  await registry.push(chartDir('1.1.0'), 'charts');
  repo = writeTree({
    'clusters/mesh/flux-system/gotk-sync.yaml': ks('flux-system', './clusters/mesh'),
    'clusters/mesh/istio-version.yaml': cm('istio-version', 'flux-system', '  version: 1.0.0\n'),
    'clusters/mesh/istio.yaml': ks('istio-system', './istio/system', from('istio-version')),
    'clusters/mesh/vars.yaml': ks('cluster-vars', './vars'),
    'clusters/mesh/web.yaml': ks('web', './web', from('cluster-vars')),
    'istio/system/kustomization.yaml': 'resources: [repository.yaml, release.yaml]\n',
    'istio/system/repository.yaml': `apiVersion: source.toolkit.fluxcd.io/v1\nkind: HelmRepository\nmetadata:\n  name: istio\n  namespace: istio-system\nspec:\n  type: oci\n  insecure: true\n  interval: 1h\n  url: oci://${registry.host}/charts\n`,
    'istio/system/release.yaml': `apiVersion: helm.toolkit.fluxcd.io/v2\nkind: HelmRelease\nmetadata:\n  name: istiod\n  namespace: istio-system\nspec:\n  interval: 1h\n  chart:\n    spec:\n      chart: app\n      version: "\${version}"\n      sourceRef:\n        kind: HelmRepository\n        name: istio\n`,
    'vars/kustomization.yaml': 'resources: [vars.yaml]\n',
    'vars/vars.yaml': cm('cluster-vars', 'flux-system', '  DOMAIN: example.org\n'),
    'web/kustomization.yaml': 'resources: [settings.yaml]\n',
    'web/settings.yaml': cm('web-settings', 'default', '  host: "web.${DOMAIN}"\n'),
  });
  const git = (...args: string[]) => execFileSync('git', ['-C', repo, '-c', 'user.name=t', '-c', 'user.email=t@t', ...args], { stdio: 'ignore' });
  git('init', '-q', '.');
  git('add', '-A');
  git('commit', '-qm', 'base');
  // The pull request changes only the two ConfigMaps; istio/ and web/ are untouched.
  writeFileSync(path.join(repo, 'clusters/mesh/istio-version.yaml'), cm('istio-version', 'flux-system', '  version: 1.1.0\n'));
  writeFileSync(path.join(repo, 'vars/vars.yaml'), cm('cluster-vars', 'flux-system', '  DOMAIN: example.net\n'));
}, 120_000);
afterAll(() => registry?.close());

const noCluster = () => ({ PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp', NO_COLOR: '1' });

describe('--base-ref --all: substituteFrom sources defined in the repository', { timeout: 300_000 }, () => {
  it('a version in a ConfigMap applied by the root Kustomization reaches the chart version: the upgrade is shown', async () => {
    const r = await runPodo(['diff', 'ks', '--all', '--path', repo, '--base-ref', 'HEAD', '-o', 'json'], noCluster(), { exactEnv: true });
    expect(r.code, r.stderr).toBe(1);
    const doc = JSON.parse(r.stdout) as Report;
    const by = (name: string) => doc.kustomizations.find((k) => k.name === name)!;
    const changed = (name: string) => by(name).resources.filter((x) => x.action !== 'unchanged').map((x) => `${x.kind}/${x.name} ${x.action}`);
    expect(changed('flux-system')).toEqual(['ConfigMap/istio-version drifted']);
    const istio = by('istio-system');
    expect(istio.error, JSON.stringify(istio)).toBeUndefined();
    expect(istio.helmReleases?.map((h) => h.notRendered)).toEqual([undefined]);
    expect(changed('istio-system')).toContain('Deployment/istiod drifted');
    expect(r.stdout).not.toContain('${version}');
    expect(istio.notes.join('\n')).not.toContain('substituteFrom not read');
    // A sibling defines cluster-vars (no dependsOn): web waits for it and reads each side's value.
    expect(changed('cluster-vars')).toEqual(['ConfigMap/cluster-vars drifted']);
    expect(changed('web')).toEqual(['ConfigMap/web-settings drifted']);
  });

  it('the text report names the chart version each side resolves, and the host as substituted', async () => {
    const r = await runPodo(['diff', 'ks', '--all', '--path', repo, '--base-ref', 'HEAD'], noCluster(), { exactEnv: true });
    expect(r.code, r.stderr).toBe(1);
    expect(r.stdout).toMatch(/HelmRelease istio-system\/istiod \(chart app 1\.1\.0/);
    expect(r.stdout).toMatch(/- web\.example\.org\n\s+\+ web\.example\.net/);
  });

  it('--shard: each shard reads the sources another shard defines; the merged shards equal the single run', async () => {
    const args = ['diff', 'ks', '--all', '--path', repo, '--base-ref', 'HEAD', '-o', 'json', '--with-objects'];
    const single = await runPodo(args, noCluster(), { exactEnv: true });
    expect(single.code, single.stderr).toBe(1);
    for (const n of [2, 3]) {
      const dir = mkdtempSync(path.join(os.tmpdir(), 'podo-sources-shards-'));
      const files: string[] = [];
      for (let k = 1; k <= n; k++) {
        const r = await runPodo([...args, '--shard', `${k}/${n}`], noCluster(), { exactEnv: true });
        expect(r.stdout).not.toContain('substituteFrom not read');
        files.push(path.join(dir, `${k}.json`));
        writeFileSync(files[k - 1], r.stdout);
      }
      const merged = await runPodo(['report', 'merge', ...files, '-o', 'json', '--with-objects'], noCluster(), { exactEnv: true });
      expect(merged.code).toBe(1);
      expect(merged.stdout).toBe(single.stdout);
    }
  });

  it('a source no Kustomization of the run defines stays unread and is said: variables left as written', async () => {
    const other = writeTree({
      'clusters/one/flux-system/gotk-sync.yaml': ks('flux-system', './clusters/one'),
      'clusters/one/web.yaml': ks('web', './web', from('not-in-repo')),
      'web/kustomization.yaml': 'resources: [settings.yaml]\n',
      'web/settings.yaml': cm('web-settings', 'default', '  host: "web.${DOMAIN}"\n  tier: "1"\n'),
    });
    const git = (...args: string[]) => execFileSync('git', ['-C', other, '-c', 'user.name=t', '-c', 'user.email=t@t', ...args], { stdio: 'ignore' });
    git('init', '-q', '.');
    git('add', '-A');
    git('commit', '-qm', 'base');
    writeFileSync(path.join(other, 'web/settings.yaml'), cm('web-settings', 'default', '  host: "web.${DOMAIN}"\n  tier: "2"\n'));
    const r = await runPodo(['diff', 'ks', '--all', '--path', other, '--base-ref', 'HEAD', '-o', 'json'], noCluster(), { exactEnv: true });
    expect(r.code, r.stderr).toBe(1);
    const web = (JSON.parse(r.stdout) as Report).kustomizations.find((k) => k.name === 'web')!;
    expect(web.notes).toContain('postBuild.substituteFrom not read (no cluster, and no Kustomization of this run defines it): ConfigMap/not-in-repo; variables they may define are left as written');
  });
});
