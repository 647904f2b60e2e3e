// The machine-readable report. Versioned (apiVersion/kind), described by schema/diff-report.v1alpha1.json
// and documented in docs/json-schema.md: change the shape only together with both, and bump the version when a
// change is not additive.
import { countKustomizations, summarize, type KustomizationCounts } from '../model/summary.js';
import type { DiffReport, FilteredOut, ReportTarget, FieldChange, HelmReleaseReport, ImageWarning, KustomizationDiff, ResourceChange, Summary } from '../model/change.js';
import type { JsonValue, KubeObject, ObjectRef } from '../model/object.js';
import { formatPath } from './format.js';
import { notRenderedNote } from './helm.js';

export const JSON_REPORT_API_VERSION = 'podo.dev/v1alpha1';
/** The $id of schema/diff-report.v1alpha1.json (shipped in the package): the document names its schema. */
export const JSON_REPORT_SCHEMA = 'https://podo.dev/schema/diff-report.v1alpha1.json';

export interface JsonReport {
  $schema: typeof JSON_REPORT_SCHEMA;
  apiVersion: typeof JSON_REPORT_API_VERSION;
  kind: 'DiffReport';
  /** What the builds were compared against: `{ baseRef }` or `{ context }` (the kubeconfig context). */
  target?: ReportTarget;
  summary: Summary & { helmReleasesNotRendered?: number };
  /** Kustomizations by outcome: evaluated, failed, not evaluated (and why). */
  kustomizationSummary: KustomizationCounts;
  kustomizations: JsonKustomization[];
  /** Run-wide notes (e.g. how many HelmReleases were not rendered, and why). */
  notes?: string[];
  /** What the report filters left out (present when any filter was given). */
  filtered?: FilteredOut;
  /** --shard K/N: this report is part `index` of `total`; `podo report merge` of all of them is one run's report. */
  shard?: { index: number; total: number };
}

export interface JsonKustomization {
  name: string;
  namespace: string;
  /** The cluster it is applied to, in runs over several clusters. */
  cluster?: string;
  /** Named on the command line (or a --recursive child): not evaluating it fails the run. */
  requested?: boolean;
  skipped?: string;
  /** Why it was not evaluated, as a fixed word: suspended, remote cluster, source not mapped, ... */
  skipCause?: string;
  error?: string;
  summary: Summary;
  resources: JsonResource[];
  warnings: JsonWarning[];
  notes: string[];
  /** The HelmReleases this Kustomization builds or removes; `notRendered` says why a chart was not rendered. */
  helmReleases?: HelmReleaseReport[];
  /** --shard reports: the key of the group it was evaluated with, for `podo report merge`'s order. */
  group?: string;
}

export interface JsonResource extends JsonRef {
  action: ResourceChange['action'];
  reason?: string;
  /** `namespace/name` of the HelmRelease whose chart renders this object. */
  helmRelease?: string;
  changes: JsonChange[];
  /** With --with-objects: the object's two sides (masked, normalized), for `podo report merge`. */
  before?: KubeObject;
  after?: KubeObject;
}

export interface JsonChange {
  path: string;
  pathSegments: string[];
  change: FieldChange['kind'];
  before?: JsonValue;
  after?: JsonValue;
}

export interface JsonWarning extends JsonRef {
  container: string;
  image: string;
  message: string;
}

interface JsonRef {
  kind: string;
  apiVersion: string;
  namespace?: string;
  name: string;
}

export interface JsonOptions {
  /** Include each changed object's before/after (--with-objects), so that merged reports render full diffs. */
  objects?: boolean;
}

export function toJsonReport(report: DiffReport, opts: JsonOptions = {}): JsonReport {
  const notRendered = report.kustomizations.flatMap((k) => (k.helmReleases ?? []).filter((h) => h.notRendered)).length;
  const anyHelm = report.kustomizations.some((k) => k.helmReleases !== undefined);
  const helmNote = notRenderedNote(report);
  return {
    $schema: JSON_REPORT_SCHEMA,
    apiVersion: JSON_REPORT_API_VERSION,
    kind: 'DiffReport',
    ...(report.target ? { target: { ...report.target } } : {}),
    summary: { ...summarize(report.kustomizations.flatMap((k) => k.resources)), ...(anyHelm ? { helmReleasesNotRendered: notRendered } : {}) },
    kustomizationSummary: countKustomizations(report),
    kustomizations: report.kustomizations.map((k) => toJsonKustomization(k, opts)),
    ...(helmNote ? { notes: [helmNote] } : {}),
    ...(report.filtered ? { filtered: { ...report.filtered, filters: [...report.filtered.filters] } } : {}),
    ...(report.shard ? { shard: { index: report.shard.index, total: report.shard.total } } : {}),
  };
}

/**
 * Pretty-printed JSON with a trailing newline. JSON.stringify escapes the C0 controls; DEL, the C1
 * controls, the line separators and the bidi controls are escaped too (`\u009b`), so the document is
 * safe to print on a terminal and means exactly the same to a JSON reader.
 */
export function renderJson(report: DiffReport, opts: JsonOptions = {}): string {
  return JSON.stringify(toJsonReport(report, opts), null, 2).replace(TERMINAL_CONTROLS, (ch) => `\\u${ch.charCodeAt(0).toString(16).padStart(4, '0')}`) + '\n';
}

const TERMINAL_CONTROLS = /[\u007f-\u009f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g;

function toJsonKustomization(k: KustomizationDiff, opts: JsonOptions): JsonKustomization {
  return {
    name: k.name,
    namespace: k.namespace,
    ...(k.cluster !== undefined ? { cluster: k.cluster } : {}),
    ...(k.requested ? { requested: true } : {}),
    ...(k.skipped !== undefined ? { skipped: k.skipped } : {}),
    ...(k.skipped !== undefined && k.skipCause ? { skipCause: k.skipCause } : {}),
    ...(k.error !== undefined ? { error: k.error } : {}),
    summary: summarize(k.resources),
    resources: k.resources.map((r) => toJsonResource(r, opts)),
    warnings: k.warnings.map(toJsonWarning),
    notes: [...k.notes],
    ...(k.helmReleases ? { helmReleases: k.helmReleases.map((h) => ({ ...h })) } : {}),
    ...(k.group !== undefined ? { group: k.group } : {}),
  };
}

function toJsonRef(ref: ObjectRef): JsonRef {
  return {
    kind: ref.kind,
    apiVersion: ref.apiVersion,
    ...(ref.namespace ? { namespace: ref.namespace } : {}),
    name: ref.name,
  };
}

function toJsonResource(r: ResourceChange, opts: JsonOptions): JsonResource {
  return {
    ...toJsonRef(r.ref),
    action: r.action,
    ...(r.reason !== undefined ? { reason: r.reason } : {}),
    ...(r.helmRelease !== undefined ? { helmRelease: r.helmRelease } : {}),
    changes: r.changes.map(toJsonChange),
    ...(opts.objects && r.before && r.action !== 'unchanged' ? { before: r.before } : {}),
    ...(opts.objects && r.after && r.action !== 'unchanged' ? { after: r.after } : {}),
  };
}

function toJsonChange(c: FieldChange): JsonChange {
  return {
    path: formatPath(c.path),
    pathSegments: [...c.path],
    change: c.kind,
    ...(c.from !== undefined ? { before: c.from } : {}),
    ...(c.to !== undefined ? { after: c.to } : {}),
  };
}

function toJsonWarning(w: ImageWarning): JsonWarning {
  return { ...toJsonRef(w.ref), container: w.container, image: w.image, message: w.message };
}
