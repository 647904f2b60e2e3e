// `podo build`: the final multi-document YAML, Secret values masked.
import { stringify } from 'yaml';
import type { KubeObject } from '../model/object.js';
import { maskSecrets } from '../diff/mask.js';

export function renderManifests(objects: KubeObject[]): string {
  return objects
    .map((o) => stringify(maskSecrets(undefined, o).after, { lineWidth: 0, version: '1.1' }))
    .map((doc) => `---\n${doc}`)
    .join('');
}
