// The cluster target: asks the API server what it would make of each object (live state, then a
// server-side apply dry run). Namespaces and CRDs go first; objects that depend on ones created by the
// same build, or by a Kustomization this one depends on, are staged (reported created with their
// local content) instead of failing as flux diff does. What Flux does with each object (skip, stage,
// replace, prune) is the rule book's (flux/apply-rules.ts); this target supplies the live object and the
// dry run's answer, and cluster/ only carries the requests.
import type { ClusterClient, ResourceInfo } from '../cluster/client.js';
import { mapConcurrent } from '../cluster/pool.js';
import { fetchLive, LiveIndex } from '../cluster/live.js';
import { DeadlineError, describeDryRunFailure, TimeoutError } from '../cluster/dryrun.js';
import { loadFromCluster } from '../sources/cluster.js';
import { decideApply, decideRemoval, mayPrune, placeNamespace, pruneWithheld, type ApplyInput, type ApplySettings, type MergeOutcome } from '../flux/apply-rules.js';
import { removalEffect } from '../flux/deletion-policy.js';
import { appliedFirst, applyOrder } from '../flux/order.js';
import { FLUX_KUSTOMIZATION_GROUP, inventoryId } from '../flux/spec.js';
import { normalizeDesired } from '../diff/normalize.js';
import { sameSpec } from './helm.js';
import type { FluxKustomization, InventoryEntry } from '../model/kustomization.js';
import { groupOf, identityKey, refOf, subjectOf, type KubeObject, type ObjectRef, type RenderedObject } from '../model/object.js';
import { errorMessage } from '../model/errors.js';
import type { Verdict } from '../model/verdict.js';
import { toResourceChange } from '../diff/changes.js';
import { crdKinds } from './scope.js';
import { helmDeletions, removedHelmReleases, type HelmDeletion } from './helm.js';
import type { CreatedByDependencies, Evaluation, Target, TargetAnswer } from './target.js';

export interface PruneCandidate {
  ref: ObjectRef;
  group: string;
  version: string;
}

interface Planned {
  desired: RenderedObject;
  ref: ObjectRef;
  info?: ResourceInfo;
}

export class ClusterTarget implements Target {
  readonly kind = 'cluster' as const;
  private liveIndex: LiveIndex | undefined;

  constructor(
    private readonly client: ClusterClient,
    private readonly concurrency: number,
    /** The client to dry-run a Kustomization's objects with (impersonating its service account). */
    private readonly clientFor: (spec: FluxKustomization['spec']) => Promise<{ client: ClusterClient; notes: string[] }> = async () => ({ client, notes: [] }),
  ) {
    // Warm discovery for the common group versions while kustomize runs; failures surface later.
    for (const [gv, kind] of [['v1', 'ConfigMap'], ['apps/v1', 'Deployment']]) client.resolve(gv, kind).catch(() => undefined);
  }

  /**
   * Many Kustomizations of these namespaces are evaluated (--all): their live objects are read through
   * one index list per kind (cluster/live.ts LiveIndex) rather than per Kustomization and namespace.
   */
  shareLiveReads(namespaces: readonly string[]): void {
    this.liveIndex = new LiveIndex(this.client, namespaces);
  }

  async evaluate(e: Evaluation): Promise<TargetAnswer> {
    try {
      return await this.evaluateWithin(e);
    } catch (err) {
      // Say which budget ran out: the Kustomization's spec.timeout or --timeout.
      if (err instanceof DeadlineError && e.budget) throw new TimeoutError(`${err.message} (${e.budget})`);
      throw err;
    }
  }

