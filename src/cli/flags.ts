// Every flag of podo, declared once: its spelling, help, value parser, default, the commands that
// offer it and the field of the validated options it fills. program.ts makes the commander options
// from this table, completion.ts completes from it, run-options.ts and diff-command.ts fill the
// options from it, and the option types below are derived from it. Flags are spelled as flux (and
// kubectl, for the connection) spell them, so a script that runs `flux diff kustomization …` runs
// with `podo` in its place.
//
// Adding a flag: one entry here (with `fills` naming the field, and a `parse` when the value is not
// a plain string or list), the field in model/settings.ts or the command's options, and the code
// that uses it. test/unit/flag-table.test.ts checks help, completion and the parsed options against
// the table.
import path from 'node:path';
import { FORMAT_NAMES } from '../report/index.js';
import { SOURCE_KIND_NAMES } from '../sources/kinds/index.js';
import { parseDuration, parsePositiveInt } from './values.js';

/** The commands that take flags: `podo diff kustomization`, `podo build kustomization`, `podo report merge`. */
export type CommandId = 'diff' | 'build' | 'merge';

/**
 * switch: `--x` (true when given); negation: `--no-x` (the value `x` is false when given, true otherwise);
 * value: `--x V` (the last one wins); repeat: `--x V` kept every time; csv: repeatable, each value a
 * comma-separated list (pflag's StringSlice).
 */
export type FlagKind = 'switch' | 'negation' | 'value' | 'repeat' | 'csv';

export interface FlagDef {
  /** The long spelling, `--name` (for a negation, `--no-name`). */
  readonly long: `--${string}`;
  readonly short?: `-${string}`;
  /** The value's placeholder in help, e.g. `<dir>`; absent for switches and negations. */
  readonly value?: `<${string}>`;
  readonly kind: FlagKind;
  /** Help text; one per command where the commands say it differently. */
  readonly help: string | Readonly<Partial<Record<CommandId, string>>>;
  readonly commands: readonly CommandId[];
  readonly choices?: readonly string[];
  /** The value when the flag is not given, as commander shows it; `namespace`: FLUX_SYSTEM_NAMESPACE or flux-system. */
  readonly default?: string | { readonly from: 'namespace' };
  /** The command refuses to run without it. */
  readonly required?: true;
  /** Accepted, not listed in help or completion (older or flux spellings of another flag). */
  readonly hidden?: true;
  /** Listed under the connection heading of help. */
  readonly group?: 'connection';
  /** The shell completes the value as a path. */
  readonly complete?: 'files' | 'dirs';
  /**
   * The field of the command's validated options the flag fills (a dotted path: `run.…` is RunOptions,
   * the rest DiffOptions of diff-command.ts or build-command.ts's BuildCommandOptions). Absent: the flag
   * is accepted for flux compatibility and changes nothing.
   */
  readonly fills?: string;
  /**
   * The value parser of a value flag, switch or negation (throws UsageError): given, `fillFromFlags` sets
   * `fills` to its result when the flag is given (or has a default). Without it, the flag's field is
   * filled by the code named in `filledBy` (lists, fields several flags make, cross-flag checks).
   */
  readonly parse?: (value: string, flag: string) => unknown;
  /** Where a flag whose field is not a plain copy of its value is filled (e.g. several flags make one field). */
  readonly filledBy?: string;
  /** A value for the table test, when the flag takes one. */
  readonly example?: string;
}

const DIFF_BUILD = ['diff', 'build'] as const;
const DIFF_MERGE = ['diff', 'merge'] as const;

const str = (v: string) => v;
const absolute = (v: string) => path.resolve(v);

