// A fast path for the common kubeconfig: static token, client certificate or basic auth. Importing
// @kubernetes/client-node costs ~0.5 s of start-up, more than a whole 500-object dry-run round; it is
// kept for what it does best (exec and auth-provider plugins, in-cluster config), and skipped otherwise.
// The kubectl overrides (--server, --token, --cluster, --user, --certificate-authority, …) are applied
// here as clientcmd's override loader applies them.
import { existsSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parse } from 'yaml';
import { InputError, UsageError } from '../model/errors.js';
import { isJsonObject, type JsonObject } from '../model/object.js';
import type { ConnectionSettings, Impersonation } from '../model/connection.js';

/** The overrides of ConnectionSettings (everything except which kubeconfig and context to load). */
export type KubeconfigOverrides = Omit<ConnectionSettings, 'kubeconfig' | 'context' | 'qps' | 'burst' | 'env'>;

export interface StaticCredentials {
  server: string;
  context: string;
  user: string;
  ca?: Buffer;
  cert?: Buffer;
  key?: Buffer;
  insecure: boolean;
  serverName?: string;
  /** The cluster entry's `proxy-url`, when set. */
  proxyUrl?: string;
  headers: Record<string, string | string[]>;
}

function kubeconfigFiles(explicit: string | undefined, env: NodeJS.ProcessEnv): string[] {
  if (explicit) return [explicit];
  const fromEnv = (env.KUBECONFIG ?? '').split(path.delimiter).filter(Boolean);
  if (fromEnv.length > 0) return fromEnv.filter((f) => existsSync(f));
  const home = path.join(env.HOME ?? os.homedir(), '.kube', 'config');
  return existsSync(home) ? [home] : [];
}

export interface Named {
  name: string;
  body: JsonObject;
  dir: string;
}

export interface RawKubeconfig {
  clusters: Map<string, Named>;
  users: Map<string, Named>;
  contexts: Map<string, Named>;
  current?: string;
}

/** The merged kubeconfig files as kubectl merges KUBECONFIG: the first file to define a name wins. */
export function readKubeconfig(explicit: string | undefined, env: NodeJS.ProcessEnv): RawKubeconfig | undefined {
  const files = kubeconfigFiles(explicit, env);
  if (files.length === 0) return undefined;
  const raw: RawKubeconfig = { clusters: new Map(), users: new Map(), contexts: new Map() };
  for (const file of files) {
    let doc: unknown;
    try {
      doc = parse(readFileSync(file, 'utf8'));
    } catch (err) {
      // podo's words: the first line of the parser's message, without its advice to programmers.
      const why = (err as Error).message.split('\n')[0].replace(/;?\s*please use \S+/i, '').replace(/Source contains multiple documents/, 'holds more than one YAML document');
      throw new InputError(`kubeconfig ${file}: ${why}`, file);
    }
    if (!isJsonObject(doc)) continue;
    const dir = path.dirname(path.resolve(file));
    const collect = (list: unknown, key: string, into: Map<string, Named>) => {
      if (!Array.isArray(list)) return;
      for (const e of list) {
        if (isJsonObject(e) && typeof e.name === 'string' && isJsonObject(e[key]) && !into.has(e.name)) into.set(e.name, { name: e.name, body: e[key] as JsonObject, dir });
      }
    };
    collect(doc.clusters, 'cluster', raw.clusters);
    collect(doc.users, 'user', raw.users);
    collect(doc.contexts, 'context', raw.contexts);
    if (!raw.current && typeof doc['current-context'] === 'string' && doc['current-context']) raw.current = doc['current-context'];
  }
  return raw;
}

/** The entries a connection uses: the context's cluster and user, or those named by --cluster / --user. */
export interface SelectedEntries {
  context: string;
  namespace?: string;
  cluster?: Named;
  user?: Named;
  userName: string;
}

export function selectEntries(raw: RawKubeconfig | undefined, contextName: string | undefined, o: KubeconfigOverrides = {}): SelectedEntries | undefined {
  const ctxName = contextName ?? raw?.current;
  const ctx = ctxName ? raw?.contexts.get(ctxName) : undefined;
  if (contextName && !ctx) throw new InputError(`kubeconfig has no context "${contextName}"`);
  if (!ctx && !o.server && !o.cluster) return undefined;
  const clusterName = o.cluster ?? (typeof ctx?.body.cluster === 'string' ? ctx.body.cluster : undefined);
  const userName = o.user ?? (typeof ctx?.body.user === 'string' ? ctx.body.user : '');
  const cluster = clusterName ? raw?.clusters.get(clusterName) : undefined;
  if (o.cluster && !cluster) throw new InputError(`kubeconfig has no cluster "${o.cluster}"`);
  const user = userName ? raw?.users.get(userName) : undefined;
  if (o.user && !user) throw new InputError(`kubeconfig has no user "${o.user}"`);
  return {
    context: ctxName ?? '',
    namespace: typeof ctx?.body.namespace === 'string' && ctx.body.namespace ? ctx.body.namespace : undefined,
    cluster,
    user,
    userName,
  };
}

/** The kubeconfig context a run uses (for report headings), or undefined when there is none to read. */
export function contextNameOf(explicit: string | undefined, contextName: string | undefined, env: NodeJS.ProcessEnv): string | undefined {
  if (contextName) return contextName;
  try {
    return readKubeconfig(explicit, env)?.current;
  } catch {
    return undefined;
  }
}

