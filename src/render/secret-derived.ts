// Which fields of a rendering depend on a secret value, found by rendering again rather than by
// recognising values: a chart, a kustomize transformer or a substitution operator is a program the pull
// request wrote, and can print a secret in any form (b32enc, upper, a fragment). The render runs once
// with the real inputs and twice more with stand-ins for every secret input (render/standins below);
// the stand-ins depend only on where a secret comes from, never on its value. A field whose value is
// not the same in all three renderings depends on a secret and is only ever shown masked; every other
// field equals what the stand-in renderings hold, so nothing printed depends on a secret value.
// Two stand-in renderings of different lengths, letters and booleans catch what one could miss by
// chance (a length, a prefix, a flag the real value happens to share with one stand-in).
import { createHash } from 'node:crypto';
import { isDeepStrictEqual } from 'node:util';
import { identityKey, isJsonObject, refOf, type FieldPath, type JsonObject, type JsonValue, type KubeObject } from '../model/object.js';

/** 0: the real inputs; 1 and 2: the two stand-in renderings. */
export type RenderVariant = 0 | 1 | 2;
export type ShadowVariant = 1 | 2;

const ALPHABET = 'abcdefghijklmnopqrstuvwxyz234567';

/**
 * The stand-in for one secret value, named by where it comes from (`Secret/ns/name/key`, a SOPS file
 * and the path of the value in it). Letters and digits only, starting with letters: a stand-in never
 * breaks the YAML it is substituted into, and never reads as a number or a boolean.
 */
export function standIn(identity: string, variant: ShadowVariant): string {
  const digest = createHash('sha256').update(`${variant}\u0000${identity}`).digest();
  const n = variant === 1 ? 16 : 29;
  let out = '';
  for (let i = 0; i < n; i++) out += ALPHABET[digest[i % digest.length] % 32];
  return variant === 1 ? `pd${out}` : `QX${out.toUpperCase()}`;
}

/** Stand-ins for a typed value: a number and a boolean differ between the two variants too. */
export function standInScalar(value: string | number | boolean | null, identity: string, variant: ShadowVariant): string | number | boolean | null {
  if (value === null) return null;
  if (typeof value === 'boolean') return variant === 1;
  if (typeof value === 'number') return Number.isInteger(value) ? (variant === 1 ? 7340033 : 12) : variant === 1 ? 0.5 : 31.25;
  return standIn(identity, variant);
}

/**
 * A tree of values (a values document kept in a Secret) with every leaf replaced: keys and shape are
 * configuration, not secrets, and are kept so that the chart sees the same structure.
 */
export function standInTree(value: JsonValue, identity: string, variant: ShadowVariant): JsonValue {
  if (Array.isArray(value)) return value.map((v, i) => standInTree(v, `${identity}[${i}]`, variant));
  if (isJsonObject(value)) {
    const out: JsonObject = {};
    for (const [k, v] of Object.entries(value)) out[k] = standInTree(v, `${identity}.${k}`, variant);
    return out;
  }
  return standInScalar(value, identity, variant);
}

/**
 * The fields of `real` whose values are not the same in every stand-in rendering of the same object.
 * A key present in only some renderings, or lists of different lengths, mark the whole field.
 */
export function secretDerivedPaths(real: KubeObject, shadows: KubeObject[]): FieldPath[] {
  const out: FieldPath[] = [];
  walk([real, ...shadows] as JsonValue[], [], out);
  return out;
}

function walk(values: JsonValue[], path: FieldPath, out: FieldPath[]): void {
  if (values.every(isJsonObject)) {
    const maps = values as JsonObject[];
    const keys = new Set(maps.flatMap((m) => Object.keys(m)));
    for (const k of keys) {
      if (maps.every((m) => k in m)) walk(maps.map((m) => m[k]), [...path, k], out);
      else out.push([...path, k]);
    }
    return;
  }
  if (values.every(Array.isArray)) {
    const lists = values as JsonValue[][];
    if (lists.every((l) => l.length === lists[0].length)) {
      lists[0].forEach((item, index) => {
        const name = isJsonObject(item) && typeof item.name === 'string' ? item.name : undefined;
        walk(lists.map((l) => l[index]), [...path, name === undefined ? { index } : { index, name }], out);
      });
      return;
    }
  }
  if (!values.every((v) => isDeepStrictEqual(v, values[0]))) out.push(path);
}

export interface Separated<T> {
  /**
   * The real objects, each with the paths that depend on a secret (none: nothing does), and the name to
   * show when only kustomize's generator hash suffix depends on one (a hash of a secret's content).
   */
  objects: { item: T; secretPaths: FieldPath[]; shownName?: string }[];
  /** Real objects that some stand-in rendering does not produce (their identity or existence depends on a secret). */
  unstable: T[];
}

/** kustomize's generator name suffix: `-` and ten characters of a hash of the generated object's content. */
const HASH_SUFFIX = /-[0-9a-z]{10}$/;
export const HIDDEN_SUFFIX = '-**********';

function unhashedKey(o: KubeObject): string | undefined {
  const name = o.metadata.name;
  return HASH_SUFFIX.test(name) ? identityKey({ ...refOf(o), name: name.replace(HASH_SUFFIX, HIDDEN_SUFFIX) }) : undefined;
}

/** Matches each real object with its stand-in renderings by identity, and finds what depends on a secret. */
export function separate<T>(real: T[], shadows: KubeObject[][], objectOf: (t: T) => KubeObject): Separated<T> {
  const byId = shadows.map((list) => new Map(list.map((o) => [identityKey(refOf(o)), o])));
  const byUnhashed = shadows.map((list) => {
    const m = new Map<string, KubeObject | null>();
    // Two objects with the same name but for the suffix cannot be told apart: neither matches.
    for (const o of list) {
      const k = unhashedKey(o);
      if (k) m.set(k, m.has(k) ? null : o);
    }
    return m;
  });
  const out: Separated<T> = { objects: [], unstable: [] };
  for (const item of real) {
    const obj = objectOf(item);
    const key = identityKey(refOf(obj));
    const twins = byId.map((m) => m.get(key));
    if (twins.every((t) => t !== undefined)) {
      out.objects.push({ item, secretPaths: secretDerivedPaths(obj, twins as KubeObject[]) });
      continue;
    }
    // A generated Secret (or what names it) whose content depends on a secret: the same object, its hash
    // suffix aside. The suffix is not shown; the fields that name it are secret-derived like any other.
    const loose = unhashedKey(obj);
    const hashed = loose ? byUnhashed.map((m) => m.get(loose)) : [];
    if (loose && hashed.every((t) => t)) {
      const named = hashed.map((t) => ({ ...t!, metadata: { ...t!.metadata, name: obj.metadata.name } }));
      out.objects.push({ item, secretPaths: secretDerivedPaths(obj, named), shownName: obj.metadata.name.replace(HASH_SUFFIX, HIDDEN_SUFFIX) });
    } else out.unstable.push(item);
  }
  return out;
}
