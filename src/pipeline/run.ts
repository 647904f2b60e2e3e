// The orchestrator: one run over any spec source and any target. Single, --all and --recursive (and
// --base-ref, which follows the cluster root) are the same loop: take the Kustomizations whose
// dependencies are done, evaluate each (evaluateKustomization), and with `follow` add the
// Kustomizations their builds produce.
import { existsSync, realpathSync } from 'node:fs';
import path from 'node:path';
import { createClusterClient, type ClusterClient } from '../cluster/client.js';
import { mapConcurrent } from '../cluster/pool.js';
import { toResourceChange } from '../diff/changes.js';
import { ignoreMatcher } from '../flux/drift-ignore.js';
import { imageWarnings } from '../diff/images.js';
import { isFluxKustomization, specFromObject } from '../flux/spec.js';
import { durationMs } from '../flux/duration.js';
import type { DiffReport, KustomizationDiff, NotEvaluatedCause } from '../model/change.js';
import { oneLineMessage } from '../model/errors.js';
import type { FluxKustomization } from '../model/kustomization.js';
import { byNamespaceName, type RenderedObject } from '../model/object.js';
import type { RunOptions } from '../model/settings.js';
import { summarize } from '../model/summary.js';
import { checkoutRoot } from './checkout-root.js';
import { SourceTrees } from '../render/tree/source-tree.js';
import { listGitRepositories } from '../sources/cluster.js';
import { gitToplevel, withWorktree } from '../sources/git.js';
import { existingAncestor } from '../process/git-toplevel.js';
import { checkoutSources, sourceResolver, type SourceResolver } from '../sources/local-sources.js';
import { clusterRoots, discoveryOnce } from '../sources/repository.js';
import { clusterAll, clusterNamed, repositoryClusterRoot, repositoryNamed, type Root, type SpecSource, type Trees } from '../sources/spec-source.js';
import { BaseRefTarget } from './base-ref-target.js';
import { ClusterTarget } from './cluster-target.js';
import { impersonation } from './impersonation.js';
import { cycleThrough, dependenciesOf, keyOf, readyNow } from './order.js';
import { chartSources, renderKustomization, type HelmRender } from './render.js';
import { HelmStage, type HelmExpansion } from './helm.js';
import type { SourceDir } from '../render/helm/index.js';
import { specPathProblem } from '../render/tree/containment.js';
import { secrets } from '../model/secrets.js';
import { crdKinds } from './scope.js';
import { DefinedSources, substituteFromNames } from './defined-sources.js';
import type { VariableSource } from '../render/flux/substitute.js';
import { groupKeys, shardOf, type Shard } from './shard.js';
import { emptyCreated, type CreatedByDependencies, type Target } from './target.js';

export interface RunHooks {
  /** What is happening, for a progress display. */
  onProgress?: (text: string) => void;
  /** One-time messages for the person running podo (e.g. impersonation refused). */
  onWarning?: (text: string) => void;
}

/** Runs the diff the options describe: against the cluster, or with --base-ref against the same build at a git ref. */
export async function run(options: RunOptions, hooks: RunHooks = {}): Promise<DiffReport> {
  const report = await (options.baseRef ? runAgainstRef(options, options.baseRef, hooks) : runAgainstCluster(options, hooks));
  return options.shard ? { ...report, shard: { ...options.shard } } : report;
}

/** From this many Kustomizations, --all reads live objects through one list per kind (ClusterTarget.shareLiveReads). */
const SHARED_LIVE_READS_FROM = 4;

