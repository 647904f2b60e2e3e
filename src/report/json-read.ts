// `podo report merge`: JSON reports (podo.dev/v1alpha1, from CI jobs that each diffed part of a
// repository) read back into one DiffReport, so that every format renders it and the exit code is
// decided as for one run. Pure: the caller reads the files. A document that is not a podo report is an
// InputError naming the file and the first field that is wrong.
import type { Action, DiffReport, FieldChange, FilteredOut, HelmReleaseReport, ImageWarning, KustomizationDiff, NotEvaluatedCause, ReportTarget, ResourceChange } from '../model/change.js';
import { InputError } from '../model/errors.js';
import { isJsonObject, type JsonObject, type JsonValue, type KubeObject, type ObjectRef } from '../model/object.js';
import { JSON_REPORT_API_VERSION } from './json.js';

const ACTIONS: Action[] = ['created', 'drifted', 'replaced', 'deleted', 'skipped', 'unchanged', 'failed'];
const CHANGE_KINDS: FieldChange['kind'][] = ['modify', 'type', 'add', 'remove', 'order'];

/** One JSON report (the text of `podo diff -o json`), as the report it was rendered from. */
export function readJsonReport(text: string, file: string): DiffReport {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (err) {
    throw new InputError(`${file}: not JSON: ${(err as Error).message}`, file);
  }
  const bad = (what: string) => new InputError(`${file}: not a podo JSON report: ${what}`, file);
  if (!isJsonObject(doc) || doc.apiVersion !== JSON_REPORT_API_VERSION || doc.kind !== 'DiffReport') throw bad(`apiVersion ${JSON_REPORT_API_VERSION} and kind DiffReport expected`);
  if (!Array.isArray(doc.kustomizations)) throw bad('kustomizations must be a list');
  const kustomizations = doc.kustomizations.map((k, i) => kustomizationOf(k, `kustomizations[${i}]`, bad));
  const report: DiffReport = { kustomizations };
  const target = targetOf(doc.target);
  if (target) report.target = target;
  const filtered = filteredOf(doc.filtered);
  if (filtered) report.filtered = filtered;
  if (doc.shard !== undefined) report.shard = shardOf(doc.shard, bad);
  return report;
}

type Bad = (what: string) => InputError;

function str(v: JsonValue | undefined, at: string, bad: Bad): string {
  if (typeof v !== 'string') throw bad(`${at} must be a string`);
  return v;
}

function optStr(v: JsonValue | undefined, at: string, bad: Bad): string | undefined {
  return v === undefined ? undefined : str(v, at, bad);
}

function list(v: JsonValue | undefined, at: string, bad: Bad): JsonValue[] {
  if (v === undefined) return [];
  if (!Array.isArray(v)) throw bad(`${at} must be a list`);
  return v;
}

function obj(v: JsonValue | undefined, at: string, bad: Bad): JsonObject {
  if (!isJsonObject(v)) throw bad(`${at} must be an object`);
  return v;
}

function kustomizationOf(v: JsonValue, at: string, bad: Bad): KustomizationDiff {
  const k = obj(v, at, bad);
  const out: KustomizationDiff = {
    name: str(k.name, `${at}.name`, bad),
    namespace: str(k.namespace, `${at}.namespace`, bad),
    resources: list(k.resources, `${at}.resources`, bad).map((r, i) => resourceOf(r, `${at}.resources[${i}]`, bad)),
    warnings: list(k.warnings, `${at}.warnings`, bad).map((w, i) => warningOf(w, `${at}.warnings[${i}]`, bad)),
    notes: list(k.notes, `${at}.notes`, bad).map((n, i) => str(n, `${at}.notes[${i}]`, bad)),
  };
  const cluster = optStr(k.cluster, `${at}.cluster`, bad);
  if (cluster !== undefined) out.cluster = cluster;
  if (k.requested === true) out.requested = true;
  const skipped = optStr(k.skipped, `${at}.skipped`, bad);
  if (skipped !== undefined) out.skipped = skipped;
  const cause = optStr(k.skipCause, `${at}.skipCause`, bad);
  if (cause !== undefined) out.skipCause = cause as NotEvaluatedCause;
  const error = optStr(k.error, `${at}.error`, bad);
  if (error !== undefined) out.error = error;
  const group = optStr(k.group, `${at}.group`, bad);
  if (group !== undefined) out.group = group;
  if (k.helmReleases !== undefined) out.helmReleases = list(k.helmReleases, `${at}.helmReleases`, bad).map((h, i) => helmOf(h, `${at}.helmReleases[${i}]`, bad));
  return out;
}

