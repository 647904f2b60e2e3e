// `podo build`: the final multi-document YAML. The objects arrive with Secret values already masked
// (cli/build-command.ts): report/ never sees anything else.
import { stringify } from 'yaml';
import type { KubeObject } from '../model/object.js';

/** `comments[i]`, when set, is written as `# ...` lines above object i (e.g. the HelmRelease a chart object comes from). */
export function renderManifests(objects: KubeObject[], comments: (string | undefined)[] = []): string {
  return objects
    .map((o, i) => {
      const c = comments[i] ? `${comments[i]!.split('\n').map((l) => `# ${l}`).join('\n')}\n` : '';
      return `---\n${c}${stringify(o, { lineWidth: 0, version: '1.1' })}`;
    })
    .join('');
}
