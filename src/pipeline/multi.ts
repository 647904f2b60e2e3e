// Several Kustomizations in one run: every one in the cluster (--all), or one and the Flux
// Kustomizations its build produces, followed with their local specs (--recursive).
import { existsSync } from 'node:fs';
import path from 'node:path';
import type { ClusterClient } from '../cluster/client.js';
import { dryRun } from '../cluster/dryrun.js';
import { mapConcurrent } from '../cluster/pool.js';
import { listFromCluster, loadFromCluster } from '../flux/load.js';
import { FLUX_KUSTOMIZATION_GROUP } from '../flux/spec.js';
import { removalEffect } from '../flux/deletion-policy.js';
import type { FluxKustomization } from '../model/kustomization.js';
import { toResourceChange } from '../diff/changes.js';
import type { KustomizationDiff } from '../model/change.js';
import { oneLineMessage } from '../model/errors.js';
import { diffKustomization, type DiffKustomizationOptions, type KustomizationResult } from './diff-kustomization.js';
import type { SourceMapper } from './sources.js';

export type MultiOptions = Omit<DiffKustomizationOptions, 'name' | 'namespace' | 'path'> & {
  /** How many Kustomizations are built and diffed at once. */
  parallel: number;
  onKustomization?: (done: number, total: number) => void;
};

const empty = (ks: FluxKustomization): KustomizationDiff => ({ name: ks.spec.name, namespace: ks.spec.namespace, resources: [], warnings: [], notes: [] });

/** Where a Kustomization's path is locally, or why it cannot be diffed. */
function locate(ks: FluxKustomization, sources: SourceMapper): { dir: string } | { skipped: string } | { problem: string } {
  if (ks.spec.kubeConfig) return { skipped: 'targets a remote cluster (spec.kubeConfig)' };
  if (ks.spec.suspend) return { skipped: 'suspended (spec.suspend: true)' };
  const src = sources(ks.spec);
  if ('reason' in src) return { skipped: src.reason };
  if (ks.problem) return { problem: ks.problem };
  const dir = path.join(src.root, ks.spec.path ?? '.');
  if (!existsSync(dir)) return { skipped: `path ${ks.spec.path ?? '.'} does not exist in ${src.root}` };
  return { dir };
}

async function diffOne(client: ClusterClient, ks: FluxKustomization, sources: SourceMapper, opts: MultiOptions): Promise<KustomizationResult> {
  const where = locate(ks, sources);
  if ('problem' in where) return { diff: { ...empty(ks), error: where.problem }, children: [] };
  if ('skipped' in where) return { diff: { ...empty(ks), skipped: where.skipped }, children: [] };
  try {
    return await diffKustomization(client, ks, { ...opts, name: ks.spec.name, namespace: ks.spec.namespace, path: where.dir });
  } catch (err) {
    // One Kustomization's failure is reported under its own header; the others go on.
    return { diff: { ...empty(ks), error: oneLineMessage(err) }, children: [] };
  }
}

const byName = (a: FluxKustomization, b: FluxKustomization) =>
  a.spec.namespace.localeCompare(b.spec.namespace) || a.spec.name.localeCompare(b.spec.name);

export async function diffAll(client: ClusterClient, namespace: string | undefined, sources: SourceMapper, opts: MultiOptions): Promise<KustomizationDiff[]> {
  const all = (await listFromCluster(client, namespace)).sort(byName);
  let done = 0;
  return mapConcurrent(all, opts.parallel, async (ks) => {
    const r = await diffOne(client, ks, sources, opts);
    opts.onKustomization?.(++done, all.length);
    return r.diff;
  });
}

/**
 * The named Kustomization, then the Kustomizations its build produces, with their LOCAL specs (flux
 * uses the live ones): a changed child spec is diffed with the change, a new child's objects are all
 * created, and a child removed from the build shows its inventory as deleted when it would be pruned.
 */
export async function diffRecursive(client: ClusterClient, root: FluxKustomization, rootDir: string, sources: SourceMapper, opts: MultiOptions): Promise<KustomizationDiff[]> {
  const out: KustomizationDiff[] = [];
  const seen = new Set<string>();
  const key = (ks: FluxKustomization) => `${ks.spec.namespace}/${ks.spec.name}`;
  let level: Array<{ ks: FluxKustomization; dir?: string }> = [{ ks: root, dir: rootDir }];
  while (level.length > 0) {
    const results = await mapConcurrent(level, opts.parallel, async ({ ks, dir }) => {
      seen.add(key(ks));
      if (dir) {
        try {
          return await diffKustomization(client, ks, { ...opts, name: ks.spec.name, namespace: ks.spec.namespace, path: dir });
        } catch (err) {
          return { diff: { ...empty(ks), error: oneLineMessage(err) }, children: [] };
        }
      }
      return diffOne(client, ks, sources, opts);
    });
    const next: Array<{ ks: FluxKustomization; dir?: string }> = [];
    for (const [i, r] of results.entries()) {
      out.push(r.diff);
      const parent = level[i].ks;
      for (const child of r.children) {
        if (seen.has(key(child))) continue;
        seen.add(key(child));
        const live = await loadFromCluster(client, child.spec.name, child.spec.namespace);
        // The local spec is what would be applied; the live inventory is what would be pruned.
        next.push({ ks: { ...child, inventory: live?.inventory } });
      }
      for (const removed of removedChildren(parent, r.children)) {
        if (seen.has(removed)) continue;
        seen.add(removed);
        out.push(await removedChildDiff(client, removed, opts.concurrency));
      }
    }
    level = next;
  }
  return out;
}

/** Child Kustomizations in the parent's live inventory that its build no longer produces (only with prune). */
function removedChildren(parent: FluxKustomization, children: FluxKustomization[]): string[] {
  if (!parent.spec.prune || !parent.inventory) return [];
  const built = new Set(children.map((c) => `${c.spec.namespace}/${c.spec.name}`));
  return parent.inventory
    .filter((e) => e.group === FLUX_KUSTOMIZATION_GROUP && e.kind === 'Kustomization')
    .map((e) => `${e.namespace}/${e.name}`)
    .filter((k) => !built.has(k));
}

async function removedChildDiff(client: ClusterClient, key: string, concurrency: number): Promise<KustomizationDiff> {
  const [namespace, name] = key.split('/');
  const live = await loadFromCluster(client, name, namespace);
  const base: KustomizationDiff = { name, namespace, resources: [], warnings: [], notes: [] };
  if (!live) return base;
  const removal = removalEffect(live.spec);
  if (!removal.deletes || !live.inventory) return { ...base, notes: [removal.note] };
  const results = await dryRun(client, [], {
    concurrency,
    force: false,
    pruneCandidates: live.inventory.map((e) => ({
      ref: { apiVersion: e.group ? `${e.group}/${e.version}` : e.version, kind: e.kind, name: e.name, ...(e.namespace ? { namespace: e.namespace } : {}) },
      group: e.group,
      version: e.version,
    })),
  });
  return { ...base, resources: results.map((r) => toResourceChange(r)), notes: [removal.note] };
}