  private async evaluateWithin(e: Evaluation): Promise<TargetAnswer> {
    // The live object is the former state: its inventory is what would be pruned.
    // Every request of this Kustomization shares the client's pool but gives up at its own deadline.
    const base = e.deadline ? this.client.withDeadline(e.deadline) : this.client;
    const live = e.former ?? (e.head ? await loadFromCluster(base, e.head.spec.name, e.head.spec.namespace) : undefined);
    const spec = (e.head ?? live)!.spec;
    const notes: string[] = [];
    if (e.head && !live) notes.push('new Kustomization: not in the cluster yet');
    // Removed from the build: Flux deletes the Kustomization; its deletionPolicy says what happens to its inventory.
    const removal = !e.head && live ? removalEffect(live.spec) : undefined;
    if (!e.head) {
      if (!live || !removal) return { verdicts: [], notes, formerChildren: [] };
      if (!removal.deletes || !live.inventory) return { verdicts: [], notes: [removal.note], formerChildren: [] };
      notes.push(removal.note);
    }
    const desired = (e.rendered ?? []).map((o) => ({ ...o, object: normalizeDesired(o.object) }));
    const prune = removal ? removal.deletes : e.head?.spec.prune === true;
    const pruneCandidates = prune && live?.inventory ? candidatesOf(live.inventory, desired.map((d) => d.object)) : [];
    const { client: identityClient, notes: identityNotes } = await this.clientFor(spec);
    const client = e.deadline ? identityClient.withDeadline(e.deadline) : identityClient;
    notes.push(...identityNotes);
    // The index is read with podo's own identity: a Kustomization impersonating its service account
    // reads what that account may read, so it does not use it.
    const shared = this.liveIndex && identityClient === this.client ? { index: this.liveIndex, deadline: e.deadline } : undefined;
    const verdicts = await dryRun(client, desired, {
      concurrency: this.concurrency,
      shared,
      force: spec.force === true,
      pruneCandidates,
      prior: e.prior,
      budget: e.budget,
      onProgress: e.onProgress ? (d, t) => e.onProgress!('dry-run', d, t) : undefined,
    });
    const withheld = pruneWithheld(verdicts, pruneCandidates.length, `${spec.namespace}/${spec.name}`);
    if (withheld) notes.push(withheld);
    // helm-controller's deletions: what each HelmRelease's upgrade drops, and the releases uninstalled
    // because their HelmRelease is pruned. Read with the caller's identity (the HelmRelease's status and
    // release Secret are helm-controller's, not the Kustomization's service account's).
    const removed = prune && live?.inventory ? removedHelmReleases(live.inventory, desired.map((d) => d.object)) : [];
    let removedHelmReleasesReport: TargetAnswer['removedHelmReleases'];
    if ((e.helm?.rendered.length ?? 0) > 0 || removed.length > 0) {
      const h = await helmDeletions(this.client, e.helm?.rendered ?? [], removed, this.concurrency);
      notes.push(...h.notes);
      const taken = new Set([...verdicts.map((v) => identityKey(v.ref))]);
      const deletions = await mapConcurrent(
        h.deletions.filter((d) => !taken.has(identityKey(d.ref))),
        this.concurrency,
        (d) => helmDeleteOne(client, d),
      );
      for (const d of deletions) if (d) verdicts.push(d);
      if (h.removedReleases.length > 0) removedHelmReleasesReport = h.removedReleases;
    }
    return {
      verdicts,
      notes,
      formerChildren: e.head && prune ? await this.inventoryChildren(live) : [],
      ...(removedHelmReleasesReport ? { removedHelmReleases: removedHelmReleasesReport } : {}),
    };
  }

  /** Child Kustomizations in the live inventory, loaded: a child the build no longer produces is pruned. */
  private async inventoryChildren(live: FluxKustomization | undefined): Promise<FluxKustomization[]> {
    const entries = (live?.inventory ?? []).filter((e) => e.group === FLUX_KUSTOMIZATION_GROUP && e.kind === 'Kustomization');
    const loaded = await mapConcurrent(entries, this.concurrency, (e) => loadFromCluster(this.client, e.name, e.namespace));
    return loaded.filter((k): k is FluxKustomization => k !== undefined);
  }
}

/** Inventory entries the build no longer produces. */
function candidatesOf(inventory: InventoryEntry[], produced: KubeObject[]): PruneCandidate[] {
  const ids = new Set(
    produced.map((o) => inventoryId({ namespace: o.metadata.namespace as string | undefined, name: o.metadata.name, group: groupOf(o.apiVersion), kind: o.kind })),
  );
  return inventory
    .filter((e) => !ids.has(e.id))
    .map((e) => ({
      ref: { apiVersion: e.group ? `${e.group}/${e.version}` : e.version, kind: e.kind, name: e.name, ...(e.namespace ? { namespace: e.namespace } : {}) },
      group: e.group,
      version: e.version,
    }));
}

export interface DryRunOptions {
  concurrency: number;
  /** `spec.force` of the Kustomization. */
  force: boolean;
  /** Objects from the live inventory that the build no longer produces (only with spec.prune). */
  pruneCandidates: PruneCandidate[];
  prior: CreatedByDependencies;
  /** What set the deadline, for the timeout message (`spec.timeout 30s`, `--timeout 5m`). */
  budget?: string;
  /** The run's shared live reads, when this Kustomization may use them. */
  shared?: { index: LiveIndex; deadline?: number };
  onProgress?: (done: number, total: number) => void;
}

