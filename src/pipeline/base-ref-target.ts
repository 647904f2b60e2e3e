// The base-ref target: no cluster. The same Kustomization is built at a git ref (in a temporary
// worktree) and stands in for the live state; the working tree's build stands in for the dry-run's
// merged result. Only git, the file system and kustomize are used: no kubeconfig is ever read.
import { isDeepStrictEqual } from 'node:util';
import { statSync } from 'node:fs';
import path from 'node:path';
import { decideApply, decideRemoval, type ApplySettings } from '../flux/apply-rules.js';
import { removalEffect } from '../flux/deletion-policy.js';
import { applyOrder } from '../flux/order.js';
import { isFluxKustomization, specFromObject } from '../flux/spec.js';
import { normalizeDesired } from '../diff/normalize.js';
import { identityKey, refOf, type ObjectRef, type RenderedObject } from '../model/object.js';
import { placeNamespace } from '../cluster/discovery.js';
import type { BuildSettings } from '../model/settings.js';
import type { Verdict } from '../model/verdict.js';
import type { FluxKustomization } from '../model/kustomization.js';
import { canonical, fingerprintOf, sameInputs } from '../render/fingerprint.js';
import type { SourceTrees } from '../render/tree/source-tree.js';
import { collectVariables } from '../render/flux/substitute.js';
import { chartEffects } from '../render/helm/chart-effects.js';
import { renderKustomization, type HelmRender } from './render.js';
import { sameSpec, type HelmExpansion } from './helm.js';
import { clusterScopedWithoutCluster, crdKinds } from './scope.js';
import { createdByKustomization, emptyCreated, type CreatedByDependencies, type Evaluation, type Sides, type Target, type TargetAnswer, type UnchangedProof } from './target.js';

export interface GitRefTree {
  ref: string;
  /** Top of the user's git working tree. */
  toplevel: string;
  /** Top of the temporary checkout of the ref. */
  worktree: string;
}

/** A working-tree path in the checkout of the ref; undefined when it is outside the git repository. */
export function pathAtRef(tree: GitRefTree, p: string): string | undefined {
  const rel = path.relative(tree.toplevel, p);
  if (rel.startsWith('..') || path.isAbsolute(rel)) return undefined;
  return path.join(tree.worktree, rel);
}

export class BaseRefTarget implements Target {
  readonly kind = 'base-ref' as const;
  readonly allOrNothing = false;
  readonly needsRemoteCluster = false;
  readonly headLabel = 'working tree';

  constructor(
    private readonly tree: GitRefTree,
    private readonly build: BuildSettings,
    /** The Helm step for the build at the ref (chart sources mapped into the ref's checkout). */
    private readonly helm?: HelmRender,
    /** The run's repository views (both trees), shared with the working tree's builds. */
    private readonly trees?: SourceTrees,
    /** Build every Kustomization, proven unchanged or not (PODO_BUILD_ALL=1: differential tests). */
    private readonly buildAll = false,
  ) {}

  /**
   * A Kustomization whose spec and every input of its build (render/fingerprint.ts) are byte-identical
   * in the working tree and at the ref builds the same on both sides: it is unchanged, and nothing
   * needs building, unless the run needs what the build produces (children to follow, CRDs).
   * Anything not proven, including a fingerprint that fails, is left to the builds.
   */
  async provenUnchanged(s: Sides): Promise<UnchangedProof | undefined> {
    if (this.buildAll || !this.trees) return undefined;
    if (canonical(s.head.spec) !== canonical(s.former.spec)) return undefined;
    const baseDir = this.atRef(s.formerDir);
    if (!baseDir || !isDirectory(s.dir) || !isDirectory(baseDir)) return undefined;
    try {
      const ignore = this.build.ignorePaths;
      // Each side with the root its build will be confined to (see evaluate).
      const [h, b] = await Promise.all([
        fingerprintOf(this.trees, s.dir, s.head.spec, ignore, s.boundary, s.watched),
        fingerprintOf(this.trees, baseDir, s.former.spec, ignore, this.baseBoundary(s.formerRoot), s.watched),
      ]);
      if (!sameInputs(h, b) || !('digest' in h)) return undefined;
      // Built once also when it may define a substituteFrom source of the run (pipeline/defined-sources.ts).
      let buildOnce = h.mayProduce.fluxKustomizations || h.mayProduce.crds || h.mayProduce.watched;
      // Its HelmReleases' charts may produce CRDs too: unless every chart is pinned and cached and what
      // it produces is proven (the CRDs of its crds/ directory, nothing else the run needs), built once.
      let creates: CreatedByDependencies | undefined;
      if (!buildOnce && h.helm) {
        creates = await this.chartCreates(h.helm.files, s);
        buildOnce = creates === undefined;
      }
      // The notes a build derives from the spec alone (substituteFrom without a cluster).
      const { notes } = await collectVariables(s.head.spec, s.variables);
      if (buildOnce) return { notes, buildOnce };
      return { notes: [...notes, `inputs identical at ${this.tree.ref}: not built`], buildOnce, ...(creates ? { creates } : {}) };
    } catch {
      return undefined;
    }
  }

