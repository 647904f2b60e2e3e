// The target of `podo build`: nothing is compared. Each Kustomization's build is kept as it is, and the
// run's output is assembled as `flux build --recursive` prints it: the named Kustomization's objects,
// then those of the Kustomizations it produces, level by level in the order they appear.
import { BuildError } from '../model/errors.js';
import type { DiffReport } from '../model/change.js';
import type { RenderedObject } from '../model/object.js';
import type { HelmReleaseReport } from '../model/change.js';
import { isFluxKustomization, specFromObject } from '../flux/spec.js';
import type { HelmExpansion } from './helm.js';
import type { Evaluation, Target, TargetAnswer } from './target.js';

interface Built {
  objects: RenderedObject[];
  notes: string[];
  helm?: HelmExpansion;
}

/** What `podo build` prints: the objects in order, the build's notes, and the HelmReleases rendered. */
export interface BuildOutput {
  objects: RenderedObject[];
  notes: string[];
  releases: HelmReleaseReport[];
}

export class BuildTarget implements Target {
  readonly kind = 'build' as const;
  readonly allOrNothing = true;
  readonly needsRemoteCluster = false;
  private readonly builds = new Map<string, Built>();

  async evaluate(e: Evaluation): Promise<TargetAnswer> {
    const spec = (e.head ?? e.former)!.spec;
    this.builds.set(`${spec.namespace}/${spec.name}`, { objects: e.rendered ?? [], notes: e.renderNotes ?? [], ...(e.helm ? { helm: e.helm } : {}) });
    return { verdicts: [], notes: [], formerChildren: [] };
  }

  /**
   * The build of `root` with, when the run followed them (-r), the builds of the Kustomizations it
   * produces after it. A Kustomization the run could not build fails the whole: a build that silently
   * left one out would pass for all of it.
   */
  result(root: string, report: DiffReport): BuildOutput {
    for (const k of report.kustomizations) {
      const key = `${k.namespace}/${k.name}`;
      if (k.error) throw new BuildError(k.error);
      if (k.skipped) throw new BuildError(`Kustomization ${key}: not built: ${k.skipped}`);
    }
    const first = this.builds.get(root);
    if (!first) throw new BuildError(`Kustomization ${root}: not built`);
    const objects = [...first.objects];
    const notes = [...first.notes];
    const releases: HelmReleaseReport[] = [...(first.helm?.releases ?? [])];
    const seen = new Set([root]);
    let level = first.objects.filter((o) => isFluxKustomization(o.object));
    while (level.length > 0) {
      const next: RenderedObject[] = [];
      for (const o of level) {
        const { spec } = specFromObject(o.object, 'built by its parent');
        const key = `${spec.namespace}/${spec.name}`;
        const built = this.builds.get(key);
        if (seen.has(key) || !built) continue;
        seen.add(key);
        if (built.helm) releases.push(...built.helm.releases);
        objects.push(...built.objects);
        notes.push(...built.notes.map((n) => `${key}: ${n}`));
        next.push(...built.objects.filter((c) => isFluxKustomization(c.object)));
      }
      level = next;
    }
    return { objects, notes, releases };
  }
}
