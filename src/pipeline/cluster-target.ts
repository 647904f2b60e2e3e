// The cluster target: asks the API server what it would make of each object. One Kustomization is one
// round: the facts are read (the live Kustomization, each object's kind and live state: cluster/live.ts),
// the rule book decides (flux/apply-rules.ts: skip, stage, fail, or merge first), the objects it asks for
// are dry-run (server-side apply, dryRun=All: cluster/dryrun.ts mergeAll), the rule book decides again;
// then what prune and helm would delete is read and decided. Objects that depend on ones created by the
// same build, or by a Kustomization this one depends on, are staged (reported created with their local
// content) instead of failing as flux diff does. This file only orders the round; cluster/ carries the
// requests and flux/ makes every decision.
import type { ClusterClient, ResourceInfo } from '../cluster/client.js';
import { mapConcurrent } from '../cluster/pool.js';
import { LiveIndex, readExisting, readObjects } from '../cluster/live.js';
import { DeadlineError, mergeAll, TimeoutError } from '../cluster/dryrun.js';
import { loadFromCluster } from '../sources/cluster.js';
import { decideApply, decideRemoval, mayPrune, pruneWithheld, type ApplyInput, type ApplySettings } from '../flux/apply-rules.js';
import { applyScope, type PruneCandidate } from '../flux/apply-scope.js';
import { applyOrder } from '../flux/order.js';
import { FLUX_KUSTOMIZATION_GROUP } from '../flux/spec.js';
import { normalizeDesired } from '../diff/normalize.js';
import type { FluxKustomization } from '../model/kustomization.js';
import { subjectOf, type ObjectRef, type RenderedObject } from '../model/object.js';
import type { Verdict } from '../model/verdict.js';
import { toResourceChange } from '../diff/changes.js';
import { crdKinds } from './scope.js';
import { helmRemovals, sameSpec } from './helm.js';
import type { CreatedByDependencies, Evaluation, Target, TargetAnswer } from './target.js';

export class ClusterTarget implements Target {
  readonly kind = 'cluster' as const;
  readonly allOrNothing = false;
  readonly needsRemoteCluster = true;
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
    // The live Kustomization is the former state: its inventory is what would be pruned.
    const live = e.former ?? (e.head ? await loadFromCluster(this.client, e.head.spec.name, e.head.spec.namespace, e.deadline) : undefined);
    const scope = applyScope(e.head, live, (e.rendered ?? []).map((o) => o.object));
    if (!scope.evaluated) return { verdicts: [], notes: scope.notes, formerChildren: [] };
    const { client, notes: identityNotes } = await this.clientFor(scope.spec);
    // Every request of this Kustomization shares the client's pool but gives up at its own deadline.
    const dryRunClient = e.deadline ? client.withDeadline(e.deadline) : client;
    // The index is read with podo's own identity: a Kustomization impersonating its service account
    // reads what that account may read, so it does not use it.
    const shared = this.liveIndex && client === this.client ? { index: this.liveIndex, deadline: e.deadline } : undefined;
    const round = await dryRun(dryRunClient, e.rendered ?? [], {
      concurrency: this.concurrency,
      shared,
      force: scope.spec.force === true,
      pruneCandidates: scope.pruneCandidates,
      prior: e.prior,
      budget: e.budget,
      onProgress: e.onProgress ? (d, t) => e.onProgress!('dry-run', d, t) : undefined,
    });
    const withheld = pruneWithheld(round, scope.pruneCandidates.length, `${scope.spec.namespace}/${scope.spec.name}`);
    // helm-controller's deletions: what each HelmRelease's upgrade drops, and the releases uninstalled with their pruned HelmRelease.
    const helm = await helmRemovals(this.client, dryRunClient, e.helm?.rendered ?? [], scope.removedReleases, round, this.concurrency);
    return {
      verdicts: [...round, ...helm.verdicts],
      notes: [...(e.head && !live ? ['new Kustomization: not in the cluster yet'] : []), ...scope.notes, ...identityNotes, ...(withheld ? [withheld] : []), ...helm.notes],
      formerChildren: e.head && scope.prune ? await this.inventoryChildren(live) : [],
      ...(helm.removedReleases.length > 0 ? { removedHelmReleases: helm.removedReleases } : {}),
    };
  }

  /** Child Kustomizations in the live inventory, loaded: a child the build no longer produces is pruned. */
  private async inventoryChildren(live: FluxKustomization | undefined): Promise<FluxKustomization[]> {
    const entries = (live?.inventory ?? []).filter((e) => e.group === FLUX_KUSTOMIZATION_GROUP && e.kind === 'Kustomization');
    const loaded = await mapConcurrent(entries, this.concurrency, (e) => loadFromCluster(this.client, e.name, e.namespace));
    return loaded.filter((k): k is FluxKustomization => k !== undefined);
  }
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

