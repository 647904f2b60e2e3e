// --base-ref does not build an unchanged Kustomization whose HelmReleases are pinned to charts in the
// chart cache that can create no CRD (render/helm/chart-effects.ts); one whose chart carries a CRD is
// built once, because its dependents' objects are scoped by it. A differential test: the report must be
// the report of building and rendering everything on both sides (buildAll), apart from the unchanged
// objects the skipped build would have listed; helm is the real one behind a wrapper counting
// `helm template` runs.
import { chmodSync, cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { run } from '../../src/pipeline/run.js';
import type { RunOptions } from '../../src/model/settings.js';
import type { DiffReport, KustomizationDiff } from '../../src/model/change.js';
import { helmPath, startChartRepo, type ChartRepo } from '../helpers/chart-repo.js';
import { repoRoot } from '../helpers/cluster.js';
import { lazyHelm } from '../../src/render/helm/binary.js';
import { git, write } from '../helpers/git-repo.js';
import { baseRefRun } from '../helpers/run-options.js';

const tmp = mkdtempSync(path.join(os.tmpdir(), 'podo-helm-unchanged-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const APP = path.join(repoRoot, 'fixtures/helm/app');

const fluxKs = (name: string, p: string, extra = '') =>
  `apiVersion: kustomize.toolkit.fluxcd.io/v1\nkind: Kustomization\nmetadata:\n  name: ${name}\n  namespace: flux-system\nspec:\n  interval: 10m\n  path: ${p}\n  prune: true\n  sourceRef:\n    kind: GitRepository\n    name: flux-system\n${extra}`;
const helmRepo = (url: string) => `apiVersion: source.toolkit.fluxcd.io/v1\nkind: HelmRepository\nmetadata:\n  name: charts\n  namespace: demo\nspec:\n  interval: 10m\n  url: ${url}\n`;
const release = (name: string, chart: string, version = '1.0.0') =>
  `apiVersion: helm.toolkit.fluxcd.io/v2\nkind: HelmRelease\nmetadata:\n  name: ${name}\n  namespace: demo\nspec:\n  interval: 10m\n  chart:\n    spec:\n      chart: ${chart}\n      version: ${version}\n      sourceRef:\n        kind: HelmRepository\n        name: charts\n`;
// A cluster-scoped kind: known from the chart's CRD, a Widget written with a namespace is placed without one.
const widget = (size: number) => `apiVersion: podo.example.com/v1\nkind: Widget\nmetadata:\n  name: w\n  namespace: demo\nspec:\n  size: ${size}\n`;

const NOT_BUILT = /^inputs identical at HEAD: not built$/;
/** The report minus what a skipped build leaves out: its unchanged objects, its releases' entries, the note saying so. */
function comparable(r: DiffReport, skipped: string[]): KustomizationDiff[] {
  return r.kustomizations.map((k) => {
    const { helmReleases, ...rest } = k;
    return { ...rest, ...(skipped.includes(k.name) || !helmReleases ? {} : { helmReleases }), resources: k.resources.filter((x) => x.action !== 'unchanged'), notes: k.notes.filter((n) => !NOT_BUILT.test(n)) };
  });
}
const notBuilt = (r: DiffReport) => r.kustomizations.filter((k) => k.notes.some((n) => NOT_BUILT.test(n))).map((k) => k.name).sort();

describe('--base-ref: an unchanged Kustomization whose pinned, cached charts create no CRD is not built', () => {
  let charts: ChartRepo;
  let base: string;
  const wrapDir = mkdtempSync(path.join(os.tmpdir(), 'podo-helm-wrap-'));
  const wrapper = path.join(wrapDir, 'helm');
  const log = path.join(wrapDir, 'templates');
  const templates = () => readFileSync(log, 'utf8').split('\n').filter((l) => l.startsWith('template ') && !l.startsWith('template podo-values'));

  beforeAll(async () => {
    const helm = await helmPath();
    writeFileSync(wrapper, `#!/bin/sh\necho "$1 $2" >> "${log}"\nexec "${helm}" "$@"\n`);
    chmodSync(wrapper, 0o755);
    // `crdapp`: the fixture chart with a cluster-scoped CRD in crds/; `plain`: the same without crds/ (and nothing naming a CRD).
    const crdapp = path.join(tmp, 'crdapp');
    cpSync(APP, crdapp, { recursive: true });
    writeFileSync(path.join(crdapp, 'Chart.yaml'), readFileSync(path.join(APP, 'Chart.yaml'), 'utf8').replace('name: app', 'name: crdapp'));
    writeFileSync(path.join(crdapp, 'crds/widgets.yaml'), readFileSync(path.join(APP, 'crds/widgets.yaml'), 'utf8').replace('scope: Namespaced', 'scope: Cluster'));
    const plain = path.join(tmp, 'plain');
    cpSync(APP, plain, { recursive: true });
    rmSync(path.join(plain, 'crds'), { recursive: true });
    writeFileSync(path.join(plain, 'Chart.yaml'), readFileSync(path.join(APP, 'Chart.yaml'), 'utf8').replace('name: app', 'name: plain').replace(', a CRD', ''));
    charts = await startChartRepo([crdapp, plain]);
    base = path.join(tmp, 'base');
    write(base, {
      'clusters/prod/apps.yaml': [fluxKs('crds', './crds'), fluxKs('plain', './plain'), fluxKs('widgets', './widgets', '  dependsOn:\n  - name: crds\n')].join('---\n'),
      'crds/kustomization.yaml': 'resources: [repo.yaml, release.yaml]\n',
      'crds/repo.yaml': helmRepo(charts.url),
      'crds/release.yaml': release('crd-app', 'crdapp'),
      'plain/kustomization.yaml': 'resources: [repo.yaml, release.yaml]\n',
      'plain/repo.yaml': helmRepo(charts.url),
      'plain/release.yaml': release('plain-app', 'plain'),
      'widgets/kustomization.yaml': 'resources: [widget.yaml]\n',
      'widgets/widget.yaml': widget(1),
    });
    git(base, ['init', '-q']);
    git(base, ['add', '-A']);
    git(base, ['commit', '-qm', 'base']);
  });
  afterAll(async () => {
    await charts?.close();
    rmSync(wrapDir, { recursive: true, force: true });
  });

  const options = (repo: string, buildAll: boolean, cacheDir: string): RunOptions =>
    baseRefRun(repo, { helm: lazyHelm(wrapper, process.env, { cacheDir: os.tmpdir() }), cacheDir }, buildAll);

  let n = 0;
  async function compare(change: Record<string, string>, cacheDir: string, fastCacheDir = cacheDir): Promise<{ all: DiffReport; fast: DiffReport; runs: string[] }> {
    const repo = path.join(tmp, `case-${n++}`);
    cpSync(base, repo, { recursive: true });
    write(repo, change);
    const all = await run(options(repo, true, cacheDir));
    writeFileSync(log, '');
    const fast = await run(options(repo, false, fastCacheDir));
    const runs = templates();
    expect(comparable(fast, notBuilt(fast))).toEqual(comparable(all, notBuilt(fast)));
    expect(all.kustomizations.flatMap((k) => (k.helmReleases ?? []).filter((h) => h.notRendered))).toEqual([]);
    return { all, fast, runs };
  }

  it('with the charts cached: the plain chart is not rendered, the CRD chart once, and the dependent Widget is scoped by its CRD', async () => {
    const cacheDir = mkdtempSync(path.join(tmp, 'cache-'));
    // A first run fills the chart cache (buildAll: every chart rendered on both sides).
    await run(options(base, true, cacheDir));
    const { all, fast, runs } = await compare({ 'widgets/widget.yaml': widget(2) }, cacheDir);
    expect(notBuilt(fast)).toEqual(['plain']);
    expect(runs.map((l) => l.split(' ')[1]).sort()).toEqual(['crd-app']);
    const w = all.kustomizations.find((k) => k.name === 'widgets')!.resources.filter((x) => x.action !== 'unchanged');
    // Cluster-scoped, as the chart's CRD says: placed without the namespace it was written with.
    expect(w.map((x) => [x.ref.kind, x.ref.namespace ?? '', x.action])).toEqual([['Widget', '', 'drifted']]);
  }, 120_000);

  it('with an empty chart cache: nothing is proven from charts, each unchanged release is rendered once', async () => {
    // The buildAll run fills a cache of its own; the run under test starts with an empty one.
    const { fast, runs } = await compare({ 'widgets/widget.yaml': widget(3) }, mkdtempSync(path.join(tmp, 'cache-')), mkdtempSync(path.join(tmp, 'cold-')));
    expect(notBuilt(fast)).toEqual([]);
    expect(runs.map((l) => l.split(' ')[1]).sort()).toEqual(['crd-app', 'plain-app']);
  }, 120_000);

  it('a release with changed values is rendered on both sides; the unchanged CRD chart once, the unchanged Widget not built', async () => {
    const cacheDir = mkdtempSync(path.join(tmp, 'cache-'));
    await run(options(base, true, cacheDir));
    const { all, fast, runs } = await compare({ 'plain/release.yaml': release('plain-app', 'plain', '1.0.0') + '  values:\n    greeting: hola\n' }, cacheDir);
    expect(notBuilt(fast)).toEqual(['widgets']);
    expect(runs.map((l) => l.split(' ')[1]).sort()).toEqual(['crd-app', 'plain-app', 'plain-app']);
    expect(all.kustomizations.find((k) => k.name === 'plain')!.resources.some((x) => x.action !== 'unchanged')).toBe(true);
  }, 120_000);
});
