// A pull-request comment: counts per Kustomization, then one collapsible unified diff per changed object.
// GitHub rejects comments over 65,536 characters, so the comment is cut at a resource boundary below that.
import { countKustomizations, formatNotEvaluated, summarize } from '../model/summary.js';
import type { Action, DiffReport, KustomizationDiff, ResourceChange } from '../model/change.js';
import { subjectOf } from '../model/object.js';
import { describeResource, formatSummary, isChange, resourceYaml, unifiedHunks } from './format.js';
import { helmSections, helmTitle, notRenderedNote } from './helm.js';

/** Below GitHub's 65,536-character limit, leaving room for whatever a CI step wraps around the comment. */
export const MARKDOWN_COMMENT_LIMIT = 65_000;

const ACTIONS: Action[] = ['created', 'drifted', 'replaced', 'deleted', 'skipped', 'failed', 'unchanged'];

/** An icon per action, next to the word, so the summary table reads at a glance. */
export const ACTION_ICONS: Record<Action, string> = {
  created: '🟢',
  drifted: '🟡',
  replaced: '🟠',
  deleted: '🔴',
  skipped: '⏭️',
  failed: '❌',
  unchanged: '⚪',
};

/**
 * A hidden line that marks podo's comment, so CI can find it again and update it (scripts/action/comment.mjs)
 * instead of adding one comment per push.
 */
export const COMMENT_MARKER = '<!-- podo-diff -->';

/** The comment is a sequence of parts; only resource parts may be left out to respect the limit. */
interface Part {
  text: string;
  resource: boolean;
  /** Continues the previous part on the next line (list items), instead of after a blank line. */
  tight?: boolean;
}

export function renderMarkdown(report: DiffReport, limit: number = MARKDOWN_COMMENT_LIMIT): string {
  const all = report.kustomizations.flatMap((k) => k.resources);
  const notEvaluated = formatNotEvaluated(countKustomizations(report));
  const parts: Part[] = [fixed(`${COMMENT_MARKER}\n## ${heading(report)}\n\n${formatSummary(summarize(all))}${notEvaluated ? `\n\n**${escapeText(notEvaluated)}**` : ''}`)];
  const helm = notRenderedNote(report);
  if (helm) parts.push(fixed(`ℹ ${escapeText(helm)}`));
  for (const k of report.kustomizations) parts.push(...kustomizationParts(k));
  return assemble(parts, limit);
}

function kustomizationParts(k: KustomizationDiff): Part[] {
  const parts = [fixed(`### Kustomization ${escapeText(`${k.namespace}/${k.name}`)}`)];
  if (k.error) parts.push(fixed(`**Failed:** ${escapeText(k.error)}`));
  if (k.skipped) parts.push(fixed(`**Not evaluated${k.skipCause ? ` (${k.skipCause})` : ''}:** ${escapeText(k.skipped)}`));
  const table = countTable(k.resources);
  if (table) parts.push(fixed(table));
  else if (!k.error && !k.skipped) parts.push(fixed('No resources.'));
  const { own, sections } = helmSections(k);
  parts.push(...resourceParts(own));
  for (const s of sections) {
    if (s.release.notRendered) {
      parts.push(fixed(`#### ⎈ ${escapeText(helmTitle(s))}\n\n**Not rendered:** ${escapeText(s.release.notRendered)}`));
      continue;
    }
    const shown = resourceParts(s.resources);
    if (shown.length === 0) continue;
    parts.push(fixed(`#### ⎈ ${escapeText(helmTitle(s))}`), ...shown);
  }
  if (k.warnings.length > 0) {
    const items = k.warnings.map((w) => `- ⚠ ${escapeText(`${subjectOf(w.ref)} container ${w.container}: ${w.message}`)}`);
    parts.push(fixed(`**Warnings**\n\n${items.join('\n')}`));
  }
  if (k.notes.length > 0) {
    parts.push(fixed(`**Notes**\n\n${k.notes.map((n) => `- ℹ ${escapeText(n)}`).join('\n')}`));
  }
  return parts;
}

