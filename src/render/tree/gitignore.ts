// gitignore-style patterns with the semantics Flux uses for `.sourceignore` and `spec.ignore`
// (fluxcd/pkg sourceignore/gitignore, a copy of go-git's matcher). These differ from git in
// two ways that matter for which files reach the build:
//   - a pattern without `/` matches ANY path component, so `foo` also excludes `x/foo/y.yaml`;
//   - a pattern with `/` is anchored at its domain and matches a prefix, so `/deploy` also
//     excludes everything below `deploy/`.
// Patterns are checked last-to-first and the first one that matches decides, so a later `!x`
// re-includes a file even when a parent directory was excluded (git would not).

import { goMatch } from './glob.js';

export interface IgnorePattern {
  /** Path components of the directory whose ignore file held the pattern ([] = repository root). */
  domain: string[];
  /** The pattern split on `/`; a leading `/` leaves an empty first element. */
  segments: string[];
  negate: boolean;
  dirOnly: boolean;
  /** Contains a `/`: matched component by component from the domain. */
  anchored: boolean;
}

export function parsePattern(line: string, domain: string[]): IgnorePattern {
  let p = line;
  const negate = p.startsWith('!');
  if (negate) p = p.slice(1);
  // Trailing spaces are dropped unless escaped, as in git.
  if (!p.endsWith('\\ ')) p = p.replace(/ +$/, '');
  const dirOnly = p.endsWith('/');
  if (dirOnly) p = p.slice(0, -1);
  return { domain: [...domain], segments: p.split('/'), negate, dirOnly, anchored: p.includes('/') };
}

/** Lines of an ignore file; `#` comments and blank lines are skipped (CRLF tolerated). */
export function readPatterns(text: string, domain: string[]): IgnorePattern[] {
  return text
    .split('\n')
    .map((l) => l.replace(/\r$/, ''))
    .filter((l) => !l.startsWith('#') && l.trim() !== '')
    .map((l) => parsePattern(l, domain));
}

/** True when PATH (components relative to the repository root) is excluded. */
export function isIgnored(patterns: readonly IgnorePattern[], path: string[], isDir: boolean): boolean {
  for (let i = patterns.length - 1; i >= 0; i--) {
    const r = matchPattern(patterns[i], path, isDir);
    if (r !== undefined) return r === 'exclude';
  }
  return false;
}

export function matchPattern(p: IgnorePattern, fullPath: string[], isDir: boolean): 'exclude' | 'include' | undefined {
  if (fullPath.length <= p.domain.length) return undefined;
  if (p.domain.some((d, i) => fullPath[i] !== d)) return undefined;
  const rel = fullPath.slice(p.domain.length);
  const hit = p.anchored ? globMatch(p, rel, isDir) : nameMatch(p, rel, isDir);
  if (!hit) return undefined;
  return p.negate ? 'include' : 'exclude';
}

function nameMatch(p: IgnorePattern, rel: string[], isDir: boolean): boolean {
  for (let i = 0; i < rel.length; i++) {
    if (!segmentMatch(p.segments[0], rel[i])) continue;
    // A dir-only pattern may match the last component only when that is a directory.
    return !(p.dirOnly && !isDir && i === rel.length - 1);
  }
  return false;
}

function globMatch(p: IgnorePattern, rel: string[], isDir: boolean): boolean {
  let path = rel;
  let matched = false;
  let traverse = false;
  for (let i = 0; i < p.segments.length; i++) {
    const seg = p.segments[i];
    if (seg === '') {
      traverse = false;
      continue;
    }
    if (seg === '**') {
      if (i === p.segments.length - 1) break;
      traverse = true;
      continue;
    }
    if (seg.includes('**')) return false;
    if (path.length === 0) return false;
    if (traverse) {
      traverse = false;
      matched = false;
      while (path.length > 0) {
        const head = path[0];
        path = path.slice(1);
        if (segmentMatch(seg, head)) {
          matched = true;
          break;
        }
      }
      if (!matched) return false;
    } else {
      if (!segmentMatch(seg, path[0])) return false;
      matched = true;
      path = path.slice(1);
    }
  }
  if (matched && p.dirOnly && !isDir && path.length === 0) return false;
  return matched;
}

/** Go's filepath.Match on one path component: `*`, `?`, `[a-z]`, `[^x]`, `\` escapes (render/tree/glob.ts). */
function segmentMatch(pattern: string, name: string): boolean {
  return goMatch(pattern, name);
}
