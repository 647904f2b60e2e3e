// What the charts of a build's HelmReleases can produce beyond their own objects, decided without
// building and without rendering: the CustomResourceDefinitions they create (which scope their
// dependents' objects) and whether any may create a Flux Kustomization (a child to follow); when the
// run needs substituteFrom sources from builds, a chart could define one under a name made of pieces,
// so nothing is proven. --base-ref uses it for a Kustomization whose inputs are proven identical on
// both sides (render/fingerprint.ts): when its charts' effects are proven, it is not built at all and
// the CRDs are handed to its dependents as a build would; otherwise it is built once, as before.
//
// Proven only for the plain shape: every kustomization file of the closure lists resources (no patch,
// replacement, transformer or component could rewrite a HelmRelease or its source), the Flux spec adds
// none, no substitution variable and no SOPS file; every HelmRelease pinned to a chart that is in the
// chart cache (chart-cache.ts): an OCI chart by digest, or by tag resolved to its digest now (one HEAD
// request; a semver range against the tag list, as oci-chart.ts does), a chart repository's chart by
// exact version. A chart can only render a kind whose name is written in it (its templates, subcharts
// included) or in its values, which are closure text the fingerprint already reads; a chart holding a
// packed subchart (.tgz) is not read and counts as unproven.
//
// CRDs from a chart's crds/ directory are never templated: helm-controller applies them itself before
// the release, by the CRD policy (internal/action/crds.go: `install.crds` on install, `upgrade.crds` on
// upgrade, empty = Create, Skip = none), the same in its Helm 4 and Helm 3 modes; helm gives them the
// CRDs of the enabled subcharts too (ProcessDependencies, then CRDObjects). So their kinds are read
// from the files. Proven only when nothing can change which files those are or what becomes of them:
// every document a CRD, no `.helmignore` rule that could match one, a subchart's only when no
// dependency of its parent has a condition or tags (values could disable it), and no other file of the
// chart naming `crds/` or using `Glob` (a template could read one through `.Files` and render it). A
// CRD in templates/ is rendered, maybe conditionally: the build is left to say.
import { existsSync, readdirSync, readFileSync, lstatSync } from 'node:fs';
import path from 'node:path';
import { parseAllDocuments } from 'yaml';
import type { KustomizationSpec } from '../../model/kustomization.js';
import { isJsonObject, type JsonObject, type KubeObject } from '../../model/object.js';
import { helmReleaseFromObject } from '../../flux/helmrelease.js';
import type { CrdPolicy } from '../../model/helm.js';
import { KUSTOMIZATION_FILES } from '../kustomize/kustomize-refs.js';
import { ociKey, repoKey, type ChartCache } from './chart-cache.js';
import { listTags, parseOciUrl, pickSemverTag, resolveDigest, type OciRepositoryRef } from './oci.js';
import { goMatch } from '../tree/glob.js';

/**
 * `creates`: proven; the CustomResourceDefinitions its charts' crds/ directories create under their
 * releases' CRD policy (none can create anything else the run needs). `build`: not proven, why.
 */
export type ChartEffects = { creates: { crds: KubeObject[] } } | { build: string };

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
  /** Whether the releases are upgraded (their `upgrade.crds` policy applies) or installed (`install.crds`), as the build renders them. */
  upgrade: boolean;
}

/** What the charts of the HelmReleases among FILES (the proven closure of a Kustomization built with SPEC) produce that the run needs, or why it is not proven. */
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
  const checked = new Map<string, ChartScan>();
  const crds: KubeObject[] = [];
  for (const hr of releases) {
    const dir = await pinnedChart(hr, docs, ctx.cache);
    if (typeof dir !== 'string') return dir;
    let scan = checked.get(dir);
    if (!scan) checked.set(dir, (scan = scanChart(dir)));
    if ('build' in scan) return scan;
    let policy: CrdPolicy;
    try {
      const release = helmReleaseFromObject(hr as KubeObject);
      // A suspended release is not rendered (render/helm/index.ts): its build creates nothing.
      if (release.suspend) continue;
      policy = ctx.upgrade ? release.upgradeCrds : release.installCrds;
    } catch (err) {
      // The build reports the same error (an invalid CRD policy) for it.
      return { build: err instanceof Error ? err.message : String(err) };
    }
    if (scan.crds.length === 0) continue;
    // A value passed to `tpl` (the release's, or a valuesFrom source of the build) could read crds/ through `.Files` too.
    const reads = files.find((f) => /crds\/|Glob/.test(f.text));
    if (reads) return { build: `HelmRelease ${releaseName(hr)}: ${reads.path} may read its chart's crds/ files` };
    if (policy !== 'Skip') crds.push(...scan.crds);
  }
  // The same kind defined twice with another scope: which one a dependent sees depends on order.
  const scopes = new Map<string, boolean>();
  for (const c of crds) {
    const s = c.spec as JsonObject;
    const kind = `${String(s.group)}/${String((s.names as JsonObject).kind)}`;
    const cluster = s.scope === 'Cluster';
    if (scopes.has(kind) && scopes.get(kind) !== cluster) return { build: `the CRD of ${kind} is given twice with different scopes` };
    scopes.set(kind, cluster);
  }
  return { creates: { crds } };
}

