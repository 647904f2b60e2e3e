// Counting resources by action: the numbers behind every summary line and the exit code.
import type { ResourceChange, Summary } from '../model/change.js';

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
