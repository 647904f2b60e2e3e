// The planner: RunOptions → one Plan, made once, for every mode. It decides the three things a run
// is made of, and nothing else does:
//   where specs come from   the cluster, the repository at both refs, or --kustomization-file;
//   the checkout root       flux/source-root.ts, once, from --path and the first spec;
//   the target              the cluster's dry-run, the build at a git ref, or nothing (`podo build`).
// The orchestrator (orchestrate.ts) then runs the plan without asking which mode it is in.
import { realpathSync } from 'node:fs';
import { createClusterClient, type ClusterClient } from '../cluster/client.js';
import { checkoutRoot } from '../flux/source-root.js';
import { UsageError } from '../model/errors.js';
import type { ReportTarget } from '../model/change.js';
import { contextNameOf } from '../cluster/kubeconfig-fast.js';
import type { FluxKustomization } from '../model/kustomization.js';
import type { RunOptions } from '../model/settings.js';
import { secrets } from '../model/secrets.js';
import { realish } from '../process/git.js';
import { SourceTrees } from '../render/tree/source-tree.js';
import { listGitRepositories } from '../sources/cluster.js';
import { openRefCheckout } from '../sources/git.js';
import { checkoutSources, sourceResolver } from '../sources/local-sources.js';
import { clusterRoots, discover as discoverOnce, discoveryOnce } from '../sources/repository.js';
import { clusterAll, clusterNamed, fileNamed, type Following, repositoryClusterRoot, repositoryNamed, type Root, type SpecProblem, type SpecSource, type Trees } from '../sources/spec-source.js';
import { BaseRefTarget, pathAtRef, type GitRefTree } from './base-ref-target.js';
import { BuildTarget } from './build-target.js';
import { ClusterTarget } from './cluster-target.js';
import { DefinedSources, substituteFromNames } from './defined-sources.js';
import { budgetOf } from './evaluate.js';
import { HelmStage } from './helm.js';
import { impersonation } from './impersonation.js';
import type { Pass, Plan, RunHooks } from './pass.js';
import { chartSources, renderKustomization, type HelmRender } from './render.js';

/** From this many Kustomizations, --all reads live objects through one list per kind (ClusterTarget.shareLiveReads). */
const SHARED_LIVE_READS_FROM = 4;

/** The plan the options describe. What it opens (a connection, a checkout, a helm home) is released by `close`, also when planning fails. */
export async function plan(options: RunOptions, hooks: RunHooks = {}): Promise<Plan> {
  const held = new Held();
  try {
    const planned = await PLANNERS[options.buildOnly ? 'build' : options.baseRef ? 'ref' : 'cluster'](options, hooks, held);
    return {
      ...planned,
      ...(options.filters ? { filters: options.filters } : {}),
      ...(options.shard ? { shard: options.shard } : {}),
      close: () => held.close(),
    };
  } catch (err) {
    held.close();
    throw err;
  }
}

/** What a report compares against, for its heading: the git ref, or the kubeconfig context (else the server). */
export function reportTarget(options: RunOptions): ReportTarget {
  if (options.baseRef) return { baseRef: options.baseRef };
  const c = options.cluster;
  return { context: contextNameOf(c.kubeconfig, c.context, c.env) ?? c.server ?? 'in-cluster' };
}

/** A mode's plan: its passes, what its report says it compared against, and (podo build) where the builds are kept. */
type Planner = (options: RunOptions, hooks: RunHooks, held: Held) => Promise<Pick<Plan, 'passes' | 'target' | 'build'>>;

/** What is compared with what: the cluster's dry-run, the build at a git ref, or nothing (`podo build`). */
const PLANNERS: Record<'cluster' | 'ref' | 'build', Planner> = {
  cluster: async (options, hooks, held) => ({ passes: await clusterPasses(options, hooks, held), target: reportTarget(options) }),
  ref: async (options, hooks, held) => ({ passes: await refPasses(options, options.baseRef!, hooks, held), target: { baseRef: options.baseRef! } }),
  build: async (options, hooks, held) => {
    const build = new BuildTarget();
    return { passes: await buildPasses(options, options.buildOnly!.specFromCluster, build, hooks, held), build };
  },
};