  /**
   * What the charts of an unchanged build create for its dependents, when every HelmRelease has a
   * pinned, cached chart whose effects are proven (render/helm/chart-effects.ts): the kinds of the CRDs
   * of their crds/ directories, created by this Kustomization as its build would say (evaluate.ts).
   */
  private async chartCreates(files: { path: string; text: string }[], s: Sides): Promise<CreatedByDependencies | undefined> {
    const cache = this.helm?.stage.charts;
    if (!cache) return undefined;
    // Without a cluster every release is rendered as installed, so as upgraded (pipeline/helm.ts): its upgrade.crds policy.
    const answer = await chartEffects(files, s.head.spec, { cache, watched: s.watched, upgrade: true });
    if ('build' in answer) return undefined;
    const out = emptyCreated();
    const by = createdByKustomization(s.head.spec);
    for (const [kind, namespaced] of crdKinds(answer.creates.crds)) out.crds.set(kind, { by, namespaced });
    return out;
  }

  /** The root the build at the ref is confined to: the former source's root, in the ref's checkout. */
  private baseBoundary(formerRoot: string | undefined): string | undefined {
    return formerRoot ? (this.atRef(formerRoot) ?? formerRoot) : undefined;
  }

  /** A working-tree path in the checkout of the ref; undefined when it is outside the git repository. */
  atRef(p: string): string | undefined {
    return pathAtRef(this.tree, p);
  }

  /** `/tmp/podo-base-x/tree/apps/a.yaml` → `REF:apps/a.yaml`, also in the cwd-relative form the build prints. */
  display(s: string): string {
    const { worktree, ref } = this.tree;
    const forms = [worktree + path.sep, path.relative(process.cwd(), worktree) + path.sep, worktree];
    let out = s;
    for (const f of forms) if (f !== path.sep) out = out.split(f).join(`${ref}:`);
    return out;
  }

  async evaluate(e: Evaluation): Promise<TargetAnswer> {
    const { ref } = this.tree;
    const notes: string[] = [];
    const spec = (e.head ?? e.former)!.spec;
    const mapped = e.formerDir ? this.atRef(e.formerDir) : undefined;
    const baseDir = e.former && e.formerDir ? (mapped ?? e.formerDir) : undefined;
    if (e.former && e.formerDir && !mapped) {
      notes.push(`${e.formerDir} is outside the git repository: it is the same at ${ref}, so nothing built from it shows as changed`);
    }
    const baseExists = baseDir !== undefined && isDirectory(baseDir);
    if (e.headMissing && !baseExists) {
      return { verdicts: [], notes, formerChildren: [], skipped: { cause: 'path not found', reason: `path ${spec.path ?? '.'} does not exist in the working tree, nor at ${ref}` } };
    }
    if (!e.former) notes.push(`new Kustomization: not defined at ${ref}`);
    // Removed in the working tree: its deletionPolicy says what happens to its objects.
    const removal = e.head ? undefined : removalEffect(spec);
    if (removal) notes.push(`removed in the working tree: ${removal.note}`);
    if (e.headMissing) notes.push(`${e.headMissing} does not exist in the working tree: everything built at ${ref} is removed`);
    if (e.former && baseDir && !baseExists) notes.push(`${this.display(baseDir)} does not exist at ${ref}: everything is new`);

    let base: RenderedObject[] = [];
    let baseHelm: HelmExpansion | undefined;
    if (e.former && baseDir && baseExists && e.formerBuildsSame) {
      // Proven to build the same as the working tree (provenUnchanged; with HelmReleases only when their charts are remote): its build is the working tree's.
      base = e.rendered ?? [];
    } else if (e.former && baseDir && baseExists) {
      try {
        const built = await renderKustomization(undefined, e.former, baseDir, this.build, this.baseBoundary(e.formerRoot), this.helm, {
          trees: this.trees,
          deadline: e.deadline,
          variables: e.formerVariables,
        });
        base = built.objects;
        baseHelm = built.helm;
        for (const n of built.notes.map((x) => this.display(x))) if (!(e.renderNotes ?? []).includes(n)) notes.push(`at ${ref}: ${n}`);
      } catch (err) {
        // Say which side failed, with the temporary checkout's path shown as REF:path; keep the error's class (exit code).
        if (err instanceof Error) {
          err.message = `at ${ref}: ${this.display(err.message)}`;
          throw err;
        }
        throw new Error(`at ${ref}: ${String(err)}`);
      }
    }
    const head = e.rendered ?? [];
    const prune = removal ? removal.deletes : spec.prune === true;
    const headReleases = e.helm?.releases ?? [];
    const id = (h: { namespace: string; name: string }) => `${h.namespace}/${h.name}`;
    const helm = {
      rendered: new Set(headReleases.filter((h) => !h.notRendered).map(id)),
      notRendered: new Set(headReleases.filter((h) => h.notRendered).map(id)),
    };
    const { verdicts, notPruned } = compareBuilds(base, head, prune, e.prior, helm);
    // A HelmRelease built at the ref and no longer built: pruned with the Kustomization, its release uninstalled.
    const removedHelmReleases = prune
      ? (baseHelm?.releases ?? []).filter((h) => !headReleases.some((x) => id(x) === id(h))).map((h) => ({ name: h.name, namespace: h.namespace, removed: true }))
      : [];
    if (notPruned > 0) notes.push(`${notPruned} object(s) built at ${ref} are no longer built; spec.prune is off, so they stay in the cluster untouched`);
    // Children as the ref has them; one podo cannot read there is left out (the working tree's is reported).
    const formerChildren: FluxKustomization[] = [];
    for (const o of base.filter((x) => isFluxKustomization(x.object))) {
      try {
        formerChildren.push(specFromObject(o.object, `built at ${ref} from ${spec.namespace}/${spec.name}`));
      } catch {
        /* reported from the working tree's build, or not at all when removed there */
      }
    }
    return { verdicts, notes, formerChildren, formerObjects: base, ...(removedHelmReleases.length > 0 ? { removedHelmReleases } : {}) };
  }
}

