// `podo build kustomization`: the objects exactly as they would be applied, Secret values masked.
import type { Command } from 'commander';
import { UsageError } from '../model/errors.js';
import { findKustomize } from '../render/kustomize.js';
import { assertDirectory } from '../render/workspace.js';
import { renderNamed } from '../pipeline/build.js';
import { maskSecrets } from '../diff/mask.js';
import { renderManifests } from '../report/manifests.js';
import type { RunOptions } from '../model/settings.js';
import { toRunOptions, type RunFlags } from './run-options.js';
import { EXIT_NO_CHANGES } from './exit.js';
import { err, out } from './output.js';
import { startDeadline } from './guard.js';

export interface BuildFlags extends RunFlags {
  dryRun?: boolean;
}

export function validateBuild(name: string | undefined, f: BuildFlags): { run: RunOptions; withCluster: boolean } {
  if (!name) throw new UsageError('missing Kustomization name: podo build kustomization NAME --path DIR');
  if (!f.path) throw new UsageError('--path DIR is required');
  if (f.dryRun && !f.kustomizationFile) throw new UsageError('--dry-run needs --kustomization-file FILE (there is no cluster to read the spec from)');
  assertDirectory(f.path);
  return { run: toRunOptions(name, f, true, () => findKustomize(f.kustomizeBin)), withCluster: !f.dryRun };
}

export async function runBuildKustomization(name: string | undefined, flags: unknown, _cmd: Command): Promise<number> {
  const v = validateBuild(name, flags as BuildFlags);
  startDeadline(v.run.cluster.timeoutMs, (flags as BuildFlags).timeout);
  const result = await renderNamed(v.run, v.withCluster);
  for (const n of result.notes) err(`podo: note: ${n}\n`);
  out(renderManifests(result.objects.map((o) => maskSecrets(undefined, o.object, false, o.secretPaths).after!)));
  return EXIT_NO_CHANGES;
}
