// One registry of every secret value the run has seen. Whatever the pipeline reads from a Secret,
// decrypts from SOPS, substitutes from a substituteFrom Secret or uses as a credential goes in here;
// cli/output.ts scrubs every byte written to stdout and stderr through it, so a value cannot reach
// any output even where a code path forgets to mask it. Structural masking (diff/mask.ts) stays the
// first line: it shows that a value changed, the scrubber is the guarantee that none is printed.
//
// Values shorter than MIN_SCRUB characters are kept for exact matches only (structural masking of
// whole fields): scrubbing "1" or "ok" as a substring would shred every output.
import { isJsonObject, type JsonValue } from './object.js';
import { urlPasswords } from './url-credentials.js';

export const MIN_SCRUB = 4;
/** A Secret's own values are masked structurally in the Secret; elsewhere only long ones are recognised. */
const NOT_SHORT = { exactShort: false };
export const SCRUBBED = '***';

/** The annotation kubectl apply keeps the whole last applied object in (Secret values included). */
const LAST_APPLIED = 'kubectl.kubernetes.io/last-applied-configuration';

export class SecretRegistry {
  private readonly exact = new Set<string>();
  private readonly forms = new Set<string>();
  /** Object names and namespaces: printed in every report header, visible to anyone who may list. */
  private readonly identifiers = new Set<string>();
  /**
   * Map keys of the objects the run sees (field path segments, Secret key names): structure, printed by
   * every diff (`data.password`). Flux prints a changed Secret's key; a value that equals a key must not
   * turn it into `data.***`. Never scrubbed as text; a field whose whole value is a secret stays masked.
   */
  private readonly keys = new Set<string>();
  /** Forms by their first MIN_SCRUB characters, longest first: one hash lookup per position of a text. */
  private index: Map<string, string[]> | undefined;
  private dirty = false;

  /**
   * Registers a secret value with the forms it may be printed in: base64, URL- and JSON-encoded, line by
   * line. A value too short to scrub is kept for exact matches (masking a whole field that equals it),
   * unless `exactShort` is false: a live Secret's `true` or `1` must not mask every such field in a diff,
   * while a decrypted or substituted `42` that lands in a ConfigMap must be masked there.
   */
  add(value: string | undefined | null, opts: { exactShort?: boolean } = {}): void {
    if (typeof value !== 'string' || value.length === 0) return;
    if (this.exact.has(value) || this.identifiers.has(value)) return;
    const weak = value.length < MIN_SCRUB || isCommonWord(value);
    if (weak && opts.exactShort === false) return;
    this.exact.add(value);
    // `true`, `8080`, `null`: scrubbing them as substrings would shred every output (and break JSON);
    // they are masked as whole fields instead.
    if (weak) return;
    const trimmed = value.trim();
    if (trimmed !== value && trimmed.length > 0) this.exact.add(trimmed);
    for (const f of encodings(value)) this.addForm(f);
    // A multi-line value (a key, a certificate) may be printed a line at a time by a diff.
    if (value.includes('\n')) for (const line of value.split('\n')) for (const f of encodings(line.trim())) this.addForm(f);
  }

  /**
   * An object's name and namespace are public: every report names them, and anyone who may list the
   * kind sees them. A Secret value that equals one (a DB_USER named after its app, "postgres") reveals
   * nothing the report does not print anyway, while scrubbing it would turn every header, image and
   * reference that contains the app's name into ***. Such values are still masked inside Secrets.
   */
  addIdentifiers(obj: unknown): void {
    if (!isJsonObject(obj as JsonValue)) return;
    const meta = (obj as Record<string, JsonValue>).metadata;
    if (!isJsonObject(meta)) return;
    for (const v of [meta.name, meta.namespace]) {
      if (typeof v !== 'string' || v.length === 0 || this.identifiers.has(v)) continue;
      this.identifiers.add(v);
      this.exact.delete(v);
      for (const f of encodings(v)) if (this.forms.delete(f)) this.dirty = true;
    }
    this.addKeys(obj);
  }

