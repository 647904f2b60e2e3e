// Where the Kustomizations a run starts from come from: the cluster, the repository's files (without a
// cluster), or --kustomization-file. The orchestrator (pipeline/orchestrate.ts) takes any of them.
import { existsSync } from 'node:fs';
import path from 'node:path';
import type { ClusterClient } from '../cluster/client.js';
import type { FluxKustomization } from '../model/kustomization.js';
import { InputError, UsageError } from '../model/errors.js';
import { byNamespaceName } from '../model/object.js';
import { listFromCluster, loadFromCluster, notFound } from './cluster.js';
import { pickFromFile } from './file.js';
import { clusterRoots, normalizeRelPath, type Discovery } from './repository.js';
import { BOOTSTRAP_GIT_REPOSITORY } from './kinds/index.js';

/** A Kustomization the run starts from, as each side has it. */
export interface Root {
  /** As the working tree (or --kustomization-file, or the cluster) would apply it. */
  head?: FluxKustomization;
  /** As the compared-against side has it: the live object, or the spec at the ref. */
  former?: FluxKustomization;
  /** The head build's directory when the user named it (--path in single mode); else resolved from its source. */
  dir?: string;
  /** The former build's directory, in working-tree terms. */
  formerDir?: string;
  notes: string[];
  /** Named on the command line: not evaluating it fails the run. */
  requested: boolean;
}

/** A manifest found but not usable (malformed, defined twice): reported as that Kustomization's failure. */
export interface SpecProblem {
  namespace: string;
  name: string;
  message: string;
}

/**
 * How a run goes on from its roots, which depends on where they come from (and on --recursive): which
 * of the Kustomizations the builds produce are evaluated too, and what a failure means.
 */
export interface Following {
  /** Also evaluate the Kustomizations the builds produce (--recursive; a cluster root's tree; --all against the cluster: the new ones). */
  children: boolean;
  /** With `children`: only the children this accepts (--all against the cluster: those it does not list). */
  only?: (ks: FluxKustomization) => boolean;
  /** Followed children were asked for (--recursive): not evaluating one fails the run. */
  requested: boolean;
  /**
   * A child in the run (--all against the cluster: every Kustomization is a root) that its pruning
   * parent's build no longer produces is removed by Flux with its parent's next apply: it is evaluated
   * as removed (its deletionPolicy applied to its inventory), replacing its own diff.
   */
  removedInRun?: boolean;
  /** The roots apply the rest (a cluster root of --base-ref --all): each is a cluster root for --shard. */
  rootsApplyTheRest?: boolean;
  /** One named Kustomization: its failure is the run's failure (printed as an error), not a report entry. */
  failureIsTheRun: boolean;
}

export interface SpecSource {
  roots(): Promise<{ roots: Root[]; problems: SpecProblem[]; following: Following }>;
}

/** One named Kustomization from the cluster; --kustomization-file replaces its spec, the live inventory still drives deletions (as in flux). */
export function clusterNamed(client: ClusterClient, name: string, namespace: string, dir: string, file?: string, ignoreNotFound = false, recursive = false): SpecSource {
  return {
    async roots() {
      const live = await loadFromCluster(client, name, namespace);
      let head = live;
      if (file) {
        if (!live && !ignoreNotFound) throw notFound(name, namespace);
        head = { ...pickFromFile(file, name, namespace), inventory: live?.inventory };
      }
      if (!head) throw notFound(name, namespace);
      return { roots: [{ head, former: live, dir, notes: [], requested: true }], problems: [], following: { children: recursive, requested: true, failureIsTheRun: !recursive } };
    },
  };
}

/** One named Kustomization from --kustomization-file alone, with no cluster (`podo build --dry-run`). */
export function fileNamed(file: string, name: string, namespace: string, dir: string, recursive = false): SpecSource {
  return {
    async roots() {
      return { roots: [{ head: pickFromFile(file, name, namespace), dir, notes: [], requested: true }], problems: [], following: { children: recursive, requested: true, failureIsTheRun: true } };
    },
  };
}

/** Every Kustomization in the cluster (or in one namespace). */
export function clusterAll(client: ClusterClient, namespace?: string): SpecSource {
  return {
    async roots() {
      const all = (await listFromCluster(client, namespace)).sort((a, b) => byNamespaceName(a.spec, b.spec));
      const listed = new Set(all.map((ks) => `${ks.spec.namespace}/${ks.spec.name}`));
      // What the cluster lists is a root already; a Kustomization the builds add (a new app in the pull
      // request) is not there yet, so it is followed from its parent's build (in -n's namespace only).
      const only = (ks: FluxKustomization) => !listed.has(`${ks.spec.namespace}/${ks.spec.name}`) && (namespace === undefined || ks.spec.namespace === namespace);
      return {
        roots: all.map((ks) => ({ head: ks, former: ks, notes: [], requested: false })),
        problems: [],
        following: { children: true, only, requested: false, removedInRun: true, failureIsTheRun: false },
      };
    },
  };
}

/** The two trees of a --base-ref run: the working tree and the checkout of the ref. */
export interface Trees {
  ref: string;
  /** Top of the git working tree, and the same in the checkout of the ref. */
  toplevel: string;
  worktree: string;
  /** A working-tree path in the checkout of the ref (undefined outside the repository). */
  atRef(p: string): string | undefined;
  /** The Flux manifests under a directory of either tree (read once per run). */
  discover(root: string): Discovery;
}

