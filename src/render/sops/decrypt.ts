// SOPS in the build: encrypted files in the temporary copy are decrypted in place before kustomize
// runs (so secretGenerator sources work too), with the MAC checked on the source file, as the sops CLI
// does. Files that cannot be decrypted stay encrypted; after the build, only those whose objects end up
// in it matter: a tampered one is an error, one without a usable key falls back to key sets.
import { readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { CORE_SCHEMA, loadAll } from 'js-yaml';
import { isJsonObject, type JsonValue, type KubeObject } from '../../model/object.js';
// sops.ts (and age-encryption behind it) loads only when a file is encrypted: ~90 ms of start-up otherwise.
import { DecryptionError, NoKeyError, UndecryptableError, type SopsFormat } from './sops-errors.js';
import { secrets as registry } from '../../model/secrets.js';
import { parseIni } from './sops-ini.js';
import { guardYaml } from '../documents.js';
import { standInSopsText } from './sops-standins.js';
import { standIn, standInScalar, type ShadowVariant } from '../secret-derived.js';
import { BuildError } from '../../model/errors.js';

export const DECRYPT = 'kustomize.toolkit.fluxcd.io/decrypt';

interface Failure {
  file: string;
  error: DecryptionError;
  fatal: boolean;
}

export interface DecryptOutcome {
  /** Failures by a fingerprint that survives kustomize: the file's encrypted `mac` value. */
  failures: Map<string, Failure>;
  decrypted: number;
  /** Plaintext of the decrypted values: never shown, only scrubbed from messages. */
  secrets: string[];
  /** The files decrypted before the build, relative to the workspace root: a stand-in rendering writes stand-ins there. */
  files: string[];
  /**
   * Resource files, decrypted after the build as kustomize-controller does: by the file's MAC (which its
   * objects carry through kustomize), each ciphertext's plaintext value.
   */
  resources: Map<string, Map<string, JsonValue>>;
}

const MAX_FILE = 8 << 20;

/**
 * The SOPS format of a file, as kustomize-controller picks it (sops FormatForPath): by extension for
 * YAML, JSON, dotenv and INI; any other file is binary — a JSON envelope around "data" — unless its
 * content carries another format's marker (kustomize-controller reads the format off the secretGenerator
 * key, `token.yaml=token.enc`, which names the file's real format).
 */
export function formatOf(file: string, text: string): SopsFormat | undefined {
  const ext = path.extname(file).toLowerCase();
  if (ext === '.yaml' || ext === '.yml') return 'yaml';
  if (ext === '.json') return 'json';
  if (ext === '.env') return 'dotenv';
  if (ext === '.ini') return 'ini';
  if (/"mac"\s*:\s*"ENC\[/.test(text)) return isBinaryEnvelope(text) ? 'binary' : 'json';
  if (/^sops_mac=ENC\[/m.test(text)) return 'dotenv';
  if (/^\s*\[sops\]\s*$/m.test(text)) return 'ini';
  if (/^\s*mac: ENC\[/m.test(text)) return 'yaml';
  return undefined;
}

/** sops' binary store: exactly `{"data": "...", "sops": {...}}`. */
function isBinaryEnvelope(text: string): boolean {
  try {
    const v: unknown = JSON.parse(text);
    return isJsonObject(v) && typeof v.data === 'string' && isJsonObject(v.sops) && Object.keys(v).length === 2;
  } catch {
    return false;
  }
}

function* walk(dir: string): Generator<string> {
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) yield* walk(p);
    else if (e.isFile()) yield p;
  }
}

const JSON_MAC = /["']?mac["']?\s*:\s*["']?(ENC\[AES256_GCM,[^\]"']+\])/;
const MAC_PATTERNS: Record<SopsFormat, RegExp> = {
  dotenv: /^sops_mac=(.+)$/m,
  ini: /^\s*mac\s*[=:]\s*(ENC\[AES256_GCM,[^\]]+\])/m,
  yaml: JSON_MAC,
  json: JSON_MAC,
  binary: JSON_MAC,
};

/** The encrypted MAC string of a SOPS file, used to recognise its objects after the build. */
function macOf(text: string, format: SopsFormat): string | undefined {
  const m = text.match(MAC_PATTERNS[format]);
  return m ? m[1].trim() : undefined;
}

function decryptDisabled(text: string): boolean {
  return new RegExp(`${DECRYPT.replace(/[./]/g, '\\$&')}["']?\\s*:\\s*["']?disabled`, 'i').test(text);
}

/**
 * Writes, in place of each file the real rendering decrypted, its stand-in plaintext
 * (render/secret-derived.ts); files it could not decrypt stay as they are, with the same failures.
 */
export function standInWorkspace(root: string, real: DecryptOutcome, variant: ShadowVariant): DecryptOutcome {
  for (const rel of real.files) {
    const file = path.join(root, rel);
    const text = readFileSync(file, 'utf8');
    writeFileSync(file, standInSopsText(text, formatOf(file, text) ?? 'binary', rel, variant));
  }
  return { ...real, secrets: [] };
}

/** Each ENC[…] value of an encrypted YAML or JSON file with its plaintext value, typed. */
function plaintextByCiphertext(encrypted: string, plain: string): Map<string, JsonValue> {
  const out = new Map<string, JsonValue>();
  const enc = loadAll(encrypted, undefined, { schema: CORE_SCHEMA });
  const dec = loadAll(plain, undefined, { schema: CORE_SCHEMA });
  const pair = (a: unknown, b: unknown) => {
    if (typeof a === 'string' && a.startsWith('ENC[')) out.set(a, (b ?? null) as JsonValue);
    else if (Array.isArray(a) && Array.isArray(b)) a.forEach((x, i) => pair(x, b[i]));
    else if (isJsonObject(a) && isJsonObject(b)) for (const k of Object.keys(a)) pair(a[k], b[k]);
  };
  enc.forEach((d, i) => pair(d, dec[i]));
  return out;
}

/**
 * After the build: an object from an encrypted resource file gets its values back, as kustomize-controller's
 * DecryptResource does (any kind with a `sops.mac`), or stand-ins of their types in a stand-in rendering.
 * A ciphertext kustomize moved or rewrote cannot be decrypted there either.
 */
export function decryptObject(obj: KubeObject, outcome: DecryptOutcome, subject: string, variant?: ShadowVariant): void {
  const mac = isJsonObject(obj.sops) && typeof obj.sops.mac === 'string' ? obj.sops.mac : undefined;
  const plain = mac ? outcome.resources.get(mac) : undefined;
  if (!plain) return;
  const at = (v: JsonValue, where: string): JsonValue => {
    if (typeof v === 'string' && v.startsWith('ENC[AES256_GCM,')) {
      if (variant) return standInForCiphertext(v, `${subject}${where}`, variant);
      if (!plain.has(v)) throw new BuildError(`${subject}: a SOPS-encrypted value at ${where || '.'} was changed by the build (a kustomize transformer moved or rewrote it): kustomize-controller cannot decrypt it`);
      return plain.get(v)!;
    }
    if (Array.isArray(v)) return v.map((x, i) => at(x, `${where}[${i}]`));
    if (isJsonObject(v)) {
      for (const k of Object.keys(v)) v[k] = at(v[k], `${where}.${k}`);
      return v;
    }
    return v;
  };
  delete obj.sops;
  for (const k of Object.keys(obj)) if (k !== 'apiVersion' && k !== 'kind') obj[k] = at(obj[k], `.${k}`);
}

function standInForCiphertext(v: string, identity: string, variant: ShadowVariant): JsonValue {
  const type = /type:(str|int|float|bool|bytes)\]$/.exec(v)?.[1];
  if (type === 'int') return standInScalar(1, identity, variant);
  if (type === 'float') return standInScalar(0.5, identity, variant);
  if (type === 'bool') return standInScalar(true, identity, variant);
  return standIn(identity, variant);
}

/**
 * Decrypts the SOPS files under `root` as kustomize-controller does: those in `beforeBuild` (generator
 * sources and patches, render/sops/sops-sources.ts) in place, so kustomize reads plaintext; the others are
 * decrypted too (their MAC checked on the file, as the sops CLI does), but kustomize reads them as
 * ciphertext: their values go into the objects after the build (decryptObject). `display` maps a temp
 * path to what the user knows.
 */
export async function decryptWorkspace(root: string, getKeys: () => Promise<string[]>, display: (file: string) => string, beforeBuild: Set<string>): Promise<DecryptOutcome> {
  const failures = new Map<string, Failure>();
  let decrypted = 0;
  let keys: string[] | undefined;
  const secrets = new Set<string>();
  const files: string[] = [];
  const resources = new Map<string, Map<string, JsonValue>>();
  for (const file of walk(root)) {
    if (statSync(file).size > MAX_FILE) continue;
    const text = readFileSync(file, 'utf8');
    if (!text.includes('ENC[AES256_GCM') || !/sops/.test(text)) continue;
    const format = formatOf(file, text);
    if (!format) continue;
    if (format !== 'dotenv' && format !== 'ini') guardYaml(text, display(file));
    const mac = macOf(text, format);
    if (!mac) continue;
    if (decryptDisabled(text)) continue;
    const sops = await import('./sops.js');
    try {
      keys ??= await getKeys();
      const source = beforeBuild.has(file);
      // Flux decrypts nothing else before the build, and after it only objects (YAML or JSON files).
      if (!source && format !== 'yaml' && format !== 'json') continue;
      const plain = await sops.decryptSopsText(text, format, display(file), keys);
      decrypted++;
      if (source) {
        writeFileSync(file, plain);
        files.push(path.relative(root, file));
      } else resources.set(mac, plaintextByCiphertext(text, plain));
      for (const v of plaintextValues(text, plain, format)) {
        secrets.add(v);
        registry.add(v);
      }
    } catch (err) {
      if (!(err instanceof DecryptionError)) throw err;
      // No key at all: values are unknown and key sets are compared. Keys given but none fits: an error,
      // since the user expects this file to be decrypted.
      const fatal = !(err instanceof NoKeyError || err instanceof UndecryptableError) || (err instanceof NoKeyError && (keys?.length ?? 0) > 0);
      failures.set(mac, { file: display(file), error: err, fatal });
    }
  }
  return { failures, decrypted, secrets: [...secrets], files, resources };
}

/**
 * The plaintext of every value that was encrypted, so that an error from a later step (kustomize
 * complaining about a decrypted file, say) can be scrubbed of them before it is shown.
 */
function plaintextValues(encrypted: string, plain: string, format: SopsFormat): string[] {
  const out: string[] = [];
  // Binary: the whole file is the one value (the registry also scrubs it line by line).
  if (format === 'binary') return [plain];
  if (format === 'ini') {
    // The values whose encrypted counterpart was ciphertext, paired by section and key.
    const sealed = new Set(parseIni(encrypted).flatMap((s) => s.keys.filter((k) => k.value.startsWith('ENC[')).map((k) => `${s.name}\n${k.key}`)));
    for (const s of parseIni(plain)) for (const k of s.keys) if (sealed.has(`${s.name}\n${k.key}`)) out.push(k.value);
    return out;
  }
  if (format === 'dotenv') {
    const values = new Map(plain.split('\n').map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)] as const));
    for (const line of encrypted.split('\n')) {
      const key = line.slice(0, line.indexOf('='));
      if (line.includes('=ENC[') && values.has(key)) out.push(values.get(key)!);
    }
    return out;
  }
  try {
    const enc = loadAll(encrypted, undefined, { schema: CORE_SCHEMA });
    const dec = loadAll(plain, undefined, { schema: CORE_SCHEMA });
    const walkPair = (a: unknown, b: unknown) => {
      if (typeof a === 'string' && a.startsWith('ENC[')) {
        if (b !== undefined && b !== null) out.push(typeof b === 'string' ? b : JSON.stringify(b));
      } else if (Array.isArray(a) && Array.isArray(b)) a.forEach((x, i) => walkPair(x, b[i]));
      else if (isJsonObject(a) && isJsonObject(b)) for (const k of Object.keys(a)) walkPair(a[k], b[k]);
    };
    enc.forEach((d, i) => walkPair(d, dec[i]));
  } catch {
    /* not parseable: nothing to collect */
  }
  return out;
}

