// What the planner (plan.ts) hands the orchestrator (orchestrate.ts): the passes of one run, each with
// the Kustomizations it starts from and how each is evaluated. Every mode is a plan: the modes differ
// in the spec source and the target the planner chose, not in the loop.
import type { ReportTarget } from '../model/change.js';
import type { ReportFilters } from '../model/filters.js';
import type { FluxKustomization } from '../model/kustomization.js';
import type { RenderedObject } from '../model/object.js';
import type { SourceResolver } from '../sources/local-sources.js';
import type { Following, Root, SpecProblem } from '../sources/spec-source.js';
import type { VariableSource } from '../render/flux/substitute.js';
import type { DefinedSources } from './defined-sources.js';
import type { HelmExpansion } from './helm.js';
import type { Shard } from './shard.js';
import type { Target } from './target.js';
import type { BuildTarget } from './build-target.js';

export interface RunHooks {
  /** What is happening, for a progress display. */
  onProgress?: (text: string) => void;
  /** One-time messages for the person running podo (e.g. impersonation refused). */
  onWarning?: (text: string) => void;
}


/** A run, planned: one pass per cluster directory (--base-ref --all over several), else one. */
export interface Plan {
  passes: Pass[];
  /** What the report says it compared against: the git ref, or the kubeconfig context. */
  target?: ReportTarget;
  /** What the report leaves out (--ignore-field, -l, --kind, --skip-kind, the name globs of --all). */
  filters?: ReportFilters;
  /** The shard this run reports (--shard), named in the report. */
  shard?: Shard;
  /** `podo build`: where each Kustomization's build is kept, to be printed. */
  build?: BuildTarget;
  /** Releases what the plan holds: the cluster connection, the checkout of the ref, the helm home. */
  close(): void;
}

/** One pass of the orchestrator: the Kustomizations it starts from, and how each is evaluated. */
export interface Pass {
  roots: Root[];
  problems: SpecProblem[];
  /** Set when the run has several cluster directories: each Kustomization is reported under its own. */
  cluster?: string;
  pipeline: Pipeline;
}

/** How a pass evaluates its Kustomizations: the target, where sources live, the render step, and the rules of following. */
export interface Pipeline {
  target: Target;
  resolve: SourceResolver;
  /** `boundary`: the source root the build must stay inside, when known. */
  render: (ks: FluxKustomization, dir: string, boundary?: string, deadline?: number, variables?: VariableSource) => Promise<{ objects: RenderedObject[]; notes: string[]; helm?: HelmExpansion }>;
  /** Without a cluster: the substituteFrom sources the run's own builds define, per side (--base-ref --all). */
  sources?: DefinedSources;
  /** How the pass goes on from its roots: the spec source's rules (sources/spec-source.ts). */
  following: Following;
  /** Kustomizations evaluated at once. */
  parallel: number;
  /** A Kustomization's time budget, from when its evaluation starts. */
  budget?: (spec: FluxKustomization['spec']) => { ms: number; label: string };
  hooks: RunHooks;
  /** --shard: only this part's groups are evaluated and reported (shard.ts); `cluster` goes into the hash. */
  shard?: Shard & { cluster: string };
}

