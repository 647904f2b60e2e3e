// kustomize's output, kept by everything it read. A build reads only its workspace (the copy of its
// reference closure with Flux's overlay merged in: render/tree/workspace.ts, render/flux/overlay.ts) and
// is run by one binary with fixed arguments, so the digest of the workspace's bytes and of the binary
// (path, size, mtime) names its output exactly: the same digest on a later run is the same build.
// A run of 70 unchanged Kustomizations then starts no kustomize at all.
//
// Kept only what is safe to keep: a build that decrypted anything (a SOPS generator source) or fetches
// remote resources is never cached (the caller checks), nor is one whose output holds a Secret; entries are
// written 0600 under --cache-dir (XDG default), atomically. Nothing kept can change a verdict: a cached
// output is exactly what kustomize printed for those bytes.
import { createHash } from 'node:crypto';
import { lstatSync, statSync } from 'node:fs';
import { mkdir, readFile, readdir, rename, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { KustomizeBinary } from '../../model/settings.js';

// Bumped whenever what the key covers changes.
const FORMAT = 'podo-kustomize-output-1';

/**
 * The key of the build of DIR inside the workspace ROOT, or undefined when the workspace holds anything
 * but directories and regular files (a link could point anywhere).
 */
export async function buildKey(root: string, dir: string, bin: KustomizeBinary, fetches: boolean): Promise<string | undefined> {
  if (fetches) return undefined;
  const h = createHash('sha256');
  let st;
  try {
    st = statSync(bin.argv[0]);
  } catch {
    return undefined;
  }
  h.update(`${FORMAT}\n${JSON.stringify(bin.argv)} ${st.size} ${st.mtimeMs}\n${JSON.stringify(path.relative(root, dir))}\n`);
  const walk = async (rel: string): Promise<boolean> => {
    const entries = (await readdir(path.join(root, rel), { withFileTypes: true })).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    for (const e of entries) {
      const p = rel ? `${rel}/${e.name}` : e.name;
      if (e.isDirectory()) {
        h.update(`d ${JSON.stringify(p)}\n`);
        if (!(await walk(p))) return false;
      } else if (e.isFile() && lstatSync(path.join(root, p)).isFile()) {
        const bytes = await readFile(path.join(root, p));
        h.update(`f ${JSON.stringify(p)} ${createHash('sha256').update(bytes).digest('hex')}\n`);
      } else return false;
    }
    return true;
  };
  return (await walk('')) ? h.digest('hex') : undefined;
}

const entryPath = (cacheDir: string, key: string) => path.join(cacheDir, 'kustomize', `${key}.yaml`);

/** The kept output of the build with this key, if any. */
export async function keptOutput(cacheDir: string, key: string): Promise<string | undefined> {
  try {
    return await readFile(entryPath(cacheDir, key), 'utf8');
  } catch {
    return undefined;
  }
}

/** Keeps a build's output; a cache that cannot be written only costs the build next time. */
export async function keepOutput(cacheDir: string, key: string, output: string): Promise<void> {
  const file = entryPath(cacheDir, key);
  const tmp = `${file}.${process.pid}.${Date.now()}.tmp`;
  try {
    await mkdir(path.dirname(file), { recursive: true, mode: 0o700 });
    await writeFile(tmp, output, { mode: 0o600 });
    await rename(tmp, file);
  } catch {
    // Read-only or full: the next run builds again.
    await rm(tmp, { force: true }).catch(() => undefined);
  }
}
