// What a reviewer reads first, derived from the report alone: one row of counts per Kustomization and
// HelmRelease that changes, the images that change, and the changes that deserve a second look
// (the blast radius: deletions that take data or whole namespaces with them, replacements, RBAC that
// grants more, Flux switches, major chart upgrades). Pure: shared by the formats that show it.
import type { DiffReport, ResourceChange, Summary } from '../model/change.js';
import { groupOf, isJsonObject, type JsonValue, type KubeObject, type ObjectRef } from '../model/object.js';
import { changeCount, summarize } from '../model/summary.js';
import { containerImages, podSpecOf, valueAt } from '../model/workload.js';
import { helmSections } from './helm.js';

export interface SummaryRow {
  cluster?: string;
  /** `namespace/name` of the Kustomization. */
  kustomization: string;
  /** `namespace/name` of the HelmRelease whose chart objects the row counts; absent for the Kustomization's own objects. */
  helmRelease?: string;
  counts: Summary;
  /** The Kustomization failed as a whole (no counts to show). */
  failed?: boolean;
}

/** A row per Kustomization (own objects) and per HelmRelease that changes something or failed. */
export function summaryRows(report: DiffReport): SummaryRow[] {
  const rows: SummaryRow[] = [];
  for (const k of report.kustomizations) {
    const base = { ...(k.cluster !== undefined ? { cluster: k.cluster } : {}), kustomization: `${k.namespace}/${k.name}` };
    if (k.error) {
      rows.push({ ...base, counts: summarize([]), failed: true });
      continue;
    }
    const { own, sections } = helmSections(k);
    const ownCounts = summarize(own);
    if (changeCount(ownCounts) + ownCounts.failed > 0) rows.push({ ...base, counts: ownCounts });
    for (const s of sections) {
      const counts = summarize(s.resources);
      if (changeCount(counts) + counts.failed > 0) rows.push({ ...base, helmRelease: s.id, counts });
    }
  }
  return rows;
}

export interface ImageChange {
  ref: ObjectRef;
  container: string;
  /** Absent: the container is new (or the workload is). */
  from?: string;
  /** Absent: the container is removed (or the workload is). */
  to?: string;
}

/** Every container whose image a created, changed or deleted workload changes, in report order. */
export function imageChanges(report: DiffReport): ImageChange[] {
  const out: ImageChange[] = [];
  for (const r of report.kustomizations.flatMap((k) => k.resources)) {
    if (r.action !== 'created' && r.action !== 'drifted' && r.action !== 'replaced' && r.action !== 'deleted') continue;
    const before = r.action !== 'created' ? imagesOf(r.before) : new Map<string, string>();
    const after = r.action !== 'deleted' ? imagesOf(r.after) : new Map<string, string>();
    for (const name of new Set([...after.keys(), ...before.keys()])) {
      const from = before.get(name);
      const to = after.get(name);
      if (from === to) continue;
      out.push({ ref: r.ref, container: name, ...(from !== undefined ? { from } : {}), ...(to !== undefined ? { to } : {}) });
    }
  }
  return out;
}

function imagesOf(obj: KubeObject | undefined): Map<string, string> {
  const pod = obj ? podSpecOf(obj) : undefined;
  return new Map(pod ? containerImages(pod).map((c) => [c.name, c.image]) : []);
}

/** What kind of risk an item is; formats choose their own words and icons around `detail`. */
export type AttentionKind = 'deleted' | 'replaced' | 'rbac' | 'flux' | 'chart-major';

export interface AttentionItem {
  kind: AttentionKind;
  ref: ObjectRef;
  /** Plain text naming what happens; repository strings inside it are escaped by the format. */
  detail: string;
}

/** Deleting these takes more than the object with it. */
const COSTLY_DELETIONS: Record<string, string> = {
  Namespace: 'deleting a Namespace deletes every object in it',
  PersistentVolumeClaim: 'its volume goes with it under a Delete reclaim policy',
  CustomResourceDefinition: 'deleting a CRD deletes every custom resource of its kind',
  StatefulSet: 'its Pods are deleted',
};

/** ClusterRoles that grant (nearly) everything in their scope: Kubernetes' user-facing defaults. */
const POWERFUL_ROLES = new Set(['cluster-admin', 'admin', 'edit']);

/** Changes that deserve a second look, in report order. */
export function attentionItems(report: DiffReport): AttentionItem[] {
  const out: AttentionItem[] = [];
  for (const r of report.kustomizations.flatMap((k) => k.resources)) {
    const group = groupOf(r.ref.apiVersion);
    if (r.action === 'deleted' && COSTLY_DELETIONS[r.ref.kind] && isCoreKind(r.ref)) {
      out.push({ kind: 'deleted', ref: r.ref, detail: `deleted: ${COSTLY_DELETIONS[r.ref.kind]}` });
    }
    if (r.action === 'replaced') out.push({ kind: 'replaced', ref: r.ref, detail: `replaced (deleted and created again)${r.reason ? `: ${r.reason}` : ''}` });
    if (r.action !== 'created' && r.action !== 'drifted' && r.action !== 'replaced') continue;
    const before = r.action === 'created' ? undefined : r.before;
    if (group === 'rbac.authorization.k8s.io') out.push(...rbacItems(r, before));
    if (group === 'kustomize.toolkit.fluxcd.io' && r.ref.kind === 'Kustomization' && before) out.push(...fluxSwitches(r, before));
    if (group === 'helm.toolkit.fluxcd.io' && r.ref.kind === 'HelmRelease' && before) {
      const item = chartMajor(r, before);
      if (item) out.push(item);
    }
  }
  return out;
}

