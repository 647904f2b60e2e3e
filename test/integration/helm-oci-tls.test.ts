// OCI registries over TLS with spec.certSecretRef, against a real docker-registry on loopback serving
// https with a certificate of a CA the test makes with openssl, and requiring a client certificate:
// an OCIRepository whose Secret holds ca.crt/tls.crt/tls.key, and a HelmRepository of type oci whose
// Secret uses Flux's older caFile/certFile/keyFile keys, both rendered; without certSecretRef the chart
// is not rendered, with a reason. The client key never reaches any output.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { makeTestCa } from '../helpers/test-ca.js';
import { repoRoot, runPodo, writeTree } from '../helpers/cluster.js';
import { startOciRegistry, type OciRegistry } from '../helpers/oci-registry.js';

let dir: string;

let reg: OciRegistry;
let ca: string;
let client: { cert: string; key: string };
/** A line from the middle of the client's private key: must appear in no output. */
let keyLine: string;

beforeAll(async () => {
  const made = makeTestCa('podo-oci-tls-');
  ({ dir, ca, client, keyLine } = made);
  const server = made.server;
  reg = await startOciRegistry(undefined, { ...server, ca, clientCa: ca, client });
  await reg.push(path.join(repoRoot, 'fixtures/helm/app'), 'charts');
}, 120_000);
afterAll(() => {
  reg?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

const indent = (text: string, n: number) => text.trimEnd().split('\n').map((l) => `${' '.repeat(n)}${l}`).join('\n');
const secret = (name: string, entries: Record<string, string>) =>
  `apiVersion: v1\nkind: Secret\nmetadata:\n  name: ${name}\n  namespace: apps\nstringData:\n${Object.entries(entries).map(([k, v]) => `  ${k}: |\n${indent(v, 4)}\n`).join('')}`;
const ociRepo = (name: string, certs: string | undefined) =>
  `apiVersion: source.toolkit.fluxcd.io/v1\nkind: OCIRepository\nmetadata:\n  name: ${name}\n  namespace: apps\nspec:\n  interval: 10m\n  url: oci://${reg.host}/charts/app\n  ref:\n    semver: 1.x\n${certs ? `  certSecretRef:\n    name: ${certs}\n` : ''}`;
const helmRepo = `apiVersion: source.toolkit.fluxcd.io/v1\nkind: HelmRepository\nmetadata:\n  name: tls-repo\n  namespace: apps\nspec:\n  interval: 10m\n  type: oci\n  url: oci://REGISTRY/charts\n  certSecretRef:\n    name: old-keys\n`;
const release = (name: string, chart: string, greeting: string) =>
  `apiVersion: helm.toolkit.fluxcd.io/v2\nkind: HelmRelease\nmetadata:\n  name: ${name}\n  namespace: apps\nspec:\n  interval: 5m\n${chart}  values:\n    greeting: ${greeting}\n`;

function files(greeting: string): Record<string, string> {
  const docs = [
    secret('registry-tls', { 'ca.crt': ca, 'tls.crt': client.cert, 'tls.key': client.key }),
    secret('old-keys', { caFile: ca, certFile: client.cert, keyFile: client.key }),
    ociRepo('with-certs', 'registry-tls'),
    ociRepo('without-certs', undefined),
    helmRepo.replace('REGISTRY', reg.host),
    release('web', '  chartRef:\n    kind: OCIRepository\n    name: with-certs\n', greeting),
    release('api', '  chart:\n    spec:\n      chart: app\n      version: 1.0.0\n      sourceRef:\n        kind: HelmRepository\n        name: tls-repo\n', greeting),
    release('untrusted', '  chartRef:\n    kind: OCIRepository\n    name: without-certs\n', greeting),
  ];
  return {
    'clusters/prod/apps.yaml': 'apiVersion: kustomize.toolkit.fluxcd.io/v1\nkind: Kustomization\nmetadata:\n  name: apps\n  namespace: flux-system\nspec:\n  interval: 10m\n  path: ./apps\n  prune: true\n  sourceRef:\n    kind: GitRepository\n    name: flux-system\n',
    'apps/kustomization.yaml': 'resources: [all.yaml]\n',
    'apps/all.yaml': docs.join('---\n'),
  };
}

describe('OCI registries over TLS (spec.certSecretRef)', () => {
  it('renders charts from a registry that needs its CA and a client certificate; without certSecretRef the chart is not rendered; the key is in no output', async () => {
    const repo = writeTree(files('hello'));
    const git = (...args: string[]) => execFileSync('git', ['-C', repo, ...args], { stdio: 'pipe', env: { ...process.env, GIT_AUTHOR_NAME: 't', GIT_AUTHOR_EMAIL: 't@e', GIT_COMMITTER_NAME: 't', GIT_COMMITTER_EMAIL: 't@e' } });
    git('init', '-q');
    git('add', '-A');
    git('commit', '-qm', 'base');
    writeFileSync(path.join(repo, 'apps/all.yaml'), files('bonjour')['apps/all.yaml']);
    const env = { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp', NO_COLOR: '1' };
    for (const format of ['json', 'text']) {
      const r = await runPodo(['diff', 'ks', 'apps', '-n', 'flux-system', '--path', path.join(repo, 'apps'), '--base-ref', 'HEAD', '-o', format, '-v'], env, { exactEnv: true });
      expect(r.code, r.stderr).toBe(1);
      expect(r.stdout + r.stderr).not.toContain(keyLine);
      if (format !== 'json') continue;
      const report = JSON.parse(r.stdout) as { kustomizations: { helmReleases?: { name: string; notRendered?: string; chart?: string }[]; resources: { action: string; helmRelease?: string; kind: string }[] }[] };
      const ks = report.kustomizations[0];
      const releases = Object.fromEntries((ks.helmReleases ?? []).map((h) => [h.name, h]));
      expect(releases.web.notRendered).toBeUndefined();
      expect(releases.web.chart).toMatch(/^app 1\.0\.0 from /);
      expect(releases.api.notRendered).toBeUndefined();
      expect(releases.untrusted.notRendered).toMatch(/certificate|unknown authority|self.signed/i);
      const drifted = ks.resources.filter((x) => x.action === 'drifted' && x.kind === 'ConfigMap').map((x) => x.helmRelease).sort();
      expect(drifted).toEqual(['apps/api', 'apps/web']);
    }
  }, 240_000);
});
