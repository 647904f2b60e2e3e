// Secret values never leave podo: both sides are masked before anything is compared or rendered.
// Equal values become `***`; changed ones `*** (before)` / `*** (after)`, so the diff still shows
// that a value changed, never what it is.
import { isDeepStrictEqual } from 'node:util';
import { isJsonObject, isSecret, type FieldPath, type JsonObject, type JsonValue, type KubeObject } from '../model/object.js';
import { secrets } from '../model/secrets.js';

const LAST_APPLIED = 'kubectl.kubernetes.io/last-applied-configuration';

export const MASK = '***';
export const MASK_BEFORE = '*** (before)';
export const MASK_AFTER = '*** (after)';
/** A value podo cannot know (a SOPS file it could not decrypt): only key sets are compared. */
export const MASK_UNKNOWN = '*****';
/** A field whose value depends on a secret (render/secret-derived.ts): the same on both sides, or changed. */
export const MASK_DERIVED = '*** (secret-derived)';
export const MASK_DERIVED_CHANGED = '*** (secret-derived, changed)';

const VALUE_FIELDS = ['data', 'stringData'] as const;

export interface MaskedPair {
  before?: KubeObject;
  after?: KubeObject;
}

/**
 * Masks the values of a Secret on either or both sides. Non-Secrets are returned unchanged.
 * With `valuesUnknown`, the local values are unknown: every value shows as `*****`.
 */
export function maskSecrets(before: KubeObject | undefined, after: KubeObject | undefined, valuesUnknown = false, secretPaths?: FieldPath[]): MaskedPair {
  const subject = after ?? before;
  if (!subject) return { before, after };
  const derived = secretPaths && secretPaths.length > 0 ? maskSecretPaths(before, after, secretPaths) : { before, after };
  if (!isSecret(subject)) return maskSecretLeaves(derived.before, derived.after);
  const masked = maskSecretFields(derived.before, derived.after, valuesUnknown);
  return maskSecretLeaves(masked.before, masked.after);
}

/**
 * Masks the fields that depend on a secret, on both sides: the live (or base) value there was made from
 * the same secret. A field equal on both sides reads `*** (secret-derived)` on both (no change); one that
 * differs reads `*** (secret-derived)` → `*** (secret-derived, changed)`. Identity fields stay.
 */
export function maskSecretPaths(before: KubeObject | undefined, after: KubeObject | undefined, paths: FieldPath[]): MaskedPair {
  const b = before ? structuredClone(before) : undefined;
  const a = after ? structuredClone(after) : undefined;
  for (const p of expandWhole(paths, [b, a])) {
    const bs = locate(b, p);
    const as = locate(a, p);
    const same = bs !== undefined && as !== undefined && isDeepStrictEqual(bs.get(), as.get());
    bs?.set(MASK_DERIVED);
    as?.set(same || !bs ? MASK_DERIVED : MASK_DERIVED_CHANGED);
  }
  return { before: b, after: a };
}

/** The empty path (the whole object): every field but the identity, on whichever side has it. */
function expandWhole(paths: FieldPath[], sides: (KubeObject | undefined)[]): FieldPath[] {
  if (!paths.some((p) => p.length === 0)) return paths;
  const out: FieldPath[] = paths.filter((p) => p.length > 0);
  const keys = new Set<string>();
  const meta = new Set<string>();
  for (const o of sides) {
    if (!o) continue;
    for (const k of Object.keys(o)) if (k !== 'apiVersion' && k !== 'kind' && k !== 'metadata') keys.add(k);
    if (isJsonObject(o.metadata)) for (const k of Object.keys(o.metadata)) if (k !== 'name' && k !== 'namespace') meta.add(k);
  }
  for (const k of keys) out.push([k]);
  for (const k of meta) out.push(['metadata', k]);
  return out;
}

interface Slot {
  get(): JsonValue;
  set(v: JsonValue): void;
}

/** The field at `path` in `obj`; a list item is found by its `name` first (a merge may move it), else by index. */
function locate(obj: KubeObject | undefined, path: FieldPath): Slot | undefined {
  if (!obj || path.length === 0) return undefined;
  let cur: JsonValue = obj;
  for (let i = 0; i < path.length; i++) {
    const seg = path[i];
    const last = i === path.length - 1;
    if (typeof seg === 'string') {
      if (!isJsonObject(cur) || !(seg in cur)) return undefined;
      if (last) {
        const holder = cur;
        return { get: () => holder[seg], set: (v) => (holder[seg] = v) };
      }
      cur = cur[seg];
    } else {
      if (!Array.isArray(cur)) return undefined;
      const list: JsonValue[] = cur;
      let idx = seg.name !== undefined ? list.findIndex((x) => isJsonObject(x) && x.name === seg.name) : -1;
      if (idx < 0) idx = seg.index;
      if (idx >= list.length) return undefined;
      if (last) return { get: () => list[idx], set: (v) => (list[idx] = v) };
      cur = list[idx];
    }
  }
  return undefined;
}

