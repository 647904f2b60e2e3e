// The Helm stage: from a HelmRelease object to the objects helm-controller would apply for it, rendered
// by the real helm binary. Self-contained: cluster reads come in as callbacks, nothing here talks to
// the API server.
import { readFileSync, writeFileSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import path from 'node:path';
import { dump } from 'js-yaml';
import type { HelmReleaseSpec } from '../../model/helm.js';
import { helmReleaseId } from '../../model/helm.js';
import { isJsonObject, type JsonObject, type KubeObject } from '../../model/object.js';
import { errorMessage, oneLineMessage } from '../../model/errors.js';
import { helmReleaseFromObject } from '../../flux/helmrelease.js';
import { parseKustomizeOutput } from '../documents.js';
import { runKustomize, type KustomizeBinary } from '../kustomize/kustomize.js';
import { locateChart, type SourceDir } from './chart.js';
import type { ChartCache } from './chart-cache.js';
import { HelmFailure, type HelmRunner } from './run.js';
import { addValuesProbes, SchemaFailure, takeProbes, validateProbes, type ValuesProbes } from './schema.js';
import type { ChartSchema } from './chart-copy.js';
import { renderKey } from './render-key.js';
import type { RepoIndexes } from './repo-index.js';
import { runDeadline } from '../../process/lifecycle.js';
import { composeValues, type KeyValues } from './values.js';
import { standIn, standInTree, type ShadowVariant } from '../secret-derived.js';

export { createHelmRunner, type HelmRunner } from './run.js';
export { findHelm, isHelm, type HelmLookup, type HelmBinary } from './binary.js';
export type { SourceDir } from './chart.js';
export { chartCache, type ChartCache } from './chart-cache.js';
export { repoIndexes, type RepoIndexes } from './repo-index.js';
export type { KeyValues } from './values.js';

/** What the cluster says about itself, for `.Capabilities`. */
export interface Capabilities {
  /** `v1.20.2` */
  kubeVersion?: string;
  /** `group/version` and `group/version/Kind` entries, as `helm template --api-versions` takes them. */
  apiVersions: string[];
}

export interface HelmRenderContext {
  /** The helm runner; undefined when there is no helm (then `noHelm` says why). */
  runner?: HelmRunner;
  noHelm?: string;
  kustomize: KustomizeBinary;
  /** The objects of the same build: valuesFrom ConfigMaps/Secrets and Flux sources found here are used first. */
  buildObjects: { object: KubeObject; valuesUnknown?: boolean }[];
  /** Reads a ConfigMap/Secret from the cluster; absent without a cluster. */
  readKeyValues?: (kind: 'ConfigMap' | 'Secret', name: string, namespace: string) => Promise<KeyValues>;
  /** Reads a Flux source object (by kind in source.toolkit.fluxcd.io) from the cluster; absent without a cluster. */
  readSource?: (kind: string, name: string, namespace: string) => Promise<KubeObject | undefined>;
  /** The local directory of a GitRepository/Bucket/ExternalArtifact. */
  sourceDir: SourceDir;
  /** The cluster's version and API groups; absent without a cluster (helm's built-in defaults apply). */
  capabilities?: () => Promise<Capabilities>;
  /** True when the release exists already: helm-controller upgrades it (upgrade CRD policy, .Release.IsUpgrade). */
  upgrade: boolean;
  /** Whether a kind is namespaced, when known (from discovery); else a list of well-known cluster-scoped kinds decides. */
  isNamespaced?: (apiVersion: string, kind: string) => Promise<boolean | undefined>;
  /** Called with every value read from a Secret, before it can reach any output. */
  registerSecret?: (value: string) => void;
  /** A stand-in rendering (render/secret-derived.ts): every value read from a Secret is replaced by a stand-in. */
  variant?: ShadowVariant;
  /**
   * The real renderings of this build's releases, by release: a stand-in rendering whose inputs come out
   * the same (no Secret reached them) takes the real result instead of running helm again.
   */
  memo?: Map<string, HelmRenderResult>;
  /** Charts kept across runs (--cache-dir). */
  chartCache?: ChartCache;
  /** Chart repository indexes, read once per run and kept a few minutes under --cache-dir. */
  indexes?: RepoIndexes;
  /**
   * The run's renderings by the digest of everything helm and the post-renderers are given
   * (render-key.ts): a HelmRelease whose inputs are the same as one already rendered (the other side
   * of --base-ref) takes that result instead of running helm again. Absent: every release is rendered.
   */
  renders?: Map<string, Promise<ChartRendering>>;
}

/** What a chart's rendering gives, before it is tied to one HelmRelease's report entry. */
export type ChartRendering = { objects: HelmRenderedObject[] } | { notRendered: string };

export interface HelmRenderedObject {
  object: KubeObject;
  /** `namespace/name` of the HelmRelease that renders it. */
  helmRelease: string;
  /** Created when missing, never updated, for this reason (a crds/ CRD under policy Create, the release namespace). */
  createOnly?: string;
}

export interface HelmRenderResult {
  helmRelease: string;
  spec: HelmReleaseSpec;
  /** Where the chart came from, for headers (set once it was found). */
  chart?: string;
  objects: HelmRenderedObject[];
  notes: string[];
  /** Set when the chart was not rendered: why (one line, safe to print). */
  notRendered?: string;
  /** How many values the release read from Secrets (valuesFrom). */
  secretInputs?: number;
  /** Everything the rendering depends on besides the chart's files: equal keys, equal renderings. */
  inputKey?: string;
}

const CRD_CREATE_ONLY = "helm-controller's CRD policy Create does not update an existing CRD: the chart's changes to it are not applied";

/** Labels helm-controller's post-renderer puts on every object it renders (internal/postrender). */
export const ORIGIN_NAME = 'helm.toolkit.fluxcd.io/name';
export const ORIGIN_NAMESPACE = 'helm.toolkit.fluxcd.io/namespace';

/** Kinds that are cluster-scoped in every Kubernetes version podo supports, for builds without discovery. */
const CLUSTER_SCOPED = new Set([
  'Namespace', 'Node', 'PersistentVolume', 'ClusterRole', 'ClusterRoleBinding', 'CustomResourceDefinition', 'StorageClass',
  'PriorityClass', 'IngressClass', 'RuntimeClass', 'PodSecurityPolicy', 'CSIDriver', 'CSINode', 'VolumeAttachment',
  'ValidatingWebhookConfiguration', 'MutatingWebhookConfiguration', 'ValidatingAdmissionPolicy', 'ValidatingAdmissionPolicyBinding',
  'APIService', 'CertificateSigningRequest', 'FlowSchema', 'PriorityLevelConfiguration', 'ClusterIssuer', 'VolumeSnapshotClass',
]);

export async function renderHelmRelease(obj: KubeObject, ctx: HelmRenderContext): Promise<HelmRenderResult> {
  const hr = helmReleaseFromObject(obj);
  const id = helmReleaseId(hr);
  const base = { helmRelease: id, spec: hr, objects: [] as HelmRenderedObject[], notes: [] as string[] };
  if (hr.suspend) return { ...base, notRendered: 'it is suspended (helm-controller does not reconcile it)' };
  // Against a cluster, its own is not read; between two refs (no cluster), it is rendered like any other.
  if (hr.remote && ctx.readKeyValues) return { ...base, notRendered: 'it targets a remote cluster (spec.kubeConfig)' };
  if (!ctx.runner) return { ...base, notRendered: ctx.noHelm ?? 'no helm binary' };
  const runner = ctx.runner;
  const secrets: string[] = [];
  const scrub = (s: string) => {
    let out = s;
    for (const v of secrets) if (v.length >= 3) out = out.split(v).join('***');
    return out;
  };
  try {
    const reads = { secret: 0 };
    const composed = await composeValues(hr, (kind, name, namespace) => keyValues(ctx, kind, name, namespace, secrets, reads), (v, p, val, mode) => runner.setPath(v, p, val, mode));
    if (!ctx.variant) {
      for (const s of composed.secretValues) {
        secrets.push(s);
        ctx.registerSecret?.(s);
      }
    }
    const inputKey = JSON.stringify([obj, composed.values, ctx.buildObjects.filter((b) => b.object.apiVersion.startsWith('source.toolkit.fluxcd.io/')).map((b) => b.object)]);
    const known = ctx.variant ? ctx.memo?.get(id) : undefined;
    if (known && known.inputKey === inputKey) return structuredClone(known);
    const result = await renderComposed(hr, ctx, runner, composed, scrub, secrets, base);
    const done = { ...result, secretInputs: reads.secret, inputKey };
    if (!ctx.variant) ctx.memo?.set(id, done);
    return done;
  } catch (err) {
    // Invalid input (a missing required valuesFrom, a bad values document) is the HelmRelease's error.
    if (err instanceof Error) err.message = scrub(`HelmRelease ${id}: ${errorMessage(err).replace(/^HelmRelease \S+: /, '')}`);
    throw err;
  }
}

async function renderComposed(
  hr: HelmReleaseSpec,
  ctx: HelmRenderContext,
  runner: HelmRunner,
  composed: Awaited<ReturnType<typeof composeValues>>,
  scrub: (s: string) => string,
  secrets: string[],
  base: { helmRelease: string; spec: HelmReleaseSpec; objects: HelmRenderedObject[]; notes: string[] },
): Promise<HelmRenderResult> {
  const id = base.helmRelease;
  {
    const notes = [...composed.notes];

    const chart = await locateChart(hr, {
      runner,
      sourceDir: ctx.sourceDir,
      lookup: (kind, name, namespace) => sourceLookup(ctx, kind, name, namespace),
      // Registry credentials (secretRef of an OCI source): the build's Secret first, else the cluster's.
      // Credentials reach no value helm renders: the real ones in every rendering (never stand-ins).
      readSecret: (name, namespace) => readKeyValuesOnce(ctx, 'Secret', name, namespace, secrets),
      cache: ctx.chartCache,
      indexes: ctx.indexes,
      registerSecret: (v) => {
        secrets.push(v);
        ctx.registerSecret?.(v);
      },
    });
    if ('reason' in chart) return { ...base, notes, notRendered: chart.reason };
    const found = { ...base, chart: chartTitle(chart.dir, chart.display) };
    const caps = ctx.capabilities ? await ctx.capabilities() : undefined;
    // Computed before the schema probes are written into the copy (their names are random).
    const key = ctx.renders
      ? renderKey({
          helm: { path: runner.helm.path, version: runner.helm.version },
          kustomize: ctx.kustomize,
          spec: hr,
          values: composed.values,
          display: chart.display,
          chartDir: chart.dir,
          schemas: chart.schemas.map((s) => ({ chart: s.chart, text: s.text })),
          upgrade: ctx.upgrade,
          capabilities: caps,
          discovery: ctx.isNamespaced !== undefined,
        })
      : undefined;
    let pending = key ? ctx.renders!.get(key) : undefined;
    if (!pending) {
      pending = renderChart(hr, ctx, runner, chart, composed, scrub, caps);
      if (key) ctx.renders!.set(key, pending);
    }
    const rendering = await pending;
    if ('notRendered' in rendering) return { ...found, notes, notRendered: rendering.notRendered };
    // Each caller gets its own copy: the objects are normalized and masked downstream.
    const objects = rendering.objects.map((o) => ({ ...structuredClone(o), helmRelease: id }));
    if (!ctx.variant) for (const o of objects) if (o.object.kind === 'Secret' && o.object.apiVersion === 'v1') registerSecretObject(o.object, ctx, secrets);
    return { ...found, objects, notes };
  }
}

/** `helm template` of the located chart with the composed values, post-rendered as helm-controller does. */
async function renderChart(
  hr: HelmReleaseSpec,
  ctx: HelmRenderContext,
  runner: HelmRunner,
  chart: { dir: string; schemas: ChartSchema[] },
  composed: Awaited<ReturnType<typeof composeValues>>,
  scrub: (s: string) => string,
  caps: Capabilities | undefined,
): Promise<ChartRendering> {
  const id = helmReleaseId(hr);
  {
    // values.schema.json is validated by podo, never by helm (schema.ts).
    let probes: ValuesProbes | undefined;
    try {
      if (chart.schemas.length > 0) probes = addValuesProbes(chart.schemas);
    } catch (err) {
      if (!(err instanceof SchemaFailure)) throw err;
      return { notRendered: scrub(err.message) };
    }

    const scratch = runner.scratch('release');
    const valuesFile = path.join(scratch, 'values.json');
    writeFileSync(valuesFile, JSON.stringify(composed.values), { mode: 0o600 });
    const args = [
      'template', hr.releaseName, chart.dir,
      '--namespace', hr.releaseNamespace,
      '-f', valuesFile,
      '--include-crds',
    ];
    // Hooks are run by helm, not applied as part of the release (nor listed in its inventory). Under the
    // `combined` post-render strategy (Helm 4's default in helm-controller v1.6+) they still go through
    // the post-renderers with the manifests, so a patch aimed at a hook works there: they are rendered,
    // post-rendered, then dropped.
    const hooksThroughPostRender = hr.postRenderers.length > 0 && postRenderStrategy(hr, runner) === 'combined';
    if (!hooksThroughPostRender) args.push('--no-hooks');
    if (ctx.upgrade) args.push('--is-upgrade');
    if (caps?.kubeVersion) args.push('--kube-version', caps.kubeVersion);
    for (const v of caps?.apiVersions ?? []) args.push('--api-versions', v);
    let out: string;
    try {
      out = await runner.run(args);
    } catch (err) {
      if (!(err instanceof HelmFailure)) throw err;
      return { notRendered: `helm template failed: ${scrub(oneLineMessage(err))}` };
    }
    if (probes) {
      const taken = takeProbes(out, probes);
      out = taken.out;
      try {
        await validateProbes(probes, taken.values, runDeadline());
      } catch (err) {
        if (!(err instanceof SchemaFailure)) throw err;
        return { notRendered: scrub(err.message) };
      }
    }
    const { crds, manifests } = splitManifest(out);

    let rendered = manifests;
    if (hr.postRenderers.length > 0 && rendered.length > 0) {
      for (const [i, pr] of hr.postRenderers.entries()) {
        try {
          rendered = await kustomizePostRender(ctx.kustomize, rendered, pr, runner.scratch('postrender'));
        } catch (err) {
          return { notRendered: `postRenderers[${i}] failed: ${scrub(oneLineMessage(err))}` };
        }
      }
    }
    if (hooksThroughPostRender) rendered = rendered.filter((o) => !isHook(o));
    const objects: HelmRenderedObject[] = [];
    for (const o of rendered) {
      if (hr.commonMetadata?.labels) setMeta(o, 'labels', hr.commonMetadata.labels);
      if (hr.commonMetadata?.annotations) setMeta(o, 'annotations', hr.commonMetadata.annotations);
      setMeta(o, 'labels', originLabels(hr));
      // Helm's own ownership metadata (set on install and upgrade): present on the live objects, not drift.
      setMeta(o, 'labels', { 'app.kubernetes.io/managed-by': 'Helm' });
      setMeta(o, 'annotations', { 'meta.helm.sh/release-name': hr.releaseName, 'meta.helm.sh/release-namespace': hr.releaseNamespace });
      await setNamespace(o, hr.releaseNamespace, ctx);
      objects.push({ object: o, helmRelease: id });
    }
    const policy = ctx.upgrade ? hr.upgradeCrds : hr.installCrds;
    if (policy !== 'Skip') {
      for (const o of crds) {
        // helm-controller applies only CustomResourceDefinitions from crds/, with its origin labels.
        if (o.kind !== 'CustomResourceDefinition') continue;
        setMeta(o, 'labels', originLabels(hr));
        objects.push({ object: o, helmRelease: id, ...(policy === 'Create' ? { createOnly: CRD_CREATE_ONLY } : {}) });
      }
    }
    if (hr.createNamespace && !ctx.upgrade) {
      // helm install --create-namespace: a bare Namespace, created only when missing.
      objects.push({ object: { apiVersion: 'v1', kind: 'Namespace', metadata: { name: hr.releaseNamespace } }, helmRelease: id, createOnly: 'helm creates the release namespace only when it is missing (install.createNamespace)' });
    }
    return { objects };
  }
}

/** spec.postRenderStrategy, else helm-controller's default for the helm that renders (internal/action/post_render.go). */
function postRenderStrategy(hr: HelmReleaseSpec, runner: HelmRunner): 'nohooks' | 'combined' | 'separate' {
  return hr.postRenderStrategy ?? (runner.helm.version.startsWith('3.') ? 'nohooks' : 'combined');
}

function isHook(o: KubeObject): boolean {
  return isJsonObject(o.metadata.annotations) && typeof o.metadata.annotations['helm.sh/hook'] === 'string';
}

/** `app 1.1.0 from <where>`: the chart's own name and version, so a chart bump shows in headers. */
function chartTitle(dir: string, display: string): string {
  try {
    const meta: unknown = parseYaml(readFileSync(path.join(dir, 'Chart.yaml'), 'utf8'));
    if (isJsonObject(meta as JsonObject) && typeof (meta as JsonObject).name === 'string') {
      const m = meta as JsonObject;
      return `${m.name}${typeof m.version === 'string' || typeof m.version === 'number' ? ` ${m.version}` : ''} from ${display}`;
    }
  } catch {
    /* a packaged chart (.tgz) or an unreadable Chart.yaml: the location alone */
  }
  return display;
}

function originLabels(hr: HelmReleaseSpec): Record<string, string> {
  return { [ORIGIN_NAME]: hr.name, [ORIGIN_NAMESPACE]: hr.namespace };
}

function setMeta(o: KubeObject, field: 'labels' | 'annotations', values: Record<string, string>): void {
  const cur = isJsonObject(o.metadata[field]) ? (o.metadata[field] as JsonObject) : {};
  o.metadata[field] = { ...cur, ...values };
}

/** helm template leaves metadata.namespace unset; helm installs such objects in the release namespace. */
async function setNamespace(o: KubeObject, ns: string, ctx: HelmRenderContext): Promise<void> {
  if (typeof o.metadata.namespace === 'string' && o.metadata.namespace !== '') return;
  const namespaced = ctx.isNamespaced ? await ctx.isNamespaced(o.apiVersion, o.kind) : undefined;
  if (namespaced === false || (namespaced === undefined && CLUSTER_SCOPED.has(o.kind))) return;
  o.metadata.namespace = ns;
}

function registerSecretObject(o: KubeObject, ctx: HelmRenderContext, secrets: string[]): void {
  for (const field of ['data', 'stringData']) {
    const m = o[field];
    if (!isJsonObject(m)) continue;
    for (const v of Object.values(m)) {
      if (typeof v !== 'string' || v === '') continue;
      const plain = field === 'data' ? Buffer.from(v, 'base64').toString('utf8') : v;
      for (const s of field === 'data' ? [v, plain] : [plain]) {
        secrets.push(s);
        ctx.registerSecret?.(s);
      }
    }
  }
}

/**
 * helm template's output, split by the `# Source:` line helm writes before each document: files from
 * a chart's crds/ directory (with --include-crds) are CRDs helm-controller applies by its CRD policy;
 * the rest is the release manifest.
 */
export function splitManifest(out: string): { crds: KubeObject[]; manifests: KubeObject[] } {
  const crds: KubeObject[] = [];
  const manifests: KubeObject[] = [];
  // helm writes a crds/ file as it is, after one `# Source:` line: the file's further documents follow
  // without one (a template's documents each get their own), so they belong to the last file named.
  let source = '';
  for (const doc of out.split(/^---[ \t]*$/m)) {
    if (doc.trim() === '') continue;
    source = doc.match(/^# Source: (.*)$/m)?.[1] ?? source;
    const objs = parseKustomizeOutput(doc, `helm template ${source}`.trim());
    // helm 3.6 writes `crds/x.yaml`, newer ones `chart/crds/x.yaml` (and `chart/charts/sub/crds/...`).
    const isCrdFile = /^([^/]+\/)?(charts\/[^/]+\/)*crds\//.test(source);
    (isCrdFile ? crds : manifests).push(...objs);
  }
  return { crds, manifests };
}

/** A kustomize post-renderer exactly as helm-controller builds it: the output as a resource, images, patches. */
async function kustomizePostRender(kustomize: KustomizeBinary, objects: KubeObject[], pr: HelmReleaseSpec['postRenderers'][number], dir: string): Promise<KubeObject[]> {
  writeFileSync(path.join(dir, 'helm-output.yaml'), objects.map((o) => dump(o, { noRefs: true, lineWidth: -1 })).join('---\n'), { mode: 0o600 });
  const k: JsonObject = { apiVersion: 'kustomize.config.k8s.io/v1beta1', kind: 'Kustomization', resources: ['helm-output.yaml'] };
  if (pr.images.length > 0) k.images = pr.images.map((im) => JSON.parse(JSON.stringify(im)) as JsonObject);
  if (pr.patches.length > 0) k.patches = pr.patches.map((p) => JSON.parse(JSON.stringify(p)) as JsonObject);
  writeFileSync(path.join(dir, 'kustomization.yaml'), JSON.stringify(k));
  return parseKustomizeOutput(await runKustomize(kustomize, dir, 'post-renderer'), 'post-renderer');
}

/** A ConfigMap/Secret for valuesFrom: the build's own copy first (as it will be applied), else the cluster's. */
/**
 * A valuesFrom source. A Secret's values are counted as secret inputs, and in a stand-in rendering
 * replaced by stand-ins named by Secret and key (a values document keeps its keys: see standInTree).
 */
async function keyValues(ctx: HelmRenderContext, kind: 'ConfigMap' | 'Secret', name: string, namespace: string, secrets: string[], reads: { secret: number }): Promise<KeyValues> {
  const kv = await readKeyValuesOnce(ctx, kind, name, namespace, secrets);
  if (kind !== 'Secret' || !('entries' in kv)) return kv;
  reads.secret++;
  const variant = ctx.variant;
  if (!variant) return kv;
  const entries: Record<string, string> = {};
  for (const [k, v] of Object.entries(kv.entries)) entries[k] = standInValuesText(v, `Secret/${namespace}/${name}/${k}`, variant);
  return { entries };
}

function standInValuesText(text: string, identity: string, variant: ShadowVariant): string {
  let doc: unknown;
  try {
    doc = parseYaml(text, { version: '1.1', maxAliasCount: 1000 });
  } catch {
    doc = undefined;
  }
  return isJsonObject(doc as JsonObject) && Object.keys(doc as JsonObject).length > 0 ? JSON.stringify(standInTree(doc as JsonObject, identity, variant)) : standIn(identity, variant);
}

async function readKeyValuesOnce(ctx: HelmRenderContext, kind: 'ConfigMap' | 'Secret', name: string, namespace: string, secrets: string[]): Promise<KeyValues> {
  const inBuild = ctx.buildObjects.find(
    (b) => b.object.kind === kind && b.object.apiVersion === 'v1' && b.object.metadata.name === name && (b.object.metadata.namespace ?? namespace) === namespace,
  );
  if (inBuild) {
    if (inBuild.valuesUnknown) return { unavailable: 'its SOPS values could not be decrypted' };
    const entries: Record<string, string> = {};
    const fields = kind === 'Secret' ? ['data', 'stringData'] : ['data', 'binaryData'];
    for (const field of fields) {
      const m = inBuild.object[field];
      if (!isJsonObject(m)) continue;
      for (const [k, v] of Object.entries(m)) {
        if (typeof v !== 'string') continue;
        entries[k] = kind === 'Secret' && field === 'data' ? Buffer.from(v, 'base64').toString('utf8') : v;
      }
    }
    if (kind === 'Secret') for (const v of Object.values(entries)) if (v) secrets.push(v);
    return { entries };
  }
  if (!ctx.readKeyValues) return { unavailable: 'no cluster to read it from' };
  return ctx.readKeyValues(kind, name, namespace);
}

async function sourceLookup(ctx: HelmRenderContext, kind: string, name: string, namespace: string): Promise<KubeObject | undefined | { unavailable: string }> {
  const inBuild = ctx.buildObjects.find(
    (b) => b.object.kind === kind && b.object.apiVersion.startsWith('source.toolkit.fluxcd.io/') && b.object.metadata.name === name && (b.object.metadata.namespace ?? namespace) === namespace,
  );
  if (inBuild) return inBuild.object;
  if (!ctx.readSource) return { unavailable: 'not in the build, and no cluster to read it from' };
  return ctx.readSource(kind, name, namespace);
}
