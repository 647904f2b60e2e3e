// The options of one run, made once in cli/ from the flags (cli/flags.ts) and the environment, and
// passed down unchanged and whole (kubectl's DiffOptions idea): a new flag is one entry in the flag
// table and its field here.
import type { ConnectionSettings } from './connection.js';
import type { HelmHint, HelmLookup } from './helm.js';
import type { ReportFilters } from './filters.js';

/** The kustomize to run: command and leading arguments, e.g. ['kubectl', 'kustomize'] or ['/usr/bin/kustomize', 'build']. */
export interface KustomizeBinary {
  argv: string[];
  /** What its builds may fetch; absent: remote resources are fetched (kustomize-controller's default). */
  remoteBases?: RemoteBases;
  /** The environment it was found in (the user's, read once in cli/) and that it runs with. */
  env: NodeJS.ProcessEnv;
}

/**
 * Remote kustomize resources (an http(s) file, a git repository over http(s)): kustomize-controller
 * fetches them unless started with `--no-remote-bases` (fluxcd/pkg kustomize SecureBuild allowRemoteBases).
 */
export interface RemoteBases {
  /** false: --no-remote-bases, every remote reference is an error. */
  fetch: boolean;
  /** Hosts on the loopback interface may be fetched (PODO_ALLOW_LOOPBACK_REMOTE=1: tests, local mirrors). */
  loopback: boolean;
}

/** How a Kustomization is built, whatever it is compared against. */
export interface BuildSettings {
  kustomize: KustomizeBinary;
  /** --strict-substitute: a postBuild variable without a default that is not set is an error. */
  strictSubstitute: boolean;
  sopsAgeKeyFile?: string;
  /** --ignore-paths: gitignore patterns excluded on top of .sourceignore. */
  ignorePaths: string[];
  /**
   * The helm to render HelmReleases with (--helm-bin, PODO_HELM, PATH, the npm helms; --helm-version or
   * the cluster's helm-controller picks the major version), or why there is none. Looked up on first use:
   * a run without HelmReleases never starts helm.
   */
  helm: (hint?: HelmHint) => Promise<HelmLookup>;
  /** `podo build --no-charts`: print HelmRelease objects without rendering their charts (default: rendered). */
  charts?: boolean;
  /** --cache-dir: where charts, kustomize outputs (render/kustomize/build-cache.ts) and the npm helms are kept across runs; unset: nothing is kept. */
  cacheDir?: string;
  /** Copy the whole repository even when the build's reference closure is known (PODO_FULL_COPY=1, for differential tests). */
  fullCopy?: boolean;
  /** The user's environment, read once in cli/: where SOPS age keys are looked up (SOPS_AGE_KEY_FILE, SOPS_AGE_KEY, XDG_CONFIG_HOME). */
  env: NodeJS.ProcessEnv;
}

/** How the cluster is reached (kubeconfig and the kubectl connection flags, model/connection.ts) and asked. */
export interface ClusterSettings extends ConnectionSettings {
  /** Requests in flight at once. */
  concurrency: number;
  /** --timeout: each Kustomization's time budget when its spec.timeout is unset (default 5m). */
  timeoutMs: number;
  /** --timeout was given on the command line: it also bounds the whole run, as `flux diff --timeout` does. */
  overallTimeout?: boolean;
  /** Dry-run as the Kustomization's service account (spec.serviceAccountName), as kustomize-controller applies. */
  impersonate: boolean;
  /** --default-service-account: the service account of Kustomizations that name none. */
  defaultServiceAccount?: string;
}

/** `--local-sources Kind/namespace/name=DIR`: a Flux source served by a local directory. */
export interface LocalSource {
  kind: string;
  /** Absent: the namespace of the Kustomization that refers to the source. */
  namespace?: string;
  name: string;
  /** Absolute. */
  dir: string;
}

export type Selection =
  /** One named Kustomization (and with `recursive`, the Kustomizations its build produces). */
  | { mode: 'single'; name: string; namespace: string; recursive: boolean }
  /** Every Kustomization: the cluster's (only `namespace` when given), or with --base-ref the cluster root's. */
  | { mode: 'all'; namespace?: string };

export interface RunOptions {
  selection: Selection;
  /** --path, absolute: the Kustomization's directory (single) or the repository root (--all). */
  path: string;
  kustomizationFile?: string;
  ignoreNotFound: boolean;
  localSources: LocalSource[];
  /** --base-ref: no cluster; compare with the same build at this git ref. */
  baseRef?: string;
  /** What the report leaves out (diff/filters.ts), applied to the finished report; none when absent. */
  filters?: ReportFilters;
  /** `podo build`: nothing is compared; the spec comes from the cluster unless `specFromCluster` is false (--dry-run). */
  buildOnly?: { specFromCluster: boolean };
  /** --cluster-path (repeatable): with --base-ref --all, the cluster directories to follow (relative to --path); default: all. */
  clusterPaths?: string[];
  /** --shard K/N (with --all): evaluate and report only part `index` of `total` (pipeline/shard.ts). */
  shard?: { index: number; total: number };
  /** Kustomizations built and compared at once. */
  parallel: number;
  /** --base-ref: build every Kustomization, even those whose inputs are proven identical at both refs, and render every HelmRelease on both sides (PODO_BUILD_ALL=1, for differential tests). */
  buildAll?: boolean;
  build: BuildSettings;
  cluster: ClusterSettings;
}
