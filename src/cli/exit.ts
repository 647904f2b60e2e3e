// Exit codes, documented in --help: the only place they are defined and decided.
import { POLICY_CAUSES, type DiffReport } from '../model/change.js';
import { changeCount, summarize } from '../model/summary.js';

export const EXIT_NO_CHANGES = 0;
export const EXIT_CHANGES = 1;
export const EXIT_ERROR = 2;

export const EXIT_CODES_HELP = `
Exit codes:
  0  no changes
  1  changes found (or warnings, with --fail-on-warnings)
  2  error: bad usage, bad input, build, cluster or dry-run failure; a Kustomization named on the command
     line (or a --recursive child) that could not be evaluated; with --fail-on-skipped, any one not evaluated`;

export interface ExitPolicy {
  failOnWarnings: boolean;
  /** Kustomizations skipped by policy under --all (suspended, remote cluster, unmapped source) fail the run too. */
  failOnSkipped: boolean;
}

export function exitCodeFor(report: DiffReport, policy: ExitPolicy): number {
  let changes = 0;
  let warnings = 0;
  for (const k of report.kustomizations) {
    if (k.error) return EXIT_ERROR;
    if (k.skipped !== undefined) {
      const policySkip = k.skipCause !== undefined && POLICY_CAUSES.includes(k.skipCause);
      if (k.requested || policy.failOnSkipped || !policySkip) return EXIT_ERROR;
    }
    const s = summarize(k.resources);
    if (s.failed > 0) return EXIT_ERROR;
    changes += changeCount(s);
    warnings += k.warnings.length;
  }
  return changes > 0 || (policy.failOnWarnings && warnings > 0) ? EXIT_CHANGES : EXIT_NO_CHANGES;
}

/** One line per failure that makes the run exit 2: each failed Kustomization, object and required one skipped. */
export function failureLines(report: DiffReport, policy: ExitPolicy): string[] {
  const out: string[] = [];
  for (const k of report.kustomizations) {
    const id = `Kustomization ${k.namespace}/${k.name}`;
    if (k.error) out.push(`${id}: ${k.error}`);
    else if (k.skipped !== undefined) {
      const policySkip = k.skipCause !== undefined && POLICY_CAUSES.includes(k.skipCause);
      if (k.requested || policy.failOnSkipped || !policySkip) out.push(`${id} not evaluated: ${k.skipped}`);
    }
    for (const r of k.resources) {
      if (r.action !== 'failed') continue;
      out.push(`${r.ref.kind}/${r.ref.namespace ? `${r.ref.namespace}/` : ''}${r.ref.name} (${id}): ${r.reason ?? 'failed'}`);
    }
  }
  return out;
}
