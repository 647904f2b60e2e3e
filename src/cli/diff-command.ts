// `podo diff kustomization`: flags → RunOptions (once) → pipeline.run() → report → exit code.
import type { Command } from 'commander';
import { PodoError, UsageError, oneLineMessage } from '../model/errors.js';
import type { DiffReport, ReportTarget } from '../model/change.js';
import { contextNameOf } from '../cluster/kubeconfig-fast.js';
import type { RunOptions } from '../model/settings.js';
import { countKustomizations, formatNotEvaluated } from '../model/summary.js';
import { findKustomize } from '../render/kustomize.js';
import { checkHelmBin, lazyHelm } from '../render/helm/binary.js';
import { assertDirectory } from '../render/workspace.js';
import { run } from '../pipeline/run.js';
import { FORMATS, render } from '../report/index.js';
import { notRenderedNote } from '../report/helm.js';
import { parseOutput, useColor, type OutputFormat } from './options.js';
import { helmChoice, toRunOptions, type RunFlags } from './run-options.js';
import { EXIT_CHANGES, exitCodeFor, failureLines } from './exit.js';
import { err, errLine, out } from './output.js';
import { startDeadline } from './guard.js';
import { createProgress, progressEnabled } from './progress.js';

export interface DiffFlags extends RunFlags {
  output: string;
  verbose?: boolean;
  color: boolean;
  progress: boolean;
  /** flux's --progress-bar (false with --progress-bar=false). */
  progressBar?: boolean;
  failOnWarnings?: boolean;
  failOnSkipped?: boolean;
}

export interface DiffOptions {
  run: RunOptions;
  output: OutputFormat;
  verbose: boolean;
  color: boolean;
  progress: boolean;
  failOnWarnings: boolean;
  failOnSkipped: boolean;
}

export function validate(name: string | undefined, f: DiffFlags, namespaceGiven: boolean, env: NodeJS.ProcessEnv, isTTY: boolean, timeoutGiven = false): DiffOptions {
  if (!name && !f.all) throw new UsageError('missing Kustomization name: podo diff kustomization NAME --path DIR (or --all)');
  if (name && f.all) throw new UsageError('give a Kustomization name or --all, not both');
  if (!f.path) throw new UsageError('--path DIR is required');
  if (f.ignoreNotFound && !f.kustomizationFile) throw new UsageError('--ignore-not-found needs --kustomization-file');
  if (f.all && f.kustomizationFile) throw new UsageError('--kustomization-file applies to one Kustomization, not --all');
  if (f.all && f.recursive) throw new UsageError('--all already diffs every Kustomization; drop --recursive');
  if (f.baseRef && f.recursive) throw new UsageError('--recursive needs a cluster; with --base-ref use --all');
  const output = parseOutput(f.output);
  assertDirectory(f.path);
  checkHelmBin(f.helmBin, env);
  const run = toRunOptions(name, f, namespaceGiven, () => findKustomize(f.kustomizeBin), lazyHelm(f.helmBin, env, helmChoice(f, env)));
  if (timeoutGiven) run.cluster.overallTimeout = true;
  // PODO_BUILD_ALL=1 (hidden, for differential tests): --base-ref builds even what it proves unchanged.
  if (env.PODO_BUILD_ALL === '1') run.buildAll = true;
  return {
    run,
    output,
    verbose: f.verbose === true,
    color: useColor({ flag: f.color, env, isTTY }),
    progress: f.progress !== false && f.progressBar !== false,
    failOnWarnings: f.failOnWarnings === true,
    failOnSkipped: f.failOnSkipped === true,
  };
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
    report = { ...report, target: targetOf(opts.run) };
  } catch (err) {
    // -o json: a failed single run is still a report, with `error` (schema/diff-report.v1alpha1.json), so
    // a consumer always gets a document; the same line goes to stderr as for any error.
    const sel = opts.run.selection;
    if (opts.output !== 'json' || sel.mode !== 'single' || !(err instanceof PodoError)) throw err;
    progress.stop();
    const error = oneLineMessage(err);
    process.stderr.write(`podo: error: ${error}\n`);
    const failed: DiffReport = { kustomizations: [{ name: sel.name, namespace: sel.namespace, error, resources: [], warnings: [], notes: [] }], target: targetOf(opts.run) };
    process.stdout.write(render(failed, 'json', { color: false, verbose: false, grouped: false }));
    return err.exitCode;
  } finally {
    progress.stop();
  }
  const format = FORMATS[opts.output];
  const grouped = report.kustomizations.length > 1 || opts.run.selection.mode === 'all';
  // Notes are for the person at the terminal; machine formats carry them inside the document.
  if (!format.notesInDocument) {
    for (const k of report.kustomizations) for (const n of k.notes) err(`podo: note: ${grouped ? `${k.namespace}/${k.name}: ` : ''}${n}\n`);
  }
  if (!format.summaryInDocument) {
    for (const k of report.kustomizations) {
      // A failed Kustomization is said below, as an error line, in every format.
      if (!k.error && k.skipped) err(`podo: Kustomization ${k.namespace}/${k.name} not evaluated: ${k.skipped}\n`);
    }
    const line = formatNotEvaluated(countKustomizations(report));
    if (line) err(`podo: ${line}\n`);
  }
  // Charts not rendered are said once on stderr whatever the format (and in every format's own notes).
  const helmNote = notRenderedNote(report);
  if (helmNote) err(`podo: note: ${helmNote}\n`);
  if (opts.verbose) {
    // -v: which helm rendered the charts (also in -o json, per HelmRelease).
    const used = new Set(report.kustomizations.flatMap((k) => (k.helmReleases ?? []).map((h) => h.helm).filter((h): h is string => h !== undefined)));
    for (const h of used) err(`podo: charts rendered with helm ${h}\n`);
  }
  out(render(report, opts.output, { color: opts.color, verbose: opts.verbose, grouped }));
  const policy = { failOnWarnings: opts.failOnWarnings, failOnSkipped: opts.failOnSkipped };
  const code = exitCodeFor(report, policy);
  // Exit 2 always says why on stderr, one line per failure, whatever the format already carries.
  for (const line of failureLines(report, policy)) errLine('error', line);
  if (code === EXIT_CHANGES && opts.output === 'text') err('⚠ identified at least one change, exiting with non-zero exit code\n');
  return code;
}

/** What the report compares against, for its heading: the git ref, or the kubeconfig context (else the server). */
function targetOf(run: RunOptions): ReportTarget {
  if (run.baseRef) return { baseRef: run.baseRef };
  const c = run.cluster;
  return { context: contextNameOf(c.kubeconfig, c.context) ?? c.server ?? 'in-cluster' };
}
