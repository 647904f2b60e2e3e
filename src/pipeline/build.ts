// `podo build`: one Kustomization rendered as kustomize-controller would, from the same spec sources
// as the diff (the cluster, or --kustomization-file with no cluster at all).
import { createClusterClient } from '../cluster/client.js';
import { UsageError } from '../model/errors.js';
import type { RunOptions } from '../model/settings.js';
import { pickFromFile } from '../sources/file.js';
import { clusterNamed } from '../sources/spec-source.js';
import { renderKustomization, type BuildResult } from './render.js';

export async function renderNamed(options: RunOptions, withCluster: boolean): Promise<BuildResult> {
  const { selection } = options;
  if (selection.mode !== 'single') throw new UsageError('podo build takes one Kustomization name');
  if (!withCluster) {
    const ks = pickFromFile(options.kustomizationFile!, selection.name, selection.namespace);
    return renderKustomization(undefined, ks, options.path, options.build);
  }
  const { cluster } = options;
  const client = await createClusterClient({ ...cluster, concurrency: 4, deadline: Date.now() + cluster.timeoutMs });
  try {
    const { roots } = await clusterNamed(client, selection.name, selection.namespace, options.path, options.kustomizationFile, options.ignoreNotFound).roots();
    return await renderKustomization(client, roots[0].head!, options.path, options.build);
  } finally {
    client.close();
  }
}
