// The machine-readable report. Versioned (apiVersion/kind) and documented in docs/json-schema.md:
// change the shape only together with that document, and bump the version when a change is not additive.
import { countKustomizations, summarize, type KustomizationCounts } from '../model/summary.js';
import type { DiffReport, FieldChange, ImageWarning, KustomizationDiff, ResourceChange, Summary } from '../model/change.js';
import type { JsonValue, ObjectRef } from '../model/object.js';
import { formatPath } from './format.js';

export const JSON_REPORT_API_VERSION = 'podo.dev/v1alpha1';

export interface JsonReport {
  apiVersion: typeof JSON_REPORT_API_VERSION;
  kind: 'DiffReport';
  summary: Summary;
  /** Kustomizations by outcome: evaluated, failed, not evaluated (and why). */
  kustomizationSummary: KustomizationCounts;
  kustomizations: JsonKustomization[];
}

export interface JsonKustomization {
  name: string;
  namespace: string;
  skipped?: string;
  /** Why it was not evaluated, as a fixed word: suspended, remote cluster, source not mapped, ... */
  skipCause?: string;
  error?: string;
  summary: Summary;
  resources: JsonResource[];
  warnings: JsonWarning[];
  notes: string[];
}

export interface JsonResource extends JsonRef {
  action: ResourceChange['action'];
  reason?: string;
  changes: JsonChange[];
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

export function toJsonReport(report: DiffReport): JsonReport {
  return {
    apiVersion: JSON_REPORT_API_VERSION,
    kind: 'DiffReport',
    summary: summarize(report.kustomizations.flatMap((k) => k.resources)),
    kustomizationSummary: countKustomizations(report),
    kustomizations: report.kustomizations.map(toJsonKustomization),
  };
}

/** Pretty-printed JSON with a trailing newline. */
export function renderJson(report: DiffReport): string {
  return JSON.stringify(toJsonReport(report), null, 2) + '\n';
}

function toJsonKustomization(k: KustomizationDiff): JsonKustomization {
  return {
    name: k.name,
    namespace: k.namespace,
    ...(k.skipped !== undefined ? { skipped: k.skipped } : {}),
    ...(k.skipped !== undefined && k.skipCause ? { skipCause: k.skipCause } : {}),
    ...(k.error !== undefined ? { error: k.error } : {}),
    summary: summarize(k.resources),
    resources: k.resources.map(toJsonResource),
    warnings: k.warnings.map(toJsonWarning),
    notes: [...k.notes],
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

function toJsonResource(r: ResourceChange): JsonResource {
  return {
    ...toJsonRef(r.ref),
    action: r.action,
    ...(r.reason !== undefined ? { reason: r.reason } : {}),
    changes: r.changes.map(toJsonChange),
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
