// The human report: flux diff's layout (`► Kind/ns/name action`, then dyff-style change blocks), with
// indentation, grouping per Kustomization and a summary. Pure: returns the text, prints nothing.
import { diffArrays } from 'diff';
import { countKustomizations, formatFiltered, formatNotEvaluated, formatShard, summarize } from '../model/summary.js';
import type { DiffReport, FieldChange, KustomizationDiff, ResourceChange } from '../model/change.js';
import type { JsonValue } from '../model/object.js';
import { subjectOf, typeName } from '../model/object.js';
import type { Colorizer } from './colorizer.js';
import { countOf, describeResource, formatPath, formatSummary, yamlLines } from './format.js';
import { helmSections, helmTitle, type HelmSection } from './helm.js';

export interface TextOptions {
  color: Colorizer;
  /** Also print the content of created objects. */
  verbose: boolean;
  /** One section per Kustomization with its own summary, then a total. */
  grouped: boolean;
}

/** Unchanged lines kept around each change in a multi-line text diff; longer unchanged runs are elided. */
const TEXT_CONTEXT = 3;

export function renderText(report: DiffReport, opts: TextOptions): string {
  const out = new Lines();
  const c = opts.color;
  for (const k of report.kustomizations) {
    if (opts.grouped) out.blank().push(kustomizationHeader(k, c)).blank();
    else if (k.skipped || k.error) out.push(kustomizationProblem(k, c));
    const { own, sections } = helmSections(k);
    for (const r of own) renderResource(r, opts, out);
    for (const s of sections) renderHelmSection(s, opts, out);
    if (opts.grouped && !k.skipped && !k.error) out.blank().push(formatSummary(summarize(k.resources)));
  }
  const total = formatSummary(summarize(report.kustomizations.flatMap((k) => k.resources)));
  out.blank().push(opts.grouped ? `Total: ${total}` : total);
  if (opts.grouped) out.push(kustomizationCount(report));
  else {
    // Nothing silent: whatever was not evaluated is counted under the total too.
    const notEvaluated = formatNotEvaluated(countKustomizations(report));
    if (notEvaluated) out.push(notEvaluated);
  }
  const helm = helmCount(report);
  if (helm) out.push(helm);
  const filtered = formatFiltered(report.filtered);
  if (filtered) out.push(filtered);
  const shard = formatShard(report.shard);
  if (shard) out.push(shard);
  renderWarningsAndNotes(report, opts, out);
  return out.text();
}

/** A HelmRelease's chart objects under one header; a chart that was not rendered says why. */
function renderHelmSection(s: HelmSection, opts: TextOptions, out: Lines): void {
  const c = opts.color;
  if (s.release.notRendered) {
    out.push(c.bold(c.warn(`⎈ ${helmTitle(s)} not rendered: ${s.release.notRendered}`)));
    return;
  }
  const shown = s.resources.filter((r) => r.action !== 'unchanged');
  if (shown.length === 0) return;
  out.blank().push(c.header(`⎈ ${helmTitle(s)}`));
  for (const r of shown) renderResource(r, opts, out);
}

/** `HelmReleases: 3 (1 not rendered)`, when the run has any. */
function helmCount(report: DiffReport): string | undefined {
  const all = report.kustomizations.flatMap((k) => (k.helmReleases ?? []).filter((h) => !h.removed));
  if (all.length === 0) return undefined;
  const missing = all.filter((h) => h.notRendered).length;
  return `HelmReleases: ${all.length}${missing > 0 ? ` (${missing} not rendered)` : ''}`;
}

function kustomizationHeader(k: KustomizationDiff, c: Colorizer): string {
  // A run over several clusters names each Kustomization's cluster: the same name can be in each.
  const title = `━━ Kustomization ${k.namespace}/${k.name}${k.cluster ? ` (cluster ${k.cluster})` : ''}`;
  if (k.error) return c.header(title) + c.error(` failed: ${k.error}`);
  if (k.skipped) return c.header(title) + c.dim(` skipped: ${k.skipped}`);
  return c.header(title);
}

/** Without grouping, a skipped or failed Kustomization still has to be visible. */
function kustomizationProblem(k: KustomizationDiff, c: Colorizer): string {
  const subject = `Kustomization ${k.namespace}/${k.name}${k.cluster ? ` (cluster ${k.cluster})` : ''}`;
  if (k.error) return c.bold(c.error(`✗ ${subject} failed: ${k.error}`));
  return c.bold(c.dim(`► ${subject} skipped: ${k.skipped}`));
}

