// `podo diff kustomization`: flags → validated options → engine → report → exit code.
import type { Command } from 'commander';
import { realpathSync } from 'node:fs';
import { PodoError, UsageError, oneLineMessage } from '../model/errors.js';
import { findKustomize, type KustomizeBinary } from '../render/kustomize.js';
import { assertDirectory, repositoryRoot } from '../render/workspace.js';
import { createClusterClient, type ClusterClient } from '../cluster/client.js';
import { diffKustomization, resolveKustomization, type DiffKustomizationOptions } from '../pipeline/diff-kustomization.js';
import { diffAll, diffRecursive } from '../pipeline/multi.js';
import { parseSourceMapping, sourceMapper } from '../pipeline/sources.js';
import { diffAgainstRef } from '../pipeline/base-ref.js';
import type { DiffReport } from '../model/change.js';
import { summarize, changeCount } from '../diff/summary.js';
import { render } from '../report/index.js';
import { connectionSettings, ignorePathsOf, parseDuration, parseOutput, parsePositiveInt, useColor, type BuildOptionFlags, type OutputFormat } from './options.js';
import type { ConnectionSettings } from '../model/connection.js';
import { EXIT_CHANGES, EXIT_ERROR, EXIT_NO_CHANGES } from './exit.js';
import { createProgress, progressEnabled, type Progress } from './progress.js';

export interface DiffFlags extends BuildOptionFlags {
  all?: boolean;
  recursive?: boolean;
  source?: string[];
  baseRef?: string;
  output: string;
  verbose?: boolean;
  color: boolean;
  progress: boolean;
  /** flux's --progress-bar (false with --progress-bar=false). */
  progressBar?: boolean;
  failOnWarnings?: boolean;
  concurrency: string;
}

export interface DiffOptions {
  name?: string;
  path: string;
  namespace: string;
  /** -n given by the user (not commander's default): --all lists only that namespace. */
  namespaceGiven: boolean;
  kubeconfig?: string;
  context?: string;
  /** Every kubectl connection flag given (kubeconfig, context, --server, --token, --as, …). */
  connection: ConnectionSettings;
  kustomizeBin?: string;
  kustomizationFile?: string;
  ignoreNotFound: boolean;
  strictSubstitute: boolean;
  sopsAgeKeyFile?: string;
  ignorePaths: string[];
  all: boolean;
  recursive: boolean;
  sources: Map<string, string>;
  baseRef?: string;
  output: OutputFormat;
  verbose: boolean;
  color: boolean;
  progress: boolean;
  failOnWarnings: boolean;
  concurrency: number;
  timeoutMs: number;
}

export function validate(name: string | undefined, f: DiffFlags, namespaceGiven: boolean, env: NodeJS.ProcessEnv, isTTY: boolean): DiffOptions {
  if (!name && !f.all) throw new UsageError('missing Kustomization name: podo diff kustomization NAME --path DIR (or --all)');
  if (name && f.all) throw new UsageError('give a Kustomization name or --all, not both');
  if (!f.path) throw new UsageError('--path DIR is required');
  if (f.ignoreNotFound && !f.kustomizationFile) throw new UsageError('--ignore-not-found needs --kustomization-file');
  if (f.all && f.kustomizationFile) throw new UsageError('--kustomization-file applies to one Kustomization, not --all');
  if (f.all && f.recursive) throw new UsageError('--all already diffs every Kustomization; drop --recursive');
  if (f.baseRef && f.recursive) throw new UsageError('--recursive needs a cluster; with --base-ref use --all');
  const sources = new Map<string, string>();
  for (const s of f.source ?? []) {
    const [k, dir] = parseSourceMapping(s);
    sources.set(k, dir);
  }
  return {
    name,
    path: f.path,
    namespace: f.namespace,
    namespaceGiven,
    kubeconfig: f.kubeconfig,
    context: f.context,
    connection: connectionSettings(f),
    kustomizeBin: f.kustomizeBin,
    kustomizationFile: f.kustomizationFile,
    ignoreNotFound: f.ignoreNotFound === true,
    strictSubstitute: f.strictSubstitute === true,
    sopsAgeKeyFile: f.sopsAgeKeyFile,
    ignorePaths: ignorePathsOf(f.ignorePaths),
    all: f.all === true,
    recursive: f.recursive === true,
    sources,
    baseRef: f.baseRef,
    output: parseOutput(f.output),
    verbose: f.verbose === true,
    color: useColor({ flag: f.color, env, isTTY }),
    progress: f.progress !== false && f.progressBar !== false,
    failOnWarnings: f.failOnWarnings === true,
    concurrency: parsePositiveInt('--concurrency', f.concurrency),
    timeoutMs: parseDuration('--timeout', f.timeout),
  };
}

