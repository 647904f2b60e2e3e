// Removing drift-ignored fields (spec.ignore) from both sides before they are compared, as fluxcd/pkg
// ssa does with a JSON patch of `remove` operations: applied in order, a pointer that does not resolve
// is skipped (AllowMissingPathOnRemove), a negative list index counts from the end. Pure.
import type { IgnoredPaths } from '../model/kustomization.js';
import { isJsonObject, type JsonValue, type KubeObject } from '../model/object.js';

/**
 * `[live, merged]` without the fields the rules select on the dry-run result `merged`. A rule with the
 * root pointer `""` ignores the whole object: both sides come back as the live object (no drift).
 */
export function dropIgnored(live: KubeObject, merged: KubeObject, ignored: IgnoredPaths | undefined): [KubeObject, KubeObject] {
  const paths = ignored?.(merged) ?? [];
  if (paths.length === 0) return [live, merged];
  if (paths.includes('')) return [live, live];
  return [removePointers(live, paths), removePointers(merged, paths)];
}

/** A copy of `obj` with every pointer in `paths` removed, in order. */
export function removePointers<T extends JsonValue>(obj: T, paths: string[]): T {
  const out = structuredClone(obj);
  for (const p of paths) removePointer(out, p);
  return out;
}

/** RFC 6901 tokens: `~1` is `/`, `~0` is `~`. */
function tokensOf(pointer: string): string[] {
  return pointer
    .split('/')
    .slice(1)
    .map((t) => t.replace(/~1/g, '/').replace(/~0/g, '~'));
}

function listIndex(token: string, length: number): number | undefined {
  if (!/^(0|-?[1-9]\d*)$/.test(token)) return undefined;
  const n = Number(token);
  const i = n < 0 ? length + n : n;
  return i >= 0 && i < length ? i : undefined;
}

function removePointer(root: JsonValue, pointer: string): void {
  const tokens = tokensOf(pointer);
  if (tokens.length === 0) return;
  let node: JsonValue = root;
  for (const t of tokens.slice(0, -1)) {
    if (Array.isArray(node)) {
      const i = listIndex(t, node.length);
      if (i === undefined) return;
      node = node[i];
    } else if (isJsonObject(node) && Object.hasOwn(node, t)) {
      node = node[t];
    } else {
      return;
    }
  }
  const last = tokens[tokens.length - 1];
  if (Array.isArray(node)) {
    const i = listIndex(last, node.length);
    if (i !== undefined) node.splice(i, 1);
  } else if (isJsonObject(node)) {
    delete node[last];
  }
}
