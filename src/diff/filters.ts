// The report filters people expect from flux-local and argocd-diff-preview, applied to the finished
// report so that they work the same in every mode (cluster, --base-ref, --all, --recursive) and format:
//   --ignore-field KIND:POINTER  leave a field out of the comparison of existing objects, with the
//                                semantics of Flux's spec.ignore paths (RFC 6901 JSON pointers, removed
//                                from both sides; new objects are shown whole, as Flux creates them whole)
//   -l/--selector                only objects whose labels match (Kubernetes selector syntax)
//   --kind / --skip-kind         only / not these kinds
//   NAME globs with --all        only the Kustomizations whose name (or namespace/name) matches
// What they leave out is counted in `report.filtered`. Objects whose labels are not known (failed,
// skipped) are kept by the selector: a failure is never filtered away. Pure.
import type { DiffReport, FilteredOut, KustomizationDiff, ResourceChange } from '../model/change.js';
import { isJsonObject, type KubeObject } from '../model/object.js';
import { parseLabelSelector, SelectorError } from '../flux/selector.js';
import { compareObjects } from './compare.js';
import { removePointers } from './drift-ignore.js';
import type { IgnoreField, ReportFilters } from '../model/filters.js';

export type { IgnoreField, ReportFilters };

/** A filter given wrongly: the message names the flag and the value. */
export class FilterError extends Error {}

export function noFilters(f: ReportFilters): boolean {
  return f.ignoreFields.length === 0 && !f.selector && f.kinds.length === 0 && f.skipKinds.length === 0 && f.kustomizations.length === 0;
}

/** `Deployment:/spec/replicas`, `*:/metadata/annotations/deploy-time`. */
export function parseIgnoreField(text: string): IgnoreField {
  const i = text.indexOf(':');
  const kind = i < 0 ? '' : text.slice(0, i).trim();
  const path = i < 0 ? '' : text.slice(i + 1).trim();
  if (!kind || (path !== '' && !path.startsWith('/')) || i < 0) {
    throw new FilterError(`--ignore-field takes KIND:POINTER (a JSON pointer as in Flux spec.ignore paths, e.g. Deployment:/spec/replicas), got ${JSON.stringify(text)}`);
  }
  return { kind, path };
}

/**
 * A file of --ignore-field values: one KIND:POINTER a line; blank lines and lines starting with `#` are
 * skipped. `name` is the file, for messages.
 */
export function parseIgnoreFieldFile(text: string, name: string): IgnoreField[] {
  const out: IgnoreField[] = [];
  text.split('\n').forEach((raw, n) => {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) return;
    try {
      out.push(parseIgnoreField(line));
    } catch (err) {
      throw new FilterError(`${name}:${n + 1}: ${(err as Error).message}`);
    }
  });
  return out;
}

function globRegExp(glob: string): RegExp {
  const body = glob.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.');
  return new RegExp(`^${body}$`);
}

/** The label selector of -l/--selector; FilterError when it is not valid selector syntax. */
function selectorOf(f: ReportFilters): ReturnType<typeof parseLabelSelector> | undefined {
  if (!f.selector) return undefined;
  try {
    return parseLabelSelector(f.selector, '--selector');
  } catch (err) {
    if (err instanceof SelectorError) throw new FilterError(err.message);
    throw err;
  }
}

/** Checks the filters before a run starts (a bad selector is a usage error, not a late surprise). */
export function validateFilters(f: ReportFilters): void {
  selectorOf(f);
}