function find(d: Discovery, name: string, namespace: string): FluxKustomization | undefined {
  return d.kustomizations.find((k) => k.spec.name === name && k.spec.namespace === namespace);
}

/**
 * One named Kustomization without a cluster: its spec from --kustomization-file, else from the
 * manifest found in the working tree (else an empty spec, with a note); at the ref, the same file
 * there, else the manifest found there.
 */
export function repositoryNamed(trees: Trees, name: string, namespace: string, dir: string, file?: string): SpecSource {
  return {
    async roots() {
      const notes: string[] = [];
      let head: FluxKustomization | undefined;
      if (file) head = pickFromFile(file, name, namespace);
      else head = find(trees.discover(trees.toplevel), name, namespace);
      if (!head) {
        notes.push(
          `no Flux Kustomization ${namespace}/${name} found in the repository: built with an empty spec (no patches, substitutions or prune setting; removals shown as deletions); pass --kustomization-file FILE to use one`,
        );
      }
      let former: FluxKustomization | undefined;
      const fileAtRef = file ? trees.atRef(path.resolve(file)) : undefined;
      if (fileAtRef) {
        try {
          former = pickFromFile(fileAtRef, name, namespace);
        } catch {
          former = undefined;
        }
      } else if (!file) former = find(trees.discover(trees.worktree), name, namespace);
      // Without a manifest nothing says prune is off: a deletion that might not happen is shown rather than hidden.
      const minimal: FluxKustomization = { spec: { name, namespace, prune: true }, origin: '(no manifest found)' };
      const h = head ?? minimal;
      return { roots: [{ head: h, former: former ?? h, dir, formerDir: dir, notes, requested: true }], problems: [], following: { children: false, requested: false, failureIsTheRun: true } };
    },
  };
}

/**
 * --base-ref --all: the cluster root (`--cluster-path`, else the only one) followed as Flux follows it:
 * the Kustomization that applies that directory (the bootstrap `flux-system` one), then every
 * Kustomization its build produces. Without a manifest for the root, Flux's bootstrap default stands in.
 */
export function repositoryClusterRoot(trees: Trees, repoRoot: string, clusterPath: string | undefined): SpecSource {
  return {
    async roots() {
      const head = trees.discover(repoRoot);
      const baseRoot = trees.atRef(repoRoot);
      const base: Discovery = baseRoot && existsSync(baseRoot) ? trees.discover(baseRoot) : { kustomizations: [], definitions: [], gitRepositories: [], problems: [], fluxInstances: [] };
      const dir = clusterPath !== undefined ? chosenClusterPath(repoRoot, clusterPath) : onlyClusterRoot(head, repoRoot);
      const rootOf = (d: Discovery) => d.definitions.find((k) => normalizeRelPath(k.spec.path) === dir);
      const notes: string[] = [];
      const synthetic = (): FluxKustomization => ({
        spec: { name: 'flux-system', namespace: 'flux-system', path: `./${dir}`, prune: true, sourceRef: { ...BOOTSTRAP_GIT_REPOSITORY } },
        origin: `cluster root ${dir}`,
      });
      let h = rootOf(head);
      if (!h) {
        notes.push(`no Flux Kustomization applies ${dir} in the repository: followed as Flux's bootstrap Kustomization flux-system would`);
        h = synthetic();
      }
      const baseHasDir = baseRoot !== undefined && existsSync(path.join(baseRoot, dir));
      const former = rootOf(base) ?? (baseHasDir ? { ...synthetic(), spec: { ...synthetic().spec, name: h.spec.name, namespace: h.spec.namespace } } : undefined);
      // Manifests of this cluster directory podo cannot read; second definitions are how cluster directories look.
      const mine = (p: { file: string; message: string }) => (p.file.startsWith(dir + '/') || dir === '.') && !p.message.startsWith('also defined in');
      const problems = [...head.problems.filter(mine), ...base.problems.filter(mine).map((p) => ({ ...p, message: `at ${trees.ref}: ${p.message}` }))]
        .map((p) => ({ namespace: p.namespace, name: p.name, message: `${p.file}: ${p.message}` }));
      return { roots: [{ head: h, former, formerDir: path.join(repoRoot, dir), notes, requested: false }], problems, following: { children: true, requested: false, rootsApplyTheRest: true, failureIsTheRun: false } };
    },
  };
}

function chosenClusterPath(repoRoot: string, clusterPath: string): string {
  const abs = path.resolve(repoRoot, clusterPath);
  const rel = path.relative(repoRoot, abs);
  if (rel.startsWith('..') || path.isAbsolute(rel)) throw new UsageError(`--cluster-path ${clusterPath}: not inside --path ${repoRoot}`);
  if (!existsSync(abs)) throw new InputError(`--cluster-path ${clusterPath}: no such directory`, clusterPath);
  return normalizeRelPath(rel.split(path.sep).join('/'));
}

function onlyClusterRoot(d: Discovery, repoRoot: string): string {
  const roots = clusterRoots(d);
  if (roots.length === 1) return roots[0];
  if (roots.length === 0) throw new InputError(`no Flux Kustomization found under ${repoRoot}: --base-ref --all needs the repository root as --path`);
  throw new UsageError(`the repository holds several cluster directories (${roots.join(', ')}): choose one with --cluster-path DIR`);
}
