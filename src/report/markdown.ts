// A pull-request comment a reviewer reads in ten seconds: the counts, one table with a row per
// Kustomization and HelmRelease that changes, the images that change and what needs attention; then
// per Kustomization one collapsible unified diff per changed object. GitHub rejects comments over
// 65,536 characters: past --max-comment-bytes the comment is split into parts (`part k/N`), each a
// comment of its own, instead of leaving objects out. Every string from the repository or the cluster
// is escaped where it is placed (escape-markdown.ts).
import { countKustomizations, formatFiltered, formatNotEvaluated, formatShard, summarize } from '../model/summary.js';
import type { Action, DiffReport, KustomizationDiff, ResourceChange } from '../model/change.js';
import { subjectOf } from '../model/object.js';
import { describeResource, formatSummary, isChange, resourceYaml, unifiedHunks } from './format.js';
import { helmSections, helmTitle, notRenderedNote } from './helm.js';
import { fenceFor, mdBlock, mdCode, mdHtml, mdText } from './escape-markdown.js';
import { attentionItems, imageChanges, summaryRows, type AttentionKind } from './review.js';

export { fenceFor } from './escape-markdown.js';

/** GitHub's limit for a comment body (65,536 characters; counted here in UTF-8 bytes, never fewer). */
export const DEFAULT_MAX_COMMENT_BYTES = 65_536;
/** Below this a part could not hold its own header and a table row: --max-comment-bytes is refused. */
export const MIN_COMMENT_BYTES = 1024;

const ACTIONS: Action[] = ['created', 'drifted', 'replaced', 'deleted', 'skipped', 'failed', 'unchanged'];
/** The columns of the summary table: what changes the cluster, and what failed. */
const ROW_ACTIONS: Action[] = ['created', 'drifted', 'replaced', 'deleted', 'failed'];

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

const ATTENTION_ICONS: Record<AttentionKind, string> = {
  deleted: '🗑️',
  replaced: '♻️',
  rbac: '🔑',
  flux: '🔀',
  'chart-major': '⬆️',
};

/**
 * A hidden line that marks podo's comment, so CI can find it again and update it (scripts/action/comment.mjs)
 * instead of adding one comment per push. Every part of a split comment starts with it.
 */
export const COMMENT_MARKER = '<!-- podo-diff -->';

/** The second line of each part of a split comment: which part, of how many (read by the Action). */
export function partMarker(k: number, n: number): string {
  return `<!-- podo-diff-part ${k}/${n} -->`;
}

/**
 * The comment is a sequence of blocks, joined by a blank line (`tight`: by a newline, as list items
 * and table rows). A part of a split comment starts at a block boundary.
 */
interface Block {
  text: string;
  tight?: boolean;
  /** A table row: when a part starts with it, the table's header goes first. */
  tableHeader?: string;
  /** A shorter version within `maxBytes`, for a block that does not fit in a part on its own. */
  cut?: (maxBytes: number) => string;
}

export interface MarkdownOptions {
  /** Split into parts of at most this many bytes each (default GitHub's limit). */
  maxBytes?: number;
  /** Unchanged lines around each change in the diffs (-U/--diff-context; default 3). */
  context?: number;
}

/**
 * The comment; a split comment is its parts one after the other, separated by a blank line, each
 * starting with COMMENT_MARKER and its part marker on a line of their own (no escaped string can start a
 * line with `<`): the Action splits there.
 */
export function renderMarkdown(report: DiffReport, opts: MarkdownOptions = {}): string {
  return markdownParts(report, opts).join('\n');
}

/** The comment as parts of at most `maxBytes` bytes each; one part when it fits. */
export function markdownParts(report: DiffReport, opts: MarkdownOptions = {}): string[] {
  const blocks = [...overviewBlocks(report), ...report.kustomizations.flatMap((k) => kustomizationBlocks(k, opts.context))];
  return paginate(blocks, heading(report), Math.max(MIN_COMMENT_BYTES, opts.maxBytes ?? DEFAULT_MAX_COMMENT_BYTES));
}

function overviewBlocks(report: DiffReport): Block[] {
  const all = report.kustomizations.flatMap((k) => k.resources);
  const counts = countKustomizations(report);
  // The headline says what was not seen: failed Kustomizations as well as those not evaluated.
  const failed = counts.failed > 0 ? `${counts.failed} Kustomization${counts.failed === 1 ? '' : 's'} failed` : '';
  const notEvaluated = [failed, formatNotEvaluated(counts)].filter((x) => x !== '').join('; ');
  const blocks: Block[] = [{ text: `${formatSummary(summarize(all))}${notEvaluated ? `\n\n**${mdText(notEvaluated)}**` : ''}` }];
  const helm = notRenderedNote(report);
  if (helm) blocks.push({ text: `ℹ ${mdText(helm)}` });
  const filtered = formatFiltered(report.filtered);
  if (filtered) blocks.push({ text: `ℹ ${mdText(filtered)}` });
  const shard = formatShard(report.shard);
  if (shard) blocks.push({ text: `ℹ ${mdText(shard)}` });
  blocks.push(...summaryTable(report), ...imageTable(report), ...attentionList(report));
  return blocks;
}

