// The part of the OCI distribution API podo speaks itself: a repository's tag list, to resolve an
// OCIRepository's `ref.semver` as source-controller does. Charts themselves are pulled by helm.
// Credentials go to the registry's host only (and to the token service it names in its Bearer
// challenge, over https or on the same host), never anywhere else.
import { request as httpRequest, type IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';
import semver from 'semver';
import { BuildError } from '../../model/errors.js';
import { runDeadline } from '../../process/lifecycle.js';

/** An OCI registry call that failed, or a reference podo cannot use: the chart is not rendered. */
export class OciError extends BuildError {}

export interface RegistryAuth {
  username: string;
  password: string;
}

export interface OciRepositoryRef {
  host: string;
  /** `charts/app` */
  repository: string;
  /** Plain http (spec.insecure). */
  insecure: boolean;
  auth?: RegistryAuth;
  /** spec.certSecretRef: a CA to trust, and a client certificate with its key (PEM). */
  tls?: RegistryTls;
}

export interface RegistryTls {
  ca?: string;
  cert?: string;
  key?: string;
}

/**
 * The TLS material of a certSecretRef Secret, as source-controller reads it (pkg/tls): `ca.crt`,
 * `tls.crt` and `tls.key`, else the older `caFile`, `certFile` and `keyFile` keys. A certificate
 * without its key (or the reverse) is an error.
 */
export function tlsFromSecret(entries: Record<string, string>): RegistryTls {
  const ca = entries['ca.crt'] ?? entries.caFile;
  const cert = entries['tls.crt'] ?? entries.certFile;
  const key = entries['tls.key'] ?? entries.keyFile;
  if ((cert === undefined) !== (key === undefined)) throw new OciError('its certSecretRef Secret holds a client certificate without its key, or a key without its certificate');
  if (ca === undefined && cert === undefined) throw new OciError('its certSecretRef Secret holds neither ca.crt nor tls.crt/tls.key');
  return { ...(ca !== undefined ? { ca } : {}), ...(cert !== undefined ? { cert, key } : {}) };
}

/** `oci://host[:port]/path` → host and repository; undefined when it is not such a URL. */
export function parseOciUrl(url: string): { host: string; repository: string } | undefined {
  const m = /^oci:\/\/([^/?#@\s]+)\/([a-z0-9][a-z0-9._\/-]*)$/.exec(url.replace(/\/+$/, ''));
  return m ? { host: m[1], repository: m[2] } : undefined;
}

/**
 * The credentials for `host` in a Secret: `.dockerconfigjson` (type kubernetes.io/dockerconfigjson, an
 * `auths` map keyed by host, with `auth` = base64(user:password) or username/password), else
 * `username`/`password` keys (HelmRepository basic auth). Undefined when the Secret holds none for it.
 */
export function credentialsFor(host: string, entries: Record<string, string>): RegistryAuth | undefined {
  const json = entries['.dockerconfigjson'];
  if (json !== undefined) {
    let auths: Record<string, unknown> = {};
    try {
      const parsed = JSON.parse(json) as { auths?: Record<string, unknown> };
      auths = parsed && typeof parsed.auths === 'object' && parsed.auths ? parsed.auths : {};
    } catch {
      throw new OciError('its .dockerconfigjson is not JSON');
    }
    // Keys may carry a scheme or path (`https://ghcr.io/v1/`): matched by host, as Flux's oci package does.
    const key = Object.keys(auths).find((k) => k.replace(/^https?:\/\//, '').replace(/\/.*$/, '') === host);
    const a = key ? (auths[key] as Record<string, unknown>) : undefined;
    if (!a) return undefined;
    if (typeof a.auth === 'string' && a.auth !== '') {
      const plain = Buffer.from(a.auth, 'base64').toString('utf8');
      const i = plain.indexOf(':');
      if (i > 0) return { username: plain.slice(0, i), password: plain.slice(i + 1) };
    }
    if (typeof a.username === 'string' && typeof a.password === 'string') return { username: a.username, password: a.password };
    return undefined;
  }
  if (entries.username !== undefined && entries.password !== undefined) return { username: entries.username, password: entries.password };
  return undefined;
}

/** A docker config.json holding only `host`'s credentials: what helm reads with --registry-config. */
export function registryConfig(host: string, auth: RegistryAuth): string {
  return JSON.stringify({ auths: { [host]: { auth: Buffer.from(`${auth.username}:${auth.password}`).toString('base64') } } });
}

/**
 * The tag of `tags` that source-controller's OCIRepository would pick for `ref.semver`: tags matching
 * `semverFilter` (a regular expression, when set) that parse as semantic versions (a leading `v` and a
 * missing minor or patch are accepted, as Masterminds/semver does), the highest satisfying the range.
 * Masterminds ranges separate AND terms with commas or spaces; node-semver only with spaces.
 */
export function pickSemverTag(tags: string[], range: string, filter?: string): string | undefined {
  const r = semver.validRange(range.replace(/,/g, ' ').trim());
  if (r === null) throw new OciError(`ref.semver ${JSON.stringify(range)} is not a semantic version range`);
  let re: RegExp | undefined;
  if (filter) {
    try {
      re = new RegExp(filter);
    } catch {
      throw new OciError(`ref.semverFilter ${JSON.stringify(filter)} is not a regular expression`);
    }
  }
  // Masterminds/semver considers prereleases (of any version) only when the range names one.
  const includePrerelease = /\d-[0-9A-Za-z]/.test(range);
  let best: { tag: string; v: semver.SemVer } | undefined;
  for (const tag of tags) {
    if (re && !re.test(tag)) continue;
    const v = lenientVersion(tag);
    if (!v || !semver.satisfies(v, r, { includePrerelease })) continue;
    if (!best || semver.gt(v, best.v)) best = { tag, v };
  }
  return best?.tag;
}

function lenientVersion(tag: string): semver.SemVer | undefined {
  const m = /^v?(\d+)(?:\.(\d+))?(?:\.(\d+))?([-+].*)?$/.exec(tag);
  if (!m) return undefined;
  return semver.parse(`${m[1]}.${m[2] ?? 0}.${m[3] ?? 0}${m[4] ?? ''}`) ?? undefined;
}

/** Every tag of the repository (`GET /v2/<name>/tags/list`, following `Link` pages). */
export async function listTags(ref: OciRepositoryRef, timeoutMs = 60_000): Promise<string[]> {
  const deadline = Math.min(runDeadline(), Date.now() + timeoutMs);
  const base = `${ref.insecure ? 'http' : 'https'}://${ref.host}`;
  const tags: string[] = [];
  let next: string | undefined = `/v2/${ref.repository}/tags/list?n=1000`;
  let token: string | undefined;
  for (let page = 0; next && page < 100; page++) {
    let res = await get(`${base}${next}`, authHeader(ref, token), deadline, 'GET', ref.tls);
    if (res.status === 401) {
      token = await challenge(ref, res.headers['www-authenticate'], deadline);
      res = await get(`${base}${next}`, authHeader(ref, token), deadline, 'GET', ref.tls);
    }
    next = undefined;
    if (res.status !== 200) throw new OciError(`listing the tags of ${ref.host}/${ref.repository} failed: HTTP ${res.status}`);
    let body: { tags?: unknown };
    try {
      body = JSON.parse(res.body) as { tags?: unknown };
    } catch {
      throw new OciError(`the tag list of ${ref.host}/${ref.repository} is not JSON`);
    }
    if (Array.isArray(body.tags)) tags.push(...body.tags.filter((t): t is string => typeof t === 'string'));
    const link = /<([^>]+)>;\s*rel="?next"?/.exec(String(res.headers.link ?? ''));
    if (link && link[1].startsWith('/')) next = link[1];
  }
  return tags;
}

/** The manifest digest a tag points at (`HEAD /v2/<name>/manifests/<tag>`), for the chart cache. */
export async function resolveDigest(ref: OciRepositoryRef, tag: string, timeoutMs = 30_000): Promise<string> {
  const deadline = Math.min(runDeadline(), Date.now() + timeoutMs);
  const url = `${ref.insecure ? 'http' : 'https'}://${ref.host}/v2/${ref.repository}/manifests/${encodeURIComponent(tag)}`;
  const accept = { accept: 'application/vnd.oci.image.manifest.v1+json, application/vnd.docker.distribution.manifest.v2+json' };
  let res = await get(url, { ...accept, ...authHeader(ref, undefined) }, deadline, 'HEAD', ref.tls);
  if (res.status === 401) {
    const token = await challenge(ref, res.headers['www-authenticate'], deadline);
    res = await get(url, { ...accept, ...authHeader(ref, token) }, deadline, 'HEAD', ref.tls);
  }
  const digest = res.headers['docker-content-digest'];
  if (res.status !== 200 || typeof digest !== 'string' || !/^sha256:[0-9a-f]{64}$/.test(digest)) {
    throw new OciError(`${ref.host}/${ref.repository}:${tag}: no manifest digest (HTTP ${res.status})`);
  }
  return digest;
}

function authHeader(ref: OciRepositoryRef, token: string | undefined): Record<string, string> {
  if (token) return { authorization: `Bearer ${token}` };
  if (ref.auth) return { authorization: `Basic ${Buffer.from(`${ref.auth.username}:${ref.auth.password}`).toString('base64')}` };
  return {};
}

/** The registry asked for a Bearer token (Docker Hub, GHCR and most others): fetch one from its realm. */
async function challenge(ref: OciRepositoryRef, header: string | string[] | undefined, deadline: number): Promise<string | undefined> {
  const h = Array.isArray(header) ? header[0] : header;
  if (!h || !/^Bearer\s/i.test(h)) return undefined;
  const params: Record<string, string> = {};
  for (const m of h.matchAll(/(\w+)="([^"]*)"/g)) params[m[1].toLowerCase()] = m[2];
  if (!params.realm) return undefined;
  let realm: URL;
  try {
    realm = new URL(params.realm);
  } catch {
    return undefined;
  }
  // Credentials go to the registry's own host, or to its token service over https.
  const mayAuth = realm.host === ref.host || realm.protocol === 'https:';
  if (realm.protocol !== 'https:' && realm.protocol !== 'http:') return undefined;
  if (params.service) realm.searchParams.set('service', params.service);
  realm.searchParams.set('scope', params.scope ?? `repository:${ref.repository}:pull`);
  const headers: Record<string, string> = ref.auth && mayAuth ? { authorization: `Basic ${Buffer.from(`${ref.auth.username}:${ref.auth.password}`).toString('base64')}` } : {};
  // The token service is trusted with the registry's CA when it is on the registry's host.
  const res = await get(realm.toString(), headers, deadline, 'GET', realm.host === ref.host ? ref.tls : undefined);
  if (res.status !== 200) throw new OciError(`the token service of ${ref.host} refused: HTTP ${res.status}`);
  try {
    const body = JSON.parse(res.body) as { token?: unknown; access_token?: unknown };
    const t = typeof body.token === 'string' ? body.token : typeof body.access_token === 'string' ? body.access_token : undefined;
    return t;
  } catch {
    throw new OciError(`the token service of ${ref.host} answered no token`);
  }
}

interface Answer {
  status: number;
  headers: IncomingMessage['headers'];
  body: string;
}

/** One GET, no redirects followed, at most 4 MiB of answer, bounded by the deadline. */
function get(url: string, headers: Record<string, string>, deadline: number, method: 'GET' | 'HEAD' = 'GET', tls?: RegistryTls): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const ms = deadline - Date.now();
    if (ms <= 0) return reject(new OciError(`${new URL(url).host}: timed out`));
    const req = (url.startsWith('https:') ? httpsRequest : httpRequest)(url, { method, headers: { accept: 'application/json', ...headers }, timeout: ms, ...(tls ?? {}) }, (res) => {
      const chunks: Buffer[] = [];
      let size = 0;
      res.on('data', (c: Buffer) => {
        size += c.length;
        if (size > 4 << 20) req.destroy(new OciError(`${new URL(url).host}: answer too large`));
        else chunks.push(c);
      });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') }));
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new OciError(`${new URL(url).host}: timed out`)));
    req.on('error', (err) => reject(err instanceof OciError ? err : new OciError(`${new URL(url).host}: ${err.message}`)));
    req.end();
  });
}