/** `Kustomizations: 3 (1 not evaluated: 1 source not mapped; 1 failed)`. */
function kustomizationCount(report: DiffReport): string {
  const k = countKustomizations(report);
  const why = Object.entries(k.notEvaluatedBy).map(([cause, n]) => `${n} ${cause}`);
  const problems = [k.notEvaluated > 0 ? `${k.notEvaluated} not evaluated: ${why.join(', ')}` : '', k.failed > 0 ? `${k.failed} failed` : ''].filter(Boolean);
  return `Kustomizations: ${k.total}${problems.length > 0 ? ` (${problems.join('; ')})` : ''}`;
}

function renderResource(r: ResourceChange, opts: TextOptions, out: Lines): void {
  const c = opts.color;
  switch (r.action) {
    case 'unchanged':
      return;
    case 'failed':
      out.push(c.bold(c.error(`✗ ${describeResource(r)}`)));
      return;
    case 'created':
      out.push(c.bold(c.added(`► ${describeResource(r)}`)));
      if (opts.verbose && r.after) {
        out.push(...yamlLines(r.after).map((line) => `  ${c.added(line)}`)).blank();
      }
      return;
    case 'deleted':
      out.push(c.bold(c.removed(`► ${describeResource(r)}`)));
      return;
    case 'skipped':
      out.push(c.bold(c.dim(`► ${describeResource(r)}`)));
      return;
    case 'drifted':
    case 'replaced':
      out.push(c.bold(c.modified(`► ${describeResource(r)}`)));
      renderChanges(r.changes, c, out);
      return;
  }
}

/** Change blocks separated by blank lines; consecutive changes at the same path share one path line. */
function renderChanges(changes: FieldChange[], c: Colorizer, out: Lines): void {
  let previousPath: string | undefined;
  for (const change of changes) {
    const path = formatPath(change.path);
    if (path !== previousPath) out.blank().push(c.bold(path));
    // The first line names the change (`± value change`), the lines below it show the values.
    out.push(...renderChange(change, c).map((line, i) => (i === 0 ? `  ${line}` : `    ${line}`)));
    previousPath = path;
  }
  out.blank();
}

function renderChange(change: FieldChange, c: Colorizer): string[] {
  const { from = null, to = null } = change;
  switch (change.kind) {
    case 'modify':
      if (typeof from === 'string' && typeof to === 'string' && (from.includes('\n') || to.includes('\n'))) {
        return multilineChange(from, to, c);
      }
      return [c.modified('± value change'), ...signed('-', from, c, false), ...signed('+', to, c, false)];
    case 'type':
      return [
        c.modified(`± type change from ${typeName(from)} to ${typeName(to)}`),
        ...signed('-', from, c, true),
        ...signed('+', to, c, true),
      ];
    case 'add':
      return [c.added(`+ ${entriesOf(to)} added:`), ...yamlLines(to).map((line) => c.added(line))];
    case 'remove':
      return [c.removed(`- ${entriesOf(from)} removed:`), ...yamlLines(from).map((line) => c.removed(line))];
    case 'order':
      return [c.modified('⇆ order changed'), ...orderLines('-', from, c), ...orderLines('+', to, c)];
  }
}

function entriesOf(v: JsonValue): string {
  if (Array.isArray(v)) return countOf(v.length, 'list entry', 'list entries');
  const n = v !== null && typeof v === 'object' ? Object.keys(v).length : 1;
  return countOf(n, 'map entry', 'map entries');
}

/**
 * `- value` / `+ value`. Structures as YAML with continuation lines under the value. In a type change
 * strings are quoted, so `"9898"` and `9898` can be told apart.
 */
function signed(sign: '-' | '+', value: JsonValue, c: Colorizer, quoteStrings: boolean): string[] {
  const paint = sign === '-' ? c.removed : c.added;
  const lines = isScalar(value) ? scalarText(value, quoteStrings).split('\n') : yamlLines(value);
  return lines.map((line, i) => (i === 0 ? paint(`${sign} ${line}`) : `  ${paint(line)}`));
}

