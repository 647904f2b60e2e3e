// Flag values → validated options. Pure: throws UsageError, does no I/O.
import { UsageError } from '../model/errors.js';
import { FORMAT_NAMES, type Format } from '../report/index.js';

export type OutputFormat = Format;

export function parseOutput(v: string): OutputFormat {
  if ((FORMAT_NAMES as string[]).includes(v)) return v as OutputFormat;
  throw new UsageError(`--output must be one of ${FORMAT_NAMES.join(', ')}, got "${v}"`);
}

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

export interface ColorChoice {
  flag: boolean;
  env: NodeJS.ProcessEnv;
  isTTY: boolean;
}

/** Color when stdout is a terminal, unless --no-color or NO_COLOR; FORCE_COLOR forces it. */
export function useColor(c: ColorChoice): boolean {
  if (!c.flag) return false;
  if (c.env.NO_COLOR !== undefined && c.env.NO_COLOR !== '') return false;
  if (c.env.FORCE_COLOR !== undefined && c.env.FORCE_COLOR !== '0') return true;
  return c.isTTY;
}

/** The flags of program.ts's withBuildOptions, shared by every command that builds a Kustomization. */
export interface BuildOptionFlags {
  path?: string;
  namespace: string;
  kubeconfig?: string;
  context?: string;
  kustomizeBin?: string;
  /** --helm-bin: the helm to render HelmReleases with (`none`: do not render charts). */
  helmBin?: string;
  kustomizationFile?: string;
  ignoreNotFound?: boolean;
  strictSubstitute?: boolean;
  sopsAgeKeyFile?: string;
  ignorePaths?: string;
  timeout: string;
  /** --local-sources (and its alias --source): repeatable, comma-separated. */
  localSources?: string[];
  defaultServiceAccount?: string;
  /** commander's --no-impersonate: false when given. */
  impersonate?: boolean;
}
