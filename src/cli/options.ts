// Flag values → validated options. Pure: throws UsageError, does no I/O.
import { UsageError } from '../model/errors.js';
import type { ConnectionSettings } from '../model/connection.js';
import type { ConnectionFlags, FlagValues } from './flags.js';
import { contextNamespace } from '../cluster/kubeconfig-fast.js';
import { FORMAT_NAMES, type Format } from '../report/index.js';
import { parsePositiveInt } from './values.js';

export { parseDuration, parsePositiveInt } from './values.js';
export type { ConnectionFlags };

export type OutputFormat = Format;

export function parseOutput(v: string): OutputFormat {
  if ((FORMAT_NAMES as string[]).includes(v)) return v as OutputFormat;
  throw new UsageError(`--output must be one of ${FORMAT_NAMES.join(', ')}, got "${v}"`);
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

/** The flags of every command that builds a Kustomization (flags.ts). */
export type BuildOptionFlags = FlagValues<'build'>;

/** commander parser for a repeatable flag: every occurrence is kept. */
export function collectRepeat(value: string, previous: string[] = []): string[] {
  return [...previous, value];
}

/**
 * commander parser for a pflag StringSlice (flux's --ignore-paths): repeatable, each value a comma-separated
 * list (quoted fields keep their commas, as Go's csv reader reads them).
 */
export function collectCsv(value: string, previous: string[] = []): string[] {
  return [...previous, ...splitCsv(value)];
}

export function splitCsv(value: string): string[] {
  const out: string[] = [];
  let field = '';
  let quoted = false;
  for (let i = 0; i < value.length; i++) {
    const ch = value[i];
    if (quoted) {
      if (ch === '"' && value[i + 1] === '"') {
        field += '"';
        i++;
      } else if (ch === '"') quoted = false;
      else field += ch;
    } else if (ch === '"' && field.trim() === '') {
      quoted = true;
      field = '';
    } else if (ch === ',') {
      out.push(field);
      field = '';
    } else field += ch;
  }
  out.push(field);
  return out.map((f) => f.trim()).filter(Boolean);
}

/** --ignore-paths as the commands take it (a list; older callers may still pass one string). */
export function ignorePathsOf(value: string[] | string | undefined): string[] {
  if (value === undefined) return [];
  return Array.isArray(value) ? value : splitCsv(value);
}

const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

/** Kubernetes' IsDNS1123Label: what a namespace name must be. */
export function isDnsLabel(v: string): boolean {
  return v.length <= 63 && DNS_LABEL.test(v);
}

/** flux's default namespace: FLUX_SYSTEM_NAMESPACE when it is a valid DNS label (else a warning), else flux-system. */
export function defaultNamespace(env: NodeJS.ProcessEnv): { namespace: string; warning?: string } {
  const fromEnv = env.FLUX_SYSTEM_NAMESPACE;
  if (!fromEnv) return { namespace: 'flux-system' };
  if (!isDnsLabel(fromEnv)) return { namespace: 'flux-system', warning: `ignoring invalid FLUX_SYSTEM_NAMESPACE: "${fromEnv}"` };
  return { namespace: fromEnv };
}

/** The bits of a commander Command that resolveNamespace needs (kept small for tests). */
export interface NamespaceCommand {
  opts(): Record<string, unknown>;
  getOptionValueSource(key: string): string | undefined;
  setOptionValueWithSource(key: string, value: unknown, source: 'default' | 'config' | 'env' | 'cli' | 'implied'): unknown;
}

/**
 * flux's PersistentPreRunE: without -n, --ns-follows-kube-context (or FLUX_NS_FOLLOWS_KUBE_CONTEXT) takes
 * the namespace of the kubeconfig context; then the namespace must be a DNS label.
 */
export function resolveNamespace(cmd: NamespaceCommand, env: NodeJS.ProcessEnv, lookup: (kubeconfig?: string, context?: string) => string | undefined = (k, c) => contextNamespace(k, c, env)): void {
  const o = cmd.opts();
  if (cmd.getOptionValueSource('namespace') !== 'cli' && (o.nsFollowsKubeContext === true || !!env.FLUX_NS_FOLLOWS_KUBE_CONTEXT)) {
    const ns = lookup(o.kubeconfig as string | undefined, o.context as string | undefined);
    if (ns) cmd.setOptionValueWithSource('namespace', ns, 'config');
  }
  const ns = String(cmd.opts().namespace);
  if (!isDnsLabel(ns)) throw new UsageError(`namespace must be a valid DNS label: "${ns}"`);
}

/** Connection flags → ConnectionSettings for cluster/. Pure; throws UsageError. */
export function connectionSettings(f: ConnectionFlags, env: NodeJS.ProcessEnv): ConnectionSettings {
  const groups = f.asGroup ?? [];
  if (!f.as && (groups.length > 0 || f.asUid)) throw new UsageError('--as-group and --as-uid need --as USER (the user to impersonate)');
  if (f.insecureSkipTlsVerify && f.certificateAuthority) throw new UsageError('--certificate-authority and --insecure-skip-tls-verify cannot be used together');
  if (f.server !== undefined) {
    try {
      new URL(f.server);
    } catch {
      throw new UsageError(`--server must be a URL like https://host:6443, got "${f.server}"`);
    }
  }
  const qps = f.kubeApiQps !== undefined ? parsePositiveNumber('--kube-api-qps', f.kubeApiQps) : undefined;
  const burst = f.kubeApiBurst !== undefined ? parsePositiveInt('--kube-api-burst', f.kubeApiBurst) : undefined;
  const s: ConnectionSettings = {
    kubeconfig: f.kubeconfig,
    context: f.context,
    cluster: f.cluster,
    user: f.user,
    server: f.server,
    token: f.token,
    certificateAuthority: f.certificateAuthority,
    clientCertificate: f.clientCertificate,
    clientKey: f.clientKey,
    insecureSkipTlsVerify: f.insecureSkipTlsVerify === true ? true : undefined,
    tlsServerName: f.tlsServerName,
    actAs: f.as ? { user: f.as, groups, uid: f.asUid } : undefined,
    qps,
    burst,
    env,
  };
  // Only the settings given: callers spread this over their own defaults.
  return Object.fromEntries(Object.entries(s).filter(([, v]) => v !== undefined)) as ConnectionSettings;
}

function parsePositiveNumber(flag: string, v: string): number {
  const n = Number(v);
  if (!Number.isFinite(n) || n <= 0) throw new UsageError(`${flag} must be a positive number, got "${v}"`);
  return n;
}
