// Remote kustomize resources (issue 19): kustomize-controller fetches them unless started with
// --no-remote-bases, so podo lets kustomize fetch them too, bounded by --timeout and its output cap.
// The remote is a loopback HTTP server of the test (PODO_ALLOW_LOOPBACK_REMOTE=1: loopback hosts are
// refused otherwise); nothing reaches the network.
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import { readFileSync } from 'node:fs';
import { startConnectProxy } from '../helpers/connect-proxy.js';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { applyLive, fluxKustomization, kubeconfig, runPodo, writeTree } from '../helpers/cluster.js';
import { setupCase } from '../helpers/cases.js';

interface Report {
  kustomizations: Array<{ name: string; error?: string; resources: Array<{ kind: string; name: string; action: string; after?: { data?: Record<string, string> } }> }>;
}

const cm = (name: string, data: string, ns?: string) => `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: ${name}\n${ns ? `  namespace: ${ns}\n` : ''}data:\n  version: "${data}"\n`;

/**
 * What the server serves, by path; `/hang` never answers, `/huge` is 34 MiB of one valid ConfigMap,
 * `/endless` a ConfigMap whose value never ends.
 */
const served = new Map<string, string>();
const hanging: http.ServerResponse[] = [];
/** The Host header of every request, by path. */
const hostsSeen = new Map<string, string[]>();
let server: http.Server;
let base: string;
const loopback = { PODO_ALLOW_LOOPBACK_REMOTE: '1' };