/** One row per cluster × Kustomization (its own objects) and HelmRelease that changes or failed. */
function summaryTable(report: DiffReport): Block[] {
  const rows = summaryRows(report);
  if (rows.length === 0) return [];
  const clusters = rows.some((r) => r.cluster !== undefined);
  const header = [
    `| ${clusters ? 'Cluster | ' : ''}Kustomization | ${ROW_ACTIONS.map((a) => `${ACTION_ICONS[a]} ${a}`).join(' | ')} |`,
    `| ${clusters ? '--- | ' : ''}--- | ${ROW_ACTIONS.map(() => '---:').join(' | ')} |`,
  ].join('\n');
  return rows.map((r, i) => {
    const who = `${mdText(r.kustomization)}${r.helmRelease ? ` ⎈ ${mdText(r.helmRelease)}` : ''}`;
    const counts = r.failed ? ROW_ACTIONS.map((a) => (a === 'failed' ? 'Kustomization failed' : '')) : ROW_ACTIONS.map((a) => String(r.counts[a]));
    const row = `| ${clusters ? `${mdText(r.cluster ?? '')} | ` : ''}${who} | ${counts.join(' | ')} |`;
    return row0(row, header, i);
  });
}

/** A table row block: the first carries the header, the others follow it line by line. */
function row0(row: string, header: string, i: number): Block {
  return i === 0 ? { text: `${header}\n${row}` } : { text: row, tight: true, tableHeader: header };
}

/** `**Image changes**` and a row per container whose image changes. */
function imageTable(report: DiffReport): Block[] {
  const changes = imageChanges(report);
  if (changes.length === 0) return [];
  const header = '| Workload | Container | Image |\n| --- | --- | --- |';
  const image = (v: string | undefined, missing: string) => (v === undefined ? missing : mdCode(v, true));
  return [
    { text: '**Image changes**' },
    ...changes.map((c, i) => row0(`| ${mdText(subjectOf(c.ref))} | ${mdText(c.container)} | ${image(c.from, '(new)')} → ${image(c.to, '(removed)')} |`, header, i)),
  ];
}

/** `**⚠️ Needs attention**` and an item per risky change. */
function attentionList(report: DiffReport): Block[] {
  const items = attentionItems(report);
  if (items.length === 0) return [];
  return [
    { text: '**⚠️ Needs attention**' },
    ...items.map((item, i) => ({ text: `- ${ATTENTION_ICONS[item.kind]} ${mdText(subjectOf(item.ref))}: ${mdText(item.detail)}`, tight: i > 0 })),
  ];
}

function kustomizationBlocks(k: KustomizationDiff, context: number | undefined): Block[] {
  const blocks: Block[] = [{ text: `### Kustomization ${mdText(`${k.cluster !== undefined ? `${k.cluster}: ` : ''}${k.namespace}/${k.name}`)}` }];
  if (k.error) blocks.push({ text: `**Failed:** ${mdText(k.error)}` });
  if (k.skipped) blocks.push({ text: `**Not evaluated${k.skipCause ? ` (${mdText(k.skipCause)})` : ''}:** ${mdText(k.skipped)}` });
  const table = countTable(k.resources);
  if (table) blocks.push({ text: table });
  else if (!k.error && !k.skipped) blocks.push({ text: 'No resources.' });
  const { own, sections } = helmSections(k);
  blocks.push(...resourceBlocks(own, context));
  for (const s of sections) {
    if (s.release.notRendered) {
      blocks.push({ text: `#### ⎈ ${mdText(helmTitle(s))}\n\n**Not rendered:** ${mdText(s.release.notRendered)}` });
      continue;
    }
    const shown = resourceBlocks(s.resources, context);
    if (shown.length === 0) continue;
    blocks.push({ text: `#### ⎈ ${mdText(helmTitle(s))}` }, ...shown);
  }
  if (k.warnings.length > 0) {
    const items = k.warnings.map((w) => `- ⚠ ${mdText(`${subjectOf(w.ref)} container ${w.container}: ${w.message}`)}`);
    blocks.push({ text: '**Warnings**' }, ...items.map((text, i) => ({ text, tight: i > 0 })));
  }
  if (k.notes.length > 0) {
    blocks.push({ text: '**Notes**' }, ...k.notes.map((n, i) => ({ text: `- ℹ ${mdText(n)}`, tight: i > 0 })));
  }
  return blocks;
}

