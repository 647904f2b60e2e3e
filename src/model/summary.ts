// Counting resources by action, and Kustomizations by whether they were evaluated: the numbers behind
// every summary line (in every format) and the exit code.
import type { DiffReport, FilteredOut, NotEvaluatedCause, ResourceChange, Summary } from './change.js';

export function emptySummary(): Summary {
  return { created: 0, drifted: 0, deleted: 0, replaced: 0, skipped: 0, unchanged: 0, failed: 0 };
}

export function summarize(resources: ResourceChange[]): Summary {
  const summary = emptySummary();
  for (const r of resources) summary[r.action]++;
  return summary;
}

/** How many resources the apply would change. Skipped, unchanged and failed ones change nothing. */
export function changeCount(s: Summary): number {
  return s.created + s.drifted + s.deleted + s.replaced;
}

export interface KustomizationCounts {
  total: number;
  evaluated: number;
  /** Evaluated, but building or comparing it failed as a whole. */
  failed: number;
  notEvaluated: number;
  /** Not evaluated, by cause; causes that did not occur are left out. */
  notEvaluatedBy: Partial<Record<NotEvaluatedCause, number>>;
}

export function countKustomizations(report: DiffReport): KustomizationCounts {
  const out: KustomizationCounts = { total: 0, evaluated: 0, failed: 0, notEvaluated: 0, notEvaluatedBy: {} };
  for (const k of report.kustomizations) {
    out.total++;
    if (k.error) out.failed++;
    else if (k.skipped !== undefined) {
      out.notEvaluated++;
      const cause = k.skipCause ?? 'source not mapped';
      out.notEvaluatedBy[cause] = (out.notEvaluatedBy[cause] ?? 0) + 1;
    } else out.evaluated++;
  }
  return out;
}

/** `2 Kustomizations not evaluated (1 suspended, 1 source not mapped)`, or '' when every one was. */
export function formatNotEvaluated(c: KustomizationCounts): string {
  if (c.notEvaluated === 0) return '';
  const why = Object.entries(c.notEvaluatedBy).map(([cause, n]) => `${n} ${cause}`);
  return `${c.notEvaluated} Kustomization${c.notEvaluated === 1 ? '' : 's'} not evaluated (${why.join(', ')})`;
}

/**
 * `Filtered out: 3 objects, 1 Kustomization; changes in ignored fields left out on 2 objects (--kind
 * Deployment, --ignore-field ConfigMap:/data/x)`: only what did happen; '' without filters.
 */
/** `Shard 2/3 of the run (--shard): …`; '' for a whole run. */
export function formatShard(shard: { index: number; total: number } | undefined): string {
  if (!shard) return '';
  return `Shard ${shard.index}/${shard.total} of the run (--shard): only its Kustomizations; podo report merge joins all ${shard.total}`;
}

export function formatFiltered(f: FilteredOut | undefined): string {
  if (!f || f.filters.length === 0) return '';
  const plural = (n: number, one: string) => `${n} ${one}${n === 1 ? '' : 's'}`;
  const out = [f.objects > 0 ? plural(f.objects, 'object') : '', f.kustomizations > 0 ? plural(f.kustomizations, 'Kustomization') : ''].filter(Boolean);
  const ignored = f.ignoredFieldObjects > 0 ? `changes in ignored fields left out on ${plural(f.ignoredFieldObjects, 'object')}` : '';
  const what = [out.length > 0 ? `Filtered out: ${out.join(', ')}` : '', ignored].filter(Boolean).join('; ');
  return `${what || 'Filters left nothing out'} (${f.filters.join(', ')})`;
}
