// `podo build kustomization`: the objects exactly as they would be applied, Secret values masked.
import type { Command } from 'commander';
import { UsageError } from '../model/errors.js';
import { findKustomize } from '../render/kustomize.js';
import { assertDirectory } from '../render/workspace.js';
import { createClusterClient } from '../cluster/client.js';
import { buildFor, resolveKustomization } from '../pipeline/diff-kustomization.js';
import { pickFromFile } from '../flux/load.js';
import { renderManifests } from '../report/manifests.js';
import { connectionSettings, ignorePathsOf, parseDuration, type BuildOptionFlags } from './options.js';
import { EXIT_NO_CHANGES } from './exit.js';

export interface BuildFlags extends BuildOptionFlags {
  dryRun?: boolean;
}

export function validateBuild(name: string | undefined, f: BuildFlags): { name: string; path: string; timeoutMs: number } {
  if (!name) throw new UsageError('missing Kustomization name: podo build kustomization NAME --path DIR');
  if (!f.path) throw new UsageError('--path DIR is required');
  if (f.dryRun && !f.kustomizationFile) throw new UsageError('--dry-run needs --kustomization-file FILE (there is no cluster to read the spec from)');
  return { name, path: f.path, timeoutMs: parseDuration('--timeout', f.timeout) };
}

export async function runBuildKustomization(name: string | undefined, flags: unknown, _cmd: Command): Promise<number> {
  const f = flags as BuildFlags;
  const v = validateBuild(name, f);
  assertDirectory(v.path);
  const kustomize = findKustomize(f.kustomizeBin);
  const ignorePaths = ignorePathsOf(f.ignorePaths);
  const connection = connectionSettings(f);
  const opts = { path: v.path, kustomize, strictSubstitute: f.strictSubstitute, sopsAgeKeyFile: f.sopsAgeKeyFile, ignorePaths };
  let result;
  if (f.dryRun) {
    const ks = pickFromFile(f.kustomizationFile!, v.name, f.namespace);
    result = await buildFor(undefined, ks, opts);
  } else {
    const client = await createClusterClient({ ...connection, concurrency: 4, deadline: Date.now() + v.timeoutMs });
    try {
      const ks = await resolveKustomization(client, {
        ...opts,
        name: v.name,
        namespace: f.namespace,
        concurrency: 4,
        kustomizationFile: f.kustomizationFile,
        ignoreNotFound: f.ignoreNotFound,
      });
      result = await buildFor(client, ks, opts);
    } finally {
      client.close();
    }
  }
  for (const n of result.notes) process.stderr.write(`podo: note: ${n}\n`);
  process.stdout.write(renderManifests(result.objects.map((o) => o.object)));
  return EXIT_NO_CHANGES;
}
