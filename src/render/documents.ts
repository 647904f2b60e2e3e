// Multi-document YAML ↔ plain JSON objects, keeping YAML types exactly as kustomize emitted them.
import { parseAllDocuments, stringify } from 'yaml';
import { CORE_SCHEMA, loadAll } from 'js-yaml';
import { BuildError } from '../model/errors.js';
import { isJsonObject, type KubeObject } from '../model/object.js';

/** Larger YAML files than this are refused, naming the file: a pull request must not exhaust the runner. */
export const MAX_YAML_BYTES = 32 << 20;
/** The `yaml` library's measure of alias expansion: far beyond any real manifest, far below a bomb. */
const MAX_ALIAS_COUNT = 10_000;

/** A YAML bomb (exponential alias expansion) or an oversized file. */
export class YamlLimitError extends BuildError {}

export function bombError(file: string): YamlLimitError {
  return new YamlLimitError(`${file}: refused: its YAML aliases expand exponentially (a YAML bomb)`, file);
}

export function tooLargeError(file: string, bytes: number): YamlLimitError {
  return new YamlLimitError(`${file}: refused: ${(bytes / (1 << 20)).toFixed(1)} MiB is more than podo reads from one file (${MAX_YAML_BYTES >> 20} MiB)`, file);
}

/**
 * Refuses YAML text that is too large or whose aliases expand exponentially, before any tool (or
 * podo's own parsers) expands it. Cheap when there are no aliases, which is nearly always.
 */
export function guardYaml(text: string, file: string): void {
  if (text.length > MAX_YAML_BYTES) throw tooLargeError(file, text.length);
  if (!text.includes('*') || !text.includes('&')) return;
  for (const doc of parseAllDocuments(text, { uniqueKeys: false })) {
    if (doc.errors.length > 0) continue; // invalid YAML is reported by whoever parses it for real
    try {
      doc.toJS({ maxAliasCount: MAX_ALIAS_COUNT });
    } catch (err) {
      if (/alias/i.test((err as Error).message)) throw bombError(file);
    }
  }
}

/** A message of the `yaml` library as podo's own words: the first line, without the library's advice. */
export function yamlProblem(err: { message: string }): string {
  return err.message.split('\n')[0].replace(/;?\s*please use \S+/i, '').replace(/\s+$/, '');
}

export function parseObjects(text: string, source: string): KubeObject[] {
  const out: KubeObject[] = [];
  guardYaml(text, source);
  for (const doc of parseAllDocuments(text, { uniqueKeys: false })) {
    if (doc.errors.length > 0) throw new BuildError(`${source}: invalid YAML: ${yamlProblem(doc.errors[0])}`, source);
    let v: unknown;
    try {
      v = doc.toJS({ maxAliasCount: MAX_ALIAS_COUNT });
    } catch {
      throw bombError(source);
    }
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
    throw new BuildError(`${source}: invalid YAML: ${yamlProblem(err as Error)}`, source);
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
