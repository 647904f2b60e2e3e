// HelmRelease grouping shared by the report formats: which resources a chart renders, and the one
// note that counts the HelmReleases whose charts were not rendered. Pure.
import type { DiffReport, HelmReleaseReport, KustomizationDiff, ResourceChange } from '../model/change.js';

export interface HelmSection {
  /** `namespace/name` */
  id: string;
  release: HelmReleaseReport;
  resources: ResourceChange[];
}

/** A Kustomization's own resources, then one section per HelmRelease (in the order the report lists them). */
export function helmSections(k: KustomizationDiff): { own: ResourceChange[]; sections: HelmSection[] } {
  const own = k.resources.filter((r) => !r.helmRelease);
  const sections: HelmSection[] = [];
  const byId = new Map<string, HelmSection>();
  for (const release of k.helmReleases ?? []) {
    const id = `${release.namespace}/${release.name}`;
    const s = { id, release, resources: [] as ResourceChange[] };
    sections.push(s);
    byId.set(id, s);
  }
  for (const r of k.resources) {
    if (!r.helmRelease) continue;
    let s = byId.get(r.helmRelease);
    if (!s) {
      const [namespace, name] = r.helmRelease.split('/', 2);
      s = { id: r.helmRelease, release: { namespace, name }, resources: [] };
      sections.push(s);
      byId.set(r.helmRelease, s);
    }
    s.resources.push(r);
  }
  return { own, sections };
}

/** `HelmRelease ns/name` with its chart, for section headers. */
export function helmTitle(s: HelmSection): string {
  return `HelmRelease ${s.id}${s.release.chart ? ` (chart ${s.release.chart})` : ''}${s.release.removed ? ' removed' : ''}`;
}

export function notRendered(report: DiffReport): { id: string; reason: string }[] {
  return report.kustomizations.flatMap((k) =>
    (k.helmReleases ?? []).filter((h) => h.notRendered).map((h) => ({ id: `${h.namespace}/${h.name}`, reason: h.notRendered! })),
  );
}

/**
 * The run's one line about charts it could not render, or undefined when every chart was rendered:
 * `2 HelmReleases not rendered (their charts' objects are not diffed): no helm binary found (…)`.
 */
export function notRenderedNote(report: DiffReport): string | undefined {
  const list = notRendered(report);
  if (list.length === 0) return undefined;
  const head = `${list.length} HelmRelease${list.length === 1 ? '' : 's'} not rendered (only the HelmRelease object${list.length === 1 ? ' is' : 's are'} diffed, not ${list.length === 1 ? 'its' : 'their'} chart's objects)`;
  const byReason = new Map<string, string[]>();
  for (const l of list) {
    const ids = byReason.get(l.reason);
    if (ids) ids.push(l.id);
    else byReason.set(l.reason, [l.id]);
  }
  if (byReason.size === 1 && list.length > 1) return `${head}: ${list[0].reason}`;
  // One entry per reason: a repository of app-template releases says "oci://…/app-template" once, not
  // once per release. Each HelmRelease's own reason stays beside it in the report.
  return `${head}: ${[...byReason].map(([reason, ids]) => `${namesOf(ids)}: ${reason}`).join('; ')}`;
}

const SHOWN_NAMES = 3;

/** `a/x, a/y, a/z and 4 more` */
function namesOf(ids: string[]): string {
  return ids.length <= SHOWN_NAMES ? ids.join(', ') : `${ids.slice(0, SHOWN_NAMES).join(', ')} and ${ids.length - SHOWN_NAMES} more`;
}
