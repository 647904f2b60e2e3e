// Runs the real helm binary in a private, temporary helm home (no user repositories, config or cache
// read or written), and removes that home when the run ends.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { JsonObject } from '../../model/object.js';
import { isJsonObject } from '../../model/object.js';
import type { HelmBinary } from './binary.js';
import { ChildTimeoutError, MAX_TOOL_OUTPUT, runChild } from '../../process/child.js';
import { runDeadline } from '../../process/lifecycle.js';
import { goChildEnv } from '../../process/go-env.js';
import { BuildError, errorMessage } from '../../model/errors.js';

/**
 * helm holds a whole rendering in memory before it prints a byte: a one-line template that repeats a
 * string 512 Mi times took helm 3.6 two and a half minutes and 7 GiB. On Linux, helm runs under an
 * address-space limit (`ulimit -v`), so such a chart fails in seconds, with its own reason, instead of
 * taking the runner down. Real charts stay far below it (the fixture chart renders under 1 GiB).
 */
export const HELM_ADDRESS_SPACE = 2 * 1024 ** 3;

/** helm said no (or took too long): the HelmRelease is not rendered, with helm's reason. */
export class HelmFailure extends BuildError {}

export interface HelmRunner {
  readonly helm: HelmBinary;
  /** Runs helm with args; resolves stdout, rejects with a HelmFailure carrying helm's own first error line. */
  run(args: string[], timeoutMs?: number): Promise<string>;
  /** A fresh scratch directory inside the helm home. */
  scratch(prefix: string): string;
  /** helm strvals `--set`: the reference parser for targetPath values. */
  setPath(values: JsonObject, targetPath: string, value: string, mode: 'typed' | 'string' | 'literal'): Promise<JsonObject>;
  cleanup(): void;
}

