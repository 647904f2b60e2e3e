// SOPS decryption for age-encrypted YAML, JSON, dotenv, INI and binary files.
//
// We unwrap the data key, decrypt every value and verify the MAC ourselves instead of
// delegating to sops-age: sops-age takes one key at a time, hides the data key, never
// checks the MAC, drops numeric map keys from the additional data, and puts part of the
// secret key into its error messages. The format follows getsops/sops (aes/cipher.go,
// sops.go, stores/*); comments in these modules note where we mirror a sops quirk on purpose.
//
// Invariant: no thrown message contains a decrypted value, a data key or a secret key.

import {
  Document,
  isMap,
  isScalar,
  isSeq,
  parseAllDocuments,
  type Node as YamlNode,
} from 'yaml';
import { getDataKey } from './data-key.js';
import { decryptDotenv, decryptIni } from './flat-formats.js';
import { decryptLeaves } from './mac.js';
import { sopsMeta } from './metadata.js';
import { runSops } from './sops-binary.js';
import { DecryptionError, type SopsFormat } from './sops-errors.js';
import { collectYamlLeaves, openValue, type Leaf } from './values.js';

// ---------------------------------------------------------------------------
// Entry point

/** Decrypts a SOPS file and returns its plaintext in the same format. */
export async function decryptSopsText(text: string, format: SopsFormat, file: string, keys: string[]): Promise<string> {
  if (format === 'dotenv') return decryptDotenv(text, file, keys);
  if (format === 'ini') return decryptIni(text, file, keys);
  const docs = parseYamlDocs(text, format, file);
  if (format === 'yaml') {
    const macs = new Set(docs.map((d) => sopsMeta(d)?.['mac']).filter((m) => m !== undefined));
    // What sops writes: the same metadata on every document and one MAC over all of them.
    // Otherwise these are separately encrypted files concatenated: each document stands alone.
    const groups = macs.size <= 1 ? [docs] : docs.filter((d) => sopsMeta(d)).map((d) => [d]);
    for (const group of groups) {
      if ((await decryptDocs(group, 'yaml', file, keys)) === 'needs-sops') return runSops(text, format, file);
    }
    return docs
      .map((d, i) => {
        const out = d.toString({ lineWidth: 0 });
        return i === 0 || out.startsWith('---') ? out : `---\n${out}`;
      })
      .join('');
  }
  // JSON, and binary (a JSON envelope whose "data" is the whole file).
  const doc = docs[0];
  if (!doc || docs.length > 1) throw new DecryptionError(`${file}: expected one JSON object`, file);
  if ((await decryptDocs([doc], 'json', file, keys)) === 'needs-sops') return runSops(text, format, file);
  if (format === 'json') return `${toJsonText(doc.contents)}\n`;
  const data = isMap(doc.contents) ? doc.contents.get('data') : undefined;
  if (typeof data !== 'string') throw new DecryptionError(`${file}: binary SOPS file has no string "data" value`, file);
  return data;
}

/** Decrypts the documents in place; they share the first one's metadata and one MAC. */
async function decryptDocs(docs: Document[], flavour: 'yaml' | 'json', file: string, keys: string[]): Promise<'done' | 'needs-sops'> {
  const meta = docs.map(sopsMeta).find((m) => m !== undefined);
  if (!meta) throw new DecryptionError(`${file}: no sops metadata found`, file);
  const dataKey = await getDataKey(meta, keys, file);
  if (!dataKey) return 'needs-sops';
  const leaves: Leaf[] = [];
  for (const doc of docs) {
    if (isMap(doc.contents)) doc.contents.delete('sops');
    collectYamlLeaves(doc.contents, [], flavour, leaves, file);
    decryptYamlComments(doc, dataKey);
  }
  decryptLeaves(leaves, meta, dataKey, file);
  return 'done';
}

// JSON is parsed as YAML (a subset) because JSON.parse reorders integer-like keys,
// and the MAC depends on source order.
function parseYamlDocs(text: string, format: SopsFormat, file: string): Document[] {
  const parsed = parseAllDocuments(text, { uniqueKeys: false, prettyErrors: false });
  const docs = Array.isArray(parsed) ? parsed : [];
  for (const doc of docs) {
    const err = doc.errors[0];
    // First line only: yaml's messages quote the source, which is not ours to echo.
    if (err) throw new DecryptionError(`${file}: invalid ${format === 'yaml' ? 'YAML' : 'JSON'}: ${err.message.split('\n')[0]}`, file);
  }
  return docs;
}

// sops encrypts comments too (type:comment) with the enclosing map's path. Where exactly
// yaml.v3 and the yaml package attach a comment differs, so try every enclosing path;
// AES-GCM makes a wrong guess fail safely. Undecryptable ciphertext comments are dropped.
function decryptYamlComments(doc: Document, key: Buffer): void {
  const fix = (text: string | null | undefined, paths: string[][]): string | undefined => {
    if (!text) return text ?? undefined;
    const lines = text.split('\n').flatMap((line) => {
      if (!line.trim().startsWith('ENC[AES256_GCM,')) return [line];
      for (const p of paths) {
        const opened = openValue(line, key, p.length ? `${p.join(':')}:` : ':');
        if (opened) return [opened.data.toString('utf8')];
      }
      return [];
    });
    return lines.length ? lines.join('\n') : undefined;
  };
  const prefixes = (p: string[]): string[][] => p.map((_, i) => p.slice(0, p.length - i)).concat([[]]);
  const visit = (node: unknown, p: string[]): void => {
    if (!node || typeof node !== 'object') return;
    const n = node as YamlNode;
    n.commentBefore = fix(n.commentBefore, prefixes(p));
    n.comment = fix(n.comment, prefixes(p));
    if (isMap(node)) {
      for (const pair of node.items) {
        const k = isScalar(pair.key) ? String(pair.key.value) : '';
        visit(pair.key, p);
        visit(pair.value, [...p, k]);
      }
    } else if (isSeq(node)) for (const item of node.items) visit(item, p);
  };
  doc.commentBefore = fix(doc.commentBefore, [[]]) ?? null;
  doc.comment = fix(doc.comment, [[]]) ?? null;
  visit(doc.contents, []);
}

function toJsonText(node: unknown, indent = ''): string {
  const inner = `${indent}  `;
  if (isMap(node)) {
    if (!node.items.length) return '{}';
    const items = node.items.map((pair) => {
      const key = isScalar(pair.key) ? String(pair.key.value) : String(pair.key);
      return `${inner}${JSON.stringify(key)}: ${toJsonText(pair.value, inner)}`;
    });
    return `{\n${items.join(',\n')}\n${indent}}`;
  }
  if (isSeq(node)) {
    if (!node.items.length) return '[]';
    return `[\n${node.items.map((item) => inner + toJsonText(item, inner)).join(',\n')}\n${indent}]`;
  }
  const v: unknown = isScalar(node) ? node.value : node;
  if (typeof v === 'bigint') return v.toString();
  return JSON.stringify(v ?? null);
}
