// The build never touches the user's tree: what the build reads is copied into a temporary
// directory, and the Flux overlay, decryption and kustomize all work on the copy. The copy holds
// the Kustomization's reference closure (kustomize/reference-closure.ts) when the walk could prove it, so that
// preparing a Kustomization costs what it reads, not the size of the repository; otherwise the
// whole repository root.
import { copyFileSync, cpSync, mkdirSync, mkdtempSync, rmSync, statSync, existsSync, realpathSync } from 'node:fs';
import { cp, realpath, rm, stat } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { InputError } from '../../model/errors.js';
import { repositoryRoot } from '../../flux/source-root.js';
import { registerAsyncCleanup, registerCleanup } from '../../model/cleanup.js';
import type { ReferenceClosure, SourceTree } from './source-tree.js';
import { isVcsPath } from './vcs.js';

export interface Workspace {
  /** Temporary copy of the repository root. */
  root: string;
  /** The Kustomization's path inside the copy. */
  dir: string;
  /** The user's repository root and path, for messages. */
  userRoot: string;
  userDir: string;
  cleanup(): void;
  /** The same removal, in the thread pool: what a finished build uses, so other builds' work goes on meanwhile. */
  release(): Promise<void>;
  /** Bytes of the files copied, when the copy is a reference closure (what the build reads); else unknown. */
  inputBytes?: number;
}

/** Fails early, before any cluster round trip, when --path is not a directory. */
export function assertDirectory(userDir: string): void {
  const abs = path.resolve(userDir);
  if (!existsSync(abs)) throw new InputError(`--path ${userDir}: no such directory`, userDir);
  if (!statSync(abs).isDirectory()) throw new InputError(`--path ${userDir}: not a directory`, userDir);
}

export function createWorkspace(
  userDir: string,
  specPath: string | undefined,
  exclude: (relPath: string, isDir: boolean) => boolean = () => false,
  /** The repository boundary (containment.ts repositoryBoundary), when known. */
  boundary?: string,
): Workspace {
  assertDirectory(userDir);
  const abs = path.resolve(userDir);
  const real = realpathSync(abs);
  const root = boundary ?? repositoryRoot(real, specPath);
  const tmp = mkdtempSync(path.join(os.tmpdir(), 'podo-build-'));
  // The copy may hold decrypted SOPS plaintext: it must not outlive an interrupted run either.
  const cleanup = registerCleanup(() => rmSync(tmp, { recursive: true, force: true }));
  const copyRoot = path.join(tmp, 'repo');
  try {
    copyTree(root, copyRoot, exclude);
  } catch (err) {
    cleanup();
    throw err;
  }
  return {
    root: copyRoot,
    dir: path.join(copyRoot, path.relative(root, real)),
    userRoot: root,
    userDir,
    cleanup,
    release: async () => cleanup(),
  };
}

/**
 * The asynchronous workspace of a run: CLOSURE's files and directories when given (a complete
 * closure, see referenceClosure), else the whole tree minus what it excludes. Nothing here blocks
 * the event loop, so the dry-runs of other Kustomizations go on while one is copied.
 */
export async function createWorkspaceFor(tree: SourceTree, userDir: string, closure: ReferenceClosure | undefined): Promise<Workspace> {
  const real = await realpath(path.resolve(userDir));
  // Created and registered in one synchronous step: a signal arriving in between would leave it behind.
  const tmp = mkdtempSync(path.join(os.tmpdir(), 'podo-build-'));
  // The copy may hold decrypted SOPS plaintext: it must not outlive an interrupted run either.
  const removal = registerAsyncCleanup(
    () => rmSync(tmp, { recursive: true, force: true }),
    () => rm(tmp, { recursive: true, force: true }),
  );
  const cleanup = removal.now;
  const copyRoot = path.join(tmp, 'repo');
  let inputBytes: number | undefined;
  try {
    if (closure && !closure.unprovable) inputBytes = copyClosure(tree.root, copyRoot, closure);
    else await copyTreeAsync(tree.root, copyRoot, tree.exclude);
  } catch (err) {
    cleanup();
    throw err;
  }
  return {
    root: copyRoot,
    dir: path.join(copyRoot, path.relative(tree.root, real)),
    userRoot: tree.root,
    userDir,
    cleanup,
    release: removal.later,
    ...(inputBytes !== undefined ? { inputBytes } : {}),
  };
}

/**
 * Synchronous on purpose, and cheap: it copies only what the build reads. An asynchronous copy runs
 * in the thread pool, where a write still in flight when SIGINT's cleanup removes the directory
 * would recreate it after podo is gone (with decrypted plaintext to come).
 */
function copyClosure(root: string, copyRoot: string, closure: ReferenceClosure): number {
  const dirs = new Set<string>(['']);
  const files: string[] = [];
  for (const [rel, kind] of closure.entries) {
    if (kind === 'dir') dirs.add(rel);
    else if (kind === 'file') {
      files.push(rel);
      dirs.add(path.posix.dirname(rel) === '.' ? '' : path.posix.dirname(rel));
    }
  }
  // mkdir -p creates the parents: only directories that are no other's parent need a call.
  const parents = new Set<string>();
  for (const d of dirs) for (let p = d; p !== ''; p = path.posix.dirname(p) === '.' ? '' : path.posix.dirname(p)) if (p !== d) parents.add(p);
  for (const d of dirs) if (!parents.has(d)) mkdirSync(path.join(copyRoot, ...d.split('/').filter(Boolean)), { recursive: true });
  let bytes = 0;
  for (const rel of files) {
    const to = path.join(copyRoot, ...rel.split('/'));
    copyFileSync(path.join(root, ...rel.split('/')), to);
    bytes += statSync(to).size;
  }
  return bytes;
}

async function copyTreeAsync(root: string, copyRoot: string, exclude: (relPath: string, isDir: boolean) => boolean): Promise<void> {
  await cp(root, copyRoot, {
    recursive: true,
    dereference: false,
    filter: async (src) => {
      const rel = path.relative(root, src);
      if (rel === '') return true;
      if (isVcsPath(rel)) return false;
      let isDir = false;
      try {
        isDir = (await stat(src)).isDirectory();
      } catch {
        /* dangling link: copy it as it is */
      }
      return !exclude(rel.split(path.sep).join('/'), isDir);
    },
  });
}

function copyTree(root: string, copyRoot: string, exclude: (relPath: string, isDir: boolean) => boolean): void {
  cpSync(root, copyRoot, {
    recursive: true,
    dereference: false,
    filter: (src) => {
      const rel = path.relative(root, src);
      if (rel === '') return true;
      if (isVcsPath(rel)) return false;
      let isDir = false;
      try {
        isDir = statSync(src).isDirectory();
      } catch {
        /* dangling link: copy it as it is */
      }
      return !exclude(rel.split(path.sep).join('/'), isDir);
    },
  });
}

