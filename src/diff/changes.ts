// From what a target said about each object (the cluster's dry-run or the build at a git ref) to the
// structured change list: strip noise, mask secrets, compare. The only such conversion. Pure: no I/O.
import { isDeepStrictEqual } from 'node:util';
import type { Verdict } from '../model/verdict.js';
import { isJsonObject, type FieldPath, type JsonObject, type JsonValue, type KubeObject } from '../model/object.js';
import { compareObjects } from './compare.js';
import { maskSecrets as maskAll } from './mask.js';
import { stripNoise } from './normalize.js';
import type { ResourceChange } from '../model/change.js';
import type { IgnoredPaths } from '../model/kustomization.js';
import { dropIgnored } from './drift-ignore.js';

/** `ignored`: the Kustomization's drift-ignore rules (spec.ignore), removed from both sides of an existing object. */
export function toResourceChange(r: Verdict, ignored?: IgnoredPaths): ResourceChange {
  const change = convert(r, ignored);
  return r.helmRelease ? { ...change, helmRelease: r.helmRelease } : change;
}

function convert(r: Verdict, ignored: IgnoredPaths | undefined): ResourceChange {
  const maskSecrets = (before: KubeObject | undefined, after: KubeObject | undefined, valuesUnknown = false) => maskAll(before, after, valuesUnknown, r.secretPaths);
  const compared = (ref: ResourceChange['ref'], rawBefore: KubeObject, rawAfter: KubeObject, action: 'drifted' | 'replaced', valuesUnknown = false) =>
    compare(ref, rawBefore, rawAfter, action, valuesUnknown, r.secretPaths);
  switch (r.action) {
    case 'applied': {
      if (!r.existed || !r.live) {
        const { after } = maskSecrets(undefined, stripNoise(r.merged, r.desired));
        return { ref: r.ref, action: 'created', changes: [], after };
      }
      const [live, merged] = dropIgnored(r.live, r.merged, ignored);
      return compared(r.ref, stripNoise(live, r.desired), stripNoise(merged, r.desired), 'drifted');
    }
    case 'staged': {
      const { after } = maskSecrets(undefined, stripNoise(r.desired));
      return { ref: r.ref, action: 'created', changes: [], after, reason: r.reason };
    }
    case 'unknown-values': {
      if (!r.existed || !r.live) {
        const { after } = maskSecrets(undefined, stripNoise(r.desired), true);
        return { ref: r.ref, action: 'created', changes: [], after };
      }
      // No dry-run result to select the drift-ignore rules on: the local object stands for it (the
      // rules select by kind, name, namespace and labels, which it carries).
      const [live, desired] = dropIgnored(r.live, r.desired, ignored);
      const before = stripNoise(live, desired);
      return compared(r.ref, before, withLocalKeys(before, desired), 'drifted', true);
    }
    case 'replaced': {
      // The server cannot dry-run a replacement, so the local object stands for the result; compare
      // only the fields it sets, or every server default would show as removed.
      const desired = stripNoise(r.desired);
      const c = compared(r.ref, restrictTo(stripNoise(r.live, r.desired), desired) as KubeObject, desired, 'replaced');
      return { ...c, action: 'replaced', reason: r.reason };
    }
    case 'deleted': {
      const { before } = maskSecrets(stripNoise(r.live), undefined);
      return { ref: r.ref, action: 'deleted', changes: [], before };
    }
    case 'skipped':
      return { ref: r.ref, action: 'skipped', changes: [], reason: r.reason };
    case 'failed':
      return { ref: r.ref, action: 'failed', changes: [], reason: r.reason };
  }
}

function compare(ref: ResourceChange['ref'], rawBefore: KubeObject, rawAfter: KubeObject, action: 'drifted' | 'replaced', valuesUnknown: boolean, secretPaths: FieldPath[] | undefined): ResourceChange {
  // Most objects of a run are unchanged: equal sides stay equal once masked (masking is a function of
  // the pair), so they skip the masking copies and the field walk.
  if (action !== 'replaced' && !valuesUnknown && isDeepStrictEqual(rawBefore, rawAfter)) return { ref, action: 'unchanged', changes: [], ...labelsOf(rawAfter) };
  const { before, after } = maskAll(rawBefore, rawAfter, valuesUnknown, secretPaths);
  const changes = compareObjects(before!, after!);
  if (changes.length === 0 && action !== 'replaced') {
    // No renderer shows the content of an unchanged object; not keeping it bounds memory on big builds.
    // Its labels stay, for the report's label selector (diff/filters.ts).
    return { ref, action: 'unchanged', changes, ...labelsOf(rawAfter) };
  }
  return { ref, action, changes, before, after };
}

/** `{ labels }` of an object that has any (labels are never secret), else nothing. */
function labelsOf(obj: KubeObject): { labels?: Record<string, string> } {
  const l = obj.metadata.labels;
  return isJsonObject(l) && Object.keys(l).length > 0 ? { labels: { ...(l as Record<string, string>) } } : {};
}

/**
 * A SOPS Secret podo cannot decrypt: what the apply would do to its metadata is known, its values are
 * not. Start from the live object, lay the local metadata over it, and keep only the local key set.
 */
function withLocalKeys(live: KubeObject, desired: KubeObject): KubeObject {
  const out = structuredClone(live);
  for (const k of ['labels', 'annotations'] as const) {
    const local = desired.metadata[k];
    if (isJsonObject(local)) out.metadata[k] = { ...(isJsonObject(out.metadata[k]) ? (out.metadata[k] as JsonObject) : {}), ...local };
  }
  const keys: JsonObject = {};
  for (const f of ['data', 'stringData'] as const) {
    const v = desired[f];
    if (isJsonObject(v)) for (const key of Object.keys(v)) keys[key] = '';
  }
  out.data = keys;
  delete out.stringData;
  if (typeof desired.type === 'string') out.type = desired.type;
  return out;
}

/** `value` with only the map keys that `shape` has too (lists and scalars are kept whole). */
export function restrictTo(value: JsonValue, shape: JsonValue): JsonValue {
  if (!isJsonObject(value) || !isJsonObject(shape)) return value;
  const out: JsonObject = {};
  for (const [k, v] of Object.entries(value)) if (k in shape) out[k] = restrictTo(v, shape[k]);
  return out;
}
