// The one walk of kustomize's reference graph: the references a kustomization makes, field by field
// (kustomization-fields.ts), handed to a consumer that resolves them in its own tree: the boundary
// check of the workspace copy (boundary-check.ts) and the closure of the user's tree
// (reference-closure.ts). Only references are inspected; building stays with real kustomize.
import { statSync } from 'node:fs';
import path from 'node:path';
import type { JsonObject } from '../../model/object.js';
import { isInline, KUSTOMIZATION_FIELDS, type Reading } from './kustomization-fields.js';

export const KUSTOMIZATION_FILES = ['kustomization.yaml', 'kustomization.yml', 'Kustomization'];

/** The kustomization file kustomize would load from DIR, if any. */
export function kustomizationFileIn(dir: string): string | undefined {
  for (const name of KUSTOMIZATION_FILES) {
    const p = path.join(dir, name);
    try {
      if (!statSync(p).isDirectory()) return p;
    } catch {
      /* not there */
    }
  }
  return undefined;
}

/**
 * One reference, relative to the kustomization's directory: `kustomization` is a file or a
 * kustomization directory (or a remote target), `file` a file, `plugin-configs` a file of plugin
 * configs (or a directory that is a kustomization of them).
 */
export interface Reference {
  field: string;
  entry: string;
  role: 'kustomization' | 'file' | 'plugin-configs';
}

/** A consumer's answer to a `plugin-configs` reference: the configs the file holds, FILE naming them in complaints. */
export interface PluginConfigs {
  configs: JsonObject[];
  file: string;
}

/**
 * The references of the kustomization K (read from FILE), in kustomize's field order, read the way
 * READING says. A `plugin-configs` reference is answered (through `next`) with the configs the consumer
 * read from it, whose file references follow; nothing when it read none.
 */
export function* referencesIn(k: JsonObject, file: string, reading: Reading): Generator<Reference, void, PluginConfigs | undefined> {
  for (const [field, role] of Object.entries(KUSTOMIZATION_FIELDS)) {
    const v = k[field];
    switch (role) {
      case 'kustomizations':
        for (const entry of reading.list(v, file, field)) yield { field, entry, role: 'kustomization' };
        break;
      case 'files':
        for (const entry of reading.list(v, file, field)) yield { field, entry, role: 'file' };
        break;
      case 'files-or-inline':
        for (const entry of reading.list(v, file, field)) if (!isInline(entry)) yield { field, entry, role: 'file' };
        break;
      case 'path-of-each':
        for (const p of reading.maps(v, file, field)) for (const entry of reading.path(p.path, file, field)) yield { field, entry, role: 'file' };
        break;
      case 'generator-sources':
        for (const g of reading.maps(v, file, field)) for (const entry of reading.generatorSources(g, file)) yield { field, entry, role: 'file' };
        break;
      case 'openapi': {
        const m = reading.map(v, file, field);
        if (m) for (const entry of reading.path(m.path, file, `${field}.path`)) yield { field, entry, role: 'file' };
        break;
      }
      case 'plugin-configs':
        for (const entry of reading.list(v, file, field)) {
          const found: PluginConfigs | undefined = isInline(entry)
            ? { configs: reading.inlineConfigs(entry, file, field), file }
            : yield { field, entry, role: 'plugin-configs' };
          if (!found) continue;
          for (const cfg of found.configs) for (const p of reading.pluginFiles(cfg, found.file)) yield { field, entry: p, role: 'file' };
        }
        break;
      case 'plain':
      case 'helm':
        break;
    }
  }
}
