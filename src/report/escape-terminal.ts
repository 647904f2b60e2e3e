// Terminal output (text, unified, stderr lines): every string that came from the repository or the
// cluster (names, kinds, reasons, notes, chart metadata, keys and values) may hold control characters.
// On a terminal ESC and the C1 controls start escape sequences (colors, cursor moves, OSC 8 links,
// window titles, clipboard writes), CR overwrites the line already printed and the Unicode bidi
// controls reorder what is shown (Trojan Source). They are printed as visible escapes instead, so a
// hostile name can neither drive the terminal nor forge a line of podo's own. Pure.
import type { DiffReport, FieldChange, HelmReleaseReport, ImageWarning, KustomizationDiff, ResourceChange } from '../model/change.js';
import type { JsonValue, KubeObject, ObjectRef } from '../model/object.js';
import { isJsonObject } from '../model/object.js';

/**
 * C0 controls (but tab), DEL, C1 controls, the line and paragraph separators and the bidi controls
 * (LRM/RLM/ALM, embeddings, overrides and isolates).
 */
const CONTROLS = /[\u0000-\u0008\u000a-\u001f\u007f-\u009f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g;
/** The same without the newline: multi-line values keep their lines (each printed behind podo's own prefix). */
const CONTROLS_BUT_NEWLINE = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g;

const NAMED: Record<string, string> = { '\n': '\\n', '\r': '\\r', '\u001b': '\\e' };

/** `\e`, `\r`, `\n`, `\x07`, `\u009b`, `\u202e`: what a control character is shown as. */
export function controlEscape(ch: string): string {
  const named = NAMED[ch];
  if (named) return named;
  const code = ch.charCodeAt(0);
  return code < 0x80 ? `\\x${code.toString(16).padStart(2, '0')}` : `\\u${code.toString(16).padStart(4, '0')}`;
}

/** One line of text: every control character, the newline included, made visible. */
export function terminalLine(text: string): string {
  return text.replace(CONTROLS, controlEscape);
}

/** Text whose lines podo prints one by one (values, whole messages): newlines are kept, nothing else. */
export function terminalLines(text: string): string {
  return text.replace(CONTROLS_BUT_NEWLINE, controlEscape);
}

/**
 * The report with every string made safe for a terminal: names, kinds, reasons, notes, chart metadata
 * and map keys as one line; string values keep their newlines (the text report shows them line by line).
 */
export function terminalSafeReport(report: DiffReport): DiffReport {
  return {
    ...report,
    kustomizations: report.kustomizations.map(safeKustomization),
    ...(report.target ? { target: 'baseRef' in report.target ? { baseRef: terminalLine(report.target.baseRef) } : { context: terminalLine(report.target.context) } } : {}),
    ...(report.filtered ? { filtered: { ...report.filtered, filters: report.filtered.filters.map(terminalLine) } } : {}),
  };
}

function safeKustomization(k: KustomizationDiff): KustomizationDiff {
  return {
    ...k,
    name: terminalLine(k.name),
    namespace: terminalLine(k.namespace),
    ...(k.cluster !== undefined ? { cluster: terminalLine(k.cluster) } : {}),
    ...(k.skipped !== undefined ? { skipped: terminalLine(k.skipped) } : {}),
    ...(k.error !== undefined ? { error: terminalLine(k.error) } : {}),
    resources: k.resources.map(safeResource),
    warnings: k.warnings.map(safeWarning),
    notes: k.notes.map(terminalLine),
    ...(k.helmReleases ? { helmReleases: k.helmReleases.map(safeHelmRelease) } : {}),
  };
}

function safeRef(ref: ObjectRef): ObjectRef {
  return {
    apiVersion: terminalLine(ref.apiVersion),
    kind: terminalLine(ref.kind),
    ...(ref.namespace !== undefined ? { namespace: terminalLine(ref.namespace) } : {}),
    name: terminalLine(ref.name),
  };
}

function safeResource(r: ResourceChange): ResourceChange {
  return {
    ...r,
    ref: safeRef(r.ref),
    changes: r.changes.map(safeChange),
    ...(r.before ? { before: safeValue(r.before) as KubeObject } : {}),
    ...(r.after ? { after: safeValue(r.after) as KubeObject } : {}),
    ...(r.reason !== undefined ? { reason: terminalLine(r.reason) } : {}),
    ...(r.helmRelease !== undefined ? { helmRelease: terminalLine(r.helmRelease) } : {}),
  };
}

function safeChange(c: FieldChange): FieldChange {
  return {
    path: c.path.map(terminalLine),
    kind: c.kind,
    ...(c.from !== undefined ? { from: safeValue(c.from) } : {}),
    ...(c.to !== undefined ? { to: safeValue(c.to) } : {}),
  };
}

function safeWarning(w: ImageWarning): ImageWarning {
  return { ref: safeRef(w.ref), container: terminalLine(w.container), image: terminalLine(w.image), message: terminalLine(w.message) };
}

function safeHelmRelease(h: HelmReleaseReport): HelmReleaseReport {
  return {
    ...h,
    name: terminalLine(h.name),
    namespace: terminalLine(h.namespace),
    ...(h.chart !== undefined ? { chart: terminalLine(h.chart) } : {}),
    ...(h.notRendered !== undefined ? { notRendered: terminalLine(h.notRendered) } : {}),
  };
}

/** Keys as one line, string values with their lines. */
export function safeValue(v: JsonValue): JsonValue {
  if (typeof v === 'string') return terminalLines(v);
  if (Array.isArray(v)) return v.map(safeValue);
  if (isJsonObject(v)) {
    const out: Record<string, JsonValue> = {};
    for (const [k, x] of Object.entries(v)) out[terminalLine(k)] = safeValue(x);
    return out;
  }
  return v;
}
