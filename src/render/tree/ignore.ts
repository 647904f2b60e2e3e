// Which files of the repository reach the build: source-controller leaves ignored files out of the
// artifact, so kustomize-controller (and its manifest scan) never sees them. podo applies the same
// rules while copying the repository into its workspace.
import { readdirSync, readFileSync } from 'node:fs';
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { isIgnored, readPatterns, type IgnorePattern } from './gitignore.js';
import { VCS_NAMES } from './vcs.js';

// fluxcd/pkg sourceignore defaults.
export const EXCLUDE_VCS = ['.git/', '.gitignore', '.gitmodules', '.gitattributes'];
export const EXCLUDE_EXT = ['*.jpg', '*.jpeg', '*.gif', '*.png', '*.wmv', '*.flv', '*.tar.gz', '*.zip'];
export const EXCLUDE_CI = [
  '.github/',
  '.circleci/',
  '.travis.yml',
  '.gitlab-ci.yml',
  'appveyor.yml',
  '.drone.yml',
  'cloudbuild.yaml',
  'codeship-services.yml',
  'codeship-steps.yml',
];
export const EXCLUDE_EXTRA = ['**/.goreleaser.yml', '**/.sops.yaml', '**/.flux.yaml'];

export const SOURCE_IGNORE_FILE = '.sourceignore';

/**
 * `.sourceignore` patterns of every directory under ROOT, each scoped to its directory, parents
 * before children (fluxcd/pkg sourceignore.LoadIgnorePatterns). `.git` is not searched, and
 * symlinked directories are not followed.
 */
export function loadSourceIgnorePatterns(root: string, domain: string[] = []): IgnorePattern[] {
  const dir = path.join(root, ...domain);
  const out: IgnorePattern[] = [];
  try {
    out.push(...readPatterns(readFileSync(path.join(dir, SOURCE_IGNORE_FILE), 'utf8'), domain));
  } catch {
    /* no ignore file here */
  }
  const entries = readdirSync(dir, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  for (const e of entries) {
    if (e.isDirectory() && !VCS_NAMES.has(e.name)) out.push(...loadSourceIgnorePatterns(root, [...domain, e.name]));
  }
  return out;
}

/**
 * The same patterns as loadSourceIgnorePatterns, read without blocking the event loop (once per run
 * and repository: see source-tree.ts).
 */
export async function loadSourceIgnorePatternsAsync(root: string, domain: string[] = []): Promise<IgnorePattern[]> {
  const dir = path.join(root, ...domain);
  const out: IgnorePattern[] = [];
  try {
    out.push(...readPatterns(await readFile(path.join(dir, SOURCE_IGNORE_FILE), 'utf8'), domain));
  } catch {
    /* no ignore file here */
  }
  const entries = (await readdir(dir, { withFileTypes: true })).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  const subdirs = entries.filter((e) => e.isDirectory() && !VCS_NAMES.has(e.name));
  // Children are read concurrently but concatenated in lexical order, as the synchronous walk does.
  const nested = await Promise.all(subdirs.map((e) => loadSourceIgnorePatternsAsync(root, [...domain, e.name])));
  for (const n of nested) out.push(...n);
  return out;
}

/**
 * The exclude filter for createWorkspace: true for paths source-controller would leave out.
 *
 * As in source-controller's SourceIgnoreFilter, the default extension/CI/extra exclusions apply
 * only when the repository has no `.sourceignore` patterns and no ignore paths were given: any
 * user pattern replaces them (the GitRepository docs: `spec.ignore` "overrides the default
 * exclusions"). The VCS exclusions always apply. IGNORE_PATHS play the part of
 * GitRepository `spec.ignore`: root-scoped, highest priority.
 */
export function sourceIgnoreFilter(repoRoot: string, ignorePaths: string[]): (relPath: string, isDir: boolean) => boolean {
  return filterFor(loadSourceIgnorePatterns(repoRoot), ignorePaths);
}

/** sourceIgnoreFilter, with the repository's `.sourceignore` files read asynchronously. */
export async function sourceIgnoreFilterAsync(repoRoot: string, ignorePaths: string[]): Promise<(relPath: string, isDir: boolean) => boolean> {
  return filterFor(await loadSourceIgnorePatternsAsync(repoRoot), ignorePaths);
}

function filterFor(sourceIgnore: IgnorePattern[], ignorePaths: string[]): (relPath: string, isDir: boolean) => boolean {
  const vcs = EXCLUDE_VCS.flatMap((p) => readPatterns(p, []));
  const user = [...sourceIgnore, ...readPatterns(ignorePaths.join('\n'), [])];
  const defaults = [...EXCLUDE_EXT, ...EXCLUDE_CI, ...EXCLUDE_EXTRA].flatMap((p) => readPatterns(p, []));
  const patterns = user.length > 0 ? [...vcs, ...user] : [...vcs, ...defaults];
  const canReinclude = patterns.some((p) => p.negate);
  return (relPath, isDir) => {
    const parts = relPath.split('/').filter((s) => s !== '');
    if (parts.length === 0) return false;
    const excluded = isIgnored(patterns, parts, isDir);
    // source-controller decides file by file and never prunes a directory, so a `!` pattern can
    // bring back a file below an excluded directory: keep walking into it when one exists.
    // Without negations, everything below an excluded directory is excluded too.
    if (excluded && isDir && canReinclude) return false;
    return excluded;
  };
}
