// The Helm step of the pipeline: every HelmRelease a build produces is rendered as helm-controller would
// (render/helm), with the cluster's inputs read through callbacks when there is a cluster; and what
// helm-controller would uninstall or delete is found from the live HelmRelease (its status.inventory, or
// its release's storage Secret).
import type { ClusterClient } from '../cluster/client.js';
import { readKeyValues } from '../cluster/key-values.js';
import { mapConcurrent } from '../cluster/pool.js';
import { readExisting } from '../cluster/live.js';
import { DeadlineError } from '../cluster/dryrun.js';
import { decideRemoval } from '../flux/apply-rules.js';
import type { Verdict } from '../model/verdict.js';
import { helmInventory, helmReleaseFromObject, HELM_GROUP, isHelmRelease } from '../flux/helmrelease.js';
import { chartCache, createHelmRunner, renderHelmRelease, type ChartCache, type ChartRendering, repoIndexes, type RepoIndexes, type HelmRenderResult, type HelmLookup, type HelmRunner, type KeyValues, type SourceDir } from '../render/helm/index.js';
import { describeHelm, isHelm, type HelmHint } from '../render/helm/binary.js';
import { currentReleaseSecret, releaseObjects } from '../render/helm/storage.js';
import type { KustomizeBinary } from '../model/settings.js';
import type { HelmReleaseReport } from '../model/change.js';
import type { HelmReleaseSpec } from '../model/helm.js';
import { helmReleaseId } from '../model/helm.js';
import { groupOf, identityKey, isJsonObject, refOf, type KubeObject, type ObjectRef, type RenderedObject } from '../model/object.js';
import { errorMessage } from '../model/errors.js';
import { registerCleanup } from '../model/cleanup.js';
import { compareObjects } from '../diff/compare.js';
import { BuildError, InputError } from '../model/errors.js';
import { HELM_FIELD_MANAGER } from '../cluster/client.js';
import type { ShadowVariant } from '../render/secret-derived.js';

export interface HelmExpansion {
  /** The chart objects, to be diffed with the build's own objects. */
  objects: RenderedObject[];
  notes: string[];
  releases: HelmReleaseReport[];
  /** Every HelmRelease of the build with the object identities its chart renders (undefined: not rendered). */
  rendered: { spec: HelmReleaseSpec; objects?: KubeObject[] }[];
  /** How many values the releases read from Secrets. */
  secretInputs: number;
}

/** What the stand-in renderings of one build share with its real rendering: cluster reads, and results to reuse. */
export interface HelmMemo {
  reads: Map<string, Promise<unknown>>;
  results: Map<string, HelmRenderResult>;
}

export function helmMemo(): HelmMemo {
  return { reads: new Map(), results: new Map() };
}

/** The helm binary of the run and its private helm home; one per run, cleaned up when the run ends or is interrupted. */
export class HelmStage {
  private runner: HelmRunner | undefined;
  private unregister: (() => void) | undefined;

  constructor(
    private readonly lookup: (hint?: HelmHint) => Promise<HelmLookup>,
    private readonly kustomize: KustomizeBinary,
    /** The run's secret registry: every value read from a Secret goes in before it can reach output. */
    private readonly registerSecret: (value: string) => void,
    /** --cache-dir: charts are kept under it across runs and by both sides of --base-ref. */
    cacheDir?: string,
    /**
     * Whether a HelmRelease whose rendering inputs are those of one already rendered in this run (the
     * other side of --base-ref) takes its result instead of running helm (render/helm/render-key.ts).
     * Off for differential tests (buildAll), which render every release on both sides.
     */
    shareRenders = true,
  ) {
    this.chartCache = cacheDir ? chartCache(cacheDir) : undefined;
    this.renders = shareRenders ? new Map() : undefined;
    this.indexes = repoIndexes(cacheDir);
  }

  private readonly indexes: RepoIndexes;
  private readonly chartCache: ChartCache | undefined;

