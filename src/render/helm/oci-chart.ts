// Charts that are OCI artifacts, as source-controller fetches them: an OCIRepository (spec.chartRef) by
// ref.digest, ref.semver (against the registry's tag list, with semverFilter) or ref.tag, and a
// HelmRepository of type oci (spec.chart.spec). helm pulls the chart; registry credentials come from the
// source's secretRef, are registered as secrets before anything can print them, and reach helm only as a
// registry config holding that one host.
import { writeFileSync, existsSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { isJsonObject, type JsonObject, type KubeObject } from '../../model/object.js';
import type { KeyValues } from './values.js';
import { HelmFailure, type HelmRunner } from './run.js';
import { ociKey, type ChartCache } from './chart-cache.js';
import { credentialsFor, resolveDigest, listTags, OciError, parseOciUrl, pickSemverTag, registryConfig, tlsFromSecret, type OciRepositoryRef, type RegistryAuth, type RegistryTls } from './oci.js';

export interface OciChartContext {
  runner: HelmRunner;
  /** A Secret of the source's namespace (the build's copy first, else the cluster's). */
  readSecret?: (name: string, namespace: string) => Promise<KeyValues>;
  /** Every credential read goes here before it can reach any output. */
  registerSecret?: (value: string) => void;
  /** Charts kept across runs, by manifest digest (charts pulled with credentials are not kept). */
  cache?: ChartCache;
}

export type OciChartLocation = { dir: string; display: string } | { reason: string };

function specOf(obj: KubeObject): JsonObject {
  return isJsonObject(obj.spec) ? obj.spec : {};
}

/** spec.chartRef to an OCIRepository. */
export async function ociRepositoryChart(obj: KubeObject, ctx: OciChartContext): Promise<OciChartLocation> {
  const id = `OCIRepository ${obj.metadata.namespace ?? ''}/${obj.metadata.name}`;
  try {
    const s = specOf(obj);
    const url = typeof s.url === 'string' ? s.url.replace(/\/+$/, '') : '';
    const parsed = parseOciUrl(url);
    if (!parsed) return { reason: `${id} has no oci:// spec.url` };
    if (s.provider && s.provider !== 'generic') return { reason: `${id} authenticates with provider ${String(s.provider)}, which podo does not support` };
    const repo: OciRepositoryRef = { ...parsed, insecure: s.insecure === true, auth: await auth(obj, s, parsed.host, ctx), tls: await certs(obj, s, ctx) };
    const r = isJsonObject(s.ref) ? s.ref : {};
    // source-controller's precedence: digest, then semver, then tag (default `latest`).
    if (typeof r.digest === 'string' && r.digest !== '') {
      if (!/^sha256:[0-9a-f]{64}$/.test(r.digest)) return { reason: `${id} ref.digest ${r.digest} is not a sha256 digest` };
      return await pull(ctx, repo, url, { digest: r.digest }, `${url}@${r.digest}`);
    }
    if (typeof r.semver === 'string' && r.semver !== '') {
      const filter = typeof r.semverFilter === 'string' && r.semverFilter !== '' ? r.semverFilter : undefined;
      const tag = pickSemverTag(await listTags(repo), r.semver, filter);
      if (!tag) return { reason: `${id}: no tag of ${url} matches semver ${r.semver}${filter ? ` with filter ${filter}` : ''}` };
      return await pull(ctx, repo, url, { version: tag }, `${url}:${tag} (semver ${r.semver})`);
    }
    const tag = typeof r.tag === 'string' && r.tag !== '' ? r.tag : 'latest';
    return await pull(ctx, repo, url, { version: tag }, `${url}:${tag}`);
  } catch (err) {
    if (err instanceof OciError) return { reason: `${id}: ${err.message}` };
    throw err;
  }
}

/** spec.chart.spec with a HelmRepository of type oci: helm resolves the version (a range too) against the tags, as source-controller does. */
export async function ociHelmRepositoryChart(repoObj: KubeObject, chart: string, version: string | undefined, ctx: OciChartContext): Promise<OciChartLocation> {
  const id = `HelmRepository ${repoObj.metadata.namespace ?? ''}/${repoObj.metadata.name}`;
  try {
    const s = specOf(repoObj);
    const url = `${String(s.url ?? '').replace(/\/+$/, '')}/${chart}`;
    const parsed = parseOciUrl(url);
    if (!parsed) return { reason: `${id}: ${url} is not an oci:// chart URL` };
    if (s.provider && s.provider !== 'generic') return { reason: `${id} authenticates with provider ${String(s.provider)}, which podo does not support` };
    const repo: OciRepositoryRef = { ...parsed, insecure: s.insecure === true, auth: await auth(repoObj, s, parsed.host, ctx), tls: await certs(repoObj, s, ctx) };
    const v = version && version !== '*' ? version : undefined;
    return await pull(ctx, repo, url, v ? { version: v } : {}, `${url}${v ? `:${v}` : ''}`);
  } catch (err) {
    if (err instanceof OciError) return { reason: `${id}: ${err.message}` };
    throw err;
  }
}

async function auth(obj: KubeObject, s: JsonObject, host: string, ctx: OciChartContext): Promise<RegistryAuth | undefined> {
  const ref = isJsonObject(s.secretRef) ? s.secretRef : undefined;
  if (!ref) return undefined;
  const name = typeof ref.name === 'string' ? ref.name : '';
  const namespace = String(obj.metadata.namespace ?? 'default');
  if (!name) throw new OciError('spec.secretRef has no name');
  if (!ctx.readSecret) throw new OciError(`its Secret ${namespace}/${name} (spec.secretRef) cannot be read`);
  const kv = await ctx.readSecret(name, namespace);
  if ('absent' in kv) throw new OciError(`its Secret ${namespace}/${name} (spec.secretRef) does not exist`);
  if ('unavailable' in kv) throw new OciError(`its Secret ${namespace}/${name} (spec.secretRef) could not be read (${kv.unavailable})`);
  for (const v of Object.values(kv.entries)) ctx.registerSecret?.(v);
  const creds = credentialsFor(host, kv.entries);
  if (!creds) throw new OciError(`its Secret ${namespace}/${name} holds no credentials for ${host}`);
  ctx.registerSecret?.(creds.password);
  ctx.registerSecret?.(Buffer.from(`${creds.username}:${creds.password}`).toString('base64'));
  return creds;
}

/** spec.certSecretRef: the CA and client certificate the registry (or chart repository) is reached with; every value is a secret. */
export async function certs(obj: KubeObject, s: JsonObject, ctx: OciChartContext): Promise<RegistryTls | undefined> {
  const ref = isJsonObject(s.certSecretRef) ? s.certSecretRef : undefined;
  if (!ref) return undefined;
  const name = typeof ref.name === 'string' ? ref.name : '';
  const namespace = String(obj.metadata.namespace ?? 'default');
  if (!name) throw new OciError('spec.certSecretRef has no name');
  if (!ctx.readSecret) throw new OciError(`its Secret ${namespace}/${name} (spec.certSecretRef) cannot be read`);
  const kv = await ctx.readSecret(name, namespace);
  if ('absent' in kv) throw new OciError(`its Secret ${namespace}/${name} (spec.certSecretRef) does not exist`);
  if ('unavailable' in kv) throw new OciError(`its Secret ${namespace}/${name} (spec.certSecretRef) could not be read (${kv.unavailable})`);
  for (const v of Object.values(kv.entries)) ctx.registerSecret?.(v);
  try {
    return tlsFromSecret(kv.entries);
  } catch (err) {
    if (err instanceof OciError) throw new OciError(`Secret ${namespace}/${name}: ${err.message.replace(/^its certSecretRef Secret /, '')}`);
    throw err;
  }
}

async function pull(ctx: OciChartContext, repo: OciRepositoryRef, url: string, sel: { version?: string; digest?: string }, display: string): Promise<OciChartLocation> {
  // The cache is content-addressed: a tag is resolved to its digest first (one HEAD request), and the
  // chart pulled by that digest, so what is kept is exactly what the digest names.
  let key: string | undefined;
  // A chart behind a client certificate is as private as one behind a password: not kept.
  if (ctx.cache && !repo.auth && !repo.tls?.cert) {
    const digest = sel.digest ?? (sel.version && exactTag(sel.version) ? await resolveDigest(repo, sel.version.replace(/\+/g, '_')).catch(() => undefined) : undefined);
    if (digest) {
      key = ociKey(digest);
      const hit = ctx.cache.get(key);
      if (hit) return { dir: hit, display };
      sel = { digest };
    }
  }
  const dest = ctx.runner.scratch('chart');
  const args = ['pull', sel.digest ? `${url}@${sel.digest}` : url, '--untar', '--untardir', dest];
  if (sel.version) args.push('--version', sel.version);
  if (repo.insecure) args.push('--plain-http');
  if (repo.tls) {
    const dir = ctx.runner.scratch('tls');
    const put = (file: string, text: string) => {
      writeFileSync(path.join(dir, file), text, { mode: 0o600 });
      return path.join(dir, file);
    };
    if (repo.tls.ca) args.push('--ca-file', put('ca.crt', repo.tls.ca));
    if (repo.tls.cert && repo.tls.key) args.push('--cert-file', put('tls.crt', repo.tls.cert), '--key-file', put('tls.key', repo.tls.key));
  }
  if (repo.auth) {
    const file = path.join(ctx.runner.scratch('registry'), 'config.json');
    writeFileSync(file, registryConfig(repo.host, repo.auth), { mode: 0o600 });
    args.push('--registry-config', file);
  }
  try {
    await ctx.runner.run(args);
  } catch (err) {
    if (!(err instanceof HelmFailure)) throw err;
    return { reason: `chart ${display} could not be pulled: ${err.message}` };
  }
  const dirs = readdirSync(dest, { withFileTypes: true }).filter((d) => d.isDirectory());
  const name = url.split('/').pop() ?? '';
  const dir = existsSync(path.join(dest, name, 'Chart.yaml')) ? path.join(dest, name) : dirs.length === 1 ? path.join(dest, dirs[0].name) : undefined;
  if (!dir) return { reason: `the chart pulled from ${display} has no Chart.yaml` };
  return { dir: key && ctx.cache ? ctx.cache.put(key, dir) : dir, display };
}

/** A tag, not a version range helm would resolve against the tag list. */
function exactTag(version: string): boolean {
  return !/[\s<>=~^*|,]/.test(version) && !/(^|\.)[xX](\.|$)/.test(version);
}
