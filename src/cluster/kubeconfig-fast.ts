// A fast path for the common kubeconfig: static token, client certificate or basic auth. Importing
// @kubernetes/client-node costs ~0.5 s of start-up, more than a whole 500-object dry-run round; it is
// kept for what it does best (exec and auth-provider plugins, in-cluster config), and skipped otherwise.
import { existsSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parse } from 'yaml';
import { InputError } from '../model/errors.js';
import { isJsonObject, type JsonObject } from '../model/object.js';

export interface StaticCredentials {
  server: string;
  context: string;
  user: string;
  ca?: Buffer;
  cert?: Buffer;
  key?: Buffer;
  insecure: boolean;
  serverName?: string;
  headers: Record<string, string>;
}

function kubeconfigFiles(explicit: string | undefined, env: NodeJS.ProcessEnv): string[] {
  if (explicit) return [explicit];
  const fromEnv = (env.KUBECONFIG ?? '').split(path.delimiter).filter(Boolean);
  if (fromEnv.length > 0) return fromEnv.filter((f) => existsSync(f));
  const home = path.join(env.HOME ?? os.homedir(), '.kube', 'config');
  return existsSync(home) ? [home] : [];
}

interface Named {
  name: string;
  body: JsonObject;
  dir: string;
}

/**
 * Reads static credentials from the kubeconfig, or returns undefined when the configuration needs
 * client-node (exec or auth-provider users, no kubeconfig file at all). Merges KUBECONFIG files as
 * kubectl does: the first file to define a name wins.
 */
export function loadStaticCredentials(explicit: string | undefined, contextName: string | undefined, env: NodeJS.ProcessEnv = process.env): StaticCredentials | undefined {
  const files = kubeconfigFiles(explicit, env);
  if (files.length === 0) return undefined;
  const clusters = new Map<string, Named>();
  const users = new Map<string, Named>();
  const contexts = new Map<string, Named>();
  let current: string | undefined;
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
    collect(doc.clusters, 'cluster', clusters);
    collect(doc.users, 'user', users);
    collect(doc.contexts, 'context', contexts);
    if (!current && typeof doc['current-context'] === 'string' && doc['current-context']) current = doc['current-context'];
  }
  const ctxName = contextName ?? current;
  if (!ctxName) return undefined;
  const ctx = contexts.get(ctxName);
  if (!ctx) {
    if (contextName) throw new InputError(`kubeconfig has no context "${contextName}"`);
    return undefined;
  }
  const cluster = typeof ctx.body.cluster === 'string' ? clusters.get(ctx.body.cluster) : undefined;
  const userName = typeof ctx.body.user === 'string' ? ctx.body.user : '';
  const user = users.get(userName);
  if (!cluster || typeof cluster.body.server !== 'string') return undefined;
  const u = user?.body ?? {};
  if (u.exec !== undefined || u['auth-provider'] !== undefined) return undefined;

  const c = cluster.body;
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
  const headers: Record<string, string> = {};
  let token = typeof u.token === 'string' ? u.token : undefined;
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
  return {
    server: c.server as string,
    context: ctxName,
    user: userName || 'unknown user',
    ca: material('certificate-authority-data', 'certificate-authority', cluster),
    cert: material('client-certificate-data', 'client-certificate', user),
    key: material('client-key-data', 'client-key', user),
    insecure: c['insecure-skip-tls-verify'] === true,
    serverName: typeof c['tls-server-name'] === 'string' ? c['tls-server-name'] : undefined,
    headers,
  };
}
