// Charts kept across runs (and shared by both sides of --base-ref) under <cache dir>/charts: an OCI
// chart by its manifest digest (content-addressed: what a digest names never changes), a chart
// repository's chart by repository URL + exact version. A chart is unpacked into a scratch directory
// first and renamed into place whole, so a cache entry is always complete. Charts pulled with
// credentials are not cached (a private chart stays in the run's temporary helm home only).
import { createHash } from 'node:crypto';
import { cpSync, existsSync, mkdirSync, renameSync, rmSync } from 'node:fs';
import path from 'node:path';

export interface ChartCache {
  /** The cached chart directory for `key`, when there is one. */
  get(key: string): string | undefined;
  /** Copies the unpacked chart `dir` into the cache; returns the cached copy (or `dir` when it could not be cached). */
  put(key: string, dir: string): string;
}

/** `oci:<sha256 digest>` */
export function ociKey(digest: string): string {
  return `oci:${digest}`;
}

/** `repo:<url> <chart> <version>`; undefined for a version range (its answer changes with the index). */
export function repoKey(url: string, chart: string, version: string | undefined): string | undefined {
  if (!version || !/^v?\d+\.\d+\.\d+([-+][0-9A-Za-z.+-]*)?$/.test(version)) return undefined;
  return `repo:${url.replace(/\/+$/, '')} ${chart} ${version}`;
}

export function chartCache(cacheDir: string): ChartCache {
  const root = path.join(cacheDir, 'charts');
  const entry = (key: string) => path.join(root, createHash('sha256').update(key).digest('hex').slice(0, 32));
  const get = (key: string): string | undefined => {
    const dir = path.join(entry(key), 'chart');
    return existsSync(path.join(dir, 'Chart.yaml')) ? dir : undefined;
  };
  return {
    get,
    put(key, dir) {
      const final = entry(key);
      const tmp = `${final}.${process.pid}.${Math.random().toString(36).slice(2)}.tmp`;
      try {
        mkdirSync(tmp, { recursive: true, mode: 0o700 });
        // Copied, not moved: the cache and the run's temporary directory may be on different file systems.
        cpSync(dir, path.join(tmp, 'chart'), { recursive: true });
        renameSync(tmp, final);
        return path.join(final, 'chart');
      } catch {
        // Another render put the same chart first (a rename onto a non-empty directory fails), or the
        // cache is not writable: the chart is used from where it was unpacked.
        return get(key) ?? dir;
      } finally {
        rmSync(tmp, { recursive: true, force: true });
      }
    },
  };
}
