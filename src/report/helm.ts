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
  const reasons = [...new Set(list.map((l) => l.reason))];
  if (reasons.length === 1 && list.length > 1) return `${head}: ${reasons[0]}`;
  return `${head}: ${list.map((l) => `${l.id}: ${l.reason}`).join('; ')}`;
}