/** The kinds of COSTLY_DELETIONS live in core v1, apps and apiextensions; a CRD's own kind of that name does not count. */
function isCoreKind(ref: ObjectRef): boolean {
  const group = groupOf(ref.apiVersion);
  return group === '' || group === 'apps' || group === 'apiextensions.k8s.io';
}

function rbacItems(r: ResourceChange, before: KubeObject | undefined): AttentionItem[] {
  const after = r.after;
  if (!after) return [];
  if (r.ref.kind === 'ClusterRoleBinding' || r.ref.kind === 'RoleBinding') {
    const role = valueAt(after, ['roleRef']);
    if (!isJsonObject(role) || role.kind !== 'ClusterRole' || typeof role.name !== 'string' || !POWERFUL_ROLES.has(role.name)) return [];
    const had = new Set(subjectsOf(before && isJsonObject(valueAt(before, ['roleRef'])) && valueAt(before, ['roleRef', 'name']) === role.name ? before : undefined));
    const added = subjectsOf(after).filter((s) => !had.has(s));
    if (added.length === 0) return [];
    return [{ kind: 'rbac', ref: r.ref, detail: `grants ClusterRole ${role.name} to ${added.join(', ')}` }];
  }
  if (r.ref.kind === 'ClusterRole' || r.ref.kind === 'Role') {
    const old = rulesOf(before).map((rule) => JSON.stringify(rule));
    const wildcard = rulesOf(after).filter((rule) => isJsonObject(rule) && Array.isArray(rule.verbs) && rule.verbs.includes('*') && !old.includes(JSON.stringify(rule)));
    if (wildcard.length === 0) return [];
    const what = wildcard.map((rule) => {
      const resources = isJsonObject(rule) && Array.isArray(rule.resources) ? rule.resources.join(', ') : isJsonObject(rule) && Array.isArray(rule.nonResourceURLs) ? rule.nonResourceURLs.join(', ') : '?';
      return resources;
    });
    return [{ kind: 'rbac', ref: r.ref, detail: `new rule${wildcard.length === 1 ? '' : 's'} with verbs ["*"] on ${what.join('; ')}` }];
  }
  return [];
}

/** `User alice`, `ServiceAccount ns/name`, `Group devs`. */
function subjectsOf(binding: KubeObject | undefined): string[] {
  const subjects = binding ? valueAt(binding, ['subjects']) : undefined;
  if (!Array.isArray(subjects)) return [];
  return subjects.filter(isJsonObject).map((s) => `${String(s.kind)} ${typeof s.namespace === 'string' ? `${s.namespace}/` : ''}${String(s.name)}`);
}

function rulesOf(role: KubeObject | undefined): JsonValue[] {
  const rules = role ? valueAt(role, ['rules']) : undefined;
  return Array.isArray(rules) ? rules : [];
}

/** kustomize-controller's defaults: suspend false; prune has none (required), so a missing one reads false. */
function fluxSwitches(r: ResourceChange, before: KubeObject): AttentionItem[] {
  const out: AttentionItem[] = [];
  for (const field of ['prune', 'suspend'] as const) {
    const from = valueAt(before, ['spec', field]) === true;
    const to = valueAt(r.after, ['spec', field]) === true;
    if (from !== to) out.push({ kind: 'flux', ref: r.ref, detail: `spec.${field} ${from} → ${to}` });
  }
  return out;
}

/** Leading major version of a chart version (`v2.1.0`, `2.1`, `2`); undefined for ranges and anything else. */
export function majorOf(version: string): number | undefined {
  const m = /^v?(\d+)(?:\.\d+){0,2}(?:[-+].*)?$/.exec(version.trim());
  return m ? Number(m[1]) : undefined;
}

function chartMajor(r: ResourceChange, before: KubeObject): AttentionItem | undefined {
  const path = ['spec', 'chart', 'spec', 'version'];
  const from = valueAt(before, path);
  const to = valueAt(r.after, path);
  if (typeof from !== 'string' || typeof to !== 'string') return undefined;
  const a = majorOf(from);
  const b = majorOf(to);
  if (a === undefined || b === undefined || b <= a) return undefined;
  const chart = valueAt(r.after, ['spec', 'chart', 'spec', 'chart']);
  return { kind: 'chart-major', ref: r.ref, detail: `chart${typeof chart === 'string' ? ` ${chart}` : ''} major version ${from} → ${to}` };
}
