// The format registry: every output format in one table. cli/ takes its --output choices and types
// from here; adding a format is one file plus one entry.
import type { DiffReport } from '../model/change.js';
import { colorizer } from './colorizer.js';
import { renderJson } from './json.js';
import { terminalSafeReport } from './escape-terminal.js';
import { renderMarkdown } from './markdown.js';
import { renderText } from './text.js';
import { renderUnified } from './unified.js';

export interface RenderOptions {
  color: boolean;
  verbose: boolean;
  /** One section per Kustomization (several of them, or --all). */
  grouped: boolean;
  /** Markdown: split the comment into parts of at most this many bytes (default GitHub's limit). */
  maxCommentBytes?: number;
  /** Unified and markdown: unchanged lines around each change (-U/--diff-context; default 3). */
  diffContext?: number;
  /** JSON: each changed object's before/after too (--with-objects), for `podo report merge`. */
  withObjects?: boolean;
}

export interface ReportFormat {
  description: string;
  render(report: DiffReport, opts: RenderOptions): string;
  /**
   * The document carries the Kustomizations' notes and the count of those not evaluated. When it does
   * not (a person reads text; `diff -u` tools read unified), cli/ prints them on stderr.
   */
  notesInDocument: boolean;
  summaryInDocument: boolean;
}

export const FORMATS = {
  text: {
    description: 'per-object changes, dyff-style (default)',
    // Text goes to a terminal: the report's strings get their control characters made visible first.
    render: (report, opts) => renderText(withoutNotes(terminalSafeReport(report)), { color: colorizer(opts.color), verbose: opts.verbose, grouped: opts.grouped }),
    notesInDocument: false,
    summaryInDocument: true,
  },
  json: { description: 'the structured report (docs/json-schema.md)', render: (report, opts) => renderJson(report, { objects: opts.withObjects }), notesInDocument: true, summaryInDocument: true },
  markdown: {
    description: 'a pull-request comment (split into parts past --max-comment-bytes)',
    render: (report, opts) => renderMarkdown(report, { maxBytes: opts.maxCommentBytes, context: opts.diffContext }),
    notesInDocument: true,
    summaryInDocument: true,
  },
  unified: { description: 'diff -u per object, as kubectl diff', render: (report, opts) => renderUnified(terminalSafeReport(report), opts.diffContext), notesInDocument: false, summaryInDocument: false },
} satisfies Record<string, ReportFormat>;

export type Format = keyof typeof FORMATS;
export const FORMAT_NAMES = Object.keys(FORMATS) as Format[];

export function render(report: DiffReport, format: Format, opts: RenderOptions): string {
  return FORMATS[format].render(report, opts);
}

/** A report filter (pure): the same report without the Kustomizations' notes. */
export function withoutNotes(report: DiffReport): DiffReport {
  return { ...report, kustomizations: report.kustomizations.map((k) => ({ ...k, notes: [] })) };
}
