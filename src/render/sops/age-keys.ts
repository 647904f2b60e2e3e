// The age identities podo may use to unwrap a SOPS data key, and where they come from
// (the same sources as sops: --sops-age-key-file, SOPS_AGE_KEY_FILE, SOPS_AGE_KEY, keys.txt).
//
// Invariant: no thrown message contains a decrypted value, a data key or a secret key.

import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { InputError } from '../../model/errors.js';

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
