// The values of a sops tree: its leaves typed the way sops' Go code sees them (yaml.v3, encoding/json),
// and the ENC[AES256_GCM,…] values that hold them (getsops/sops aes/cipher.go).
//
// Invariant: no thrown message contains a decrypted value, a data key or a secret key.

import { createDecipheriv } from 'node:crypto';
import { isAlias, isMap, isScalar, isSeq, type Scalar } from 'yaml';
import { DecryptionError } from './sops-errors.js';

// ---------------------------------------------------------------------------
// Leaves and typed values

/** A decrypted or plaintext value, typed the way sops' Go code sees it. */
export type Plain =
  | { t: 'str'; v: string }
  | { t: 'int'; v: bigint }
  | { t: 'float'; v: number }
  | { t: 'bool'; v: boolean };

/** One leaf of the sops tree, in source order. Null values are not leaves: sops skips them. */
export interface Leaf {
  path: string[];
  value: Plain;
  set(value: Plain): void;
}

export function collectYamlLeaves(node: unknown, path: string[], flavour: 'yaml' | 'json', out: Leaf[], file: string): void {
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
// ENC[AES256_GCM,…] values

export const ENC_RE = /^ENC\[AES256_GCM,data:([^,]*),iv:([^,]+),tag:([^,]+),type:([^\]]+)\]$/;

/** Opens one value; null when it does not authenticate (wrong key, path or tampering). */
export function openValue(value: string, key: Buffer, aad: string): { type: string; data: Buffer } | null {
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

export function toPlain(opened: { type: string; data: Buffer }, valuePath: string[], file: string): Plain {
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

export function pathName(p: string[]): string {
  return p.length ? p.map((k) => JSON.stringify(k)).join('.') : '(top level)';
}
