// REST mapping: which resource serves a kind, and whether it is namespaced. Group versions are
// discovered lazily, one request each, and cached for the run.
import type { KubeHttp } from './http.js';
import { ApiError } from './http.js';
import { isJsonObject, type KubeObject } from '../model/object.js';
import { assertValidName, assertValidNamespace } from './names.js';

export interface ResourceInfo {
  group: string;
  version: string;
  kind: string;
  plural: string;
  namespaced: boolean;
  verbs: string[];
}

export class Discovery {
  private readonly groupVersions = new Map<string, Promise<Map<string, ResourceInfo> | undefined>>();

  constructor(private readonly http: KubeHttp) {}

  /** The resource for apiVersion+kind, or undefined when the cluster does not serve it. */
  async resolve(apiVersion: string, kind: string): Promise<ResourceInfo | undefined> {
    let p = this.groupVersions.get(apiVersion);
    if (!p) {
      p = this.fetch(apiVersion);
      this.groupVersions.set(apiVersion, p);
    }
    const m = await p;
    return m?.get(kind);
  }

  private async fetch(apiVersion: string): Promise<Map<string, ResourceInfo> | undefined> {
    const path = apiVersion.includes('/') ? `/apis/${apiVersion}` : `/api/${apiVersion}`;
    const [group, version] = apiVersion.includes('/') ? apiVersion.split('/', 2) : ['', apiVersion];
    let body;
    try {
      body = await this.http.json({ method: 'GET', path, retryServerErrors: true });
    } catch (err) {
      if (err instanceof ApiError && err.status === 404) return undefined;
      throw err;
    }
    const out = new Map<string, ResourceInfo>();
    const resources = isJsonObject(body) && Array.isArray(body.resources) ? body.resources : [];
    for (const r of resources) {
      if (!isJsonObject(r) || typeof r.name !== 'string' || r.name.includes('/')) continue;
      if (typeof r.kind !== 'string') continue;
      out.set(r.kind, {
        group,
        version,
        kind: r.kind,
        plural: r.name,
        namespaced: r.namespaced === true,
        verbs: Array.isArray(r.verbs) ? r.verbs.filter((v): v is string => typeof v === 'string') : [],
      });
    }
    return out;
  }
}

/** Names and namespaces are validated here, where they become part of a URL, for every request. */
export function collectionPath(info: ResourceInfo, namespace?: string): string {
  if (info.namespaced && namespace) assertValidNamespace(info.kind, namespace);
  const base = info.group === '' ? `/api/${info.version}` : `/apis/${info.group}/${info.version}`;
  return info.namespaced && namespace ? `${base}/namespaces/${encodeURIComponent(namespace)}/${info.plural}` : `${base}/${info.plural}`;
}

export function objectPath(info: ResourceInfo, name: string, namespace?: string): string {
  assertValidName(info.kind, name);
  // A namespaced object without its namespace would address another URL (`/api/v1/secrets/x`).
  if (info.namespaced) assertValidNamespace(info.kind, namespace ?? '');
  return `${collectionPath(info, namespace)}/${encodeURIComponent(name)}`;
}

/**
 * What the API server does with an object's namespace as it stores it: drops it on cluster-scoped kinds,
 * defaults it to `default` on the others (the apiserver's namespace defaulting for namespaced resources).
 */
export function placeNamespace(obj: KubeObject, clusterScoped: boolean): void {
  if (clusterScoped) delete obj.metadata.namespace;
  else if (typeof obj.metadata.namespace !== 'string' || obj.metadata.namespace === '') obj.metadata.namespace = 'default';
}
