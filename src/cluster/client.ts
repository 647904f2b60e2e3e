// The only code that talks to the API server. Every mutating request is a dry run.
import { rateLimiter } from './rate-limit.js';
import { connect, type ConnectionOptions } from './kubeconfig.js';
import { KubeHttp, toApiError } from './http.js';
import { Discovery, collectionPath, objectPath, type ResourceInfo } from './discovery.js';
import { isJsonObject, type JsonObject, type JsonValue, type KubeObject } from '../model/object.js';
import { ClusterError } from '../model/errors.js';
import { secrets } from '../model/secrets.js';

export const FIELD_MANAGER = 'kustomize-controller';
/** The field manager of objects helm-controller applies for a HelmRelease. */
export const HELM_FIELD_MANAGER = 'helm-controller';

/** What the diff pipeline needs from a cluster; implemented against the real API server only. */
export interface ClusterClient {
  readonly identity: string;
  resolve(apiVersion: string, kind: string): Promise<ResourceInfo | undefined>;
  get(info: ResourceInfo, name: string, namespace?: string): Promise<KubeObject | undefined>;
  list(info: ResourceInfo, namespace?: string, opts?: ListOptions): Promise<KubeObject[]>;
  /** Server-side apply with dryRun=All, force, field manager kustomize-controller (or `fieldManager`). Never writes. */
  dryRunApply(info: ResourceInfo, obj: KubeObject, opts?: { fieldManager?: string }): Promise<KubeObject>;
  /** The same client, every request sent as `user` in `groups` (Impersonate-User / Impersonate-Group). */
  impersonating(user: string, groups: string[]): ClusterClient;
  /**
   * The same client over the same connection pool, giving up on requests after `deadline` (ms since
   * epoch) or the run's own deadline, whichever comes first: one Kustomization's time budget.
   */
  withDeadline(deadline: number): ClusterClient;
  /** Whether the caller may impersonate `user` in `groups`: one harmless GET /version as them. */
  canImpersonate(user: string, groups: string[]): Promise<boolean>;
  /** The server's version and every group version it serves (for Helm's `.Capabilities`); read once, cached. */
  serverInfo(): Promise<ServerInfo>;
  close(): void;
}

export interface ListOptions {
  /** A label selector, already validated by the caller (it goes into the query as it is). */
  labelSelector?: string;
  /** Answer from the API server's watch cache (`resourceVersion=0`) rather than a quorum read of etcd. */
  fromCache?: boolean;
  /** Give up (BodyTooLargeError) on a page longer than this many bytes. */
  maxPageBytes?: number;
}

export interface ServerInfo {
  /** `v1.20.2` */
  gitVersion: string;
  /** `v1`, `apps/v1`, … */
  groupVersions: string[];
}

function impersonationHeaders(user: string, groups: string[]): Record<string, string | string[]> {
  return { 'Impersonate-User': user, ...(groups.length > 0 ? { 'Impersonate-Group': groups } : {}) };
}

export interface ClientOptions extends ConnectionOptions {
  concurrency: number;
  /** Absolute deadline, ms since epoch. */
  deadline: number;
}

export async function createClusterClient(opts: ClientOptions): Promise<ClusterClient> {
  const conn = { ...(await connect(opts, Math.max(4, opts.concurrency))), limiter: rateLimiter(opts.qps, opts.burst) };
  return new HttpClusterClient(new KubeHttp(conn, opts.deadline), () => conn.agent.destroy());
}

class HttpClusterClient implements ClusterClient {
  private readonly discovery: Discovery;

  constructor(
    private readonly http: KubeHttp,
    private readonly onClose: () => void,
    /** Sent with every request (impersonation); discovery is shared with the caller's client. */
    private readonly headers?: Record<string, string | string[]>,
    discovery?: Discovery,
    private readonly as?: string,
  ) {
    this.discovery = discovery ?? new Discovery(http);
  }

  get identity(): string {
    return this.as ?? this.http.identity;
  }

  impersonating(user: string, groups: string[]): ClusterClient {
    return new HttpClusterClient(this.http, () => undefined, impersonationHeaders(user, groups), this.discovery, user);
  }

  withDeadline(deadline: number): ClusterClient {
    return new HttpClusterClient(this.http.withDeadline(deadline), () => undefined, this.headers, this.discovery, this.as);
  }

  async canImpersonate(user: string, groups: string[]): Promise<boolean> {
    const res = await this.http.request({ method: 'GET', path: '/version', headers: impersonationHeaders(user, groups), retryServerErrors: true });
    return res.status >= 200 && res.status < 300;
  }

  resolve(apiVersion: string, kind: string): Promise<ResourceInfo | undefined> {
    return this.discovery.resolve(apiVersion, kind);
  }

  async get(info: ResourceInfo, name: string, namespace?: string): Promise<KubeObject | undefined> {
    const path = objectPath(info, name, namespace);
    const res = await this.http.request({ method: 'GET', path, retryServerErrors: true, headers: this.headers });
    if (res.status === 404) return undefined;
    if (res.status >= 200 && res.status < 300) {
      const o = expectObject(res.body, info, name, namespace, 'GET', path);
      secrets.addSecretsIn(o);
      return o;
    }
    secrets.addSecretsIn(res.body);
    throw toApiError(res, 'get', path);
  }