/** The table, in help order. */
export const FLAGS = [
  // What to build.
  {
    long: '--path', value: '<dir>', kind: 'value', commands: DIFF_BUILD, required: true, complete: 'dirs', fills: 'run.path', parse: absolute, example: '.',
    help: { diff: 'local directory the Kustomization spec.path points at (with --all: the repository root)', build: 'local directory the Kustomization spec.path points at' },
  },
  {
    long: '--namespace', short: '-n', value: '<ns>', kind: 'value', commands: DIFF_BUILD, default: { from: 'namespace' }, fills: 'run.selection.namespace', filledBy: 'run-options.ts toRunOptions (the selection)', example: 'apps',
    help: { diff: 'namespace of the Flux Kustomization (with --all: only this namespace; env FLUX_SYSTEM_NAMESPACE)', build: 'namespace of the Flux Kustomization (env FLUX_SYSTEM_NAMESPACE)' },
  },
  { long: '--all', kind: 'switch', commands: ['diff'], fills: 'run.selection.mode', filledBy: 'run-options.ts toRunOptions (the selection)', help: 'diff every Flux Kustomization in the cluster whose source is mapped to a local directory' },
  {
    long: '--recursive', short: '-r', kind: 'switch', commands: DIFF_BUILD, fills: 'run.selection.recursive', filledBy: 'run-options.ts toRunOptions (the selection)',
    help: { diff: 'also diff the Flux Kustomizations this build produces, with their local specs', build: 'also build the Flux Kustomizations this build produces, with their local specs' },
  },
  {
    long: '--local-sources', value: '<Kind/ns/name=DIR,...>', kind: 'repeat', commands: DIFF_BUILD, fills: 'run.localSources', filledBy: 'run-options.ts toRunOptions (with --source)', example: 'GitRepository/flux-system/infra=.',
    help: {
      diff: `serve a Flux source (${SOURCE_KIND_NAMES.join(', ')}) from a local directory; namespace defaults to the Kustomization's (comma-separated, repeatable)`,
      build: `serve a Flux source (${SOURCE_KIND_NAMES.join(', ')}) from a local directory (with -r; comma-separated, repeatable)`,
    },
  },
  { long: '--source', value: '<Kind/ns/name=DIR>', kind: 'repeat', commands: DIFF_BUILD, hidden: true, fills: 'run.localSources', filledBy: 'run-options.ts toRunOptions (with --local-sources)', example: 'GitRepository/flux-system/infra=.', help: 'alias of --local-sources' },
  { long: '--dry-run', kind: 'switch', commands: ['build'], fills: 'run.buildOnly', filledBy: 'build-command.ts validateBuild', help: 'with --kustomization-file: no cluster at all (substituteFrom is skipped, with a note)' },
  { long: '--no-charts', kind: 'negation', commands: ['build'], fills: 'run.build.charts', parse: () => false, help: 'print HelmRelease objects without the objects their charts render' },
  { long: '--base-ref', value: '<ref>', kind: 'value', commands: ['diff'], fills: 'run.baseRef', parse: str, example: 'main', help: 'no cluster: diff the build at this git ref against the working tree' },
  {
    long: '--cluster-path', value: '<dir>', kind: 'repeat', commands: ['diff'], complete: 'dirs', fills: 'run.clusterPaths', filledBy: 'run-options.ts toRunOptions (needs --base-ref --all)', example: 'clusters/prod',
    help: 'with --base-ref --all: a cluster directory to follow (repeatable; default: every cluster directory of the repository)',
  },
  {
    long: '--shard', value: '<K/N>', kind: 'value', commands: ['diff'], fills: 'run.shard', filledBy: 'run-options.ts toRunOptions (needs --all)', example: '1/2',
    help: 'with --all: evaluate only part K of N (dependsOn groups kept together); `podo report merge` joins the N -o json reports',
  },
  {
    long: '--fail-on-skipped', kind: 'switch', commands: DIFF_MERGE, fills: 'failOnSkipped', parse: () => true,
    help: { diff: 'exit 2 when any Kustomization was not evaluated (suspended, remote cluster, unmapped source)', merge: 'exit 2 when any Kustomization was not evaluated' },
  },
  {
    long: '--default-service-account', value: '<name>', kind: 'value', commands: ['diff'], fills: 'run.cluster.defaultServiceAccount', parse: str, example: 'deployer',
    help: 'dry-run Kustomizations without spec.serviceAccountName as this service account (kustomize-controller --default-service-account)',
  },
  { long: '--no-impersonate', kind: 'negation', commands: ['diff'], fills: 'run.cluster.impersonate', parse: () => false, help: "dry-run as yourself, not as the Kustomization's service account" },
  // What to print.
  { long: '--output', short: '-o', value: '<format>', kind: 'value', commands: DIFF_MERGE, choices: FORMAT_NAMES, default: 'text', fills: 'output', filledBy: 'options.ts parseOutput', example: 'json', help: 'output format' },
  { long: '--verbose', short: '-v', kind: 'switch', commands: DIFF_MERGE, fills: 'verbose', parse: () => true, help: 'show the content of created objects (Secret values masked)' },
  {
    long: '--max-comment-bytes', value: '<n>', kind: 'value', commands: DIFF_MERGE, default: '65536', fills: 'maxCommentBytes', filledBy: 'diff-command.ts validate (a minimum)', example: '100000',
    help: '-o markdown: split the comment into parts (part k/N) of at most this many bytes',
  },
  {
    long: '--ignore-field', value: '<KIND:POINTER>', kind: 'repeat', commands: ['diff'], fills: 'run.filters.ignoreFields', filledBy: 'diff-command.ts reportFilters', example: 'Deployment:/spec/replicas',
    help: 'leave a field of existing objects out of the comparison, as Flux spec.ignore paths (e.g. Deployment:/spec/replicas, *:/metadata/annotations/x; repeatable)',
  },
  {
    long: '--ignore-field-file', value: '<file>', kind: 'repeat', commands: ['diff'], complete: 'files', fills: 'run.filters.ignoreFields', filledBy: 'diff-command.ts reportFilters (reads the file)',
    help: 'read --ignore-field values from a file, one KIND:POINTER a line (# comments; repeatable)',
  },
  { long: '--selector', short: '-l', value: '<selector>', kind: 'value', commands: ['diff'], fills: 'run.filters.selector', filledBy: 'diff-command.ts reportFilters', example: 'app=web', help: 'only objects whose labels match (e.g. app=web,tier!=db)' },
  { long: '--kind', value: '<kinds>', kind: 'csv', commands: ['diff'], fills: 'run.filters.kinds', filledBy: 'diff-command.ts reportFilters', example: 'Deployment,Service', help: 'only objects of these kinds (comma-separated, repeatable)' },
  { long: '--skip-kind', value: '<kinds>', kind: 'csv', commands: ['diff'], fills: 'run.filters.skipKinds', filledBy: 'diff-command.ts reportFilters', example: 'Secret', help: 'leave out objects of these kinds (comma-separated, repeatable)' },
  {
    long: '--diff-context', short: '-U', value: '<n>', kind: 'value', commands: DIFF_MERGE, fills: 'diffContext', filledBy: 'diff-command.ts parseContext', example: '5',
    help: 'unchanged lines around each change in unified and markdown diffs (default 3)',
  },
  {
    long: '--with-objects', kind: 'switch', commands: DIFF_MERGE, fills: 'withObjects', parse: () => true,
    help: { diff: "-o json: also each changed object's before/after (masked), so that `podo report merge` renders full diffs", merge: "-o json: keep each changed object's before/after" },
  },
  { long: '--no-color', kind: 'negation', commands: DIFF_MERGE, fills: 'color', filledBy: 'options.ts useColor (with NO_COLOR, FORCE_COLOR, the terminal)', help: 'never color the output (also: NO_COLOR; FORCE_COLOR=1 forces it)' },
  { long: '--no-progress', kind: 'negation', commands: ['diff'], fills: 'progress', parse: () => false, help: 'no progress spinner on stderr (it only shows on a terminal, never in CI)' },
  { long: '--progress-bar', kind: 'switch', commands: ['diff'], fills: 'progress', filledBy: 'diff-command.ts validate (with --no-progress)', example: 'false', help: 'flux spelling of the spinner switch: --progress-bar=false is --no-progress' },
  { long: '--no-progress-bar', kind: 'negation', commands: ['diff'], hidden: true, fills: 'progress', parse: () => false, help: 'flux spelling of --no-progress' },
  { long: '--fail-on-warnings', kind: 'switch', commands: DIFF_MERGE, fills: 'failOnWarnings', parse: () => true, help: 'exit 1 on image-tag warnings even when nothing changes' },
  { long: '--concurrency', value: '<n>', kind: 'value', commands: ['diff'], default: '16', fills: 'run.cluster.concurrency', parse: (v: string, flag: string) => parsePositiveInt(flag, v), example: '4', help: 'dry-runs in flight at once' },
  // How to build (every command that builds a Kustomization).
  { long: '--kustomize-bin', value: '<path>', kind: 'value', commands: DIFF_BUILD, complete: 'files', fills: 'run.build.kustomize', filledBy: 'run-options.ts toRunOptions (render/kustomize.ts findKustomize)', help: 'kustomize (or kubectl) binary to build with (env PODO_KUSTOMIZE)' },
  {
    long: '--helm-bin', value: '<path>', kind: 'value', commands: DIFF_BUILD, complete: 'files', fills: 'run.build.helm', filledBy: 'run-options.ts toRunOptions (render/helm/binary.ts lazyHelm)', example: 'none',
    help: 'helm binary to render HelmReleases with, `none` to not render charts (env PODO_HELM)',
  },
  {
    long: '--helm-version', value: '<major>', kind: 'value', commands: DIFF_BUILD, choices: ['3', '4'], fills: 'run.build.helm', filledBy: 'run-options.ts helmChoice', example: '3',
    help: "Helm major version to render charts with (default: the cluster's helm-controller's, else 4)",
  },
  { long: '--kustomization-file', value: '<file>', kind: 'value', commands: DIFF_BUILD, complete: 'files', fills: 'run.kustomizationFile', parse: str, example: 'ks.yaml', help: 'local Flux Kustomization manifest whose spec replaces the live one' },
  { long: '--ignore-not-found', kind: 'switch', commands: DIFF_BUILD, fills: 'run.ignoreNotFound', parse: () => true, help: 'with --kustomization-file: use the file when the cluster has no such Kustomization' },
  { long: '--ignore-paths', value: '<patterns>', kind: 'csv', commands: DIFF_BUILD, fills: 'run.build.ignorePaths', filledBy: 'run-options.ts toRunOptions', example: 'docs/,*.md', help: 'gitignore patterns to exclude, on top of .sourceignore (comma-separated, repeatable)' },
  { long: '--sops-age-key-file', value: '<file>', kind: 'value', commands: DIFF_BUILD, complete: 'files', fills: 'run.build.sopsAgeKeyFile', parse: str, example: 'keys.txt', help: 'age identities to decrypt SOPS files with (also: SOPS_AGE_KEY_FILE, SOPS_AGE_KEY)' },
  { long: '--strict-substitute', kind: 'switch', commands: DIFF_BUILD, fills: 'run.build.strictSubstitute', parse: () => true, help: 'fail when a postBuild variable without a default is not set' },
  {
    long: '--no-remote-bases', kind: 'negation', commands: DIFF_BUILD, fills: 'run.build.kustomize.remoteBases', filledBy: 'run-options.ts toRunOptions (with PODO_ALLOW_LOOPBACK_REMOTE)',
    help: "refuse remote kustomize resources (http(s) files, git repositories) instead of fetching them, as kustomize-controller's flag",
  },
  { long: '--in-memory-build', kind: 'switch', commands: DIFF_BUILD, help: 'accepted for flux compatibility: podo always builds in a temporary copy, never in your tree' },
  {
    long: '--timeout', value: '<duration>', kind: 'value', commands: DIFF_BUILD, default: '5m', fills: 'run.cluster.timeoutMs', parse: (v: string, flag: string) => parseDuration(flag, v), example: '90s',
    help: "each Kustomization's time budget when its spec.timeout is unset; given explicitly, also the whole run's (e.g. 90s, 5m)",
  },
  // kubectl's connection flags, as flux takes them (genericclioptions), plus flux's client rate limits.
  // Validated together (options.ts connectionSettings).
  { long: '--kubeconfig', value: '<file>', kind: 'value', commands: DIFF_BUILD, group: 'connection', complete: 'files', fills: 'run.cluster.kubeconfig', filledBy: 'options.ts connectionSettings', example: 'kubeconfig.yaml', help: 'kubeconfig file (default: $KUBECONFIG or ~/.kube/config)' },
  { long: '--context', value: '<name>', kind: 'value', commands: DIFF_BUILD, group: 'connection', fills: 'run.cluster.context', filledBy: 'options.ts connectionSettings', example: 'prod', help: 'kubeconfig context to use' },
  { long: '--cluster', value: '<name>', kind: 'value', commands: DIFF_BUILD, group: 'connection', fills: 'run.cluster.cluster', filledBy: 'options.ts connectionSettings', example: 'prod', help: 'kubeconfig cluster entry to use instead of the context’s' },
  { long: '--user', value: '<name>', kind: 'value', commands: DIFF_BUILD, group: 'connection', fills: 'run.cluster.user', filledBy: 'options.ts connectionSettings', example: 'admin', help: 'kubeconfig user entry to use instead of the context’s' },
  { long: '--server', value: '<url>', kind: 'value', commands: DIFF_BUILD, group: 'connection', fills: 'run.cluster.server', filledBy: 'options.ts connectionSettings', example: 'https://127.0.0.1:6443', help: 'address of the Kubernetes API server' },
  { long: '--token', value: '<token>', kind: 'value', commands: DIFF_BUILD, group: 'connection', fills: 'run.cluster.token', filledBy: 'options.ts connectionSettings', example: 'abc', help: 'bearer token for the API server' },
  { long: '--certificate-authority', value: '<file>', kind: 'value', commands: DIFF_BUILD, group: 'connection', complete: 'files', fills: 'run.cluster.certificateAuthority', filledBy: 'options.ts connectionSettings', example: 'ca.crt', help: 'CA certificate file to verify the API server with' },
  { long: '--client-certificate', value: '<file>', kind: 'value', commands: DIFF_BUILD, group: 'connection', complete: 'files', fills: 'run.cluster.clientCertificate', filledBy: 'options.ts connectionSettings', example: 'client.crt', help: 'client certificate file for TLS authentication' },
  { long: '--client-key', value: '<file>', kind: 'value', commands: DIFF_BUILD, group: 'connection', complete: 'files', fills: 'run.cluster.clientKey', filledBy: 'options.ts connectionSettings', example: 'client.key', help: 'client key file for TLS authentication' },
  { long: '--insecure-skip-tls-verify', kind: 'switch', commands: DIFF_BUILD, group: 'connection', fills: 'run.cluster.insecureSkipTlsVerify', filledBy: 'options.ts connectionSettings', help: "do not verify the API server's certificate (insecure)" },
  { long: '--tls-server-name', value: '<name>', kind: 'value', commands: DIFF_BUILD, group: 'connection', fills: 'run.cluster.tlsServerName', filledBy: 'options.ts connectionSettings', example: 'api.example', help: "server name to verify the API server's certificate against" },
  { long: '--as', value: '<user>', kind: 'value', commands: DIFF_BUILD, group: 'connection', fills: 'run.cluster.actAs', filledBy: 'options.ts connectionSettings', example: 'jane', help: 'user to impersonate' },
  { long: '--as-group', value: '<group>', kind: 'repeat', commands: DIFF_BUILD, group: 'connection', fills: 'run.cluster.actAs', filledBy: 'options.ts connectionSettings (needs --as)', example: 'devs', help: 'group to impersonate (repeatable)' },
  { long: '--as-uid', value: '<uid>', kind: 'value', commands: DIFF_BUILD, group: 'connection', fills: 'run.cluster.actAs', filledBy: 'options.ts connectionSettings (needs --as)', example: '1000', help: 'UID to impersonate' },
  {
    long: '--ns-follows-kube-context', kind: 'switch', commands: DIFF_BUILD, group: 'connection', fills: 'run.selection.namespace', filledBy: 'options.ts resolveNamespace (before the action)',
    help: 'without -n: use the namespace of the kubeconfig context (env FLUX_NS_FOLLOWS_KUBE_CONTEXT)',
  },
  { long: '--kube-api-qps', value: '<n>', kind: 'value', commands: DIFF_BUILD, group: 'connection', fills: 'run.cluster.qps', filledBy: 'options.ts connectionSettings', example: '50', help: 'client-side limit of requests per second to the API server (default: none; --concurrency bounds podo)' },
  { long: '--kube-api-burst', value: '<n>', kind: 'value', commands: DIFF_BUILD, group: 'connection', fills: 'run.cluster.burst', filledBy: 'options.ts connectionSettings', example: '100', help: 'requests allowed at once before --kube-api-qps applies (default: the qps)' },
  // flux's discovery cache directory: podo keeps no discovery cache, but keeps charts and its npm helm there.
  {
    long: '--cache-dir', value: '<dir>', kind: 'value', commands: DIFF_BUILD, group: 'connection', complete: 'dirs', fills: 'run.build.cacheDir', parse: absolute, example: 'cache',
    help: 'where charts and the npm helm are kept across runs (default $XDG_CACHE_HOME/podo or ~/.cache/podo)',
  },
  { long: '--disable-compression', kind: 'switch', commands: DIFF_BUILD, group: 'connection', help: 'accepted for flux compatibility: podo does not ask for compressed responses' },
] as const satisfies readonly FlagDef[];

