// Go's path.Match, the one glob matcher of podo: drone/envsubst trims `${v#pattern}` with it (where `*`
// and `?` also match "/"), and fluxcd/pkg's gitignore matcher (a copy of go-git's) matches each path
// component with filepath.Match, which on a single component (no "/") is the same function. A malformed
// pattern is reported as undefined by compileGlob; both callers treat it as matching nothing, as Flux does
// with ErrBadPattern.

type GlobItem =
  | { kind: 'literal'; ch: string }
  | { kind: 'any' }
  | { kind: 'class'; negated: boolean; ranges: Array<[number, number]> };

/** A run of single-character items, optionally preceded by a "*". */
interface GlobChunk {
  star: boolean;
  items: GlobItem[];
}

/** Compiles a path.Match pattern; undefined when Go would report ErrBadPattern. */
export function compileGlob(p: string[]): GlobChunk[] | undefined {
  const chunks: GlobChunk[] = [];
  let i = 0;
  while (i < p.length) {
    let star = false;
    while (p[i] === '*') {
      star = true;
      i++;
    }
    const items: GlobItem[] = [];
    while (i < p.length && p[i] !== '*') {
      const c = p[i];
      if (c === '?') {
        items.push({ kind: 'any' });
        i++;
      } else if (c === '\\') {
        if (i + 1 >= p.length) return undefined;
        items.push({ kind: 'literal', ch: p[i + 1] });
        i += 2;
      } else if (c === '[') {
        i++;
        const negated = p[i] === '^';
        if (negated) i++;
        const ranges: Array<[number, number]> = [];
        // The first "]" is a member, not the end, which Go rejects as an empty class.
        while (!(p[i] === ']' && ranges.length > 0)) {
          const lo = classChar(p, i);
          if (lo === undefined) return undefined;
          i = lo.next;
          let hi = lo;
          if (p[i] === '-') {
            const h = classChar(p, i + 1);
            if (h === undefined) return undefined;
            hi = h;
            i = h.next;
          }
          ranges.push([lo.code, hi.code]);
        }
        i++; // "]"
        items.push({ kind: 'class', negated, ranges });
      } else {
        items.push({ kind: 'literal', ch: c });
        i++;
      }
    }
    chunks.push({ star, items });
  }
  return chunks;
}

/** One end of a class range, as Go's getEsc reads it. */
function classChar(p: string[], i: number): { code: number; next: number } | undefined {
  let at = i;
  if (at >= p.length || p[at] === '-' || p[at] === ']') return undefined;
  if (p[at] === '\\') at++;
  if (at >= p.length) return undefined;
  return { code: p[at].codePointAt(0) ?? 0, next: at + 1 };
}

/** Matches `items` at `s[at]`; returns where the match ends, or undefined. */
function matchItems(items: readonly GlobItem[], s: readonly string[], at: number): number | undefined {
  let pos = at;
  for (const item of items) {
    if (pos >= s.length) return undefined;
    const ch = s[pos];
    if (item.kind === 'literal' && item.ch !== ch) return undefined;
    if (item.kind === 'class') {
      const code = ch.codePointAt(0) ?? 0;
      const inClass = item.ranges.some(([lo, hi]) => lo <= code && code <= hi);
      if (inClass === item.negated) return undefined;
    }
    pos++;
  }
  return pos;
}

/**
 * Go's path.Match loop: each chunk takes its leftmost match after a star,
 * except the last, which must reach the end of the input.
 */
export function globMatch(chunks: readonly GlobChunk[], s: readonly string[]): boolean {
  let at = 0;
  next: for (let ci = 0; ci < chunks.length; ci++) {
    const { star, items } = chunks[ci];
    const last = ci === chunks.length - 1;
    if (star && items.length === 0) return true;
    const end = matchItems(items, s, at);
    if (end !== undefined && (end === s.length || !last)) {
      at = end;
      continue;
    }
    if (star) {
      for (let skip = at + 1; skip <= s.length; skip++) {
        const e = matchItems(items, s, skip);
        if (e === undefined || (last && e < s.length)) continue;
        at = e;
        continue next;
      }
    }
    return false;
  }
  return at === s.length;
}

const compiled = new Map<string, GlobChunk[] | null>();

/** Go's filepath.Match of one path component (or any string) against PATTERN; a malformed pattern never matches. */
export function goMatch(pattern: string, name: string): boolean {
  let chunks = compiled.get(pattern);
  if (chunks === undefined) {
    chunks = compileGlob([...pattern]) ?? null;
    compiled.set(pattern, chunks);
  }
  return chunks !== null && globMatch(chunks, [...name]);
}