function maskSecretFields(before: KubeObject | undefined, after: KubeObject | undefined, valuesUnknown: boolean): MaskedPair {
  const b = before ? structuredClone(before) : undefined;
  const a = after ? structuredClone(after) : undefined;
  for (const field of VALUE_FIELDS) {
    const bv = b && isJsonObject(b[field]) ? (b[field] as JsonObject) : undefined;
    const av = a && isJsonObject(a[field]) ? (a[field] as JsonObject) : undefined;
    if (bv) {
      for (const k of Object.keys(bv)) {
        bv[k] = valuesUnknown ? MASK_UNKNOWN : av && k in av && av[k] !== bv[k] ? MASK_BEFORE : MASK;
      }
    }
    if (av) {
      for (const k of Object.keys(av)) {
        const old = before && isJsonObject(before[field]) ? (before[field] as JsonObject)[k] : undefined;
        av[k] = valuesUnknown ? MASK_UNKNOWN : old !== undefined && old !== av[k] ? MASK_AFTER : MASK;
      }
    }
    // Values that are not strings or maps of strings (malformed input) are masked as a whole.
    if (b && b[field] !== undefined && !isJsonObject(b[field])) b[field] = MASK;
    if (a && a[field] !== undefined && !isJsonObject(a[field])) a[field] = MASK;
  }
  // kubectl apply keeps the whole Secret, values included, in this annotation.
  for (const o of [b, a]) {
    const ann = o && isJsonObject(o.metadata.annotations) ? o.metadata.annotations : undefined;
    if (ann && typeof ann[LAST_APPLIED] === 'string') ann[LAST_APPLIED] = MASK;
  }
  return { before: b, after: a };
}

/**
 * Any other field whose value holds a secret the run has seen (a value decrypted from SOPS into a
 * ConfigMap, one substituted from a Secret, a live Secret's value copied elsewhere) is masked as a
 * whole, on both sides, so that a change still shows as `*** (before)` → `*** (after)`. Identity
 * fields stay: an object is always named.
 */
function maskSecretLeaves(before: KubeObject | undefined, after: KubeObject | undefined): MaskedPair {
  if (secrets.size === 0) return { before, after };
  const holds = (v: JsonValue | undefined) => typeof v === 'string' && secrets.holdsSecret(v);
  const anyLeaf = (v: JsonValue | undefined): boolean =>
    holds(v) || (Array.isArray(v) ? v.some(anyLeaf) : isJsonObject(v) ? Object.values(v).some(anyLeaf) : false);
  if (!anyLeaf(before as JsonValue | undefined) && !anyLeaf(after as JsonValue | undefined)) return { before, after };
  const b = before ? (structuredClone(before) as JsonObject) : undefined;
  const a = after ? (structuredClone(after) as JsonObject) : undefined;
  const walk = (bv: JsonValue | undefined, av: JsonValue | undefined, path: string[], set: (side: 'b' | 'a', v: JsonValue) => void) => {
    if (isIdentity(path)) return;
    if (holds(bv) || holds(av)) {
      const changed = bv !== undefined && av !== undefined && bv !== av;
      if (bv !== undefined && holds(bv)) set('b', changed ? MASK_BEFORE : MASK);
      if (av !== undefined && holds(av)) set('a', changed ? MASK_AFTER : MASK);
      if (bv !== undefined && !holds(bv) && changed) set('b', MASK_BEFORE);
      if (av !== undefined && !holds(av) && changed) set('a', MASK_AFTER);
      return;
    }
    if (isJsonObject(bv) || isJsonObject(av)) {
      const bo = isJsonObject(bv) ? bv : undefined;
      const ao = isJsonObject(av) ? av : undefined;
      for (const k of new Set([...Object.keys(bo ?? {}), ...Object.keys(ao ?? {})])) {
        walk(bo?.[k], ao?.[k], [...path, k], (side, v) => {
          const target = side === 'b' ? bo : ao;
          if (target) target[k] = v;
        });
      }
    } else if (Array.isArray(bv) || Array.isArray(av)) {
      const ba = Array.isArray(bv) ? bv : undefined;
      const aa = Array.isArray(av) ? av : undefined;
      const n = Math.max(ba?.length ?? 0, aa?.length ?? 0);
      for (let i = 0; i < n; i++) {
        walk(ba?.[i], aa?.[i], [...path, String(i)], (side, v) => {
          const target = side === 'b' ? ba : aa;
          if (target && i < target.length) target[i] = v;
        });
      }
    }
  };
  walk(b, a, [], () => undefined);
  return { before: b as KubeObject | undefined, after: a as KubeObject | undefined };
}

function isIdentity(path: string[]): boolean {
  if (path.length === 1) return path[0] === 'apiVersion' || path[0] === 'kind';
  return path.length === 2 && path[0] === 'metadata' && (path[1] === 'name' || path[1] === 'namespace');
}
