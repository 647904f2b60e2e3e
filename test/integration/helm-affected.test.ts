// --base-ref renders a HelmRelease whose inputs did not change once, not on both sides. A differential
// test: over a corpus of changes to one Kustomization holding several HelmReleases (charts from two
// loopback chart repositories, values, valuesFrom ConfigMap and Secret, post-renderers), the report
// with renderings shared between the sides must be the report of rendering every release on both sides
// (buildAll), and helm must have run fewer times. helm is the real one, behind a wrapper that logs each
// `helm template` it runs.
import { chmodSync, cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { run } from '../../src/pipeline/run.js';
import type { RunOptions } from '../../src/model/settings.js';
import type { DiffReport } from '../../src/model/change.js';
import { helmPath, startChartRepo, type ChartRepo } from '../helpers/chart-repo.js';
import { repoRoot } from '../helpers/cluster.js';
import { lazyHelm } from '../../src/render/helm/binary.js';
import { git, write } from '../helpers/git-repo.js';
import { baseRefRun } from '../helpers/run-options.js';

const tmp = mkdtempSync(path.join(os.tmpdir(), 'podo-helm-affected-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));


const CHART = path.join(repoRoot, 'fixtures/helm/app');
// A Secret value that must not reach any output, whatever is shared between the sides.
const CANARY = 'canary-pw-7f3e9a';

const fluxKs = (name: string, p: string) =>
  `apiVersion: kustomize.toolkit.fluxcd.io/v1\nkind: Kustomization\nmetadata:\n  name: ${name}\n  namespace: flux-system\nspec:\n  interval: 10m\n  path: ${p}\n  prune: true\n  sourceRef:\n    kind: GitRepository\n    name: flux-system\n`;
const helmRepo = (name: string, url: string) =>
  `apiVersion: source.toolkit.fluxcd.io/v1\nkind: HelmRepository\nmetadata:\n  name: ${name}\n  namespace: demo\nspec:\n  interval: 10m\n  url: ${url}\n`;
const release = (name: string, repo: string, extra = '') =>
  `apiVersion: helm.toolkit.fluxcd.io/v2\nkind: HelmRelease\nmetadata:\n  name: ${name}\n  namespace: demo\nspec:\n  interval: 10m\n  chart:\n    spec:\n      chart: app\n      version: 1.0.0\n      sourceRef:\n        kind: HelmRepository\n        name: ${repo}\n${extra}`;
const cm = (name: string, values: string) =>
  `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: ${name}\n  namespace: demo\ndata:\n  values.yaml: |\n${values.split('\n').filter(Boolean).map((l) => `    ${l}\n`).join('')}`;
const secret = (password: string) =>
  `apiVersion: v1\nkind: Secret\nmetadata:\n  name: db\n  namespace: demo\nstringData:\n  values.yaml: |\n    password: ${password}\n`;
const postRender = (replicas: number) =>
  `  postRenderers:\n  - kustomize:\n      patches:\n      - target:\n          kind: Deployment\n        patch: |\n          - op: replace\n            path: /spec/replicas\n            value: ${replicas}\n`;
const RELEASES = {
  a: release('a', 'one', '  values:\n    greeting: hi-a\n'),
  b: release('b', 'one', '  valuesFrom:\n  - kind: ConfigMap\n    name: b-values\n'),
  c: release('c', 'one', '  valuesFrom:\n  - kind: Secret\n    name: db\n'),
  d: release('d', 'two', postRender(2)),
};

describe('--base-ref renders an unchanged HelmRelease once, with the report of rendering every release on both sides', () => {
  let one: ChartRepo;
  let two: ChartRepo;
  let three: ChartRepo;
  let base: string;
  const wrapDir = mkdtempSync(path.join(os.tmpdir(), 'podo-helm-wrap-'));
  const wrapper = path.join(wrapDir, 'helm');
  const log = path.join(wrapDir, 'templates');
  /** The `helm template` runs since the log was emptied (the values probe chart `podo-values` left out). */
  const templates = () => readFileSync(log, 'utf8').split('\n').filter((l) => l.startsWith('template ') && !l.startsWith('template podo-values'));

  const files = (urls: { one: string; two: string }, releases = RELEASES): Record<string, string> => ({
    'clusters/prod/apps.yaml': fluxKs('releases', './releases'),
    'releases/kustomization.yaml': 'resources: [repos.yaml, values.yaml, a.yaml, b.yaml, c.yaml, d.yaml]\n',
    'releases/repos.yaml': `${helmRepo('one', urls.one)}---\n${helmRepo('two', urls.two)}`,
    'releases/values.yaml': `${cm('b-values', 'greeting: hi-b\n')}---\n${secret(CANARY)}`,
    ...Object.fromEntries(Object.entries(releases).map(([k, v]) => [`releases/${k}.yaml`, v])),
  });

  beforeAll(async () => {
    const helm = await helmPath();
    writeFileSync(wrapper, `#!/bin/sh\necho "$1 $2" >> "${log}"\nexec "${helm}" "$@"\n`);
    chmodSync(wrapper, 0o755);
    // `three` serves another chart under the same name and version: only its bytes differ.
    const other = path.join(tmp, 'other-chart');
    cpSync(CHART, other, { recursive: true });
    writeFileSync(path.join(other, 'values.yaml'), readFileSync(path.join(CHART, 'values.yaml'), 'utf8').replace('greeting: hello', 'greeting: howdy'));
    [one, two, three] = await Promise.all([startChartRepo([CHART]), startChartRepo([CHART]), startChartRepo([other])]);
    base = path.join(tmp, 'base');
    write(base, files({ one: one.url, two: two.url }));
    git(base, ['init', '-q']);
    git(base, ['add', '-A']);
    git(base, ['commit', '-qm', 'base']);
  });
  afterAll(async () => {
    await Promise.all([one, two, three].map((s) => s?.close()));
    rmSync(wrapDir, { recursive: true, force: true });
  });

  const options = (repo: string, buildAll: boolean): RunOptions => baseRefRun(repo, { helm: lazyHelm(wrapper, process.env, { cacheDir: os.tmpdir() }) }, buildAll);

  const changedReleases = (r: DiffReport) =>
    [...new Set(r.kustomizations.flatMap((k) => k.resources.filter((x) => x.action !== 'unchanged' && x.helmRelease).map((x) => x.helmRelease!)))].sort();

  let n = 0;
  const corpus: Array<[string, (urls: { one: string; two: string; three: string }) => Record<string, string>, string[]]> = [
    ['inline values of one release', () => ({ 'releases/a.yaml': release('a', 'one', '  values:\n    greeting: hola-a\n') }), ['demo/a']],
    ['the ConfigMap one release reads', () => ({ 'releases/values.yaml': `${cm('b-values', 'greeting: hola-b\n')}---\n${secret(CANARY)}` }), ['demo/b']],
    ['the Secret one release reads', () => ({ 'releases/values.yaml': `${cm('b-values', 'greeting: hi-b\n')}---\n${secret(`${CANARY}-2`)}` }), ['demo/c']],
    ['the post-renderer of one release', () => ({ 'releases/d.yaml': release('d', 'two', postRender(5)) }), ['demo/d']],
    // The HelmRepository's URL: another chart under the same name and version (only the resolved chart differs).
    ['the chart source of one release', (u) => ({ 'releases/repos.yaml': `${helmRepo('one', u.one)}---\n${helmRepo('two', u.three)}` }), ['demo/d']],
    ['a field of the HelmRelease besides values', () => ({ 'releases/a.yaml': release('a', 'one', '  values:\n    greeting: hi-a\n  targetNamespace: elsewhere\n') }), ['demo/a']],
  ];

  it.each(corpus)('%s', async (_name, change, expectChanged) => {
    const repo = path.join(tmp, `case-${n++}`);
    cpSync(base, repo, { recursive: true });
    write(repo, change({ one: one.url, two: two.url, three: three.url }));
    writeFileSync(log, '');
    const all = await run(options(repo, true));
    const allRuns = templates().length;
    writeFileSync(log, '');
    const shared = await run(options(repo, false));
    const sharedRuns = templates().length;
    expect(shared).toEqual(all);
    expect(changedReleases(all)).toEqual(expectChanged);
    // Every release was rendered on both sides, none left out as "not rendered".
    expect(all.kustomizations.flatMap((k) => (k.helmReleases ?? []).filter((h) => h.notRendered))).toEqual([]);
    // Four releases on two sides (the Secret-reading one three times per side: real and two stand-ins).
    expect(allRuns).toBe(12);
    // The changed release renders on both sides, the rest once. The stand-in renderings of the
    // Secret-reading release are named by Secret and key, not by value: the same on both sides even
    // when its Secret changed.
    expect(sharedRuns).toBe(6 + 1);
    expect(JSON.stringify(shared)).not.toContain(CANARY);
  }, 120_000);
});