async function runAgainstCluster(options: RunOptions, hooks: RunHooks): Promise<DiffReport> {
  const { cluster, selection } = options;
  // --timeout is each Kustomization's budget (below); the run as a whole has a deadline only when the
  // user gave --timeout, as `flux diff --timeout` has one.
  const client: ClusterClient = await createClusterClient({
    ...cluster,
    concurrency: cluster.concurrency,
    deadline: cluster.overallTimeout ? Date.now() + cluster.timeoutMs : Number.MAX_SAFE_INTEGER,
  });
  const helmStage = newHelmStage(options);
  try {
    const target = new ClusterTarget(client, cluster.concurrency, impersonation(client, cluster, hooks.onWarning));
    if (selection.mode === 'all') hooks.onProgress?.('listing kustomizations');
    const specs: SpecSource =
      selection.mode === 'all'
        ? clusterAll(client, selection.namespace)
        : clusterNamed(client, selection.name, selection.namespace, options.path, options.kustomizationFile, options.ignoreNotFound);
    const { roots, problems } = await specs.roots();
    const rootSpecs = roots.map((r) => (r.head ?? r.former)!.spec);
    const inCluster = new Set(rootSpecs.map(keyOf));
    if (selection.mode === 'all' && roots.length >= SHARED_LIVE_READS_FROM) target.shareLiveReads(rootSpecs.map((s) => s.namespace));
    // --all: --path is the repository root; one Kustomization: --path is its directory, the root is above it by spec.path.
    const root = checkoutRoot(options, roots[0]?.head, selection.mode === 'all' ? options.path : undefined);
    const resolve = sourceResolver(root, checkoutSources(root, await listGitRepositories(client)), options.localSources);
    const helm: HelmRender = { stage: helmStage, sourceDir: chartSources(resolve), concurrency: cluster.concurrency };
    const trees = new SourceTrees();
    const renderWith = (ks: FluxKustomization, dir: string, boundary?: string, deadline?: number) =>
      renderKustomization(client, ks, dir, options.build, boundary, helm, { trees, deadline });
    return await orchestrate(roots, problems, {
      target,
      resolve,
      render: renderWith,
      // --all lists what the cluster has; a Kustomization the builds add (a new app in the pull request)
      // is not there yet, so it is followed from its parent's build (in -n's namespace only).
      follow: selection.mode === 'all' || selection.recursive,
      followOnly:
        selection.mode === 'all' ? (ks) => !inCluster.has(keyOf(ks.spec)) && (selection.namespace === undefined || ks.spec.namespace === selection.namespace) : undefined,
      removedChildrenInRun: selection.mode === 'all',
      childrenRequested: selection.mode === 'single',
      parallel: options.parallel,
      remoteNeedsCluster: true,
      rethrow: selection.mode === 'single' && !selection.recursive,
      budget: (spec) => budgetOf(spec, cluster.timeoutMs),
      hooks,
      ...(options.shard ? { shard: { ...options.shard, cluster: '' } } : {}),
    });
  } finally {
    helmStage.cleanup();
    client.close();
  }
}

async function runAgainstRef(options: RunOptions, ref: string, hooks: RunHooks): Promise<DiffReport> {
  const toplevel = await gitToplevel(options.path);
  const helmStage = newHelmStage(options);
  const discover = discoveryOnce();
  try {
    return await withWorktree(toplevel, ref, async (worktree) => {
      if (options.selection.mode !== 'all') return againstRef(options, ref, hooks, toplevel, worktree, helmStage, discover, undefined);
      // --all: every cluster directory of the repository (or those --cluster-path names), one after the
      // other, each Kustomization reported under its cluster. A repository never has one picked silently.
      // Sorted: the report's order does not depend on how --cluster-path was spelled, so that shards merge
      // into the same report as one run (`podo report merge` sorts by cluster too).
      const dirs = [...(options.clusterPaths ?? clusterRoots(discover(realish(options.path))))].sort();
      if (dirs.length <= 1) return againstRef(options, ref, hooks, toplevel, worktree, helmStage, discover, dirs[0]);
      const reports: DiffReport[] = [];
      for (const dir of dirs) {
        const r = await againstRef(options, ref, hooks, toplevel, worktree, helmStage, discover, dir);
        reports.push({ ...r, kustomizations: r.kustomizations.map((k) => ({ ...k, cluster: dir })) });
      }
      return { ...reports[0], kustomizations: reports.flatMap((r) => r.kustomizations) };
    });
  } finally {
    helmStage.cleanup();
  }
}

