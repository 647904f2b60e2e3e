// Where a HelmRelease's chart comes from, as source-controller would fetch it: a directory of a
// locally mapped source (GitRepository, Bucket, ExternalArtifact), a chart repository (HelmRepository
// over HTTP(S)), or an OCI artifact (OCIRepository, HelmRepository of type oci).
import { existsSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { ChartTemplate, HelmReleaseSpec, ObjectKey } from '../../model/helm.js';
import { isJsonObject, type JsonObject, type KubeObject } from '../../model/object.js';
import { isWithin, safeRealpath } from '../tree/containment.js';
import { isVcsPathUnder } from '../tree/vcs.js';
import { urlPasswords, withoutUserinfo } from '../../model/url-credentials.js';
import { ChartRefused, sealChart, type ChartSchema } from './chart-copy.js';
import { HelmFailure, type HelmRunner } from './run.js';
import { mergeMaps, readValuesYaml } from './values.js';
import { certs, ociHelmRepositoryChart, ociRepositoryChart, type OciChartContext, type OciChartLocation } from './oci-chart.js';
import { repoKey } from './chart-cache.js';
import { IndexError, pickIndexVersion, repoIndexes, type RepoIndexes } from './repo-index.js';
import { OciError, type RegistryTls } from './oci.js';


/** A Flux source object, from the build or the cluster; undefined when it exists in neither. */
export type SourceLookup = (kind: string, name: string, namespace: string) => Promise<KubeObject | undefined | { unavailable: string }>;

/** The local directory of a source's artifact, or why there is none. */
export type SourceDir = (kind: string, namespace: string, name: string) => { root: string } | { reason: string };

export interface ChartSourceContext extends OciChartContext {
  runner: HelmRunner;
  lookup: SourceLookup;
  sourceDir: SourceDir;
  /** Called with every credential a source carries (a password in its URL), before it can reach any output. */
  registerSecret?: (value: string) => void;
  /** Chart repository indexes of the run (kept a few minutes under the cache directory). */
  indexes?: RepoIndexes;
}

/**
 * A chart ready for `helm template`: podo's own copy of it (chart-copy.ts), with the values.schema.json
 * files taken out of it; or why it cannot be had.
 */
export type ChartLocation = { dir: string; display: string; schemas: ChartSchema[] } | { reason: string };

/** Where a chart was found: DIR (a directory or a .tgz), inside ROOT, which none of its symlinks may leave. */
interface Found {
  dir: string;
  display: string;
  root: string;
  /** spec.chart.spec.valuesFiles merged: the copy's values.yaml. */
  values?: JsonObject;
}

class NotRendered extends Error {}

export async function locateChart(hr: HelmReleaseSpec, ctx: ChartSourceContext): Promise<ChartLocation> {
  try {
    let found: Found;
    if (hr.chart) found = await fromTemplate(hr.chart, ctx);
    else if (hr.chartRef) found = await fromChartRef(hr.chartRef, ctx);
    else return { reason: 'it has neither spec.chart nor spec.chartRef' };
    const copy = path.join(ctx.runner.scratch('chart'), 'chart');
    const sealed = await sealChart(found.dir, found.root, copy, () => ctx.runner.scratch('unpack'));
    if (found.values) writeFileSync(path.join(sealed.dir, 'values.yaml'), JSON.stringify(found.values));
    // A repository URL may carry `user:password@`: never printed (helm's own errors quote it too).
    return { dir: sealed.dir, display: withoutUserinfo(found.display), schemas: sealed.schemas };
  } catch (err) {
    if (err instanceof NotRendered || err instanceof ChartRefused) return { reason: withoutUserinfo(err.message) };
    throw err;
  }
}

async function sourceObject(ctx: ChartSourceContext, ref: ObjectKey): Promise<KubeObject> {
  const found = await ctx.lookup(ref.kind, ref.name, ref.namespace);
  if (found === undefined) throw new NotRendered(`its chart source ${ref.kind} ${ref.namespace}/${ref.name} is neither in the build nor in the cluster`);
  if ('unavailable' in found) throw new NotRendered(`its chart source ${ref.kind} ${ref.namespace}/${ref.name} could not be read (${found.unavailable})`);
  // A source URL may carry `user:password@`: a secret wherever it goes (helm's own errors quote it too).
  const url = spec(found as KubeObject).url;
  if (typeof url === 'string') for (const pw of urlPasswords(url)) ctx.registerSecret?.(pw);
  return found as KubeObject;
}

function spec(obj: KubeObject): JsonObject {
  return isJsonObject(obj.spec) ? obj.spec : {};
}

/** A chart named by spec.chart (a HelmChart template): found by its sourceRef's kind. */
function fromTemplate(c: ChartTemplate, ctx: ChartSourceContext): Promise<Found> {
  const find = BY_TEMPLATE_SOURCE[c.sourceRef.kind];
  if (!find) throw new NotRendered(`chart source kind ${c.sourceRef.kind} is not supported`);
  return find(c, ctx);
}

/** A chart named by spec.chartRef: found by the kind of the object it names. */
function fromChartRef(ref: ObjectKey, ctx: ChartSourceContext): Promise<Found> {
  const find = BY_CHART_REF[ref.kind];
  if (!find) throw new NotRendered(`spec.chartRef kind ${ref.kind} is not supported`);
  return find(ref, ctx);
}

/** A directory of a source mapped to the checkout or --local-sources (GitRepository, Bucket, ExternalArtifact). */
async function fromMappedSource(c: ChartTemplate, ctx: ChartSourceContext): Promise<Found> {
  const ref = c.sourceRef;
  const mapped = ctx.sourceDir(ref.kind, ref.namespace, ref.name);
  if ('reason' in mapped) throw new NotRendered(mapped.reason);
  return withValuesFiles(localChart(mapped.root, c.chart, `${ref.kind} ${ref.namespace}/${ref.name}`), c, mapped.root);
}

/** A chart repository: an HTTP(S) index, or an OCI registry (`type: oci`). */
async function fromHelmRepository(c: ChartTemplate, ctx: ChartSourceContext): Promise<Found> {
  const ref = c.sourceRef;
  const repo = await sourceObject(ctx, ref);
  const s = spec(repo);
  const url = typeof s.url === 'string' ? s.url : '';
  if (!url) throw new NotRendered(`HelmRepository ${ref.namespace}/${ref.name} has no spec.url`);
  if (s.type === 'oci' || url.startsWith('oci://')) return withValuesFiles(ociFound(await ociHelmRepositoryChart(repo, c.chart, c.version, ctx)), c, undefined);
  if (s.secretRef) throw new NotRendered(`HelmRepository ${ref.namespace}/${ref.name} needs credentials (spec.secretRef), which podo does not read`);
  // spec.certSecretRef: the CA and client certificate of the index fetch and the chart download (source-controller's getter client options).
  let tls: RegistryTls | undefined;
  try {
    tls = await certs(repo, s, ctx);
  } catch (err) {
    if (err instanceof OciError) throw new NotRendered(`HelmRepository ${ref.namespace}/${ref.name}: ${err.message}`);
    throw err;
  }
  return withValuesFiles(await pullRepo(ctx, url, c.chart, c.version, tls), c, undefined);
}

/** A HelmChart object: its own template, its source in its own namespace. */
async function fromHelmChart(ref: ObjectKey, ctx: ChartSourceContext): Promise<Found> {
  const s = spec(await sourceObject(ctx, ref));
  const src = isJsonObject(s.sourceRef) ? s.sourceRef : {};
  if (typeof s.chart !== 'string' || typeof src.kind !== 'string' || typeof src.name !== 'string') {
    throw new NotRendered(`HelmChart ${ref.namespace}/${ref.name} has no spec.chart or spec.sourceRef`);
  }
  return fromTemplate(
    {
      chart: s.chart,
      version: typeof s.version === 'string' ? s.version : undefined,
      // A HelmChart's source is always in its own namespace.
      sourceRef: { kind: src.kind, name: src.name, namespace: ref.namespace },
      valuesFiles: Array.isArray(s.valuesFiles) ? s.valuesFiles.filter((f): f is string => typeof f === 'string') : undefined,
      ignoreMissingValuesFiles: s.ignoreMissingValuesFiles === true,
    },
    ctx,
  );
}

/**
 * The chart source kinds, one finder each (helm-controller's chart template sourceRef kinds and chartRef
 * kinds; source-controller fetches each kind its own way). A kind is one function and one entry here.
 */
const BY_TEMPLATE_SOURCE: Partial<Record<string, (c: ChartTemplate, ctx: ChartSourceContext) => Promise<Found>>> = {
  GitRepository: fromMappedSource,
  Bucket: fromMappedSource,
  ExternalArtifact: fromMappedSource,
  HelmRepository: fromHelmRepository,
};

const BY_CHART_REF: Partial<Record<string, (ref: ObjectKey, ctx: ChartSourceContext) => Promise<Found>>> = {
  OCIRepository: async (ref, ctx) => ociFound(await ociRepositoryChart(await sourceObject(ctx, ref), ctx)),
  HelmChart: fromHelmChart,
  ExternalArtifact: async (ref, ctx) => {
    const mapped = ctx.sourceDir(ref.kind, ref.namespace, ref.name);
    if ('reason' in mapped) throw new NotRendered(mapped.reason);
    return localChart(mapped.root, '.', `ExternalArtifact ${ref.namespace}/${ref.name}`);
  },
};

/**
 * A chart directory inside a mapped source. Like source-controller, the chart path is relative to the
 * source root and may not leave it; neither may any symlink inside the chart (helm follows them, and
 * `.Files.Get` would print what they point at).
 */
function localChart(root: string, chartPath: string, source: string): Found {
  const realRoot = safeRealpath(root) ?? path.resolve(root);
  const dir = path.resolve(realRoot, chartPath.replace(/^\/+/, ''));
  if (!isWithin(dir, realRoot)) throw new NotRendered(`chart path ${chartPath} leaves ${source}`);
  const inVcs = () => new NotRendered(`chart path ${chartPath} in ${source} is version-control metadata; refused`);
  if (isVcsPathUnder(dir, realRoot)) throw inVcs();
  if (!existsSync(dir)) throw new NotRendered(`chart path ${chartPath} does not exist in ${source} (${root})`);
  const real = safeRealpath(dir);
  if (!real || !isWithin(real, realRoot)) throw new NotRendered(`chart path ${chartPath} leaves ${source}`);
  // The chart path itself in `.git` (or through a link into it): not part of the source's artifact.
  if (isVcsPathUnder(real, realRoot)) throw inVcs();
  if (!statSync(real).isDirectory()) {
    if (/\.tgz$/.test(real)) return { dir: real, display: `${source} ${chartPath}`, root: realRoot };
    throw new NotRendered(`chart path ${chartPath} in ${source} is not a directory`);
  }
  if (!existsSync(path.join(real, 'Chart.yaml'))) throw new NotRendered(`chart path ${chartPath} in ${source} has no Chart.yaml`);
  // Its files and symlinks are checked as the chart is copied (chart-copy.ts).
  return { dir: real, display: `${source} ${chartPath}`, root: realRoot };
}

/** `helm pull` from a chart repository, as source-controller would download it (latest stable when no version). */
async function pullRepo(ctx: ChartSourceContext, url: string, chart: string, version: string | undefined, tls?: RegistryTls): Promise<Found> {
  if (!/^https?:\/\//.test(url)) throw new NotRendered(`chart repository URL ${url} is not http(s)`);
  // An exact version of a chart repository's chart is kept across runs (chart-cache.ts); one behind a
  // client certificate is as private as one behind a password: not kept.
  const cache = tls?.cert ? undefined : ctx.cache;
  const exactKey = cache ? repoKey(url, chart, version) : undefined;
  const exactHit = exactKey ? cache!.get(exactKey) : undefined;
  if (exactHit) return { dir: exactHit, display: `${url} ${chart} ${version}`, root: exactHit };
  // The version is picked from the repository's index (repo-index.ts, kept a few minutes), then the
  // package is downloaded by its URL: helm reads no index of its own. When podo cannot read the index
  // itself (a proxy only helm is configured for, a certificate only helm trusts), helm resolves it.
  const display = `${url} ${chart}${version ? ` ${version}` : ''}`;
  let picked: { version: string; url: string } | undefined;
  try {
    const index = await (ctx.indexes ?? repoIndexes(undefined)).get(url, tls);
    picked = pickIndexVersion(index, url, chart, version);
    if (!picked) throw new NotRendered(`chart ${chart}${version ? ` ${version}` : ''} is not in the index of ${withoutUserinfo(url)}`);
  } catch (err) {
    if (err instanceof OciError) throw new NotRendered(`chart ${chart}: version ${JSON.stringify(version)} is not a semantic version range`);
    if (!(err instanceof IndexError)) throw err;
  }
  const key = cache ? repoKey(url, chart, picked?.version ?? version) : undefined;
  const hit = key ? cache!.get(key) : undefined;
  if (hit) return { dir: hit, display, root: hit };
  const dest = ctx.runner.scratch('chart');
  const args = picked ? ['pull', picked.url, '--untar', '--untardir', dest] : ['pull', chart, '--repo', url, '--untar', '--untardir', dest];
  if (!picked && version && version !== '*') args.push('--version', version);
  if (picked) {
    // Credentials in the repository URL go with the package only to the repository's own host (helm's --pass-credentials off).
    const repo = new URL(url);
    const pkg = new URL(picked.url);
    if (repo.username && pkg.host === repo.host && !pkg.username) args[1] = Object.assign(pkg, { username: repo.username, password: repo.password }).toString();
  }
  // The certificate material reaches helm as files of a private directory, removed once the chart is pulled.
  const tlsDir = tls ? ctx.runner.scratch('tls') : undefined;
  if (tls && tlsDir) {
    const put = (file: string, text: string) => {
      writeFileSync(path.join(tlsDir, file), text, { mode: 0o600 });
      return path.join(tlsDir, file);
    };
    if (tls.ca) args.push('--ca-file', put('ca.crt', tls.ca));
    if (tls.cert && tls.key) args.push('--cert-file', put('tls.crt', tls.cert), '--key-file', put('tls.key', tls.key));
  }
  try {
    await ctx.runner.run(args);
  } catch (err) {
    if (!(err instanceof HelmFailure)) throw err;
    throw new NotRendered(`chart ${chart}${version ? ` ${version}` : ''} could not be downloaded from ${url}: ${err.message}`);
  } finally {
    if (tlsDir) rmSync(tlsDir, { recursive: true, force: true });
  }
  const dir = untarred(dest, chart);
  const kept = key ? cache!.put(key, dir) : dir;
  return { dir: kept, display, root: kept };
}

/** An OCI chart pulled by oci-chart.ts: its own directory is the root none of its symlinks may leave. */
function ociFound(loc: OciChartLocation): Found {
  if ('reason' in loc) throw new NotRendered(loc.reason);
  return { dir: loc.dir, display: loc.display, root: loc.dir };
}

function untarred(dest: string, chart: string): string {
  const named = path.join(dest, chart);
  if (existsSync(path.join(named, 'Chart.yaml'))) return named;
  const dirs = readdirSync(dest, { withFileTypes: true }).filter((d) => d.isDirectory());
  if (dirs.length === 1) return path.join(dest, dirs[0].name);
  throw new NotRendered(`the downloaded chart ${chart} has no Chart.yaml`);
}

/**
 * spec.chart.spec.valuesFiles: source-controller merges the listed files (values.yaml only when listed)
 * and packages the result as the chart's values.yaml. Paths are relative to the source root for
 * Git/Bucket sources and to the chart for chart repositories.
 */
function withValuesFiles(loc: Found, c: ChartTemplate, sourceRoot: string | undefined): Found {
  if (!c.valuesFiles || c.valuesFiles.length === 0) return loc;
  const base = sourceRoot ? (safeRealpath(sourceRoot) ?? sourceRoot) : loc.dir;
  let merged: JsonObject = {};
  for (const f of c.valuesFiles) {
    const file = path.resolve(base, f);
    if (!isWithin(file, base) || (existsSync(file) && !isWithin(safeRealpath(file) ?? file, base))) throw new NotRendered(`values file ${f} leaves its source`);
    if (isVcsPathUnder(file, base) || isVcsPathUnder(safeRealpath(file) ?? file, base)) throw new NotRendered(`values file ${f} is version-control metadata; refused`);
    if (!existsSync(file)) {
      if (c.ignoreMissingValuesFiles) continue;
      throw new NotRendered(`values file ${f} does not exist in its source`);
    }
    merged = mergeMaps(merged, readValuesYaml(readFileSync(file, 'utf8'), `values file ${f}`));
  }
  return { ...loc, values: merged };
}
