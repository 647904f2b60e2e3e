// The orchestrator: every plan (plan.ts) runs here. Single, --all, --recursive, --base-ref and
// `podo build` are the same loop: take the Kustomizations whose dependencies are done, evaluate each
// (evaluate.ts), and where the pass follows them, add the Kustomizations their builds produce.
import { mapConcurrent } from '../cluster/pool.js';
import { applyFilters } from '../diff/filters.js';
import type { DiffReport, KustomizationDiff } from '../model/change.js';
import type { FluxKustomization } from '../model/kustomization.js';
import { byNamespaceName } from '../model/object.js';
import type { Root } from '../sources/spec-source.js';
import { cycleThrough, dependenciesOf, keyOf, readyNow } from './order.js';
import type { DefinedSources } from './defined-sources.js';
import { groupKeys, shardOf } from './shard.js';
import { emptyCreated, type CreatedByDependencies } from './target.js';
import { emptyDiff, evaluateKustomization, notEvaluated, type Outcome, type Unit } from './evaluate.js';
import type { Pass, Plan } from './pass.js';

/** Runs every pass of the plan; several cluster directories report each Kustomization under its own. */
export async function orchestrate(plan: Plan): Promise<DiffReport> {
  const reports: DiffReport[] = [];
  for (const pass of plan.passes) {
    const r = await runPass(pass);
    reports.push(pass.cluster === undefined ? r : { ...r, kustomizations: r.kustomizations.map((k) => ({ ...k, cluster: pass.cluster })) });
  }
  const report: DiffReport = {
    ...reports[0],
    kustomizations: reports.flatMap((r) => r.kustomizations),
    ...(plan.shard ? { shard: { ...plan.shard } } : {}),
    ...(plan.target ? { target: plan.target } : {}),
  };
  return plan.filters ? applyFilters(report, plan.filters) : report;
}

/** A report entry, with its group and whether this shard reports it. */
interface Entry {
  diff: KustomizationDiff;
  group: string;
  report: boolean;
}


/** One pass: its roots, in dependency order, then what their builds produce. */
async function runPass({ roots, problems, pipeline: p }: Pass): Promise<DiffReport> {
  const inShard = (group: string) => !p.shard || shardOf(p.shard.cluster, group, p.shard.total) === p.shard.index;
  const { groups: rootGroups, clusterRoots } = groupRoots(roots, problems, p.following.rootsApplyTheRest === true);
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
      if (!p.following.children) continue;
      const followed: Root[] = [];
      for (const c of o.headChildren) {
        if (!('spec' in c)) {
          // A child manifest podo cannot read: its own failure.
          const group = u.clusterRoot ? keyOf(c) : u.group;
          if (!seen.has(keyOf(c))) out.push({ diff: c, group, report: u.clusterRoot ? inShard(group) : u.report });
          seen.add(keyOf(c));
          continue;
        }
        if (p.following.only && !p.following.only(c)) continue;
        const former = o.formerChildren.find((f) => keyOf(f.spec) === keyOf(c.spec));
        followed.push({ head: c, former, notes: [], requested: p.following.requested });
      }
      // Children the former side has and the build no longer produces: removed (pruned when the parent prunes).
      if ((u.head ?? u.former)?.spec.prune) {
        for (const f of o.formerChildren) if (!p.following.only || p.following.only(f)) followed.push({ former: f, notes: [], requested: p.following.requested });
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
        if (p.following.removedInRun && u.head) {
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
  // A group's Kustomizations together, the cluster root's group first (it applies the others), then the
  // groups by key: the same order whether the run was one job or N shards merged (a shard report carries
  // this order key as `group`, and `podo report merge` sorts by it).
  const rootFirst = new Set([...clusterRoots].map((id) => rootGroups.get(id)));
  const orderKey = (group: string) => (rootFirst.has(group) ? `!${group}` : group);
  const reported = out
    .filter((e) => e.report)
    .map((e) => ({ ...e, order: orderKey(e.group) }))
    .sort((a, b) => (a.order < b.order ? -1 : a.order > b.order ? 1 : 0));
  return { kustomizations: reported.map((e) => (p.shard ? { ...e.diff, group: e.order } : e.diff)) };
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