function releaseName(hr: JsonObject): string {
  return isJsonObject(hr.metadata) ? String(hr.metadata.name) : '?';
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

/** A chart's crds/ CustomResourceDefinitions (its enabled subcharts' included), or why they are not proven. */
type ChartScan = { crds: KubeObject[] } | { build: string };

// A crds/ file of the chart or of a subchart (any depth): what helm's CRDObjects reads, by extension
// (compared without case; the directory names are not).
const CRD_FILE = /^((?:charts\/[^/]+\/)*)crds\/.+\.(?:[yY][aA]?[mM][lL]|[jJ][sS][oO][nN])$/;
const IN_CRDS = /^(?:charts\/[^/]+\/)*crds\//;

/** What a cached chart's files can produce: its crds/ CRDs, or why anything else (a CRD, a Flux Kustomization) may come out. */
function scanChart(dir: string): ChartScan {
  const crdFiles: string[] = [];
  const others: { rel: string; text: string }[] = [];
  const stack = [''];
  while (stack.length > 0) {
    const rel = stack.pop()!;
    for (const name of readdirSync(path.join(dir, rel)).sort()) {
      const r = rel ? `${rel}/${name}` : name;
      const full = path.join(dir, r);
      const st = lstatSync(full);
      if (st.isDirectory()) stack.push(r);
      else if (!st.isFile()) return { build: `its chart holds ${r}, neither a file nor a directory` };
      else if (/\.(tgz|tar\.gz|tar)$/.test(name)) return { build: `its chart holds a packed subchart (${r})` };
      else if (CRD_FILE.test(r)) crdFiles.push(r);
      // A crds/ file helm does not read as a CRD (README.txt) is no template either.
      else if (!IN_CRDS.test(r)) others.push({ rel: r, text: readFileSync(full, 'utf8') });
    }
  }
  for (const { rel, text } of others) {
    if (text.includes(CRD_KIND)) return { build: `its chart may create CRDs (${rel})` };
    if (text.includes(FLUX_GROUP)) return { build: `its chart may create a Flux Kustomization (${rel})` };
    if (crdFiles.length > 0 && /crds\/|Glob/.test(text)) return { build: `its chart may read its crds/ files through .Files (${rel})` };
  }
  if (crdFiles.length === 0) return { crds: [] };
  if (!chartMeta(dir)) return { build: "its chart's Chart.yaml is not a chart API v1 or v2 podo reads" };
  const ignored = helmIgnored(dir, crdFiles);
  if (ignored) return { build: ignored };
  const crds: KubeObject[] = [];
  const charts = new Map<string, string | undefined>();
  for (const rel of crdFiles.sort()) {
    const chartPath = CRD_FILE.exec(rel)![1];
    if (chartPath) {
      let why = charts.get(chartPath);
      if (!charts.has(chartPath)) charts.set(chartPath, (why = subchartProblem(dir, chartPath)));
      if (why) return { build: `its chart's ${chartPath.slice(0, -1)} ${why}` };
    }
    const docs = parseDocs(readFileSync(path.join(dir, rel), 'utf8'));
    if (!docs) return { build: `its chart's ${rel} could not be read` };
    for (const d of docs) {
      // helm-controller drops anything else in crds/ (v1.5+), older ones applied it: not guessed.
      const s = isJsonObject(d.spec) ? d.spec : undefined;
      if (d.kind !== CRD_KIND || !s || typeof s.group !== 'string' || !isJsonObject(s.names) || typeof s.names.kind !== 'string') {
        return { build: `its chart's ${rel} holds something other than a CustomResourceDefinition with spec.group and spec.names.kind` };
      }
      crds.push(d as KubeObject);
    }
  }
  return { crds };
}

/**
 * Why the subchart at CHART_PATH (`charts/a/` or deeper) may not be rendered whatever the values, or
 * undefined. helm keeps every chart under charts/ (a dependency listed in Chart.yaml or not) unless a
 * dependency's condition or tags disable it (chartutil processDependencyEnabled), skips names starting
 * with `_` or `.`, and keeps one of two same-named charts.
 */
function subchartProblem(dir: string, chartPath: string): string | undefined {
  const parts = chartPath.split('/').filter(Boolean);
  for (let i = 0; i < parts.length; i += 2) {
    const parent = parts.slice(0, i).join('/');
    const name = parts[i + 1];
    if (/^[_.]/.test(name)) return 'is not loaded by helm (its name starts with _ or .)';
    if (existsSync(path.join(dir, parent, 'requirements.yaml'))) return 'is listed in a requirements.yaml';
    const meta = chartMeta(path.join(dir, parent));
    if (!meta) return 'has a parent whose Chart.yaml could not be read';
    const deps = Array.isArray(meta.dependencies) ? meta.dependencies : [];
    if (deps.some((d) => !isJsonObject(d) || (d.condition !== undefined && d.condition !== '') || (Array.isArray(d.tags) && d.tags.length > 0))) {
      return 'may be disabled by a dependency condition or tags';
    }
    const siblings = path.join(dir, parent, 'charts');
    const names = readdirSync(siblings).filter((n) => !/^[_.]/.test(n) && !/\.(tgz|tar\.gz|tar)$/.test(n)).map((n) => chartMeta(path.join(siblings, n))?.name);
    const own = chartMeta(path.join(siblings, name))?.name;
    if (typeof own !== 'string' || names.filter((n) => n === own).length > 1) return 'has no Chart.yaml name, or shares it with another subchart';
  }
  return undefined;
}

function chartMeta(dir: string): JsonObject | undefined {
  try {
    const meta = parseDocs(readFileSync(path.join(dir, 'Chart.yaml'), 'utf8'))?.[0];
    return meta && (meta.apiVersion === 'v1' || meta.apiVersion === 'v2') ? meta : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Why the chart's .helmignore (helm reads the top one when it loads a directory, pkg/ignore) may leave
 * out a crds/ file, or undefined. A rule is matched as helm does (Go's filepath.Match, against the
 * base name when the rule has no slash); a negation is not evaluated.
 */
function helmIgnored(dir: string, crdFiles: string[]): string | undefined {
  let text: string;
  try {
    text = readFileSync(path.join(dir, '.helmignore'), 'utf8');
  } catch {
    return undefined;
  }
  const paths = new Set<string>();
  for (const f of crdFiles) {
    const parts = f.split('/');
    for (let i = 1; i <= parts.length; i++) paths.add(parts.slice(0, i).join('/'));
  }
  for (const line of text.split(/\r?\n/)) {
    let rule = line.trim();
    if (rule === '' || rule.startsWith('#')) continue;
    if (rule.startsWith('!')) return `its chart's .helmignore has a negation (${rule})`;
    rule = rule.replace(/\/$/, '');
    const anchored = rule.includes('/');
    const re = helmignoreRule(rule.replace(/^\//, ''));
    if (!re) return `its chart's .helmignore rule ${rule} is not read by podo`;
    for (const p of paths) if (re.test(anchored ? p : p.split('/').pop()!)) return `its chart's .helmignore rule ${rule} matches ${p}`;
  }
  return undefined;
}

/**
 * A .helmignore rule as Go's filepath.Match reads it: `*` and `?` never match `/`, so the rule matches a
 * path with as many components, each by the one glob matcher (tree/glob.ts). Undefined for a class or an
 * escape, which podo does not read (helm create's .helmignore has neither).
 */
export function helmignoreRule(pattern: string): { test(path: string): boolean } | undefined {
  if (/[[\\]/.test(pattern)) return undefined;
  const parts = pattern.split('/');
  return {
    test: (p) => {
      const names = p.split('/');
      return names.length === parts.length && parts.every((q, i) => goMatch(q, names[i]));
    },
  };
}
