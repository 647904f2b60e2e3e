// The render step of the pipeline: one Kustomization built as kustomize-controller would, with the
// cluster's inputs (postBuild.substituteFrom, the decryption Secret) read through callbacks when there
// is a cluster, and skipped with a note when there is none.
import os from 'node:os';
import type { ClusterClient } from '../cluster/client.js';
import { readKeyValues } from '../cluster/key-values.js';
import { buildKustomization, type BuildResult } from '../render/index.js';
import type { SourceTrees } from '../render/source-tree.js';
import type { FluxKustomization } from '../model/kustomization.js';
import type { BuildSettings } from '../model/settings.js';
import { errorMessage } from '../model/errors.js';
import type { SourceResolver } from '../sources/local-sources.js';
import type { SourceDir } from '../render/helm/index.js';
import type { HelmExpansion, HelmStage } from './helm.js';
import { secrets } from '../model/secrets.js';

export type { BuildResult };

/** The Helm step of a render: the run's helm, and where the chart sources of this side live. */
export interface HelmRender {
  stage: HelmStage;
  sourceDir: SourceDir;
  concurrency?: number;
}

export interface RenderResult extends BuildResult {
  /** The HelmReleases of the build, rendered (their objects are in `objects`); absent without a Helm step. */
  helm?: HelmExpansion;
}

/**
 * Builds `ks` from `dir` (its spec.path in a local checkout, inside `boundary` when given); without a
 * client, cluster inputs are skipped with a note. With `helm`, every HelmRelease of the build is rendered
 * and its chart's objects added. `run`: the run's repository views, and when kustomize must give up
 * (the Kustomization's budget).
 */
export async function renderKustomization(
  client: ClusterClient | undefined,
  ks: FluxKustomization,
  dir: string,
  build: BuildSettings,
  boundary?: string,
  helm?: HelmRender,
  run: { trees?: SourceTrees; deadline?: number } = {},
): Promise<RenderResult> {
  const keyNotes: string[] = [];
  const built = await buildKustomization({
    path: dir,
    spec: ks.spec,
    kustomize: build.kustomize,
    variables: client ? (kind, name, namespace) => readKeyValues(client, kind, name, namespace) : undefined,
    strictSubstitute: build.strictSubstitute,
    ignorePaths: build.ignorePaths,
    // The source root the build must stay inside, when the caller knows it (render/containment.ts).
    boundary,
    ageKeys: () => ageKeys(client, ks.spec, build.sopsAgeKeyFile, keyNotes),
    trees: run.trees,
    deadline: run.deadline,
  });
  const notes = [...keyNotes, ...built.notes];
  if (!helm) return { ...built, notes };
  const expanded = await helm.stage.expand(built.objects, { client, sourceDir: helm.sourceDir, concurrency: helm.concurrency });
  // Secrets a chart renders are secret wherever their values go, as built ones are (render/index.ts).
  for (const o of expanded.objects) {
    secrets.addSecretObject(o.object);
    secrets.addIdentifiers(o.object);
  }
  if (expanded.releases.length === 0) return { ...built, notes };
  return { objects: [...built.objects, ...expanded.objects], notes: [...notes, ...expanded.notes], helm: expanded };
}

/** A SourceDir over the Kustomization source resolver: a chart's source is looked up like a Kustomization's. */
export function chartSources(resolve: SourceResolver, mapRoot: (root: string) => string = (r) => r): SourceDir {
  return (kind, namespace, name) => {
    // The resolver takes a spec; the referring namespace only matters for mappings that leave it out.
    const r = resolve({ name, namespace, sourceRef: { kind, name, namespace } });
    return 'root' in r ? { root: mapRoot(r.root) } : r;
  };
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
