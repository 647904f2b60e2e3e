// A chart repository's index.yaml, read once per run and kept under <cache dir>/index for a short time
// (INDEX_TTL_MS) across runs: both sides of --base-ref and the next run resolve a chart's version from
// the same copy, and a chart already in the chart cache then needs no request at all. source-controller
// refetches a HelmRepository's index at its spec.interval (usually minutes to hours), so an index a few
// minutes old is what a cluster sees too. An index behind credentials (a URL with user:password, or
// a certSecretRef's CA and client certificate) is kept in memory only, never on disk.
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { rootCertificates } from 'node:tls';
import path from 'node:path';
import { load } from 'js-yaml';
import { BuildError } from '../../model/errors.js';
import { isJsonObject } from '../../model/object.js';
import { runDeadline } from '../../process/lifecycle.js';
import { pickSemverTag, type RegistryTls } from './oci.js';

/** How long a kept index is used before it is fetched again. */
export const INDEX_TTL_MS = 5 * 60_000;
/** The largest index read (the largest public ones are tens of MiB). */
const MAX_INDEX_BYTES = 128 << 20;
const MAX_REDIRECTS = 5;

export class IndexError extends BuildError {}

/** chart name → its versions, with the URLs each version's package is downloaded from. */
export type ChartIndex = Map<string, { version: string; urls: string[] }[]>;

export interface RepoIndexes {
  /** The index of the repository at URL (without index.yaml), reached with TLS (spec.certSecretRef) when given. */
  get(url: string, tls?: RegistryTls): Promise<ChartIndex>;
}

export function repoIndexes(cacheDir: string | undefined, ttlMs = INDEX_TTL_MS, now: () => number = Date.now): RepoIndexes {
  const memo = new Map<string, Promise<ChartIndex>>();
  const file = (url: string) => (cacheDir ? path.join(cacheDir, 'index', `${createHash('sha256').update(url).digest('hex').slice(0, 32)}.yaml`) : undefined);
  const load1 = async (url: string, tls: RegistryTls | undefined): Promise<ChartIndex> => {
    const kept = new URL(url).password === '' && !tls ? file(url) : undefined;
    if (kept) {
      try {
        if (now() - statSync(kept).mtimeMs < ttlMs) return parseIndex(readFileSync(kept, 'utf8'), url);
      } catch {
        /* none kept, or unreadable: fetched */
      }
    }
    const text = await fetchText(`${url.replace(/\/+$/, '')}/index.yaml`, runDeadline(), 0, tls);
    const index = parseIndex(text, url);
    if (kept) {
      try {
        mkdirSync(path.dirname(kept), { recursive: true, mode: 0o700 });
        const tmp = `${kept}.${process.pid}.${Math.random().toString(36).slice(2)}.tmp`;
        writeFileSync(tmp, text, { mode: 0o600 });
        renameSync(tmp, kept);
      } catch {
        /* a cache that is not writable only costs the next run a request */
      }
    }
    return index;
  };
  return {
    get(url, tls) {
      // The same URL reached with other certificates is another index (kept apart; the key is a digest, never printed).
      const key = tls ? `${url}\n${createHash('sha256').update(JSON.stringify(tls)).digest('hex')}` : url;
      let p = memo.get(key);
      if (!p) memo.set(key, (p = load1(url, tls)));
      return p;
    },
  };
}

/** The entries of an index.yaml. */
export function parseIndex(text: string, url: string): ChartIndex {
  let doc: unknown;
  try {
    doc = load(text, { json: true });
  } catch {
    throw new IndexError(`the index of ${url} is not YAML`);
  }
  const entries = isJsonObject(doc as never) && isJsonObject((doc as { entries?: never }).entries) ? ((doc as { entries: Record<string, unknown> }).entries) : undefined;
  if (!entries) throw new IndexError(`the index of ${url} has no entries`);
  const out: ChartIndex = new Map();
  for (const [name, list] of Object.entries(entries)) {
    if (!Array.isArray(list)) continue;
    const versions: { version: string; urls: string[] }[] = [];
    for (const e of list) {
      if (!isJsonObject(e as never)) continue;
      const v = (e as { version?: unknown }).version;
      const urls = (e as { urls?: unknown }).urls;
      if (typeof v !== 'string' || !Array.isArray(urls)) continue;
      versions.push({ version: v, urls: urls.filter((u): u is string => typeof u === 'string') });
    }
    out.set(name, versions);
  }
  return out;
}

