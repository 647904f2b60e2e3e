// Diff without a cluster: the same path built at a git ref (the base) and in the working tree (the
// head), compared with the normalizer, masking and report of the cluster diff. For pull-request
// pipelines that have the repository but no cluster credentials. Only git, the file system and
// kustomize are used: no kubeconfig is ever read.
import { statSync } from 'node:fs';
import path from 'node:path';
import type { BuildResult, RenderedObject } from '../render/index.js';
import type { KustomizeBinary } from '../render/kustomize.js';
import { repositoryRoot } from '../render/workspace.js';
import { applyOrder } from '../cluster/dryrun.js';
import { flag, pruneProtection, skipReason, SSA } from '../flux/annotations.js';
import { removalEffect } from '../flux/deletion-policy.js';
import { ignoreMatcher } from '../flux/drift-ignore.js';
import { dropIgnored } from '../diff/drift-ignore.js';
import type { IgnoredPaths } from '../model/kustomization.js';
import { mapConcurrent } from '../cluster/pool.js';
import { compareObjects } from '../diff/compare.js';
import { maskSecrets } from '../diff/mask.js';
import { normalizeDesired, stripNoise } from '../diff/normalize.js';
import type { DiffReport, KustomizationDiff, ResourceChange } from '../model/change.js';
import { errorMessage, InputError, UsageError } from '../model/errors.js';
import { pickFromFile } from '../flux/load.js';
import type { FluxKustomization } from '../model/kustomization.js';
import { buildFor } from './diff-kustomization.js';
import { discover, type Discovery } from './discover.js';
import { gitToplevel, relativeToToplevel, withWorktree } from './git.js';
import { groupOf, identityKey, isJsonObject, refOf, type KubeObject } from '../model/object.js';

export interface BaseRefOptions {
  /** --path: the Kustomization's directory (single mode) or the repository root (--all). */
  path: string;
  /** --base-ref: the git ref to compare the working tree with. */
  ref: string;
  name?: string;
  namespace: string;
  all: boolean;
  kustomizationFile?: string;
  kustomize: KustomizeBinary;
  strictSubstitute?: boolean;
  sopsAgeKeyFile?: string;
  /** How many Kustomizations are built at once with --all. */
  concurrency: number;
}

export async function diffAgainstRef(opts: BaseRefOptions): Promise<DiffReport> {
  if (!opts.all && !opts.name) throw new UsageError('missing Kustomization name: podo diff kustomization NAME --path DIR --base-ref REF (or --all)');
  const toplevel = await gitToplevel(opts.path);
  const rel = relativeToToplevel(toplevel, opts.path);
  return withWorktree(toplevel, opts.ref, async (worktree) => {
    const ctx: Context = {
      opts,
      toplevel,
      worktree,
      head: path.resolve(opts.path),
      base: path.join(worktree, rel),
      display: (s) => displayPaths(s, worktree, opts.ref),
    };
    if (opts.all) return { kustomizations: await diffAll(ctx) };
    return { kustomizations: [await diffSingle(ctx, opts.name!)] };
  });
}

interface Context {
  opts: BaseRefOptions;
  /** Top of the user's git working tree. */
  toplevel: string;
  /** Top of the temporary checkout of the base ref. */
  worktree: string;
  /** --path in the working tree, and the same path in the base checkout. */
  head: string;
  base: string;
  /** Rewrites temporary checkout paths in messages as `REF:path`. */
  display: (s: string) => string;
}

/** One side of the diff: the spec to build with and the directory to build. */
interface Side {
  ks: FluxKustomization;
  dir: string;
}

// ---------------------------------------------------------------------------------------------
// Single mode: one named Kustomization, the same --path on both sides.

