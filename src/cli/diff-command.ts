// `podo diff kustomization`: flags → RunOptions (once) → pipeline run (plan, orchestrate) → report → what is printed, and the exit code.
import type { Command } from 'commander';
import { PodoError, UsageError, oneLineMessage } from '../model/errors.js';
import type { DiffReport } from '../model/change.js';
import type { RunOptions } from '../model/settings.js';
import { findKustomize } from '../render/kustomize/kustomize.js';
import { run } from '../pipeline/run.js';
import { reportTarget } from '../pipeline/plan.js';
import { render } from '../report/index.js';
import { present } from '../report/terminal.js';
import { DEFAULT_MAX_COMMENT_BYTES, MIN_COMMENT_BYTES } from '../report/markdown.js';
import { FilterError, parseIgnoreField, parseIgnoreFieldFile, validateFilters, type ReportFilters } from '../diff/filters.js';
import { readFileSync } from 'node:fs';
import { parseOutput, parsePositiveInt, useColor, type OutputFormat } from './options.js';
import { toRunOptions } from './run-options.js';
import type { FlagValues } from './flags.js';
import { EXIT_CHANGES, exitOf } from './exit.js';
import { err, errLine, out } from './output.js';
import { startDeadline } from './guard.js';
import { createProgress, progressEnabled } from './progress.js';

/** The flags of `podo diff kustomization` (flags.ts). */
export type DiffFlags = FlagValues<'diff'>;

export interface DiffOptions {
  run: RunOptions;
  output: OutputFormat;
  verbose: boolean;
  color: boolean;
  progress: boolean;
  failOnWarnings: boolean;
  failOnSkipped: boolean;
  /** -o markdown: parts of at most this many bytes. */
  maxCommentBytes: number;
  /** -U/--diff-context: unchanged lines around each change in unified and markdown diffs. */
  diffContext?: number;
  /** --with-objects: -o json carries each changed object's two sides. */
  withObjects: boolean;
}

export function validate(name: string | undefined, f: DiffFlags, namespaceGiven: boolean, env: NodeJS.ProcessEnv, isTTY: boolean, timeoutGiven = false): DiffOptions {
  if (!name && !f.all) throw new UsageError('missing Kustomization name: podo diff kustomization NAME --path DIR (or --all)');
  // With --all, the name is a filter: globs over the Kustomizations' names (comma-separated).
  const globs = f.all && name ? name.split(',').map((g) => g.trim()).filter(Boolean) : [];
  if (!f.path) throw new UsageError('--path DIR is required');
  if (f.ignoreNotFound && !f.kustomizationFile) throw new UsageError('--ignore-not-found needs --kustomization-file');
  if (f.all && f.kustomizationFile) throw new UsageError('--kustomization-file applies to one Kustomization, not --all');
  if (f.all && f.recursive) throw new UsageError('--all already diffs every Kustomization; drop --recursive');
  if (f.baseRef && f.recursive) throw new UsageError('--recursive needs a cluster; with --base-ref use --all');
  const output = parseOutput(f.output);
  const maxCommentBytes = f.maxCommentBytes === undefined ? DEFAULT_MAX_COMMENT_BYTES : parsePositiveInt('--max-comment-bytes', f.maxCommentBytes);
  if (maxCommentBytes < MIN_COMMENT_BYTES) throw new UsageError(`--max-comment-bytes must be at least ${MIN_COMMENT_BYTES}, got "${f.maxCommentBytes}"`);
  const color = useColor({ flag: f.color, env, isTTY });
  const diffContext = f.diffContext === undefined ? undefined : parseContext(f.diffContext);
  const filters = reportFilters(f, globs);
  const run = toRunOptions(f.all ? undefined : name, f, namespaceGiven, env, () => findKustomize(f.kustomizeBin, env));
  run.filters = filters;
  if (timeoutGiven) run.cluster.overallTimeout = true;
  // PODO_BUILD_ALL=1 (hidden, for differential tests): --base-ref builds even what it proves unchanged.
  if (env.PODO_BUILD_ALL === '1') run.buildAll = true;
  return {
    run,
    output,
    verbose: f.verbose === true,
    color,
    progress: f.progress !== false && f.progressBar !== false,
    failOnWarnings: f.failOnWarnings === true,
    failOnSkipped: f.failOnSkipped === true,
    maxCommentBytes,
    ...(diffContext !== undefined ? { diffContext } : {}),
    withObjects: f.withObjects === true,
  };
}

