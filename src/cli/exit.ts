// Exit codes, documented in --help: the only place they are defined and decided.
import { POLICY_CAUSES, type DiffReport, type HelmReleaseReport } from '../model/change.js';
import { changeCount, summarize } from '../model/summary.js';

export const EXIT_NO_CHANGES = 0;
export const EXIT_CHANGES = 1;
export const EXIT_ERROR = 2;

export const EXIT_CODES_HELP = `
Exit codes:
  0  no changes
  1  changes found (or warnings, with --fail-on-warnings)
  2  error: bad usage, bad input, build, cluster or dry-run failure; a Kustomization named on the command
     line (or a --recursive child) that could not be evaluated; when nothing else changes, any
     Kustomization not evaluated or HelmRelease not rendered but suspended ones (podo never says "no
     changes" about what it could not see); with --fail-on-skipped, any of them, suspended ones too`;

export interface ExitPolicy {
  failOnWarnings: boolean;
  /** Kustomizations skipped by policy under --all (suspended, remote cluster, unmapped source) fail the run too. */
  failOnSkipped: boolean;
}

export function exitCodeFor(report: DiffReport, policy: ExitPolicy): number {
  return exitOf(report, policy).code;
}

/** One line per failure that makes the run exit 2: each failed Kustomization, object and required one skipped. */
export function failureLines(report: DiffReport, policy: ExitPolicy): string[] {
  return exitOf(report, policy).failures;
}

/**
 * The run's exit code, and one line per failure that makes it 2 (each failed Kustomization, object,
 * required one skipped, chart not rendered): decided together, in one pass over the report.
 */
export function exitOf(report: DiffReport, policy: ExitPolicy): { code: number; failures: string[] } {
  const rows = report.kustomizations.map((k) => {
    const policySkip = k.skipped !== undefined && k.skipCause !== undefined && POLICY_CAUSES.includes(k.skipCause);
    // Charts not rendered fail the run, but suspended releases, which only --fail-on-skipped counts.
    const unrendered: HelmReleaseReport[] = (k.helmReleases ?? []).filter((h) => h.notRendered !== undefined && (policy.failOnSkipped || !h.suspended));
    const summary = summarize(k.resources);
    return { k, policySkip, unrendered, summary, changes: changeCount(summary) };
  });
  let fails = false;
  let changes = 0;
  let warnings = 0;
  let unseen = 0;
  for (const { k, policySkip, unrendered, summary, changes: n } of rows) {
    if (k.error || summary.failed > 0) fails = true;
    if (k.skipped !== undefined) {
      if (k.requested || policy.failOnSkipped || !policySkip) fails = true;
      // Only a suspended one is left alone by Flux too; any other is a part podo could not see.
      else if (k.skipCause !== 'suspended') unseen++;
    }
    if (policy.failOnSkipped && unrendered.length > 0) fails = true;
    unseen += unrendered.length;
    changes += n;
    warnings += k.warnings.length;
  }
  // A Kustomization not evaluated (an unmapped source, say) or a chart not rendered is a part of the change
  // podo could not see: never a green run.
  const code = fails ? EXIT_ERROR : changes > 0 || (policy.failOnWarnings && warnings > 0) ? EXIT_CHANGES : unseen > 0 ? EXIT_ERROR : EXIT_NO_CHANGES;
  const failures: string[] = [];
  for (const { k, policySkip, unrendered } of rows) {
    const id = `Kustomization ${k.namespace}/${k.name}${k.cluster ? ` (cluster ${k.cluster})` : ''}`;
    if (k.error) failures.push(`${id}: ${k.error}`);
    else if (k.skipped !== undefined) {
      if (k.requested || policy.failOnSkipped || !policySkip || (k.skipCause !== 'suspended' && code === EXIT_ERROR)) failures.push(`${id} not evaluated: ${k.skipped}`);
    }
    if (code === EXIT_ERROR) for (const h of unrendered) failures.push(`HelmRelease ${h.namespace}/${h.name} (${id}) not rendered: ${h.notRendered}`);
    for (const r of k.resources) {
      if (r.action !== 'failed') continue;
      failures.push(`${r.ref.kind}/${r.ref.namespace ? `${r.ref.namespace}/` : ''}${r.ref.name} (${id}): ${r.reason ?? 'failed'}`);
    }
  }
  return { code, failures };
}
