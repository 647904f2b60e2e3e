// Markdown output (the pull-request comment): every string that came from the repository or the
// cluster is escaped for the place it lands in, so that a hostile kind, name, chart version, error
// message or value cannot forge podo's own structure. GitHub renders comments with cmark-gfm, then
// sanitizes the HTML and turns `@user` into a mention (a notification) and `#12` into a cross-reference
// (a timeline event on that issue) in every text node that is not code or a link; a Markdown backslash
// escape or an HTML entity does not stop those two, since they run on the rendered text.
// Pure.
import { controlEscape } from './escape-terminal.js';

/** Every C0/C1 control (tab and newline included), DEL, the line separators and the bidi controls. */
const CONTROLS = /[\u0000-\u001f\u007f-\u009f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g;
/** The same without tab and newline, for the lines of a code block. */
const CONTROLS_IN_BLOCK = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g;

/**
 * U+2060 WORD JOINER: invisible, and not a word character, so `@\u2060user` is no mention and
 * `#\u206012` no issue reference, while the text reads the same.
 */
const JOINER = '\u2060';

/** `@name` and `#123` (and `GH-123`-style `org/repo#1`) lose their autolinking. */
function defuseReferences(text: string): string {
  return text.replace(/([@#])(?=[A-Za-z0-9])/g, `$1${JOINER}`);
}

/**
 * One line of Markdown text: a paragraph, a list item, a heading, bold text or a table cell. Newlines
 * and other controls become visible escapes (a newline would start a heading, a list, a fence or a new
 * table row); the inline syntax (`\`, backticks, emphasis, links and images, strikethrough, headings'
 * closing `#`, table cells' `|`) is backslash-escaped; `<`, `>` and `&` become entities (no HTML, no
 * autolink, no entity of the string's own); mentions and issue references are defused.
 */
export function mdText(text: string): string {
  const escaped = text
    .replace(CONTROLS, controlEscape)
    .replace(/[\\`*_[\]~|#]/g, (ch) => `\\${ch}`)
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;');
  return defuseReferences(escaped);
}

/**
 * Text inside an HTML element such as `<summary>`: Markdown is not interpreted there (an HTML block
 * runs to the next blank line), so HTML is escaped, plus `|` (a table row would otherwise split on
 * it), link brackets and backticks, controls (a blank line ends the HTML block) and references.
 */
export function mdHtml(text: string): string {
  // References first: the entity `&#124;` must not be taken for one.
  return defuseReferences(text.replace(CONTROLS, controlEscape))
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/\|/g, '&#124;')
    // Not read as Markdown inside the HTML block; as entities all the same, should a renderer try.
    .replace(/\[/g, '&#91;')
    .replace(/\]/g, '&#93;')
    .replace(/`/g, '&#96;');
}

/**
 * An inline code span holding `text`: delimited by one backtick more than the longest run inside, with
 * padding when the text starts or ends with one (CommonMark code spans). Nothing inside is interpreted,
 * mentions included; newlines and controls are made visible. In a table cell `|` is escaped too (GFM
 * splits cells before it reads code spans, and takes `\|` back as `|` there).
 */
export function mdCode(text: string, inTable = false): string {
  const visible = text.replace(CONTROLS, controlEscape);
  const body = inTable ? visible.replace(/\|/g, '\\|') : visible;
  const longest = Math.max(0, ...(body.match(/`+/g) ?? []).map((run) => run.length));
  const fence = '`'.repeat(longest + 1);
  const pad = body.startsWith('`') || body.endsWith('`') || body === '' ? ' ' : '';
  return `${fence}${pad}${body}${pad}${fence}`;
}

/** A fence longer than any backtick run in the body, so the body cannot close it early. */
export function fenceFor(body: string): string {
  const longest = Math.max(0, ...(body.match(/`+/g) ?? []).map((run) => run.length));
  return '`'.repeat(Math.max(3, longest + 1));
}

/**
 * The body of a fenced code block: its lines are kept, other controls made visible (GitHub reads a
 * lone CR as a line end, and controls have no business in a comment). Pair with fenceFor.
 */
export function mdBlock(text: string): string {
  return text.replace(CONTROLS_IN_BLOCK, controlEscape);
}
