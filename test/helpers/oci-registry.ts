// A real OCI registry on loopback: Debian's `docker-registry` (the CNCF distribution registry v2.8,
// installed by `scripts/local-cluster install`), served over plain http on a free port, optionally behind
// htpasswd basic auth. Charts are put in it with `helm push`.
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { parse } from 'yaml';
import { createServer } from 'node:net';
import { request as httpsRequest } from 'node:https';
import os from 'node:os';
import path from 'node:path';
import { helmPath } from './chart-repo.js';

export interface OciRegistry {
  /** `127.0.0.1:PORT` */
  host: string;
  /** Packages the chart directory and pushes it to `oci://HOST/<repository>/<chart>:<version>`; resolves the manifest digest. */
  push(chartDir: string, repository: string): Promise<string>;
  close(): void;
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.on('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

/** Serving over https with this certificate; with clientCa, a client certificate signed by it is required. */
export interface RegistryTlsOptions {
  cert: string;
  key: string;
  /** The CA the certificate is signed by (what the test's helm trusts). */
  ca: string;
  clientCa?: string;
  /** The client certificate the test's own pushes use (with clientCa). */
  client?: { cert: string; key: string };
}

/** A HEAD/GET over https trusting CA (and presenting CLIENT), for the helper's own readiness and digest checks. */
function httpsAsk(url: string, tls: RegistryTlsOptions, method: string, headers: Record<string, string> = {}): Promise<{ status: number; digest?: string }> {
  return new Promise((resolve, reject) => {
    const req = httpsRequest(url, { method, headers, ca: tls.ca, ...(tls.client ?? {}) }, (res) => {
      res.resume();
      resolve({ status: res.statusCode ?? 0, digest: res.headers['docker-content-digest'] as string | undefined });
    });
    req.on('error', reject);
    req.end();
  });
}

export async function startOciRegistry(auth?: { username: string; password: string }, tls?: RegistryTlsOptions): Promise<OciRegistry> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'podo-oci-registry-'));
  const port = await freePort();
  const host = `127.0.0.1:${port}`;
  let authConfig = '';
  if (auth) {
    // htpasswd (apache2-utils) writes the bcrypt entry distribution's htpasswd auth requires.
    writeFileSync(path.join(dir, 'htpasswd'), execFileSync('htpasswd', ['-Bbn', auth.username, auth.password], { encoding: 'utf8' }));
    authConfig = `auth:\n  htpasswd:\n    realm: podo-test\n    path: ${path.join(dir, 'htpasswd')}\n`;
  }
  let tlsConfig = '';
  if (tls) {
    writeFileSync(path.join(dir, 'server.crt'), tls.cert);
    writeFileSync(path.join(dir, 'server.key'), tls.key);
    tlsConfig = `  tls:\n    certificate: ${path.join(dir, 'server.crt')}\n    key: ${path.join(dir, 'server.key')}\n`;
    if (tls.clientCa) {
      writeFileSync(path.join(dir, 'client-ca.crt'), tls.clientCa);
      tlsConfig += `    clientcas:\n    - ${path.join(dir, 'client-ca.crt')}\n`;
    }
    writeFileSync(path.join(dir, 'ca.crt'), tls.ca);
    if (tls.client) {
      writeFileSync(path.join(dir, 'client.crt'), tls.client.cert);
      writeFileSync(path.join(dir, 'client.key'), tls.client.key);
    }
  }
  writeFileSync(
    path.join(dir, 'config.yml'),
    `version: 0.1\nlog:\n  level: error\n  accesslog:\n    disabled: true\nstorage:\n  filesystem:\n    rootdirectory: ${path.join(dir, 'data')}\n${authConfig}http:\n  addr: ${host}\n${tlsConfig}`,
  );
  const child: ChildProcess = spawn('docker-registry', ['serve', path.join(dir, 'config.yml')], { stdio: 'ignore', detached: false });
  const deadline = Date.now() + 20_000;
  for (;;) {
    try {
      const status = tls ? (await httpsAsk(`https://${host}/v2/`, tls, 'GET')).status : (await fetch(`http://${host}/v2/`)).status;
      if (status === 200 || status === 401) break;
    } catch {
      /* not listening yet */
    }
    if (Date.now() > deadline || child.exitCode !== null) throw new Error(`docker-registry did not start on ${host} (is the docker-registry package installed? scripts/local-cluster install)`);
    await new Promise((r) => setTimeout(r, 100));
  }
  const helm = await helmPath();
  const env = { PATH: process.env.PATH ?? '', HOME: dir, HELM_CACHE_HOME: path.join(dir, '.cache'), HELM_CONFIG_HOME: path.join(dir, '.config'), HELM_DATA_HOME: path.join(dir, '.data') };
  const registryConfig = path.join(dir, 'registry.json');
  writeFileSync(registryConfig, JSON.stringify({ auths: auth ? { [host]: { auth: Buffer.from(`${auth.username}:${auth.password}`).toString('base64') } } : {} }));
  let n = 0;
  return {
    host,
    async push(chartDir, repository) {
      const out = path.join(dir, `pkg-${++n}`);
      execFileSync(helm, ['package', chartDir, '--destination', out], { env, stdio: 'pipe' });
      const tgz = execFileSync('ls', [out], { encoding: 'utf8' }).trim();
      const transport = tls
        ? ['--ca-file', path.join(dir, 'ca.crt'), ...(tls.client ? ['--cert-file', path.join(dir, 'client.crt'), '--key-file', path.join(dir, 'client.key')] : [])]
        : ['--plain-http'];
      execFileSync(helm, ['push', path.join(out, tgz), `oci://${host}/${repository}`, ...transport, '--registry-config', registryConfig], { env, stdio: 'pipe' });
      const meta = parse(readFileSync(path.join(chartDir, 'Chart.yaml'), 'utf8')) as { name: string; version: string };
      const [chart, version] = [meta.name, String(meta.version)];
      const headers: Record<string, string> = { accept: 'application/vnd.oci.image.manifest.v1+json' };
      if (auth) headers.authorization = `Basic ${Buffer.from(`${auth.username}:${auth.password}`).toString('base64')}`;
      const m = tls
        ? await httpsAsk(`https://${host}/v2/${repository}/${chart}/manifests/${version}`, tls, 'HEAD', headers)
        : await fetch(`http://${host}/v2/${repository}/${chart}/manifests/${version}`, { method: 'HEAD', headers }).then((r) => ({ status: r.status, digest: r.headers.get('docker-content-digest') ?? undefined }));
      const digest = m.digest;
      if (!digest) throw new Error(`no digest for ${repository}/${chart}:${version} (HTTP ${m.status})`);
      return digest;
    },
    close() {
      child.kill('SIGTERM');
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