/** Which HelmReleases the working tree renders, and which it could not render (their base objects say nothing). */
export interface HelmSides {
  rendered: Set<string>;
  notRendered: Set<string>;
}

/**
 * Compares the base build with the head build, as verdicts: the base object stands for the live one,
 * the head object for the dry-run's result; the rule book (flux/apply-rules.ts) decides. `prune`: objects
 * only the base builds are deleted; without it they stay in the cluster and are counted.
 */
export function compareBuilds(base: RenderedObject[], head: RenderedObject[], prune: boolean, prior?: CreatedByDependencies, helm?: HelmSides): { verdicts: Verdict[]; notPruned: number } {
  const crds = crdKinds([...base, ...head].map((r) => r.object));
  for (const [k, v] of prior?.crds ?? []) if (!crds.has(k)) crds.set(k, v.namespaced);
  const clusterScoped = clusterScopedWithoutCluster(crds);
  const prepare = (objects: RenderedObject[]) => {
    // Keyed by identity (group/kind/namespace/name), so an apiVersion bump is a change, not a delete and a create.
    const out = new Map<string, RenderedObject>();
    for (const r of objects) {
      const object = normalizeDesired(r.object);
      placeNamespace(object, clusterScoped(object.apiVersion, object.kind));
      out.set(identityKey(refOf(object)), { ...r, object });
    }
    return out;
  };
  const before = prepare(base);
  const after = prepare(head);
  const rules: ApplySettings = {
    force: false,
    existingFrom: 'base-ref',
    inBuild: { namespaces: new Set(), crdKinds: crds },
    prior: prior ?? { namespaces: new Map(), crds: new Map() },
    // Left alone by Flux and the same at both refs: as silent as any unchanged object.
    same: { unchanged: (v) => isDeepStrictEqual(v.merged, v.live), sameSpec },
  };
  const changes: Verdict[] = [];
  const deletions: Verdict[] = [];
  let notPruned = 0;
  for (const [key, a] of after) {
    const b = before.get(key);
    // The object built at the ref stands for the existing one; the working tree's build for the merged one.
    changes.push(decideApply({ desired: a, existing: b, kindKnown: true, mergeable: true, merge: { merged: a.object } }, rules).verdict);
  }
  for (const [key, b] of before) {
    if (after.has(key)) continue;
    if (b.helmRelease && helm?.notRendered.has(b.helmRelease)) continue;
    // The base manifest is what was applied, so its annotations are the live object's: prune protection is read there.
    const existing = { ...b, ref: shownRef(b) };
    // helm deletes what a release no longer renders on upgrade, whatever the Kustomization's prune.
    if (b.helmRelease && helm?.rendered.has(b.helmRelease)) deletions.push(decideRemoval(existing, 'helm'));
    else if (!prune) notPruned++;
    // A chart object of a HelmRelease that is gone: uninstalled with it (helm's keep policy still holds).
    else deletions.push(decideRemoval(existing, b.helmRelease ? 'helm' : 'prune'));
  }
  const byRef = (x: Verdict, y: Verdict) => applyOrder(x.ref, y.ref);
  return { verdicts: [...changes.sort(byRef), ...deletions.sort(byRef)], notPruned };
}

/** The object's identity as reports show it: a name that depends on a secret shown hidden. */
function shownRef(r: RenderedObject): ObjectRef {
  const ref = refOf(r.object);
  return r.shownName ? { ...ref, name: r.shownName } : ref;
}

function isDirectory(p: string): boolean {
  try {
    return statSync(p).isDirectory();
  } catch {
    return false;
  }
}