function orderLines(sign: '-' | '+', value: JsonValue, c: Colorizer): string[] {
  if (Array.isArray(value) && value.every(isScalar)) {
    const paint = sign === '-' ? c.removed : c.added;
    return [paint(`${sign} ${value.map((v) => scalarText(v, false)).join(', ')}`)];
  }
  return signed(sign, value, c, false);
}

function isScalar(v: JsonValue): v is string | number | boolean | null {
  return v === null || typeof v !== 'object';
}

/** Strings bare like dyff, unless quoting is asked for or the string would be invisible or ambiguous. */
function scalarText(v: string | number | boolean | null, quoteStrings: boolean): string {
  if (typeof v !== 'string') return String(v);
  if (quoteStrings || v === '' || v.trim() !== v) return JSON.stringify(v);
  return v;
}

type LineOp = { op: ' ' | '-' | '+'; text: string };

/** A line diff of two texts; unchanged lines dimmed, unchanged runs beyond the context elided. */
function multilineChange(from: string, to: string, c: Colorizer): string[] {
  const ops: LineOp[] = [];
  for (const part of diffArrays(textLines(from, to), textLines(to, from))) {
    const op = part.added ? '+' : part.removed ? '-' : ' ';
    for (const text of part.value) ops.push({ op, text });
  }
  const inserts = ops.filter((o) => o.op === '+').length;
  const deletions = ops.filter((o) => o.op === '-').length;
  const counts = [
    inserts > 0 ? countOf(inserts, 'insert', 'inserts') : '',
    deletions > 0 ? countOf(deletions, 'deletion', 'deletions') : '',
  ].filter(Boolean);
  const lines = [c.modified(`± value change in multiline text (${counts.join(', ')})`)];
  for (const item of elide(ops)) {
    if (typeof item === 'number') lines.push(c.dim(`… ${countOf(item, 'unchanged line', 'unchanged lines')}`));
    else if (item.op === '-') lines.push(c.removed(`- ${item.text}`));
    else if (item.op === '+') lines.push(c.added(`+ ${item.text}`));
    else lines.push(`  ${c.dim(item.text)}`);
  }
  return lines;
}

/** Lines of a text; the final newline is not a line of its own unless only one side has it. */
function textLines(text: string, other: string): string[] {
  const lines = text.split('\n');
  if (text.endsWith('\n') && other.endsWith('\n')) lines.pop();
  return lines;
}

/** Keeps changed lines and their context; a longer run of unchanged lines becomes its count. */
function elide(ops: LineOp[]): Array<LineOp | number> {
  const changed = ops.map((o, i) => (o.op === ' ' ? -1 : i)).filter((i) => i >= 0);
  const keep = ops.map((_, i) => changed.some((j) => Math.abs(i - j) <= TEXT_CONTEXT));
  const result: Array<LineOp | number> = [];
  for (let i = 0; i < ops.length; ) {
    if (keep[i]) {
      result.push(ops[i++]);
      continue;
    }
    let end = i;
    while (end < ops.length && !keep[end]) end++;
    // Eliding a single line would not save a line.
    if (end - i === 1) result.push(ops[i]);
    else result.push(end - i);
    i = end;
  }
  return result;
}

function renderWarningsAndNotes(report: DiffReport, opts: TextOptions, out: Lines): void {
  const c = opts.color;
  const warnings = report.kustomizations.flatMap((k) => k.warnings);
  if (warnings.length > 0) out.blank();
  for (const w of warnings) out.push(c.warn(`⚠ ${subjectOf(w.ref)} container ${w.container}: ${w.message}`));
  const notes = report.kustomizations.flatMap((k) =>
    k.notes.map((note) => (opts.grouped ? `${k.namespace}/${k.name}: ${note}` : note)),
  );
  if (notes.length > 0) out.blank();
  for (const note of notes) out.push(c.dim(`ℹ ${note}`));
}

/** Collects output lines; keeps blank lines single and the text free of trailing whitespace. */
class Lines {
  private readonly lines: string[] = [];

  push(...lines: string[]): this {
    this.lines.push(...lines);
    return this;
  }

  /** A separating blank line: never at the start, never two in a row. */
  blank(): this {
    if (this.lines.length > 0 && this.lines[this.lines.length - 1] !== '') this.lines.push('');
    return this;
  }

  text(): string {
    while (this.lines.length > 0 && this.lines[this.lines.length - 1] === '') this.lines.pop();
    return this.lines.map((line) => line.replace(/[ \t]+$/, '')).join('\n') + '\n';
  }
}
