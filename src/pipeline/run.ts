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
import { repositoryRoot } from '../render/workspace.js';
import { SourceTrees } from '../render/source-tree.js';
import { listGitRepositories } from '../sources/cluster.js';
import { gitToplevel, withWorktree } from '../sources/git.js';
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
import { specPathProblem } from '../render/containment.js';
import { secrets } from '../model/secrets.js';
import { crdKinds } from './scope.js';
import { emptyCreated, type CreatedByDependencies, type Target } from './target.js';

export interface RunHooks {
  /** What is happening, for a progress display. */
  onProgress?: (text: string) => void;
  /** One-time messages for the person running podo (e.g. impersonation refused). */
  onWarning?: (text: string) => void;
}

/** Runs the diff the options describe: against the cluster, or with --base-ref against the same build at a git ref. */
export async function run(options: RunOptions, hooks: RunHooks = {}): Promise<DiffReport> {
  return options.baseRef ? runAgainstRef(options, options.baseRef, hooks) : runAgainstCluster(options, hooks);
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
    const checkoutRoot = selection.mode === 'all' ? options.path : repositoryRoot(realpathSync(options.path), roots[0]?.head?.spec.path);
    const resolve = sourceResolver(checkoutRoot, checkoutSources(checkoutRoot, await listGitRepositories(client)), options.localSources);
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
      const dirs = options.clusterPaths ?? clusterRoots(discover(realish(options.path)));
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
    const checkoutRoot = selection.mode === 'all' ? head : repositoryRoot(head, roots[0]?.head?.spec.path);
    const resolve = sourceResolver(checkoutRoot, checkoutSources(toplevel, trees.discover(toplevel).gitRepositories), options.localSources);
    resolveHead = resolve;
    const helm: HelmRender = { stage: helmStage, sourceDir: chartSources(resolve), concurrency: options.cluster.concurrency };
    return orchestrate(roots, problems, {
      target,
      resolve,
      render: (ks, dir, boundary, deadline) => renderKustomization(undefined, ks, dir, options.build, boundary, helm, { trees: sourceTrees, deadline }),
      budget: (spec) => budgetOf(spec, options.cluster.timeoutMs),
      follow: selection.mode === 'all',
      childrenRequested: false,
      parallel: options.parallel,
      remoteNeedsCluster: false,
      rethrow: selection.mode === 'single',
      hooks,
    });
  }
}

/** The run's helm: looked up on first use, its temporary helm home removed when the run ends. */
function newHelmStage(options: RunOptions): HelmStage {
  // Every value read from a Secret for chart values goes to the run's secret registry.
  return new HelmStage(options.build.helm, options.build.kustomize, (v) => secrets.add(v), options.build.cacheDir, options.buildAll !== true);
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
  let dir = path.resolve(p);
  const rest: string[] = [];
  while (!existsSync(dir) && path.dirname(dir) !== dir) {
    rest.unshift(path.basename(dir));
    dir = path.dirname(dir);
  }
  return path.join(realpathSync(dir), ...rest);
}

export interface Pipeline {
  target: Target;
  resolve: SourceResolver;
  /** `boundary`: the source root the build must stay inside, when known. */
  render: (ks: FluxKustomization, dir: string, boundary?: string, deadline?: number) => Promise<{ objects: RenderedObject[]; notes: string[]; helm?: HelmExpansion }>;
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
}

interface Unit extends Root {
  key: string;
  deps: string[];
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
}

export async function orchestrate(roots: Root[], problems: Array<{ namespace: string; name: string; message: string }>, p: Pipeline): Promise<DiffReport> {
  const out: KustomizationDiff[] = problems.map((x) => ({ ...emptyDiff(x.namespace, x.name), error: x.message }));
  const done = new Map<string, Outcome>();
  const seen = new Set<string>([...out.map((d) => keyOf(d))]);
  let pending: Unit[] = [];
  const add = (r: Root) => {
    const ks = (r.head ?? r.former)!;
    const key = keyOf(ks.spec);
    if (seen.has(key)) return;
    seen.add(key);
    pending.push({ ...r, key, deps: dependenciesOf(r.head ?? r.former) });
  };
  roots.forEach(add);
  let evaluated = 0;
  while (pending.length > 0) {
    const bySpec = (a: Unit, b: Unit) => byNamespaceName((a.head ?? a.former)!.spec, (b.head ?? b.former)!.spec);
    const ready = readyNow(pending, (k) => done.has(k)).sort(bySpec);
    if (ready.length === 0) {
      // Every pending Kustomization waits for another pending one: a dependency cycle (Flux never applies them either).
      for (const u of pending.sort(bySpec)) {
        const cycle = cycleThrough(u, pending) ?? u.deps.join(', ');
        out.push(notEvaluated(u, 'dependency cycle', `dependsOn cycle: ${cycle}`));
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
      out.push(o.diff);
      if (!p.follow) continue;
      for (const c of o.headChildren) {
        if (!('spec' in c)) {
          // A child manifest podo cannot read: its own failure.
          if (!seen.has(keyOf(c))) out.push(c);
          seen.add(keyOf(c));
          continue;
        }
        if (p.followOnly && !p.followOnly(c)) continue;
        const former = o.formerChildren.find((f) => keyOf(f.spec) === keyOf(c.spec));
        add({ head: c, former, notes: [], requested: p.childrenRequested });
      }
      // Children the former side has and the build no longer produces: removed (pruned when the parent prunes).
      if ((u.head ?? u.former)?.spec.prune) {
        for (const f of o.formerChildren) if (!p.followOnly || p.followOnly(f)) add({ former: f, notes: [], requested: p.childrenRequested });
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
            const at = out.findIndex((d) => keyOf(d) === key);
            if (at < 0 || !done.has(key)) continue;
            // Evaluated already, as if it stayed: evaluated again as removed.
            out.splice(at, 1);
            done.delete(key);
            pending.push({ former: f, notes: [], requested: false, key, deps: dependenciesOf(f) });
          }
        }
      }
    }
  }
  return { kustomizations: out };
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
    // A spec.path that climbs out of its source is refused, whether or not it exists (render/containment.ts).
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
  if (p.target.provenUnchanged && u.head && u.former && dir && !headMissing && formerDir) {
    const proof = await p.target.provenUnchanged({ head: u.head, former: u.former, dir, formerDir, boundary, formerRoot }).catch(() => undefined);
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
        const built = await p.render(u.head, dir, boundary, deadline);
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

