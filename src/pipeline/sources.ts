// Which local directory holds a Kustomization's source: `--source Kind/ns/name=DIR` first, then the
// repository checked out at --path (the GitRepository whose URL matches its git remote, else Flux's
// bootstrap default GitRepository/flux-system/flux-system).
import { execFileSync } from 'node:child_process';
import path from 'node:path';
import type { ClusterClient } from '../cluster/client.js';
import type { KustomizationSpec } from '../model/kustomization.js';
import { isJsonObject } from '../model/object.js';
import { UsageError } from '../model/errors.js';

export const BOOTSTRAP_SOURCE = 'GitRepository/flux-system/flux-system';

export function sourceKey(spec: KustomizationSpec): string | undefined {
  const s = spec.sourceRef;
  return s ? `${s.kind}/${s.namespace}/${s.name}` : undefined;
}

/** `Kind/namespace/name=DIR`, as given to --source; the namespace is required (match on all three). */
export function parseSourceMapping(v: string): [string, string] {
  const m = v.match(/^([A-Za-z]+)\/([a-z0-9-.]+)\/([a-z0-9-.]+)=(.+)$/);
  if (!m) throw new UsageError(`--source must look like Kind/namespace/name=DIR, got "${v}"`);
  return [`${m[1]}/${m[2]}/${m[3]}`, path.resolve(m[4])];
}

export type SourceMapper = (spec: KustomizationSpec) => { root: string } | { reason: string };

export function normalizeGitUrl(url: string): string {
  let u = url.trim().replace(/\.git$/, '').replace(/\/+$/, '');
  u = u.replace(/^[a-z+]+:\/\//, '').replace(/^[^@/]+@/, '');
  // scp-like `host:org/repo` → `host/org/repo`
  u = u.replace(/^([^/:]+):(?!\d+\/)/, '$1/').replace(/^([^/:]+):\d+\//, '$1/');
  return u.toLowerCase();
}

function gitRemotes(dir: string): string[] {
  try {
    const out = execFileSync('git', ['-C', dir, 'remote', '-v'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
    return [...new Set(out.split('\n').map((l) => l.split(/\s+/)[1]).filter((u): u is string => !!u))];
  } catch {
    return [];
  }
}

/** Finds the GitRepository objects whose URL is a remote of the checkout at repoRoot. */
async function repositorySources(client: ClusterClient | undefined, repoRoot: string): Promise<string[]> {
  const remotes = gitRemotes(repoRoot).map(normalizeGitUrl);
  if (!client || remotes.length === 0) return [];
  const info = await client.resolve('source.toolkit.fluxcd.io/v1', 'GitRepository');
  if (!info) return [];
  try {
    return (await client.list(info))
      .filter((g) => isJsonObject(g.spec) && typeof g.spec.url === 'string' && remotes.includes(normalizeGitUrl(g.spec.url)))
      .map((g) => `GitRepository/${g.metadata.namespace}/${g.metadata.name}`);
  } catch {
    return [];
  }
}

export async function sourceMapper(client: ClusterClient | undefined, repoRoot: string, explicit: Map<string, string>): Promise<SourceMapper> {
  const own = await repositorySources(client, repoRoot);
  const ownSources = new Set(own.length > 0 ? own : [BOOTSTRAP_SOURCE]);
  return (spec) => {
    const key = sourceKey(spec);
    if (!key) return { reason: 'it has no spec.sourceRef' };
    const mapped = explicit.get(key);
    if (mapped) return { root: mapped };
    if (ownSources.has(key)) return { root: repoRoot };
    return { reason: `source ${key} is not mapped (add --source ${key}=DIR)` };
  };
}
