// The git facts of podo's checkout in podo's words. A second checkout of the repository at another
// ref, for diffing without a cluster, is a detached `git worktree` in a temporary directory: the user's
// working tree, index and HEAD are never touched, and the worktree is removed afterwards, also when the
// run is interrupted (model/cleanup.ts). git runs in process/git.ts, the two synchronous reads below aside.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, realpathSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ChildTimeoutError } from '../process/child.js';
import { gitEnv } from '../process/git-env.js';
import { git, gitToplevelOf, hasCommit, isGitFailure, realish, removeWorktreeSync } from '../process/git.js';
import { InputError, firstLine } from '../model/errors.js';
import { registerCleanup } from '../model/cleanup.js';

/** The branch checked out at `dir`, or undefined (detached HEAD, not a git checkout). */
export function gitCurrentBranch(dir: string): string | undefined {
  try {
    const out = execFileSync('git', ['-C', dir, 'symbolic-ref', '--quiet', '--short', 'HEAD'], { encoding: 'utf8', env: gitEnv(), stdio: ['ignore', 'pipe', 'ignore'] }).trim();
    return out || undefined;
  } catch {
    return undefined;
  }
}

/** The URLs of the checkout's git remotes (empty when it has none, or is not a git checkout). */
export function gitRemotes(dir: string): string[] {
  try {
    const out = execFileSync('git', ['-C', dir, 'remote', '-v'], { encoding: 'utf8', env: gitEnv(), stdio: ['ignore', 'pipe', 'ignore'], timeout: 10_000 });
    return [...new Set(out.split('\n').map((l) => l.split(/\s+/)[1]).filter((u): u is string => !!u))];
  } catch {
    return [];
  }
}

/** Both sides of a --base-ref run: the user's work tree, the ref checked out beside it, and --path. */
export interface RefCheckout {
  ref: string;
  /** Top of the user's git working tree, symlinks resolved. */
  toplevel: string;
  /** Top of the temporary checkout of the ref. */
  worktree: string;
  /** --path with symlinks resolved as far as it exists (a path deleted in the working tree still maps to the ref). */
  path: string;
  /** Removes the checkout of the ref (also on interrupt, model/cleanup.ts). */
  close: () => void;
}

/**
 * A detached checkout of `ref`, of the repository holding `dir`, beside the user's working tree.
 * `--detach` lets REF be the branch checked out in the main working tree. Hooks are turned off: a
 * post-checkout hook has no business running for a read-only diff.
 */
export async function openRefCheckout(dir: string, ref: string): Promise<RefCheckout> {
  const top = await gitToplevelOf(dir);
  if ('none' in top) {
    if (top.none === 'no git') throw new InputError('git is not on PATH: --base-ref needs it');
    throw new InputError(`${dir} is not inside a git repository: --base-ref needs one`, dir);
  }
  const toplevel = top.dir;
  // A ref that looks like an option would be read as one by git.
  if (ref === '' || ref.startsWith('-')) throw new InputError(`--base-ref ${JSON.stringify(ref)}: not a git ref`);
  if (!(await hasCommit(toplevel, ref))) {
    throw new InputError(
      `--base-ref ${ref}: the ref is not in this clone; a shallow CI clone needs the history (actions/checkout with fetch-depth: 0) or the ref fetched (git fetch origin ${ref})`,
    );
  }
  const tmp = mkdtempSync(path.join(os.tmpdir(), 'podo-base-'));
  const worktree = path.join(realpathSync(tmp), 'tree');
  const close = registerCleanup(() => removeWorktreeSync(toplevel, tmp, worktree));
  try {
    await git(toplevel, ['-c', 'core.hooksPath=/dev/null', 'worktree', 'add', '--detach', '--quiet', worktree, `${ref}^{commit}`]);
  } catch (err) {
    close();
    if (err instanceof ChildTimeoutError) throw err;
    throw new InputError(`--base-ref ${ref}: git worktree add failed: ${isGitFailure(err) ? firstLine(err.stderr) : String(err)}`);
  }
  return { ref, toplevel, worktree, path: realish(dir), close };
}