/** `podo diff against origin/main` or `podo diff against cluster context prod`. */
function heading(report: DiffReport): string {
  const t = report.target;
  if (!t) return 'podo diff';
  return 'baseRef' in t ? `podo diff against \`${escapeCode(t.baseRef)}\`` : `podo diff against cluster context \`${escapeCode(t.context)}\``;
}

/** Inside an inline code span nothing is escaped; a backtick would end it. */
function escapeCode(text: string): string {
  return text.replace(/`/g, "'").replace(/\n/g, ' ');
}

/** Changed resources as collapsible diffs, then skipped and failed ones as a list. */
function resourceParts(resources: ResourceChange[]): Part[] {
  const parts: Part[] = resources.filter(isChange).map((r) => ({ text: detailsBlock(r), resource: true }));
  const others = resources.filter((r) => r.action === 'skipped' || r.action === 'failed');
  others.forEach((r, i) => {
    const mark = r.action === 'failed' ? '✗' : '►';
    parts.push({ text: `- ${mark} ${escapeText(describeResource(r))}`, resource: true, tight: i > 0 });
  });
  return parts;
}

function fixed(text: string): Part {
  return { text, resource: false };
}

/** `| Action | Count |` with a row per action that occurs; undefined for a Kustomization without resources. */
function countTable(resources: ResourceChange[]): string | undefined {
  const summary = summarize(resources);
  const rows = ACTIONS.filter((a) => summary[a] > 0).map((a) => `| ${ACTION_ICONS[a]} ${a} | ${summary[a]} |`);
  if (rows.length === 0) return undefined;
  return ['| Action | Count |', '| --- | ---: |', ...rows].join('\n');
}

function detailsBlock(r: ResourceChange): string {
  const { before, after } = resourceYaml(r);
  const hunks = unifiedHunks(before, after);
  const body = hunks.length > 0 ? hunks.join('\n') : '(no content to compare)';
  const fence = fenceFor(body);
  return [
    `<details><summary>${escapeHtml(describeResource(r))}</summary>`,
    '',
    `${fence}diff`,
    body,
    fence,
    '',
    '</details>',
  ].join('\n');
}

/** A fence longer than any backtick run in the body, so the body cannot close it early. */
export function fenceFor(body: string): string {
  const longest = Math.max(0, ...(body.match(/`+/g) ?? []).map((run) => run.length));
  return '`'.repeat(Math.max(3, longest + 1));
}

/**
 * Joins the parts, keeping resource parts only while they fit: the first one that does not fit and all
 * resource parts after it are left out (so what is shown is a prefix), and a note says how many.
 */
function assemble(parts: Part[], limit: number): string {
  const separator = '\n\n';
  // Sizes count the longer separator for every part, so the estimate never undercounts.
  const fixedSize = parts.filter((p) => !p.resource).reduce((n, p) => n + p.text.length + separator.length, 0);
  const resourceCount = parts.filter((p) => p.resource).length;
  const budget = limit - fixedSize - truncationNote(resourceCount, limit).length - separator.length - 1;
  let used = 0;
  let leftOut = 0;
  let out = '';
  for (const p of parts) {
    if (p.resource && (leftOut > 0 || used + p.text.length + separator.length > budget)) {
      leftOut++;
      continue;
    }
    if (p.resource) used += p.text.length + separator.length;
    out += (out === '' ? '' : p.tight ? '\n' : separator) + p.text;
  }
  if (leftOut > 0) out += separator + truncationNote(leftOut, limit);
  return out + '\n';
}

function truncationNote(leftOut: number, limit: number): string {
  const what = leftOut === 1 ? '1 resource was' : `${leftOut} resources were`;
  // Thousands separators by hand: toLocaleString depends on the ICU data Node was built with.
  const chars = String(limit).replace(/\B(?=(\d{3})+$)/g, ',');
  return `> [!NOTE]\n> ${what} left out to keep this comment under ${chars} characters. Run podo locally for the full diff.`;
}

/** For HTML contexts such as `<summary>`, where Markdown backslash escapes are not interpreted. */
function escapeHtml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/\|/g, '&#124;');
}

/** For Markdown text and table cells: no raw HTML, no column breaks. */
function escapeText(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/\|/g, '\\|');
}
