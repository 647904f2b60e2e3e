// Multi-document YAML ↔ plain JSON objects, keeping YAML types exactly as kustomize emitted them.
import { parseAllDocuments, stringify } from 'yaml';
import { CORE_SCHEMA, loadAll } from 'js-yaml';
import { BuildError } from '../model/errors.js';
import { isJsonObject, type KubeObject } from '../model/object.js';

export function parseObjects(text: string, source: string): KubeObject[] {
  const out: KubeObject[] = [];
  for (const doc of parseAllDocuments(text, { uniqueKeys: false })) {
    if (doc.errors.length > 0) throw new BuildError(`${source}: invalid YAML: ${doc.errors[0].message.split('\n')[0]}`, source);
    const v: unknown = doc.toJS({ maxAliasCount: 1000 });
    if (v === null || v === undefined) continue;
    out.push(asObject(v, source));
  }
  return out;
}

/**
 * kustomize's own output: well-formed by construction and possibly thousands of documents, so it goes
 * through js-yaml (about 10× faster than `yaml` here). The core schema keeps timestamps as strings.
 */
export function parseKustomizeOutput(text: string, source: string): KubeObject[] {
  const out: KubeObject[] = [];
  let docs: unknown[];
  try {
    docs = loadAll(text, undefined, { schema: CORE_SCHEMA }) as unknown[];
  } catch (err) {
    throw new BuildError(`${source}: invalid YAML: ${(err as Error).message.split('\n')[0]}`, source);
  }
  for (const v of docs) if (v !== null && v !== undefined) out.push(asObject(v, source));
  return out;
}

export function asObject(v: unknown, source: string): KubeObject {
  if (!isJsonObject(v)) throw new BuildError(`${source}: a document is not a map`, source);
  const meta = v.metadata;
  if (typeof v.apiVersion !== 'string' || typeof v.kind !== 'string' || !isJsonObject(meta) || typeof meta.name !== 'string') {
    throw new BuildError(`${source}: an object without apiVersion, kind or metadata.name`, source);
  }
  return v as KubeObject;
}

export function toYaml(obj: unknown): string {
  return stringify(obj, { lineWidth: 0, aliasDuplicateObjects: false });
}
