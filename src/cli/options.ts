// Flag values → validated options. Pure: throws UsageError, does no I/O.
import { UsageError } from '../model/errors.js';

export type OutputFormat = 'text' | 'json' | 'markdown' | 'unified';
const FORMATS: OutputFormat[] = ['text', 'json', 'markdown', 'unified'];

export function parseOutput(v: string): OutputFormat {
  if ((FORMATS as string[]).includes(v)) return v as OutputFormat;
  throw new UsageError(`--output must be one of ${FORMATS.join(', ')}, got "${v}"`);
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

/**
 * chalk's (supports-color's) reading of FORCE_COLOR: unset → undefined; "", "true" or a number ≥ 1 →
 * forced on; "0" or "false" → forced off. Anything else that is not a number counts as on, as there.
 */
export function forceColor(env: NodeJS.ProcessEnv): boolean | undefined {
  const v = env.FORCE_COLOR;
  if (v === undefined) return undefined;
  if (v === '' || v === 'true') return true;
  if (v === 'false') return false;
  const n = Number.parseInt(v, 10);
  return Number.isNaN(n) ? true : n > 0;
}

/**
 * Color rules, in order: --no-color and NO_COLOR always win (an explicit opt-out); FORCE_COLOR as chalk
 * reads it (0/false off, 1+ on, whatever the stream); otherwise only on a terminal, and never with
 * TERM=dumb (supports-color's rule).
 */
export function useColor(c: ColorChoice): boolean {
  if (!c.flag) return false;
  if (c.env.NO_COLOR !== undefined && c.env.NO_COLOR !== '') return false;
  const forced = forceColor(c.env);
  if (forced !== undefined) return forced;
  if (!c.isTTY) return false;
  return c.env.TERM !== 'dumb';
}

/**
 * ci-info's isCI: CI=false means "not CI" whatever else is set; otherwise any of the generic variables
 * CI servers set (ci-info's list; the vendor-specific ones all come with CI=true or one of these too).
 */
export function isCI(env: NodeJS.ProcessEnv): boolean {
  if (env.CI === 'false') return false;
  return ['BUILD_ID', 'BUILD_NUMBER', 'CI', 'CI_APP_ID', 'CI_BUILD_ID', 'CI_BUILD_NUMBER', 'CI_NAME', 'CONTINUOUS_INTEGRATION', 'RUN_ID'].some(
    (k) => env[k] !== undefined && env[k] !== '',
  );
}

/** The flags of program.ts's withBuildOptions, shared by every command that builds a Kustomization. */
export interface BuildOptionFlags {
  path?: string;
  namespace: string;
  kubeconfig?: string;
  context?: string;
  kustomizeBin?: string;
  kustomizationFile?: string;
  ignoreNotFound?: boolean;
  strictSubstitute?: boolean;
  sopsAgeKeyFile?: string;
  ignorePaths?: string;
  timeout: string;
}
