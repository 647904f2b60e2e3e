// Where a git work tree starts: `git rev-parse --show-toplevel` from a directory, run the one way podo
// runs git (git-env.ts, its own process group, bounded). The repository boundary of a build
// (render/tree/containment.ts) and the checkout a --base-ref run compares against (sources/git.ts) both ask here.
import { existsSync, realpathSync } from 'node:fs';
import path from 'node:path';
import { ChildStartError, runChild } from './child.js';
import { gitEnv } from './git-env.js';

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

/** The nearest existing directory at or above `p`: a path deleted in the working tree still has a repository. */
export function existingAncestor(p: string): string {
  let dir = path.resolve(p);
  while (!existsSync(dir) && path.dirname(dir) !== dir) dir = path.dirname(dir);
  return dir;
}
