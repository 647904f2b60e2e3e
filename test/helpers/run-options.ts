// RunOptions for an in-process `--all --base-ref HEAD` run of pipeline/run.ts, as the CLI would make them:
// the real kustomize, this process's environment, and a helm the caller chooses.
import type { BuildSettings, RunOptions } from '../../src/model/settings.js';
import { findKustomize } from '../../src/render/kustomize/kustomize.js';

export function baseRefRun(repo: string, build: Partial<BuildSettings> & Pick<BuildSettings, 'helm'>, buildAll?: boolean): RunOptions {
  return {
    selection: { mode: 'all' },
    path: repo,
    baseRef: 'HEAD',
    ignoreNotFound: false,
    localSources: [],
    parallel: 4,
    ...(buildAll !== undefined ? { buildAll } : {}),
    build: { kustomize: findKustomize(undefined, process.env), strictSubstitute: false, ignorePaths: [], env: process.env, ...build },
    cluster: { concurrency: 4, timeoutMs: 60_000, impersonate: true, env: process.env },
  };
}