  /** The run's chart cache (--cache-dir), when there is one: what charts produce is read there without rendering. */
  get charts(): ChartCache | undefined {
    return this.chartCache;
  }
  private readonly renders: Map<string, Promise<ChartRendering>> | undefined;

  private async ensureRunner(client: ClusterClient | undefined): Promise<{ runner?: HelmRunner; missing?: string }> {
    // The first HelmRelease of the run picks the helm: with a cluster, its helm-controller's major version.
    const helm = await this.lookup(client ? { clusterMajor: () => helmControllerMajor(client) } : undefined);
    if (!isHelm(helm)) return { missing: helm.missing };
    if (!this.runner) {
      this.runner = createHelmRunner(helm);
      this.unregister = registerCleanup(() => this.runner?.cleanup());
    }
    return { runner: this.runner };
  }

  /**
   * Renders every HelmRelease among `built`. Without a client, valuesFrom and sources not in the build
   * are noted and left out, and `.Capabilities` are helm's defaults.
   */
  async expand(
    built: { object: KubeObject; valuesUnknown?: boolean }[],
    opts: { client?: ClusterClient; sourceDir: SourceDir; concurrency?: number; variant?: ShadowVariant; memo?: HelmMemo },
  ): Promise<HelmExpansion> {
    const hrs = built.filter((b) => isHelmRelease(b.object));
    const out: HelmExpansion = { objects: [], notes: [], releases: [], rendered: [], secretInputs: 0 };
    if (hrs.length === 0) return out;
    const { runner, missing } = await this.ensureRunner(opts.client);
    if (runner?.helm.note) out.notes.push(runner.helm.note);
    const usedHelm = runner ? describeHelm(runner.helm) : undefined;
    const client = opts.client;
    // The stand-in renderings of the same build read the cluster once with the real one.
    const once = <T>(key: string, read: () => Promise<T>): Promise<T> => {
      if (!opts.memo) return read();
      let p = opts.memo.reads.get(key) as Promise<T> | undefined;
      if (!p) opts.memo.reads.set(key, (p = read()));
      return p;
    };
    const results = await mapConcurrent(hrs, Math.max(1, Math.min(opts.concurrency ?? 4, 4)), async (b) => {
      const name = b.object.metadata.name;
      const namespace = String(b.object.metadata.namespace ?? 'default');
      const live = client ? await once(`hr/${namespace}/${name}`, () => liveHelmRelease(client, name, namespace)) : undefined;
      return renderHelmRelease(b.object, {
        variant: opts.variant,
        memo: opts.memo?.results,
        runner,
        noHelm: missing,
        kustomize: this.kustomize,
        buildObjects: built,
        sourceDir: opts.sourceDir,
        // Without a cluster the release is taken as installed: both sides of a --base-ref diff render alike.
        upgrade: client ? live !== undefined : true,
        readKeyValues: client ? (kind, name, namespace) => once(`kv/${kind}/${namespace}/${name}`, () => clusterKeyValues(client, kind, name, namespace, this.registerSecret)) : undefined,
        readSource: client ? (kind, name, namespace) => readSource(client, kind, name, namespace) : undefined,
        capabilities: client ? () => capabilities(client) : undefined,
        isNamespaced: client ? async (apiVersion, kind) => (await client.resolve(apiVersion, kind).catch(() => undefined))?.namespaced : undefined,
        registerSecret: this.registerSecret,
        chartCache: this.chartCache,
        renders: this.renders,
        indexes: this.indexes,
      }).catch((err: unknown): HelmRenderResult => {
        // A HelmRelease helm-controller could not reconcile (a missing valuesFrom, a malformed spec) is
        // counted and explained like any chart that was not rendered; the Kustomization's diff goes on.
        if (!(err instanceof BuildError || err instanceof InputError)) throw err;
        const spec = helmReleaseFromObjectSafe(b.object);
        // Whether it failed may depend on a Secret it reads: its Secrets count as read.
        const secretInputs = spec.valuesFrom.filter((v) => v.kind === 'Secret').length;
        return { helmRelease: helmReleaseId(spec), spec, objects: [], notes: [], notRendered: errorMessage(err).replace(/^HelmRelease \S+: /, ''), secretInputs };
      });
    });
    for (const r of results) {
      out.secretInputs += r.secretInputs ?? 0;
      out.notes.push(...r.notes);
      out.releases.push({
        name: r.spec.name,
        namespace: r.spec.namespace,
        ...(r.chart ? { chart: r.chart } : {}),
        ...(r.notRendered ? { notRendered: r.notRendered } : { helm: usedHelm }),
        ...(r.notRendered && r.spec.suspend ? { suspended: true } : {}),
      });
      out.rendered.push({ spec: r.spec, objects: r.notRendered ? undefined : r.objects.map((o) => o.object) });
      for (const o of r.objects) {
        out.objects.push({
          object: o.object,
          helmRelease: r.helmRelease,
          fieldManager: HELM_FIELD_MANAGER,
          ...(o.createOnly ? { createOnly: o.createOnly } : {}),
        });
      }
    }
    return out;
  }

