// Decrypting the leaves of a sops tree in order and verifying the MAC over them (getsops/sops sops.go).
//
// Invariant: no thrown message contains a decrypted value, a data key or a secret key.

import { createHash } from 'node:crypto';
import { DecryptionError } from './sops-errors.js';
import { ENC_RE, openValue, pathName, toPlain, type Leaf, type Plain } from './values.js';

export function decryptLeaves(leaves: Leaf[], meta: Record<string, unknown>, dataKey: Buffer, file: string): void {
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
