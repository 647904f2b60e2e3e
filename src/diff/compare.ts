// Structural, dyff-style comparison of two JSON documents into FieldChanges.
// Pure and deterministic: the result depends only on the two values, never on hashing or map iteration quirks.
import type { JsonObject, JsonValue } from '../model/object.js';
import { isJsonObject, typeName } from '../model/object.js';
import type { FieldChange } from '../model/change.js';

/**
 * Fields that identify a list item, tried in this order (dyff's defaults, plus `manager` for the
 * managedFields-like lists of Kubernetes). A field is used only when every item of both lists has it
 * as a string or number and its values are unique within each list.
 */
const IDENTIFIERS = ['name', 'key', 'id', 'manager'] as const;

type Identity = string | number;

/**
 * Compare `before` with `after` and list what changed, in document order: keys in the order of `after`,
 * changes found below a key before the grouped removals/additions of its parent.
 */
export function compareObjects(before: JsonValue, after: JsonValue): FieldChange[] {
  const out: FieldChange[] = [];
  compareValues([], before, after, out);
  return out;
}

export { typeName };

/** Deep equality of JSON values; map key order does not matter, list order does. */
export function jsonEqual(a: JsonValue, b: JsonValue): boolean {
  if (a === b) return true;
  if (Array.isArray(a) || Array.isArray(b)) {
    if (!Array.isArray(a) || !Array.isArray(b) || a.length !== b.length) return false;
    return a.every((item, i) => jsonEqual(item, b[i]));
  }
  if (isJsonObject(a) && isJsonObject(b)) {
    const keys = Object.keys(a);
    if (keys.length !== Object.keys(b).length) return false;
    return keys.every((k) => Object.hasOwn(b, k) && jsonEqual(a[k], b[k]));
  }
  return false;
}

function compareValues(path: string[], before: JsonValue, after: JsonValue, out: FieldChange[]): void {
  const fromType = typeName(before);
  const toType = typeName(after);
  if (fromType !== toType) {
    out.push({ path, kind: 'type', from: before, to: after });
  } else if (fromType === 'map') {
    compareMaps(path, before as JsonObject, after as JsonObject, out);
  } else if (fromType === 'list') {
    compareLists(path, before as JsonValue[], after as JsonValue[], out);
  } else if (before !== after) {
    out.push({ path, kind: 'modify', from: before, to: after });
  }
}

function compareMaps(path: string[], before: JsonObject, after: JsonObject, out: FieldChange[]): void {
  const added: JsonObject = {};
  for (const [key, value] of Object.entries(after)) {
    if (Object.hasOwn(before, key)) compareValues([...path, key], before[key], value, out);
    else added[key] = value;
  }
  const removed: JsonObject = {};
  for (const [key, value] of Object.entries(before)) {
    if (!Object.hasOwn(after, key)) removed[key] = value;
  }
  // Removals before additions, so a renamed key reads like a diff: `-` then `+`.
  if (Object.keys(removed).length > 0) out.push({ path, kind: 'remove', from: removed });
  if (Object.keys(added).length > 0) out.push({ path, kind: 'add', to: added });
}

function compareLists(path: string[], before: JsonValue[], after: JsonValue[], out: FieldChange[]): void {
  const field = identifierOf(before, after);
  if (field) compareByIdentity(path, field, before as JsonObject[], after as JsonObject[], out);
  else compareByIndex(path, before, after, out);
}

/** The first identifier field that is present, a string or number, and unique in every item of both lists. */
function identifierOf(before: JsonValue[], after: JsonValue[]): string | undefined {
  if (before.length === 0 && after.length === 0) return undefined;
  return IDENTIFIERS.find((field) => isUniqueIdentifier(before, field) && isUniqueIdentifier(after, field));
}

function isUniqueIdentifier(items: JsonValue[], field: string): boolean {
  const seen = new Set<Identity>();
  for (const item of items) {
    if (!isJsonObject(item)) return false;
    const id = item[field];
    if (typeof id !== 'string' && typeof id !== 'number') return false;
    if (seen.has(id)) return false;
    seen.add(id);
  }
  return true;
}

function compareByIdentity(
  path: string[],
  field: string,
  before: JsonObject[],
  after: JsonObject[],
  out: FieldChange[],
): void {
  const idOf = (item: JsonObject): Identity => item[field] as Identity;
  const beforeById = new Map(before.map((item) => [idOf(item), item]));
  const afterIds = new Set(after.map(idOf));

  const added: JsonValue[] = [];
  for (const item of after) {
    const previous = beforeById.get(idOf(item));
    if (previous === undefined) added.push(item);
    else compareValues([...path, String(idOf(item))], previous, item, out);
  }
  const removed = before.filter((item) => !afterIds.has(idOf(item)));
  if (removed.length > 0) out.push({ path, kind: 'remove', from: removed });
  if (added.length > 0) out.push({ path, kind: 'add', to: added });

  // Order matters only among the items both sides keep; additions and removals are reported above.
  const keptBefore = before.map(idOf).filter((id) => afterIds.has(id));
  const keptAfter = after.map(idOf).filter((id) => beforeById.has(id));
  if (keptBefore.some((id, i) => id !== keptAfter[i])) {
    out.push({ path, kind: 'order', from: before.map(idOf), to: after.map(idOf) });
  }
}

/**
 * Lists without identity. Items are compared position by position, except in two cases that position
 * would describe badly: the same items in another order (one `order` change), and a list that only
 * gained or only lost items anywhere (one `add` or `remove`, not a cascade of shifted values).
 */
function compareByIndex(path: string[], before: JsonValue[], after: JsonValue[], out: FieldChange[]): void {
  if (jsonEqual(before, after)) return;
  if (before.length === after.length && isPermutation(before, after)) {
    out.push({ path, kind: 'order', from: before, to: after });
    return;
  }
  if (after.length > before.length) {
    const inserted = insertedItems(before, after);
    if (inserted) {
      out.push({ path, kind: 'add', to: inserted });
      return;
    }
  } else if (before.length > after.length) {
    const deleted = insertedItems(after, before);
    if (deleted) {
      out.push({ path, kind: 'remove', from: deleted });
      return;
    }
  }
  const common = Math.min(before.length, after.length);
  for (let i = 0; i < common; i++) compareValues([...path, String(i)], before[i], after[i], out);
  if (before.length > common) out.push({ path, kind: 'remove', from: before.slice(common) });
  if (after.length > common) out.push({ path, kind: 'add', to: after.slice(common) });
}

/** When `shorter` is a subsequence of `longer`, the items `longer` has in addition; otherwise undefined. */
function insertedItems(shorter: JsonValue[], longer: JsonValue[]): JsonValue[] | undefined {
  const extra: JsonValue[] = [];
  let i = 0;
  for (const item of longer) {
    if (i < shorter.length && jsonEqual(shorter[i], item)) i++;
    else extra.push(item);
  }
  return i === shorter.length ? extra : undefined;
}

function isPermutation(a: JsonValue[], b: JsonValue[]): boolean {
  const unmatched = [...b];
  for (const item of a) {
    const j = unmatched.findIndex((candidate) => jsonEqual(candidate, item));
    if (j < 0) return false;
    unmatched.splice(j, 1);
  }
  return true;
}
