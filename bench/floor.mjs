#!/usr/bin/env node
// The floor: only the N server-side-apply dry-run PATCHes, nothing else, over one keep-alive agent.
//
//   node bench/floor.mjs --kubeconfig FILE --objects OBJECTS.json [--concurrency 8]
//
// OBJECTS.json is a JSON array of the objects to dry-run (run.mjs writes the kustomize build output
// there, parsed once, outside the timed part). Prints one JSON line:
//   {"concurrency":8,"objects":500,"patchMs":812.3,"statuses":{"200":480,"201":20}}
// Exits 1 when any PATCH did not answer 2xx.
import https from 'node:https';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parse } from 'yaml';

function arg(name, dflt) {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1] : dflt;
}

/** Server URL, CA, and credentials of the current context (token or client certificate). */
export function loadKubeconfig(file) {
  const kc = parse(readFileSync(file, 'utf8'));
  const base = path.dirname(file);
  const ctxName = kc['current-context'];
  const ctx = (kc.contexts ?? []).find((c) => c.name === ctxName)?.context ?? kc.contexts?.[0]?.context;
  if (!ctx) throw new Error(`${file}: no context`);
  const cluster = (kc.clusters ?? []).find((c) => c.name === ctx.cluster)?.cluster;
  const user = (kc.users ?? []).find((u) => u.name === ctx.user)?.user ?? {};
  if (!cluster) throw new Error(`${file}: no cluster ${ctx.cluster}`);
  const data = (inline, fileKey) =>
    inline ? Buffer.from(inline, 'base64') : fileKey ? readFileSync(path.resolve(base, fileKey)) : undefined;
  const headers = {};
  let token = user.token;
  if (!token && user.tokenFile) token = readFileSync(path.resolve(base, user.tokenFile), 'utf8').trim();
  if (token) headers.Authorization = `Bearer ${token}`;
  return {
    server: cluster.server.replace(/\/$/, ''),
    headers,
    tls: {
      ca: data(cluster['certificate-authority-data'], cluster['certificate-authority']),
      cert: data(user['client-certificate-data'], user['client-certificate']),
      key: data(user['client-key-data'], user['client-key']),
      rejectUnauthorized: cluster['insecure-skip-tls-verify'] === true ? false : undefined,
    },
  };
}

// REST mapping for the kinds the benchmark generates (a bare floor does no discovery).
const RESOURCES = {
  'apps/v1/Deployment': ['/apis/apps/v1', 'deployments'],
  'v1/Service': ['/api/v1', 'services'],
  'v1/ConfigMap': ['/api/v1', 'configmaps'],
  'v1/Secret': ['/api/v1', 'secrets'],
};

function objectPath(o) {
  const m = RESOURCES[`${o.apiVersion}/${o.kind}`];
  if (!m) throw new Error(`floor.mjs: no REST mapping for ${o.apiVersion} ${o.kind}`);
  return `${m[0]}/namespaces/${encodeURIComponent(o.metadata.namespace)}/${m[1]}/${encodeURIComponent(o.metadata.name)}`;
}

function patch(conn, agent, o) {
  const body = Buffer.from(JSON.stringify(o));
  const url = `${conn.server}${objectPath(o)}?dryRun=All&fieldManager=kustomize-controller&force=true`;
  return new Promise((resolve, reject) => {
    const req = https.request(
      url,
      {
        method: 'PATCH',
        agent,
        headers: {
          ...conn.headers,
          Accept: 'application/json',
          'Content-Type': 'application/apply-patch+yaml',
          'Content-Length': String(body.length),
        },
      },
      (res) => {
        const chunks = [];
        res.on('data', (c) => chunks.push(c));
        res.on('error', reject);
        res.on('end', () => {
          // Parse the answer: any real client has to.
          JSON.parse(Buffer.concat(chunks).toString('utf8'));
          resolve(res.statusCode);
        });
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

async function main() {
  const kubeconfig = arg('--kubeconfig');
  const objectsFile = arg('--objects');
  const concurrency = Number(arg('--concurrency', '8'));
  if (!kubeconfig || !objectsFile) {
    process.stderr.write('usage: node bench/floor.mjs --kubeconfig FILE --objects OBJECTS.json [--concurrency N]\n');
    process.exit(2);
  }
  const conn = loadKubeconfig(kubeconfig);
  const objects = JSON.parse(readFileSync(objectsFile, 'utf8'));
  const agent = new https.Agent({ keepAlive: true, maxSockets: concurrency, ...conn.tls });
  const statuses = {};
  const t0 = performance.now();
  let next = 0;
  const worker = async () => {
    while (next < objects.length) {
      const o = objects[next++];
      const s = await patch(conn, agent, o);
      statuses[s] = (statuses[s] ?? 0) + 1;
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, objects.length) }, worker));
  const patchMs = performance.now() - t0;
  agent.destroy();
  process.stdout.write(JSON.stringify({ concurrency, objects: objects.length, patchMs, statuses }) + '\n');
  const bad = Object.keys(statuses).some((s) => Number(s) < 200 || Number(s) >= 300);
  process.exitCode = bad ? 1 : 0;
}

if (import.meta.url === `file://${process.argv[1]}` || process.argv[1]?.endsWith('floor.mjs')) {
  main().catch((err) => {
    process.stderr.write(`floor.mjs: ${err.stack ?? err}\n`);
    process.exit(2);
  });
}
