// One Flux Kustomization, end to end: load its spec, build it as kustomize-controller would,
// dry-run every object, and turn the answers into a change list.
import type { ClusterClient } from '../cluster/client.js';
import { dryRun, type PruneCandidate } from '../cluster/dryrun.js';
import { readKeyValues } from '../cluster/key-values.js';
import { buildKustomization, type BuildResult } from '../render/index.js';
import type { KustomizeBinary } from '../render/kustomize.js';
import { loadFromCluster, notFound, pickFromFile } from '../flux/load.js';
import { inventoryId, isFluxKustomization, specFromObject } from '../flux/spec.js';
import { imageWarnings } from '../diff/images.js';
import type { FluxKustomization } from '../model/kustomization.js';
import { normalizeDesired } from '../diff/normalize.js';
import { toResourceChange } from '../diff/changes.js';
import { ignoreMatcher } from '../flux/drift-ignore.js';
import type { KustomizationDiff } from '../model/change.js';
import { groupOf } from '../model/object.js';
import { errorMessage } from '../model/errors.js';
import os from 'node:os';

export interface DiffKustomizationOptions {
  name: string;
  namespace: string;
  path: string;
  kustomize: KustomizeBinary;
  concurrency: number;
  kustomizationFile?: string;
  ignoreNotFound?: boolean;
  strictSubstitute?: boolean;
  sopsAgeKeyFile?: string;
  ignorePaths?: string[];
  onProgress?: (stage: string, done: number, total: number) => void;
}

export async function resolveKustomization(client: ClusterClient, opts: DiffKustomizationOptions): Promise<FluxKustomization> {
  const live = await loadFromCluster(client, opts.name, opts.namespace);
  if (opts.kustomizationFile) {
    if (!live && !opts.ignoreNotFound) throw notFound(opts.name, opts.namespace);
    const local = pickFromFile(opts.kustomizationFile, opts.name, opts.namespace);
    // As in flux: the file's spec replaces the live one; the live inventory still drives deletions.
    return { ...local, inventory: live?.inventory };
  }
  if (!live) throw notFound(opts.name, opts.namespace);
  return live;
}

export interface KustomizationResult {
  diff: KustomizationDiff;
  /** The Flux Kustomizations this build produces (for --recursive), with their local specs. */
  children: FluxKustomization[];
}

export async function diffKustomization(client: ClusterClient, ks: FluxKustomization, opts: DiffKustomizationOptions): Promise<KustomizationResult> {
  const { spec } = ks;
  // Warm discovery for the common group versions while kustomize runs; failures surface later, where
  // the resolution is really needed.
  for (const [gv, kind] of [['v1', 'ConfigMap'], ['apps/v1', 'Deployment']]) client.resolve(gv, kind).catch(() => undefined);
  const built = await buildFor(client, ks, opts);
  const desired = built.objects.map((o) => ({ object: normalizeDesired(o.object), valuesUnknown: o.valuesUnknown }));

  const pruneCandidates: PruneCandidate[] = [];
  if (spec.prune && ks.inventory) {
    const produced = new Set(
      desired.map((d) => inventoryId({ namespace: d.object.metadata.namespace as string | undefined, name: d.object.metadata.name, group: groupOf(d.object.apiVersion), kind: d.object.kind })),
    );
    for (const e of ks.inventory) {
      if (produced.has(e.id)) continue;
      pruneCandidates.push({
        ref: { apiVersion: e.group ? `${e.group}/${e.version}` : e.version, kind: e.kind, name: e.name, ...(e.namespace ? { namespace: e.namespace } : {}) },
        group: e.group,
        version: e.version,
      });
    }
  }

  const results = await dryRun(client, desired, {
    concurrency: opts.concurrency,
    force: spec.force === true,
    pruneCandidates,
    onProgress: opts.onProgress ? (d, t) => opts.onProgress!('dry-run', d, t) : undefined,
  });
  const notes = [...built.notes];
  if (spec.prune && ks.inventory && results.some((r) => r.action === 'failed') && pruneCandidates.length > 0) {
    notes.push(`Kustomization ${spec.namespace}/${spec.name}: deletions not evaluated because some objects failed (Flux skips pruning too)`);
  }
  const ignored = ignoreMatcher(spec.ignore);
  const resources = results.map((r) => toResourceChange(r, ignored));
  return {
    diff: { name: spec.name, namespace: spec.namespace, resources, warnings: imageWarnings(resources), notes },
    children: built.objects.filter((o) => isFluxKustomization(o.object)).map((o) => specFromObject(o.object, `built from ${spec.namespace}/${spec.name}`)),
  };
}

/** Builds a Kustomization as kustomize-controller would; without a client, cluster inputs are skipped with a note. */
export async function buildFor(client: ClusterClient | undefined, ks: FluxKustomization, opts: BuildForOptions): Promise<BuildResult> {
  const keyNotes: string[] = [];
  const built = await buildKustomization({
    path: opts.path,
    spec: ks.spec,
    kustomize: opts.kustomize,
    variables: client ? (kind, name, namespace) => readKeyValues(client, kind, name, namespace) : undefined,
    strictSubstitute: opts.strictSubstitute,
    ignorePaths: opts.ignorePaths,
    ageKeys: () => ageKeys(client, ks.spec, opts.sopsAgeKeyFile, keyNotes),
  });
  return { ...built, notes: [...keyNotes, ...built.notes] };
}

export interface BuildForOptions {
  path: string;
  ignorePaths?: string[];
  kustomize: KustomizeBinary;
  strictSubstitute?: boolean;
  sopsAgeKeyFile?: string;
}

/**
 * Age identities: the user's (--sops-age-key-file, SOPS_AGE_KEY_FILE, SOPS_AGE_KEY, keys.txt) and, when
 * the Kustomization names a decryption Secret the caller may read, its `*.agekey` entries.
 */
async function ageKeys(client: ClusterClient | undefined, spec: FluxKustomization['spec'], keyFile: string | undefined, notes: string[]): Promise<string[]> {
  const { loadAgeKeys, parseAgeKeys } = await import('../render/sops.js');
  const extra: string[] = [];
  const ref = spec.decryption?.secretRef;
  if (ref && !client) notes.push(`decryption Secret ${spec.namespace}/${ref.name} not read: no cluster`);
  if (ref && client) {
    try {
      const entries = (await readKeyValues(client, 'Secret', ref.name, spec.namespace)) ?? {};
      for (const [k, v] of Object.entries(entries)) if (k.endsWith('.agekey')) extra.push(...parseAgeKeys(v));
    } catch (err) {
      notes.push(`decryption Secret ${spec.namespace}/${ref.name} not read: ${errorMessage(err)}`);
    }
  }
  const { keys } = await loadAgeKeys({ keyFile, env: process.env, home: os.homedir(), extra });
  return keys;
}