/** The report as the filters leave it, with what they left out counted in `filtered`. */
export function applyFilters(report: DiffReport, f: ReportFilters): DiffReport {
  if (noFilters(f)) return report;
  const filtered: FilteredOut = { filters: describe(f), objects: 0, kustomizations: 0, ignoredFieldObjects: 0 };
  const labels = selectorOf(f);
  const globs = f.kustomizations.map(globRegExp);
  const kinds = new Set(f.kinds.map((k) => k.toLowerCase()));
  const skipKinds = new Set(f.skipKinds.map((k) => k.toLowerCase()));
  const keepObject = (r: ResourceChange): boolean => {
    const kind = r.ref.kind.toLowerCase();
    if (kinds.size > 0 && !kinds.has(kind)) return false;
    if (skipKinds.has(kind)) return false;
    if (labels) {
      const known = labelsOf(r);
      // Labels podo does not know (a failed or skipped object): kept, never filtered away.
      if (known && !labels(known)) return false;
    }
    return true;
  };
  const kustomizations: KustomizationDiff[] = [];
  for (const k of report.kustomizations) {
    if (globs.length > 0 && !globs.some((g) => g.test(k.name) || g.test(`${k.namespace}/${k.name}`))) {
      filtered.kustomizations++;
      continue;
    }
    const resources: ResourceChange[] = [];
    for (const r of k.resources) {
      if (!keepObject(r)) {
        filtered.objects++;
        continue;
      }
      const { change, ignored } = ignoreFields(r, f.ignoreFields);
      if (ignored) filtered.ignoredFieldObjects++;
      resources.push(change);
    }
    // Image warnings follow their objects.
    const shown = new Set(resources.map((r) => `${r.ref.kind}/${r.ref.namespace ?? ''}/${r.ref.name}`));
    const warnings = k.warnings.filter((w) => shown.has(`${w.ref.kind}/${w.ref.namespace ?? ''}/${w.ref.name}`));
    kustomizations.push({ ...k, resources, warnings });
  }
  return { ...report, kustomizations, filtered };
}

/** `-l app=web`, `--kind Deployment,Service`, … as the report names the filters. */
function describe(f: ReportFilters): string[] {
  const out: string[] = [];
  if (f.selector) out.push(`-l ${f.selector}`);
  if (f.kinds.length > 0) out.push(`--kind ${f.kinds.join(',')}`);
  if (f.skipKinds.length > 0) out.push(`--skip-kind ${f.skipKinds.join(',')}`);
  if (f.kustomizations.length > 0) out.push(`--all ${f.kustomizations.join(',')}`);
  for (const i of f.ignoreFields) out.push(`--ignore-field ${i.kind}:${i.path}`);
  return out;
}

function labelsOf(r: ResourceChange): Record<string, string> | undefined {
  const obj = r.after ?? r.before;
  if (obj) {
    const l = obj.metadata.labels;
    return isJsonObject(l) ? (l as Record<string, string>) : {};
  }
  if (r.action === 'unchanged') return r.labels ?? {};
  return undefined;
}

/**
 * A changed existing object without the ignored fields on both sides, compared again: no change left
 * makes it unchanged. A replaced object stays replaced (its immutable field is why). New and deleted
 * objects are whole, as Flux applies them.
 */
function ignoreFields(r: ResourceChange, rules: IgnoreField[]): { change: ResourceChange; ignored: boolean } {
  if ((r.action !== 'drifted' && r.action !== 'replaced') || !r.before || !r.after || rules.length === 0) return { change: r, ignored: false };
  const kind = r.ref.kind.toLowerCase();
  const paths = rules.filter((i) => i.kind === '*' || i.kind.toLowerCase() === kind).map((i) => i.path);
  if (paths.length === 0) return { change: r, ignored: false };
  if (paths.includes('')) {
    if (r.action === 'replaced') return { change: r, ignored: false };
    return { change: unchanged(r), ignored: true };
  }
  const before = removePointers(r.before, paths) as KubeObject;
  const after = removePointers(r.after, paths) as KubeObject;
  const changes = compareObjects(before, after);
  if (changes.length === r.changes.length) return { change: r, ignored: false };
  if (changes.length === 0 && r.action === 'drifted') return { change: unchanged(r), ignored: true };
  return { change: { ...r, changes, before, after }, ignored: true };
}

function unchanged(r: ResourceChange): ResourceChange {
  const l = r.after?.metadata.labels;
  return {
    ref: r.ref,
    action: 'unchanged',
    changes: [],
    ...(r.helmRelease !== undefined ? { helmRelease: r.helmRelease } : {}),
    ...(isJsonObject(l) && Object.keys(l).length > 0 ? { labels: l as Record<string, string> } : {}),
  };
}
