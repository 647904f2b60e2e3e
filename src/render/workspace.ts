// The build never touches the user's tree: the repository root is copied into a temporary
// directory, and the Flux overlay, decryption and kustomize all work on the copy.
import { cpSync, mkdtempSync, rmSync, statSync, existsSync, realpathSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { InputError } from '../model/errors.js';
import { registerCleanup } from '../model/cleanup.js';

export interface Workspace {
  /** Temporary copy of the repository root. */
  root: string;
  /** The Kustomization's path inside the copy. */
  dir: string;
  /** The user's repository root and path, for messages. */
  userRoot: string;
  userDir: string;
  cleanup(): void;
}

/**
 * The repository root is `--path` minus the Kustomization's `spec.path` when `--path` ends with it
 * (so `../base` references resolve as in Flux); otherwise `--path` itself.
 */
export function repositoryRoot(userDir: string, specPath: string | undefined): string {
  const abs = path.resolve(userDir);
  const rel = (specPath ?? '').replace(/^\.\//, '').replace(/\/+$/, '');
  if (rel === '' || rel === '.') return abs;
  const parts = rel.split('/').filter((p) => p && p !== '.');
  if (parts.includes('..')) return abs;
  const tail = abs.split(path.sep).slice(-parts.length);
  if (tail.length === parts.length && tail.every((p, i) => p === parts[i])) {
    return abs.split(path.sep).slice(0, -parts.length).join(path.sep) || path.sep;
  }
  return abs;
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
  };
}

function copyTree(root: string, copyRoot: string, exclude: (relPath: string, isDir: boolean) => boolean): void {
  cpSync(root, copyRoot, {
    recursive: true,
    dereference: false,
    filter: (src) => {
      const rel = path.relative(root, src);
      if (rel === '') return true;
      if (rel === '.git' || rel.startsWith('.git' + path.sep)) return false;
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

