// `podo build`: one Kustomization rendered as kustomize-controller would, from the same spec sources
// as the diff (the cluster, or --kustomization-file with no cluster at all).
import path from 'node:path';
import { createClusterClient, type ClusterClient } from '../cluster/client.js';
import { BuildError, UsageError } from '../model/errors.js';
import type { FluxKustomization } from '../model/kustomization.js';
import type { RunOptions } from '../model/settings.js';
import { isFluxKustomization, specFromObject } from '../flux/spec.js';
import { pickFromFile } from '../sources/file.js';
import { listGitRepositories } from '../sources/cluster.js';
import { discover } from '../sources/repository.js';
import { checkoutSources, sourceResolver } from '../sources/local-sources.js';
import { clusterNamed } from '../sources/spec-source.js';
import { checkoutRoot } from './checkout-root.js';
import { chartSources, renderKustomization, type HelmRender, type RenderResult } from './render.js';
import { HelmStage } from './helm.js';
import { secrets } from '../model/secrets.js';
import type { SourceResolver } from '../sources/local-sources.js';

export async function renderNamed(options: RunOptions, withCluster: boolean): Promise<RenderResult> {
  const { selection } = options;
  if (selection.mode !== 'single') throw new UsageError('podo build takes one Kustomization name');
  // The HelmReleases of the build are rendered too (--no-charts: not), their objects after the build's own.
  const stage = options.build.charts === false ? undefined : new HelmStage(options.build.helm, options.build.kustomize, (v) => secrets.add(v), options.build.cacheDir);
  try {
    if (!withCluster) {
      const ks = pickFromFile(options.kustomizationFile!, selection.name, selection.namespace);
      const ctx = await buildContext(undefined, ks, options, stage);
      const root = await renderKustomization(undefined, ks, options.path, options.build, undefined, ctx.helm);
      return selection.recursive ? withChildren(undefined, ks, root, options, ctx) : root;
    }
    const { cluster } = options;
    const client = await createClusterClient({ ...cluster, concurrency: 4, deadline: Date.now() + cluster.timeoutMs });
    try {
      const { roots } = await clusterNamed(client, selection.name, selection.namespace, options.path, options.kustomizationFile, options.ignoreNotFound).roots();
      const ks = roots[0].head!;
      const ctx = await buildContext(client, ks, options, stage);
      const root = await renderKustomization(client, ks, options.path, options.build, undefined, ctx.helm);
      return selection.recursive ? await withChildren(client, ks, root, options, ctx) : root;
    } finally {
      client.close();
    }
  } finally {
    stage?.cleanup();
  }
}

interface BuildContext {
  resolve: SourceResolver;
  helm?: HelmRender;
}

/** Where the sources of this build live (the checkout, --local-sources), for children and charts alike. */
async function buildContext(client: ClusterClient | undefined, rootKs: FluxKustomization, options: RunOptions, stage: HelmStage | undefined): Promise<BuildContext> {
  const root = checkoutRoot(options, rootKs);
  const gitRepositories = client ? await listGitRepositories(client) : discover(root).gitRepositories;
  const resolve = sourceResolver(root, checkoutSources(root, gitRepositories), options.localSources);
  return { resolve, ...(stage ? { helm: { stage, sourceDir: chartSources(resolve), concurrency: 4 } } : {}) };
}

/**
 * `build -r` as flux build --recursive: the Flux Kustomizations a build produces are built too, with
 * their local specs, from the source each names (the checkout, or --local-sources); their objects
 * follow their parent's. A child whose source is not mapped is an error naming it: a build that
 * silently left it out would pass for the whole.
 */
async function withChildren(client: ClusterClient | undefined, rootKs: FluxKustomization, root: RenderResult, options: RunOptions, ctx: BuildContext): Promise<RenderResult> {
  const resolve = ctx.resolve;
  const objects = [...root.objects];
  const notes = [...root.notes];
  const releases = [...(root.helm?.releases ?? [])];
  const seen = new Set([`${rootKs.spec.namespace}/${rootKs.spec.name}`]);
  let level = root.objects.filter((o) => isFluxKustomization(o.object));
  while (level.length > 0) {
    const next: typeof level = [];
    for (const o of level) {
      const child = specFromObject(o.object, 'built by its parent');
      const key = `${child.spec.namespace}/${child.spec.name}`;
      if (seen.has(key)) continue;
      seen.add(key);
      const where = resolve(child.spec);
      if ('reason' in where) throw new BuildError(`Kustomization ${key}: not built: ${where.reason}`);
      const built = await renderKustomization(client, child, path.join(where.root, child.spec.path ?? '.'), options.build, where.root, ctx.helm);
      if (built.helm) releases.push(...built.helm.releases);
      objects.push(...built.objects);
      notes.push(...built.notes.map((n) => `${key}: ${n}`));
      next.push(...built.objects.filter((c) => isFluxKustomization(c.object)));
    }
    level = next;
  }
  return { ...root, objects, notes, ...(root.helm || releases.length > 0 ? { helm: { ...(root.helm ?? { objects: [], notes: [], rendered: [], secretInputs: 0 }), releases } } : {}) };
}
