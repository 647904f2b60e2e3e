// Flags → RunOptions, made once here and passed down unchanged (model/settings.ts). The flags are read
// first, then the machine is looked at (--path, a named helm, the kustomize lookup, which is handed in);
// the environment is handed in too (read once by the command).
import os from 'node:os';
import path from 'node:path';
import { UsageError } from '../model/errors.js';
import type { BuildSettings, KustomizeBinary, RunOptions, Selection } from '../model/settings.js';
import { parseLocalSources } from '../sources/local-sources.js';
import { parseShard, ShardError } from '../pipeline/shard.js';
import { checkHelmBin, defaultCacheDir, lazyHelm, type HelmChoice } from '../render/helm/binary.js';
import { assertDirectory } from '../render/tree/workspace.js';
import { connectionSettings, ignorePathsOf, type BuildOptionFlags } from './options.js';
import { fillFromFlags, type CommandId, type FlagValues } from './flags.js';

/**
 * Kustomizations evaluated at once in --all and --recursive runs: four per core, so that while some
 * wait for their dry-runs (a Kustomization's dry-runs take longer than its build) every build slot
 * still has the next one ready. kustomize itself runs at most once per core (render/kustomize.ts) and
 * every request goes through the client's one connection pool, so more in flight costs no more CPU.
 */
const PARALLEL_KUSTOMIZATIONS = Math.max(8, 4 * os.availableParallelism());

/** The flags toRunOptions reads: those of `podo build`, and of `podo diff` when diffing. */
export type RunFlags = Partial<FlagValues<'build'> & FlagValues<'diff'>> & Pick<FlagValues<'build'>, 'path' | 'namespace' | 'timeout'>;

/**
 * The run's options from its flags (flags.ts: the fields of flags with a value parser are filled from
 * the table; the rest here) and the environment, read once here and passed down. The flags are read
 * first; then what looks at the machine: --path, a named helm, kustomize.
 */
export function toRunOptions(name: string | undefined, f: RunFlags, namespaceGiven: boolean, env: NodeJS.ProcessEnv, kustomize: () => KustomizeBinary, command: CommandId = 'diff'): RunOptions {
  if (!f.path) throw new UsageError('--path DIR is required');
  if (f.clusterPath?.length && !(f.baseRef && f.all)) throw new UsageError('--cluster-path applies to --base-ref --all (with a cluster, --all lists the cluster\'s Kustomizations)');
  if (f.shard !== undefined && !f.all) throw new UsageError('--shard K/N splits the Kustomizations of --all: add --all');
  const selection: Selection = f.all
    ? { mode: 'all', ...(namespaceGiven ? { namespace: f.namespace } : {}) }
    : { mode: 'single', name: name!, namespace: f.namespace, recursive: f.recursive === true };
  const ignorePaths = ignorePathsOf(f.ignorePaths);
  const connection = connectionSettings(f, env);
  const run: Omit<RunOptions, 'build'> & { build: Omit<BuildSettings, 'kustomize' | 'helm'> } = {
    selection,
    path: path.resolve(f.path),
    ignoreNotFound: false,
    localSources: [...parseLocalSources(f.localSources ?? []), ...parseLocalSources(f.source ?? [], '--source')],
    ...(f.clusterPath?.length ? { clusterPaths: f.clusterPath } : {}),
    parallel: PARALLEL_KUSTOMIZATIONS,
    build: {
      strictSubstitute: false,
      ignorePaths,
      cacheDir: defaultCacheDir(env),
      env,
      // PODO_FULL_COPY=1 (hidden, for differential tests): every build copies the whole repository.
      ...(env.PODO_FULL_COPY === '1' ? { fullCopy: true } : {}),
    },
    cluster: {
      ...connection,
      concurrency: 16,
      timeoutMs: 0,
      impersonate: true,
    },
  };
  fillFromFlags({ run }, f, command, 'run.');
  const shard = f.shard !== undefined ? { shard: shardOption(f.shard) } : {};
  // The machine: the helm is looked up on first use (a named one that is not there is said now), kustomize now.
  const helm = lazyHelm(f.helmBin, env, helmChoice(f, env));
  assertDirectory(f.path);
  checkHelmBin(f.helmBin, env);
  return {
    ...run,
    ...shard,
    // kustomize-controller fetches remote resources unless started with --no-remote-bases.
    build: { ...run.build, kustomize: { ...kustomize(), remoteBases: { fetch: f.remoteBases !== false, loopback: env.PODO_ALLOW_LOOPBACK_REMOTE === '1' } }, helm },
  };
}

function shardOption(v: string): { index: number; total: number } {
  try {
    return parseShard(v);
  } catch (err) {
    if (err instanceof ShardError) throw new UsageError(err.message);
    throw err;
  }
}

/** --helm-version and podo's cache directory (XDG_CACHE_HOME), for the helm lookup. */
export function helmChoice(f: Pick<BuildOptionFlags, 'helmVersion' | 'cacheDir'>, env: NodeJS.ProcessEnv): HelmChoice {
  return { ...(f.helmVersion ? { major: f.helmVersion === '3' ? 3 : 4 } : {}), cacheDir: f.cacheDir ? path.resolve(f.cacheDir) : defaultCacheDir(env) };
}
