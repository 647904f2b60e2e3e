// Writes real SOPS files (the format of getsops/sops 3.8) without a sops binary, so tests
// can exercise decryption against genuine ciphertext: AES-256-GCM values under a random
// data key, the data key age-wrapped per recipient, and the SHA-512 MAC encrypted with
// `lastmodified` as additional data.
//
// Deliberately independent of src/render/sops/sops.ts (its own typing, MAC and encoding), so a
// mistake in one is not mirrored in the other. Comments are left in plaintext (sops
// would encrypt those under encrypted paths); the MAC ignores comments either way.

import { createCipheriv, createHash, randomBytes } from 'node:crypto';
import { Encrypter, armor, generateIdentity, identityToRecipient } from 'age-encryption';
import { Scalar, isMap, isScalar, isSeq, parseAllDocuments, type Document } from 'yaml';

export interface SopsWriteOptions {
  /** age recipients (`age1…`); each gets its own wrapped copy of the data key. */
  recipients: string[];
  /** e.g. `^(data|stringData)$`: only values under a matching key are encrypted. */
  encryptedRegex?: string;
  /** Defaults to `_unencrypted` when no encryptedRegex is given, as sops does. */
  unencryptedSuffix?: string;
  /** RFC3339, whole seconds. Defaults to now. */
  lastModified?: string;
}

export async function newAgeIdentity(): Promise<{ identity: string; recipient: string }> {
  const identity = await generateIdentity();
  return { identity, recipient: await identityToRecipient(identity) };
}

type Typed = { type: 'str' | 'int' | 'float' | 'bool'; text: string; mac: string };

/** The bytes sops encrypts for a value, and the (different, for bools) bytes it hashes. */
function typed(value: unknown, source: string | undefined, jsonNumbers: boolean): Typed | null {
  if (value === null || value === undefined) return null;
  if (typeof value === 'boolean') {
    const t = value ? 'True' : 'False';
    return { type: 'bool', text: t, mac: t };
  }
  if (typeof value === 'number') {
    const isInt = !jsonNumbers && Number.isInteger(value) && !/[.eE]/.test(source ?? '');
    // The source digits, not the double: 9007199254740993 must survive.
    const text = isInt ? (/^-?\d+$/.test(source ?? '') ? BigInt(source ?? '0').toString() : String(value)) : goFloat(value);
    return { type: isInt ? 'int' : 'float', text, mac: text };
  }
  const s = String(value);
  return { type: 'str', text: s, mac: s };
}

function goFloat(n: number): string {
  // strconv.FormatFloat(n, 'f', -1, 64) for the plain numbers tests use.
  const s = String(n);
  if (!s.includes('e')) return s;
  if (Number.isInteger(n)) return BigInt(n).toString();
  throw new Error(`goFloat: ${s} is not supported by this helper`);
}

interface Ctx {
  key: Buffer;
  hash: ReturnType<typeof createHash>;
  shouldEncrypt: (path: string[]) => boolean;
}

function makeCtx(opts: SopsWriteOptions): Ctx {
  const re = opts.encryptedRegex ? new RegExp(opts.encryptedRegex) : undefined;
  const suffix = re ? opts.unencryptedSuffix : (opts.unencryptedSuffix ?? '_unencrypted');
  return {
    key: randomBytes(32),
    hash: createHash('sha512'),
    shouldEncrypt: (path) => {
      if (re) return path.some((k) => re.test(k));
      return !(suffix && path.some((k) => k.endsWith(suffix)));
    },
  };
}

function seal(key: Buffer, plaintext: string, aad: string, type: string): string {
  const iv = randomBytes(32); // sops uses a 32-byte GCM nonce
  const cipher = createCipheriv('aes-256-gcm', key, iv);
  cipher.setAAD(Buffer.from(aad, 'utf8'));
  const data = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
  const b64 = (b: Buffer): string => b.toString('base64');
  return `ENC[AES256_GCM,data:${b64(data)},iv:${b64(iv)},tag:${b64(cipher.getAuthTag())},type:${type}]`;
}

/** One leaf: hash its plaintext, and encrypt it if its path says so. */
function leaf(ctx: Ctx, t: Typed, path: string[]): string | null {
  ctx.hash.update(Buffer.from(t.mac, 'utf8'));
  if (!ctx.shouldEncrypt(path)) return null;
  if (t.type === 'str' && t.text === '') return ''; // sops leaves "" as it is
  return seal(ctx.key, t.text, `${path.join(':')}:`, t.type);
}

