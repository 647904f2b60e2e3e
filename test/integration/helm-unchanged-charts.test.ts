// --base-ref does not build an unchanged Kustomization whose HelmReleases are pinned to charts in the
// chart cache whose effects are proven (render/helm/chart-effects.ts): none, or CRDs from crds/ (read
// from the cached chart, by the release's CRD policy, and handed to the dependents whose objects they
// scope). One whose chart has a CRD in templates/ is built once. A differential test: the report must be
// the report of building and rendering everything on both sides (buildAll), apart from the unchanged
// objects the skipped build would have listed; helm is the real one behind a wrapper counting
// `helm template` runs.
import { chmodSync, cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
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
const release = (name: string, chart: string, version = '1.0.0', extra = '') =>
  `apiVersion: helm.toolkit.fluxcd.io/v2\nkind: HelmRelease\nmetadata:\n  name: ${name}\n  namespace: demo\nspec:\n  interval: 10m\n  chart:\n    spec:\n      chart: ${chart}\n      version: ${version}\n      sourceRef:\n        kind: HelmRepository\n        name: charts\n${extra}`;
// A cluster-scoped kind: known from the chart's CRD, an object written with a namespace is placed without one.
const custom = (kind: string) => (size: number) => `apiVersion: podo.example.com/v1\nkind: ${kind}\nmetadata:\n  name: w\n  namespace: demo\nspec:\n  size: ${size}\n`;
const widget = custom('Widget');
const gizmo = custom('Gizmo');
const sprocket = custom('Sprocket');

const NOT_BUILT = /^inputs identical at HEAD: not built$/;
/** The report minus what a skipped build leaves out: its unchanged objects, its releases' entries, the note saying so. */
function comparable(r: DiffReport, skipped: string[]): KustomizationDiff[] {
  return r.kustomizations.map((k) => {
    const { helmReleases, ...rest } = k;
    return { ...rest, ...(skipped.includes(k.name) || !helmReleases ? {} : { helmReleases }), resources: k.resources.filter((x) => x.action !== 'unchanged'), notes: k.notes.filter((n) => !NOT_BUILT.test(n)) };
  });
}
const notBuilt = (r: DiffReport) => r.kustomizations.filter((k) => k.notes.some((n) => NOT_BUILT.test(n))).map((k) => k.name).sort();

describe('--base-ref: an unchanged Kustomization whose pinned, cached charts create no CRD, or CRDs from crds/ only, is not built', () => {
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
    // The fixture chart under another name, its crds/ CRD (Widget) renamed to KIND and made cluster-scoped,
    // in crds/, in templates/, or left out (`plain`: nothing naming a CRD).
    const variant = (name: string, kind: string, where: 'crds' | 'templates' | 'none') => {
      const dir = path.join(tmp, name);
      cpSync(APP, dir, { recursive: true });
      rmSync(path.join(dir, 'crds'), { recursive: true });
      writeFileSync(path.join(dir, 'Chart.yaml'), readFileSync(path.join(APP, 'Chart.yaml'), 'utf8').replace('name: app', `name: ${name}`).replace(', a CRD', ''));
      const crd = readFileSync(path.join(APP, 'crds/widgets.yaml'), 'utf8').replace('scope: Namespaced', 'scope: Cluster').replace(/Widget/g, kind).replace(/widget/g, kind.toLowerCase());
      if (where === 'crds') mkdirSync(path.join(dir, 'crds'));
      if (where !== 'none') writeFileSync(path.join(dir, where, 'crd.yaml'), crd);
      return dir;
    };
    // `skipapp`'s release has upgrade.crds: Skip, so its Sprocket CRD is not created and a Sprocket stays namespaced.
    charts = await startChartRepo([variant('crdapp', 'Widget', 'crds'), variant('plain', 'Widget', 'none'), variant('tplapp', 'Gizmo', 'templates'), variant('skipapp', 'Sprocket', 'crds')]);
    const chartKs = (name: string, releaseName: string, chart: string, extra = '') => ({
      [`${name}/kustomization.yaml`]: 'resources: [repo.yaml, release.yaml]\n',
      [`${name}/repo.yaml`]: helmRepo(charts.url),
      [`${name}/release.yaml`]: release(releaseName, chart, '1.0.0', extra),
    });
    const dependsOn = (name: string) => `  dependsOn:\n  - name: ${name}\n`;
    base = path.join(tmp, 'base');
    write(base, {
      'clusters/prod/apps.yaml': [
        fluxKs('crds', './crds'),
        fluxKs('plain', './plain'),
        fluxKs('widgets', './widgets', dependsOn('crds')),
        fluxKs('tplcrds', './tplcrds'),
        fluxKs('gizmos', './gizmos', dependsOn('tplcrds')),
        fluxKs('skipcrds', './skipcrds'),
        fluxKs('sprockets', './sprockets', dependsOn('skipcrds')),
      ].join('---\n'),
      ...chartKs('crds', 'crd-app', 'crdapp'),
      ...chartKs('plain', 'plain-app', 'plain'),
      ...chartKs('tplcrds', 'tpl-app', 'tplapp'),
      ...chartKs('skipcrds', 'skip-app', 'skipapp', '  upgrade:\n    crds: Skip\n'),
      'widgets/kustomization.yaml': 'resources: [widget.yaml]\n',
      'widgets/widget.yaml': widget(1),
      'gizmos/kustomization.yaml': 'resources: [gizmo.yaml]\n',
      'gizmos/gizmo.yaml': gizmo(1),
      'sprockets/kustomization.yaml': 'resources: [sprocket.yaml]\n',
      'sprockets/sprocket.yaml': sprocket(1),
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

  /** Each changed custom object of the report: kind, the namespace it is placed in (scoped by its CRD), action. */
  const placed = (r: DiffReport) =>
    r.kustomizations.flatMap((k) => k.resources.filter((x) => /Widget|Gizmo|Sprocket/.test(x.ref.kind) && x.action !== 'unchanged').map((x) => [x.ref.kind, x.ref.namespace ?? '', x.action]));

  it('with the charts cached: the plain and crds/ charts are not rendered, the templates/ CRD chart once; the dependents are scoped by their CRDs', async () => {
    const cacheDir = mkdtempSync(path.join(tmp, 'cache-'));
    // A first run fills the chart cache (buildAll: every chart rendered on both sides).
    await run(options(base, true, cacheDir));
    const { all, fast, runs } = await compare({ 'widgets/widget.yaml': widget(2), 'gizmos/gizmo.yaml': gizmo(2), 'sprockets/sprocket.yaml': sprocket(2) }, cacheDir);
    // `crds` and `skipcrds` proven from their charts' crds/ (Skip: nothing created); `tplcrds`' CRD is rendered.
    expect(notBuilt(fast)).toEqual(['crds', 'plain', 'skipcrds']);
    expect(runs.map((l) => l.split(' ')[1]).sort()).toEqual(['tpl-app']);
    // Cluster-scoped, as the charts' CRDs say: placed without the namespace they were written with;
    // the Sprocket's CRD is not created (policy Skip), so it keeps it. The same in both reports.
    const expected = [
      ['Widget', '', 'drifted'],
      ['Gizmo', '', 'drifted'],
      ['Sprocket', 'demo', 'drifted'],
    ];
    expect(placed(all)).toEqual(expected);
    expect(placed(fast)).toEqual(expected);
  }, 180_000);

  it('with an empty chart cache: nothing is proven from charts, each unchanged release is rendered once', async () => {
    // The buildAll run fills a cache of its own; the run under test starts with an empty one.
    const { fast, runs } = await compare({ 'widgets/widget.yaml': widget(3) }, mkdtempSync(path.join(tmp, 'cache-')), mkdtempSync(path.join(tmp, 'cold-')));
    expect(notBuilt(fast)).toEqual(['gizmos', 'sprockets']);
    expect(runs.map((l) => l.split(' ')[1]).sort()).toEqual(['crd-app', 'plain-app', 'skip-app', 'tpl-app']);
  }, 180_000);

  it('a release with changed values is rendered on both sides; the unchanged crds/ chart is not, the templates/ one once', async () => {
    const cacheDir = mkdtempSync(path.join(tmp, 'cache-'));
    await run(options(base, true, cacheDir));
    const { all, fast, runs } = await compare({ 'plain/release.yaml': release('plain-app', 'plain', '1.0.0') + '  values:\n    greeting: hola\n' }, cacheDir);
    expect(notBuilt(fast)).toEqual(['crds', 'gizmos', 'skipcrds', 'sprockets', 'widgets']);
    expect(runs.map((l) => l.split(' ')[1]).sort()).toEqual(['plain-app', 'plain-app', 'tpl-app']);
    expect(all.kustomizations.find((k) => k.name === 'plain')!.resources.some((x) => x.action !== 'unchanged')).toBe(true);
  }, 180_000);
});