async function againstRef(
  options: RunOptions,
  ref: string,
  hooks: RunHooks,
  toplevel: string,
  worktree: string,
  helmStage: HelmStage,
  discover: Trees['discover'],
  clusterPath: string | undefined,
): Promise<DiffReport> {
  const { selection } = options;
  {
    // Chart sources at the ref: the same mapping, with paths inside the repository taken from the ref's checkout.
    let resolveHead: SourceResolver | undefined;
    const baseSources: SourceDir = (kind, namespace, name) =>
      resolveHead ? chartSources(resolveHead, (root) => target.atRef(root) ?? root)(kind, namespace, name) : { reason: 'sources are not resolved yet' };
    const sourceTrees = new SourceTrees();
    const target = new BaseRefTarget(
      { ref, toplevel, worktree },
      options.build,
      { stage: helmStage, sourceDir: baseSources, concurrency: options.cluster.concurrency },
      sourceTrees,
      options.buildAll === true,
    );
    const trees: Trees = { ref, toplevel, worktree, atRef: (p) => target.atRef(realish(p)), discover };
    const head = realish(options.path);
    const specs: SpecSource =
      selection.mode === 'all'
        ? repositoryClusterRoot(trees, head, clusterPath)
        : repositoryNamed(trees, selection.name, selection.namespace, head, options.kustomizationFile);
    const { roots, problems } = await specs.roots();
    // --all: --path is the repository root; one Kustomization: --path is its directory, the root is above it by spec.path.
    const root = checkoutRoot(options, roots[0]?.head, head);
    const resolve = sourceResolver(root, checkoutSources(toplevel, trees.discover(toplevel).gitRepositories), options.localSources);
    resolveHead = resolve;
    const helm: HelmRender = { stage: helmStage, sourceDir: chartSources(resolve), concurrency: options.cluster.concurrency };
    return orchestrate(roots, problems, {
      target,
      resolve,
      render: (ks, dir, boundary, deadline, variables) => renderKustomization(undefined, ks, dir, options.build, boundary, helm, { trees: sourceTrees, deadline, variables }),
      // --all: a substituteFrom ConfigMap or Secret the run's own builds define is read from them, per side.
      sources: selection.mode === 'all' ? new DefinedSources(substituteFromNames([...trees.discover(toplevel).definitions, ...trees.discover(worktree).definitions])) : undefined,
      budget: (spec) => budgetOf(spec, options.cluster.timeoutMs),
      follow: selection.mode === 'all',
      childrenRequested: false,
      parallel: options.parallel,
      remoteNeedsCluster: false,
      rethrow: selection.mode === 'single',
      hooks,
      rootsApplyTheRest: selection.mode === 'all',
      ...(options.shard ? { shard: { ...options.shard, cluster: clusterPath ?? '' } } : {}),
    });
  }
}

/** The run's helm: looked up on first use, its temporary helm home removed when the run ends. */
function newHelmStage(options: RunOptions): HelmStage {
  // Every value read from a Secret for chart values goes to the run's secret registry.
  return new HelmStage(options.build.helm, options.build.kustomize, (v) => secrets.add(v), options.build.cacheDir);
}

/**
 * A Kustomization's time budget: its spec.timeout when set (kustomize-controller bounds each
 * reconciliation by it), else --timeout.
 */
export function budgetOf(spec: FluxKustomization['spec'], timeoutMs: number): { ms: number; label: string } {
  const own = spec.timeout ? durationMs(spec.timeout) : undefined;
  if (own) return { ms: own, label: `spec.timeout ${spec.timeout}` };
  return { ms: timeoutMs, label: '--timeout' };
}

/** The path with symlinks resolved as far as it exists (a path deleted in the working tree still maps to the ref). */
function realish(p: string): string {
  const dir = existingAncestor(p);
  return path.join(realpathSync(dir), path.relative(dir, path.resolve(p)));
}

