// Kubeconfig loading and authentication come from @kubernetes/client-node (or, for static credentials,
// from the fast path in kubeconfig-fast.ts); requests do not.
// Its typed object API drops unknown fields and opens an agent per request, so podo sends raw JSON
// over one keep-alive agent configured from the kubeconfig's TLS material and credentials.
import type https from 'node:https';
import { existsSync, readFileSync } from 'node:fs';
import { ClusterError, InputError, firstLine } from '../model/errors.js';
import type { ConnectionSettings } from '../model/connection.js';
import { checkOverrides, impersonationHeaders, loadStaticCredentials, readKubeconfig, selectEntries } from './kubeconfig-fast.js';
import { registerCredentials, resolveExecCredentials } from './exec-credential.js';
import { createAgent, proxyFor, redactProxy } from './proxy.js';
import { beginActivity } from '../process/lifecycle.js';

export type ConnectionOptions = ConnectionSettings;

export interface Connection {
  server: URL;
  agent: https.Agent;
  headers: Record<string, string | string[]>;
  /** The proxy requests go through (credentials removed), for messages. */
  proxy?: string;
  /** Who we are, for error messages: the kubeconfig user name (never a credential). */
  identity: string;
  context: string;
  /** --kube-api-qps / --kube-api-burst, when given: every request waits for a token. */
  limiter?: { take(): Promise<void> };
}

function parseServer(value: string): URL {
  try {
    return new URL(value);
  } catch {
    throw new InputError(`kubeconfig: cluster server "${value}" is not a URL`);
  }
}

