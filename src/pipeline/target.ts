// What the built objects are compared against: the cluster through server-side dry-run, or the same
// build at a git ref (kubectl diff's Object{Live, Merged} idea). The orchestrator (pipeline/orchestrate.ts)
// builds the working tree's side and hands it over; a target answers with one Verdict per object.
import type { FluxKustomization } from '../model/kustomization.js';
import type { RenderedObject } from '../model/object.js';
import type { CreatedByDependencies, Verdict } from '../model/verdict.js';
import type { HelmReleaseReport, NotEvaluatedCause } from '../model/change.js';
import type { HelmExpansion } from './helm.js';
import type { VariableSource } from '../render/flux/substitute.js';

export type { CreatedByDependencies };

export interface Evaluation {
  /** The Kustomization as the working tree has it; absent when it is no longer built (removed). */
  head?: FluxKustomization;
  /** The Kustomization as the compared-against side has it (the live object, or the spec at the ref), when known. */
  former?: FluxKustomization;
  /** What the working tree builds (absent when removed). */
  rendered?: RenderedObject[];
  /** The working tree's HelmReleases and what their charts rendered (their objects are in `rendered`). */
  helm?: HelmExpansion;
  /** Notes of the working tree's build (a target comparing two builds leaves out its duplicates). */
  renderNotes?: string[];
  /** Set when the working tree has no such directory (only a target with another tree to look in gets this). */
  headMissing?: string;
  /** Where the former spec's path is, in working-tree terms (the base-ref target maps it to the ref). */
  formerDir?: string;
  /** The root of the source that holds `formerDir` (its repository boundary), in working-tree terms, when known. */
  formerRoot?: string;
  prior: CreatedByDependencies;
  /** When this Kustomization's time budget runs out (ms since epoch; spec.timeout, else --timeout). */
  deadline?: number;
  /** What set the budget, for the timeout message: `spec.timeout 30s` or `--timeout`. */
  budget?: string;
  /** The former side provably builds what the working tree built (see Target.provenUnchanged): compare `rendered` with itself. */
  formerBuildsSame?: boolean;
  onProgress?: (stage: string, done: number, total: number) => void;
  /** Reads the former side's substituteFrom sources where there is no cluster (those the run's builds at the ref define). */
  formerVariables?: VariableSource;
}

export interface TargetAnswer {
  /** One per object, Namespaces and CRDs first, then apply order; deletions last. */
  verdicts: Verdict[];
  notes: string[];
  /** The Flux Kustomizations the compared-against side has as children of this one (for --recursive). */
  formerChildren: FluxKustomization[];
  /** HelmReleases the compared-against side has and the working tree no longer builds (uninstalled). */
  removedHelmReleases?: HelmReleaseReport[];
  /** What the former side built (a target that builds it): the substituteFrom sources it defines are recorded. */
  formerObjects?: RenderedObject[];
  /** Set when neither side can be evaluated. */
  skipped?: { cause: NotEvaluatedCause; reason: string };
}

/** Both sides of a Kustomization, before anything is built. */
export interface Sides {
  head: FluxKustomization;
  former: FluxKustomization;
  /** The working tree's directory, and the former side's in working-tree terms. */
  dir: string;
  formerDir: string;
  /** The root the working tree's build is confined to, when the run knows it (the source's root). */
  boundary?: string;
  /** The former side's source root, in working-tree terms. */
  formerRoot?: string;
  /** Names of substituteFrom sources the run needs from builds: a build that may define one is built. */
  watched?: ReadonlySet<string>;
  /** Reads the working tree's substituteFrom sources where there is no cluster. */
  variables?: VariableSource;
}

/** Proof that both sides build from the same inputs (render/fingerprint.ts). */
export interface UnchangedProof {
  /** What a build would have noted from the spec alone. */
  notes: string[];
  /**
   * The build may produce what the run needs beyond the verdicts (Flux Kustomizations to follow, CRDs
   * its dependents' objects are scoped by): build the working tree once and compare it with itself.
   * Otherwise nothing is built and the Kustomization is reported without resources.
   */
  buildOnce: boolean;
  /**
   * When nothing is built: what the build would have created for its dependents, proven without it
   * (the CRDs of its unchanged charts' crds/ directories); absent, nothing.
   */
  creates?: CreatedByDependencies;
}

export interface Target {
  /** `build`: nothing is compared (podo build, build-target.ts). */
  readonly kind: 'cluster' | 'base-ref' | 'build';
  /** Evaluating a Kustomization that deploys to another cluster (spec.kubeConfig) needs that cluster: the cluster target; comparing or printing builds needs none. */
  readonly needsRemoteCluster: boolean;
  /** Any Kustomization's failure is the run's (`podo build` prints every build or none). */
  readonly allOrNothing: boolean;
  /** How a working-tree failure is labelled (`working tree: …` when the other side is a build too). */
  readonly headLabel?: string;
  /** A target comparing two builds: proof, without building, that both sides would build the same; undefined when not proven. */
  provenUnchanged?(s: Sides): Promise<UnchangedProof | undefined>;
  evaluate(e: Evaluation): Promise<TargetAnswer>;
}

export const emptyCreated = (): CreatedByDependencies => ({ namespaces: new Map(), crds: new Map() });

/** Who creates what a Kustomization's build holds, as its dependents' reasons name it. */
export const createdByKustomization = (spec: { namespace: string; name: string }): string => `Kustomization ${spec.namespace}/${spec.name}`;
