// A real OCI registry on loopback: Debian's `docker-registry` (the CNCF distribution registry v2.8,
// installed by `scripts/local-cluster install`), served over plain http on a free port, optionally behind
// htpasswd basic auth. Charts are put in it with `helm push`.
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { parse } from 'yaml';
import { createServer } from 'node:net';
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

export async function startOciRegistry(auth?: { username: string; password: string }): Promise<OciRegistry> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'podo-oci-registry-'));
  const port = await freePort();
  const host = `127.0.0.1:${port}`;
  let authConfig = '';
  if (auth) {
    // htpasswd (apache2-utils) writes the bcrypt entry distribution's htpasswd auth requires.
    writeFileSync(path.join(dir, 'htpasswd'), execFileSync('htpasswd', ['-Bbn', auth.username, auth.password], { encoding: 'utf8' }));
    authConfig = `auth:\n  htpasswd:\n    realm: podo-test\n    path: ${path.join(dir, 'htpasswd')}\n`;
  }
  writeFileSync(
    path.join(dir, 'config.yml'),
    `version: 0.1\nlog:\n  level: error\n  accesslog:\n    disabled: true\nstorage:\n  filesystem:\n    rootdirectory: ${path.join(dir, 'data')}\n${authConfig}http:\n  addr: ${host}\n`,
  );
  const child: ChildProcess = spawn('docker-registry', ['serve', path.join(dir, 'config.yml')], { stdio: 'ignore', detached: false });
  const deadline = Date.now() + 20_000;
  for (;;) {
    try {
      const res = await fetch(`http://${host}/v2/`);
      if (res.status === 200 || res.status === 401) break;
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
      execFileSync(helm, ['push', path.join(out, tgz), `oci://${host}/${repository}`, '--plain-http', '--registry-config', registryConfig], { env, stdio: 'pipe' });
      const meta = parse(readFileSync(path.join(chartDir, 'Chart.yaml'), 'utf8')) as { name: string; version: string };
      const [chart, version] = [meta.name, String(meta.version)];
      const headers: Record<string, string> = { accept: 'application/vnd.oci.image.manifest.v1+json' };
      if (auth) headers.authorization = `Basic ${Buffer.from(`${auth.username}:${auth.password}`).toString('base64')}`;
      const m = await fetch(`http://${host}/v2/${repository}/${chart}/manifests/${version}`, { method: 'HEAD', headers });
      const digest = m.headers.get('docker-content-digest');
      if (!digest) throw new Error(`no digest for ${repository}/${chart}:${version} (HTTP ${m.status})`);
      return digest;
    },
    close() {
      child.kill('SIGTERM');
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