/** Removes decrypted values from a message, in every encoding the registry knows (base64 as in a Secret's data). */
export function scrubSecrets(message: string, secrets: readonly string[]): string {
  for (const v of secrets) registry.add(v);
  return registry.scrub(message);
}

export interface Undecrypted {
  /** The object still carries SOPS ciphertext. */
  encrypted: boolean;
  /** Set when the failure is fatal (tampered file, corrupt ciphertext): the error to raise. */
  fatal?: DecryptionError;
  /** Set when values are simply unknown (no usable key): why, for a note. */
  unknownBecause?: string;
}

/** After the build: does this object still hold ciphertext, and what does that mean? */
export function classifyObject(obj: KubeObject, outcome: DecryptOutcome): Undecrypted {
  const mac = encryptedMacOf(obj);
  if (!mac) return { encrypted: false };
  const failure = outcome.failures.get(mac);
  if (!failure) {
    // Encrypted but never tried: decryption disabled on it (Flux applies it as it is).
    return { encrypted: true };
  }
  if (failure.fatal) return { encrypted: true, fatal: failure.error };
  return { encrypted: true, unknownBecause: failure.error.message };
}

function encryptedMacOf(obj: KubeObject): string | undefined {
  if (isJsonObject(obj.sops) && typeof obj.sops.mac === 'string') return obj.sops.mac;
  // secretGenerator from an encrypted .env/.json: the ciphertext sits base64-encoded in data.
  if (obj.kind === 'Secret' && isJsonObject(obj.data)) {
    for (const [k, v] of Object.entries(obj.data)) {
      if (typeof v !== 'string') continue;
      const plain = Buffer.from(v, 'base64').toString('utf8');
      if (k === 'sops_mac') return plain.trim();
      const m = plain.match(MAC_PATTERNS.json) ?? plain.match(MAC_PATTERNS.dotenv) ?? plain.match(MAC_PATTERNS.ini);
      if (m) return m[1].trim();
    }
  }
  return undefined;
}

/** Drops the SOPS bookkeeping kustomize carried through, and sops_* keys of generated Secrets. */
export function stripSopsFields(obj: KubeObject): void {
  delete obj.sops;
  if (obj.kind === 'Secret' && isJsonObject(obj.data)) {
    for (const k of Object.keys(obj.data)) if (k.startsWith('sops_')) delete obj.data[k];
  }
}