export function exitCodeFor(report: DiffReport, failOnWarnings: boolean): number {
  let changes = 0;
  let warnings = 0;
  for (const k of report.kustomizations) {
    if (k.error) return EXIT_ERROR;
    const s = summarize(k.resources);
    if (s.failed > 0) return EXIT_ERROR;
    changes += changeCount(s);
    warnings += k.warnings.length;
  }
  return changes > 0 || (failOnWarnings && warnings > 0) ? EXIT_CHANGES : EXIT_NO_CHANGES;
}

export async function runDiffKustomization(name: string | undefined, flags: unknown, cmd: Command): Promise<number> {
  const opts = validate(name, flags as DiffFlags, cmd.getOptionValueSource('namespace') === 'cli', process.env, process.stdout.isTTY === true);
  const progress = createProgress(progressEnabled(opts.progress, process.stderr, process.env));
  let report: DiffReport;
  try {
    assertDirectory(opts.path);
    const kustomize = findKustomize(opts.kustomizeBin);
    report = opts.baseRef ? await againstRef(opts, kustomize) : await againstCluster(opts, kustomize, progress);
  } catch (err) {
    // -o json: a failed single run is still a report, with `error` (schema/diff-report.v1alpha1.json), so
    // a consumer always gets a document; the same line goes to stderr as for any error.
    if (opts.output !== 'json' || opts.all || !(err instanceof PodoError)) throw err;
    progress.stop();
    const error = oneLineMessage(err);
    process.stderr.write(`podo: error: ${error}\n`);
    const failed: DiffReport = { kustomizations: [{ name: opts.name!, namespace: opts.namespace, error, resources: [], warnings: [], notes: [] }] };
    process.stdout.write(render(failed, 'json', { color: false, verbose: false, grouped: false }));
    return err.exitCode;
  } finally {
    progress.stop();
  }
  const grouped = report.kustomizations.length > 1 || opts.all;
  // Notes are for the person at the terminal; machine formats carry them inside the document.
  const shown = opts.output === 'text' ? withoutNotes(report) : report;
  if (opts.output === 'text') for (const k of report.kustomizations) for (const n of k.notes) process.stderr.write(`podo: note: ${grouped ? `${k.namespace}/${k.name}: ` : ''}${n}\n`);
  process.stdout.write(render(shown, opts.output, { color: opts.color, verbose: opts.verbose, grouped }));
  const code = exitCodeFor(report, opts.failOnWarnings);
  if (code === EXIT_CHANGES && opts.output === 'text') process.stderr.write('⚠ identified at least one change, exiting with non-zero exit code\n');
  return code;
}

async function againstRef(opts: DiffOptions, kustomize: KustomizeBinary): Promise<DiffReport> {
  return diffAgainstRef({
    path: opts.path,
    ref: opts.baseRef!,
    name: opts.name,
    namespace: opts.namespace,
    all: opts.all,
    kustomizationFile: opts.kustomizationFile,
    kustomize,
    strictSubstitute: opts.strictSubstitute,
    sopsAgeKeyFile: opts.sopsAgeKeyFile,
    concurrency: opts.concurrency,
  });
}

async function againstCluster(opts: DiffOptions, kustomize: KustomizeBinary, progress: Progress): Promise<DiffReport> {
  const client: ClusterClient = await createClusterClient({
    ...opts.connection,
    concurrency: opts.concurrency,
    deadline: Date.now() + opts.timeoutMs,
  });
  try {
    const base: Omit<DiffKustomizationOptions, 'name'> = {
      namespace: opts.namespace,
      path: opts.path,
      kustomize,
      concurrency: opts.concurrency,
      kustomizationFile: opts.kustomizationFile,
      ignoreNotFound: opts.ignoreNotFound,
      strictSubstitute: opts.strictSubstitute,
      sopsAgeKeyFile: opts.sopsAgeKeyFile,
      ignorePaths: opts.ignorePaths,
      onProgress: (stage, done, total) => progress.update(`${stage} ${done}/${total}`),
    };
    const multi = { ...base, parallel: 3, onKustomization: (d: number, t: number) => progress.update(`building ${d}/${t} kustomizations`) };
    if (opts.all) {
      progress.update('listing kustomizations');
      const sources = await sourceMapper(client, realpathSync(opts.path), opts.sources);
      return { kustomizations: await diffAll(client, opts.namespaceGiven ? opts.namespace : undefined, sources, multi) };
    }
    const engineOpts = { ...base, name: opts.name! };
    const ks = await resolveKustomization(client, engineOpts);
    if (opts.recursive) {
      const root = repositoryRoot(realpathSync(opts.path), ks.spec.path);
      const sources = await sourceMapper(client, root, opts.sources);
      return { kustomizations: await diffRecursive(client, ks, opts.path, sources, multi) };
    }
    progress.update('building');
    return { kustomizations: [(await diffKustomization(client, ks, engineOpts)).diff] };
  } finally {
    client.close();
  }
}

function withoutNotes(report: DiffReport): DiffReport {
  return { kustomizations: report.kustomizations.map((k) => ({ ...k, notes: [] })) };
}