export interface Pipeline {
  target: Target;
  resolve: SourceResolver;
  /** `boundary`: the source root the build must stay inside, when known. */
  render: (ks: FluxKustomization, dir: string, boundary?: string, deadline?: number, variables?: VariableSource) => Promise<{ objects: RenderedObject[]; notes: string[]; helm?: HelmExpansion }>;
  /** Without a cluster: the substituteFrom sources the run's own builds define, per side (--base-ref --all). */
  sources?: DefinedSources;
  /** Also evaluate the Kustomizations the builds produce (--recursive; --base-ref --all from the cluster root; --all: new ones). */
  follow: boolean;
  /** With `follow`: only the children this accepts (--all against the cluster: those it does not have). */
  followOnly?: (ks: FluxKustomization) => boolean;
  /**
   * A child in the run (--all against the cluster: every Kustomization is a root) that its pruning
   * parent's build no longer produces is removed by Flux with its parent's next apply: it is evaluated
   * as removed (its deletionPolicy applied to its inventory), replacing its own diff.
   */
  removedChildrenInRun?: boolean;
  /** Followed children were asked for (--recursive): not evaluating one fails the run. */
  childrenRequested: boolean;
  /** Kustomizations evaluated at once. */
  parallel: number;
  /** Evaluating a Kustomization that deploys to another cluster (spec.kubeConfig) needs that cluster (against a cluster, not between refs). */
  remoteNeedsCluster: boolean;
  /** One named Kustomization: its failure is the run's failure (printed as an error), not a report entry. */
  rethrow: boolean;
  /** A Kustomization's time budget, from when its evaluation starts. */
  budget?: (spec: FluxKustomization['spec']) => { ms: number; label: string };
  hooks: RunHooks;
  /** --shard: only this part's groups are evaluated and reported (shard.ts); `cluster` goes into the hash. */
  shard?: Shard & { cluster: string };
  /** The roots apply the rest (--base-ref --all: the cluster root): each is a cluster root for --shard. */
  rootsApplyTheRest?: boolean;
}

interface Unit extends Root {
  key: string;
  deps: string[];
  /** Evaluated even though a substituteFrom source it reads is not defined yet: nothing left in the run can define it. */
  final?: boolean;
  /** Its group's key (shard.ts): the report lists a group's Kustomizations together, in evaluation order. */
  group: string;
  /** In this shard (always, without --shard); a cluster root outside it is evaluated for its children only. */
  report: boolean;
  /** A cluster root: applies Kustomizations of the run and is applied by none; its children form their own groups. */
  clusterRoot: boolean;
}

/** A report entry, with its group and whether this shard reports it. */
interface Entry {
  diff: KustomizationDiff;
  group: string;
  report: boolean;
}

/** What one evaluated Kustomization hands on: its report entry, what it creates, and its children. */
export interface Outcome {
  diff: KustomizationDiff;
  /** Evaluated without failure: its dependents may go on. */
  ok: boolean;
  /** The Namespaces and CRDs its build creates, for its dependents. */
  creates: CreatedByDependencies;
  headChildren: Array<FluxKustomization | KustomizationDiff>;
  formerChildren: FluxKustomization[];
  /** `namespace/name` of the Kustomizations it depends on. */
  deps: string[];
  /** What each side built, for the substituteFrom sources it defines (Pipeline.sources). */
  built?: { head: RenderedObject[]; former: RenderedObject[] };
}

