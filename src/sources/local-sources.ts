// Which local directory holds a Kustomization's source (`spec.sourceRef`, Kind/namespace/name, the
// namespace defaulting to the Kustomization's own): a `--local-sources` mapping first, then the checkout
// at --path, which serves the GitRepository whose URL matches one of its git remotes (else Flux's
// bootstrap default GitRepository/flux-system/flux-system). Anything else is not here: the Kustomization
// is skipped with the reason, never built from the wrong tree.
import path from 'node:path';
import type { KustomizationSpec } from '../model/kustomization.js';
import type { LocalSource } from '../model/settings.js';
import type { KubeObject } from '../model/object.js';
import { UsageError } from '../model/errors.js';
import { CHECKOUT_KINDS, sourceKey, sourceKind, SOURCE_KIND_NAMES } from './kinds/index.js';

export { normalizeGitUrl } from './kinds/index.js';

const NAME = '[a-z0-9]([-a-z0-9.]*[a-z0-9])?';
const MAPPING = new RegExp(`^([A-Za-z]+)/(?:(${NAME})/)?(${NAME})=(.+)$`);

/** One `Kind/namespace/name=DIR` or `Kind/name=DIR` (flux's --local-sources spelling). */
export function parseLocalSource(v: string, flag = '--local-sources'): LocalSource {
  const m = v.trim().match(MAPPING);
  if (!m) throw new UsageError(`${flag} must look like Kind/namespace/name=DIR (namespace optional), got "${v}"`);
  const kind = m[1];
  if (!sourceKind(kind)) throw new UsageError(`${flag} ${v}: the kind must be one of ${SOURCE_KIND_NAMES.join(', ')}, got ${kind}`);
  return { kind, ...(m[2] ? { namespace: m[2] } : {}), name: m[4], dir: path.resolve(m[6]) };
}

/** Every value of a repeatable, comma-separated flag. */
export function parseLocalSources(values: string[], flag = '--local-sources'): LocalSource[] {
  return values.flatMap((v) => v.split(',')).filter((v) => v.trim() !== '').map((v) => parseLocalSource(v, flag));
}

export type SourceResolver = (spec: KustomizationSpec) => { root: string } | { reason: string };

/**
 * The sources the checkout at `repoRoot` serves, of OBJECTS (from the cluster, or found in the repository
 * without one): for each kind the checkout may serve (kinds/), the ones it matches.
 */
export function checkoutSources(repoRoot: string, objects: KubeObject[]): Set<string> {
  const own = new Set<string>();
  for (const k of CHECKOUT_KINDS) for (const key of k.served(repoRoot, objects.filter((o) => o.kind === k.kind))) own.add(key);
  return own;
}

/** Resolves sources: an explicit mapping first, then the checkout. */
export function sourceResolver(repoRoot: string, own: Set<string>, explicit: LocalSource[]): SourceResolver {
  return (spec) => {
    const ref = spec.sourceRef;
    if (!ref) return { reason: 'it has no spec.sourceRef' };
    const key = sourceKey(ref.kind, ref.namespace, ref.name);
    const mapped = explicit.find((s) => s.kind === ref.kind && s.name === ref.name && (s.namespace ?? spec.namespace) === ref.namespace);
    if (mapped) return { root: mapped.dir };
    if (own.has(key)) return { root: repoRoot };
    return { reason: `source ${key} is not mapped to a local directory (add --local-sources ${key}=DIR)` };
  };
}
