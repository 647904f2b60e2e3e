// The flat sops formats, dotenv and INI: KEY=value pairs whose metadata is flattened into keys.
//
// Invariant: no thrown message contains a decrypted value, a data key or a secret key.

import { getDataKey } from './data-key.js';
import { decryptLeaves, formatFloatF } from './mac.js';
import { isSopsEncrypted, unflatten } from './metadata.js';
import { runSops } from './sops-binary.js';
import { emitIni, parseIni, type IniSection } from './sops-ini.js';
import { DecryptionError } from './sops-errors.js';
import { openValue, type Leaf, type Plain } from './values.js';

// ---------------------------------------------------------------------------
// dotenv (stores/dotenv): KEY=value lines, "\n" escaped, metadata flattened into sops_* keys

export async function decryptDotenv(text: string, file: string, keys: string[]): Promise<string> {
  type Line = { comment: string } | { key: string; value: string };
  const lines: Line[] = [];
  const flatMeta: Record<string, string> = {};
  for (const raw of text.split('\n')) {
    if (raw === '') continue;
    if (raw.startsWith('#')) {
      lines.push({ comment: raw.slice(1) });
      continue;
    }
    const eq = raw.indexOf('=');
    if (eq < 0) throw new DecryptionError(`${file}: invalid dotenv line (no "=")`, file);
    const key = raw.slice(0, eq);
    const value = raw.slice(eq + 1).replaceAll('\\n', '\n');
    if (key.startsWith('sops_')) flatMeta[key.slice(5)] = value;
    else lines.push({ key, value });
  }
  const meta = unflatten(flatMeta);
  if (!isSopsEncrypted({ sops: meta })) throw new DecryptionError(`${file}: no sops metadata found`, file);
  const dataKey = await getDataKey(meta, keys, file);
  if (!dataKey) return runSops(text, 'dotenv', file);

  const leaves: Leaf[] = [];
  for (const line of lines) {
    if ('key' in line) leaves.push({ path: [line.key], value: { t: 'str', v: line.value }, set: (p) => (line.value = plainText(p)) });
    else if (line.comment.startsWith('ENC[AES256_GCM,')) {
      const opened = openValue(line.comment, dataKey, ':');
      if (opened) line.comment = opened.data.toString('utf8');
    }
  }
  decryptLeaves(leaves, meta, dataKey, file);
  return lines.map((l) => ('key' in l ? `${l.key}=${l.value.replaceAll('\n', '\\n')}\n` : `#${l.comment}\n`)).join('');
}

// ---------------------------------------------------------------------------
// INI (stores/ini): one branch per section, the unnamed DEFAULT section first; values are strings at
// path [section, key]; the metadata is the [sops] section, flattened with newlines escaped.

export async function decryptIni(text: string, file: string, keys: string[]): Promise<string> {
  let sections: IniSection[];
  try {
    sections = parseIni(text);
  } catch (err) {
    throw new DecryptionError(`${file}: invalid INI: ${(err as Error).message}`, file);
  }
  const metaSection = sections.find((s) => s.name === 'sops');
  const flatMeta: Record<string, string> = {};
  for (const k of metaSection?.keys ?? []) flatMeta[k.key] = k.value.replaceAll('\\n', '\n');
  const meta = unflatten(flatMeta);
  if (!metaSection || !isSopsEncrypted({ sops: meta })) throw new DecryptionError(`${file}: no sops metadata found`, file);
  const dataKey = await getDataKey(meta, keys, file);
  if (!dataKey) return runSops(text, 'ini', file);
  const plain = sections.filter((s) => s !== metaSection);
  const leaves: Leaf[] = [];
  for (const section of plain) {
    for (const k of section.keys) leaves.push({ path: [section.name, k.key], value: { t: 'str', v: k.value }, set: (p) => (k.value = plainText(p)) });
    // Comments sit at the section's path; one that does not open was never encrypted (sops warns and keeps it).
    for (const holder of [section, ...section.keys]) {
      if (!holder.comment?.startsWith('ENC[AES256_GCM,')) continue;
      const opened = openValue(holder.comment, dataKey, `${section.name}:`);
      if (opened) holder.comment = opened.data.toString('utf8');
    }
  }
  decryptLeaves(leaves, meta, dataKey, file);
  return emitIni(plain);
}

function plainText(p: Plain): string {
  return p.t === 'bool' ? String(p.v) : p.t === 'float' ? formatFloatF(p.v) : String(p.v);
}