export type Flag = (typeof FLAGS)[number];

/** The help heading of the connection flags. */
export const CONNECTION_GROUP = 'Cluster connection (as kubectl and flux spell them):';

/** The table's flags of one command, in help order. */
export function flagsOf(command: CommandId): readonly FlagDef[] {
  return (FLAGS as readonly FlagDef[]).filter((f) => f.commands.includes(command));
}

/** The help text of a flag for one command. */
export function helpOf(f: FlagDef, command: CommandId): string {
  return typeof f.help === 'string' ? f.help : (f.help[command] ?? Object.values(f.help)[0]!);
}

/** commander's attribute name: `--kube-api-qps` → kubeApiQps, `--no-color` → color. */
export function keyOf(f: Pick<FlagDef, 'long' | 'kind'>): string {
  const bare = f.kind === 'negation' ? f.long.slice('--no-'.length) : f.long.slice(2);
  return bare.replace(/-([a-z])/g, (_, c: string) => c.toUpperCase());
}

/** The table entry of a long or short spelling (`--output`, `-o`, `--no-color`). */
export function flagNamed(spelling: string): FlagDef | undefined {
  return (FLAGS as readonly FlagDef[]).find((f) => f.long === spelling || f.short === spelling);
}

// The option types, derived from the table: what commander hands each command's action.
type Camel<S extends string> = S extends `${infer A}-${infer B}` ? `${A}${Capitalize<Camel<B>>}` : S;
type KeyOf<F> = F extends { long: `--no-${infer R}`; kind: 'negation' } ? Camel<R> : F extends { long: `--${infer R}` } ? Camel<R> : never;
type ValueOf<F> = F extends { kind: 'switch' | 'negation' } ? boolean : F extends { kind: 'repeat' | 'csv' } ? string[] : string;
type OfferedBy<C extends CommandId> = Flag extends infer F ? (F extends { commands: readonly (infer X)[] } ? (C extends X ? F : never) : never) : never;
// A negation's value is there whether it is given or not (true unless given); a hidden one shares its key with a switch.
type Defaulted<F> = F extends { default: unknown } | { required: true } ? F : F extends { kind: 'negation' } ? (F extends { hidden: true } ? never : F) : never;