/** Walks YAML nodes in source order (a JS object would reorder keys like "8080"). */
function walkNode(ctx: Ctx, node: unknown, path: string[], jsonNumbers: boolean): void {
  if (isMap(node)) {
    for (const pair of node.items) {
      const key = isScalar(pair.key) ? String(pair.key.value) : String(pair.key);
      walkNode(ctx, pair.value, [...path, key], jsonNumbers);
    }
  } else if (isSeq(node)) {
    for (const item of node.items) walkNode(ctx, item, path, jsonNumbers);
  } else if (isScalar(node)) {
    const t = typed(node.value, node.source, jsonNumbers);
    if (!t) return;
    const enc = leaf(ctx, t, path);
    if (enc !== null) {
      node.value = enc;
      node.type = Scalar.PLAIN;
    }
  }
}

async function finish(ctx: Ctx, opts: SopsWriteOptions): Promise<Record<string, unknown>> {
  const lastmodified = opts.lastModified ?? new Date().toISOString().replace(/\.\d+Z$/, 'Z');
  const age = [];
  for (const recipient of opts.recipients) {
    const e = new Encrypter();
    e.addRecipient(recipient);
    age.push({ recipient, enc: armor.encode(await e.encrypt(ctx.key)) });
  }
  const mac = seal(ctx.key, ctx.hash.digest('hex').toUpperCase(), lastmodified, 'str');
  const meta: Record<string, unknown> = { kms: [], gcp_kms: [], azure_kv: [], hc_vault: [], age, lastmodified, mac, pgp: [] };
  if (opts.encryptedRegex) meta['encrypted_regex'] = opts.encryptedRegex;
  else meta['unencrypted_suffix'] = opts.unencryptedSuffix ?? '_unencrypted';
  meta['version'] = '3.8.1';
  return meta;
}

function parseDocs(text: string): Document[] {
  const docs = parseAllDocuments(text);
  if (!Array.isArray(docs)) return [];
  for (const d of docs) if (d.errors.length) throw d.errors[0];
  return docs;
}

/** Every document gets the same sops block; one MAC covers all of them, as sops does. */
export async function encryptYaml(plainYaml: string, opts: SopsWriteOptions): Promise<string> {
  const ctx = makeCtx(opts);
  const docs = parseDocs(plainYaml);
  for (const doc of docs) walkNode(ctx, doc.contents, [], false);
  const meta = await finish(ctx, opts);
  return docs
    .map((doc, i) => {
      if (isMap(doc.contents)) doc.contents.set('sops', doc.createNode(meta));
      const text = doc.toString({ lineWidth: 0 });
      return i === 0 || text.startsWith('---') ? text : `---\n${text}`;
    })
    .join('');
}

/** JSON keeps key order; sops reads every JSON number as a float64. */
export async function encryptJson(plainJson: string, opts: SopsWriteOptions): Promise<string> {
  const ctx = makeCtx(opts);
  const doc = parseDocs(plainJson)[0];
  if (!doc || !isMap(doc.contents)) throw new Error('encryptJson: expected a JSON object');
  walkNode(ctx, doc.contents, [], true);
  const meta = await finish(ctx, opts);
  const body = doc.contents.items.map((p) => `  ${JSON.stringify(String(isScalar(p.key) ? p.key.value : p.key))}: ${jsonOf(p.value, '  ')}`);
  body.push(`  "sops": ${JSON.stringify(meta, null, 2).replaceAll('\n', '\n  ')}`);
  return `{\n${body.join(',\n')}\n}\n`;
}

function jsonOf(node: unknown, indent: string): string {
  const inner = `${indent}  `;
  if (isMap(node)) {
    const items = node.items.map((p) => `${inner}${JSON.stringify(String(isScalar(p.key) ? p.key.value : p.key))}: ${jsonOf(p.value, inner)}`);
    return items.length ? `{\n${items.join(',\n')}\n${indent}}` : '{}';
  }
  if (isSeq(node)) {
    return node.items.length ? `[\n${node.items.map((i) => inner + jsonOf(i, inner)).join(',\n')}\n${indent}]` : '[]';
  }
  return JSON.stringify(isScalar(node) ? node.value : null);
}