async function diffSingle(ctx: Context, name: string): Promise<KustomizationDiff> {
  const { opts } = ctx;
  const notes: string[] = [];
  const headKs = headSpec(ctx, name, notes);
  const baseKs = baseSpec(ctx, name) ?? headKs ?? minimalSpec(name, opts.namespace);
  const ks = headKs ?? minimalSpec(name, opts.namespace);
  if (!isDirectory(ctx.head) && !isDirectory(ctx.base)) {
    throw new InputError(`--path ${opts.path}: no such directory in the working tree, nor at ${opts.ref}`, opts.path);
  }
  // The repository root is --path minus spec.path; the base builds the same relative path in its checkout.
  const root = repositoryRoot(ctx.head, ks.spec.path);
  if (path.relative(ctx.toplevel, root).startsWith('..')) {
    notes.push(`repository root ${root} is outside the git repository ${ctx.toplevel}: references above the git root differ between the two builds`);
  }
  // Without a manifest nothing says prune is off; a deletion that might not happen is shown rather than hidden.
  const prune = headKs ? headKs.spec.prune === true : true;
  // Unlike --all, a build failure here is the run's failure: it propagates with its own exit code.
  return diffSides(ctx, { name, namespace: opts.namespace }, { ks, dir: ctx.head }, { ks: baseKs, dir: ctx.base }, prune, notes);
}

function minimalSpec(name: string, namespace: string): FluxKustomization {
  return { spec: { name, namespace, path: undefined }, origin: '(no manifest found)' };
}

/** --kustomization-file, else the manifest in the working tree, else undefined (with a note). */
function headSpec(ctx: Context, name: string, notes: string[]): FluxKustomization | undefined {
  const { opts } = ctx;
  if (opts.kustomizationFile) return pickFromFile(opts.kustomizationFile, name, opts.namespace);
  const found = findIn(discover(ctx.toplevel), name, opts.namespace);
  if (!found) {
    notes.push(
      `no Flux Kustomization ${opts.namespace}/${name} found in the repository: built with an empty spec (no patches, substitutions or prune setting; removals shown as deletions); pass --kustomization-file FILE to use one`,
    );
  }
  return found;
}

/** The spec as it was at the base ref: the same --kustomization-file there when it is in the repository, else the manifest found there. */
function baseSpec(ctx: Context, name: string): FluxKustomization | undefined {
  const { opts } = ctx;
  if (opts.kustomizationFile) {
    const rel = relativeToToplevel(ctx.toplevel, opts.kustomizationFile);
    if (!rel.startsWith('..')) {
      try {
        return pickFromFile(path.join(ctx.worktree, rel), name, opts.namespace);
      } catch {
        return undefined;
      }
    }
  }
  return findIn(discover(ctx.worktree), name, opts.namespace);
}

function findIn(d: Discovery, name: string, namespace: string): FluxKustomization | undefined {
  return d.kustomizations.find((k) => k.spec.name === name && k.spec.namespace === namespace);
}

// ---------------------------------------------------------------------------------------------
// --all: every Kustomization found in either tree, each with its own spec and path.

const keyOf = (namespace: string, name: string) => `${namespace}/${name}`;

async function diffAll(ctx: Context): Promise<KustomizationDiff[]> {
  const head = discover(ctx.head);
  const base = isDirectory(ctx.base) ? discover(ctx.base) : { kustomizations: [], problems: [] };
  const heads = new Map(head.kustomizations.map((k) => [keyOf(k.spec.namespace, k.spec.name), k]));
  const bases = new Map(base.kustomizations.map((k) => [keyOf(k.spec.namespace, k.spec.name), k]));
  const problems = new Map<string, string[]>();
  const addProblem = (key: string, text: string) => problems.set(key, [...(problems.get(key) ?? []), text]);
  for (const p of head.problems) addProblem(keyOf(p.namespace, p.name), `${p.file}: ${p.message}`);
  for (const p of base.problems) addProblem(keyOf(p.namespace, p.name), `at ${ctx.opts.ref}: ${p.file}: ${p.message}`);

  const keys = [...new Set([...heads.keys(), ...bases.keys(), ...problems.keys()])].sort(compareKeys);
  return mapConcurrent(keys, ctx.opts.concurrency, async (key) => {
    const [namespace, name] = key.split('/');
    const id = { name, namespace };
    const h = heads.get(key);
    const b = bases.get(key);
    const found = problems.get(key) ?? [];
    // A manifest that exists only in a form podo cannot read is an error of its own, not silence.
    if (!h && !b) return { ...emptyDiff(id), error: found[0] ?? 'no readable manifest' };
    try {
      return await diffDiscovered(ctx, id, h, b, found);
    } catch (err) {
      return { ...emptyDiff(id), error: oneLine(ctx.display(errorMessage(err))), notes: found };
    }
  });
}

