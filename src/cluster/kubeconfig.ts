// Kubeconfig loading and authentication come from @kubernetes/client-node (or, for static credentials,
// from the fast path in kubeconfig-fast.ts); requests do not.
// Its typed object API drops unknown fields and opens an agent per request, so podo sends raw JSON
// over one keep-alive agent configured from the kubeconfig's TLS material and credentials.
import https from 'node:https';
import { existsSync } from 'node:fs';
import { ClusterError, InputError, firstLine } from '../model/errors.js';
import { loadStaticCredentials } from './kubeconfig-fast.js';
import { registerCredentials, resolveExecCredentials } from './exec-credential.js';
import { beginActivity } from '../process/lifecycle.js';

export interface ConnectionOptions {
  kubeconfig?: string;
  context?: string;
}

export interface Connection {
  server: URL;
  agent: https.Agent;
  headers: Record<string, string>;
  /** Who we are, for error messages: the kubeconfig user name (never a credential). */
  identity: string;
  context: string;
}

export async function connect(opts: ConnectionOptions, maxSockets: number): Promise<Connection> {
  if (opts.kubeconfig && !existsSync(opts.kubeconfig)) throw new InputError(`kubeconfig ${opts.kubeconfig}: no such file`, opts.kubeconfig);
  const fast = loadStaticCredentials(opts.kubeconfig, opts.context);
  if (fast) {
    let server: URL;
    try {
      server = new URL(fast.server);
    } catch {
      throw new InputError(`kubeconfig: cluster server "${fast.server}" is not a URL`);
    }
    return {
      server,
      agent: new https.Agent({
        keepAlive: true,
        maxSockets,
        ca: fast.ca,
        cert: fast.cert,
        key: fast.key,
        rejectUnauthorized: fast.insecure ? false : undefined,
        servername: fast.serverName,
      }),
      headers: registered(fast.headers, fast.key),
      identity: fast.user,
      context: fast.context,
    };
  }
  // Loaded lazily: the client library is heavy and only needed for plugin-based credentials.
  const endActivity = beginActivity(`reading the credentials of kubeconfig ${opts.kubeconfig ?? process.env.KUBECONFIG ?? '~/.kube/config'}`);
  const { KubeConfig } = await import('@kubernetes/client-node');
  const kc = new KubeConfig();
  const file = opts.kubeconfig;
  try {
    if (file) {
      if (!existsSync(file)) throw new InputError(`kubeconfig ${file}: no such file`, file);
      kc.loadFromFile(file);
    } else {
      const envFiles = (process.env.KUBECONFIG ?? '').split(':').filter(Boolean);
      const home = process.env.HOME ?? '';
      const inCluster = existsSync('/var/run/secrets/kubernetes.io/serviceaccount/token');
      if (envFiles.length > 0 && !envFiles.some((f) => existsSync(f))) {
        throw new InputError(`kubeconfig ${envFiles.join(':')} (from KUBECONFIG): no such file`, envFiles[0]);
      }
      if (envFiles.length === 0 && !existsSync(`${home}/.kube/config`) && !inCluster) {
        throw new InputError('no kubeconfig found: pass --kubeconfig FILE or set KUBECONFIG');
      }
      kc.loadFromDefault();
    }
  } catch (err) {
    if (err instanceof InputError) throw err;
    const where = file ?? process.env.KUBECONFIG ?? '~/.kube/config';
    throw new InputError(`kubeconfig ${where}: ${firstLine(err)}`, where);
  }
  if (opts.context) {
    if (!kc.getContexts().some((c) => c.name === opts.context)) {
      throw new InputError(`kubeconfig has no context "${opts.context}"`);
    }
    kc.setCurrentContext(opts.context);
  }
  const cluster = kc.getCurrentCluster();
  if (!cluster || !cluster.server || kc.getCurrentContext() === undefined || kc.getContexts().length === 0) {
    throw new ClusterError('no cluster configured: pass --kubeconfig FILE or set KUBECONFIG');
  }
  const reqOpts: https.RequestOptions = { headers: {} };
  // podo runs exec plugins itself: bounded by --timeout, their output never quoted.
  await resolveExecCredentials(kc);
  try {
    await kc.applyToHTTPSOptions(reqOpts);
  } catch (err) {
    throw new ClusterError(`kubeconfig credentials for context ${kc.getCurrentContext()}: ${firstLine(err)}`);
  }
  const headers: Record<string, string> = {};
  for (const [k, v] of Object.entries(reqOpts.headers ?? {})) {
    if (typeof v === 'string') headers[k] = v;
    else if (typeof v === 'number') headers[k] = String(v);
  }
  if (reqOpts.auth) headers.Authorization = 'Basic ' + Buffer.from(reqOpts.auth).toString('base64');
  const agent = new https.Agent({
    keepAlive: true,
    maxSockets,
    ca: reqOpts.ca,
    cert: reqOpts.cert,
    key: reqOpts.key,
    pfx: reqOpts.pfx,
    passphrase: reqOpts.passphrase,
    rejectUnauthorized: cluster.skipTLSVerify ? false : undefined,
    servername: cluster.tlsServerName,
  });
  const user = kc.getCurrentUser();
  endActivity();
  return {
    server: new URL(cluster.server),
    agent,
    headers: registered(headers, reqOpts.key),
    identity: user?.name ?? 'unknown user',
    context: kc.getCurrentContext(),
  };
}

/** Credentials are secrets: registered so that no output can carry them. */
function registered(headers: Record<string, string>, key: unknown): Record<string, string> {
  registerCredentials(headers, key);
  return headers;
}