function refOf(r: JsonObject, at: string, bad: Bad): ObjectRef {
  const namespace = optStr(r.namespace, `${at}.namespace`, bad);
  return { apiVersion: str(r.apiVersion, `${at}.apiVersion`, bad), kind: str(r.kind, `${at}.kind`, bad), ...(namespace !== undefined ? { namespace } : {}), name: str(r.name, `${at}.name`, bad) };
}

function resourceOf(v: JsonValue, at: string, bad: Bad): ResourceChange {
  const r = obj(v, at, bad);
  const action = r.action as Action;
  if (!ACTIONS.includes(action)) throw bad(`${at}.action must be one of ${ACTIONS.join(', ')}`);
  const out: ResourceChange = {
    ref: refOf(r, at, bad),
    action,
    changes: list(r.changes, `${at}.changes`, bad).map((c, i) => changeOf(c, `${at}.changes[${i}]`, bad)),
  };
  const reason = optStr(r.reason, `${at}.reason`, bad);
  if (reason !== undefined) out.reason = reason;
  const helmRelease = optStr(r.helmRelease, `${at}.helmRelease`, bad);
  if (helmRelease !== undefined) out.helmRelease = helmRelease;
  if (r.before !== undefined) out.before = kubeObject(r.before, `${at}.before`, bad);
  if (r.after !== undefined) out.after = kubeObject(r.after, `${at}.after`, bad);
  return out;
}

function kubeObject(v: JsonValue, at: string, bad: Bad): KubeObject {
  const o = obj(v, at, bad);
  str(o.apiVersion, `${at}.apiVersion`, bad);
  str(o.kind, `${at}.kind`, bad);
  str(obj(o.metadata, `${at}.metadata`, bad).name, `${at}.metadata.name`, bad);
  return o as KubeObject;
}

function changeOf(v: JsonValue, at: string, bad: Bad): FieldChange {
  const c = obj(v, at, bad);
  const kind = c.change as FieldChange['kind'];
  if (!CHANGE_KINDS.includes(kind)) throw bad(`${at}.change must be one of ${CHANGE_KINDS.join(', ')}`);
  const path = list(c.pathSegments, `${at}.pathSegments`, bad).map((s, i) => str(s, `${at}.pathSegments[${i}]`, bad));
  return { path, kind, ...(c.before !== undefined ? { from: c.before } : {}), ...(c.after !== undefined ? { to: c.after } : {}) };
}

function warningOf(v: JsonValue, at: string, bad: Bad): ImageWarning {
  const w = obj(v, at, bad);
  return { ref: refOf(w, at, bad), container: str(w.container, `${at}.container`, bad), image: str(w.image, `${at}.image`, bad), message: str(w.message, `${at}.message`, bad) };
}

function helmOf(v: JsonValue, at: string, bad: Bad): HelmReleaseReport {
  const h = obj(v, at, bad);
  str(h.name, `${at}.name`, bad);
  str(h.namespace, `${at}.namespace`, bad);
  for (const k of ['chart', 'notRendered', 'helm'] as const) optStr(h[k], `${at}.${k}`, bad);
  // Every field the writer has, in the order it wrote them: a merged report is the one run's, byte for byte.
  const out: Record<string, string | boolean> = {};
  for (const [k, x] of Object.entries(h)) {
    if (k === 'suspended' || k === 'removed') {
      if (x === true) out[k] = true;
    } else if (HELM_FIELDS.has(k) && typeof x === 'string') out[k] = x;
  }
  return out as unknown as HelmReleaseReport;
}

const HELM_FIELDS = new Set(['name', 'namespace', 'chart', 'notRendered', 'helm']);

function targetOf(v: JsonValue | undefined): ReportTarget | undefined {
  if (!isJsonObject(v)) return undefined;
  if (typeof v.baseRef === 'string') return { baseRef: v.baseRef };
  if (typeof v.context === 'string') return { context: v.context };
  return undefined;
}

function shardOf(v: JsonValue, bad: Bad): { index: number; total: number } {
  const s = obj(v, 'shard', bad);
  const { index, total } = s;
  if (typeof total !== 'number' || !Number.isSafeInteger(total) || total < 1) throw bad('shard.total must be a positive integer');
  if (typeof index !== 'number' || !Number.isSafeInteger(index) || index < 1 || index > total) throw bad('shard.index must be an integer from 1 to shard.total');
  return { index, total };
}

function filteredOf(v: JsonValue | undefined): FilteredOut | undefined {
  if (!isJsonObject(v)) return undefined;
  const n = (x: JsonValue | undefined) => (typeof x === 'number' && Number.isInteger(x) && x >= 0 ? x : 0);
  return {
    filters: Array.isArray(v.filters) ? v.filters.filter((f): f is string => typeof f === 'string') : [],
    objects: n(v.objects),
    kustomizations: n(v.kustomizations),
    ignoredFieldObjects: n(v.ignoredFieldObjects),
  };
}