  /** Every map key in VALUE, at any depth, is structure: see `keys`. */
  addKeys(value: unknown): void {
    if (Array.isArray(value)) {
      for (const v of value) this.addKeys(v);
      return;
    }
    if (!isJsonObject(value as JsonValue)) return;
    for (const [k, v] of Object.entries(value as Record<string, JsonValue>)) {
      this.addKey(k);
      if (v !== null && typeof v === 'object') this.addKeys(v);
    }
  }

  private addKey(k: string): void {
    if (k.length < MIN_SCRUB || this.keys.has(k)) return;
    this.keys.add(k);
    if (this.forms.delete(k)) this.dirty = true;
  }

  /**
   * The password of a URL with userinfo in an object's spec.url (a HelmRepository, GitRepository or
   * OCIRepository written `https://user:password@host/`): printed wherever the object or its URL is.
   */
  addUrlCredentials(obj: unknown): void {
    if (!isJsonObject(obj as JsonValue)) return;
    const spec = (obj as Record<string, JsonValue>).spec;
    if (!isJsonObject(spec) || typeof spec.url !== 'string') return;
    for (const pw of urlPasswords(spec.url)) this.add(pw);
  }

  /**
   * Registers every value of a Secret-shaped object: data (decoded and as sent), stringData, last-applied;
   * for any other object, the credentials in its spec.url (addUrlCredentials).
   */
  addSecretObject(obj: unknown): void {
    if (!isJsonObject(obj as JsonValue)) return;
    const o = obj as Record<string, JsonValue>;
    if (o.kind !== 'Secret') {
      this.addUrlCredentials(o);
      return;
    }
    for (const field of ['data', 'stringData']) {
      const m = o[field];
      if (isJsonObject(m)) {
        // The key names first: a value equal to one of them must not scrub it.
        for (const k of Object.keys(m)) this.addKey(k);
        for (const v of Object.values(m)) {
          if (typeof v !== 'string') {
            if (v !== null && v !== undefined) this.add(JSON.stringify(v), NOT_SHORT);
            continue;
          }
          this.add(v, NOT_SHORT);
          if (field === 'data') this.add(decodeBase64(v), NOT_SHORT);
        }
      } else if (typeof m === 'string') this.add(m, NOT_SHORT);
    }
    const meta = o.metadata;
    if (isJsonObject(meta) && isJsonObject(meta.annotations)) {
      const last = meta.annotations[LAST_APPLIED];
      if (typeof last === 'string') {
        try {
          this.addSecretObject(JSON.parse(last));
        } catch {
          /* not JSON: the annotation as a whole is masked structurally */
        }
      }
    }
  }

  /** Registers the values of any object whose kind is Secret, anywhere in a JSON value (Lists too). */
  addSecretsIn(value: unknown): void {
    if (Array.isArray(value)) {
      for (const v of value) this.addSecretsIn(v);
      return;
    }
    if (!isJsonObject(value as JsonValue)) return;
    const o = value as Record<string, JsonValue>;
    if (o.kind === 'Secret') this.addSecretObject(o);
    else this.addUrlCredentials(o);
    if (Array.isArray(o.items)) for (const it of o.items) this.addSecretsIn(isJsonObject(it) && it.kind === undefined && o.kind === 'SecretList' ? { ...it, kind: 'Secret' } : it);
  }

  /** True when `value` is, exactly, a registered secret (any length). */
  isSecret(value: string): boolean {
    return this.exact.has(value) || this.exact.has(value.trim());
  }

  /** True when `text` holds a registered secret, exactly or (for values long enough) as a substring. */
  holdsSecret(text: string): boolean {
    if (this.isSecret(text)) return true;
    const idx = this.lookup();
    if (!idx) return false;
    for (let i = 0; i + MIN_SCRUB <= text.length; i++) if (matchAt(idx, text, i) !== undefined) return true;
    return false;
  }

