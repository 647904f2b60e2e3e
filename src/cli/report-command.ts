// `podo report merge a.json b.json … -o FORMAT`: the JSON reports of several CI jobs (each diffed part
// of a repository, e.g. per cluster or per group of Kustomizations) as one report, in any format, with
// the exit code of one run over all of them.
import { readFileSync } from 'node:fs';
import type { Command } from 'commander';
import { InputError, UsageError } from '../model/errors.js';
import { mergeReports, readJsonReport } from '../report/json-read.js';
import { FORMATS, render } from '../report/index.js';
import { DEFAULT_MAX_COMMENT_BYTES, MIN_COMMENT_BYTES } from '../report/markdown.js';
import { terminalSafeReport } from '../report/escape-terminal.js';
import { countKustomizations, formatFiltered, formatNotEvaluated } from '../model/summary.js';
import { EXIT_CHANGES, exitCodeFor, failureLines } from './exit.js';
import { parseOutput, parsePositiveInt, useColor } from './options.js';
import { err, errLine, out } from './output.js';
import type { FlagValues } from './flags.js';

/** The flags of `podo report merge` (flags.ts). */
type MergeFlags = FlagValues<'merge'>;

export function runReportMerge(files: string[], flags: unknown, _cmd: Command): number {
  const f = flags as MergeFlags;
  const output = parseOutput(f.output);
  const maxCommentBytes = f.maxCommentBytes === undefined ? DEFAULT_MAX_COMMENT_BYTES : parsePositiveInt('--max-comment-bytes', f.maxCommentBytes);
  if (maxCommentBytes < MIN_COMMENT_BYTES) throw new UsageError(`--max-comment-bytes must be at least ${MIN_COMMENT_BYTES}, got "${f.maxCommentBytes}"`);
  const diffContext = f.diffContext === undefined ? undefined : /^\d+$/.test(f.diffContext) ? Number(f.diffContext) : undefined;
  if (f.diffContext !== undefined && diffContext === undefined) throw new UsageError(`-U/--diff-context must be a number of lines (0 or more), got "${f.diffContext}"`);
  if (files.length === 0) throw new UsageError('give the JSON reports to merge: podo report merge a.json b.json …');
  const reports = files.map((arg) => {
    // `NAME=FILE` names the cluster of the file's Kustomizations (a job per cluster directory).
    const named = /^([A-Za-z0-9][A-Za-z0-9._-]*)=(.+)$/.exec(arg);
    const file = named ? named[2] : arg;
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch (e) {
      throw new InputError(`${file}: ${(e as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (e as Error).message}`, file);
    }
    return { file, report: readJsonReport(text, file), ...(named ? { cluster: named[1] } : {}) };
  });
  const report = mergeReports(reports);
  const format = FORMATS[output];
  const safe = terminalSafeReport(report);
  const grouped = true;
  if (!format.notesInDocument) for (const k of safe.kustomizations) for (const n of k.notes) err(`podo: note: ${k.namespace}/${k.name}: ${n}\n`);
  if (!format.summaryInDocument) {
    const line = formatNotEvaluated(countKustomizations(report));
    if (line) err(`podo: ${line}\n`);
    const filtered = formatFiltered(safe.filtered);
    if (filtered) err(`podo: ${filtered}\n`);
  }
  out(
    render(report, output, {
      color: useColor({ flag: f.color, env: process.env, isTTY: process.stdout.isTTY === true }),
      verbose: f.verbose === true,
      grouped,
      maxCommentBytes,
      ...(diffContext !== undefined ? { diffContext } : {}),
      withObjects: f.withObjects === true,
    }),
  );
  const policy = { failOnWarnings: f.failOnWarnings === true, failOnSkipped: f.failOnSkipped === true };
  const code = exitCodeFor(report, policy);
  for (const line of failureLines(safe, policy)) errLine('error', line);
  if (code === EXIT_CHANGES && output === 'text') err('⚠ identified at least one change, exiting with non-zero exit code\n');
  return code;
}
