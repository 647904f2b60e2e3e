// The sops metadata block: detecting it, reading it from a YAML/JSON tree, and rebuilding it from the
// flattened sops_* keys of dotenv and INI files.

import { isMap, type Document } from 'yaml';

export function isSopsEncrypted(doc: unknown): boolean {
  if (!isRecord(doc)) return false;
  const sops = doc['sops'];
  return isRecord(sops) && typeof sops['mac'] === 'string' && sops['mac'] !== '';
}

export function sopsMeta(doc: Document): Record<string, unknown> | undefined {
  if (!isMap(doc.contents)) return undefined;
  const node: unknown = doc.contents.get('sops', true);
  const meta: unknown = isMap(node) ? node.toJSON() : undefined;
  return isRecord(meta) ? meta : undefined;
}

/** Reverses sops' flattening: `age__list_0__map_enc` → { age: [{ enc }] }. */
export function unflatten(flat: Record<string, string>): Record<string, unknown> {
  const root: Record<string, unknown> = {};
  for (const [flatKey, value] of Object.entries(flat)) {
    const tokens = flatKey.split(/(?=__map_|__list_)/).map((t) =>
      t.startsWith('__list_') ? Number(t.slice(7)) : t.startsWith('__map_') ? t.slice(6) : t,
    );
    let cur: Record<string | number, unknown> = root;
    tokens.forEach((tok, i) => {
      const next = tokens[i + 1];
      if (next === undefined) cur[tok] = value;
      else cur = (cur[tok] ??= typeof next === 'number' ? [] : {}) as Record<string | number, unknown>;
    });
  }
  return root;
}

export function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
