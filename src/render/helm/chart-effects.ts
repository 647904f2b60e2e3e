// What the charts of a build's HelmReleases can produce beyond their own objects, decided without
// building and without rendering: whether any of them may create a CustomResourceDefinition (which
// scopes its dependents' objects) or a Flux Kustomization (a child to follow); when the run needs
// substituteFrom sources from builds, a chart could define one under a name made of pieces, so nothing
// is proven. --base-ref uses it for a Kustomization whose inputs are proven identical
// on both sides (render/fingerprint.ts): when its charts can produce none of these, it is not built
// at all; otherwise, or when anything here cannot be proven, it is built once, as before.
//
// Proven only for the plain shape: every kustomization file of the closure lists resources (no patch,
// replacement, transformer or component could rewrite a HelmRelease or its source), the Flux spec adds
// none, no substitution variable and no SOPS file; every HelmRelease pinned to a chart that is in the
// chart cache (chart-cache.ts): an OCI chart by digest, or by tag resolved to its digest now (one HEAD
// request; a semver range against the tag list, as oci-chart.ts does), a chart repository's chart by
// exact version. A chart can only render a kind whose name is written in it (its crds/ and templates,
// subcharts included) or in its values, which are closure text the fingerprint already reads; a chart
// holding a packed subchart (.tgz) is not read and counts as unproven.
import { readdirSync, readFileSync, lstatSync } from 'node:fs';
import path from 'node:path';
import { parseAllDocuments } from 'yaml';
import type { KustomizationSpec } from '../../model/kustomization.js';
import { isJsonObject, type JsonObject } from '../../model/object.js';
import { KUSTOMIZATION_FILES } from '../kustomize/kustomize-refs.js';
import { ociKey, repoKey, type ChartCache } from './chart-cache.js';
import { listTags, parseOciUrl, pickSemverTag, resolveDigest, type OciRepositoryRef } from './oci.js';

export type ChartEffects = { inert: true } | { build: string };

// The keys a kustomization file may have for its resources to reach the output as written (names,
// kinds and spec fields; labels, annotations and namespaces do not choose a chart).
const PLAIN_KEYS = new Set(['apiVersion', 'kind', 'metadata', 'resources', 'namespace', 'commonLabels', 'labels', 'commonAnnotations', 'configMapGenerator', 'secretGenerator', 'generatorOptions', 'sortOptions', 'buildMetadata']);
const SOURCE_KINDS = new Set(['HelmRelease', 'HelmRepository', 'OCIRepository', 'HelmChart']);
const CRD_KIND = 'CustomResourceDefinition';
const FLUX_GROUP = 'kustomize.toolkit.fluxcd.io';

export interface ChartEffectsContext {
  cache: ChartCache;
  /** Names of substituteFrom sources the run needs from builds. */
  watched?: ReadonlySet<string>;
}

/** Whether the HelmReleases among FILES (the proven closure of a Kustomization built with SPEC) have charts that produce nothing the run needs. */
export async function chartEffects(files: readonly { path: string; text: string }[], spec: KustomizationSpec, ctx: ChartEffectsContext): Promise<ChartEffects> {
  if (spec.patches?.length || spec.images?.length || spec.components?.length || spec.namePrefix || spec.nameSuffix) return { build: 'the spec patches or renames its objects' };
  if (spec.decryption) return { build: 'the spec decrypts SOPS files' };
  // A chart names its objects from pieces (`{{ .Release.Name }}-config`): a watched name need not be written anywhere.
  if (ctx.watched && ctx.watched.size > 0) return { build: 'the run needs substituteFrom sources a chart could define' };
  const docs: JsonObject[] = [];
  for (const f of files) {
    const base = f.path.split('/').pop() ?? '';
    if (KUSTOMIZATION_FILES.includes(base)) {
      const k = parseDocs(f.text)?.[0];
      if (!k) return { build: `${f.path} could not be read` };
      const extra = Object.keys(k).find((key) => !PLAIN_KEYS.has(key));
      if (extra) return { build: `${f.path} has ${extra}` };
      continue;
    }
    if (!/HelmRelease|HelmRepository|OCIRepository|HelmChart|List/.test(f.text)) continue;
    const parsed = parseDocs(f.text);
    if (!parsed) return { build: `${f.path} could not be read` };
    for (const d of parsed) {
      const kind = typeof d.kind === 'string' ? d.kind : '';
      // kustomize flattens a List's items into resources.
      if (kind.endsWith('List')) return { build: `${f.path} holds a ${kind}` };
      if (SOURCE_KINDS.has(kind)) docs.push(d);
    }
  }
  const releases = docs.filter((d) => d.kind === 'HelmRelease');
  if (releases.length === 0) return { build: 'no HelmRelease found in its files' };
  // postBuild substitution rewrites `${var}` anywhere, the chart's version too.
  if (spec.postBuild && docs.some((d) => JSON.stringify(d).includes('${'))) return { build: 'a chart field may hold a substitution variable' };
  const checked = new Map<string, Promise<ChartEffects>>();
  for (const hr of releases) {
    const dir = await pinnedChart(hr, docs, ctx.cache);
    if (typeof dir !== 'string') return dir;
    let r = checked.get(dir);
    if (!r) checked.set(dir, (r = Promise.resolve(scanChart(dir))));
    const answer = await r;
    if ('build' in answer) return answer;
  }
  return { inert: true };
}

