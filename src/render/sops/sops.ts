// SOPS decryption for age-encrypted YAML, JSON, dotenv, INI and binary files.
//
// We unwrap the data key, decrypt every value and verify the MAC ourselves instead of
// delegating to sops-age: sops-age takes one key at a time, hides the data key, never
// checks the MAC, drops numeric map keys from the additional data, and puts part of the
// secret key into its error messages. The format follows getsops/sops (aes/cipher.go,
// sops.go, stores/*); comments below note where we mirror a sops quirk on purpose.
//
// Invariant: no thrown message contains a decrypted value, a data key or a secret key.

import { ChildStartError, runChild } from '../../process/child.js';
import { createDecipheriv, createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { Decrypter, armor } from 'age-encryption';
import {
  Document,
  isAlias,
  isMap,
  isScalar,
  isSeq,
  parseAllDocuments,
  type Node as YamlNode,
  type Scalar,
} from 'yaml';
import { BuildError, InputError } from '../../model/errors.js';
import { emitIni, parseIni, type IniSection } from './sops-ini.js';
import { onPath } from '../../process/executable.js';

export class DecryptionError extends BuildError {}
/** The file can only be opened with PGP/KMS/Vault keys and no sops binary is available. */
export class UndecryptableError extends DecryptionError {}
/** The file has age recipients, but none of the keys we have unwraps its data key. */
export class NoKeyError extends DecryptionError {}

export type SopsFormat = 'yaml' | 'json' | 'dotenv' | 'ini' | 'binary';

// ---------------------------------------------------------------------------
// Detection and keys

export function isSopsEncrypted(doc: unknown): boolean {
  if (!isRecord(doc)) return false;
  const sops = doc['sops'];
  return isRecord(sops) && typeof sops['mac'] === 'string' && sops['mac'] !== '';
}

const AGE_KEY_LINE = /^AGE-SECRET-KEY-(?:PQ-)?1[0-9A-Z]+$/;

/** The age identities in a keys.txt file or a Secret's `*.agekey` entry. */
export function parseAgeKeys(text: string): string[] {
  return text
    .split(/\r?\n/)
    .map((line) => line.trim())
    .filter((line) => AGE_KEY_LINE.test(line));
}

export interface AgeKeyOptions {
  /** `--sops-age-key-file` */
  keyFile?: string;
  env: NodeJS.ProcessEnv;
  home: string;
  /** Keys read by the caller from the Kustomization's decryption Secret. */
  extra?: string[];
}

/**
 * Every age key we may use, most specific source first, de-duplicated. Like sops, all
 * sources are combined (a file may be encrypted for any of them). `sources` names where
 * keys came from, never the keys.
 */
export async function loadAgeKeys(opts: AgeKeyOptions): Promise<{ keys: string[]; sources: string[] }> {
  const keys: string[] = [];
  const sources: string[] = [];
  const add = (found: string[], source: string): void => {
    const fresh = found.filter((k) => !keys.includes(k));
    if (found.length === 0) return;
    keys.push(...fresh);
    sources.push(source);
  };

  if (opts.keyFile) add(parseAgeKeys(await readKeyFile(opts.keyFile, '--sops-age-key-file')), `--sops-age-key-file ${opts.keyFile}`);
  const envFile = opts.env['SOPS_AGE_KEY_FILE'];
  if (envFile) add(parseAgeKeys(await readKeyFile(envFile, 'SOPS_AGE_KEY_FILE')), `SOPS_AGE_KEY_FILE ${envFile}`);
  const envKey = opts.env['SOPS_AGE_KEY'];
  if (envKey) add(parseAgeKeys(envKey), 'SOPS_AGE_KEY');
  for (const file of defaultKeyFiles(opts.env, opts.home)) {
    const text = await readFile(file, 'utf8').catch(() => undefined); // optional, like sops
    if (text !== undefined) add(parseAgeKeys(text), file);
  }
  if (opts.extra?.length) add(opts.extra.flatMap(parseAgeKeys), 'decryption Secret');
  return { keys, sources };
}

async function readKeyFile(file: string, what: string): Promise<string> {
  try {
    return await readFile(file, 'utf8');
  } catch {
    throw new InputError(`${what}: cannot read age key file ${file}`, file);
  }
}

function defaultKeyFiles(env: NodeJS.ProcessEnv, home: string): string[] {
  // sops uses os.UserConfigDir(): $XDG_CONFIG_HOME or ~/.config (and Application Support on macOS).
  const files = [path.join(env['XDG_CONFIG_HOME'] || path.join(home, '.config'), 'sops', 'age', 'keys.txt')];
  if (process.platform === 'darwin') files.push(path.join(home, 'Library', 'Application Support', 'sops', 'age', 'keys.txt'));
  return [...new Set(files)];
}

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

function sopsMeta(doc: Document): Record<string, unknown> | undefined {
  if (!isMap(doc.contents)) return undefined;
  const node: unknown = doc.contents.get('sops', true);
  const meta: unknown = isMap(node) ? node.toJSON() : undefined;
  return isRecord(meta) ? meta : undefined;
}

// ---------------------------------------------------------------------------
// Leaves and typed values

/** A decrypted or plaintext value, typed the way sops' Go code sees it. */
type Plain =
  | { t: 'str'; v: string }
  | { t: 'int'; v: bigint }
  | { t: 'float'; v: number }
  | { t: 'bool'; v: boolean };

/** One leaf of the sops tree, in source order. Null values are not leaves: sops skips them. */
interface Leaf {
  path: string[];
  value: Plain;
  set(value: Plain): void;
}

function collectYamlLeaves(node: unknown, path: string[], flavour: 'yaml' | 'json', out: Leaf[], file: string): void {
  if (isMap(node)) {
    for (const pair of node.items) {
      const key = isScalar(pair.key) ? pair.key.value : pair.key;
      // sops only accepts string keys; a quoted "8080" is one, and stays in the path.
      if (typeof key !== 'string') throw new DecryptionError(`${file}: non-string map key at ${pathName(path)}`, file);
      collectYamlLeaves(pair.value, [...path, key], flavour, out, file);
    }
  } else if (isSeq(node)) {
    // sops does not put list indexes into the path.
    for (const item of node.items) collectYamlLeaves(item, path, flavour, out, file);
  } else if (isAlias(node)) {
    // sops expands aliases on encryption, so a SOPS file never contains one.
    throw new DecryptionError(`${file}: YAML alias at ${pathName(path)} in a SOPS file`, file);
  } else if (isScalar(node)) {
    const value = flavour === 'json' ? jsonScalar(node) : yamlScalar(node);
    if (value) out.push({ path, value, set: (p) => setScalar(node, p) });
  }
}

function setScalar(node: Scalar, p: Plain): void {
  node.value = p.t === 'int' && Number.isSafeInteger(Number(p.v)) ? Number(p.v) : p.v;
  // Let the stringifier pick a style that keeps the type (it quotes "true", "123", …).
  node.type = undefined;
  node.tag = undefined;
}

/** Types a YAML scalar like gopkg.in/yaml.v3 decoding into interface{}. */
function yamlScalar(node: Scalar): Plain | null {
  const v: unknown = node.value;
  if (node.type && node.type !== 'PLAIN') return { t: 'str', v: String(v) };
  if (node.tag) return fromJs(v);
  return goResolvePlain(node.source ?? String(v));
}

/** encoding/json without UseNumber: every number is a float64. */
function jsonScalar(node: Scalar): Plain | null {
  const v: unknown = node.value;
  if (typeof v === 'number') return { t: 'float', v };
  return fromJs(v);
}

function fromJs(v: unknown): Plain | null {
  if (v === null || v === undefined) return null;
  if (typeof v === 'boolean') return { t: 'bool', v };
  if (typeof v === 'bigint') return { t: 'int', v };
  if (typeof v === 'number') return Number.isInteger(v) ? { t: 'int', v: BigInt(v) } : { t: 'float', v };
  return { t: 'str', v: String(v) };
}

const GO_FLOAT = /^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$/;

// yaml.v3's resolver: YAML 1.2 core plus a few 1.1 leftovers (underscores, 0777 octal).
function goResolvePlain(src: string): Plain | null {
  if (['', '~', 'null', 'Null', 'NULL'].includes(src)) return null;
  if (['true', 'True', 'TRUE'].includes(src)) return { t: 'bool', v: true };
  if (['false', 'False', 'FALSE'].includes(src)) return { t: 'bool', v: false };
  if (/^[-+]?\.(inf|Inf|INF)$/.test(src)) return { t: 'float', v: src.startsWith('-') ? -Infinity : Infinity };
  if (/^\.(nan|NaN|NAN)$/.test(src)) return { t: 'float', v: NaN };
  const plain = src.replace(/_/g, '');
  const int = /^([-+]?)(0[xX][0-9a-fA-F]+|0[oO][0-7]+|0[bB][01]+|0[0-7]*|[1-9][0-9]*)$/.exec(plain);
  if (int) {
    const [, sign, digits = ''] = int;
    const lit = /^0[0-7]+$/.test(digits) ? `0o${digits.slice(1)}` : digits.toLowerCase();
    const n = BigInt(lit);
    return { t: 'int', v: sign === '-' ? -n : n };
  }
  if (GO_FLOAT.test(plain)) return { t: 'float', v: Number(plain) };
  return { t: 'str', v: src };
}

// ---------------------------------------------------------------------------
// Decryption of the tree and the MAC

function decryptLeaves(leaves: Leaf[], meta: Record<string, unknown>, dataKey: Buffer, file: string): void {
  const rules = encryptionRules(meta, file);
  const macOnlyEncrypted = meta['mac_only_encrypted'] === true || meta['mac_only_encrypted'] === 'true';
  const hash = createHash('sha512');
  // sops seeds the hash so a MAC over encrypted values only never equals a full one.
  if (macOnlyEncrypted) hash.update(MAC_ONLY_ENCRYPTED_INIT);
  for (const leaf of leaves) {
    const encrypted = rules(leaf);
    let plain = leaf.value;
    if (encrypted) {
      if (plain.t !== 'str') throw new DecryptionError(`${file}: ${pathName(leaf.path)} should be encrypted but is not`, file);
      if (plain.v !== '') {
        // sops leaves empty strings as they are ("" encrypts to "").
        const opened = openValue(plain.v, dataKey, `${leaf.path.join(':')}:`);
        if (!opened) throw new DecryptionError(`${file}: cannot decrypt ${pathName(leaf.path)}: the value or its key was modified, or it was encrypted with another data key`, file);
        plain = toPlain(opened, leaf.path, file);
      }
      leaf.set(plain);
    }
    if (!macOnlyEncrypted || encrypted) hash.update(macBytes(plain));
  }
  verifyMac(meta, dataKey, hash.digest('hex').toUpperCase(), file);
}

function verifyMac(meta: Record<string, unknown>, dataKey: Buffer, computed: string, file: string): void {
  const mac = meta['mac'];
  const lastModified = meta['lastmodified'];
  if (typeof mac !== 'string' || mac === '') throw new DecryptionError(`${file}: no MAC in the sops metadata`, file);
  if (typeof lastModified !== 'string') throw new DecryptionError(`${file}: no lastmodified in the sops metadata`, file);
  // sops authenticates the MAC with lastmodified formatted as RFC3339 (whole seconds).
  const candidates = [lastModified, lastModified.replace(/\.\d+(?=Z|[+-]\d\d:\d\d$)/, '')];
  const opened = candidates.map((aad) => openValue(mac, dataKey, aad)).find((o) => o !== null);
  const stored = opened?.data.toString('utf8');
  if (stored === undefined || stored.toUpperCase() !== computed) {
    throw new DecryptionError(`${file}: MAC mismatch, the file was modified after encryption`, file);
  }
}

type Rule = (leaf: { path: string[]; value: Plain }) => boolean;

/** Which values sops encrypted, from unencrypted_suffix / encrypted_suffix / *_regex (sops.go shouldBeEncrypted). */
function encryptionRules(meta: Record<string, unknown>, file: string): Rule {
  const str = (k: string): string | undefined => (typeof meta[k] === 'string' && meta[k] !== '' ? (meta[k] as string) : undefined);
  const unencSuffix = str('unencrypted_suffix');
  const encSuffix = str('encrypted_suffix');
  const unencRe = str('unencrypted_regex');
  const encRe = str('encrypted_regex');
  if (str('unencrypted_comment_regex') || str('encrypted_comment_regex')) {
    // Those depend on comment placement we cannot reproduce exactly: judge by the value.
    return (leaf) => leaf.value.t === 'str' && ENC_RE.test(leaf.value.v);
  }
  const unenc = unencRe ? goRegExp(unencRe, file) : undefined;
  const enc = encRe ? goRegExp(encRe, file) : undefined;
  return ({ path: p }) => {
    let encrypted = true;
    if (unencSuffix && p.some((k) => k.endsWith(unencSuffix))) encrypted = false;
    if (encSuffix) encrypted = p.some((k) => k.endsWith(encSuffix));
    if (unenc && p.some((k) => unenc.test(k))) encrypted = false;
    if (enc) encrypted = p.some((k) => enc.test(k));
    return encrypted;
  };
}

function goRegExp(source: string, file: string): RegExp {
  // Go's regexp.Match is an unanchored search, like RegExp.test; (?i) is Go-only syntax.
  const flags = source.startsWith('(?i)') ? 'i' : '';
  try {
    return new RegExp(flags ? source.slice(4) : source, flags);
  } catch {
    throw new DecryptionError(`${file}: unsupported regular expression in sops metadata: ${source}`, file);
  }
}

const MAC_ONLY_ENCRYPTED_INIT = Buffer.from(
  '8a3fd2ad54ce66527b1034f3d147be0b0b975b3bf44f72c6fdadec8176f27d69',
  'hex',
);

function macBytes(p: Plain): Buffer {
  switch (p.t) {
    case 'str':
      return Buffer.from(p.v, 'utf8');
    case 'int':
      return Buffer.from(p.v.toString());
    case 'float':
      return Buffer.from(formatFloatF(p.v));
    case 'bool':
      return Buffer.from(p.v ? 'True' : 'False'); // sops' Python heritage
  }
}

/** Go's strconv.FormatFloat(f, 'f', -1, 64): shortest round-trip digits, never an exponent. */
export function formatFloatF(n: number): string {
  if (Number.isNaN(n)) return 'NaN';
  if (n === Infinity) return '+Inf';
  if (n === -Infinity) return '-Inf';
  if (Object.is(n, -0)) return '-0';
  const s = String(n);
  const m = /^(-?)(\d)(?:\.(\d+))?e([+-]\d+)$/.exec(s);
  if (!m) return s;
  const [, sign = '', first = '', rest = '', exp = '0'] = m;
  const digits = first + rest;
  const point = 1 + Number(exp);
  if (point <= 0) return `${sign}0.${'0'.repeat(-point)}${digits}`;
  if (point >= digits.length) return sign + digits + '0'.repeat(point - digits.length);
  return `${sign}${digits.slice(0, point)}.${digits.slice(point)}`;
}

// ---------------------------------------------------------------------------
// ENC[AES256_GCM,…] values

const ENC_RE = /^ENC\[AES256_GCM,data:([^,]*),iv:([^,]+),tag:([^,]+),type:([^\]]+)\]$/;

