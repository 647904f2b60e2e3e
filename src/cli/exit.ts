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
  let changes = 0;
  let warnings = 0;
  let unseen = 0;
  for (const k of report.kustomizations) {
    if (k.error) return EXIT_ERROR;
    if (k.skipped !== undefined) {
      const policySkip = k.skipCause !== undefined && POLICY_CAUSES.includes(k.skipCause);
      if (k.requested || policy.failOnSkipped || !policySkip) return EXIT_ERROR;
      // Only a suspended one is left alone by Flux too; any other is a part podo could not see.
      if (k.skipCause !== 'suspended') unseen++;
    }
    const s = summarize(k.resources);
    if (s.failed > 0) return EXIT_ERROR;
    if (policy.failOnSkipped && unrenderedReleases(k, policy).length > 0) return EXIT_ERROR;
    unseen += unrenderedReleases(k, policy).length;
    changes += changeCount(s);
    warnings += k.warnings.length;
  }
  if (changes > 0 || (policy.failOnWarnings && warnings > 0)) return EXIT_CHANGES;
  // A Kustomization not evaluated (an unmapped source, say) or a chart not rendered is a part of the change
  // podo could not see: never a green run.
  return unseen > 0 ? EXIT_ERROR : EXIT_NO_CHANGES;
}

/** One line per failure that makes the run exit 2: each failed Kustomization, object and required one skipped. */
export function failureLines(report: DiffReport, policy: ExitPolicy): string[] {
  const out: string[] = [];
  for (const k of report.kustomizations) {
    const id = `Kustomization ${k.namespace}/${k.name}${k.cluster ? ` (cluster ${k.cluster})` : ''}`;
    if (k.error) out.push(`${id}: ${k.error}`);
    else if (k.skipped !== undefined) {
      const policySkip = k.skipCause !== undefined && POLICY_CAUSES.includes(k.skipCause);
      if (k.requested || policy.failOnSkipped || !policySkip || (k.skipCause !== 'suspended' && exitCodeFor(report, policy) === EXIT_ERROR)) out.push(`${id} not evaluated: ${k.skipped}`);
    }
    if (exitCodeFor(report, policy) === EXIT_ERROR) for (const h of unrenderedReleases(k, policy)) out.push(`HelmRelease ${h.namespace}/${h.name} (${id}) not rendered: ${h.notRendered}`);
    for (const r of k.resources) {
      if (r.action !== 'failed') continue;
      out.push(`${r.ref.kind}/${r.ref.namespace ? `${r.ref.namespace}/` : ''}${r.ref.name} (${id}): ${r.reason ?? 'failed'}`);
    }
  }
  return out;
}

/** HelmReleases whose charts were not rendered and that fail the run: all but suspended ones, which only --fail-on-skipped counts. */
function unrenderedReleases(k: DiffReport['kustomizations'][number], policy: ExitPolicy): HelmReleaseReport[] {
  return (k.helmReleases ?? []).filter((h) => h.notRendered !== undefined && (policy.failOnSkipped || !h.suspended));
}
