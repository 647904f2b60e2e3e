import { describe, expect, it } from 'vitest';
import type { DiffReport, KustomizationDiff } from '../../src/model/change.js';
import { formatGroupedNote, groupNotes } from '../../src/report/notes.js';

const k = (name: string, notes: string[]): KustomizationDiff => ({ name, namespace: 'flux-system', resources: [], warnings: [], notes });

describe('notes said once', () => {
  it('a note many Kustomizations share is one line with a count and the first names; others stay per Kustomization', () => {
    const shared = 'postBuild.substituteFrom not read (no cluster): ConfigMap/cluster-vars; variables they may define are left as written';
    const report: DiffReport = { kustomizations: [k('a', [shared, 'own note']), k('b', [shared]), k('c', [shared]), k('d', [shared, shared])] };
    const lines = groupNotes(report).map((g) => formatGroupedNote(g, true));
    expect(lines).toEqual([`${shared} (4 Kustomizations: flux-system/a, flux-system/b, flux-system/c, …)`, 'flux-system/a: own note']);
    expect(groupNotes({ kustomizations: [k('a', ['x'])] }).map((g) => formatGroupedNote(g, false))).toEqual(['x']);
  });
});
