// `podo diff kustomization`: options → validate → run → render → exit code.
import type { Command } from 'commander';
import { UsageError } from '../errors/index.js';
import { findKustomize } from '../build/kustomize.js';
import { assertDirectory } from '../build/workspace.js';
import { createClusterClient } from '../cluster/client.js';
import { diffKustomization, resolveKustomization } from '../engine/diff-kustomization.js';
import type { DiffReport } from '../diff/types.js';
import { summarize, changeCount } from '../diff/summary.js';
import { render } from '../report/index.js';
import { parseDuration, parseOutput, parsePositiveInt, useColor, type OutputFormat } from './options.js';
import { EXIT_CHANGES, EXIT_ERROR, EXIT_NO_CHANGES } from './exit.js';

export interface DiffFlags {
  path?: string;
  namespace: string;
  kubeconfig?: string;
  context?: string;
  kustomizeBin?: string;
  kustomizationFile?: string;
  ignoreNotFound?: boolean;
  strictSubstitute?: boolean;
  sopsAgeKeyFile?: string;
  output: string;
  verbose?: boolean;
  color: boolean;
  concurrency: string;
  timeout: string;
}

export interface DiffOptions {
  name: string;
  path: string;
  namespace: string;
  kubeconfig?: string;
  context?: string;
  kustomizeBin?: string;
  kustomizationFile?: string;
  ignoreNotFound: boolean;
  strictSubstitute: boolean;
  sopsAgeKeyFile?: string;
  output: OutputFormat;
  verbose: boolean;
  color: boolean;
  concurrency: number;
  timeoutMs: number;
}

export function validate(name: string | undefined, f: DiffFlags, env: NodeJS.ProcessEnv, isTTY: boolean): DiffOptions {
  if (!name) throw new UsageError('missing Kustomization name: podo diff kustomization NAME --path DIR');
  if (!f.path) throw new UsageError('--path DIR is required');
  if (f.ignoreNotFound && !f.kustomizationFile) throw new UsageError('--ignore-not-found needs --kustomization-file');
  return {
    name,
    path: f.path,
    namespace: f.namespace,
    kubeconfig: f.kubeconfig,
    context: f.context,
    kustomizeBin: f.kustomizeBin,
    kustomizationFile: f.kustomizationFile,
    ignoreNotFound: f.ignoreNotFound === true,
    strictSubstitute: f.strictSubstitute === true,
    sopsAgeKeyFile: f.sopsAgeKeyFile,
    output: parseOutput(f.output),
    verbose: f.verbose === true,
    color: useColor({ flag: f.color, env, isTTY }),
    concurrency: parsePositiveInt('--concurrency', f.concurrency),
    timeoutMs: parseDuration('--timeout', f.timeout),
  };
}

export function exitCodeFor(report: DiffReport): number {
  let changes = 0;
  for (const k of report.kustomizations) {
    if (k.error) return EXIT_ERROR;
    const s = summarize(k.resources);
    if (s.failed > 0) return EXIT_ERROR;
    changes += changeCount(s);
  }
  return changes > 0 ? EXIT_CHANGES : EXIT_NO_CHANGES;
}

export async function runDiffKustomization(name: string | undefined, flags: unknown, _cmd: Command): Promise<number> {
  const opts = validate(name, flags as DiffFlags, process.env, process.stdout.isTTY === true);
  assertDirectory(opts.path);
  const kustomize = findKustomize(opts.kustomizeBin);
  const client = await createClusterClient({
    kubeconfig: opts.kubeconfig,
    context: opts.context,
    concurrency: opts.concurrency,
    deadline: Date.now() + opts.timeoutMs,
  });
  try {
    const engineOpts = {
      name: opts.name,
      namespace: opts.namespace,
      path: opts.path,
      kustomize,
      concurrency: opts.concurrency,
      kustomizationFile: opts.kustomizationFile,
      ignoreNotFound: opts.ignoreNotFound,
      strictSubstitute: opts.strictSubstitute,
      sopsAgeKeyFile: opts.sopsAgeKeyFile,
    };
    const ks = await resolveKustomization(client, engineOpts);
    const result = await diffKustomization(client, ks, engineOpts);
    const report: DiffReport = { kustomizations: [result] };
    // Notes are for the person at the terminal; machine formats carry them inside the document.
    const shown = opts.output === 'text' ? withoutNotes(report) : report;
    if (opts.output === 'text') for (const k of report.kustomizations) for (const n of k.notes) process.stderr.write(`podo: note: ${n}\n`);
    process.stdout.write(render(shown, opts.output, { color: opts.color, verbose: opts.verbose, grouped: false }));
    const code = exitCodeFor(report);
    if (code === EXIT_CHANGES && opts.output === 'text') process.stderr.write('⚠ identified at least one change, exiting with non-zero exit code\n');
    return code;
  } finally {
    client.close();
  }
}

function withoutNotes(report: DiffReport): DiffReport {
  return { kustomizations: report.kustomizations.map((k) => ({ ...k, notes: [] })) };
}
