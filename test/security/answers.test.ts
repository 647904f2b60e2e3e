// Every answer is checked to be what was asked for. A loopback HTTPS server started here stands in
// for a misbehaving API server (or whatever sits in front of one): a GET answered with a List of
// Secrets, with an object of another name, with a page that is not JSON, or with throttling.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import https from 'node:https';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { AddressInfo } from 'node:net';
import { runPodo, writeTree } from '../helpers/cluster.js';
import { assertErrors, assertNoLeak } from './harness.js';

const CANARY = 'Fake+srv/canary=42x';
type Handler = (req: { method: string; url: string }, hits: number) => { status: number; body: string; headers?: Record<string, string> };

let server: https.Server;
let url = '';
let handler: Handler = () => ({ status: 404, body: '{}' });
const times: number[] = [];
let hits = 0;

beforeAll(async () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'podo-sec-tls-'));
  execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', path.join(dir, 'key.pem'), '-out', path.join(dir, 'cert.pem'), '-days', '1', '-subj', '/CN=127.0.0.1'], { stdio: 'ignore' });
  server = https.createServer({ key: readFileSync(path.join(dir, 'key.pem')), cert: readFileSync(path.join(dir, 'cert.pem')) }, (req, res) => {
    let b = '';
    req.on('data', (c) => (b += c));
    req.on('end', () => {
      const u = req.url ?? '';
      if (u.startsWith('/apis/kustomize.toolkit.fluxcd.io/v1') && !u.includes('/namespaces/')) {
        res.writeHead(200, { 'Content-Type': 'application/json' });
        res.end(JSON.stringify({ kind: 'APIResourceList', groupVersion: 'kustomize.toolkit.fluxcd.io/v1', resources: [{ name: 'kustomizations', namespaced: true, kind: 'Kustomization', verbs: ['get', 'list', 'patch'] }] }));
        return;
      }
      const own = u.includes('/kustomizations/app');
      if (own) times.push(Date.now());
      const a = own ? handler({ method: req.method ?? '', url: u }, ++hits) : { status: 404, body: '{"kind":"Status","reason":"NotFound"}' };
      res.writeHead(a.status, { 'Content-Type': 'application/json', ...a.headers });
      res.end(a.body);
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  url = `https://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(() => new Promise<void>((r) => server.close(() => r())));

function kubeconfigFile(): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'podo-sec-fake-'));
  const file = path.join(dir, 'kubeconfig');
  writeFileSync(file, `apiVersion: v1\nkind: Config\nclusters:\n- name: fake\n  cluster:\n    server: ${url}\n    insecure-skip-tls-verify: true\nusers:\n- name: u\n  user:\n    token: tok-${Date.now()}\ncontexts:\n- name: c\n  context: {cluster: fake, user: u}\ncurrent-context: c\n`);
  return file;
}

async function diffAgainstFake(h: Handler, extra: string[] = []) {
  handler = h;
  hits = 0;
  times.length = 0;
  const repo = writeTree({ 'kustomization.yaml': 'resources: []\n' });
  return runPodo(['diff', 'ks', 'app', '--path', repo, '--kubeconfig', kubeconfigFile(), ...extra]);
}

const secretList = JSON.stringify({
  kind: 'SecretList',
  apiVersion: 'v1',
  metadata: {},
  items: [{ metadata: { name: 'db', namespace: 'flux-system' }, data: { password: Buffer.from(CANARY).toString('base64') }, stringData: { p: CANARY } }],
});

describe('answers are checked to be the kind asked for', () => {
  it('a GET of one Kustomization answered with a List of Secrets is an error, and no value is printed', async () => {
    const r = await diffAgainstFake(() => ({ status: 200, body: secretList }));
    expect(r.code).toBe(2);
    assertErrors(r, [/GET Kustomization flux-system\/app: the server answered with a SecretList, not a Kustomization/], 'list for get');
    assertNoLeak(r, [CANARY], 'list for get');
  });

  it('a GET answered with an object of another name is an error', async () => {
    const r = await diffAgainstFake(() => ({ status: 200, body: JSON.stringify({ apiVersion: 'kustomize.toolkit.fluxcd.io/v1', kind: 'Kustomization', metadata: { name: 'other', namespace: 'flux-system' }, spec: {} }) }));
    expect(r.code).toBe(2);
    assertErrors(r, [/GET Kustomization flux-system\/app: the server answered with a Kustomization of another name/], 'other name');
  });

  it('a 200 answer that is not JSON says so, without quoting it or blaming Flux', async () => {
    const r = await diffAgainstFake(() => ({ status: 200, body: `<html>login page ${CANARY}</html>`, headers: { 'Content-Type': 'text/html' } }));
    expect(r.code).toBe(2);
    assertErrors(r, [new RegExp(`the server at ${url.replace(/[.]/g, '\\.')} did not answer GET .* with JSON`)], 'not json');
    expect(r.stderr).not.toMatch(/Flux installed/);
    assertNoLeak(r, [CANARY], 'not json');
  });

  it('Retry-After on 429 is honoured', async () => {
    const r = await diffAgainstFake((_req, n) => (n === 1 ? { status: 429, body: '{"kind":"Status","reason":"TooManyRequests"}', headers: { 'Retry-After': '2' } } : { status: 200, body: secretList }));
    expect(r.code).toBe(2);
    expect(times.length).toBeGreaterThanOrEqual(2);
    expect(times[1] - times[0]).toBeGreaterThanOrEqual(1900);
    assertNoLeak(r, [CANARY], 'retry-after');
  });

  it('Retry-After on 503 beyond --timeout stops at once with one line, not after the wait', async () => {
    const t0 = Date.now();
    const r = await diffAgainstFake(() => ({ status: 503, body: '{"kind":"Status"}', headers: { 'Retry-After': '60' } }), ['--timeout', '3s']);
    expect(Date.now() - t0).toBeLessThan(10_000);
    expect(r.code).toBe(2);
    assertErrors(r, [/timed out/], 'retry-after past deadline');
  });
});
