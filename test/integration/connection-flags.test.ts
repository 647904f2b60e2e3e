// kubectl's connection flags, FLUX_SYSTEM_NAMESPACE / --ns-follows-kube-context, and proxies, against the
// real local API server: each run must reach it (and find the same drift) only by the route under test.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parse } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { applyLive, ensureNamespace, fluxKustomization, kubeconfig, runPodo, uniqueName, writeTree } from '../helpers/cluster.js';
import { startConnectProxy, type ConnectProxy } from '../helpers/connect-proxy.js';

interface Admin {
  server: URL;
  token: string;
  caFile: string;
}

/** Server, token and CA of the test cluster's kubeconfig. */
function admin(): Admin {
  const kc = parse(readFileSync(kubeconfig(), 'utf8')) as {
    clusters: { cluster: { server: string; 'certificate-authority-data': string } }[];
    users: { user: { token: string } }[];
  };
  const dir = mkdtempSync(path.join(os.tmpdir(), 'podo-ca-'));
  const caFile = path.join(dir, 'ca.crt');
  writeFileSync(caFile, Buffer.from(kc.clusters[0].cluster['certificate-authority-data'], 'base64'));
  return { server: new URL(kc.clusters[0].cluster.server), token: kc.users[0].user.token, caFile };
}

function kubeconfigFile(body: string): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'podo-kc-'));
  writeFileSync(path.join(dir, 'config'), body);
  return path.join(dir, 'config');
}

/** No kubeconfig anywhere: only the flags under test can reach the cluster. */
const bare = { KUBECONFIG: '/nonexistent/kubeconfig', HOME: mkdtempSync(path.join(os.tmpdir(), 'podo-home-')) };

