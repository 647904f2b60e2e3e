// Exec credential plugins (kubeconfig `users[].user.exec`), run by podo rather than by the client
// library: in their own process group, killed at --timeout, stdin closed (never interactive), and
// their output treated as a credential: registered as a secret, never quoted in an error (a plugin
// that fails may print a token, a prompt or anything else).
import type { KubeConfig } from '@kubernetes/client-node';
import { ClusterError } from '../model/errors.js';
import { isJsonObject, type JsonValue } from '../model/object.js';
import { secrets } from '../model/secrets.js';
import { ChildStartError, runChild } from '../process/child.js';

export interface ExecCredential {
  token?: string;
  /** PEM. */
  clientCertificateData?: string;
  clientKeyData?: string;
}

interface ExecConfig {
  command: string;
  args: string[];
  env: Record<string, string>;
  apiVersion: string;
}

function execConfig(exec: unknown, user: string): ExecConfig {
  if (!isJsonObject(exec as JsonValue)) throw new ClusterError(`kubeconfig user ${user}: exec is not a map`);
  const e = exec as Record<string, JsonValue>;
  if (typeof e.command !== 'string' || e.command === '') throw new ClusterError(`kubeconfig user ${user}: exec has no command`);
  const args = Array.isArray(e.args) ? e.args.filter((a): a is string => typeof a === 'string') : [];
  const env: Record<string, string> = {};
  if (Array.isArray(e.env)) {
    for (const v of e.env) if (isJsonObject(v) && typeof v.name === 'string') env[v.name] = typeof v.value === 'string' ? v.value : '';
  }
  return { command: e.command, args, env, apiVersion: typeof e.apiVersion === 'string' ? e.apiVersion : 'client.authentication.k8s.io/v1beta1' };
}

export async function runExecPlugin(exec: unknown, user: string, env: NodeJS.ProcessEnv): Promise<ExecCredential> {
  const cfg = execConfig(exec, user);
  const what = `exec credential plugin ${cfg.command} (kubeconfig user ${user})`;
  const info = { apiVersion: cfg.apiVersion, kind: 'ExecCredential', spec: { interactive: false } };
  let res;
  try {
    res = await runChild(cfg.command, cfg.args, { what, env: { ...env, ...cfg.env, KUBERNETES_EXEC_INFO: JSON.stringify(info) }, maxBuffer: 4 << 20 });
  } catch (err) {
    if (err instanceof ChildStartError) throw new ClusterError(`${what} could not be started (${err.code === 'ENOENT' ? 'not found' : err.code ?? 'error'})`);
    throw err;
  }
  if (res.code !== 0) throw new ClusterError(`${what} failed (${res.code === null ? `killed by ${res.signal}` : `exit ${res.code}`}); its output is not shown, run it yourself to see it`);
  let parsed: unknown;
  try {
    parsed = JSON.parse(res.stdout);
  } catch {
    throw new ClusterError(`${what} did not print an ExecCredential (its output is not JSON, and is not shown)`);
  }
  const status = isJsonObject(parsed as JsonValue) ? (parsed as Record<string, JsonValue>).status : undefined;
  if (!isJsonObject(status as JsonValue)) throw new ClusterError(`${what} printed JSON without an ExecCredential status`);
  const s = status as Record<string, JsonValue>;
  const cred: ExecCredential = {
    token: typeof s.token === 'string' && s.token !== '' ? s.token : undefined,
    clientCertificateData: typeof s.clientCertificateData === 'string' ? s.clientCertificateData : undefined,
    clientKeyData: typeof s.clientKeyData === 'string' ? s.clientKeyData : undefined,
  };
  if (!cred.token && !(cred.clientCertificateData && cred.clientKeyData)) {
    throw new ClusterError(`${what} printed an ExecCredential with neither status.token nor a client certificate and key`);
  }
  secrets.add(cred.token);
  secrets.add(cred.clientKeyData);
  return cred;
}

/** Replaces the current user's exec section by the credential its plugin prints, before the client library sees it. */
export async function resolveExecCredentials(kc: KubeConfig, env: NodeJS.ProcessEnv): Promise<void> {
  const user = kc.getCurrentUser();
  const exec = user?.exec ?? (user?.authProvider as { config?: { exec?: unknown } } | undefined)?.config?.exec;
  if (!user || !exec) return;
  const cred = await runExecPlugin(exec, user.name, env);
  const b64 = (s: string | undefined) => (s === undefined ? undefined : Buffer.from(s).toString('base64'));
  kc.users = kc.users.map((u) =>
    u.name === user.name
      ? { ...u, exec: undefined, authProvider: undefined, token: cred.token, certData: b64(cred.clientCertificateData) ?? u.certData, keyData: b64(cred.clientKeyData) ?? u.keyData }
      : u,
  );
}

/** Registers what a connection authenticates with (token, basic auth, client key) as secrets. */
export function registerCredentials(headers: Record<string, string>, key?: unknown): void {
  for (const [k, v] of Object.entries(headers)) {
    if (k.toLowerCase() !== 'authorization') continue;
    secrets.add(v);
    const m = v.match(/^(?:Bearer|Basic)\s+(.+)$/i);
    if (m) {
      secrets.add(m[1]);
      if (/^basic/i.test(v)) {
        const plain = Buffer.from(m[1], 'base64').toString('utf8');
        secrets.add(plain);
        secrets.add(plain.slice(plain.indexOf(':') + 1));
      }
    }
  }
  const keys = Array.isArray(key) ? key : [key];
  for (const k of keys) {
    const text = Buffer.isBuffer(k) ? k.toString('utf8') : typeof k === 'string' ? k : undefined;
    if (text) secrets.add(text);
  }
}