/**
 * Several reports as one: their Kustomizations in the order given. They must compare against the same
 * target (a ref or a cluster context); a Kustomization in two reports (of one cluster) is an error: the
 * jobs overlapped. `cluster` names the cluster of a report's Kustomizations (one CI job per cluster
 * directory), so same-named Kustomizations of different clusters are told apart.
 */
export function mergeReports(reports: Array<{ file: string; report: DiffReport; cluster?: string }>): DiffReport {
  const shards = shardsOf(reports);
  const kustomizations: KustomizationDiff[] = [];
  const where = new Map<string, string>();
  let target: ReportTarget | undefined;
  let targetFile = '';
  let filtered: FilteredOut | undefined;
  for (const { file, report, cluster } of reports) {
    if (report.target) {
      if (target && JSON.stringify(target) !== JSON.stringify(report.target)) {
        throw new InputError(`${file}: compared against ${describeTarget(report.target)}, ${targetFile} against ${describeTarget(target)}: merge reports of one comparison`, file);
      }
      target = report.target;
      targetFile = file;
    }
    for (const k0 of report.kustomizations) {
      // `NAME=FILE`: the file's Kustomizations are applied to cluster NAME (unless they name theirs).
      const k = cluster !== undefined && k0.cluster === undefined ? { ...k0, cluster } : k0;
      const key = `${k.cluster ?? ''}/${k.namespace}/${k.name}`;
      const first = where.get(key);
      if (first) throw new InputError(`${file}: Kustomization ${k.namespace}/${k.name} is also in ${first}: the reports overlap`, file);
      where.set(key, file);
      kustomizations.push(k);
    }
    if (report.filtered) {
      filtered = {
        filters: [...new Set([...(filtered?.filters ?? []), ...report.filtered.filters])],
        objects: (filtered?.objects ?? 0) + report.filtered.objects,
        kustomizations: (filtered?.kustomizations ?? 0) + report.filtered.kustomizations,
        ignoredFieldObjects: (filtered?.ignoredFieldObjects ?? 0) + report.filtered.ignoredFieldObjects,
      };
    }
  }
  if (shards) {
    // The shards of one run (--shard K/N): one run's order, as the run lists them (pipeline/orchestrate.ts):
    // by cluster, then by group, each group in its shard's (evaluation) order. The merged report is that
    // run's, so it says nothing of shards.
    const order = (k: KustomizationDiff) => [k.cluster ?? '', k.group ?? ''];
    kustomizations.sort((a, b) => compareKeys(order(a), order(b)));
    for (const k of kustomizations) delete k.group;
  }
  const alone = partAlone(reports) ? reports[0].report.shard : undefined;
  return { kustomizations, ...(target ? { target } : {}), ...(filtered ? { filtered } : {}), ...(alone ? { shard: alone } : {}) };
}

/** One shard's report alone (of N > 1) is rendered as it is, saying which shard it is (the Action's per-job summary). */
function partAlone(reports: Array<{ report: DiffReport }>): boolean {
  return reports.length === 1 && (reports[0].report.shard?.total ?? 1) > 1;
}

function compareKeys(a: string[], b: string[]): number {
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return a[i] < b[i] ? -1 : 1;
  return 0;
}

/**
 * The shard count when the reports are shards (--shard K/N): then every one must be, of the same N, and
 * each of 1..N exactly once, or the merged report would silently miss (or repeat) a part of the run.
 */
function shardsOf(reports: Array<{ file: string; report: DiffReport }>): number | undefined {
  const sharded = reports.filter((r) => r.report.shard);
  if (sharded.length === 0 || partAlone(reports)) return undefined;
  const first = sharded[0];
  const total = first.report.shard!.total;
  const seen = new Map<number, string>();
  for (const { file, report } of reports) {
    if (!report.shard) throw new InputError(`${file}: not a --shard report, ${first.file} is (shard ${first.report.shard!.index}/${total}): merge the N shards of one run`, file);
    if (report.shard.total !== total) throw new InputError(`${file}: shard ${report.shard.index}/${report.shard.total}, ${first.file} is shard ${first.report.shard!.index}/${total}: merge the shards of one run`, file);
    const other = seen.get(report.shard.index);
    if (other) throw new InputError(`${file}: shard ${report.shard.index}/${total} again (also ${other})`, file);
    seen.set(report.shard.index, file);
  }
  const missing = Array.from({ length: total }, (_, i) => i + 1).filter((i) => !seen.has(i));
  if (missing.length > 0) throw new InputError(`shard${missing.length === 1 ? '' : 's'} ${missing.map((i) => `${i}/${total}`).join(', ')} missing: merge all ${total} shards of the run`, reports[0].file);
  return total;
}

function describeTarget(t: ReportTarget): string {
  return 'baseRef' in t ? `ref ${t.baseRef}` : `context ${t.context}`;
}
