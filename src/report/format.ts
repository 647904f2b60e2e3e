// Formatting shared by the report writers, so every format names paths, objects and counts the same way.
import { structuredPatch } from 'diff';
import { stringify } from 'yaml';
import type { ResourceChange, Summary } from '../model/change.js';
import type { JsonValue, ObjectRef } from '../model/object.js';
import { groupOf, subjectOf } from '../model/object.js';

/** A segment that can be printed bare: no separator, bracket, quote or whitespace that would blur the path. */
const BARE_SEGMENT = /^[^.[\]"'\s]+$/;

/**
 * Dotted display path: `spec.ports.http.port`. A segment that contains a dot (annotation keys such as
 * `app.kubernetes.io/name`), a bracket, a quote or whitespace is written as a JSON string in brackets:
 * `metadata.annotations["app.kubernetes.io/name"]`. The root is `(root)`.
 */
export function formatPath(segments: string[]): string {
  if (segments.length === 0) return '(root)';
  let out = '';
  for (const segment of segments) {
    if (BARE_SEGMENT.test(segment)) out += out === '' ? segment : `.${segment}`;
    else out += `[${JSON.stringify(segment)}]`;
  }
  return out;
}

/** `Kind/ns/name action`, with the reason where the action has one. */
export function describeResource(r: ResourceChange): string {
  const subject = subjectOf(r.ref);
  if (r.action === 'failed') return `${subject} failed${r.reason ? `: ${r.reason}` : ''}`;
  return `${subject} ${r.action}${r.reason ? ` (${r.reason})` : ''}`;
}

/** `N created, N drifted, N deleted, N replaced, N skipped, N unchanged`, plus `, N failed` when any failed. */
export function formatSummary(s: Summary): string {
  const line = `${s.created} created, ${s.drifted} drifted, ${s.deleted} deleted, ${s.replaced} replaced, ${s.skipped} skipped, ${s.unchanged} unchanged`;
  return s.failed > 0 ? `${line}, ${s.failed} failed` : line;
}

/** The actions that change the cluster and therefore get a diff. */
export function isChange(r: ResourceChange): boolean {
  return r.action === 'created' || r.action === 'drifted' || r.action === 'deleted' || r.action === 'replaced';
}

const NUMBER_WORDS = ['zero', 'one', 'two', 'three', 'four', 'five', 'six', 'seven', 'eight', 'nine', 'ten', 'eleven', 'twelve'];

/** `one map entry`, `two map entries`, `42 map entries`: words for small counts like dyff. */
export function countOf(n: number, singular: string, plural: string): string {
  const number = NUMBER_WORDS[n] ?? String(n);
  return `${number} ${n === 1 ? singular : plural}`;
}

/**
 * YAML text of a value, ending with a newline. `sortKeys` gives a canonical form for line diffs of whole
 * objects (as kubectl's YAML of Go maps); without it keys keep document order. No anchors, no folding.
 * YAML 1.1 because Kubernetes reads YAML as 1.1: strings such as `yes`, `on` or `0x1f` get quoted, so what
 * is printed means the same when pasted into a manifest.
 */
export function toYaml(value: JsonValue, sortKeys = false): string {
  return stringify(value, { version: '1.1', sortMapEntries: sortKeys, aliasDuplicateObjects: false, lineWidth: 0 });
}

/** YAML lines of a value, without the final empty line. */
export function yamlLines(value: JsonValue): string[] {
  return toYaml(value).replace(/\n$/, '').split('\n');
}

/** kubectl diff's file name for an object: `group.version.kind.namespace.name` (empty parts left out). */
export function resourceFileName(ref: ObjectRef): string {
  const group = groupOf(ref.apiVersion);
  const version = ref.apiVersion.slice(ref.apiVersion.indexOf('/') + 1);
  return [group, version, ref.kind, ref.namespace ?? '', ref.name].filter((part) => part !== '').join('.');
}

/**
 * YAML documents of a resource's two sides for line diffs. A side that does not exist is empty
 * (`/dev/null`): nothing before a creation, nothing after a deletion, whatever else the change carries.
 */
export function resourceYaml(r: ResourceChange): { before: string; after: string } {
  return {
    before: r.before && r.action !== 'created' ? toYaml(r.before, true) : '',
    after: r.after && r.action !== 'deleted' ? toYaml(r.after, true) : '',
  };
}

/** Unchanged lines around each change in unified diffs, as `diff -u` (-U/--diff-context changes it). */
export const DEFAULT_DIFF_CONTEXT = 3;

/** Unified-diff hunks (`@@` lines and `-`/`+`/` ` lines) between two texts, with `context` lines of context. */
export function unifiedHunks(before: string, after: string, context: number = DEFAULT_DIFF_CONTEXT): string[] {
  const patch = structuredPatch('before', 'after', before, after, '', '', { context });
  const lines: string[] = [];
  for (const h of patch.hunks) {
    lines.push(`@@ -${hunkRange(h.oldStart, h.oldLines)} +${hunkRange(h.newStart, h.newLines)} @@`);
    lines.push(...h.lines);
  }
  return lines;
}

/** `diff -u` writes an empty range as `start-1,0` (e.g. `-0,0` for a new file). */
function hunkRange(start: number, count: number): string {
  if (count === 0) return `${start - 1},0`;
  return count === 1 ? `${start}` : `${start},${count}`;
}