function compareKeys(a: string, b: string): number {
  const [an, ak] = a.split('/');
  const [bn, bk] = b.split('/');
  return an.localeCompare(bn) || ak.localeCompare(bk);
}

async function diffDiscovered(ctx: Context, id: Id, h: FluxKustomization | undefined, b: FluxKustomization | undefined, notes: string[]): Promise<KustomizationDiff> {
  const { ref } = ctx.opts;
  // The head spec is what would be applied; a Kustomization removed in the working tree keeps its base spec.
  const spec = (h ?? b)!.spec;
  if (spec.kubeConfig) return { ...emptyDiff(id), skipped: 'targets a remote cluster (spec.kubeConfig)', notes };
  if (spec.suspend) return { ...emptyDiff(id), skipped: 'suspended (spec.suspend: true)', notes };
  // spec.path is relative to the source root, which --all takes to be --path in both trees. A
  // Kustomization of another source usually has a path that does not exist here: it is skipped below.
  const headSide = h ? { ks: h, dir: path.join(ctx.head, h.spec.path ?? '.') } : undefined;
  const baseSide = b ? { ks: b, dir: path.join(ctx.base, b.spec.path ?? '.') } : undefined;
  if (!(headSide && isDirectory(headSide.dir)) && !(baseSide && isDirectory(baseSide.dir))) {
    return { ...emptyDiff(id), skipped: `path ${spec.path ?? '.'} does not exist in the working tree, nor at ${ref}`, notes };
  }
  const out = [...notes];
  if (!b) out.push(`new Kustomization: not defined at ${ref}`);
  const removal = h ? undefined : removalEffect(spec);
  if (removal) out.push(`removed in the working tree: ${removal.note}`);
  return diffSides(ctx, id, headSide, baseSide, removal ? removal.deletes : spec.prune === true, out);
}

// ---------------------------------------------------------------------------------------------
// Shared: build both sides, compare, collect notes.

interface Id {
  name: string;
  namespace: string;
}

function emptyDiff(id: Id): KustomizationDiff {
  return { name: id.name, namespace: id.namespace, resources: [], warnings: [], notes: [] };
}

/**
 * Builds both sides and compares them. A side whose directory does not exist builds to nothing, so
 * a new path shows everything created and a removed one everything deleted (when pruned).
 */
async function diffSides(
  ctx: Context,
  id: Id,
  head: Side | undefined,
  base: Side | undefined,
  prune: boolean,
  notes: string[],
): Promise<KustomizationDiff> {
  const { ref } = ctx.opts;
  const [h, b] = await Promise.all([buildSide(ctx, head, 'working tree'), buildSide(ctx, base, `at ${ref}`)]);
  if (head && !h) notes.push(`${path.relative(process.cwd(), head.dir) || '.'} does not exist in the working tree: everything built at ${ref} is removed`);
  if (base && !b) notes.push(`${ctx.display(base.dir)} does not exist at ${ref}: everything is new`);
  const { resources, notPruned } = compareBuilds(b?.objects ?? [], h?.objects ?? [], prune, ignoreMatcher((head ?? base)?.ks.spec.ignore));
  if (notPruned > 0) notes.push(`${notPruned} object(s) built at ${ref} are no longer built; spec.prune is off, so they stay in the cluster untouched`);
  return { name: id.name, namespace: id.namespace, resources, warnings: [], notes: mergeNotes(ctx, notes, h?.notes ?? [], b?.notes ?? []) };
}

/** Builds one side as kustomize-controller would, without a cluster; undefined when its directory does not exist. */
async function buildSide(ctx: Context, side: Side | undefined, label: string): Promise<BuildResult | undefined> {
  if (!side || !isDirectory(side.dir)) return undefined;
  try {
    return await buildFor(undefined, side.ks, {
      path: side.dir,
      kustomize: ctx.opts.kustomize,
      strictSubstitute: ctx.opts.strictSubstitute,
      sopsAgeKeyFile: ctx.opts.sopsAgeKeyFile,
    });
  } catch (err) {
    // Say which side failed, with the temporary checkout's path shown as REF:path; keep the error's class (exit code).
    if (err instanceof Error) {
      err.message = `${label}: ${ctx.display(err.message)}`;
      throw err;
    }
    throw new Error(`${label}: ${String(err)}`);
  }
}