export async function orchestrate(roots: Root[], problems: Array<{ namespace: string; name: string; message: string }>, p: Pipeline): Promise<DiffReport> {
  const inShard = (group: string) => !p.shard || shardOf(p.shard.cluster, group, p.shard.total) === p.shard.index;
  const { groups: rootGroups, clusterRoots } = groupRoots(roots, problems, p.rootsApplyTheRest === true);
  const out: Entry[] = problems.map((x) => {
    const group = rootGroups.get(keyOf(x))!;
    return { diff: { ...emptyDiff(x.namespace, x.name), error: x.message }, group, report: inShard(group) };
  });
  const done = new Map<string, Outcome>();
  const seen = new Set<string>([...out.map((d) => keyOf(d.diff))]);
  let pending: Unit[] = [];
  const add = (r: Root, group: string, report: boolean, clusterRoot = false) => {
    const ks = (r.head ?? r.former)!;
    const key = keyOf(ks.spec);
    if (seen.has(key)) return;
    seen.add(key);
    // Another shard's group: not evaluated here (a cluster root still is, for its children). Where the
    // run reads substituteFrom sources its builds define, it is evaluated and not reported: it may
    // define one that this shard's Kustomizations read (unchanged ones are proven without building).
    if (!report && !clusterRoot && !p.sources?.names.size) return;
    pending.push({ ...r, key, deps: dependenciesOf(r.head ?? r.former), group, report, clusterRoot });
  };
  for (const r of roots) {
    const key = keyOf((r.head ?? r.former)!.spec);
    const group = rootGroups.get(key)!;
    add(r, group, inShard(group), clusterRoots.has(key));
  }
  let evaluated = 0;
  while (pending.length > 0) {
    const bySpec = (a: Unit, b: Unit) => byNamespaceName((a.head ?? a.former)!.spec, (b.head ?? b.former)!.spec);
    let ready = readyNow(pending, (k) => done.has(k)).sort(bySpec);
    // A Kustomization reading a substituteFrom source that no build of the run has defined yet waits
    // until nothing else can run: a Kustomization still to be evaluated may define it.
    const waiting = p.sources ? ready.filter((u) => !u.final && !definesAll(p.sources!, u)) : [];
    if (waiting.length > 0 && waiting.length === ready.length) {
      for (const u of waiting) u.final = true;
      continue;
    }
    ready = ready.filter((u) => !waiting.includes(u));
    if (ready.length === 0) {
      // Every pending Kustomization waits for another pending one: a dependency cycle (Flux never applies them either).
      for (const u of pending.sort(bySpec)) {
        const cycle = cycleThrough(u, pending) ?? u.deps.join(', ');
        out.push({ diff: notEvaluated(u, 'dependency cycle', `dependsOn cycle: ${cycle}`), group: u.group, report: u.report });
      }
      break;
    }
    pending = pending.filter((u) => !ready.includes(u));
    const outcomes = await mapConcurrent(ready, p.parallel, async (u) => {
      const o = await evaluateKustomization(u, priorOf(u, done), done, p);
      p.hooks.onProgress?.(`evaluated ${++evaluated}/${evaluated + pending.length} kustomizations`);
      return o;
    });
    for (const [i, o] of outcomes.entries()) {
      const u = ready[i];
      done.set(u.key, o);
      out.push({ diff: o.diff, group: u.group, report: u.report });
      // Recorded when the wave ends, in order: what a Kustomization reads never depends on timing.
      if (p.sources && o.built) {
        p.sources.record('head', o.built.head);
        p.sources.record('former', o.built.former);
      }
      if (!p.follow) continue;
      const followed: Root[] = [];
      for (const c of o.headChildren) {
        if (!('spec' in c)) {
          // A child manifest podo cannot read: its own failure.
          const group = u.clusterRoot ? keyOf(c) : u.group;
          if (!seen.has(keyOf(c))) out.push({ diff: c, group, report: u.clusterRoot ? inShard(group) : u.report });
          seen.add(keyOf(c));
          continue;
        }
        if (p.followOnly && !p.followOnly(c)) continue;
        const former = o.formerChildren.find((f) => keyOf(f.spec) === keyOf(c.spec));
        followed.push({ head: c, former, notes: [], requested: p.childrenRequested });
      }
      // Children the former side has and the build no longer produces: removed (pruned when the parent prunes).
      if ((u.head ?? u.former)?.spec.prune) {
        for (const f of o.formerChildren) if (!p.followOnly || p.followOnly(f)) followed.push({ former: f, notes: [], requested: p.childrenRequested });
      }
      // A child goes with its parent; a cluster root's children are grouped among themselves (dependsOn),
      // joined to the group of a root they depend on.
      const childGroups = u.clusterRoot ? groupKeys(followed.map((r) => ({ id: keyOf((r.head ?? r.former)!.spec), ties: dependenciesOf(r.head ?? r.former) }))) : undefined;
      for (const r of followed) {
        if (!childGroups) {
          add(r, u.group, u.report);
          continue;
        }
        let group = childGroups.get(keyOf((r.head ?? r.former)!.spec))!;
        for (const d of dependenciesOf(r.head ?? r.former)) {
          const g = rootGroups.get(d);
          if (g !== undefined && g < group) group = g;
        }
        add(r, group, inShard(group));
      }
      if ((u.head ?? u.former)?.spec.prune) {
        if (p.removedChildrenInRun && u.head) {
          const produced = new Set(o.headChildren.map((c) => keyOf('spec' in c ? c.spec : c)));
          for (const f of o.formerChildren) {
            const key = keyOf(f.spec);
            if (produced.has(key)) continue;
            const waiting = pending.find((x) => x.key === key);
            if (waiting) {
              waiting.head = undefined;
              waiting.former = f;
              continue;
            }
            const at = out.findIndex((d) => keyOf(d.diff) === key);
            if (at < 0 || !done.has(key)) continue;
            // Evaluated already, as if it stayed: evaluated again as removed.
            const [was] = out.splice(at, 1);
            done.delete(key);
            pending.push({ former: f, notes: [], requested: false, key, deps: dependenciesOf(f), group: was.group, report: was.report, clusterRoot: false });
          }
        }
      }
    }
  }
  // A group's Kustomizations together, groups by key: the same order whether the run was one job or
  // N shards merged (`podo report merge` sorts by the same key).
  const reported = out.filter((e) => e.report).sort((a, b) => (a.group < b.group ? -1 : a.group > b.group ? 1 : 0));
  return { kustomizations: reported.map((e) => (p.shard ? { ...e.diff, group: e.group } : e.diff)) };
}

