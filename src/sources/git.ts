// Every git invocation of podo, with one safe environment. A second checkout of the repository at
// another ref, for diffing without a cluster, is a detached `git worktree` in a temporary directory:
// the user's working tree, index and HEAD are never touched, and the worktree is removed afterwards,
// also when the run is interrupted (model/cleanup.ts).
import { execFileSync } from 'node:child_process';
import { ChildStartError, ChildTimeoutError, runChild } from '../process/child.js';
import { gitEnv } from '../process/git-env.js';
import { gitToplevelOf } from '../process/git-toplevel.js';
import { mkdtempSync, realpathSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { InputError, firstLine } from '../model/errors.js';
import { registerCleanup } from '../model/cleanup.js';


interface GitFailure {
  code: number | string | undefined;
  stderr: string;
}

/** git in its own process group, killed at --timeout (process/child.ts). */
async function git(cwd: string, args: string[]): Promise<string> {
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

function isFailure(err: unknown): err is GitFailure {
  return typeof err === 'object' && err !== null && 'stderr' in err;
}

/** The top of the git working tree that holds `dir` (which need not exist), symlinks resolved. */
export async function gitToplevel(dir: string): Promise<string> {
  const top = await gitToplevelOf(dir);
  if ('dir' in top) return top.dir;
  if (top.none === 'no git') throw new InputError('git is not on PATH: --base-ref needs it');
  throw new InputError(`${dir} is not inside a git repository: --base-ref needs one`, dir);
}

async function assertRefExists(toplevel: string, ref: string): Promise<void> {
  // A ref that looks like an option would be read as one by git.
  if (ref === '' || ref.startsWith('-')) throw new InputError(`--base-ref ${JSON.stringify(ref)}: not a git ref`);
  try {
    await git(toplevel, ['rev-parse', '--verify', '--quiet', `${ref}^{commit}`]);
  } catch (err) {
    if (err instanceof ChildTimeoutError) throw err;
    throw new InputError(
      `--base-ref ${ref}: the ref is not in this clone; a shallow CI clone needs the history (actions/checkout with fetch-depth: 0) or the ref fetched (git fetch origin ${ref})`,
    );
  }
}

/** Synchronous: it also runs from the signal cleanup registry, where nothing asynchronous gets to finish. */
function removeSync(toplevel: string, tmp: string, worktree: string): void {
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

/**
 * Runs `fn` with a detached checkout of `ref` (the repository holding `repoDir`) and returns its
 * result. `--detach` lets REF be the branch checked out in the main working tree. Hooks are turned
 * off: a post-checkout hook has no business running for a read-only diff.
 */
export async function withWorktree<T>(repoDir: string, ref: string, fn: (worktreeRoot: string) => Promise<T>): Promise<T> {
  const checkout = await openWorktree(repoDir, ref);
  try {
    return await fn(checkout.worktree);
  } finally {
    checkout.close();
  }
}

/** A detached checkout of `ref` beside the user's working tree; `close` removes it (also on interrupt, model/cleanup.ts). */
export async function openWorktree(repoDir: string, ref: string): Promise<{ toplevel: string; worktree: string; close: () => void }> {
  const toplevel = await gitToplevel(repoDir);
  await assertRefExists(toplevel, ref);
  const tmp = mkdtempSync(path.join(os.tmpdir(), 'podo-base-'));
  const worktree = path.join(realpathSync(tmp), 'tree');
  const remove = () => removeSync(toplevel, tmp, worktree);
  const close = registerCleanup(remove);
  try {
    await git(toplevel, ['-c', 'core.hooksPath=/dev/null', 'worktree', 'add', '--detach', '--quiet', worktree, `${ref}^{commit}`]);
  } catch (err) {
    close();
    if (err instanceof ChildTimeoutError) throw err;
    throw new InputError(`--base-ref ${ref}: git worktree add failed: ${isFailure(err) ? firstLine(err.stderr) : String(err)}`);
  }
  return { toplevel, worktree, close };
}