/** Opens one value; null when it does not authenticate (wrong key, path or tampering). */
function openValue(value: string, key: Buffer, aad: string): { type: string; data: Buffer } | null {
  const m = ENC_RE.exec(value.trim());
  if (!m) return null;
  const [, data = '', iv = '', tag = '', type = ''] = m;
  try {
    const decipher = createDecipheriv('aes-256-gcm', key, Buffer.from(iv, 'base64'));
    decipher.setAAD(Buffer.from(aad, 'utf8'));
    decipher.setAuthTag(Buffer.from(tag, 'base64'));
    return { type, data: Buffer.concat([decipher.update(Buffer.from(data, 'base64')), decipher.final()]) };
  } catch {
    return null;
  }
}

function toPlain(opened: { type: string; data: Buffer }, valuePath: string[], file: string): Plain {
  const text = opened.data.toString('utf8');
  const bad = (): never => {
    throw new DecryptionError(`${file}: ${pathName(valuePath)} does not hold a valid ${opened.type}`, file);
  };
  switch (opened.type) {
    case 'str':
    case 'bytes':
    case 'comment':
      return { t: 'str', v: text };
    case 'int':
    case 'int64':
      return /^[-+]?\d+$/.test(text) ? { t: 'int', v: BigInt(text.replace(/^\+/, '')) } : bad();
    case 'float': {
      const special: Record<string, number> = { NaN: NaN, Inf: Infinity, '+Inf': Infinity, '-Inf': -Infinity };
      const n = text in special ? special[text] : Number(text);
      return n === undefined || (Number.isNaN(n) && text !== 'NaN') || text.trim() === '' ? bad() : { t: 'float', v: n };
    }
    case 'bool': // strconv.ParseBool
      if (['1', 't', 'T', 'true', 'True', 'TRUE'].includes(text)) return { t: 'bool', v: true };
      if (['0', 'f', 'F', 'false', 'False', 'FALSE'].includes(text)) return { t: 'bool', v: false };
      return bad();
    default:
      throw new DecryptionError(`${file}: ${pathName(valuePath)} has unknown SOPS type ${opened.type}`, file);
  }
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

// ---------------------------------------------------------------------------
// dotenv (stores/dotenv): KEY=value lines, "\n" escaped, metadata flattened into sops_* keys

async function decryptDotenv(text: string, file: string, keys: string[]): Promise<string> {
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

async function decryptIni(text: string, file: string, keys: string[]): Promise<string> {
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

/** Reverses sops' flattening: `age__list_0__map_enc` → { age: [{ enc }] }. */
function unflatten(flat: Record<string, string>): Record<string, unknown> {
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

// ---------------------------------------------------------------------------
// Data key

interface AgeStanza {
  recipient: string;
  enc: string;
}

/** The data key, or undefined when only a sops binary (PGP/KMS/…) can get it. */
async function getDataKey(meta: Record<string, unknown>, keys: string[], file: string): Promise<Buffer | undefined> {
  const groups = Array.isArray(meta['key_groups']) ? meta['key_groups'].filter(isRecord) : [];
  if (groups.length > 1) {
    // Shamir-split data key: leave it to sops itself.
    if (onPath('sops')) return undefined;
    throw new UndecryptableError(`${file}: uses several sops key groups (Shamir), which needs the sops binary, and no sops binary is on PATH`, file);
  }
  const holder = groups[0] ?? meta;
  const stanzas = ageStanzas(holder['age']);
  const otherKinds = ['pgp', 'kms', 'gcp_kms', 'azure_kv', 'hc_vault', 'ckms'].filter(
    (k) => Array.isArray(holder[k]) && (holder[k] as unknown[]).length > 0,
  );
  if (stanzas.length > 0) {
    const key = await unwrapWithAge(stanzas, keys);
    if (key) return key;
  }
  if (otherKinds.length > 0 && (onPath('sops'))) return undefined;
  if (stanzas.length === 0) {
    const kinds = otherKinds.length ? otherKinds.join('/') : 'no known key type';
    throw new UndecryptableError(`${file}: encrypted for ${kinds} only, which needs the sops binary, and no sops binary is on PATH`, file);
  }
  const recipients = stanzas.map((s) => s.recipient).join(', ');
  const tried = keys.length === 0 ? 'no age keys were found' : `none of the ${keys.length} age key(s) matches`;
  throw new NoKeyError(`${file}: cannot decrypt: ${tried}; the file is encrypted for age recipients ${recipients}`, file);
}

function ageStanzas(value: unknown): AgeStanza[] {
  if (!Array.isArray(value)) return [];
  return value.filter(isRecord).flatMap((s) =>
    typeof s['recipient'] === 'string' && typeof s['enc'] === 'string' ? [{ recipient: s['recipient'], enc: s['enc'] }] : [],
  );
}

async function unwrapWithAge(stanzas: AgeStanza[], keys: string[]): Promise<Buffer | undefined> {
  for (const key of keys) {
    for (const stanza of stanzas) {
      try {
        const d = new Decrypter();
        d.addIdentity(key);
        const dataKey = await d.decrypt(armor.decode(stanza.enc.trim()), 'uint8array');
        if (dataKey.length === 32) return Buffer.from(dataKey);
      } catch {
        // Not this key; age errors are not worth surfacing and may describe the key.
      }
    }
  }
  return undefined;
}

// ---------------------------------------------------------------------------
// sops binary fallback (PGP, KMS, Vault, Shamir)

async function runSops(text: string, format: SopsFormat, file: string): Promise<string> {
  const bin = onPath('sops');
  if (!bin) throw new UndecryptableError(`${file}: needs PGP/KMS keys and no sops binary is on PATH`, file);
  const args = ['--decrypt', '--input-type', format, '--output-type', format, '/dev/stdin'];
  let res;
  try {
    res = await runChild(bin, args, { what: `sops --decrypt ${file}`, input: text });
  } catch (err) {
    if (err instanceof ChildStartError) throw new DecryptionError(`${file}: could not run ${bin}`, file);
    throw err;
  }
  if (res.code === 0) return res.stdout;
  // sops' own errors describe keys and MACs, not values; keep only the last line.
  const last = res.stderr.trim().split('\n').pop()?.slice(0, 300) ?? '';
  throw new DecryptionError(`${file}: sops --decrypt failed (exit ${res.code})${last ? `: ${last}` : ''}`, file);
}

// ---------------------------------------------------------------------------

function pathName(p: string[]): string {
  return p.length ? p.map((k) => JSON.stringify(k)).join('.') : '(top level)';
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
