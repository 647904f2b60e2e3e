// One Kustomization, end to end: Flux's skip rules, its source, the working tree's build, the target's
// verdicts, and the one conversion to ResourceChange. The per-Kustomization step of every plan.
import { existsSync } from 'node:fs';
import path from 'node:path';
import { toResourceChange } from '../diff/changes.js';
import { ignoreMatcher } from '../flux/drift-ignore.js';
import { imageWarnings } from '../diff/images.js';
import { isFluxKustomization, specFromObject } from '../flux/spec.js';
import { durationMs } from '../flux/duration.js';
import type { KustomizationDiff, NotEvaluatedCause } from '../model/change.js';
import { oneLineMessage } from '../model/errors.js';
import type { FluxKustomization } from '../model/kustomization.js';
import type { RenderedObject } from '../model/object.js';
import { summarize } from '../model/summary.js';
import type { Root } from '../sources/spec-source.js';
import { specPathProblem } from '../render/tree/containment.js';
import { keyOf } from './order.js';
import type { HelmExpansion } from './helm.js';
import type { DefinedSources } from './defined-sources.js';
import type { Pipeline } from './pass.js';
import { crdKinds } from './scope.js';
import { createdByKustomization, emptyCreated, type CreatedByDependencies } from './target.js';

/**
 * A Kustomization's time budget: its spec.timeout when set (kustomize-controller bounds each
 * reconciliation by it), else --timeout.
 */
export function budgetOf(spec: FluxKustomization['spec'], timeoutMs: number): { ms: number; label: string } {
  const own = spec.timeout ? durationMs(spec.timeout) : undefined;
  if (own) return { ms: own, label: `spec.timeout ${spec.timeout}` };
  return { ms: timeoutMs, label: '--timeout' };
}


export interface Unit extends Root {
  key: string;
  deps: string[];
  /** Evaluated even though a substituteFrom source it reads is not defined yet: nothing left in the run can define it. */
  final?: boolean;
  /** Its group's key (shard.ts): the report lists a group's Kustomizations together, in evaluation order. */
  group: string;
  /** In this shard (always, without --shard); a cluster root outside it is evaluated for its children only. */
  report: boolean;
  /** A cluster root: applies Kustomizations of the run and is applied by none; its children form their own groups. */
  clusterRoot: boolean;
}


/** What one evaluated Kustomization hands on: its report entry, what it creates, and its children. */
export interface Outcome {
  diff: KustomizationDiff;
  /** Evaluated without failure: its dependents may go on. */
  ok: boolean;
  /** The Namespaces and CRDs its build creates, for its dependents. */
  creates: CreatedByDependencies;
  headChildren: Array<FluxKustomization | KustomizationDiff>;
  formerChildren: FluxKustomization[];
  /** `namespace/name` of the Kustomizations it depends on. */
  deps: string[];
  /** What each side built, for the substituteFrom sources it defines (Pipeline.sources). */
  built?: { head: RenderedObject[]; former: RenderedObject[] };
}


/** Both sides read the same substituteFrom values (or none is known): a proof of unchanged inputs may stand. */
function sameSources(sources: DefinedSources | undefined, head: FluxKustomization, former: FluxKustomization): boolean {
  if (!sources) return true;
  const refs = (ks: FluxKustomization) => ks.spec.postBuild?.substituteFrom ?? [];
  return sources.resolved('head', head.spec.namespace, refs(head)) === sources.resolved('former', former.spec.namespace, refs(former));
}


export function emptyDiff(namespace: string, name: string): KustomizationDiff {
  return { name, namespace, resources: [], warnings: [], notes: [] };
}

export function notEvaluated(u: Unit, cause: NotEvaluatedCause, reason: string): KustomizationDiff {
  const ks = (u.head ?? u.former)!.spec;
  return { ...emptyDiff(ks.namespace, ks.name), skipped: reason, skipCause: cause, ...(u.requested ? { requested: true } : {}), notes: [...u.notes] };
}


const failedOutcome = (diff: KustomizationDiff): Outcome => ({ diff, ok: false, creates: emptyCreated(), headChildren: [], formerChildren: [], deps: [] });

