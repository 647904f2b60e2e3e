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
import { gitRemotes } from './git.js';

export const BOOTSTRAP_SOURCE = 'GitRepository/flux-system/flux-system';

/** The source kinds a Kustomization can refer to (kustomize-controller's sourceRef kinds). */
export const SOURCE_KINDS = ['GitRepository', 'OCIRepository', 'Bucket', 'ExternalArtifact'] as const;

export function sourceKey(spec: KustomizationSpec): string | undefined {
  const s = spec.sourceRef;
  return s ? `${s.kind}/${s.namespace}/${s.name}` : undefined;
}

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

/**
 * The sources the checkout at `repoRoot` serves: the GitRepositories (from the cluster, or found in the
 * repository without one) whose URL is one of its remotes; without such a match, the bootstrap one.
 */
export function checkoutSources(repoRoot: string, gitRepositories: KubeObject[]): Set<string> {
  const remotes = gitRemotes(repoRoot).map(normalizeGitUrl);
  const own = gitRepositories
    .filter((g) => isJsonObject(g.spec) && typeof g.spec.url === 'string' && remotes.includes(normalizeGitUrl(g.spec.url)))
    .map((g) => `GitRepository/${typeof g.metadata.namespace === 'string' ? g.metadata.namespace : 'flux-system'}/${g.metadata.name}`);
  return new Set(own.length > 0 ? own : [BOOTSTRAP_SOURCE]);
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
