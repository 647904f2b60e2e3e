// Notes said once: the same note on many Kustomizations (no cluster to read substituteFrom from, say) is
// one line with a count and the first few names, not one line per Kustomization. Pure.
import type { DiffReport } from '../model/change.js';

export interface GroupedNote {
  text: string;
  /** `namespace/name` of every Kustomization that has it, in report order. */
  kustomizations: string[];
}

export function groupNotes(report: DiffReport): GroupedNote[] {
  const byText = new Map<string, GroupedNote>();
  for (const k of report.kustomizations) {
    for (const text of new Set(k.notes)) {
      const g = byText.get(text) ?? { text, kustomizations: [] };
      g.kustomizations.push(`${k.namespace}/${k.name}`);
      byText.set(text, g);
    }
  }
  return [...byText.values()];
}

/** `ns/a: note`, or `note (12 Kustomizations: ns/a, ns/b, ns/c, …)`. */
export function formatGroupedNote(g: GroupedNote, grouped: boolean): string {
  if (!grouped) return g.text;
  if (g.kustomizations.length === 1) return `${g.kustomizations[0]}: ${g.text}`;
  const first = g.kustomizations.slice(0, 3).join(', ');
  return `${g.text} (${g.kustomizations.length} Kustomizations: ${first}${g.kustomizations.length > 3 ? ', …' : ''})`;
}