/**
 * One round of a Kustomization's objects against the cluster: the facts are read (kinds, live objects),
 * the rule book decides, the objects it asks for are dry-run, the rule book decides again; with prune,
 * the objects the build no longer produces are read and decided last. Verdicts in apply order.
 */
export async function dryRun(client: ClusterClient, objects: RenderedObject[], opts: DryRunOptions): Promise<Verdict[]> {
  const total = objects.length + opts.pruneCandidates.length;
  let done = 0;
  const tick = () => opts.onProgress?.(++done, total);
  const desired = objects.map((o) => ({ ...o, object: normalizeDesired(o.object) }));
  const read = await readObjects(
    client,
    desired.map((d) => d.object),
    opts.concurrency,
    opts.shared,
  );
  const rules: ApplySettings = {
    force: opts.force,
    existingFrom: 'cluster',
    inBuild: { namespaces: namespacesOf(desired), crdKinds: crdKinds(desired.map((d) => d.object)) },
    prior: opts.prior,
    same: { unchanged: (v) => toResourceChange(v).action === 'unchanged', sameSpec },
  };
  const inputs: Fact[] = read
    .map((r, i) => ({ desired: desired[i], existing: r.live ? { object: r.live } : undefined, kindKnown: r.info !== undefined, mergeable: !desired[i].valuesUnknown, info: r.info, ref: r.ref }))
    .sort((a, b) => applyOrder(a.ref, b.ref));
  const decisions = inputs.map((input) => decideApply(input, rules));
  const asks = decisions.flatMap((d, i) => ('merge' in d ? [{ i, compare: d.merge === 'compare' }] : []));
  for (const d of decisions) if ('verdict' in d) tick();
  const answers = await mergeAll(
    client,
    asks.map(({ i, compare }) => ({
      info: inputs[i].info!,
      object: inputs[i].desired.object,
      fieldManager: inputs[i].desired.fieldManager,
      secretDerived: inputs[i].desired.secretPaths !== undefined,
      compare,
    })),
    opts.concurrency,
    tick,
  );
  const timedOut: string[] = [];
  const merged = new Map(asks.map(({ i }, k) => [i, answers[k]]));
  const verdicts = decisions.map((d, i) => {
    if ('verdict' in d) return d.verdict;
    const answer = merged.get(i)!;
    if ('timedOut' in answer) timedOut.push(subjectOf(inputs[i].ref));
    return decideApply({ ...inputs[i], merge: 'timedOut' in answer ? { failure: { kind: 'other', message: 'timed out' } } : answer }, rules).verdict;
  });
  if (mayPrune(verdicts) && opts.pruneCandidates.length > 0) {
    const existing = await readExisting(
      client,
      opts.pruneCandidates.map((c) => ({ ref: c.ref })),
      opts.concurrency,
      tick,
    );
    opts.pruneCandidates.forEach((c, i) => {
      const found = existing[i];
      if ('timedOut' in found) timedOut.push(subjectOf(c.ref));
      else if (found.object) verdicts.push(decideRemoval({ ref: c.ref, object: found.object }, 'prune'));
    });
  }
  if (timedOut.length > 0) {
    throw new TimeoutError(`timed out (${opts.budget ?? '--timeout'}) with ${timedOut.length} object(s) still pending: ${timedOut.slice(0, 10).join(', ')}${timedOut.length > 10 ? ', …' : ''}`);
  }
  return verdicts;
}

/** What the rule book is given about one object, with what the dry run needs to send it. */
type Fact = ApplyInput & { info?: ResourceInfo; ref: ObjectRef };

/** The Namespaces the build creates (applied before the rest: ApplyAllStaged). */
function namespacesOf(objects: RenderedObject[]): Set<string> {
  return new Set(objects.filter((o) => o.object.kind === 'Namespace' && o.object.apiVersion === 'v1').map((o) => o.object.metadata.name));
}
