// The repository as source-controller would hand it to kustomize-controller: the user's tree minus
// what `.sourceignore` files and --ignore-paths leave out. Reading every `.sourceignore` of a large
// repository costs a walk of the whole tree, so it is done once per run and repository root
// (SourceTrees), asynchronously, and every Kustomization of the run shares the result.
import { lstat, readdir, realpath, stat } from 'node:fs/promises';
import path from 'node:path';
import { sourceIgnoreFilterAsync } from './ignore.js';
import { isVcsPath } from './vcs.js';

/** True for a path (relative to the repository root, `/`-separated) that the artifact leaves out. */
export type ExcludeFilter = (relPath: string, isDir: boolean) => boolean;

export interface SourceTree {
  /** The repository root, symlinks resolved. */
  root: string;
  exclude: ExcludeFilter;
}

/** What the walk saw at a path: the copy holds the file or directory; `absent` was looked up and not there. */
export type ClosureEntry = 'file' | 'dir' | 'absent';

export interface ReferenceClosure {
  /** Paths relative to the repository root, `/`-separated, in the order the walk met them. */
  entries: Map<string, ClosureEntry>;
  /** Set when the walk cannot prove what kustomize reads: why. `entries` is then incomplete. */
  unprovable?: string;
}

/** One per run: the `.sourceignore` walk happens once per repository root and set of ignore paths. */
export class SourceTrees {
  private readonly trees = new Map<string, Promise<SourceTree>>();

  get(root: string, ignorePaths: readonly string[] = []): Promise<SourceTree> {
    const key = JSON.stringify([root, ignorePaths]);
    let tree = this.trees.get(key);
    if (!tree) {
      tree = openSourceTree(root, [...ignorePaths]);
      // A failed walk is not cached: the next caller gets the error again, not a stale promise.
      tree.catch(() => this.trees.delete(key));
      this.trees.set(key, tree);
    }
    return tree;
  }
}

export async function openSourceTree(root: string, ignorePaths: string[]): Promise<SourceTree> {
  const real = await realpath(root);
  return { root: real, exclude: await sourceIgnoreFilterAsync(real, ignorePaths) };
}

/**
 * What the workspace copy would hold at a path: `link` when the path or one of its directories is a
 * symlink (whose target the copy rewrites), `other` for sockets, devices and the like.
 */
export type Presence = 'file' | 'dir' | 'absent' | 'link' | 'other';

const isVcs = isVcsPath;

/** Per tree: what each path was found to be, and each directory's real path. */
const looked = new WeakMap<SourceTree, { presence: Map<string, Promise<Presence>>; realDirs: Map<string, Promise<string | undefined>> }>();

/**
 * REL is relative to the tree's root, `/`-separated, already normalized (no `..`). Looked up once per
 * tree: a run's tree does not change under it, and a shared base or component is on the way of every
 * Kustomization's closure walk.
 */
export function presence(tree: SourceTree, rel: string): Promise<Presence> {
  let seen = looked.get(tree);
  if (!seen) looked.set(tree, (seen = { presence: new Map(), realDirs: new Map() }));
  let p = seen.presence.get(rel);
  if (!p) seen.presence.set(rel, (p = presenceNow(tree, rel, seen.realDirs)));
  return p;
}

async function presenceNow(tree: SourceTree, rel: string, realDirs: Map<string, Promise<string | undefined>>): Promise<Presence> {
  if (rel === '' || rel === '.') return 'dir';
  if (isVcs(rel)) return 'absent';
  const parts = rel.split('/');
  // A directory the copy leaves out takes everything below it along (unless the filter keeps it walkable).
  for (let i = 1; i < parts.length; i++) if (tree.exclude(parts.slice(0, i).join('/'), true)) return 'absent';
  const abs = path.join(tree.root, ...parts);
  let st;
  try {
    st = await lstat(abs);
  } catch {
    return 'absent';
  }
  // The root is a real path: any difference below it is a symlinked directory on the way.
  const dir = path.dirname(abs);
  let realDir = realDirs.get(dir);
  if (!realDir) realDirs.set(dir, (realDir = realpath(dir).catch(() => undefined)));
  if ((await realDir) !== dir) return 'link';
  if (st.isSymbolicLink()) return 'link';
  if (st.isDirectory()) return tree.exclude(rel, true) ? 'absent' : 'dir';
  if (st.isFile()) return tree.exclude(rel, false) ? 'absent' : 'file';
  return 'other';
}

export interface TreeEntry {
  name: string;
  kind: Presence;
}

/** The entries of a directory the copy would hold, in lexical order (the order the Flux overlay scans in). */
export async function listDirectory(tree: SourceTree, rel: string): Promise<TreeEntry[]> {
  const dir = rel === '' || rel === '.' ? tree.root : path.join(tree.root, ...rel.split('/'));
  const entries = (await readdir(dir, { withFileTypes: true })).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  const out: TreeEntry[] = [];
  for (const e of entries) {
    const child = rel === '' || rel === '.' ? e.name : `${rel}/${e.name}`;
    if (isVcs(child)) continue;
    if (e.isSymbolicLink()) {
      out.push({ name: e.name, kind: 'link' });
      continue;
    }
    const kind: Presence = e.isDirectory() ? 'dir' : e.isFile() ? 'file' : 'other';
    if (tree.exclude(child, kind === 'dir')) continue;
    out.push({ name: e.name, kind });
  }
  return out;
}

/** ABS (absolute) relative to the tree's root, `/`-separated; undefined when it leaves the root. */
export function relativeTo(tree: SourceTree, abs: string): string | undefined {
  const r = path.relative(tree.root, abs);
  if (r === '') return '';
  if (r === '..' || r.startsWith('..' + path.sep) || path.isAbsolute(r)) return undefined;
  return r.split(path.sep).join('/');
}

/**
 * How many paths at or under DIR (and directories on the way to it) the ignore rules leave out, as a
 * whole-repository copy meets them: an excluded directory counts once and is not descended into,
 * nor is a symlink. For the note that explains an empty build.
 */
export async function countExcludedUnder(tree: SourceTree, dir: string): Promise<number> {
  let count = 0;
  const parts = dir === '' ? [] : dir.split('/');
  for (let i = 1; i <= parts.length; i++) {
    if (tree.exclude(parts.slice(0, i).join('/'), true)) return count + 1;
  }
  const walk = async (rel: string): Promise<void> => {
    const abs = rel === '' ? tree.root : path.join(tree.root, ...rel.split('/'));
    let entries;
    try {
      entries = await readdir(abs, { withFileTypes: true });
    } catch {
      return;
    }
    for (const e of entries) {
      const child = rel === '' ? e.name : `${rel}/${e.name}`;
      if (isVcs(child)) continue;
      let isDir = e.isDirectory();
      if (e.isSymbolicLink()) isDir = await stat(path.join(abs, e.name)).then((s) => s.isDirectory(), () => false);
      if (tree.exclude(child, isDir)) count++;
      else if (e.isDirectory()) await walk(child);
    }
  };
  await walk(dir);
  return count;
}