/** Against the cluster: its Kustomizations (one, or --all), dry-run applied. */
async function clusterPasses(options: RunOptions, hooks: RunHooks, held: Held): Promise<Pass[]> {
  const { cluster, selection } = options;
  // --timeout is each Kustomization's budget (below); the run as a whole has a deadline only when the
  // user gave --timeout, as `flux diff --timeout` has one.
  const client = held.add(await createClusterClient({ ...cluster, deadline: cluster.overallTimeout ? Date.now() + cluster.timeoutMs : Number.MAX_SAFE_INTEGER }), (c) => c.close());
  const helmStage = held.add(newHelmStage(options), (h) => h.cleanup());
  const target = new ClusterTarget(client, cluster.concurrency, impersonation(client, cluster, hooks.onWarning));
  if (selection.mode === 'all') hooks.onProgress?.('listing kustomizations');
  const specs: SpecSource =
    selection.mode === 'all'
      ? clusterAll(client, selection.namespace)
      : clusterNamed(client, selection.name, selection.namespace, options.path, options.kustomizationFile, options.ignoreNotFound, selection.recursive);
  const { roots, problems, following } = await specs.roots();
  const rootSpecs = roots.map((r) => (r.head ?? r.former)!.spec);
  if (selection.mode === 'all' && roots.length >= SHARED_LIVE_READS_FROM) target.shareLiveReads(rootSpecs.map((s) => s.namespace));
  // --all: --path is the repository root; one Kustomization: --path is its directory, the root is above it by spec.path.
  const root = checkoutRoot(selection, selection.mode === 'all' ? options.path : realpathSync(options.path), roots[0]?.head);
  const resolve = sourceResolver(root, checkoutSources(root, await listGitRepositories(client)), options.localSources);
  const helm: HelmRender = { stage: helmStage, sourceDir: chartSources(resolve), concurrency: cluster.concurrency };
  const trees = new SourceTrees();
  const pipeline: Pass['pipeline'] = {
    target,
    resolve,
    render: (ks, dir, boundary, deadline) => renderKustomization(client, ks, dir, options.build, boundary, helm, { trees, deadline }),
    following,
    parallel: options.parallel,
    budget: (spec) => budgetOf(spec, cluster.timeoutMs),
    hooks,
    ...(options.shard ? { shard: { ...options.shard, cluster: '' } } : {}),
  };
  return [{ roots, problems, pipeline }];
}

/**
 * --base-ref: no cluster; the same build at the ref, from a checkout of it. --all follows every cluster
 * directory of the repository (or those --cluster-path names), one pass each, each Kustomization
 * reported under its cluster; a repository never has one picked silently. The checkout's facts are
 * found once (sources/git.ts), then each pass's specs; the checkout root and the source resolver are
 * the same for every pass (with --all the root is --path), each pass has its own target.
 */
async function refPasses(options: RunOptions, ref: string, hooks: RunHooks, held: Held): Promise<Pass[]> {
  const { selection } = options;
  const checkout = held.add(await openRefCheckout(options.path, ref), (c) => c.close());
  const helmStage = held.add(newHelmStage(options), (h) => h.cleanup());
  const tree: GitRefTree = { ref, toplevel: checkout.toplevel, worktree: checkout.worktree };
  const discover = discoveryOnce();
  const trees: Trees = { ...tree, atRef: (p) => pathAtRef(tree, realish(p)), discover };
  // Sorted: the report's order does not depend on how --cluster-path was spelled, so that shards merge
  // into the same report as one run (`podo report merge` sorts by cluster too).
  const dirs = selection.mode === 'all' ? [...(options.clusterPaths ?? clusterRoots(discover(checkout.path)))].sort() : [];
  const clusters = dirs.length > 1 ? dirs : [dirs[0]];
  const found: Array<{ roots: Root[]; problems: SpecProblem[]; following: Following }> = [];
  for (const clusterPath of clusters) {
    const specs: SpecSource =
      selection.mode === 'all'
        ? repositoryClusterRoot(trees, checkout.path, clusterPath)
        : repositoryNamed(trees, selection.name, selection.namespace, checkout.path, options.kustomizationFile);
    found.push(await specs.roots());
  }
  // --all: --path is the repository root; one Kustomization: --path is its directory, the root is above it by spec.path.
  const root = checkoutRoot(selection, checkout.path, found[0].roots[0]?.head);
  const resolve = sourceResolver(root, checkoutSources(tree.toplevel, discover(tree.toplevel).gitRepositories), options.localSources);
  const helm = (mapRoot?: (root: string) => string): HelmRender => ({ stage: helmStage, sourceDir: chartSources(resolve, mapRoot), concurrency: options.cluster.concurrency });
  return clusters.map((clusterPath, i) => {
    const sourceTrees = new SourceTrees();
    // The build at the ref takes its chart sources from the ref's checkout: the same mapping, moved there.
    const target = new BaseRefTarget(tree, options.build, helm((r) => pathAtRef(tree, r) ?? r), sourceTrees, options.buildAll === true);
    const headHelm = helm();
    return {
      ...found[i],
      ...(dirs.length > 1 ? { cluster: clusterPath } : {}),
      pipeline: {
        target,
        resolve,
        render: (ks, dir, boundary, deadline, variables) => renderKustomization(undefined, ks, dir, options.build, boundary, headHelm, { trees: sourceTrees, deadline, variables }),
        // --all: a substituteFrom ConfigMap or Secret the run's own builds define is read from them, per side.
        sources: selection.mode === 'all' ? new DefinedSources(substituteFromNames([...discover(tree.toplevel).definitions, ...discover(tree.worktree).definitions])) : undefined,
        budget: (spec) => budgetOf(spec, options.cluster.timeoutMs),
        following: found[i].following,
        parallel: options.parallel,
        hooks,
        ...(options.shard ? { shard: { ...options.shard, cluster: clusterPath ?? '' } } : {}),
      },
    };
  });
}

