// Which local directory holds a Kustomization's source (`spec.sourceRef`, Kind/namespace/name, the
// namespace defaulting to the Kustomization's own): a `--local-sources` mapping first, then the checkout
// at --path, which serves the GitRepository whose URL matches one of its git remotes (else Flux's
// bootstrap default GitRepository/flux-system/flux-system). Anything else is not here: the Kustomization
// is skipped with the reason, never built from the wrong tree.
import path from 'node:path';
import type { KustomizationSpec } from '../model/kustomization.js';
import type { LocalSource } from '../model/settings.js';
import { isJsonObject, type KubeObject } from '../model/object.js';
import { UsageError } from '../model/errors.js';
import { gitCurrentBranch, gitRemotes } from './git.js';

export const BOOTSTRAP_SOURCE = 'GitRepository/flux-system/flux-system';

/** The source kinds a Kustomization can refer to (kustomize-controller's sourceRef kinds). */
export const SOURCE_KINDS = ['GitRepository', 'OCIRepository', 'Bucket', 'ExternalArtifact'] as const;

const NAME = '[a-z0-9]([-a-z0-9.]*[a-z0-9])?';
const MAPPING = new RegExp(`^([A-Za-z]+)/(?:(${NAME})/)?(${NAME})=(.+)$`);

/** One `Kind/namespace/name=DIR` or `Kind/name=DIR` (flux's --local-sources spelling). */
export function parseLocalSource(v: string, flag = '--local-sources'): LocalSource {
  const m = v.trim().match(MAPPING);
  if (!m) throw new UsageError(`${flag} must look like Kind/namespace/name=DIR (namespace optional), got "${v}"`);
  const kind = m[1];
  if (!(SOURCE_KINDS as readonly string[]).includes(kind)) throw new UsageError(`${flag} ${v}: the kind must be one of ${SOURCE_KINDS.join(', ')}, got ${kind}`);
  return { kind, ...(m[2] ? { namespace: m[2] } : {}), name: m[4], dir: path.resolve(m[6]) };
}

/** Every value of a repeatable, comma-separated flag. */
export function parseLocalSources(values: string[], flag = '--local-sources'): LocalSource[] {
  return values.flatMap((v) => v.split(',')).filter((v) => v.trim() !== '').map((v) => parseLocalSource(v, flag));
}

export type SourceResolver = (spec: KustomizationSpec) => { root: string } | { reason: string };

export function normalizeGitUrl(url: string): string {
  let u = url.trim().replace(/\.git$/, '').replace(/\/+$/, '');
  u = u.replace(/^[a-z+]+:\/\//, '').replace(/^[^@/]+@/, '');
  // scp-like `host:org/repo` → `host/org/repo`
  u = u.replace(/^([^/:]+):(?!\d+\/)/, '$1/').replace(/^([^/:]+):\d+\//, '$1/');
  return u.toLowerCase();
}

const keyOfGitRepository = (g: KubeObject) => `GitRepository/${typeof g.metadata.namespace === 'string' ? g.metadata.namespace : 'flux-system'}/${g.metadata.name}`;

/** `spec.ref` as a comparable string ('' when it names nothing: the default branch). */
function refOfGitRepository(g: KubeObject): string {
  const ref = isJsonObject(g.spec) && isJsonObject(g.spec.ref) ? g.spec.ref : {};
  return JSON.stringify(['branch', 'tag', 'semver', 'name', 'commit'].map((k) => ref[k] ?? null));
}

/**
 * The sources the checkout at `repoRoot` serves: the GitRepositories (from the cluster, or found in the
 * repository without one) whose URL is one of its remotes and that follow the same tree (a tenant's
 * GitRepository may point at another branch of the same repository: another tree); without one, Flux's
 * bootstrap GitRepository/flux-system/flux-system, unless that is known to be another repository.
 */
export function checkoutSources(repoRoot: string, gitRepositories: KubeObject[]): Set<string> {
  const remotes = gitRemotes(repoRoot).map(normalizeGitUrl);
  const isRemote = (g: KubeObject) => isJsonObject(g.spec) && typeof g.spec.url === 'string' && remotes.includes(normalizeGitUrl(g.spec.url));
  const bootstrap = gitRepositories.find((g) => keyOfGitRepository(g) === BOOTSTRAP_SOURCE);
  // The bootstrap GitRepository's ref is "this tree"; without its manifest, the checkout's own branch is.
  const branch = gitCurrentBranch(repoRoot);
  const sameTree = (g: KubeObject) => {
    if (bootstrap && isRemote(bootstrap)) return refOfGitRepository(g) === refOfGitRepository(bootstrap);
    const ref = isJsonObject(g.spec) && isJsonObject(g.spec.ref) ? g.spec.ref : {};
    return typeof ref.branch !== 'string' || branch === undefined || ref.branch === branch;
  };
  const own = new Set(gitRepositories.filter((g) => isRemote(g) && sameTree(g)).map(keyOfGitRepository));
  if (own.size === 0 && !(bootstrap && remotes.length > 0 && !isRemote(bootstrap))) own.add(BOOTSTRAP_SOURCE);
  return own;
}

/** Resolves sources: an explicit mapping first, then the checkout. */
export function sourceResolver(repoRoot: string, own: Set<string>, explicit: LocalSource[]): SourceResolver {
  return (spec) => {
    const ref = spec.sourceRef;
    if (!ref) return { reason: 'it has no spec.sourceRef' };
    const key = `${ref.kind}/${ref.namespace}/${ref.name}`;
    const mapped = explicit.find((s) => s.kind === ref.kind && s.name === ref.name && (s.namespace ?? spec.namespace) === ref.namespace);
    if (mapped) return { root: mapped.dir };
    if (own.has(key)) return { root: repoRoot };
    return { reason: `source ${key} is not mapped to a local directory (add --local-sources ${key}=DIR)` };
  };
}
