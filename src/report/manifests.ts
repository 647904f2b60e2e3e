// `podo build`: the final multi-document YAML. The objects arrive with Secret values already masked
// (cli/build-command.ts): report/ never sees anything else.
import { stringify } from 'yaml';
import type { KubeObject } from '../model/object.js';

export function renderManifests(objects: KubeObject[]): string {
  return objects.map((o) => `---\n${stringify(o, { lineWidth: 0, version: '1.1' })}`).join('');
}