/** Notes once each; a base-only note says it is about the base. */
function mergeNotes(ctx: Context, own: string[], head: string[], base: string[]): string[] {
  const out = [...own, ...head.map(ctx.display)];
  for (const n of base.map(ctx.display)) if (!out.includes(n)) out.push(`at ${ctx.opts.ref}: ${n}`);
  return [...new Set(out)];
}

function isDirectory(p: string): boolean {
  try {
    return statSync(p).isDirectory();
  } catch {
    return false;
  }
}

function oneLine(s: string): string {
  return s.replace(/\s*\n\s*/g, ' ').trim();
}

/** `/tmp/podo-base-x/tree/apps/a.yaml` → `REF:apps/a.yaml`, also in the cwd-relative form the build prints. */
function displayPaths(s: string, worktree: string, ref: string): string {
  const forms = [worktree + path.sep, path.relative(process.cwd(), worktree) + path.sep, worktree];
  let out = s;
  for (const f of forms) if (f !== path.sep) out = out.split(f).join(`${ref}:`);
  return out;
}

// ---------------------------------------------------------------------------------------------
// Comparing two builds: the part the cluster's dry-run answers play in the cluster diff.

/**
 * Kinds the API server serves cluster-scoped, as group/kind. Without a cluster there is no discovery
 * to ask, so the common ones are listed here; CustomResourceDefinitions in either build add theirs.
 */
const CLUSTER_SCOPED = new Set([
  '/Namespace',
  '/Node',
  '/PersistentVolume',
  '/ComponentStatus',
  'rbac.authorization.k8s.io/ClusterRole',
  'rbac.authorization.k8s.io/ClusterRoleBinding',
  'apiextensions.k8s.io/CustomResourceDefinition',
  'apiregistration.k8s.io/APIService',
  'admissionregistration.k8s.io/MutatingWebhookConfiguration',
  'admissionregistration.k8s.io/ValidatingWebhookConfiguration',
  'admissionregistration.k8s.io/ValidatingAdmissionPolicy',
  'admissionregistration.k8s.io/ValidatingAdmissionPolicyBinding',
  'admissionregistration.k8s.io/MutatingAdmissionPolicy',
  'admissionregistration.k8s.io/MutatingAdmissionPolicyBinding',
  'scheduling.k8s.io/PriorityClass',
  'networking.k8s.io/IngressClass',
  'networking.k8s.io/IPAddress',
  'networking.k8s.io/ServiceCIDR',
  'node.k8s.io/RuntimeClass',
  'storage.k8s.io/StorageClass',
  'storage.k8s.io/CSIDriver',
  'storage.k8s.io/CSINode',
  'storage.k8s.io/VolumeAttachment',
  'storage.k8s.io/VolumeAttributesClass',
  'snapshot.storage.k8s.io/VolumeSnapshotClass',
  'snapshot.storage.k8s.io/VolumeSnapshotContent',
  'certificates.k8s.io/CertificateSigningRequest',
  'certificates.k8s.io/ClusterTrustBundle',
  'flowcontrol.apiserver.k8s.io/FlowSchema',
  'flowcontrol.apiserver.k8s.io/PriorityLevelConfiguration',
  'resource.k8s.io/DeviceClass',
  'resource.k8s.io/ResourceSlice',
  'policy/PodSecurityPolicy',
  // Widely used CRDs whose definitions usually live outside the Kustomization being diffed.
  'cert-manager.io/ClusterIssuer',
  'gateway.networking.k8s.io/GatewayClass',
  'kyverno.io/ClusterPolicy',
]);

const kindKey = (apiVersion: string, kind: string) => `${groupOf(apiVersion)}/${kind}`;

function clusterScopedKinds(objects: KubeObject[]): Set<string> {
  const out = new Set(CLUSTER_SCOPED);
  for (const o of objects) {
    if (o.kind !== 'CustomResourceDefinition' || !isJsonObject(o.spec) || o.spec.scope !== 'Cluster') continue;
    const names = o.spec.names;
    if (typeof o.spec.group === 'string' && isJsonObject(names) && typeof names.kind === 'string') out.add(`${o.spec.group}/${names.kind}`);
  }
  return out;
}

