// A chart repository over https that requires a client certificate (HelmRepository spec.certSecretRef,
// as source-controller's getter client options read it: ca.crt/tls.crt/tls.key, or the older
// caFile/certFile/keyFile): the index is fetched and the chart downloaded with that CA and client
// certificate. Without the client certificate, or without certSecretRef, the chart is not rendered, with
// a reason. The key is in no report and nothing fetched with it is kept in the cache directory.
import { existsSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { makeTestCa } from '../helpers/test-ca.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { run } from '../../src/pipeline/run.js';
import { lazyHelm } from '../../src/render/helm/binary.js';
import { helmPath, startChartRepo, type ChartRepo } from '../helpers/chart-repo.js';
import { repoRoot } from '../helpers/cluster.js';
import { git, write } from '../helpers/git-repo.js';
import { baseRefRun } from '../helpers/run-options.js';

let dir: string;

let charts: ChartRepo;
let ca: string;
let client: { cert: string; key: string };
let keyLine: string;
let helm: string;

beforeAll(async () => {
  const made = makeTestCa('podo-repo-tls-');
  ({ dir, ca, client, keyLine } = made);
  const server = made.server;
  charts = await startChartRepo([path.join(repoRoot, 'fixtures/helm/app')], { ...server, ca });
  helm = await helmPath();
}, 120_000);
afterAll(async () => {
  await charts?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

const indent = (text: string, n: number) => text.trimEnd().split('\n').map((l) => `${' '.repeat(n)}${l}`).join('\n');
const secret = (name: string, entries: Record<string, string>) =>
  `apiVersion: v1\nkind: Secret\nmetadata:\n  name: ${name}\n  namespace: apps\nstringData:\n${Object.entries(entries).map(([k, v]) => `  ${k}: |\n${indent(v, 4)}\n`).join('')}`;
const helmRepo = (name: string, certs: string | undefined) =>
  `apiVersion: source.toolkit.fluxcd.io/v1\nkind: HelmRepository\nmetadata:\n  name: ${name}\n  namespace: apps\nspec:\n  interval: 10m\n  url: ${charts.url}\n${certs ? `  certSecretRef:\n    name: ${certs}\n` : ''}`;
const release = (name: string, repo: string, greeting: string) =>
  `apiVersion: helm.toolkit.fluxcd.io/v2\nkind: HelmRelease\nmetadata:\n  name: ${name}\n  namespace: apps\nspec:\n  interval: 5m\n  chart:\n    spec:\n      chart: app\n      version: 1.0.0\n      sourceRef:\n        kind: HelmRepository\n        name: ${repo}\n  values:\n    greeting: ${greeting}\n`;

function files(greeting: string): Record<string, string> {
  const docs = [
    secret('repo-tls', { 'ca.crt': ca, 'tls.crt': client.cert, 'tls.key': client.key }),
    secret('old-keys', { caFile: ca, certFile: client.cert, keyFile: client.key }),
    secret('ca-only', { 'ca.crt': ca }),
    helmRepo('with-certs', 'repo-tls'),
    helmRepo('old-keys', 'old-keys'),
    helmRepo('ca-only', 'ca-only'),
    helmRepo('without-certs', undefined),
    release('web', 'with-certs', greeting),
    release('api', 'old-keys', greeting),
    release('no-client-cert', 'ca-only', greeting),
    release('untrusted', 'without-certs', greeting),
  ];
  return {
    'clusters/prod/apps.yaml': 'apiVersion: kustomize.toolkit.fluxcd.io/v1\nkind: Kustomization\nmetadata:\n  name: apps\n  namespace: flux-system\nspec:\n  interval: 10m\n  path: ./apps\n  prune: true\n  sourceRef:\n    kind: GitRepository\n    name: flux-system\n',
    'apps/kustomization.yaml': 'resources: [all.yaml]\n',
    'apps/all.yaml': docs.join('---\n'),
  };
}

/** Every file under DIR, as paths relative to it. */
function tree(d: string): string[] {
  if (!existsSync(d)) return [];
  return readdirSync(d, { recursive: true, withFileTypes: true }).filter((e) => e.isFile()).map((e) => path.relative(d, path.join(e.parentPath, e.name)));
}

describe('a chart repository over https with spec.certSecretRef', () => {
  it('fetches the index and the chart with the CA and client certificate; without them the chart is not rendered; the key is in no report and nothing private is cached', async () => {
    const repo = path.join(dir, 'repo');
    write(repo, files('hello'));
    git(repo, ['init', '-q']);
    git(repo, ['add', '-A']);
    git(repo, ['commit', '-qm', 'base']);
    write(repo, files('bonjour'));
    const cacheDir = path.join(dir, 'cache');
    const report = await run(baseRefRun(repo, { helm: lazyHelm(helm, process.env, { cacheDir: os.tmpdir() }), cacheDir }));
    expect(JSON.stringify(report)).not.toContain(keyLine);
    const ks = report.kustomizations.find((k) => k.name === 'apps')!;
    const releases = Object.fromEntries((ks.helmReleases ?? []).map((h) => [h.name, h]));
    expect(releases.web.notRendered).toBeUndefined();
    expect(releases.api.notRendered).toBeUndefined();
    expect(releases['no-client-cert'].notRendered).toMatch(/could not be downloaded/);
    expect(releases.untrusted.notRendered).toMatch(/could not be downloaded.*(certificate|authority)/i);
    const drifted = ks.resources.filter((x) => x.action === 'drifted' && x.ref.kind === 'ConfigMap').map((x) => x.helmRelease).sort();
    expect(drifted).toEqual(['apps/api', 'apps/web']);
    // A chart or index fetched with a client certificate is as private as one behind a password: not kept.
    expect(tree(path.join(cacheDir, 'charts'))).toEqual([]);
    expect(tree(path.join(cacheDir, 'index'))).toEqual([]);
    for (const f of tree(cacheDir)) expect(readFileSync(path.join(cacheDir, f), 'utf8')).not.toContain(keyLine);
  }, 240_000);
});
