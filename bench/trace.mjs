// Diagnosis preload: a timeline of one podo run, without touching podo's code.
//
//   node --import ./bench/trace.mjs bin/podo diff kustomization NAME --path DIR --kubeconfig FILE --no-color >/dev/null
//
// Wraps https.request and child_process.execFile and spawn, and prints to stderr at exit: when the CLI
// module graph finished loading, each child process (kustomize), and the HTTP requests grouped by
// kind (discovery, GET, LIST, dry-run PATCH) with count, first start, last end, and latency.
import https from 'node:https';
import cp from 'node:child_process';
import { syncBuiltinESMExports } from 'node:module';

const t = () => performance.now();
const reqs = [];
const children = [];

const origRequest = https.request;
https.request = function (url, options, cb) {
  const u = typeof url === 'string' ? new URL(url) : url;
  const method = (options && options.method) || 'GET';
  const rec = { method, path: u.pathname, query: u.search, start: t(), end: undefined };
  reqs.push(rec);
  const req = origRequest.call(this, url, options, (res) => {
    res.on('end', () => (rec.end = t()));
    if (cb) cb(res);
  });
  return req;
};

const origExecFile = cp.execFile;
cp.execFile = function (file, args, opts, cb) {
  const rec = { cmd: [file, ...(Array.isArray(args) ? args : [])].join(' '), start: t(), end: undefined };
  children.push(rec);
  const child = origExecFile.apply(this, arguments);
  child.on('exit', () => (rec.end = t()));
  return child;
};
const origSpawn = cp.spawn;
cp.spawn = function (file, args) {
  const rec = { cmd: [file, ...(Array.isArray(args) ? args : [])].join(' '), start: t(), end: undefined };
  children.push(rec);
  const child = origSpawn.apply(this, arguments);
  child.on('exit', () => (rec.end = t()));
  return child;
};
syncBuiltinESMExports();

// The first tick after the whole module graph of the entry point is evaluated.
let loaded;
setImmediate(() => (loaded = t()));

function kindOf(r) {
  if (r.method === 'PATCH') return 'PATCH (dry-run apply)';
  const parts = r.path.split('/').filter(Boolean);
  // /api/v1, /apis/group/version: discovery
  if ((parts[0] === 'api' && parts.length === 2) || (parts[0] === 'apis' && parts.length === 3)) return 'GET discovery';
  const nsIdx = parts.indexOf('namespaces');
  const rest = nsIdx >= 0 ? parts.slice(nsIdx + 2) : parts.slice(parts[0] === 'api' ? 2 : 3);
  return rest.length === 1 ? 'LIST' : 'GET object';
}

process.on('exit', () => {
  const end = t();
  const f = (x) => (x === undefined ? '   ?' : x.toFixed(0).padStart(5));
  const out = [];
  out.push(`trace: process start → module graph loaded: ${f(loaded)} ms`);
  for (const c of children) out.push(`trace: child ${f(c.start)} → ${f(c.end)} ms (${(c.end - c.start).toFixed(0)} ms): ${c.cmd.slice(0, 100)}`);
  const groups = new Map();
  for (const r of reqs) {
    const k = kindOf(r);
    if (!groups.has(k)) groups.set(k, []);
    groups.get(k).push(r);
  }
  for (const [k, rs] of groups) {
    const lat = rs.filter((r) => r.end !== undefined).map((r) => r.end - r.start).sort((a, b) => a - b);
    const med = lat.length ? lat[lat.length >> 1] : NaN;
    const first = Math.min(...rs.map((r) => r.start));
    const last = Math.max(...rs.map((r) => r.end ?? r.start));
    out.push(`trace: ${String(rs.length).padStart(5)} × ${k.padEnd(22)} ${f(first)} → ${f(last)} ms (${(last - first).toFixed(0)} ms span, median latency ${med.toFixed(1)} ms)`);
  }
  out.push(`trace: ${reqs.length} HTTP requests in all; exit at ${f(end)} ms`);
  process.stderr.write(out.join('\n') + '\n');
});