/**
 * `podo build`: one Kustomization (with -r, the ones it produces), compared with nothing. Its spec comes
 * from the cluster (which also answers substituteFrom and the decryption Secret) or, with --dry-run,
 * from --kustomization-file alone.
 */
async function buildPasses(options: RunOptions, specFromCluster: boolean, target: BuildTarget, hooks: RunHooks, held: Held): Promise<Pass[]> {
  const { selection, cluster } = options;
  if (selection.mode !== 'single') throw new UsageError('podo build takes one Kustomization name');
  // The HelmReleases of the build are rendered too (--no-charts: not), their objects after the build's own.
  const stage = options.build.charts === false ? undefined : held.add(new HelmStage(options.build.helm, options.build.kustomize, (v) => secrets.add(v), options.build.cacheDir), (h) => h.cleanup());
  const client: ClusterClient | undefined = specFromCluster
    ? held.add(await createClusterClient({ ...cluster, concurrency: 4, deadline: Date.now() + cluster.timeoutMs }), (c) => c.close())
    : undefined;
  const specs = client
    ? clusterNamed(client, selection.name, selection.namespace, options.path, options.kustomizationFile, options.ignoreNotFound, selection.recursive)
    : fileNamed(options.kustomizationFile!, selection.name, selection.namespace, options.path, selection.recursive);
  const { roots, problems, following } = await specs.roots();
  const root = checkoutRoot(selection, realpathSync(options.path), roots[0].head);
  const gitRepositories = client ? await listGitRepositories(client) : discoverOnce(root).gitRepositories;
  const resolve = sourceResolver(root, checkoutSources(root, gitRepositories), options.localSources);
  const helm: HelmRender | undefined = stage ? { stage, sourceDir: chartSources(resolve), concurrency: 4 } : undefined;
  return [
    {
      roots,
      problems,
      pipeline: {
        target,
        resolve,
        render: (ks: FluxKustomization, dir: string, boundary?: string) => renderKustomization(client, ks, dir, options.build, boundary, helm),
        // -r as `flux build --recursive`: the Flux Kustomizations a build produces are built too.
        following,
        parallel: options.parallel,
        hooks,
      },
    },
  ];
}

/** The run's helm: looked up on first use, its temporary helm home removed when the run ends. */
function newHelmStage(options: RunOptions): HelmStage {
  // Every value read from a Secret for chart values goes to the run's secret registry.
  return new HelmStage(options.build.helm, options.build.kustomize, (v) => secrets.add(v), options.build.cacheDir, options.buildAll !== true);
}

/** What a plan holds open, released in the reverse order it was taken. */
class Held {
  private readonly releases: Array<() => void> = [];

  add<T>(thing: T, release: (t: T) => void): T {
    this.releases.push(() => release(thing));
    return thing;
  }

  close(): void {
    for (const r of this.releases.splice(0).reverse()) r();
  }
}