  cleanup(): void {
    this.unregister?.();
    this.runner = undefined;
  }
}

/** The identity fields of a HelmRelease whose spec cannot be read (for its report entry). */
function helmReleaseFromObjectSafe(obj: KubeObject): HelmReleaseSpec {
  try {
    return helmReleaseFromObject(obj);
  } catch {
    const namespace = typeof obj.metadata.namespace === 'string' ? obj.metadata.namespace : 'default';
    return {
      name: obj.metadata.name, namespace, releaseName: obj.metadata.name, releaseNamespace: namespace, storageNamespace: namespace,
      values: {}, valuesFrom: [], postRenderers: [], installCrds: 'Create', upgradeCrds: 'Create', createNamespace: false, suspend: false, remote: false,
    };
  }
}

/** A deletion helm-controller would make: an object of the previous release that the new one lacks. */
export interface HelmDeletion {
  ref: ObjectRef;
  group: string;
  version: string;
  helmRelease: string;
}

/**
 * Objects of each HelmRelease's installed release that its new rendering lacks (helm deletes them on
 * upgrade, whatever the Kustomization's prune setting), and every object of a HelmRelease that is
 * uninstalled (`removed`). Not-rendered HelmReleases are left out: nothing is known about their objects.
 */
async function helmDeletions(
  client: ClusterClient,
  rendered: { spec: HelmReleaseSpec; objects?: KubeObject[] }[],
  removed: { name: string; namespace: string }[],
  concurrency: number,
): Promise<{ deletions: HelmDeletion[]; notes: string[]; removedReleases: HelmReleaseReport[] }> {
  const deletions: HelmDeletion[] = [];
  const notes: string[] = [];
  const removedReleases: HelmReleaseReport[] = [];
  const jobs: { name: string; namespace: string; produced?: KubeObject[]; spec?: HelmReleaseSpec }[] = [
    ...rendered.filter((r) => r.objects).map((r) => ({ name: r.spec.name, namespace: r.spec.namespace, produced: r.objects, spec: r.spec })),
    ...removed.map((r) => ({ ...r })),
  ];
  await mapConcurrent(jobs, concurrency, async (j) => {
    const id = helmReleaseId(j);
    const live = await liveHelmRelease(client, j.name, j.namespace);
    if (!live) return;
    if (!j.produced) removedReleases.push({ name: j.name, namespace: j.namespace, removed: true });
    const previous = await previousObjects(client, live);
    if (!previous) {
      if (!j.produced) notes.push(`HelmRelease ${id} is uninstalled, but its objects are not known (no status.inventory, and its release Secret could not be read)`);
      return;
    }
    const keep = new Set((j.produced ?? []).map((o) => identityKey({ apiVersion: o.apiVersion, kind: o.kind, name: o.metadata.name, namespace: o.metadata.namespace as string | undefined })));
    // Cluster-scoped objects carry no namespace in the new rendering; compare them without one.
    const keepLoose = new Set((j.produced ?? []).map((o) => `${groupOf(o.apiVersion)}/${o.kind}//${o.metadata.name}`));
    for (const p of previous) {
      const ref: ObjectRef = { apiVersion: p.group ? `${p.group}/${p.version}` : p.version, kind: p.kind, name: p.name, ...(p.namespace ? { namespace: p.namespace } : {}) };
      if (keep.has(identityKey(ref)) || keepLoose.has(`${p.group}/${p.kind}//${p.name}`)) continue;
      deletions.push({ ref, group: p.group, version: p.version, helmRelease: id });
    }
  });
  return { deletions, notes, removedReleases };
}