function parseDocs(text: string): JsonObject[] | undefined {
  try {
    const out: JsonObject[] = [];
    for (const d of parseAllDocuments(text)) {
      if (d.errors.length > 0) return undefined;
      const v = d.toJS() as unknown;
      if (v === null || v === undefined) continue;
      if (!isJsonObject(v)) return undefined;
      out.push(v);
    }
    return out;
  } catch {
    return undefined;
  }
}

function str(v: unknown): string | undefined {
  return typeof v === 'string' && v !== '' ? v : undefined;
}

function specOf(d: JsonObject): JsonObject {
  return isJsonObject(d.spec) ? d.spec : {};
}

/** The one source of KIND named NAME among the build's documents (a name given twice is not guessed between). */
function sourceNamed(docs: JsonObject[], kind: string, name: string): JsonObject | undefined {
  const found = docs.filter((d) => d.kind === kind && isJsonObject(d.metadata) && d.metadata.name === name);
  return found.length === 1 ? found[0] : undefined;
}

const EXACT = /^v?\d+\.\d+\.\d+([-+][0-9A-Za-z.+-]*)?$/;

/** The cached directory of the chart HR renders, or why it is not proven. */
async function pinnedChart(hr: JsonObject, docs: JsonObject[], cache: ChartCache): Promise<string | ChartEffects> {
  const s = specOf(hr);
  const name = isJsonObject(hr.metadata) ? String(hr.metadata.name) : '?';
  const miss = (why: string): ChartEffects => ({ build: `HelmRelease ${name}: ${why}` });
  let key: string | undefined;
  if (isJsonObject(s.chartRef)) {
    const ref = s.chartRef;
    if (ref.kind !== 'OCIRepository' || !str(ref.name)) return miss('its chartRef is not an OCIRepository');
    const src = sourceNamed(docs, 'OCIRepository', String(ref.name));
    if (!src) return miss(`its OCIRepository ${String(ref.name)} is not in the build`);
    const o = specOf(src);
    const repo = plainRegistry(o, str(o.url));
    if (!repo || o.layerSelector) return miss('its OCIRepository needs credentials, a layer selector or is not oci://');
    const r = isJsonObject(o.ref) ? o.ref : {};
    try {
      if (str(r.digest)) key = /^sha256:[0-9a-f]{64}$/.test(String(r.digest)) ? ociKey(String(r.digest)) : undefined;
      else if (str(r.semver)) {
        const tag = pickSemverTag(await listTags(repo), String(r.semver), str(r.semverFilter));
        if (tag) key = ociKey(await resolveDigest(repo, tag.replace(/\+/g, '_')));
      } else key = ociKey(await resolveDigest(repo, (str(r.tag) ?? 'latest').replace(/\+/g, '_')));
    } catch {
      return miss('its chart could not be resolved to a digest');
    }
  } else if (isJsonObject(s.chart) && isJsonObject(s.chart.spec)) {
    const c = s.chart.spec;
    const sref = isJsonObject(c.sourceRef) ? c.sourceRef : {};
    const chart = str(c.chart);
    const version = str(c.version);
    if (sref.kind !== 'HelmRepository' || !str(sref.name) || !chart) return miss('its chart source is not a HelmRepository');
    if (c.valuesFiles) return miss('its chart has valuesFiles');
    const src = sourceNamed(docs, 'HelmRepository', String(sref.name));
    if (!src) return miss(`its HelmRepository ${String(sref.name)} is not in the build`);
    const o = specOf(src);
    const url = str(o.url)?.replace(/\/+$/, '');
    if (!url || !version || !EXACT.test(version)) return miss('its chart version is not exact');
    if (o.type === 'oci' || url.startsWith('oci://')) {
      const repo = plainRegistry(o, `${url}/${chart}`);
      if (!repo) return miss('its HelmRepository needs credentials');
      try {
        key = ociKey(await resolveDigest(repo, version.replace(/\+/g, '_')));
      } catch {
        return miss('its chart could not be resolved to a digest');
      }
    } else {
      if (o.secretRef || o.certSecretRef || /\/\/[^/]*@/.test(url)) return miss('its HelmRepository needs credentials');
      key = repoKey(url, chart, version);
    }
  } else return miss('it has neither spec.chart nor spec.chartRef');
  const dir = key ? cache.get(key) : undefined;
  return dir ?? miss('its chart is not in the chart cache');
}

/** An anonymous registry reference (credentials and client certificates are not read here). */
function plainRegistry(o: JsonObject, url: string | undefined): OciRepositoryRef | undefined {
  if (o.secretRef || o.certSecretRef || (o.provider && o.provider !== 'generic') || !url) return undefined;
  const parsed = parseOciUrl(url);
  return parsed ? { ...parsed, insecure: o.insecure === true } : undefined;
}

/** Whether a cached chart's files can produce a CRD or a Flux Kustomization. */
function scanChart(dir: string): ChartEffects {
  const stack = [''];
  while (stack.length > 0) {
    const rel = stack.pop()!;
    for (const name of readdirSync(path.join(dir, rel))) {
      const r = rel ? `${rel}/${name}` : name;
      const full = path.join(dir, r);
      const st = lstatSync(full);
      if (st.isDirectory()) stack.push(r);
      else if (st.isFile()) {
        if (/\.(tgz|tar\.gz|tar)$/.test(name)) return { build: `its chart holds a packed subchart (${r})` };
        const text = readFileSync(full, 'utf8');
        if (text.includes(CRD_KIND)) return { build: `its chart may create CRDs (${r})` };
        if (text.includes(FLUX_GROUP)) return { build: `its chart may create a Flux Kustomization (${r})` };
      }
    }
  }
  return { inert: true };
}
