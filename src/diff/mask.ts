// Secret values never leave podo: both sides are masked before anything is compared or rendered.
// Equal values become `***`; changed ones `*** (before)` / `*** (after)`, so the diff still shows
// that a value changed, never what it is.
import { isJsonObject, isSecret, type JsonObject, type KubeObject } from '../model/object.js';

export const MASK = '***';
export const MASK_BEFORE = '*** (before)';
export const MASK_AFTER = '*** (after)';
/** A value podo cannot know (a SOPS file it could not decrypt): only key sets are compared. */
export const MASK_UNKNOWN = '*****';

const VALUE_FIELDS = ['data', 'stringData'] as const;

export interface MaskedPair {
  before?: KubeObject;
  after?: KubeObject;
}

/**
 * Masks the values of a Secret on either or both sides. Non-Secrets are returned unchanged.
 * With `valuesUnknown`, the local values are unknown: every value shows as `*****`.
 */
export function maskSecrets(before: KubeObject | undefined, after: KubeObject | undefined, valuesUnknown = false): MaskedPair {
  const subject = after ?? before;
  if (!subject || !isSecret(subject)) return { before, after };
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
  return { before: b, after: a };
}
