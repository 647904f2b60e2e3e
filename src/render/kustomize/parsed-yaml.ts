// The YAML of kustomization files and plugin configs, parsed once per text: the kustomization file of a
// shared base or component is read by every Kustomization's closure walk and boundary check, and
// parsing is most of their time.
import { parseAllDocuments } from 'yaml';
import { isJsonObject, type JsonObject, type JsonValue } from '../../model/object.js';

const parsedTexts = new Map<string, readonly JsonValue[] | 'invalid'>();
const PARSE_CACHE_ENTRIES = 512;
const PARSE_CACHE_TEXT = 64 * 1024;

/**
 * Every document of TEXT as a plain value (null when empty), or 'invalid'. Frozen, as callers share it;
 * only read, never changed. Texts are guarded against YAML bombs before they get here (guardYaml).
 */
export function documentsOf(text: string): readonly JsonValue[] | 'invalid' {
  const known = parsedTexts.get(text);
  if (known) return known;
  let docs: readonly JsonValue[] | 'invalid' = [];
  const values: JsonValue[] = [];
  for (const doc of parseAllDocuments(text)) {
    if (doc.errors.length > 0) {
      docs = 'invalid';
      break;
    }
    values.push(deepFreeze((doc.toJS({ maxAliasCount: -1 }) ?? null) as JsonValue));
  }
  if (docs !== 'invalid') docs = Object.freeze(values);
  if (text.length <= PARSE_CACHE_TEXT) {
    if (parsedTexts.size >= PARSE_CACHE_ENTRIES) parsedTexts.clear();
    parsedTexts.set(text, docs);
  }
  return docs;
}

/** The maps among TEXT's documents; undefined when TEXT is not valid YAML. */
export function loadDocs(text: string): JsonObject[] | undefined {
  const docs = documentsOf(text);
  return docs === 'invalid' ? undefined : docs.filter(isJsonObject);
}

function deepFreeze<T extends JsonValue>(v: T): T {
  if (v !== null && typeof v === 'object') {
    for (const x of Object.values(v)) deepFreeze(x as JsonValue);
    Object.freeze(v);
  }
  return v;
}
