// The sops binary fallback (PGP, KMS, Vault, Shamir): files our age path cannot open.
//
// Invariant: no thrown message contains a decrypted value, a data key or a secret key.

import { ChildStartError, runChild } from '../../process/child.js';
import { onPath } from '../../process/executable.js';
import { DecryptionError, UndecryptableError, type SopsFormat } from './sops-errors.js';

export async function runSops(text: string, format: SopsFormat, file: string): Promise<string> {
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
