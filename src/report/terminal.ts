// What podo prints for a finished report: the document on stdout, in the format asked for, and the lines
// for the person at the terminal that the format does not carry (notes, Kustomizations not evaluated,
// what the filters left out, the shard, charts not rendered), to go to stderr before it. Pure: cli/
// writes them. Every stderr line is made from the terminal-safe report (escape-terminal.ts).
import type { DiffReport } from '../model/change.js';
import { countKustomizations, formatFiltered, formatNotEvaluated, formatShard } from '../model/summary.js';
import { terminalSafeReport } from './escape-terminal.js';
import { notRenderedNote } from './helm.js';
import { FORMATS, render, type Format, type RenderOptions } from './index.js';
import { formatGroupedNote, groupNotes } from './notes.js';

export interface Presentation {
  /** The report in the format asked for. */
  document: string;
  /** `podo: …` lines for stderr, each ending in a newline. */
  lines: string[];
  /** The report with every string safe for a terminal, for any further stderr line (exit.ts). */
  safe: DiffReport;
}

export function present(report: DiffReport, format: Format, opts: RenderOptions): Presentation {
  const document = render(report, format, opts);
  const { notesInDocument, summaryInDocument } = FORMATS[format];
  // stderr lines name objects and carry messages from the repository and the cluster: one line each.
  const safe = terminalSafeReport(report);
  // Notes are for the person at the terminal; machine formats carry them inside the document. A note
  // many Kustomizations share is said once, with a count.
  const notes = notesInDocument ? [] : groupNotes(safe).map((g) => `podo: note: ${formatGroupedNote(g, opts.grouped)}\n`);
  // Charts not rendered are said once on stderr whatever the format (and in every format's own notes).
  const helmNote = notRenderedNote(safe);
  // -v: which helm rendered the charts (also in -o json, per HelmRelease: `helm`).
  const used = opts.verbose ? [...new Set(safe.kustomizations.flatMap((k) => (k.helmReleases ?? []).map((h) => h.helm).filter((h): h is string => h !== undefined)))] : [];
  // A failed Kustomization is said as an error line (exit.ts), in every format.
  const skipped = safe.kustomizations.filter((k) => !k.error && k.skipped).map((k) => `podo: Kustomization ${k.namespace}/${k.name} not evaluated: ${k.skipped}\n`);
  const summary = summaryInDocument ? [] : [...skipped, ...[formatNotEvaluated(countKustomizations(report)), formatFiltered(safe.filtered), formatShard(report.shard)].filter(Boolean).map((l) => `podo: ${l}\n`)];
  return {
    document,
    lines: [...notes, ...summary, ...(helmNote ? [`podo: note: ${helmNote}\n`] : []), ...used.map((h) => `podo: charts rendered with helm ${h}\n`)],
    safe,
  };
}
