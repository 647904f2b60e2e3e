// Values as helm-controller composes them (fluxcd/pkg chartutil.ChartValuesFromReferences): each
// valuesFrom in order merged over the previous ones, a targetPath entry set with Helm's `--set` typing,
// spec.values merged last. Chart defaults come underneath inside helm itself.
import { parse as parseYaml } from 'yaml';
import { isJsonObject, type JsonObject, type JsonValue } from '../../model/object.js';
import type { HelmReleaseSpec, ValuesReference } from '../../model/helm.js';
import { BuildError } from '../../model/errors.js';

/** A ConfigMap's or Secret's entries as strings (Secret values decoded), or why they cannot be had. */
export type KeyValues = { entries: Record<string, string> } | { absent: true } | { unavailable: string };

export type ReadKeyValues = (kind: 'ConfigMap' | 'Secret', name: string, namespace: string) => Promise<KeyValues>;

/** Applies one `targetPath=value` with helm's strvals (runs helm: its parser is the reference). */
export type SetPath = (values: JsonObject, path: string, value: string, mode: 'typed' | 'string' | 'literal') => Promise<JsonObject>;

export interface ComposedValues {
  values: JsonObject;
  notes: string[];
  /** Every value read from a Secret: to be masked wherever it might surface. */
  secretValues: string[];
}

/** fluxcd/pkg chartutil.MergeMaps: b over a; maps merge recursively, anything else replaces. */
export function mergeMaps(a: JsonObject, b: JsonObject): JsonObject {
  const out: JsonObject = { ...a };
  for (const [k, v] of Object.entries(b)) {
    const cur = out[k];
    out[k] = isJsonObject(v) && isJsonObject(cur) ? mergeMaps(cur, v) : v;
  }
  return out;
}

/** Helm reads values files with sigs.k8s.io/yaml (go-yaml v2: YAML 1.1 booleans such as `yes`). */
export function readValuesYaml(text: string, where: string): JsonObject {
  let v: unknown;
  try {
    v = parseYaml(text, { version: '1.1', maxAliasCount: 1000 });
  } catch (err) {
    throw new BuildError(`${where}: invalid YAML: ${(err as Error).message.split('\n')[0]}`);
  }
  if (v === null || v === undefined) return {};
  if (!isJsonObject(v)) throw new BuildError(`${where}: values are not a map`);
  return v as JsonObject;
}

/** Leaf strings and numbers of a values tree (for the secret registry). */
export function leafValues(v: JsonValue, out: string[] = []): string[] {
  if (typeof v === 'string') out.push(v);
  else if (typeof v === "number") out.push(String(v));
  else if (Array.isArray(v)) for (const x of v) leafValues(x, out);
  else if (isJsonObject(v)) for (const x of Object.values(v)) leafValues(x, out);
  return out;
}

function refName(hr: HelmReleaseSpec, ref: ValuesReference): string {
  return `${ref.kind} ${hr.namespace}/${ref.name}`;
}

export async function composeValues(hr: HelmReleaseSpec, read: ReadKeyValues, setPath: SetPath): Promise<ComposedValues> {
  const notes: string[] = [];
  const secretValues: string[] = [];
  const where = `HelmRelease ${hr.namespace}/${hr.name}`;
  let result: JsonObject = {};
  const cache = new Map<string, KeyValues>();
  for (const ref of hr.valuesFrom) {
    const key = `${ref.kind}/${ref.name}`;
    let kv = cache.get(key);
    if (!kv) {
      kv = await read(ref.kind, ref.name, hr.namespace);
      cache.set(key, kv);
    }
    if ('unavailable' in kv) {
      notes.push(`${where}: valuesFrom ${refName(hr, ref)} not read (${kv.unavailable}): rendered without it`);
      continue;
    }
    if ('absent' in kv) {
      if (ref.optional) continue;
      throw new BuildError(`${where}: valuesFrom ${refName(hr, ref)} not found (helm-controller would not reconcile it)`);
    }
    const data = kv.entries[ref.valuesKey];
    if (data === undefined) {
      if (ref.optional) continue;
      throw new BuildError(`${where}: valuesFrom ${refName(hr, ref)} has no key ${ref.valuesKey} (helm-controller would not reconcile it)`);
    }
    if (ref.kind === 'Secret') secretValues.push(data);
    if (ref.targetPath) {
      result = mergeMaps(result, hr.values);
      // Quoted values go through ParseIntoString (kept as strings), as chartutil.ReplacePathValue does.
      const quoted = /^'.*'$|^".*"$/s.test(data);
      const value = quoted ? data.replace(/^['"]+|['"]+$/g, '') : data;
      result = await setPath(result, ref.targetPath, value, ref.literal ? 'literal' : quoted ? 'string' : 'typed');
      continue;
    }
    const parsed = readValuesYaml(data, `${where}: valuesFrom ${refName(hr, ref)} key ${ref.valuesKey}`);
    if (ref.kind === 'Secret') leafValues(parsed, secretValues);
    result = mergeMaps(result, parsed);
  }
  return { values: mergeMaps(result, hr.values), notes, secretValues: secretValues.filter((s) => s.length > 0) };
}