  async list(info: ResourceInfo, namespace?: string, opts: ListOptions = {}): Promise<KubeObject[]> {
    const path = collectionPath(info, namespace);
    const out: KubeObject[] = [];
    let cont = '';
    do {
      const query: Record<string, string> = { limit: '500' };
      if (opts.labelSelector) query.labelSelector = opts.labelSelector;
      // The watch cache ignores limit and answers in one page (Kubernetes API concepts, "resource versions").
      if (opts.fromCache) query.resourceVersion = '0';
      if (cont) query.continue = cont;
      const res = await this.http.request({ method: 'GET', path, query, retryServerErrors: true, headers: this.headers, maxBodyBytes: opts.maxPageBytes });
      if (res.status < 200 || res.status >= 300 || !isJsonObject(res.body)) throw toApiError(res, 'list', path);
      const items = expectList(res.body, info, path);
      secrets.addSecretsIn({ kind: info.kind === 'Secret' ? 'SecretList' : 'List', items });
      const apiVersion = info.group ? `${info.group}/${info.version}` : info.version;
      for (const it of items) {
        // List items come without apiVersion/kind; restore them so they look like GET results.
        if (isJsonObject(it)) out.push({ ...it, apiVersion, kind: info.kind } as KubeObject);
      }
      const meta = res.body.metadata;
      cont = isJsonObject(meta) && typeof meta.continue === 'string' ? meta.continue : '';
    } while (cont);
    return out;
  }

  private serverInfoPromise: Promise<ServerInfo> | undefined;

  serverInfo(): Promise<ServerInfo> {
    this.serverInfoPromise ??= (async () => {
      const [version, core, groups] = await Promise.all(
        ['/version', '/api', '/apis'].map((path) => this.http.json({ method: 'GET', path, retryServerErrors: true })),
      );
      const gitVersion = isJsonObject(version) && typeof version.gitVersion === 'string' ? version.gitVersion : '';
      const groupVersions: string[] = [];
      if (isJsonObject(core) && Array.isArray(core.versions)) for (const v of core.versions) if (typeof v === 'string') groupVersions.push(v);
      if (isJsonObject(groups) && Array.isArray(groups.groups)) {
        for (const g of groups.groups) {
          if (!isJsonObject(g) || !Array.isArray(g.versions)) continue;
          for (const v of g.versions) if (isJsonObject(v) && typeof v.groupVersion === 'string') groupVersions.push(v.groupVersion);
        }
      }
      return { gitVersion, groupVersions };
    })();
    return this.serverInfoPromise;
  }

  async dryRunApply(info: ResourceInfo, obj: KubeObject, opts: { fieldManager?: string } = {}): Promise<KubeObject> {
    const ns = obj.metadata.namespace;
    const path = objectPath(info, obj.metadata.name, info.namespaced && typeof ns === 'string' ? ns : undefined);
    const res = await this.http.request({
      method: 'PATCH',
      path,
      // dryRun=All on every mutating request: podo never writes to the cluster.
      query: { dryRun: 'All', fieldManager: opts.fieldManager ?? FIELD_MANAGER, force: 'true' },
      body: obj,
      contentType: 'application/apply-patch+yaml',
      headers: this.headers,
    });
    if (res.status >= 200 && res.status < 300) {
      const o = expectObject(res.body, info, obj.metadata.name, info.namespaced && typeof ns === 'string' ? ns : undefined, 'PATCH', path);
      secrets.addSecretsIn(o);
      return o;
    }
    // An error may echo what was sent: its Secret values are registered before anyone reads the message.
    secrets.addSecretsIn(res.body);
    throw toApiError(res, 'patch', path);
  }

  close(): void {
    this.onClose();
  }
}

/**
 * Every answer is checked to be what was asked for: the object of that kind, name and namespace for a
 * GET or PATCH, a list of that kind for a LIST. A proxy, a misrouted request or a URL the server read
 * differently must fail loudly, never hand podo some other object (or every Secret) to diff.
 */
export function expectObject(body: unknown, info: ResourceInfo, name: string, namespace: string | undefined, verb: string, path: string): KubeObject {
  const what = `${info.kind} ${namespace ? `${namespace}/` : ''}${name}`;
  if (!isJsonObject(body as JsonValue)) throw new ClusterError(`${verb} ${what}: the server did not answer with an object`);
  const o = body as JsonObject;
  const meta = isJsonObject(o.metadata) ? o.metadata : undefined;
  if (o.kind !== info.kind) throw new ClusterError(`${verb} ${what}: the server answered with ${typeof o.kind === 'string' ? `a ${o.kind}` : 'something without a kind'}, not a ${info.kind} (${path})`);
  if (!meta || meta.name !== name) throw new ClusterError(`${verb} ${what}: the server answered with a ${info.kind} of another name (${path})`);
  if (namespace && info.namespaced && meta.namespace !== namespace) throw new ClusterError(`${verb} ${what}: the server answered with a ${info.kind} of another namespace (${path})`);
  return o as KubeObject;
}

export function expectList(body: JsonObject, info: ResourceInfo, path: string): JsonValue[] {
  const kind = body.kind;
  if (!Array.isArray(body.items) || (typeof kind === 'string' && !kind.endsWith('List'))) {
    throw new ClusterError(`LIST ${info.plural}: the server answered with ${typeof kind === 'string' ? `a ${kind}` : 'something'} that is not a list (${path})`);
  }
  for (const it of body.items) {
    if (isJsonObject(it) && typeof it.kind === 'string' && it.kind !== info.kind) {
      throw new ClusterError(`LIST ${info.plural}: the server's list holds a ${it.kind}, not ${info.kind} objects (${path})`);
    }
  }
  return body.items;
}

export type { ResourceInfo };