/** `podo diff against origin/main` or `podo diff against cluster context prod`. */
function heading(report: DiffReport): string {
  const t = report.target;
  if (!t) return 'podo diff';
  return 'baseRef' in t ? `podo diff against ${mdCode(t.baseRef)}` : `podo diff against cluster context ${mdCode(t.context)}`;
}

/** Changed resources as collapsible diffs, then skipped and failed ones as a list. */
function resourceBlocks(resources: ResourceChange[], context: number | undefined): Block[] {
  const blocks: Block[] = resources.filter(isChange).map((r) => detailsBlock(r, context));
  const others = resources.filter((r) => r.action === 'skipped' || r.action === 'failed');
  others.forEach((r, i) => {
    const mark = r.action === 'failed' ? '✗' : '►';
    blocks.push({ text: `- ${mark} ${mdText(describeResource(r))}`, tight: i > 0 });
  });
  return blocks;
}

/** `| Action | Count |` with a row per action that occurs; undefined for a Kustomization without resources. */
function countTable(resources: ResourceChange[]): string | undefined {
  const summary = summarize(resources);
  const rows = ACTIONS.filter((a) => summary[a] > 0).map((a) => `| ${ACTION_ICONS[a]} ${a} | ${summary[a]} |`);
  if (rows.length === 0) return undefined;
  return ['| Action | Count |', '| --- | ---: |', ...rows].join('\n');
}

function detailsBlock(r: ResourceChange, context: number | undefined): Block {
  const { before, after } = resourceYaml(r);
  const lines = unifiedHunks(before, after, context).map(mdBlock);
  const render = (shown: number): string => {
    const kept = lines.slice(0, shown);
    if (shown < lines.length) kept.push(`# … ${lines.length - shown} more lines: run podo locally for this object's full diff`);
    const body = kept.length > 0 ? kept.join('\n') : '(no content to compare)';
    const fence = fenceFor(body);
    return [`<details><summary>${mdHtml(describeResource(r))}</summary>`, '', `${fence}diff`, body, fence, '', '</details>'].join('\n');
  };
  return {
    text: render(lines.length),
    // One object's diff larger than a whole comment: as many of its lines as fit, and a line that says so.
    cut: (maxBytes) => {
      let lo = 0;
      let hi = lines.length;
      while (lo < hi) {
        const mid = Math.ceil((lo + hi) / 2);
        if (bytes(render(mid)) <= maxBytes) lo = mid;
        else hi = mid - 1;
      }
      return render(lo);
    },
  };
}

function bytes(text: string): number {
  return Buffer.byteLength(text, 'utf8');
}

function partHeader(title: string, k: number, n: number): string {
  return n === 1 ? `${COMMENT_MARKER}\n## ${title}` : `${COMMENT_MARKER}\n${partMarker(k, n)}\n## ${title} (part ${k}/${n})`;
}

/**
 * Packs the blocks into parts of at most `maxBytes` bytes each, in order, breaking only between blocks:
 * a part is full when the next block would not fit. A table continued in the next part repeats its
 * header. A block too large for any part on its own is cut (only a single object's diff can be).
 */
function paginate(blocks: Block[], title: string, maxBytes: number): string[] {
  // The longest header any part can have (four-digit part numbers), and the final newline.
  const budget = maxBytes - bytes(partHeader(title, 9999, 9999)) - 1;
  const parts: string[] = [];
  let body = '';
  let used = 0;
  for (const b of blocks) {
    let sep = body === '' ? '\n\n' : b.tight ? '\n' : '\n\n';
    let text = b.text;
    if (body !== '' && used + bytes(sep) + bytes(text) > budget) {
      parts.push(body);
      body = '';
      used = 0;
      sep = '\n\n';
    }
    if (body === '' && b.tight && b.tableHeader) text = `${b.tableHeader}\n${text}`;
    const room = budget - bytes(sep);
    if (bytes(text) > room) text = b.cut ? b.cut(room) : cutText(text, room);
    body += sep + text;
    used += bytes(sep) + bytes(text);
  }
  if (body !== '' || parts.length === 0) parts.push(body);
  return parts.map((p, i) => `${partHeader(title, i + 1, parts.length)}${p}\n`);
}

/** A text block (a note, a message) longer than a part: its first bytes, on a character boundary, and `…`. */
function cutText(text: string, maxBytes: number): string {
  let out = '';
  let used = bytes('…');
  for (const ch of text) {
    const n = bytes(ch);
    if (used + n > maxBytes) break;
    out += ch;
    used += n;
  }
  return `${out}…`;
}