/** What the API server would do with the namespace: drop it on cluster-scoped kinds, default it on the others. */
function placeInScope(obj: KubeObject, clusterScoped: Set<string>): void {
  if (clusterScoped.has(kindKey(obj.apiVersion, obj.kind))) delete obj.metadata.namespace;
  else if (typeof obj.metadata.namespace !== 'string' || obj.metadata.namespace === '') obj.metadata.namespace = 'default';
}

interface Prepared {
  object: KubeObject;
  valuesUnknown: boolean;
}

/** Keyed by identity (group/kind/namespace/name), so an apiVersion bump is a change, not a delete and a create. */
function prepare(objects: RenderedObject[], clusterScoped: Set<string>): Map<string, Prepared> {
  const out = new Map<string, Prepared>();
  for (const r of objects) {
    const obj = normalizeDesired(r.object);
    placeInScope(obj, clusterScoped);
    // Both sides are local: whatever a side sets itself (a Service clusterIP) is kept.
    out.set(identityKey(refOf(obj)), { object: stripNoise(obj, obj), valuesUnknown: r.valuesUnknown === true });
  }
  return out;
}

export interface BuildComparison {
  /** In apply order, deletions last. */
  resources: ResourceChange[];
  /** Objects only the base builds, not reported because spec.prune is off. */
  notPruned: number;
}

/**
 * Compares the base build with the head build. `prune`: objects only the base builds are deleted
 * (spec.prune: true, or no spec to say otherwise); without it they stay in the cluster and are counted.
 */
export function compareBuilds(base: RenderedObject[], head: RenderedObject[], prune: boolean, ignored?: IgnoredPaths): BuildComparison {
  const clusterScoped = clusterScopedKinds([...base, ...head].map((r) => r.object));
  const before = prepare(base, clusterScoped);
  const after = prepare(head, clusterScoped);
  const changes: ResourceChange[] = [];
  const deletions: ResourceChange[] = [];
  let notPruned = 0;
  for (const [key, a] of after) changes.push(changeOf(before.get(key), a, ignored));
  for (const [key, b] of before) {
    if (after.has(key)) continue;
    if (prune) deletions.push(deletionOf(b));
    else notPruned++;
  }
  const byRef = (x: ResourceChange, y: ResourceChange) => applyOrder(x.ref, y.ref);
  return { resources: [...changes.sort(byRef), ...deletions.sort(byRef)], notPruned };
}

/** `ignored`: spec.ignore; Flux keeps the in-cluster value of an ignored field, so a change to it in the repository is not applied. */
function changeOf(b: Prepared | undefined, a: Prepared, ignored?: IgnoredPaths): ResourceChange {
  const ref = refOf(a.object);
  const skip = headSkipReason(a.object, b?.object);
  if (skip) return { ref, action: 'skipped', changes: [], reason: skip };
  // A SOPS value podo could not decrypt on either side: only the key sets can be compared.
  const valuesUnknown = a.valuesUnknown || b?.valuesUnknown === true;
  if (!b) {
    const { after } = maskSecrets(undefined, a.object, valuesUnknown);
    return { ref, action: 'created', changes: [], after };
  }
  const { before, after } = maskSecrets(...dropIgnored(b.object, a.object, ignored), valuesUnknown);
  const changes = compareObjects(before!, after!);
  return { ref, action: changes.length > 0 ? 'drifted' : 'unchanged', changes, before, after };
}

/**
 * Flux's skip rules on the object that would be applied. IfNotPresent needs to know whether the
 * object exists; without a cluster, "it was built at the base ref" is the best stand-in.
 */
function headSkipReason(head: KubeObject, base: KubeObject | undefined): string | undefined {
  const own = skipReason(head, undefined);
  if (own) return own;
  if (base && flag(head, SSA) === 'ifnotpresent') return `${SSA}: IfNotPresent and it exists (built at the base ref)`;
  return undefined;
}

/** The base manifest is what was applied, so its annotations are the live object's: prune protection is read there. */
function deletionOf(b: Prepared): ResourceChange {
  const ref = refOf(b.object);
  const protectedBy = pruneProtection(b.object);
  if (protectedBy) return { ref, action: 'skipped', changes: [], reason: `not pruned: ${protectedBy}` };
  const { before } = maskSecrets(b.object, undefined, b.valuesUnknown);
  return { ref, action: 'deleted', changes: [], before };
}
