// Flag value parsers shared by the flag table (flags.ts) and the commands. Pure: throws UsageError.
import { UsageError } from '../model/errors.js';

export function parsePositiveInt(flag: string, v: string): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1) throw new UsageError(`${flag} must be a positive integer, got "${v}"`);
  return n;
}

/** Go-style durations as Flux takes them: 90s, 5m, 1h30m, 500ms. */
export function parseDuration(flag: string, v: string): number {
  const re = /(\d+(?:\.\d+)?)(ms|s|m|h)/g;
  let total = 0;
  let consumed = 0;
  for (const m of v.matchAll(re)) {
    if (m.index !== consumed) break;
    consumed += m[0].length;
    total += Number(m[1]) * { ms: 1, s: 1000, m: 60_000, h: 3_600_000 }[m[2] as 'ms' | 's' | 'm' | 'h'];
  }
  if (consumed !== v.length || v.length === 0 || total <= 0) throw new UsageError(`${flag} must be a duration like 90s, 5m or 1h, got "${v}"`);
  return total;
}