export function createHelmRunner(helm: HelmBinary, defaultTimeoutMs = 120_000): HelmRunner {
  const home = mkdtempSync(path.join(os.tmpdir(), 'podo-helm-'));
  // A chart's size is unknown before it renders: helm keeps Go's collector defaults, or the user's own
  // GOGC/GOMEMLIMIT (process/go-env.ts).
  const env: NodeJS.ProcessEnv = goChildEnv({
    PATH: helm.env.PATH ?? '',
    HOME: home,
    HELM_CACHE_HOME: path.join(home, 'cache'),
    HELM_CONFIG_HOME: path.join(home, 'config'),
    HELM_DATA_HOME: path.join(home, 'data'),
    // No kubeconfig: helm template must never talk to a cluster (capabilities come in as flags).
    KUBECONFIG: path.join(home, 'no-kubeconfig'),
    HELM_PLUGINS: path.join(home, 'plugins'),
    // Nothing of the user's: no registry logins, repositories or Docker credentials, whichever helm looks for.
    HELM_REGISTRY_CONFIG: path.join(home, 'config', 'registry', 'config.json'),
    HELM_REPOSITORY_CONFIG: path.join(home, 'config', 'repositories.yaml'),
    HELM_REPOSITORY_CACHE: path.join(home, 'cache', 'repository'),
    XDG_CACHE_HOME: path.join(home, 'cache'),
    XDG_CONFIG_HOME: path.join(home, 'config'),
    XDG_DATA_HOME: path.join(home, 'data'),
    DOCKER_CONFIG: path.join(home, 'docker'),
    // Proxies configured for the user apply to chart downloads too.
    ...pick(helm.env, ['HTTPS_PROXY', 'HTTP_PROXY', 'NO_PROXY', 'https_proxy', 'http_proxy', 'no_proxy', 'SSL_CERT_FILE', 'SSL_CERT_DIR']),
  }, undefined, helm.env);
  // `helm template` of a chart on disk needs no network: every proxy variable points at a closed loopback
  // port, so that anything in a chart that would fetch (older helm resolving a schema URL, a future
  // function) fails at once. Only pulls go out, to the chart sources the HelmReleases declare.
  const closed = 'http://127.0.0.1:9';
  const offlineEnv: NodeJS.ProcessEnv = { ...env };
  for (const k of ['HTTPS_PROXY', 'HTTP_PROXY', 'ALL_PROXY', 'https_proxy', 'http_proxy', 'all_proxy']) offlineEnv[k] = closed;
  offlineEnv.NO_PROXY = '';
  offlineEnv.no_proxy = '';
  let counter = 0;
  let probe: string | undefined;

  const run = async (args: string[], timeoutMs = defaultTimeoutMs): Promise<string> => {
    let res;
    try {
      // In its own process group, killed at the run's --timeout (or this call's) and on a signal.
      // Output is capped like kustomize's: a template can print gigabytes from one line.
      const [cmd, argv] = bounded(helm.path, args);
      res = await runChild(cmd, argv, { what: `helm ${args[0]}`, env: args[0] === 'template' ? offlineEnv : env, cwd: home, deadline: Date.now() + timeoutMs, maxBuffer: MAX_TOOL_OUTPUT });
    } catch (err) {
      // The run's own deadline ends the run; one slow helm call (a chart download) only this HelmRelease.
      if (err instanceof ChildTimeoutError && runDeadline() <= Date.now()) throw err;
      if (err instanceof ChildTimeoutError) throw new HelmFailure(`helm ${args[0]} timed out after ${Math.round(timeoutMs / 1000)}s`);
      throw new HelmFailure(errorMessage(err));
    }
    if (res.code !== 0 && /^(fatal error: (runtime: )?out of memory|runtime: out of memory|fatal error: failed to reserve)/m.test(res.stderr)) {
      throw new HelmFailure(`helm ${args[0]} ran out of memory (podo bounds helm to ${HELM_ADDRESS_SPACE / 1024 ** 3} GiB of address space)`);
    }
    if (res.code !== 0) throw new HelmFailure(helmMessage(res.stderr) || `helm ${args[0]} exited with ${res.code ?? res.signal}`);
    return res.stdout;
  };

  const scratch = (prefix: string): string => {
    const dir = path.join(home, `${prefix}-${++counter}`);
    mkdirSync(dir, { recursive: true });
    return dir;
  };

  return {
    helm,
    run,
    scratch,
    async setPath(values, targetPath, value, mode) {
      if (!probe) {
        probe = path.join(home, 'podo-values');
        mkdirSync(path.join(probe, 'templates'), { recursive: true });
        writeFileSync(path.join(probe, 'Chart.yaml'), 'apiVersion: v2\nname: podo-values\nversion: 0.0.0\n');
        // base64 keeps the JSON away from YAML parsing on its way out of helm.
        writeFileSync(path.join(probe, 'templates', 'values.yaml'), 'podo: {{ toJson .Values | b64enc }}\n');
      }
      const dir = scratch('values');
      const file = path.join(dir, 'values.json');
      writeFileSync(file, JSON.stringify(values), { mode: 0o600 });
      const args = ['template', 'podo-values', probe, '-f', file];
      if (mode === 'literal') {
        // --set-file takes the file's content verbatim, as Flux's literal targetPath does.
        const lit = path.join(dir, 'literal');
        writeFileSync(lit, value, { mode: 0o600 });
        args.push('--set-file', `${targetPath}=${lit}`);
      } else {
        args.push(mode === 'string' ? '--set-string' : '--set', `${targetPath}=${value}`);
      }
      try {
        const out = await run(args);
        const m = out.match(/^podo: (\S+)$/m);
        const parsed: unknown = m ? JSON.parse(Buffer.from(m[1], 'base64').toString('utf8')) : undefined;
        if (!isJsonObject(parsed)) throw new HelmFailure('helm returned no values');
        return parsed;
      } catch (err) {
        if (!(err instanceof HelmFailure)) throw err;
        // helm echoes the --set text in its parse errors: never pass it on, it may come from a Secret.
        throw new HelmFailure(`targetPath ${targetPath}: the value cannot be set with Helm's --set syntax`);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    },
    cleanup() {
      rmSync(home, { recursive: true, force: true });
    },
  };
}

/** HELM and ARGS, run under the address-space bound where the shell can set one (Linux). */
function bounded(helm: string, args: string[]): [string, string[]] {
  if (process.platform !== 'linux') return [helm, args];
  // `$0` is helm, `$@` its arguments: nothing is interpolated into the script.
  return ['/bin/sh', ['-c', `ulimit -v ${HELM_ADDRESS_SPACE / 1024} 2>/dev/null; exec "$0" "$@"`, helm, ...args]];
}

function pick(env: NodeJS.ProcessEnv, keys: string[]): NodeJS.ProcessEnv {
  const out: NodeJS.ProcessEnv = {};
  for (const k of keys) if (env[k] !== undefined) out[k] = env[k];
  return out;
}

/** helm's error as one line, without its `Use --debug` hint. */
export function helmMessage(stderr: string): string {
  const lines = stderr
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l && !/^Use --debug flag/.test(l) && !/^WARNING: /.test(l));
  const err = lines.find((l) => l.startsWith('Error: ')) ?? lines[0] ?? '';
  return err.replace(/^Error: /, '');
}
