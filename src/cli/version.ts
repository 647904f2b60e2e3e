// `podo --version`: podo's version, and the helm a run would render charts with (PODO_HELM, PATH, the
// npm helms; Helm 4 unless a cluster's helm-controller says otherwise), so a bug report says both.
import { readFileSync } from 'node:fs';
import { describeHelm, findHelm, isHelm } from '../render/helm/binary.js';
import { oneLineMessage } from '../model/errors.js';
import { defaultCacheDir } from '../render/helm/binary.js';

export function podoVersion(): string {
  const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };
  return pkg.version;
}

export async function versionText(env: NodeJS.ProcessEnv): Promise<string> {
  let helm: string;
  try {
    const h = await findHelm(undefined, env, { cacheDir: defaultCacheDir(env) });
    helm = isHelm(h) ? describeHelm(h) : `none (${h.missing})`;
  } catch (err) {
    helm = `none (${oneLineMessage(err)})`;
  }
  return `${podoVersion()}\nhelm: ${helm}\n`;
}
