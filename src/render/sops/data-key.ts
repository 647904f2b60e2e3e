// The data key of a sops file, unwrapped from its age stanzas with the keys we have.
//
// Invariant: no thrown message contains a decrypted value, a data key or a secret key.

import { Decrypter, armor } from 'age-encryption';
import { onPath } from '../../process/executable.js';
import { isRecord } from './metadata.js';
import { NoKeyError, UndecryptableError } from './sops-errors.js';

interface AgeStanza {
  recipient: string;
  enc: string;
}

/** The data key, or undefined when only a sops binary (PGP/KMS/…) can get it. */
export async function getDataKey(meta: Record<string, unknown>, keys: string[], file: string): Promise<Buffer | undefined> {
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