export async function dryRun(client: ClusterClient, objects: RenderedObject[], opts: DryRunOptions): Promise<Verdict[]> {
  const pending = new Set<string>();
  const total = objects.length + opts.pruneCandidates.length;
  let done = 0;
  const tick = () => opts.onProgress?.(++done, total);
  const timedOut: string[] = [];

  const track = async <T>(subject: string, fn: () => Promise<T>, onTimeout: T): Promise<T> => {
    pending.add(subject);
    try {
      return await fn();
    } catch (err) {
      if (err instanceof DeadlineError) {
        timedOut.push(subject);
        return onTimeout;
      }
      throw err;
    } finally {
      pending.delete(subject);
      tick();
    }
  };

  const namespacesInBuild = new Set(objects.filter((o) => o.object.kind === 'Namespace' && o.object.apiVersion === 'v1').map((o) => o.object.metadata.name));
  const crdKindsInBuild = crdKinds(objects.map((o) => o.object));

  // Resolve every kind once; an unknown kind is fine when a CRD of this build (or a dependency) defines it.
  const planned: Planned[] = await Promise.all(
    objects.map(async (d): Promise<Planned> => {
      const info = await client.resolve(d.object.apiVersion, d.object.kind);
      const obj = d.object;
      if (info) placeNamespace(obj, !info.namespaced);
      return { desired: d, ref: refOf(obj), info };
    }),
  );
  planned.sort((a, b) => applyOrder(a.ref, b.ref));

  const live = await fetchLive(
    client,
    planned.filter((p) => p.info).map((p) => ({ ref: p.ref, info: p.info! })),
    opts.concurrency,
    opts.shared,
  );

  const rules: ApplySettings = {
    force: opts.force,
    existingFrom: 'cluster',
    inBuild: { namespaces: namespacesInBuild, crdKinds: crdKindsInBuild },
    prior: opts.prior,
    same: { unchanged: (v) => toResourceChange(v).action === 'unchanged', sameSpec },
  };

  // The rule book decides (flux/apply-rules.ts); this only supplies the live object and the dry run.
  const runOne = async (p: Planned): Promise<Verdict> => {
    const { ref, info } = p;
    const obj = p.desired.object;
    const current = info ? live.get(identityKey(ref)) : undefined;
    const input: ApplyInput = { desired: p.desired, existing: current ? { object: current } : undefined, kindKnown: info !== undefined, mergeable: !p.desired.valuesUnknown };
    const decision = decideApply(input, rules);
    if ('verdict' in decision) return decision.verdict;
    const merge = () => client.dryRunApply(info!, obj, p.desired.fieldManager ? { fieldManager: p.desired.fieldManager } : {});
    // Only to learn whether an object Flux leaves alone would change: whatever fails, it is skipped.
    if (decision.merge === 'compare') {
      const outcome: MergeOutcome = await merge().then(
        (merged) => ({ merged }),
        (err: unknown) => ({ failure: { kind: 'other', message: errorMessage(err) } }),
      );
      return decideApply({ ...input, merge: outcome }, rules).verdict;
    }
    return track(
      subjectOf(ref),
      async () => {
        const outcome: MergeOutcome = await merge().then(
          (merged) => ({ merged }),
          (err: unknown) => ({ failure: describeDryRunFailure(err, ref, obj, info, client.identity, p.desired.secretPaths !== undefined) }),
        );
        return decideApply({ ...input, merge: outcome }, rules).verdict;
      },
      decideApply({ ...input, merge: { failure: { kind: 'other', message: 'timed out' } } }, rules).verdict,
    );
  };

  const first = planned.filter((p) => appliedFirst(p.ref));
  const rest = planned.filter((p) => !appliedFirst(p.ref));
  const results = [...(await mapConcurrent(first, opts.concurrency, runOne)), ...(await mapConcurrent(rest, opts.concurrency, runOne))];

  if (mayPrune(results) && opts.pruneCandidates.length > 0) {
    const deletions = await mapConcurrent(opts.pruneCandidates, opts.concurrency, (c) => track(subjectOf(c.ref), () => pruneOne(client, c), undefined));
    for (const d of deletions) if (d) results.push(d);
  }
  if (timedOut.length > 0) {
    const all = [...timedOut, ...pending];
    throw new TimeoutError(`timed out (${opts.budget ?? '--timeout'}) with ${all.length} object(s) still pending: ${all.slice(0, 10).join(', ')}${all.length > 10 ? ', …' : ''}`);
  }
  return results;
}

/** An object helm would delete: gone already, kept by `helm.sh/resource-policy: keep`, or deleted. */
async function helmDeleteOne(client: ClusterClient, d: HelmDeletion): Promise<Verdict | undefined> {
  const info = await client.resolve(d.ref.apiVersion, d.ref.kind).catch(() => undefined);
  if (!info) return undefined;
  const ref = info.namespaced ? d.ref : { ...d.ref, namespace: undefined };
  const current = await client.get(info, ref.name, info.namespaced ? ref.namespace : undefined);
  if (!current) return undefined;
  return decideRemoval({ ref: refOf(current), object: current, helmRelease: d.helmRelease }, 'helm');
}

async function pruneOne(client: ClusterClient, c: PruneCandidate): Promise<Verdict | undefined> {
  const apiVersion = c.group ? `${c.group}/${c.version}` : c.version;
  const info = await client.resolve(apiVersion, c.ref.kind);
  if (!info) return undefined;
  const current = await client.get(info, c.ref.name, info.namespaced ? c.ref.namespace : undefined);
  if (!current) return undefined;
  return decideRemoval({ ref: c.ref, object: current }, 'prune');
}
