// A chart repository's index.yaml is fetched once per run (both sides of --base-ref share it), kept
// under --cache-dir for a few minutes and reused by the next run, and fetched again once older than
// that. Counted on a loopback chart repository; the chart itself comes from the chart cache.
import { mkdirSync, mkdtempSync, readdirSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { run } from '../../src/pipeline/run.js';
import type { RunOptions } from '../../src/model/settings.js';
import { helmPath, startChartRepo, type ChartRepo } from '../helpers/chart-repo.js';
import { repoRoot } from '../helpers/cluster.js';
import { lazyHelm } from '../../src/render/helm/binary.js';
import { INDEX_TTL_MS } from '../../src/render/helm/repo-index.js';
import { git } from '../helpers/git-repo.js';
import { baseRefRun } from '../helpers/run-options.js';

const tmp = mkdtempSync(path.join(os.tmpdir(), 'podo-index-cache-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));


describe('chart repository indexes are kept a few minutes under --cache-dir', () => {
  let server: ChartRepo;
  let repo: string;
  let helm: string;
  const cacheDir = path.join(tmp, 'cache');

  beforeAll(async () => {
    helm = await helmPath();
    server = await startChartRepo([path.join(repoRoot, 'fixtures/helm/app')]);
    repo = path.join(tmp, 'repo');
    const files: Record<string, string> = {
      'clusters/prod/apps.yaml': 'apiVersion: kustomize.toolkit.fluxcd.io/v1\nkind: Kustomization\nmetadata:\n  name: web\n  namespace: flux-system\nspec:\n  interval: 10m\n  path: ./web\n  prune: true\n  sourceRef:\n    kind: GitRepository\n    name: flux-system\n',
      'web/kustomization.yaml': 'resources: [repo.yaml, release.yaml]\n',
      'web/repo.yaml': `apiVersion: source.toolkit.fluxcd.io/v1\nkind: HelmRepository\nmetadata:\n  name: charts\n  namespace: demo\nspec:\n  interval: 10m\n  url: ${server.url}\n`,
      // A range: its version is picked from the index on every run.
      'web/release.yaml': 'apiVersion: helm.toolkit.fluxcd.io/v2\nkind: HelmRelease\nmetadata:\n  name: web\n  namespace: demo\nspec:\n  interval: 10m\n  chart:\n    spec:\n      chart: app\n      version: 1.x\n      sourceRef:\n        kind: HelmRepository\n        name: charts\n  values:\n    greeting: hi\n',
    };
    for (const [rel, text] of Object.entries(files)) {
      mkdirSync(path.dirname(path.join(repo, rel)), { recursive: true });
      writeFileSync(path.join(repo, rel), text);
    }
    git(repo, ['init', '-q']);
    git(repo, ['add', '-A']);
    git(repo, ['commit', '-qm', 'base']);
    // A change to the release: both sides render it.
    writeFileSync(path.join(repo, 'web/release.yaml'), files['web/release.yaml'].replace('greeting: hi', 'greeting: hola'));
  });
  afterAll(() => server?.close());

  const options = (): RunOptions => baseRefRun(repo, { cacheDir, helm: lazyHelm(helm, process.env, { cacheDir }) });
  const served = async () => {
    server.requests.length = 0;
    const report = await run(options());
    const web = report.kustomizations.find((k) => k.name === 'web')!;
    expect(web.helmReleases?.map((h) => h.notRendered ?? h.chart)).toEqual([expect.stringMatching(/^app 1\.0\.0 from /)]);
    expect(web.resources.some((r) => r.action === 'drifted' && r.ref.kind === 'ConfigMap')).toBe(true);
    return [...server.requests];
  };

  it('fetches the index once for both sides, not at all on the next run, and again when it is older than the TTL', async () => {
    expect(await served()).toEqual(['GET /index.yaml', 'GET /app-1.0.0.tgz']);
    expect(await served()).toEqual([]);
    const dir = path.join(cacheDir, 'index');
    const [kept] = readdirSync(dir);
    const old = (Date.now() - INDEX_TTL_MS - 1000) / 1000;
    utimesSync(path.join(dir, kept), old, old);
    expect(await served()).toEqual(['GET /index.yaml']);
    expect(await served()).toEqual([]);
  }, 120_000);
});