/**
 * The groups of a run's starting Kustomizations (shard.ts): tied by dependsOn and by the Kustomization
 * that applied them, except a cluster root (one that applies others of the run and none of them applies
 * it; every root with `rootsApplyTheRest`), which would otherwise tie everything into one group.
 */
function groupRoots(roots: Root[], problems: Array<{ namespace: string; name: string }>, rootsApplyTheRest: boolean): { groups: Map<string, string>; clusterRoots: Set<string> } {
  const specOf = (r: Root) => (r.head ?? r.former)!;
  const ids = new Set(roots.map((r) => keyOf(specOf(r).spec)));
  // Bootstrap's flux-system applies itself: that is no parent.
  const parentOf = (r: Root) => {
    const by = specOf(r).appliedBy;
    return by !== undefined && by !== keyOf(specOf(r).spec) && ids.has(by) ? by : undefined;
  };
  const parents = new Set(roots.map(parentOf).filter((x): x is string => x !== undefined));
  const clusterRoots = new Set(roots.filter((r) => rootsApplyTheRest || (parents.has(keyOf(specOf(r).spec)) && parentOf(r) === undefined)).map((r) => keyOf(specOf(r).spec)));
  const members = [
    ...roots.map((r) => {
      const parent = parentOf(r);
      return { id: keyOf(specOf(r).spec), ties: [...dependenciesOf(specOf(r)), ...(parent !== undefined && !clusterRoots.has(parent) ? [parent] : [])] };
    }),
    ...problems.map((x) => ({ id: keyOf(x), ties: [] })),
  ];
  return { groups: groupKeys(members), clusterRoots };
}

/** Whether every substituteFrom source of `u` (each side's spec) is defined on that side. */
function definesAll(sources: DefinedSources, u: Unit): boolean {
  const ok = (side: 'head' | 'former', ks: FluxKustomization | undefined) => !ks || sources.allDefined(side, ks.spec.namespace, ks.spec.postBuild?.substituteFrom ?? []);
  return ok('head', u.head) && ok('former', u.former);
}

/** Both sides read the same substituteFrom values (or none is known): a proof of unchanged inputs may stand. */
function sameSources(sources: DefinedSources | undefined, head: FluxKustomization, former: FluxKustomization): boolean {
  if (!sources) return true;
  const refs = (ks: FluxKustomization) => ks.spec.postBuild?.substituteFrom ?? [];
  return sources.resolved('head', head.spec.namespace, refs(head)) === sources.resolved('former', former.spec.namespace, refs(former));
}

function emptyDiff(namespace: string, name: string): KustomizationDiff {
  return { name, namespace, resources: [], warnings: [], notes: [] };
}

function notEvaluated(u: Unit, cause: NotEvaluatedCause, reason: string): KustomizationDiff {
  const ks = (u.head ?? u.former)!.spec;
  return { ...emptyDiff(ks.namespace, ks.name), skipped: reason, skipCause: cause, ...(u.requested ? { requested: true } : {}), notes: [...u.notes] };
}

/** What the Kustomizations `u` depends on (transitively) create. */
function priorOf(u: Unit, done: Map<string, Outcome>): CreatedByDependencies {
  const prior = emptyCreated();
  const visited = new Set<string>();
  const visit = (key: string) => {
    if (visited.has(key)) return;
    visited.add(key);
    const o = done.get(key);
    if (!o) return;
    for (const [k, v] of o.creates.namespaces) if (!prior.namespaces.has(k)) prior.namespaces.set(k, v);
    for (const [k, v] of o.creates.crds) if (!prior.crds.has(k)) prior.crds.set(k, v);
    for (const d of o.deps) visit(d);
  };
  for (const d of u.deps) visit(d);
  return prior;
}

