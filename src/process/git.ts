// git as podo runs it: in its own process group, with the one git environment (git-env.ts), bounded by
// --timeout (child.ts). Here git is asked and its answers returned as facts (where a work tree starts,
// whether a commit exists); the words a user reads about them are the caller's (sources/git.ts for
// --base-ref, render/tree/containment.ts for the repository boundary).
import { execFileSync } from 'node:child_process';
import { existsSync, realpathSync, rmSync } from 'node:fs';
import path from 'node:path';
import { ChildStartError, ChildTimeoutError, runChild } from './child.js';
import { gitEnv } from './git-env.js';

/** git could not start (`code` is the spawn error's), or exited non-zero. */
export interface GitFailure {
  code: number | string | undefined;
  stderr: string;
}

export function isGitFailure(err: unknown): err is GitFailure {
  return typeof err === 'object' && err !== null && 'stderr' in err;
}

/** git in its own process group, killed at --timeout (child.ts); its stdout, else a GitFailure. */
export async function git(cwd: string, args: string[]): Promise<string> {
  let res;
  try {
    res = await runChild('git', args, { what: `git ${args.filter((a) => !a.startsWith('-') && !a.includes('=')).slice(0, 2).join(' ')}`, cwd, env: gitEnv(), maxBuffer: 16 << 20 });
  } catch (err) {
    if (err instanceof ChildStartError) throw { code: err.code, stderr: '' } satisfies GitFailure;
    throw err;
  }
  if (res.code === 0) return res.stdout;
  throw { code: res.code ?? res.signal ?? undefined, stderr: res.stderr.trim() } satisfies GitFailure;
}

export type Toplevel = { dir: string } | { none: 'no git' | 'not a repository' };

/** The top of the git work tree holding `dir` (which need not exist: its nearest existing ancestor is asked), symlinks resolved. */
export async function gitToplevelOf(dir: string): Promise<Toplevel> {
  const cwd = existingAncestor(dir);
  let res;
  try {
    res = await runChild('git', ['rev-parse', '--show-toplevel'], { what: 'git rev-parse --show-toplevel', cwd, env: gitEnv(), maxBuffer: 1 << 16 });
  } catch (err) {
    if (err instanceof ChildStartError) return { none: 'no git' };
    throw err;
  }
  const top = res.code === 0 ? res.stdout.trim() : '';
  if (!top) return { none: 'not a repository' };
  try {
    return { dir: realpathSync(top) };
  } catch {
    return { none: 'not a repository' };
  }
}

/** Whether `ref` names a commit in the repository at `toplevel`; git running past --timeout still throws. */
export async function hasCommit(toplevel: string, ref: string): Promise<boolean> {
  try {
    await git(toplevel, ['rev-parse', '--verify', '--quiet', `${ref}^{commit}`]);
    return true;
  } catch (err) {
    if (err instanceof ChildTimeoutError) throw err;
    return false;
  }
}

/**
 * Removes a worktree that `git worktree add` made in `tmp`. Synchronous: it also runs from the signal
 * cleanup registry (model/cleanup.ts), where nothing asynchronous gets to finish.
 */
export function removeWorktreeSync(toplevel: string, tmp: string, worktree: string): void {
  const run = (args: string[]) => {
    try {
      execFileSync('git', args, { cwd: toplevel, env: gitEnv(), stdio: 'ignore', timeout: 10_000 });
    } catch {
      /* best effort: the directory removal and prune below finish the job */
    }
  };
  run(['worktree', 'remove', '--force', worktree]);
  rmSync(tmp, { recursive: true, force: true });
  run(['worktree', 'prune']);
}

/** The nearest existing directory at or above `p`: a path deleted in the working tree still has a repository. */
export function existingAncestor(p: string): string {
  let dir = path.resolve(p);
  while (!existsSync(dir) && path.dirname(dir) !== dir) dir = path.dirname(dir);
  return dir;
}

/** `p` with symlinks resolved as far as it exists (a path deleted in the working tree still maps to the ref). */
export function realish(p: string): string {
  const dir = existingAncestor(p);
  return path.join(realpathSync(dir), path.relative(dir, path.resolve(p)));
}