/** The namespace of the kubeconfig context (for --ns-follows-kube-context), or undefined. */
export function contextNamespace(explicit: string | undefined, contextName: string | undefined, env: NodeJS.ProcessEnv): string | undefined {
  try {
    return selectEntries(readKubeconfig(explicit, env), contextName)?.namespace;
  } catch {
    // As flux: a kubeconfig that cannot be read leaves the default namespace; connecting reports it.
    return undefined;
  }
}

/** kubectl refuses a CA together with --insecure-skip-tls-verify, and impersonation details without a user. */
export function checkOverrides(o: KubeconfigOverrides): void {
  if (o.insecureSkipTlsVerify && o.certificateAuthority) {
    throw new UsageError('--certificate-authority and --insecure-skip-tls-verify cannot be used together');
  }
  const imp = o.actAs;
  if (imp && !imp.user && (imp.groups.length > 0 || imp.uid)) {
    throw new UsageError('--as-group and --as-uid need --as USER (the user to impersonate)');
  }
}

function readOverrideFile(flag: string, file: string): Buffer {
  try {
    return readFileSync(file);
  } catch {
    throw new InputError(`${flag} ${file} cannot be read`, file);
  }
}

/**
 * The Impersonate-* headers: --as/--as-group/--as-uid when given (they replace the kubeconfig's, as
 * clientcmd's overrides do), else the user entry's `as`, `as-groups`, `as-uid`.
 */
export function impersonationHeaders(user: JsonObject | undefined, o: Impersonation | undefined): Record<string, string | string[]> {
  const u = user ?? {};
  const fromFile: Impersonation = {
    user: typeof u.as === 'string' && u.as ? u.as : undefined,
    groups: Array.isArray(u['as-groups']) ? u['as-groups'].filter((g): g is string => typeof g === 'string') : [],
    uid: typeof u['as-uid'] === 'string' && u['as-uid'] ? u['as-uid'] : undefined,
  };
  const imp = o?.user ? o : fromFile;
  const headers: Record<string, string | string[]> = {};
  if (!imp.user) return headers;
  headers['Impersonate-User'] = imp.user;
  if (imp.groups.length > 0) headers['Impersonate-Group'] = [...imp.groups];
  if (imp.uid) headers['Impersonate-Uid'] = imp.uid;
  return headers;
}

/**
 * Reads static credentials from the kubeconfig (with the overrides applied), or returns undefined when
 * the configuration needs client-node (exec or auth-provider users without --token, no kubeconfig file
 * and no --server).
 */
export function loadStaticCredentials(
  explicit: string | undefined,
  contextName: string | undefined,
  env: NodeJS.ProcessEnv,
  o: KubeconfigOverrides = {},
): StaticCredentials | undefined {
  checkOverrides(o);
  const raw = readKubeconfig(explicit, env);
  if (!raw && !o.server) return undefined;
  const sel = selectEntries(raw, contextName, o);
  if (!sel) return undefined;
  const { cluster, user } = sel;
  const server = o.server ?? (typeof cluster?.body.server === 'string' ? cluster.body.server : undefined);
  if (!server) return undefined;
  const u = user?.body ?? {};
  if (!o.token && (u.exec !== undefined || u['auth-provider'] !== undefined)) return undefined;

  const c = cluster?.body ?? {};
  const material = (dataKey: string, fileKey: string, where: Named | undefined): Buffer | undefined => {
    const body = where?.body ?? {};
    const data = body[dataKey];
    if (typeof data === 'string' && data) return Buffer.from(data, 'base64');
    const f = body[fileKey];
    if (typeof f === 'string' && f) {
      const p = path.resolve(where!.dir, f);
      try {
        return readFileSync(p);
      } catch {
        throw new InputError(`kubeconfig: ${fileKey} ${p} cannot be read`, p);
      }
    }
    return undefined;
  };
  const headers: Record<string, string | string[]> = {};
  let token = o.token;
  if (!token && typeof u.token === 'string') token = u.token;
  if (!token && typeof u.tokenFile === 'string') {
    try {
      token = readFileSync(path.resolve(user!.dir, u.tokenFile), 'utf8').trim();
    } catch {
      throw new InputError(`kubeconfig: tokenFile ${u.tokenFile} cannot be read`);
    }
  }
  if (token) headers.Authorization = `Bearer ${token}`;
  else if (typeof u.username === 'string' && typeof u.password === 'string') {
    headers.Authorization = 'Basic ' + Buffer.from(`${u.username}:${u.password}`).toString('base64');
  }
  Object.assign(headers, impersonationHeaders(user?.body, o.actAs));
  // clientcmd: --insecure-skip-tls-verify drops the kubeconfig's CA; --certificate-authority replaces it
  // (and turns the check back on).
  const insecure = o.insecureSkipTlsVerify === true || (!o.certificateAuthority && c['insecure-skip-tls-verify'] === true);
  const ca = o.insecureSkipTlsVerify
    ? undefined
    : o.certificateAuthority
      ? readOverrideFile('--certificate-authority', o.certificateAuthority)
      : material('certificate-authority-data', 'certificate-authority', cluster);
  return {
    server,
    context: sel.context,
    user: sel.userName || 'unknown user',
    ca,
    cert: o.clientCertificate ? readOverrideFile('--client-certificate', o.clientCertificate) : material('client-certificate-data', 'client-certificate', user),
    key: o.clientKey ? readOverrideFile('--client-key', o.clientKey) : material('client-key-data', 'client-key', user),
    insecure,
    serverName: o.tlsServerName ?? (typeof c['tls-server-name'] === 'string' ? c['tls-server-name'] : undefined),
    proxyUrl: typeof c['proxy-url'] === 'string' && c['proxy-url'] ? c['proxy-url'] : undefined,
    headers,
  };
}
