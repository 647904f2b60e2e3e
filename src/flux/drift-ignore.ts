// `spec.ignore`: drift-ignore rules. kustomize-controller hands them to fluxcd/pkg ssa as
// DriftIgnoreRules: for an object that exists, the JSON pointers of every rule whose target selects the
// dry-run result are removed from both the live and the dry-run object before they are compared, and a
// drifted ignored field keeps its in-cluster value on apply. A new object is created whole.
import type { IgnoredPaths, IgnoreRule } from '../model/kustomization.js';
import { isJsonObject, type JsonValue } from '../model/object.js';
import { compileSelector, SelectorError, type ObjectMatcher } from './selector.js';

const SELECTOR_FIELDS = ['group', 'version', 'kind', 'name', 'namespace', 'labelSelector', 'annotationSelector'] as const;

/**
 * Reads `spec.ignore` as the CRD defines it: a list of `{paths: [pointer...], target?: selector}`.
 * Returns a message for the first problem instead of throwing, so the caller names the Kustomization.
 */
export function parseIgnoreRules(value: JsonValue | undefined): { rules?: IgnoreRule[]; problem?: string } {
  if (value === undefined || value === null) return {};
  if (!Array.isArray(value)) return { problem: 'spec.ignore must be a list' };
  const rules: IgnoreRule[] = [];
  for (const [i, r] of value.entries()) {
    const at = `spec.ignore[${i}]`;
    if (!isJsonObject(r) || !Array.isArray(r.paths)) return { problem: `${at}.paths is required (a list of JSON pointers)` };
    const paths: string[] = [];
    for (const p of r.paths) {
      // RFC 6901: "" is the whole document, anything else starts with "/".
      if (typeof p !== 'string' || (p !== '' && !p.startsWith('/'))) return { problem: `${at}.paths: ${JSON.stringify(p)} is not a JSON pointer (it must start with "/")` };
      paths.push(p);
    }
    const rule: IgnoreRule = { paths };
    if (r.target !== undefined && r.target !== null) {
      if (!isJsonObject(r.target)) return { problem: `${at}.target must be a selector map` };
      const target: Record<string, string> = {};
      for (const k of SELECTOR_FIELDS) {
        const v = r.target[k];
        if (v === undefined || v === null) continue;
        if (typeof v !== 'string') return { problem: `${at}.target.${k} must be a string` };
        target[k] = v;
      }
      rule.target = target;
      try {
        compileSelector(rule.target);
      } catch (err) {
        if (err instanceof SelectorError) return { problem: `${at}.target: ${err.message}` };
        throw err;
      }
    }
    rules.push(rule);
  }
  return { rules };
}

/** The rules as one function from an object to the pointers ignored on it (none without rules). */
export function ignoreMatcher(rules: IgnoreRule[] | undefined): IgnoredPaths | undefined {
  if (!rules || rules.length === 0) return undefined;
  const compiled: Array<{ matches: ObjectMatcher; paths: string[] }> = rules.map((r) => ({ matches: compileSelector(r.target), paths: r.paths }));
  return (obj) => compiled.filter((c) => c.matches(obj)).flatMap((c) => c.paths);
}