/**
 * helm-controller's deletions as verdicts: what each HelmRelease's upgrade drops, and every object of a
 * release uninstalled because its HelmRelease is pruned; an object another verdict already speaks for
 * (`taken`) is left to it. The history is read with `history` (podo's own identity: the
 * HelmRelease's status and release Secret are helm-controller's, not the Kustomization's service
 * account's), the objects with `client`.
 */
export async function helmRemovals(
  history: ClusterClient,
  client: ClusterClient,
  rendered: HelmExpansion['rendered'],
  removed: { name: string; namespace: string }[],
  taken: Verdict[],
  concurrency: number,
): Promise<{ verdicts: Verdict[]; notes: string[]; removedReleases: HelmReleaseReport[] }> {
  if (rendered.length === 0 && removed.length === 0) return { verdicts: [], notes: [], removedReleases: [] };
  const h = await helmDeletions(history, rendered, removed, concurrency);
  const seen = new Set(taken.map((v) => identityKey(v.ref)));
  const deletions = h.deletions.filter((d) => !seen.has(identityKey(d.ref)));
  const existing = await readExisting(client, deletions.map((d) => ({ ref: d.ref, lenient: true })), concurrency);
  const verdicts = deletions.flatMap((d, i) => {
    const found = existing[i];
    if ('timedOut' in found) throw new DeadlineError('timed out reading what helm would delete');
    return found.object ? [decideRemoval({ ref: refOf(found.object), object: found.object, helmRelease: d.helmRelease }, 'helm')] : [];
  });
  return { verdicts, notes: h.notes, removedReleases: h.removedReleases };
}

/** Whether two versions of an object have the same spec (what a create-only object's content is about). */
export function sameSpec(a: KubeObject, b: KubeObject): boolean {
  const specOnly = (o: KubeObject): KubeObject => ({ apiVersion: o.apiVersion, kind: o.kind, metadata: { name: o.metadata.name }, spec: o.spec ?? null });
  return compareObjects(specOnly(a), specOnly(b)).length === 0;
}

async function previousObjects(client: ClusterClient, live: KubeObject): Promise<{ namespace: string; name: string; group: string; kind: string; version: string }[] | undefined> {
  const inv = helmInventory(live);
  if (inv) return inv;
  const spec = helmReleaseFromObject(live);
  const status = isJsonObject(live.status) ? live.status : {};
  const history = Array.isArray(status.history) ? status.history.filter(isJsonObject) : [];
  const version = typeof history[0]?.version === 'number' ? history[0].version : typeof status.lastReleaseRevision === 'number' ? status.lastReleaseRevision : undefined;
  const info = await client.resolve('v1', 'Secret');
  if (!info) return undefined;
  let secret: KubeObject | undefined;
  try {
    if (version !== undefined) secret = await client.get(info, `sh.helm.release.v1.${spec.releaseName}.v${version}`, spec.storageNamespace);
    else secret = currentReleaseSecret(await client.list(info, spec.storageNamespace), spec.releaseName);
  } catch {
    return undefined;
  }
  const objs = secret ? releaseObjects(secret, spec.releaseNamespace) : undefined;
  return objs?.map((o) => ({ namespace: o.namespace ?? '', name: o.name, group: groupOf(o.apiVersion), kind: o.kind, version: o.apiVersion.includes('/') ? o.apiVersion.split('/')[1] : o.apiVersion }));
}

const HELMRELEASE_VERSIONS = ['v2', 'v2beta2', 'v2beta1'];