/**
 * The version of CHART that helm (and source-controller) would pick for VERSION: the highest satisfying
 * the range, stable versions only unless the range names a prerelease; no version means `*`. Its
 * package URL is made absolute against the repository URL, as helm does for relative URLs.
 */
export function pickIndexVersion(index: ChartIndex, repoUrl: string, chart: string, version: string | undefined): { version: string; url: string } | undefined {
  const versions = index.get(chart) ?? [];
  const wanted = version && version.trim() !== '' ? version : '*';
  // An exact version is looked up as written first (helm's index lookup does so before ranges).
  const exact = versions.find((v) => v.version === wanted || v.version === `v${wanted}`);
  const picked = exact ?? versions.find((v) => v.version === pickSemverTag(versions.map((x) => x.version), wanted));
  if (!picked || picked.urls.length === 0) return undefined;
  return { version: picked.version, url: new URL(picked.urls[0], `${repoUrl.replace(/\/+$/, '')}/`).toString() };
}

/**
 * One GET of an index, following a few redirects within http(s), bounded by size and the deadline.
 * TLS: source-controller's certSecretRef CA is added to the system's (secrets.WithSystemCertPool), and
 * the client certificate is presented to the repository's own host only.
 */
function fetchText(url: string, deadline: number, redirects = 0, tls?: RegistryTls): Promise<string> {
  return new Promise((resolve, reject) => {
    const shown = new URL(url);
    const host = shown.host;
    const ms = Math.min(deadline, Date.now() + 60_000) - Date.now();
    if (ms <= 0) return reject(new IndexError(`fetching the index of ${host} timed out`));
    const secure = tls && url.startsWith('https:') ? { ...(tls.ca ? { ca: [...rootCertificates, tls.ca] } : {}), ...(tls.cert ? { cert: tls.cert, key: tls.key } : {}) } : {};
    const req = (url.startsWith('https:') ? httpsRequest : httpRequest)(url, { headers: { accept: 'application/x-yaml, text/yaml, */*' }, timeout: ms, ...secure }, (res) => {
      const status = res.statusCode ?? 0;
      if (status >= 300 && status < 400 && res.headers.location && redirects < MAX_REDIRECTS) {
        res.resume();
        const next = new URL(res.headers.location, url);
        if (next.protocol !== 'http:' && next.protocol !== 'https:') return reject(new IndexError(`the index of ${host} redirects to ${next.protocol}`));
        // Credentials in the URL go to its own host only.
        if (next.host !== shown.host) {
          next.username = '';
          next.password = '';
        }
        fetchText(next.toString(), deadline, redirects + 1, next.host === shown.host ? tls : undefined).then(resolve, reject);
        return;
      }
      if (status !== 200) {
        res.resume();
        return reject(new IndexError(`fetching the index of ${host} failed: HTTP ${status}`));
      }
      const chunks: Buffer[] = [];
      let size = 0;
      res.on('data', (c: Buffer) => {
        size += c.length;
        if (size > MAX_INDEX_BYTES) req.destroy(new IndexError(`the index of ${host} is larger than ${MAX_INDEX_BYTES >> 20} MiB`));
        else chunks.push(c);
      });
      res.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new IndexError(`fetching the index of ${host} timed out`)));
    req.on('error', (err) => reject(err instanceof IndexError ? err : new IndexError(`fetching the index of ${host} failed: ${err.message}`)));
    req.end();
  });
}