/**
 * dotenv as sops writes it: `KEY=value` lines, newlines escaped as `\n`, comments
 * encrypted (path is empty, so additional data ":") unless a regex excludes them, and the
 * metadata flattened into sorted `sops_*` lines.
 */
export async function encryptDotenv(plainEnv: string, opts: SopsWriteOptions): Promise<string> {
  const ctx = makeCtx(opts);
  const out: string[] = [];
  for (const line of plainEnv.split('\n')) {
    if (line === '') continue;
    if (line.startsWith('#')) {
      out.push(ctx.shouldEncrypt([]) ? `#${seal(ctx.key, line.slice(1), ':', 'comment')}` : line);
      continue;
    }
    const eq = line.indexOf('=');
    const key = line.slice(0, eq);
    const value = line.slice(eq + 1).replaceAll('\\n', '\n');
    const enc = leaf(ctx, { type: 'str', text: value, mac: value }, [key]);
    out.push(`${key}=${(enc ?? value).replaceAll('\n', '\\n')}`);
  }
  const meta = await finish(ctx, opts);
  const flat: Record<string, string> = {};
  const flatten = (prefix: string, v: unknown): void => {
    if (Array.isArray(v)) v.forEach((x, i) => flatten(`${prefix}__list_${i}`, x));
    else if (v && typeof v === 'object') for (const [k, x] of Object.entries(v)) flatten(`${prefix}__map_${k}`, x);
    else flat[prefix] = String(v);
  };
  for (const [k, v] of Object.entries(meta)) {
    if (Array.isArray(v) && v.length === 0) continue; // empty lists flatten to nothing
    if (Array.isArray(v)) v.forEach((x, i) => flatten(`${k}__list_${i}`, x));
    else flat[k] = String(v);
  }
  for (const k of Object.keys(flat).sort()) out.push(`sops_${k}=${(flat[k] ?? '').replaceAll('\n', '\\n')}`);
  return `${out.join('\n')}\n`;
}

/** sops' binary store: the whole file is one string value "data", written as a JSON envelope. */
export async function encryptBinary(content: string, opts: SopsWriteOptions): Promise<string> {
  return encryptJson(`{"data": ${JSON.stringify(content)}}`, opts);
}

/**
 * INI as sops writes it (stores/ini over gopkg.in/ini.v1): `[section]` then `key = value` lines, each
 * value encrypted at path `section:key:`, keys before any header in the unnamed DEFAULT section (hashed
 * first), and the metadata as a `[sops]` section of flattened keys with newlines escaped. Comments and
 * quoting are not supported here: tests write plain `key = value` lines.
 */
export async function encryptIni(plainIni: string, opts: SopsWriteOptions): Promise<string> {
  const ctx = makeCtx(opts);
  const sections: Array<{ name: string; lines: string[] }> = [{ name: 'DEFAULT', lines: [] }];
  for (const raw of plainIni.split('\n')) {
    const line = raw.trim();
    if (line === '') continue;
    const header = /^\[(.*)\]$/.exec(line);
    if (header) {
      sections.push({ name: header[1] ?? '', lines: [] });
      continue;
    }
    const eq = line.indexOf('=');
    const key = line.slice(0, eq).trim();
    const value = line.slice(eq + 1).trim();
    const section = sections[sections.length - 1]!;
    const enc = leaf(ctx, { type: 'str', text: value, mac: value }, [section.name, key]);
    section.lines.push(`${key} = ${enc ?? value}`);
  }
  const meta = await finish(ctx, opts);
  const flat: Array<[string, string]> = [];
  const flatten = (prefix: string, v: unknown): void => {
    if (Array.isArray(v)) v.forEach((x, i) => flatten(`${prefix}__list_${i}`, x));
    else if (v && typeof v === 'object') for (const [k, x] of Object.entries(v)) flatten(`${prefix}__map_${k}`, x);
    else flat.push([prefix, String(v)]);
  };
  for (const [k, v] of Object.entries(meta)) {
    if (Array.isArray(v)) v.forEach((x, i) => flatten(`${k}__list_${i}`, x));
    else flat.push([k, String(v)]);
  }
  sections.push({ name: 'sops', lines: flat.map(([k, v]) => `${k} = ${v.replaceAll('\n', '\\n')}`) });
  return sections
    .filter((s) => s.name !== 'DEFAULT' || s.lines.length > 0)
    .map((s) => `[${s.name}]\n${s.lines.join('\n')}\n`)
    .join('\n');
}