/** The report filters from their flags; an --ignore-field file is read here (cli/ does the I/O). */
function reportFilters(f: DiffFlags, globs: string[]): ReportFilters {
  try {
    const ignoreFields = (f.ignoreField ?? []).map(parseIgnoreField);
    for (const file of f.ignoreFieldFile ?? []) {
      let text: string;
      try {
        text = readFileSync(file, 'utf8');
      } catch (err) {
        throw new UsageError(`--ignore-field-file ${file}: ${(err as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : oneLineMessage(err)}`);
      }
      ignoreFields.push(...parseIgnoreFieldFile(text, file));
    }
    const filters: ReportFilters = {
      ignoreFields,
      ...(f.selector ? { selector: f.selector } : {}),
      kinds: f.kind ?? [],
      skipKinds: f.skipKind ?? [],
      kustomizations: globs,
    };
    validateFilters(filters);
    return filters;
  } catch (err) {
    if (err instanceof FilterError) throw new UsageError(err.message);
    throw err;
  }
}

function parseContext(v: string): number {
  const n = Number(v);
  if (!/^\d+$/.test(v) || !Number.isSafeInteger(n)) throw new UsageError(`-U/--diff-context must be a number of lines (0 or more), got "${v}"`);
  return n;
}

export async function runDiffKustomization(name: string | undefined, flags: unknown, cmd: Command): Promise<number> {
  const timeoutGiven = cmd.getOptionValueSource('timeout') === 'cli';
  const opts = validate(name, flags as DiffFlags, cmd.getOptionValueSource('namespace') === 'cli', process.env, process.stdout.isTTY === true, timeoutGiven);
  // --timeout is each Kustomization's budget (its spec.timeout first); given explicitly it also bounds
  // the whole run, as `flux diff --timeout` does: every child, request and the run itself stop there.
  if (timeoutGiven) startDeadline(opts.run.cluster.timeoutMs, (flags as DiffFlags).timeout);
  const progress = createProgress(progressEnabled(opts.progress, process.stderr, process.env));
  let report: DiffReport;
  try {
    report = await run(opts.run, {
      onProgress: (text) => progress.update(text),
      onWarning: (text) => errLine('warning', text),
    });
  } catch (err) {
    // -o json: a failed single run is still a report, with `error` (schema/diff-report.v1alpha1.json), so
    // a consumer always gets a document; the same line goes to stderr as for any error.
    const sel = opts.run.selection;
    if (opts.output !== 'json' || sel.mode !== 'single' || !(err instanceof PodoError)) throw err;
    progress.stop();
    const error = oneLineMessage(err);
    errLine('error', error);
    const failed: DiffReport = { kustomizations: [{ name: sel.name, namespace: sel.namespace, error, resources: [], warnings: [], notes: [] }], target: reportTarget(opts.run) };
    process.stdout.write(render(failed, 'json', { color: false, verbose: false, grouped: false }));
    return err.exitCode;
  } finally {
    progress.stop();
  }
  const grouped = report.kustomizations.length > 1 || opts.run.selection.mode === 'all';
  const shown = present(report, opts.output, { color: opts.color, verbose: opts.verbose, grouped, maxCommentBytes: opts.maxCommentBytes, diffContext: opts.diffContext, withObjects: opts.withObjects });
  const { code, failures } = exitOf(shown.safe, { failOnWarnings: opts.failOnWarnings, failOnSkipped: opts.failOnSkipped });
  for (const line of shown.lines) err(line);
  out(shown.document);
  // Exit 2 always says why on stderr, one line per failure, whatever the format already carries.
  for (const line of failures) errLine('error', line);
  if (code === EXIT_CHANGES && opts.output === 'text') err('⚠ identified at least one change, exiting with non-zero exit code\n');
  return code;
}
