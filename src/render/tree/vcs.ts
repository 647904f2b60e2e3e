// Version-control metadata is not part of the repository a build may read. source-controller's artifact
// of a GitRepository holds the work tree without `.git`, and `.git/config` is where actions/checkout
// stores the job's token (`http.<url>.extraheader = AUTHORIZATION: basic …`): a chart file or a generator
// that reaches it would print it into a pull request comment. Any path with one of these names as a
// segment is left out of every copy and refused as a reference, at any depth (a nested clone's `.git`,
// a submodule's or worktree's `.git` FILE that points into the parent's metadata).
import path from 'node:path';

export const VCS_NAMES: ReadonlySet<string> = new Set(['.git', '.hg', '.svn', '.bzr']);

/** True for a relative path (either separator) that is, or lies inside, version-control metadata. */
export function isVcsPath(rel: string): boolean {
  return rel.split(/[\\/]/).some((seg) => VCS_NAMES.has(seg));
}

/** True when ABS lies inside ROOT and, relative to it, in version-control metadata. */
export function isVcsPathUnder(abs: string, root: string): boolean {
  const r = path.relative(root, abs);
  if (r === '' || r === '..' || r.startsWith('..' + path.sep) || path.isAbsolute(r)) return false;
  return isVcsPath(r);
}

export function vcsRefusal(what: string): string {
  return `${what}: refers to version-control metadata (.git, .hg, .svn, .bzr), which is not part of the repository a build may read`;
}
