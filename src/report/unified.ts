// `diff -u` output like `kubectl diff`: one file pair per changed object, named the way kubectl names them,
// so existing tooling (delta, diff-so-fancy, patch viewers) can read it.
import type { DiffReport, ResourceChange } from '../model/change.js';
import { isChange, resourceFileName, resourceYaml, unifiedHunks } from './format.js';
import { notRenderedNote } from './helm.js';

const DEV_NULL = '/dev/null';

/** Unified diff of every created, drifted, replaced and deleted object; empty when nothing changes. */
export function renderUnified(report: DiffReport, context?: number): string {
  const lines = report.kustomizations.flatMap((k) => k.resources.filter(isChange).flatMap((r) => resourceDiff(r, context)));
  // Lines before a `---` header are not part of any file diff: patch tools skip them.
  const helm = notRenderedNote(report);
  if (helm) lines.unshift(`# ${helm}`);
  return lines.length > 0 ? lines.join('\n') + '\n' : '';
}

function resourceDiff(r: ResourceChange, context: number | undefined): string[] {
  const name = resourceFileName(r.ref);
  const { before, after } = resourceYaml(r);
  // A side that does not exist is /dev/null, as `diff -N` prints new and deleted files.
  const oldName = r.action === 'created' || !r.before ? DEV_NULL : `live/${name}`;
  const newName = r.action === 'deleted' || !r.after ? DEV_NULL : `merged/${name}`;
  const hunks = unifiedHunks(before, after, context);
  if (hunks.length === 0) return [];
  // Chart objects name their HelmRelease on a line of their own above the file pair.
  return [...(r.helmRelease ? [`# HelmRelease ${r.helmRelease}`] : []), `--- ${oldName}`, `+++ ${newName}`, ...hunks];
}
