// `podo build kustomization`: the objects exactly as they would be applied, Secret values masked.
import type { Command } from 'commander';
import { UsageError } from '../model/errors.js';
import { findKustomize } from '../render/kustomize/kustomize.js';
import { build } from '../pipeline/run.js';
import { maskSecrets } from '../diff/mask.js';
import { renderManifests } from '../report/manifests.js';
import type { RunOptions } from '../model/settings.js';
import type { RenderedObject } from '../model/object.js';
import { isHelmRelease } from '../flux/helmrelease.js';
import { toRunOptions } from './run-options.js';
import type { FlagValues } from './flags.js';
import { EXIT_NO_CHANGES } from './exit.js';
import { err, out } from './output.js';
import { startDeadline } from './guard.js';

/** The flags of `podo build kustomization` (flags.ts). */
export type BuildFlags = FlagValues<'build'>;

/** The validated options of `podo build kustomization`. */
export interface BuildCommandOptions {
  run: RunOptions;
}

export function validateBuild(name: string | undefined, f: BuildFlags, env: NodeJS.ProcessEnv): BuildCommandOptions {
  if (!name) throw new UsageError('missing Kustomization name: podo build kustomization NAME --path DIR');
  if (!f.path) throw new UsageError('--path DIR is required');
  if (f.dryRun && !f.kustomizationFile) throw new UsageError('--dry-run needs --kustomization-file FILE (there is no cluster to read the spec from)');
  // --helm-bin renders the build's charts, as in diff: a named helm that is not there is said before anything runs (toRunOptions).
  const run = toRunOptions(name, f, true, env, () => findKustomize(f.kustomizeBin, env), 'build');
  // Without --dry-run the spec (and substituteFrom, the decryption Secret) come from the cluster.
  return { run: { ...run, buildOnly: { specFromCluster: !f.dryRun } } };
}

export async function runBuildKustomization(name: string | undefined, flags: unknown, _cmd: Command): Promise<number> {
  const v = validateBuild(name, flags as BuildFlags, process.env);
  startDeadline(v.run.cluster.timeoutMs, (flags as BuildFlags).timeout);
  const result = await build(v.run);
  for (const n of result.notes) err(`podo: note: ${n}\n`);
  const releases = result.releases;
  // A chart that was not rendered is said, never silently left out.
  for (const r of releases) if (r.notRendered) err(`podo: note: HelmRelease ${r.namespace}/${r.name} not rendered: ${r.notRendered}\n`);
  const ordered = underTheirHelmReleases(result.objects);
  const titles = new Map(releases.map((r) => [`${r.namespace}/${r.name}`, r.chart]));
  const comments = ordered.map((o, i) => (o.helmRelease && ordered[i - 1]?.helmRelease !== o.helmRelease ? `HelmRelease ${o.helmRelease}${titles.get(o.helmRelease) ? `: chart ${titles.get(o.helmRelease)}` : ''}` : undefined));
  out(renderManifests(ordered.map((o) => maskSecrets(undefined, o.object, false, o.secretPaths).after!), comments));
  return EXIT_NO_CHANGES;
}

/** The build's own objects in order, each HelmRelease followed by the objects its chart renders. */
export function underTheirHelmReleases(objects: RenderedObject[]): RenderedObject[] {
  const charts = new Map<string, RenderedObject[]>();
  for (const o of objects) if (o.helmRelease) charts.set(o.helmRelease, [...(charts.get(o.helmRelease) ?? []), o]);
  const out: RenderedObject[] = [];
  for (const o of objects) {
    if (o.helmRelease) continue;
    out.push(o);
    const id = `${String(o.object.metadata.namespace ?? '')}/${o.object.metadata.name}`;
    if (isHelmRelease(o.object) && charts.has(id)) {
      out.push(...charts.get(id)!);
      charts.delete(id);
    }
  }
  for (const rest of charts.values()) out.push(...rest);
  return out;
}