describe('connection flags and proxies', () => {
  const ns = uniqueName('conn');
  const name = uniqueName('ks');
  const fluxNs = uniqueName('fluxns');
  let dir: string;
  let a: Admin;
  let proxy: ConnectProxy;

  beforeAll(async () => {
    a = admin();
    dir = writeTree({
      'kustomization.yaml': 'resources: [cm.yaml]\n',
      'cm.yaml': `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: settings\n  namespace: ${ns}\ndata:\n  level: info\n`,
    });
    applyLive(`apiVersion: v1\nkind: Namespace\nmetadata:\n  name: ${ns}\n---\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: settings\n  namespace: ${ns}\ndata:\n  level: debug\n`);
    ensureNamespace('flux-system');
    applyLive(fluxKustomization({ name, path: './' }));
    ensureNamespace(fluxNs);
    applyLive(fluxKustomization({ name, path: './', namespace: fluxNs }));
    proxy = await startConnectProxy();
  });
  afterAll(async () => {
    await proxy?.close();
  });

  const diff = (...extra: string[]) => ['diff', 'ks', name, '--path', dir, '--progress-bar=false', '--timeout', '20s', ...extra];
  const expectDrift = (r: { code: number; stdout: string; stderr: string }) => {
    expect(r.code, r.stderr).toBe(1);
    expect(r.stdout).toContain(`ConfigMap/${ns}/settings drifted`);
  };

  it('--server, --token and --certificate-authority reach the cluster with no kubeconfig at all', async () => {
    expectDrift(await runPodo(diff('--server', a.server.href, '--token', a.token, '--certificate-authority', a.caFile), bare));
    // flux's other global flags are accepted: a rate limit, a cache dir, compression, the in-memory build.
    expectDrift(await runPodo(diff('--server', a.server.href, '--token', a.token, '--certificate-authority', a.caFile, '--kube-api-qps', '20', '--kube-api-burst', '5', '--cache-dir', '/tmp/podo-cache', '--disable-compression', '--in-memory-build'), bare));
  });

  it('--insecure-skip-tls-verify skips the certificate check; without it or a CA the check fails', async () => {
    expectDrift(await runPodo(diff('--server', a.server.href, '--token', a.token, '--insecure-skip-tls-verify'), bare));
    expectDrift(await runPodo(diff('--server', a.server.href, '--token', a.token, '--insecure-skip-tls-verify=true'), bare));
    const r = await runPodo(diff('--server', a.server.href, '--token', a.token), bare);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/TLS error|certificate/);
  });

  it('--tls-server-name verifies the certificate against that name', async () => {
    expectDrift(await runPodo(diff('--server', a.server.href, '--token', a.token, '--certificate-authority', a.caFile, '--tls-server-name', 'kubernetes.default.svc'), bare));
    const r = await runPodo(diff('--server', a.server.href, '--token', a.token, '--certificate-authority', a.caFile, '--tls-server-name', 'wrong.example'), bare);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/wrong\.example/);
  });

  it('--cluster and --user pick entries other than the context’s', async () => {
    const kc = kubeconfigFile(`apiVersion: v1
kind: Config
current-context: broken
clusters:
- name: dead
  cluster: {server: 'https://127.0.0.1:1'}
- name: live
  cluster: {server: '${a.server.href}', certificate-authority: '${a.caFile}'}
users:
- name: nobody
  user: {token: not-a-token}
- name: admin
  user: {token: '${a.token}'}
contexts:
- name: broken
  context: {cluster: dead, user: nobody}
`);
    const dead = await runPodo(diff('--kubeconfig', kc));
    expect(dead.code).toBe(2);
    expect(dead.stderr).toContain('cannot reach the cluster at https://127.0.0.1:1');
    expectDrift(await runPodo(diff('--kubeconfig', kc, '--cluster', 'live', '--user', 'admin')));
    const unknown = await runPodo(diff('--kubeconfig', kc, '--cluster', 'nope'));
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain('kubeconfig has no cluster "nope"');
  });

  it('--client-certificate and --client-key authenticate with a certificate signed by the cluster CA', async () => {
    const caKey = path.join(path.dirname(kubeconfig()), 'pki/ca.key');
    const caCrt = path.join(path.dirname(kubeconfig()), 'pki/ca.crt');
    expect(existsSync(caKey), `this test signs a client certificate with the local cluster's CA key (${caKey})`).toBe(true);
    const d = mkdtempSync(path.join(os.tmpdir(), 'podo-cert-'));
    const key = path.join(d, 'client.key');
    const csr = path.join(d, 'client.csr');
    const crt = path.join(d, 'client.crt');
    execFileSync('openssl', ['req', '-new', '-newkey', 'rsa:2048', '-nodes', '-keyout', key, '-out', csr, '-subj', '/CN=cert-user/O=system:masters'], { stdio: 'ignore' });
    execFileSync('openssl', ['x509', '-req', '-in', csr, '-CA', caCrt, '-CAkey', caKey, '-CAcreateserial', '-CAserial', path.join(d, 'ca.srl'), '-out', crt, '-days', '1'], { stdio: 'ignore' });
    expectDrift(await runPodo(diff('--server', a.server.href, '--certificate-authority', a.caFile, '--client-certificate', crt, '--client-key', key), bare));
  });

  it('--as impersonates a user; --as-group (repeatable) adds groups', async () => {
    const denied = await runPodo(diff('--kubeconfig', kubeconfig(), '--as', 'alice'));
    expect(denied.code).toBe(2);
    expect(denied.stderr).toMatch(/alice/);
    expectDrift(await runPodo(diff('--kubeconfig', kubeconfig(), '--as', 'alice', '--as-group', 'developers', '--as-group', 'system:masters')));
  });

  it('-n defaults to FLUX_SYSTEM_NAMESPACE; --ns-follows-kube-context takes the context namespace', async () => {
    // The Kustomization in fluxNs has the same spec: found there only when the namespace is fluxNs.
    expectDrift(await runPodo(diff('--kubeconfig', kubeconfig()), { FLUX_SYSTEM_NAMESPACE: fluxNs }));
    const kc = parse(readFileSync(kubeconfig(), 'utf8')) as { contexts: { context: Record<string, string> }[] };
    kc.contexts[0].context.namespace = fluxNs;
    const withNs = kubeconfigFile(JSON.stringify(kc));
    expectDrift(await runPodo(diff('--kubeconfig', withNs, '--ns-follows-kube-context')));
    expectDrift(await runPodo(diff('--kubeconfig', withNs), { FLUX_NS_FOLLOWS_KUBE_CONTEXT: 'true' }));
    const invalid = await runPodo(diff('--kubeconfig', kubeconfig(), '-n', 'Not_Valid'));
    expect(invalid.code).toBe(2);
    expect(invalid.stderr).toContain('namespace must be a valid DNS label: "Not_Valid"');
  });

  describe('through a CONNECT proxy', () => {
    // A host name only the proxy resolves: without the proxy there is no route to the API server.
    const viaName = () => `https://kube-api.podo.test:${a.server.port}`;
    const proxiedConfig = (proxyUrl?: string) =>
      kubeconfigFile(`apiVersion: v1
kind: Config
current-context: c
clusters:
- name: c
  cluster:
    server: '${viaName()}'
    certificate-authority: '${a.caFile}'
    tls-server-name: localhost
${proxyUrl ? `    proxy-url: '${proxyUrl}'\n` : ''}users:
- name: u
  user: {token: '${a.token}'}
contexts:
- name: c
  context: {cluster: c, user: u}
`);

    it('HTTPS_PROXY carries every request through the proxy', async () => {
      const before = proxy.tunnels.length;
      expectDrift(await runPodo(diff('--kubeconfig', proxiedConfig()), { HTTPS_PROXY: proxy.url, NO_PROXY: '' }));
      const mine = proxy.tunnels.slice(before);
      expect(mine.length).toBeGreaterThan(0);
      expect(new Set(mine)).toEqual(new Set([`kube-api.podo.test:${a.server.port}`]));
    });

    it('lower-case https_proxy, and proxy credentials are sent to the proxy, never printed', async () => {
      const before = proxy.tunnels.length;
      const withAuth = proxy.url.replace('http://', 'http://squid-user:squid-secret@');
      expectDrift(await runPodo(diff('--kubeconfig', proxiedConfig()), { https_proxy: withAuth }));
      expect(proxy.auth.slice(before)[0]).toBe('Basic ' + Buffer.from('squid-user:squid-secret').toString('base64'));
      const failed = await runPodo(diff('--kubeconfig', proxiedConfig(), '--timeout', '3s'), { https_proxy: withAuth.replace(String(proxy.port), '1') });
      expect(failed.code).toBe(2);
      expect(failed.stderr).toContain('through proxy http://127.0.0.1:1');
      expect(failed.stderr + failed.stdout).not.toContain('squid-secret');
    });

    it('NO_PROXY excludes the host: then the name does not resolve', async () => {
      const before = proxy.tunnels.length;
      const r = await runPodo(diff('--kubeconfig', proxiedConfig(), '--timeout', '5s'), { HTTPS_PROXY: proxy.url, NO_PROXY: '.podo.test' });
      expect(r.code).toBe(2);
      expect(r.stderr).toMatch(/cannot reach the cluster at https:\/\/kube-api\.podo\.test/);
      expect(proxy.tunnels.length).toBe(before);
    });

    it('the kubeconfig cluster proxy-url is used with no proxy in the environment', async () => {
      const before = proxy.tunnels.length;
      const env: NodeJS.ProcessEnv = { HTTPS_PROXY: '', https_proxy: '' };
      expectDrift(await runPodo(diff('--kubeconfig', proxiedConfig(proxy.url)), env));
      expect(proxy.tunnels.length).toBeGreaterThan(before);
    });

    it('a loopback server is never sent through a proxy from the environment (Go rule)', async () => {
      const before = proxy.tunnels.length;
      expectDrift(await runPodo(diff('--kubeconfig', kubeconfig()), { HTTPS_PROXY: proxy.url }));
      expect(proxy.tunnels.length).toBe(before);
    });
  });
});