/** The live HelmRelease, when the cluster serves HelmReleases and has this one. */
export async function liveHelmRelease(client: ClusterClient, name: string, namespace: string): Promise<KubeObject | undefined> {
  for (const v of HELMRELEASE_VERSIONS) {
    const info = await client.resolve(`${HELM_GROUP}/${v}`, 'HelmRelease').catch(() => undefined);
    if (!info) continue;
    try {
      return await client.get(info, name, namespace);
    } catch {
      return undefined;
    }
  }
  return undefined;
}

async function clusterKeyValues(client: ClusterClient, kind: 'ConfigMap' | 'Secret', name: string, namespace: string, register: (v: string) => void): Promise<KeyValues> {
  try {
    const entries = await readKeyValues(client, kind, name, namespace);
    if (!entries) return { absent: true };
    if (kind === 'Secret') for (const v of Object.values(entries)) register(v);
    return { entries };
  } catch (err) {
    return { unavailable: errorMessage(err) };
  }
}

async function readSource(client: ClusterClient, kind: string, name: string, namespace: string): Promise<KubeObject | undefined> {
  for (const v of ['v1', 'v1beta2']) {
    const info = await client.resolve(`source.toolkit.fluxcd.io/${v}`, kind).catch(() => undefined);
    if (info) return client.get(info, name, namespace);
  }
  return undefined;
}

/** `--kube-version` and `--api-versions` from the cluster: group versions only, as discovery lists them. */
async function capabilities(client: ClusterClient): Promise<{ kubeVersion?: string; apiVersions: string[] }> {
  try {
    const info = await client.serverInfo();
    return { kubeVersion: info.gitVersion.replace(/[-+].*$/, '') || undefined, apiVersions: info.groupVersions };
  } catch {
    return { apiVersions: [] };
  }
}

/** The Flux Kustomization inventory's HelmReleases that the build no longer produces. */
export function removedHelmReleases(inventory: { group: string; kind: string; name: string; namespace: string }[] | undefined, built: KubeObject[]): { name: string; namespace: string }[] {
  if (!inventory) return [];
  const present = new Set(built.filter(isHelmRelease).map((o) => `${o.metadata.namespace ?? ''}/${o.metadata.name}`));
  return inventory.filter((e) => e.group === HELM_GROUP && e.kind === 'HelmRelease' && !present.has(`${e.namespace}/${e.name}`)).map((e) => ({ name: e.name, namespace: e.namespace }));
}

/**
 * The Helm major version of the cluster's helm-controller, from its Deployment's image tag in
 * flux-system: v1.5.0 and newer render with Helm 4 (Flux 2.8), older ones with Helm 3. Undefined when
 * it cannot be read (no such Deployment, no permission, a digest-only image).
 */
export async function helmControllerMajor(client: ClusterClient, namespace = 'flux-system'): Promise<3 | 4 | undefined> {
  try {
    const info = await client.resolve('apps/v1', 'Deployment');
    if (!info) return undefined;
    const d = await client.get(info, 'helm-controller', namespace);
    return helmMajorOfImage(d);
  } catch {
    return undefined;
  }
}

/** The Helm major version of a helm-controller Deployment, from its `manager` (else first) container's image tag. */
export function helmMajorOfImage(deployment: KubeObject | undefined): 3 | 4 | undefined {
  const spec = isJsonObject(deployment?.spec) ? deployment.spec : {};
  const tpl = isJsonObject(spec.template) && isJsonObject(spec.template.spec) ? spec.template.spec : {};
  const containers = Array.isArray(tpl.containers) ? tpl.containers.filter(isJsonObject) : [];
  const c = containers.find((x) => x.name === 'manager') ?? containers[0];
  const image = typeof c?.image === 'string' ? c.image : '';
  const m = image.replace(/@sha256:[0-9a-f]+$/, '').match(/:v?(\d+)\.(\d+)\.\d+[^/]*$/);
  if (!m) return undefined;
  const [major, minor] = [parseInt(m[1], 10), parseInt(m[2], 10)];
  return major > 1 || (major === 1 && minor >= 5) ? 4 : 3;
}
