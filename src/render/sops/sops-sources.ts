// The files kustomize-controller decrypts before kustomize runs (internal/decryptor DecryptSources): the
// secretGenerator `files` and `envs` and the `patches[].path` files of the kustomization, and of every
// kustomization its resources and components lead to. Everything else SOPS-encrypted reaches kustomize as
// ciphertext and is decrypted after the build, object by object (DecryptResource): so a transformer in
// the pull request (replacements, a generator reading a resource file) never sees a decrypted value that
// Flux would not give it.
import { readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { parse } from 'yaml';
import { isJsonObject, type JsonValue } from '../../model/object.js';
import { kustomizationFileIn } from '../kustomize/kustomize-refs.js';

/** Absolute paths of the decrypt-before-build files under `dir`, kept inside `root`. */
export function decryptBeforeBuild(root: string, dir: string): Set<string> {
  const out = new Set<string>();
  const seen = new Set<string>();
  const inside = (p: string) => p === root || p.startsWith(root + path.sep);
  const visit = (d: string) => {
    if (seen.has(d) || !inside(d)) return;
    seen.add(d);
    const file = kustomizationFileIn(d);
    if (!file) return;
    let k: JsonValue;
    try {
      k = parse(readFileSync(file, 'utf8')) as JsonValue;
    } catch {
      return; // kustomize reports it
    }
    if (!isJsonObject(k)) return;
    const add = (rel: unknown) => {
      if (typeof rel !== 'string' || /^[a-z][a-z0-9+.-]*:\/\//i.test(rel)) return;
      const p = path.resolve(d, rel);
      if (inside(p)) out.add(p);
    };
    for (const g of Array.isArray(k.secretGenerator) ? k.secretGenerator : []) {
      if (!isJsonObject(g)) continue;
      // `key=path` or `path`.
      for (const f of Array.isArray(g.files) ? g.files : []) if (typeof f === 'string') add(f.includes('=') ? f.slice(f.indexOf('=') + 1) : f);
      for (const e of Array.isArray(g.envs) ? g.envs : []) add(e);
    }
    for (const p of Array.isArray(k.patches) ? k.patches : []) if (isJsonObject(p)) add(p.path);
    for (const r of [...(Array.isArray(k.resources) ? k.resources : []), ...(Array.isArray(k.components) ? k.components : [])]) {
      if (typeof r !== 'string') continue;
      const p = path.resolve(d, r);
      try {
        if (statSync(p).isDirectory()) visit(p);
      } catch {
        /* a file, a URL, or missing: kustomize decides */
      }
    }
  };
  visit(dir);
  return out;
}