  /**
   * Replaces every registered value (of at least MIN_SCRUB characters, in any known encoding) by ***,
   * leftmost-longest. Linear in the text, whatever the number of values (a regular expression with
   * thousands of alternatives is not).
   */
  scrub(text: string): string {
    const idx = this.lookup();
    if (!idx || text.length < MIN_SCRUB) return text;
    let out = '';
    let last = 0;
    for (let i = 0; i + MIN_SCRUB <= text.length; ) {
      const hit = matchAt(idx, text, i);
      if (hit === undefined) {
        i++;
        continue;
      }
      out += text.slice(last, i) + SCRUBBED;
      i += hit.length;
      last = i;
    }
    return last === 0 ? text : out + text.slice(last);
  }

  get size(): number {
    return this.exact.size;
  }

  /** For tests: forget everything. */
  clear(): void {
    this.exact.clear();
    this.forms.clear();
    this.keys.clear();
    this.index = undefined;
    this.dirty = false;
  }

  private addForm(f: string): void {
    if (f.length < MIN_SCRUB || isCommonWord(f) || this.forms.has(f) || this.identifiers.has(f) || this.keys.has(f)) return;
    this.forms.add(f);
    this.dirty = true;
  }

  private lookup(): Map<string, string[]> | undefined {
    if (this.dirty) {
      const idx = new Map<string, string[]>();
      // Longest first, so that a value containing another is replaced whole.
      for (const f of [...this.forms].sort((a, b) => b.length - a.length)) {
        const k = f.slice(0, MIN_SCRUB);
        const list = idx.get(k);
        if (list) list.push(f);
        else idx.set(k, [f]);
      }
      this.index = idx;
      this.dirty = false;
    }
    return this.index && this.index.size > 0 ? this.index : undefined;
  }
}

function encodings(v: string): string[] {
  if (v.length === 0) return [];
  const out = [v];
  const b64 = Buffer.from(v, 'utf8').toString('base64');
  out.push(b64, b64.replace(/=+$/, ''), b64.replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, ''));
  out.push(encodeURIComponent(v), encodeURIComponent(v).replace(/%20/g, '+'));
  out.push(JSON.stringify(v).slice(1, -1));
  // JSON inside JSON (a value echoed in an error message inside a JSON report).
  out.push(JSON.stringify(JSON.stringify(v).slice(1, -1)).slice(1, -1));
  // Base64 of a value at another offset inside a longer base64 string: the three alignments' stable cores.
  for (let shift = 1; shift <= 2; shift++) {
    const padded = Buffer.from('\0'.repeat(shift) + v, 'utf8').toString('base64');
    const core = padded.slice(4, padded.length - 4);
    if (core.length >= 8) out.push(core);
  }
  const core0 = b64.slice(0, Math.max(0, b64.length - 4));
  if (core0.length >= 8) out.push(core0);
  return out;
}

function decodeBase64(v: string): string | undefined {
  if (!/^[A-Za-z0-9+/=\s_-]*$/.test(v)) return undefined;
  return Buffer.from(v, 'base64').toString('utf8');
}

const COMMON = new Set(['true', 'false', 'null', 'none', 'yes', 'no', 'on', 'off', 'True', 'False', 'TRUE', 'FALSE', 'Null', 'NULL', 'enabled', 'disabled']);

function isCommonWord(v: string): boolean {
  return COMMON.has(v) || /^\d{1,5}$/.test(v);
}

function matchAt(idx: Map<string, string[]>, text: string, i: number): string | undefined {
  const candidates = idx.get(text.slice(i, i + MIN_SCRUB));
  if (!candidates) return undefined;
  for (const f of candidates) if (text.startsWith(f, i)) return f;
  return undefined;
}

/** The process-wide registry: every part of podo adds to it, cli/output.ts scrubs with it. */
export const secrets = new SecretRegistry();
