// Flags → RunOptions, made once here and passed down unchanged (model/settings.ts). Pure apart from
// the kustomize lookup, which is handed in.
import os from 'node:os';
import path from 'node:path';
import { UsageError } from '../model/errors.js';
import type { BuildSettings, KustomizeBinary, RunOptions, Selection } from '../model/settings.js';
import { parseLocalSources } from '../sources/local-sources.js';
import { parseShard, ShardError } from '../pipeline/shard.js';
import { defaultCacheDir, lazyHelm, type HelmChoice } from '../render/helm/binary.js';
import { connectionSettings, ignorePathsOf, parseDuration, parsePositiveInt, type BuildOptionFlags } from './options.js';

/**
 * Kustomizations evaluated at once in --all and --recursive runs: four per core, so that while some
 * wait for their dry-runs (a Kustomization's dry-runs take longer than its build) every build slot
 * still has the next one ready. kustomize itself runs at most once per core (render/kustomize/kustomize.ts) and
 * every request goes through the client's one connection pool, so more in flight costs no more CPU.
 */
const PARALLEL_KUSTOMIZATIONS = Math.max(8, 4 * os.availableParallelism());

export interface RunFlags extends BuildOptionFlags {
  all?: boolean;
  recursive?: boolean;
  /** --source, the older spelling of --local-sources. */
  source?: string[];
  baseRef?: string;
  clusterPath?: string[];
  concurrency?: string;
  /** --shard K/N (with --all). */
  shard?: string;
}

export function toRunOptions(name: string | undefined, f: RunFlags, namespaceGiven: boolean, kustomize: () => KustomizeBinary, helm: BuildSettings['helm'] = lazyHelm(f.helmBin, process.env, helmChoice(f, process.env))): RunOptions {
  if (!f.path) throw new UsageError('--path DIR is required');
  if (f.clusterPath?.length && !(f.baseRef && f.all)) throw new UsageError('--cluster-path applies to --base-ref --all (with a cluster, --all lists the cluster\'s Kustomizations)');
  if (f.shard !== undefined && !f.all) throw new UsageError('--shard K/N splits the Kustomizations of --all: add --all');
  const shard = f.shard === undefined ? undefined : shardOption(f.shard);
  const selection: Selection = f.all
    ? { mode: 'all', ...(namespaceGiven ? { namespace: f.namespace } : {}) }
    : { mode: 'single', name: name!, namespace: f.namespace, recursive: f.recursive === true };
  return {
    selection,
    path: path.resolve(f.path),
    kustomizationFile: f.kustomizationFile,
    ignoreNotFound: f.ignoreNotFound === true,
    localSources: [...parseLocalSources(f.localSources ?? []), ...parseLocalSources(f.source ?? [], '--source')],
    baseRef: f.baseRef,
    ...(f.clusterPath?.length ? { clusterPaths: f.clusterPath } : {}),
    ...(shard ? { shard } : {}),
    parallel: PARALLEL_KUSTOMIZATIONS,
    build: {
      // kustomize-controller fetches remote resources unless started with --no-remote-bases.
      kustomize: { ...kustomize(), remoteBases: { fetch: f.remoteBases !== false, loopback: process.env.PODO_ALLOW_LOOPBACK_REMOTE === '1' } },
      strictSubstitute: f.strictSubstitute === true,
      sopsAgeKeyFile: f.sopsAgeKeyFile,
      ignorePaths: ignorePathsOf(f.ignorePaths),
      helm,
      cacheDir: f.cacheDir ? path.resolve(f.cacheDir) : defaultCacheDir(process.env),
    },
    cluster: {
      ...connectionSettings(f),
      concurrency: f.concurrency ? parsePositiveInt('--concurrency', f.concurrency) : 16,
      timeoutMs: parseDuration('--timeout', f.timeout),
      impersonate: f.impersonate !== false,
      defaultServiceAccount: f.defaultServiceAccount,
    },
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
export function helmChoice(f: BuildOptionFlags, env: NodeJS.ProcessEnv): HelmChoice {
  return { ...(f.helmVersion ? { major: f.helmVersion === '3' ? 3 : 4 } : {}), cacheDir: f.cacheDir ? path.resolve(f.cacheDir) : defaultCacheDir(env) };
}
