// Helpers shared by the benchmarks (run.mjs, fleet.mjs): processes, statistics, the cluster.
import { spawn } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const HERE = path.dirname(fileURLToPath(import.meta.url));
export const ROOT = path.resolve(HERE, '..');
// PODO_BENCH_PODO: another podo launcher to measure (e.g. a build of another checkout).
export const PODO = path.resolve(process.env.PODO_BENCH_PODO ?? path.join(ROOT, 'bin', 'podo'));
export const FLOOR = path.join(HERE, 'floor.mjs');

/**
 * The environment podo gives the kustomize that builds DIR (Go's collector off below a soft limit when
 * the build reads little, see src/process/go-env.ts): the floor's builds run with it too, so the floor
 * is the same builds podo runs, done as cheaply as podo does them. (kubectl diff runs as users run it.)
 */
const goEnv = await import(path.join(ROOT, 'dist', 'process', 'go-env.js'));
export function buildEnvFor(dir) {
  const bytes = (d) => readdirSync(d, { withFileTypes: true }).reduce((n, e) => n + (e.isDirectory() ? bytes(path.join(d, e.name)) : e.isFile() ? statSync(path.join(d, e.name)).size : 0), 0);
  return goEnv.goChildEnv({}, bytes(dir), process.env);
}
export const describeEnv = (env) => Object.entries(env).map(([k, v]) => `${k}=${v}`).join(' ') || "Go's defaults";

export class BenchError extends Error {}

/** Aborts the benchmark (temp dirs are still removed by main's finally). */
export function die(msg) {
  throw new BenchError(msg);
}

export const log = (msg) => process.stderr.write(`bench: ${msg}\n`);

// ---------------------------------------------------------------- processes

/** Runs a command to completion; resolves with wall time, exit code and output (never rejects on exit code). */
export function run(cmd, args, { input, env, pollRss = false } = {}) {
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    const child = spawn(cmd, args, { cwd: ROOT, env: { ...process.env, ...env }, stdio: ['pipe', 'pipe', 'pipe'] });
    const out = [];
    const err = [];
    let hwmKB = 0;
    let timer;
    if (pollRss) {
      const poll = () => {
        try {
          const m = readFileSync(`/proc/${child.pid}/status`, 'utf8').match(/^VmHWM:\s+(\d+)\s+kB/m);
          if (m) hwmKB = Math.max(hwmKB, Number(m[1]));
        } catch {
          /* exited */
        }
      };
      timer = setInterval(poll, 5);
      child.stdout.on('end', poll);
    }
    child.stdout.on('data', (c) => out.push(c));
    child.stderr.on('data', (c) => err.push(c));
    child.on('error', reject);
    child.on('close', (code) => {
      const ms = performance.now() - t0;
      if (timer) clearInterval(timer);
      resolve({ ms, code, stdout: Buffer.concat(out).toString('utf8'), stderr: Buffer.concat(err).toString('utf8'), hwmKB });
    });
    child.stdin.end(input ?? '');
  });
}

export async function must(cmd, args, opts) {
  const r = await run(cmd, args, opts);
  if (r.code !== 0) die(`${cmd} ${args.join(' ')} exited ${r.code}: ${r.stderr.trim().split('\n').slice(-3).join(' | ')}`);
  return r;
}

// ---------------------------------------------------------------- statistics

export const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};
export const fmtMs = (ms) => (ms >= 1000 ? `${(ms / 1000).toFixed(2)} s` : `${ms.toFixed(0)} ms`);

// ---------------------------------------------------------------- cluster

export async function getCluster() {
  let kubeconfig = process.env.PODO_BENCH_KUBECONFIG;
  if (kubeconfig) {
    log(`cluster: PODO_BENCH_KUBECONFIG=${kubeconfig}`);
  } else {
    log('cluster: scripts/local-cluster up');
    const r = await must(path.join(ROOT, 'scripts', 'local-cluster'), ['up']);
    kubeconfig = r.stdout.trim().split('\n').pop().trim();
  }
  if (!kubeconfig || !existsSync(kubeconfig)) die(`no kubeconfig at ${kubeconfig}`);
  await must('kubectl', ['apply', '--server-side', '-f', path.join(ROOT, 'fixtures', 'crds'), '--kubeconfig', kubeconfig]);
  return kubeconfig;
}

export const kubectlApply = (kubeconfig, file) =>
  must('kubectl', ['apply', '--server-side', '--field-manager=kustomize-controller', '--force-conflicts', '-f', file, '--kubeconfig', kubeconfig]);
