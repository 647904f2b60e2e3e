// The errors the sops modules throw, and the formats they read.

import { BuildError } from '../../model/errors.js';

export class DecryptionError extends BuildError {}
/** The file can only be opened with PGP/KMS/Vault keys and no sops binary is available. */
export class UndecryptableError extends DecryptionError {}
/** The file has age recipients, but none of the keys we have unwraps its data key. */
export class NoKeyError extends DecryptionError {}

export type SopsFormat = 'yaml' | 'json' | 'dotenv' | 'ini' | 'binary';