export async function connect(opts: ConnectionOptions, maxSockets: number): Promise<Connection> {
  const env = opts.env;
  if (opts.kubeconfig && !existsSync(opts.kubeconfig)) throw new InputError(`kubeconfig ${opts.kubeconfig}: no such file`, opts.kubeconfig);
  checkOverrides(opts);
  const fast = loadStaticCredentials(opts.kubeconfig, opts.context, env, opts);
  if (fast) {
    const server = parseServer(fast.server);
    const proxy = registeredProxy(proxyFor(server, fast.proxyUrl, env));
    return {
      server,
      agent: createAgent(
        {
          maxSockets,
          ca: fast.ca,
          cert: fast.cert,
          key: fast.key,
          rejectUnauthorized: fast.insecure ? false : undefined,
          servername: fast.serverName,
        },
        proxy,
      ),
      headers: registered(fast.headers, fast.key),
      proxy: proxy ? redactProxy(proxy) : undefined,
      identity: describeIdentity(fast.user, fast.headers),
      context: fast.context,
    };
  }
  // Loaded lazily: the client library is heavy and only needed for plugin-based credentials.
  const endActivity = beginActivity(`reading the credentials of kubeconfig ${opts.kubeconfig ?? env.KUBECONFIG ?? '~/.kube/config'}`);
  const { KubeConfig } = await import('@kubernetes/client-node');
  const kc = new KubeConfig();
  const file = opts.kubeconfig;
  try {
    if (file) {
      if (!existsSync(file)) throw new InputError(`kubeconfig ${file}: no such file`, file);
      kc.loadFromFile(file);
    } else {
      const envFiles = (env.KUBECONFIG ?? '').split(':').filter(Boolean);
      const home = env.HOME ?? '';
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
    const where = file ?? env.KUBECONFIG ?? '~/.kube/config';
    throw new InputError(`kubeconfig ${where}: ${firstLine(err)}`, where);
  }
  if (opts.context) {
    if (!kc.getContexts().some((c) => c.name === opts.context)) {
      throw new InputError(`kubeconfig has no context "${opts.context}"`);
    }
    kc.setCurrentContext(opts.context);
  }
  applyOverrides(kc, opts);
  const cluster = kc.getCurrentCluster();
  if (!cluster || !cluster.server || kc.getCurrentContext() === undefined || kc.getContexts().length === 0) {
    throw new ClusterError('no cluster configured: pass --kubeconfig FILE or set KUBECONFIG');
  }
  const reqOpts: https.RequestOptions = { headers: {} };
  // podo runs exec plugins itself: bounded by --timeout, their output never quoted.
  await resolveExecCredentials(kc, env);
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
  // client-node sends only `as`; podo sends the whole kubeconfig impersonation (and --as/--as-group/--as-uid).
  delete headers['Impersonate-User'];
  const withImpersonation: Record<string, string | string[]> = { ...headers, ...impersonationHeaders(rawUser(opts, env), opts.actAs) };
  const server = parseServer(cluster.server);
  const proxy = registeredProxy(proxyFor(server, cluster.proxyUrl, env));
  const agent = createAgent(
    {
      maxSockets,
      ca: reqOpts.ca,
      cert: reqOpts.cert,
      key: reqOpts.key,
      pfx: reqOpts.pfx,
      passphrase: reqOpts.passphrase,
      rejectUnauthorized: cluster.skipTLSVerify ? false : undefined,
      servername: cluster.tlsServerName,
    },
    proxy,
  );
  const user = kc.getCurrentUser();
  endActivity();
  return {
    server,
    agent,
    headers: registered(withImpersonation, reqOpts.key),
    proxy: proxy ? redactProxy(proxy) : undefined,
    identity: describeIdentity(user?.name ?? 'unknown user', withImpersonation),
    context: kc.getCurrentContext(),
  };
}

type KubeConfigLike = InstanceType<typeof import('@kubernetes/client-node').KubeConfig>;

/**
 * The kubectl overrides on a loaded client-node KubeConfig: a one-context config made of the chosen
 * cluster and user entries with --server, --certificate-authority, --insecure-skip-tls-verify,
 * --tls-server-name, --token, --client-certificate and --client-key applied.
 */
function applyOverrides(kc: KubeConfigLike, o: ConnectionOptions): void {
  const touched = o.cluster || o.user || o.server || o.token || o.certificateAuthority || o.clientCertificate || o.clientKey || o.insecureSkipTlsVerify || o.tlsServerName;
  if (!touched) return;
  const ctx = kc.getContextObject(kc.getCurrentContext());
  const clusterName = o.cluster ?? ctx?.cluster;
  const userName = o.user ?? ctx?.user;
  const base = clusterName ? kc.getCluster(clusterName) : null;
  if (o.cluster && !base) throw new InputError(`kubeconfig has no cluster "${o.cluster}"`);
  const baseUser = userName ? kc.getUser(userName) : null;
  if (o.user && !baseUser) throw new InputError(`kubeconfig has no user "${o.user}"`);
  const server = o.server ?? base?.server;
  if (!server) throw new ClusterError('no cluster configured: pass --server URL, --kubeconfig FILE or set KUBECONFIG');
  const caData = o.insecureSkipTlsVerify ? undefined : o.certificateAuthority ? readFileSync(o.certificateAuthority).toString('base64') : base?.caData;
  const cluster = {
    name: base?.name ?? 'podo-override',
    server,
    caData,
    caFile: o.insecureSkipTlsVerify || o.certificateAuthority ? undefined : base?.caFile,
    skipTLSVerify: o.insecureSkipTlsVerify === true || (!o.certificateAuthority && base?.skipTLSVerify === true),
    tlsServerName: o.tlsServerName ?? base?.tlsServerName,
    proxyUrl: base?.proxyUrl,
  };
  const user = {
    ...(o.token ? { name: baseUser?.name ?? 'podo-override', token: o.token } : (baseUser ?? { name: 'podo-override' })),
    ...(o.clientCertificate ? { certFile: o.clientCertificate, certData: undefined } : {}),
    ...(o.clientKey ? { keyFile: o.clientKey, keyData: undefined } : {}),
  };
  const context = { name: kc.getCurrentContext() || 'podo-override', cluster: cluster.name, user: user.name, namespace: ctx?.namespace };
  kc.loadFromOptions({ clusters: [cluster], users: [user], contexts: [context], currentContext: context.name });
}

/** The raw user entry (for `as-groups`, `as-uid`, which client-node does not read), when there is a file. */
function rawUser(opts: ConnectionOptions, env: NodeJS.ProcessEnv) {
  try {
    return selectEntries(readKubeconfig(opts.kubeconfig, env), opts.context, opts)?.user?.body;
  } catch {
    return undefined;
  }
}

/** The kubeconfig user, and whom it impersonates: "admin (as alice)". Never a credential. */
function describeIdentity(user: string, headers: Record<string, string | string[]>): string {
  const as = headers['Impersonate-User'];
  return typeof as === 'string' ? `${user} (as ${as})` : user;
}

/** Credentials are secrets: registered so that no output can carry them. */
function registered(headers: Record<string, string | string[]>, key: unknown): Record<string, string | string[]> {
  registerCredentials(Object.fromEntries(Object.entries(headers).filter((e): e is [string, string] => typeof e[1] === 'string')), key);
  return headers;
}


/** A proxy's user and password (HTTPS_PROXY=http://user:pass@…) are credentials too. */
function registeredProxy(proxy: URL | undefined): URL | undefined {
  if (proxy?.password) {
    const plain = `${decodeURIComponent(proxy.username)}:${decodeURIComponent(proxy.password)}`;
    registerCredentials({ authorization: `Basic ${Buffer.from(plain).toString('base64')}` });
  }
  return proxy;
}