beforeAll(async () => {
  server = http.createServer((req, res) => {
    hostsSeen.set(req.url ?? '', [...(hostsSeen.get(req.url ?? '') ?? []), req.headers.host ?? '']);
    if (req.url === '/hang') {
      hanging.push(res);
      return;
    }
    if (req.url === '/to-metadata') {
      res.writeHead(302, { location: 'http://169.254.169.254/latest/meta-data/iam/security-credentials/role' }).end();
      return;
    }
    if (req.url === '/endless') {
      // A value that never ends, written as fast as the client reads it.
      res.write('apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: endless\ndata:\n  blob: "');
      const chunk = Buffer.alloc(1 << 20, 'x');
      const pump = () => {
        while (!res.destroyed && res.write(chunk));
      };
      res.on('drain', pump);
      res.on('close', () => res.off('drain', pump));
      pump();
      return;
    }
    if (req.url === '/huge') {
      res.write('apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: huge\ndata:\n  blob: "');
      const chunk = 'x'.repeat(1 << 20);
      for (let i = 0; i < 34; i++) res.write(chunk);
      res.end('"\n');
      return;
    }
    const body = served.get(req.url ?? '');
    if (body === undefined) {
      res.statusCode = 404;
      res.end('not found');
      return;
    }
    res.end(body);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  for (const res of hanging) res.destroy();
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

const changes = (doc: Report, name: string) =>
  doc.kustomizations.find((k) => k.name === name)!.resources.filter((r) => r.action !== 'unchanged').map((r) => `${r.kind}/${r.name} ${r.action} ${r.after?.data?.version ?? ''}`.trim());

describe('remote kustomize resources against the cluster', () => {
  it('a remote http resource is fetched and diffed; a change in the served content shows as a change', async () => {
    const c = setupCase();
    served.set(`/${c.ns}/cm.yaml`, cm('remote-settings', '1.0.0'));
    const repo = writeTree({
      'apps/kustomization.yaml': `namespace: ${c.ns}\nresources:\n- ${base}/${c.ns}/cm.yaml\n- local.yaml\n`,
      'apps/local.yaml': cm('local-settings', 'l'),
    });
    applyLive(fluxKustomization({ name: c.ks, path: './apps' }));
    const args = ['diff', 'ks', c.ks, '--path', path.join(repo, 'apps'), '--kubeconfig', kubeconfig(), '-o', 'json', '--with-objects'];

    let r = await runPodo(args, loopback);
    expect(r.code, r.stderr).toBe(1);
    expect(changes(JSON.parse(r.stdout) as Report, c.ks).sort()).toEqual(['ConfigMap/local-settings created l', 'ConfigMap/remote-settings created 1.0.0']);

    // What Flux applied from the served content is live; the server now serves a new version.
    applyLive(cm('remote-settings', '1.0.0', c.ns));
    served.set(`/${c.ns}/cm.yaml`, cm('remote-settings', '1.1.0'));
    r = await runPodo(args, loopback);
    expect(r.code, r.stderr).toBe(1);
    const after = changes(JSON.parse(r.stdout) as Report, c.ks);
    expect(after).toContain('ConfigMap/remote-settings drifted 1.1.0');

    // Without the loopback allowance a loopback host is refused, in one line naming the file and the URL.
    r = await runPodo(args);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`apps/kustomization.yaml: resources ${base}/${c.ns}/cm.yaml: the loopback host 127.0.0.1 is refused`);
  });

  it('--no-remote-bases refuses them as kustomize-controller does: exit 2, the file and the URL named', async () => {
    const c = setupCase();
    served.set(`/${c.ns}/cm.yaml`, cm('remote-settings', '1.0.0'));
    const repo = writeTree({ 'apps/kustomization.yaml': `namespace: ${c.ns}\nresources:\n- ${base}/${c.ns}/cm.yaml\n` });
    applyLive(fluxKustomization({ name: c.ks, path: './apps' }));
    const r = await runPodo(['diff', 'ks', c.ks, '--path', path.join(repo, 'apps'), '--kubeconfig', kubeconfig(), '--no-remote-bases'], loopback);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`apps/kustomization.yaml: resources ${base}/${c.ns}/cm.yaml: remote resources are refused (--no-remote-bases)`);
    expect(r.stdout).toBe('');
  });
});

describe('remote kustomize resources in pull-request mode (--base-ref)', () => {
  let repo: string;
  const git = (...args: string[]) => execFileSync('git', ['-C', repo, '-c', 'user.name=t', '-c', 'user.email=t@t', ...args], { stdio: 'ignore' });
  const ks = (name: string, p: string) => fluxKustomization({ name, path: p, prune: true });

  beforeAll(() => {
    served.set('/release/v1/install.yaml', cm('operator', 'v1', 'ops'));
    served.set('/release/v2/install.yaml', cm('operator', 'v2', 'ops'));
    served.set('/stable/cm.yaml', cm('stable', 's', 'ops'));
    repo = writeTree({
      'clusters/main/operator.yaml': ks('operator', './operator'),
      'clusters/main/stable.yaml': ks('stable', './stable'),
      'clusters/main/remote-off.yaml': ks('remote-off', './remote-off'),
      'operator/kustomization.yaml': `resources:\n- ${base}/release/v1/install.yaml\n`,
      'stable/kustomization.yaml': `resources:\n- ${base}/stable/cm.yaml\n`,
      'remote-off/kustomization.yaml': 'resources: []\n',
    });
    git('init', '-q', '.');
    git('add', '-A');
    git('commit', '-qm', 'base');
    // The pull request bumps the operator's release URL.
    writeFileSync(path.join(repo, 'operator/kustomization.yaml'), `resources:\n- ${base}/release/v2/install.yaml\n`);
  });

  it('a bumped remote URL is a change; a Kustomization whose remote resource did not change is evaluated and unchanged', async () => {
    const r = await runPodo(['diff', 'ks', '--all', '--path', repo, '--base-ref', 'HEAD', '-o', 'json', '--with-objects'], loopback);
    expect(r.code, r.stderr).toBe(1);
    const doc = JSON.parse(r.stdout) as Report;
    expect(doc.kustomizations.every((k) => k.error === undefined)).toBe(true);
    expect(changes(doc, 'operator')).toEqual(['ConfigMap/operator drifted v2']);
    expect(changes(doc, 'stable')).toEqual([]);
    expect(doc.kustomizations.find((k) => k.name === 'stable')!.resources.map((x) => `${x.kind}/${x.name}`)).toEqual(['ConfigMap/stable']);
  });

  it('--no-remote-bases: the remote Kustomizations fail (exit 2, counted), the others are still diffed', async () => {
    const r = await runPodo(['diff', 'ks', '--all', '--path', repo, '--base-ref', 'HEAD', '-o', 'json', '--with-objects', '--no-remote-bases'], loopback);
    expect(r.code).toBe(2);
    const doc = JSON.parse(r.stdout) as Report;
    const errors = Object.fromEntries(doc.kustomizations.map((k) => [k.name, k.error ?? '']));
    expect(errors.operator).toContain(`operator/kustomization.yaml: resources ${base}/release/v2/install.yaml: remote resources are refused (--no-remote-bases)`);
    expect(errors.stable).toContain('remote resources are refused (--no-remote-bases)');
    expect(errors['remote-off']).toBe('');
  });

  it("podo's egress proxy carries fetches by host name and refuses a redirect to the cloud metadata address, naming it", async () => {
    const pr = writeTree({
      'clusters/main/named.yaml': ks('named', './named'),
      'clusters/main/redirect.yaml': ks('redirect', './redirect'),
      // Go sends only an IP literal or exactly `localhost` around a proxy: `LOCALHOST` goes through podo's,
      // which resolves it, checks the address and connects.
      'named/kustomization.yaml': `resources:\n- ${base.replace('127.0.0.1', 'LOCALHOST')}/named/cm.yaml\n`,
      'redirect/kustomization.yaml': `resources:\n- ${base}/to-metadata\n`,
    });
    execFileSync('git', ['-C', pr, 'init', '-q', '.'], { stdio: 'ignore' });
    execFileSync('git', ['-C', pr, '-c', 'user.name=t', '-c', 'user.email=t@t', 'commit', '-q', '--allow-empty', '-m', 'empty'], { stdio: 'ignore' });
    served.set('/named/cm.yaml', cm('named', 'n', 'ops'));
    const started = Date.now();
    const r = await runPodo(['diff', 'ks', '--all', '--path', pr, '--base-ref', 'HEAD', '-o', 'json', '--with-objects', '--timeout', '2m'], loopback);
    expect(r.code).toBe(2);
    expect(Date.now() - started).toBeLessThan(60_000);
    const doc = JSON.parse(r.stdout) as Report;
    expect(changes(doc, 'named')).toEqual(['ConfigMap/named created n']);
    // Through the proxy (it forwards the URL's host as the URL parser writes it), not around it.
    expect(hostsSeen.get('/named/cm.yaml')).toEqual([`localhost:${new URL(base).port}`]);
    expect(doc.kustomizations.find((k) => k.name === 'redirect')!.error).toMatch(
      /podo refused a connection kustomize made while fetching remote resources: 169\.254\.169\.254:80 \(the link-local \(cloud metadata\) host 169\.254\.169\.254\)/,
    );
  });

  it("the user's HTTPS_PROXY is honoured, as kustomize-controller honours it: the https fetch goes through it", async () => {
    // An https server for `remote.test` (only the user's proxy, which resolves every host to loopback, reaches it).
    const dir = writeTree({});
    const [key, crt] = [path.join(dir, 'key.pem'), path.join(dir, 'crt.pem')];
    execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', key, '-out', crt, '-days', '1', '-subj', '/CN=remote.test', '-addext', 'subjectAltName=DNS:remote.test'], { stdio: 'ignore' });
    const tls = https.createServer({ key: readFileSync(key), cert: readFileSync(crt) }, (_req, res) => res.end(cm('through-proxy', 'p', 'ops')));
    await new Promise<void>((resolve) => tls.listen(0, '127.0.0.1', resolve));
    const port = (tls.address() as AddressInfo).port;
    const proxy = await startConnectProxy();
    try {
      const pr = writeTree({ 'clusters/main/proxied.yaml': ks('proxied', './proxied'), 'proxied/kustomization.yaml': `resources:\n- https://remote.test:${port}/cm.yaml\n` });
      execFileSync('git', ['-C', pr, 'init', '-q', '.'], { stdio: 'ignore' });
      execFileSync('git', ['-C', pr, '-c', 'user.name=t', '-c', 'user.email=t@t', 'commit', '-q', '--allow-empty', '-m', 'empty'], { stdio: 'ignore' });
      const r = await runPodo(['diff', 'ks', '--all', '--path', pr, '--base-ref', 'HEAD', '-o', 'json', '--with-objects'], { HTTPS_PROXY: proxy.url, SSL_CERT_FILE: crt });
      expect(r.code, r.stderr).toBe(1);
      expect(changes(JSON.parse(r.stdout) as Report, 'proxied')).toEqual(['ConfigMap/through-proxy created p']);
      expect(proxy.tunnels).toEqual([`remote.test:${port}`]);
    } finally {
      await proxy.close();
      tls.closeAllConnections();
      tls.close();
    }
  });

  it('a server that never answers is cut at --timeout', async () => {
    const hang = writeTree({ 'clusters/main/hang.yaml': ks('hang', './hang'), 'hang/kustomization.yaml': `resources:\n- ${base}/hang\n` });
    execFileSync('git', ['-C', hang, 'init', '-q', '.'], { stdio: 'ignore' });
    execFileSync('git', ['-C', hang, '-c', 'user.name=t', '-c', 'user.email=t@t', 'commit', '-q', '--allow-empty', '-m', 'empty'], { stdio: 'ignore' });
    const started = Date.now();
    const r = await runPodo(['diff', 'ks', '--all', '--path', hang, '--base-ref', 'HEAD', '--timeout', '3s'], loopback);
    expect(r.code).toBe(2);
    expect(Date.now() - started).toBeLessThan(30_000);
    expect(r.stderr).toMatch(/timed out \(--timeout 3s\)/);
  });

  it("a git remote never uses the user's git config: an insteadOf rewrite to a local repository outside the checkout is not followed", async () => {
    // Outside the checkout: a repository holding what a pull request must not read.
    const outside = writeTree({ 'deploy/kustomization.yaml': 'resources: [cm.yaml]\n', 'deploy/cm.yaml': cm('outside-secret', 'x', 'ops') });
    execFileSync('git', ['-C', outside, 'init', '-q', '-b', 'main', '.'], { stdio: 'ignore' });
    execFileSync('git', ['-C', outside, 'add', '-A'], { stdio: 'ignore' });
    execFileSync('git', ['-C', outside, '-c', 'user.name=t', '-c', 'user.email=t@t', 'commit', '-qm', 'x'], { stdio: 'ignore' });
    // The user's own git config rewrites the remote URL to it (plain git, run with this HOME, would build it).
    const home = writeTree({ '.gitconfig': `[url "${outside}"]\n\tinsteadOf = ${base}/repo.git\n` });
    const pr = writeTree({ 'clusters/main/git.yaml': ks('git', './git'), 'git/kustomization.yaml': `resources:\n- ${base}/repo.git//deploy?ref=main\n` });
    execFileSync('git', ['-C', pr, 'init', '-q', '.'], { stdio: 'ignore' });
    execFileSync('git', ['-C', pr, '-c', 'user.name=t', '-c', 'user.email=t@t', 'commit', '-q', '--allow-empty', '-m', 'empty'], { stdio: 'ignore' });
    const r = await runPodo(['diff', 'ks', '--all', '--path', pr, '--base-ref', 'HEAD', '-o', 'json', '--with-objects'], { ...loopback, HOME: home, GIT_CONFIG_GLOBAL: path.join(home, '.gitconfig') });
    expect(r.code).toBe(2);
    expect(r.stdout + r.stderr).not.toContain('outside-secret');
    expect((JSON.parse(r.stdout) as Report).kustomizations.find((k) => k.name === 'git')!.error).toMatch(/git fetch/);
  });

  it('a response that never ends is bounded in memory: the build fails in seconds, long before --timeout', async () => {
    const endless = writeTree({ 'clusters/main/endless.yaml': ks('endless', './endless'), 'endless/kustomization.yaml': `resources:\n- ${base}/endless\n` });
    execFileSync('git', ['-C', endless, 'init', '-q', '.'], { stdio: 'ignore' });
    execFileSync('git', ['-C', endless, '-c', 'user.name=t', '-c', 'user.email=t@t', 'commit', '-q', '--allow-empty', '-m', 'empty'], { stdio: 'ignore' });
    const started = Date.now();
    const r = await runPodo(['diff', 'ks', '--all', '--path', endless, '--base-ref', 'HEAD', '-o', 'json', '--timeout', '5m'], loopback);
    expect(r.code).toBe(2);
    expect(Date.now() - started).toBeLessThan(120_000);
    expect((JSON.parse(r.stdout) as Report).kustomizations.find((k) => k.name === 'endless')!.error).toMatch(/ran out of memory while fetching remote resources \(podo bounds such a build to 2 GiB of address space\)/);
  });

  it('an oversized response is bounded: the build stops with a clear error instead of holding it', async () => {
    const huge = writeTree({ 'clusters/main/huge.yaml': ks('huge', './huge'), 'huge/kustomization.yaml': `resources:\n- ${base}/huge\n` });
    execFileSync('git', ['-C', huge, 'init', '-q', '.'], { stdio: 'ignore' });
    execFileSync('git', ['-C', huge, '-c', 'user.name=t', '-c', 'user.email=t@t', 'commit', '-q', '--allow-empty', '-m', 'empty'], { stdio: 'ignore' });
    const r = await runPodo(['diff', 'ks', '--all', '--path', huge, '--base-ref', 'HEAD', '-o', 'json', '--with-objects'], loopback);
    expect(r.code).toBe(2);
    const doc = JSON.parse(r.stdout) as Report;
    expect(doc.kustomizations.find((k) => k.name === 'huge')!.error).toMatch(/exceeds 32 MiB; stopped/);
  });
});
