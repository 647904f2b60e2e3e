// GitRepository: the kind the checkout at --path serves, as the GitRepositories whose URL is one of its
// git remotes and that follow the same tree (else Flux's bootstrap default
// GitRepository/flux-system/flux-system). Others are mapped with `--local-sources GitRepository/ns/name=DIR`,
// DIR a checkout of that repository at the GitRepository's ref.
import { isJsonObject, type KubeObject } from '../../model/object.js';
import { gitCurrentBranch, gitRemotes } from '../git.js';
import { sourceKey, type SourceKind } from './source-kind.js';

const KIND = 'GitRepository';
const GROUP = 'source.toolkit.fluxcd.io';

/** Flux bootstrap's GitRepository, the Kustomizations' source when nothing says otherwise. */
export const BOOTSTRAP_GIT_REPOSITORY = { kind: KIND, name: 'flux-system', namespace: 'flux-system' } as const;
export const BOOTSTRAP_SOURCE = sourceKey(KIND, BOOTSTRAP_GIT_REPOSITORY.namespace, BOOTSTRAP_GIT_REPOSITORY.name);

export function normalizeGitUrl(url: string): string {
  let u = url.trim().replace(/\.git$/, '').replace(/\/+$/, '');
  u = u.replace(/^[a-z+]+:\/\//, '').replace(/^[^@/]+@/, '');
  // scp-like `host:org/repo` → `host/org/repo`
  u = u.replace(/^([^/:]+):(?!\d+\/)/, '$1/').replace(/^([^/:]+):\d+\//, '$1/');
  return u.toLowerCase();
}

const keyOf = (g: KubeObject) => sourceKey(KIND, typeof g.metadata.namespace === 'string' ? g.metadata.namespace : 'flux-system', g.metadata.name);

/** `spec.ref` as a comparable string ('' when it names nothing: the default branch). */
function refOf(g: KubeObject): string {
  const ref = isJsonObject(g.spec) && isJsonObject(g.spec.ref) ? g.spec.ref : {};
  return JSON.stringify(['branch', 'tag', 'semver', 'name', 'commit'].map((k) => ref[k] ?? null));
}

/**
 * The GitRepositories the checkout at `repoRoot` serves: those whose URL is one of its remotes and that
 * follow the same tree (a tenant's GitRepository may point at another branch of the same repository:
 * another tree); without one, Flux's bootstrap GitRepository/flux-system/flux-system, unless that is
 * known to be another repository.
 */
function served(repoRoot: string, gitRepositories: KubeObject[]): Set<string> {
  const remotes = gitRemotes(repoRoot).map(normalizeGitUrl);
  const isRemote = (g: KubeObject) => isJsonObject(g.spec) && typeof g.spec.url === 'string' && remotes.includes(normalizeGitUrl(g.spec.url));
  const bootstrap = gitRepositories.find((g) => keyOf(g) === BOOTSTRAP_SOURCE);
  // The bootstrap GitRepository's ref is "this tree"; without its manifest, the checkout's own branch is.
  const branch = gitCurrentBranch(repoRoot);
  const sameTree = (g: KubeObject) => {
    if (bootstrap && isRemote(bootstrap)) return refOf(g) === refOf(bootstrap);
    const ref = isJsonObject(g.spec) && isJsonObject(g.spec.ref) ? g.spec.ref : {};
    return typeof ref.branch !== 'string' || branch === undefined || ref.branch === branch;
  };
  const own = new Set(gitRepositories.filter((g) => isRemote(g) && sameTree(g)).map(keyOf));
  if (own.size === 0 && !(bootstrap && remotes.length > 0 && !isRemote(bootstrap))) own.add(BOOTSTRAP_SOURCE);
  return own;
}

export const gitRepository: SourceKind = {
  kind: KIND,
  checkout: {
    apiVersion: `${GROUP}/v1`,
    isManifest: (o) => o.kind === KIND && o.apiVersion.startsWith(`${GROUP}/`),
    served,
  },
};