/** The flag values commander hands `podo <command>`'s action: flags with a default (or required) are always there. */
export type FlagValues<C extends CommandId> = { [F in OfferedBy<C> as KeyOf<F>]?: ValueOf<F> } & { [F in Defaulted<OfferedBy<C>> as KeyOf<F>]: ValueOf<F> };

/** The connection flags (validated together in options.ts connectionSettings). */
export type ConnectionFlags = { [F in Extract<Flag, { group: 'connection' }> as KeyOf<F>]?: ValueOf<F> };

/**
 * Sets the fields of `target` that table flags with a `parse` fill (those under `prefix`, e.g. `run.`),
 * from the flag values given. The fields of flags without one are filled by the code `filledBy` names.
 */
export function fillFromFlags(target: object, flags: Record<string, unknown>, command: CommandId, prefix: string): void {
  for (const f of flagsOf(command)) {
    if (!f.fills?.startsWith(prefix) || !f.parse) continue;
    const v = flags[keyOf(f)];
    if (v === undefined) continue;
    // A negation is "given" when commander set it false; a switch when true.
    if (f.kind === 'negation' ? v !== false : f.kind === 'switch' ? v !== true : false) continue;
    setPath(target, f.fills, f.parse(String(v), f.long));
  }
}

function setPath(target: object, dotted: string, value: unknown): void {
  const keys = dotted.split('.');
  let at = target as Record<string, unknown>;
  for (const k of keys.slice(0, -1)) at = (at[k] ??= {}) as Record<string, unknown>;
  at[keys[keys.length - 1]] = value;
}