const failedOutcome = (diff: KustomizationDiff): Outcome => ({ diff, ok: false, creates: emptyCreated(), headChildren: [], formerChildren: [], deps: [] });

/**
 * One Kustomization, end to end: Flux's skip rules, its source, the working tree's build, the target's
 * verdicts, and the one conversion to ResourceChange. The per-Kustomization step of every mode.
 */
export async function evaluateKustomization(u: Unit, prior: CreatedByDependencies, done: Map<string, Outcome>, p: Pipeline): Promise<Outcome> {
  const ks = (u.head ?? u.former)!;
  const { spec } = ks;
  const budget = p.budget?.(spec);
  const deadline = budget ? Date.now() + budget.ms : undefined;
  const skip = (cause: NotEvaluatedCause, reason: string): Outcome => ({ ...failedOutcome(notEvaluated(u, cause, reason)), ok: true });

  const notes = [...u.notes];
  // Flux would wait for a dependency that failed; podo still evaluates what this one would do once it is
  // ready, so a real change behind a broken dependency is not hidden, and says so. Objects it needs from
  // that dependency (a CRD, a Namespace) are unknown: such objects fail here, naming what is missing.
  const broken = u.deps.filter((d) => done.get(d)?.ok === false);
  if (broken.length > 0) {
    notes.push(`dependency ${broken.map((d) => `${d} ${done.get(d)!.diff.skipped ? 'was not evaluated' : 'failed'}`).join(', ')}: evaluated without its objects; Flux applies this one only once ${broken.length === 1 ? 'it is' : 'they are'} ready`);
  }
  // A remote cluster is not read; building and comparing between two refs needs none.
  if (spec.kubeConfig && p.remoteNeedsCluster) return skip('remote cluster', 'targets a remote cluster (spec.kubeConfig)');
  if (spec.kubeConfig) notes.push('targets a remote cluster (spec.kubeConfig): compared between the two refs');
  if (spec.suspend) {
    if (!u.requested) return skip('suspended', 'suspended (spec.suspend: true)');
    notes.push('suspended (spec.suspend: true): Flux applies this once it is resumed');
  }

  let dir = u.dir;
  let boundary: string | undefined;
  let headMissing: string | undefined;
  if (u.head && !dir) {
    const src = p.resolve(u.head.spec);
    if ('reason' in src) return skip('source not mapped', src.reason);
    // A listed manifest podo refuses (an invalid field): that Kustomization fails alone.
    if (u.head.problem) return failedOutcome({ ...emptyDiff(spec.namespace, spec.name), ...(u.requested ? { requested: true } : {}), error: u.head.problem, notes });
    // A spec.path that climbs out of its source is refused, whether or not it exists (render/tree/containment.ts).
    const escape = specPathProblem(u.head.spec.path);
    if (escape) return failedOutcome({ ...emptyDiff(spec.namespace, spec.name), ...(u.requested ? { requested: true } : {}), error: escape, notes });
    boundary = src.root;
    dir = path.join(src.root, u.head.spec.path ?? '.');
    if (!existsSync(dir)) {
      if (p.target.kind === 'cluster') return skip('path not found', `path ${u.head.spec.path ?? '.'} does not exist in ${src.root}`);
      headMissing = path.relative(process.cwd(), dir) || '.';
    }
  }
  let formerDir = u.formerDir;
  let formerRoot: string | undefined;
  if (u.former && !formerDir) {
    const src = p.resolve(u.former.spec);
    if ('root' in src) {
      formerRoot = src.root;
      formerDir = path.join(src.root, u.former.spec.path ?? '.');
    }
  }

  const ignored = ignoreMatcher(spec.ignore);
  // A target comparing two builds may prove, before anything is built, that both sides build the same.
  let formerBuildsSame = false;
  if (p.target.provenUnchanged && u.head && u.former && dir && !headMissing && formerDir && sameSources(p.sources, u.head, u.former)) {
    const proof = await p.target
      .provenUnchanged({ head: u.head, former: u.former, dir, formerDir, boundary, formerRoot, watched: p.sources?.names, variables: p.sources?.reader('head') })
      .catch(() => undefined);
    if (proof && !proof.buildOnce) {
      const diff: KustomizationDiff = { ...emptyDiff(spec.namespace, spec.name), ...(u.requested ? { requested: true } : {}), notes: [...new Set([...notes, ...proof.notes])] };
      return { diff, ok: true, creates: emptyCreated(), headChildren: [], formerChildren: [], deps: u.deps };
    }
    if (proof) {
      formerBuildsSame = true;
      notes.push(...proof.notes);
    }
  }

  try {
    let rendered: RenderedObject[] | undefined;
    let helm: HelmExpansion | undefined;
    const renderNotes: string[] = [];
    if (u.head && dir && !headMissing) {
      p.hooks.onProgress?.(`building ${keyOf(spec)}`);
      try {
        const built = await p.render(u.head, dir, boundary, deadline, p.sources?.reader('head'));
        rendered = built.objects;
        helm = built.helm;
        renderNotes.push(...built.notes);
      } catch (err) {
        if (p.target.headLabel && err instanceof Error) err.message = `${p.target.headLabel}: ${err.message}`;
        throw err;
      }
    }
    const answer = await p.target.evaluate({
      head: u.head,
      former: u.former,
      rendered,
      helm,
      renderNotes,
      headMissing,
      formerDir,
      formerRoot,
      prior,
      formerBuildsSame,
      deadline,
      budget: budget?.label,
      formerVariables: p.sources?.reader('former'),
      onProgress: (stage, d, t) => p.hooks.onProgress?.(`${stage} ${d}/${t} (${keyOf(spec)})`),
    });
    if (answer.skipped) return skip(answer.skipped.cause, answer.skipped.reason);
    const resources = answer.verdicts.map((v) => toResourceChange(v, ignored));
    const diff: KustomizationDiff = {
      ...emptyDiff(spec.namespace, spec.name),
      ...(u.requested ? { requested: true } : {}),
      resources,
      warnings: imageWarnings(resources),
      notes: [...new Set([...notes, ...renderNotes, ...answer.notes])],
    };
    const helmReleases = [...(helm?.releases ?? []), ...(answer.removedHelmReleases ?? [])];
    if (helmReleases.length > 0) diff.helmReleases = helmReleases;
    return {
      diff,
      ok: summarize(resources).failed === 0,
      creates: createdBy(rendered ?? [], keyOf(spec)),
      headChildren: (rendered ?? []).filter((o) => isFluxKustomization(o.object)).map((o) => childSpec(o, spec)),
      formerChildren: answer.formerChildren,
      deps: u.deps,
      built: { head: rendered ?? [], former: answer.formerObjects ?? [] },
    };
  } catch (err) {
    // A child stopped at this Kustomization's own deadline says so (it only knows --timeout).
    if (budget && deadline !== undefined && Date.now() >= deadline && err instanceof Error && budget.label !== '--timeout') {
      err.message = err.message.replace(/^timed out \(--timeout[^)]*\)/, `timed out (${budget.label})`);
    }
    if (p.rethrow) throw err;
    // One Kustomization's failure is reported under its own header; the others go on.
    return failedOutcome({ ...emptyDiff(spec.namespace, spec.name), ...(u.requested ? { requested: true } : {}), error: oneLineMessage(err), notes });
  }
}

function childSpec(o: RenderedObject, parent: FluxKustomization['spec']): FluxKustomization | KustomizationDiff {
  try {
    return specFromObject(o.object, `built from ${parent.namespace}/${parent.name}`);
  } catch (err) {
    const ns = typeof o.object.metadata.namespace === 'string' ? o.object.metadata.namespace : parent.namespace;
    return { ...emptyDiff(ns, o.object.metadata.name), error: oneLineMessage(err) };
  }
}

/** The Namespaces and CRDs a build creates (or keeps): for its dependents they exist. */
function createdBy(objects: RenderedObject[], by: string): CreatedByDependencies {
  const out = emptyCreated();
  const who = `Kustomization ${by}`;
  for (const o of objects) if (o.object.kind === 'Namespace' && o.object.apiVersion === 'v1') out.namespaces.set(o.object.metadata.name, who);
  for (const [kind, namespaced] of crdKinds(objects.map((o) => o.object))) out.crds.set(kind, { by: who, namespaced });
  return out;
}

