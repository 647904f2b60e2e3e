// --base-ref builds only what changed. A differential test: over a corpus of changes to a small fleet,
// the report with Kustomizations proven unchanged left unbuilt must be the report of building every
// Kustomization on both sides (buildAll), apart from the unchanged objects the skipped builds would
// have listed and the note saying they were not built. Real git, real kustomize, real SOPS files.
import { cpSync, mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findKustomize } from '../../src/render/kustomize/kustomize.js';
import { run } from '../../src/pipeline/run.js';
import type { RunOptions } from '../../src/model/settings.js';
import type { DiffReport, KustomizationDiff } from '../../src/model/change.js';
import { encryptYaml, newAgeIdentity } from '../helpers/sops-writer.js';
import { chartFiles, helmPath, startChartRepo, type ChartRepo } from '../helpers/chart-repo.js';
import { repoRoot } from '../helpers/cluster.js';
import { lazyHelm } from '../../src/render/helm/binary.js';
import { chmodSync } from 'node:fs';
import { git, write } from '../helpers/git-repo.js';
import { baseRefRun } from '../helpers/run-options.js';

const tmp = mkdtempSync(path.join(os.tmpdir(), 'podo-unchanged-test-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));


const fluxKs = (name: string, p: string, extra = '') =>
  `apiVersion: kustomize.toolkit.fluxcd.io/v1\nkind: Kustomization\nmetadata:\n  name: ${name}\n  namespace: flux-system\nspec:\n  interval: 10m\n  path: ${p}\n  prune: true\n  sourceRef:\n    kind: GitRepository\n    name: flux-system\n${extra}`;
const cm = (name: string, data: Record<string, string>) =>
  `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: ${name}\n  namespace: demo\ndata:\n${Object.entries(data).map(([k, v]) => `  ${k}: ${JSON.stringify(v)}\n`).join('')}`;
const secret = (value: string) => `apiVersion: v1\nkind: Secret\nmetadata:\n  name: db\n  namespace: demo\nstringData:\n  password: ${value}\n`;
const component = (value: string) =>
  `apiVersion: kustomize.config.k8s.io/v1alpha1\nkind: Component\npatches:\n- patch: |-\n    - op: add\n      path: /metadata/annotations\n      value: {team: ${value}}\n  target:\n    kind: ConfigMap\n`;

const SPECS = {
  a: fluxKs('app-a', './apps/a'),
  b: fluxKs('app-b', './apps/b'),
  c: fluxKs('app-c', './apps/c', '  components:\n  - ../../components/common\n'),
  gen: fluxKs('gen', './apps/gen', '  postBuild:\n    substitute:\n      tier: gold\n    substituteFrom:\n    - kind: ConfigMap\n      name: vars\n'),
  secrets: fluxKs('secrets', './secrets', '  decryption:\n    provider: sops\n'),
  infra: fluxKs('infra', './infra'),
};
const clusterFile = (specs: Record<string, string>) => Object.values(specs).join('---\n');

let recipient: string;
let keyFile: string;
let base: string;

async function baseFiles(): Promise<Record<string, string>> {
  return {
    'clusters/prod/apps.yaml': clusterFile(SPECS),
    'apps/base/kustomization.yaml': 'resources:\n- shared.yaml\n',
    'apps/base/shared.yaml': cm('shared', { level: 'info' }),
    'components/common/kustomization.yaml': component('platform'),
    'apps/a/kustomization.yaml': 'resources:\n- ../base\n- a.yaml\ncomponents:\n- ../../components/common\nnamePrefix: a-\n',
    'apps/a/a.yaml': cm('config', { color: 'blue' }),
    'apps/b/kustomization.yaml': 'resources:\n- ../base\n- b.yaml\nnamePrefix: b-\n',
    'apps/b/b.yaml': cm('config', { size: 'large' }),
    'apps/c/c1.yaml': cm('c1', { x: '1' }),
    'apps/c/c2.yaml': cm('c2', { x: '2' }),
    'apps/gen/kustomization.yaml': 'configMapGenerator:\n- name: gen\n  namespace: demo\n  envs:\n  - app.env\n  files:\n  - conf/settings.txt\ngeneratorOptions:\n  disableNameSuffixHash: true\nresources:\n- tier.yaml\n',
    'apps/gen/app.env': 'MODE=fast\n',
    'apps/gen/conf/settings.txt': 'threads=4\n',
    'apps/gen/tier.yaml': cm('tier', { tier: '${tier}' }),
    'secrets/kustomization.yaml': 'resources:\n- db.enc.yaml\n',
    'secrets/db.enc.yaml': await encryptYaml(secret('first-password'), { recipients: [recipient], encryptedRegex: '^(data|stringData)$' }),
    'infra/kustomization.yaml': 'resources:\n- crd.yaml\n',
    'infra/crd.yaml':
      'apiVersion: apiextensions.k8s.io/v1\nkind: CustomResourceDefinition\nmetadata:\n  name: widgets.example.com\nspec:\n  group: example.com\n  scope: Cluster\n  names:\n    kind: Widget\n    plural: widgets\n  versions:\n  - name: v1\n    served: true\n    storage: true\n    schema:\n      openAPIV3Schema:\n        type: object\n        x-kubernetes-preserve-unknown-fields: true\n',
    'docs/readme.md': 'unrelated\n',
  };
}

beforeAll(async () => {
  const id = await newAgeIdentity();
  recipient = id.recipient;
  keyFile = path.join(tmp, 'keys.txt');
  writeFileSync(keyFile, `${id.identity}\n`);
  base = path.join(tmp, 'base');
  write(base, await baseFiles());
  git(base, ['init', '-q']);
  git(base, ['add', '-A']);
  git(base, ['commit', '-qm', 'base']);
});

const options = (repo: string, buildAll: boolean): RunOptions =>
  baseRefRun(repo, { sopsAgeKeyFile: keyFile, helm: async () => ({ missing: 'no HelmReleases in these builds' }) }, buildAll);

const NOT_BUILT = /^inputs identical at HEAD: not built$/;

/** The report minus what skipping a proven-unchanged build leaves out: its unchanged objects and the note saying so. */
function comparable(r: DiffReport): KustomizationDiff[] {
  return r.kustomizations.map((k) => ({ ...k, resources: k.resources.filter((x) => x.action !== 'unchanged'), notes: k.notes.filter((n) => !NOT_BUILT.test(n)) }));
}

const notBuilt = (r: DiffReport) => r.kustomizations.filter((k) => k.notes.some((n) => NOT_BUILT.test(n))).map((k) => k.name).sort();
const changed = (r: DiffReport) => r.kustomizations.filter((k) => k.resources.some((x) => x.action !== 'unchanged') || k.error).map((k) => k.name).sort();

let n = 0;
/** A copy of the committed base repository with CHANGE applied to its working tree. */
async function withChange(change: (repo: string) => Promise<void> | void): Promise<string> {
  const repo = path.join(tmp, `case-${n++}`);
  cpSync(base, repo, { recursive: true });
  await change(repo);
  return repo;
}

describe('--base-ref builds only what changed, with the report of building everything', () => {
  const corpus: Array<[string, (repo: string) => Promise<void> | void, string[]]> = [
    ['no change', () => undefined, []],
    ['a leaf file', (r) => write(r, { 'apps/a/a.yaml': cm('config', { color: 'green' }) }), ['app-a']],
    ['a shared base', (r) => write(r, { 'apps/base/shared.yaml': cm('shared', { level: 'debug' }) }), ['app-a', 'app-b']],
    ['a shared component', (r) => write(r, { 'components/common/kustomization.yaml': component('payments') }), ['app-a', 'app-c']],
    ['a .sourceignore', (r) => write(r, { 'apps/c/.sourceignore': 'c2.yaml\n' }), ['app-c']],
    [
      'a renamed directory',
      (r) => {
        renameSync(path.join(r, 'apps/b'), path.join(r, 'apps/b2'));
        write(r, { 'clusters/prod/apps.yaml': clusterFile({ ...SPECS, b: fluxKs('app-b', './apps/b2') }) });
      },
      // The same objects from another path: app-b is rebuilt and nothing changes; the root's build
      // (the Kustomization objects) changes.
      ['flux-system'],
    ],
    ['a changed Kustomization spec', (r) => write(r, { 'clusters/prod/apps.yaml': clusterFile({ ...SPECS, a: fluxKs('app-a', './apps/a', '  targetNamespace: other\n') }) }), ['app-a', 'flux-system']],
    ['a substitution input', (r) => write(r, { 'clusters/prod/apps.yaml': clusterFile({ ...SPECS, gen: SPECS.gen.replace('tier: gold', 'tier: silver') }) }), ['flux-system', 'gen']],
    [
      'a SOPS file',
      async (r) => write(r, { 'secrets/db.enc.yaml': await encryptYaml(secret('second-password'), { recipients: [recipient], encryptedRegex: '^(data|stringData)$' }) }),
      ['secrets'],
    ],
    ['a generator source', (r) => write(r, { 'apps/gen/app.env': 'MODE=slow\n' }), ['gen']],
    ['a generator file source', (r) => write(r, { 'apps/gen/conf/settings.txt': 'threads=8\n' }), ['gen']],
    ['an unrelated file', (r) => write(r, { 'docs/readme.md': 'changed\n', 'apps/a/notes.txt': 'not referenced\n' }), []],
  ];

  it.each(corpus)('%s', async (_name, change, expectChanged) => {
    const repo = await withChange(change);
    const all = await run(options(repo, true));
    const fast = await run(options(repo, false));
    expect(comparable(fast)).toEqual(comparable(all));
    expect(changed(all)).toEqual(expectChanged);
    // Everything not touched by the change was proven unchanged and not built (the root and the CRD
    // Kustomization are built once: the run follows the root's children and scopes objects by CRDs).
    const untouched = ['app-a', 'app-b', 'app-c', 'gen', 'secrets'].filter((k) => !expectChanged.includes(k) && !(k === 'app-b' && _name === 'a renamed directory'));
    expect(notBuilt(fast)).toEqual(untouched);
    expect(notBuilt(all)).toEqual([]);
    // A proven-unchanged Kustomization still says what it could not evaluate without a cluster.
    const gen = fast.kustomizations.find((k) => k.name === 'gen')!;
    expect(gen.notes.some((x) => x.includes('substituteFrom') && x.includes('no cluster'))).toBe(true);
  });
});

describe('--base-ref with HelmReleases: a chart from a chart repository is proven, one from the repository is not', () => {
  const CHART = path.join(repoRoot, 'fixtures/helm/app');
  let server: ChartRepo;
  let helmBase: string;
  // A kustomize that notes which directory it builds, then runs the real one: which sides were built.
  const kbinDir = mkdtempSync(path.join(os.tmpdir(), 'podo-kbin-'));
  const kbin = path.join(kbinDir, 'kustomize');
  const builds = () => readFileSync(path.join(kbinDir, 'seen'), 'utf8').trim().split('\n');
  const release = (name: string, chart: string, values = '') =>
    `apiVersion: helm.toolkit.fluxcd.io/v2\nkind: HelmRelease\nmetadata:\n  name: ${name}\n  namespace: demo\nspec:\n  interval: 10m\n  chart:\n    spec:\n${chart}${values}`;
  const remoteRelease = (values = '') =>
    release('web', '      chart: app\n      version: 1.0.0\n      sourceRef:\n        kind: HelmRepository\n        name: charts\n', values);

  let helmBin = '';
  beforeAll(async () => {
    helmBin = await helmPath();
    writeFileSync(kbin, `#!/bin/sh\necho "$2" >> "${kbinDir}/seen"\nshift\nexec kubectl kustomize "$@"\n`);
    chmodSync(kbin, 0o755);
    server = await startChartRepo([CHART]);
    const files: Record<string, string> = {
      'clusters/prod/apps.yaml': [fluxKs('remote', './helm/remote'), fluxKs('local', './helm/local')].join('---\n'),
      'helm/remote/kustomization.yaml': 'resources: [repo.yaml, release.yaml]\n',
      'helm/remote/repo.yaml': `apiVersion: source.toolkit.fluxcd.io/v1\nkind: HelmRepository\nmetadata:\n  name: charts\n  namespace: demo\nspec:\n  interval: 10m\n  url: ${server.url}\n`,
      'helm/remote/release.yaml': remoteRelease(),
      'helm/local/kustomization.yaml': 'resources: [release.yaml]\n',
      'helm/local/release.yaml': release('local', '      chart: ./charts/app\n      sourceRef:\n        kind: GitRepository\n        name: flux-system\n        namespace: flux-system\n'),
    };
    Object.assign(files, chartFiles(CHART, 'charts/app'));
    helmBase = path.join(tmp, 'helm-base');
    write(helmBase, files);
    git(helmBase, ['init', '-q']);
    git(helmBase, ['add', '-A']);
    git(helmBase, ['commit', '-qm', 'base']);
  });
  afterAll(() => server?.close());

  const helmOptions = (repo: string, buildAll: boolean): RunOptions => {
    const o = options(repo, buildAll);
    return { ...o, build: { ...o.build, kustomize: findKustomize(kbin, process.env), helm: lazyHelm(helmBin, {}, { cacheDir: os.tmpdir() }) } };
  };

  const corpus: Array<[string, (repo: string) => void, string[]]> = [
    ['no change', () => undefined, []],
    // The chart lives outside the local Kustomization's closure: it must be built on both sides.
    ['the chart in the repository', (r) => write(r, { 'charts/app/values.yaml': readFileSync(path.join(CHART, 'values.yaml'), 'utf8').replace('greeting: hello', 'greeting: bonjour') }), ['local']],
    ['the values of the release from the chart repository', (r) => write(r, { 'helm/remote/release.yaml': remoteRelease('  values:\n    greeting: hola\n') }), ['remote']],
  ];

  it.each(corpus)('%s', async (name, change, expectChanged) => {
    const repo = path.join(tmp, `helm-case-${n++}`);
    cpSync(helmBase, repo, { recursive: true });
    change(repo);
    const all = await run(helmOptions(repo, true));
    writeFileSync(path.join(kbinDir, 'seen'), '');
    const fast = await run(helmOptions(repo, false));
    const fastBuilds = builds();
    expect(comparable(fast)).toEqual(comparable(all));
    expect(changed(all)).toEqual(expectChanged);
    // Every release was rendered (nothing hides behind "not rendered").
    expect(all.kustomizations.flatMap((k) => (k.helmReleases ?? []).filter((h) => h.notRendered))).toEqual([]);
    const count = (dir: string) => fastBuilds.filter((b) => b.endsWith(dir)).length;
    // The release from the chart repository, unchanged, is built once (its chart may hold CRDs), not on both sides.
    expect(count('/helm/remote')).toBe(expectChanged.includes('remote') ? 2 : 1);
    expect(count('/helm/local')).toBe(2);
    if (name === 'the chart in the repository') {
      const local = all.kustomizations.find((k) => k.name === 'local')!;
      expect(local.resources.filter((x) => x.action === 'drifted').map((x) => `${x.ref.kind}/${x.ref.name}`)).toEqual(['ConfigMap/local-config']);
    }
  }, 120_000);
});