/**
 * One Kustomization, end to end: Flux's skip rules, its source, the working tree's build, the target's
 * verdicts, and the one conversion to ResourceChange. The per-Kustomization step of every mode.
 */
export async function evaluateKustomization(u: Unit, prior: CreatedByDependencies, done: Map<string, Outcome>, p: Pipeline): Promise<Outcome> {
  const ks = (u.head ?? u.former)!;
  const { spec } = ks;
  const budget = p.budget?.(spec);
  const deadline = budget ? Date.now() + budget.ms : undefined;
  const skip = (cause: NotEvaluatedCause, reason: string): Outcome => ({ ...failedOutcome(notEvaluated(u, cause, reason)), ok: true });

  const notes = [...u.notes];
  // Flux would wait for a dependency that failed; podo still evaluates what this one would do once it is
  // ready, so a real change behind a broken dependency is not hidden, and says so. Objects it needs from
  // that dependency (a CRD, a Namespace) are unknown: such objects fail here, naming what is missing.
  const broken = u.deps.filter((d) => done.get(d)?.ok === false);
  if (broken.length > 0) {
    notes.push(`dependency ${broken.map((d) => `${d} ${done.get(d)!.diff.skipped ? 'was not evaluated' : 'failed'}`).join(', ')}: evaluated without its objects; Flux applies this one only once ${broken.length === 1 ? 'it is' : 'they are'} ready`);
  }
  // A remote cluster is not read; building and comparing between two refs needs none.
  if (spec.kubeConfig && p.target.needsRemoteCluster) return skip('remote cluster', 'targets a remote cluster (spec.kubeConfig)');
  if (spec.kubeConfig) notes.push('targets a remote cluster (spec.kubeConfig): compared between the two refs');
  if (spec.suspend) {
    if (!u.requested) return skip('suspended', 'suspended (spec.suspend: true)');
    notes.push('suspended (spec.suspend: true): Flux applies this once it is resumed');
  }

  let dir = u.dir;
  let boundary: string | undefined;
  let headMissing: string | undefined;
  if (u.head && !dir) {
    const src = p.resolve(u.head.spec);
    if ('reason' in src) return skip('source not mapped', src.reason);
    // A listed manifest podo refuses (an invalid field): that Kustomization fails alone.
    if (u.head.problem) return failedOutcome({ ...emptyDiff(spec.namespace, spec.name), ...(u.requested ? { requested: true } : {}), error: u.head.problem, notes });
    // A spec.path that climbs out of its source is refused, whether or not it exists (render/tree/containment.ts).
    const escape = specPathProblem(u.head.spec.path);
    if (escape) return failedOutcome({ ...emptyDiff(spec.namespace, spec.name), ...(u.requested ? { requested: true } : {}), error: escape, notes });
    boundary = src.root;
    dir = path.join(src.root, u.head.spec.path ?? '.');
    if (!existsSync(dir)) {
      if (p.target.kind !== 'base-ref') return skip('path not found', `path ${u.head.spec.path ?? '.'} does not exist in ${src.root}`);
      headMissing = path.relative(process.cwd(), dir) || '.';
    }
  }
  let formerDir = u.formerDir;
  let formerRoot: string | undefined;
  if (u.former && !formerDir) {
    const src = p.resolve(u.former.spec);
    if ('root' in src) {
      formerRoot = src.root;
      formerDir = path.join(src.root, u.former.spec.path ?? '.');
    }
  }

  const ignored = ignoreMatcher(spec.ignore);
  // A target comparing two builds may prove, before anything is built, that both sides build the same.
  let formerBuildsSame = false;
  if (p.target.provenUnchanged && u.head && u.former && dir && !headMissing && formerDir && sameSources(p.sources, u.head, u.former)) {
    const proof = await p.target
      .provenUnchanged({ head: u.head, former: u.former, dir, formerDir, boundary, formerRoot, watched: p.sources?.names, variables: p.sources?.reader('head') })
      .catch(() => undefined);
    if (proof && !proof.buildOnce) {
      const diff: KustomizationDiff = { ...emptyDiff(spec.namespace, spec.name), ...(u.requested ? { requested: true } : {}), notes: [...new Set([...notes, ...proof.notes])] };
      return { diff, ok: true, creates: proof.creates ?? emptyCreated(), headChildren: [], formerChildren: [], deps: u.deps };
    }
    if (proof) {
      formerBuildsSame = true;
      notes.push(...proof.notes);
    }
  }

  try {
    let rendered: RenderedObject[] | undefined;
    let helm: HelmExpansion | undefined;
    const renderNotes: string[] = [];
    if (u.head && dir && !headMissing) {
      p.hooks.onProgress?.(`building ${keyOf(spec)}`);
      try {
        const built = await p.render(u.head, dir, boundary, deadline, p.sources?.reader('head'));
        rendered = built.objects;
        helm = built.helm;
        renderNotes.push(...built.notes);
      } catch (err) {
        if (p.target.headLabel && err instanceof Error) err.message = `${p.target.headLabel}: ${err.message}`;
        throw err;
      }
    }
    const answer = await p.target.evaluate({
      head: u.head,
      former: u.former,
      rendered,
      helm,
      renderNotes,
      headMissing,
      formerDir,
      formerRoot,
      prior,
      formerBuildsSame,
      deadline,
      budget: budget?.label,
      formerVariables: p.sources?.reader('former'),
      onProgress: (stage, d, t) => p.hooks.onProgress?.(`${stage} ${d}/${t} (${keyOf(spec)})`),
    });
    if (answer.skipped) return skip(answer.skipped.cause, answer.skipped.reason);
    const resources = answer.verdicts.map((v) => toResourceChange(v, ignored));
    const diff: KustomizationDiff = {
      ...emptyDiff(spec.namespace, spec.name),
      ...(u.requested ? { requested: true } : {}),
      resources,
      warnings: imageWarnings(resources),
      notes: [...new Set([...notes, ...renderNotes, ...answer.notes])],
    };
    const helmReleases = [...(helm?.releases ?? []), ...(answer.removedHelmReleases ?? [])];
    if (helmReleases.length > 0) diff.helmReleases = helmReleases;
    return {
      diff,
      ok: summarize(resources).failed === 0,
      creates: createdBy(rendered ?? [], createdByKustomization(spec)),
      headChildren: (rendered ?? []).filter((o) => isFluxKustomization(o.object)).map((o) => childSpec(o, spec)),
      formerChildren: answer.formerChildren,
      deps: u.deps,
      built: { head: rendered ?? [], former: answer.formerObjects ?? [] },
    };
  } catch (err) {
    // A child stopped at this Kustomization's own deadline says so (it only knows --timeout).
    if (budget && deadline !== undefined && Date.now() >= deadline && err instanceof Error && budget.label !== '--timeout') {
      err.message = err.message.replace(/^timed out \(--timeout[^)]*\)/, `timed out (${budget.label})`);
    }
    if (p.following.failureIsTheRun || p.target.allOrNothing) throw err;
    // One Kustomization's failure is reported under its own header; the others go on.
    return failedOutcome({ ...emptyDiff(spec.namespace, spec.name), ...(u.requested ? { requested: true } : {}), error: oneLineMessage(err), notes });
  }
}


function childSpec(o: RenderedObject, parent: FluxKustomization['spec']): FluxKustomization | KustomizationDiff {
  try {
    return specFromObject(o.object, `built from ${parent.namespace}/${parent.name}`);
  } catch (err) {
    const ns = typeof o.object.metadata.namespace === 'string' ? o.object.metadata.namespace : parent.namespace;
    return { ...emptyDiff(ns, o.object.metadata.name), error: oneLineMessage(err) };
  }
}

/** The Namespaces and CRDs a build creates (or keeps): for its dependents they exist. */
function createdBy(objects: RenderedObject[], who: string): CreatedByDependencies {
  const out = emptyCreated();
  for (const o of objects) if (o.object.kind === 'Namespace' && o.object.apiVersion === 'v1') out.namespaces.set(o.object.metadata.name, who);
  for (const [kind, namespaced] of crdKinds(objects.map((o) => o.object))) out.crds.set(kind, { by: who, namespaced });
  return out;
}


