// Helpers for integration tests against the real local API server: kubectl for setting up live
// state, podo run as a subprocess exactly as a user runs it.
import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, mkdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { inject } from 'vitest';

export const repoRoot = path.resolve(import.meta.dirname, '../..');
export const podoBin = path.join(repoRoot, 'bin/podo');

export function kubeconfig(): string {
  return inject('kubeconfig');
}

export function kubectl(args: string[], input?: string): string {
  return execFileSync('kubectl', ['--kubeconfig', kubeconfig(), ...args], {
    input,
    encoding: 'utf8',
    stdio: ['pipe', 'pipe', 'pipe'],
  });
}

/** Applies YAML as Flux would have: server-side, field manager kustomize-controller. */
export function applyLive(yaml: string): void {
  kubectl(['apply', '--server-side', '--force-conflicts', '--field-manager=kustomize-controller', '-f', '-'], yaml);
}

/** A unique, DNS-safe name so tests never share objects (Namespaces cannot be deleted here). */
export function uniqueName(prefix: string): string {
  return `${prefix}-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 6)}`;
}

/** Writes a file tree into a new temporary directory (under PARENT when given) and returns its path. */
export function writeTree(files: Record<string, string>, parent = os.tmpdir()): string {
  const dir = mkdtempSync(path.join(parent, 'podo-test-repo-'));
  for (const [rel, content] of Object.entries(files)) {
    const p = path.join(dir, rel);
    mkdirSync(path.dirname(p), { recursive: true });
    writeFileSync(p, content);
  }
  return dir;
}

export interface RunResult {
  code: number;
  stdout: string;
  stderr: string;
}

/**
 * Runs podo as a user would. `env` is added to this process's environment, unless `exactEnv` says
 * to use it alone (e.g. to prove that no kubeconfig is read).
 */
export function runPodo(args: string[], env: NodeJS.ProcessEnv = {}, opts: { cwd?: string; exactEnv?: boolean } = {}): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [podoBin, ...args], {
      cwd: opts.cwd,
      env: opts.exactEnv ? env : { ...process.env, NO_COLOR: '1', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code: code ?? -1, stdout, stderr }));
  });
}

/** A Flux Kustomization manifest (and its status inventory) as the cluster would hold it. */
export function fluxKustomization(opts: {
  name: string;
  namespace?: string;
  path: string;
  prune?: boolean;
  force?: boolean;
  targetNamespace?: string;
  inventory?: string[];
  extraSpec?: string;
}): string {
  const inv = opts.inventory
    ? `status:\n  inventory:\n    entries:\n${opts.inventory.map((id) => `      - id: ${id}\n        v: v1`).join('\n')}\n`
    : '';
  return `apiVersion: kustomize.toolkit.fluxcd.io/v1
kind: Kustomization
metadata:
  name: ${opts.name}
  namespace: ${opts.namespace ?? 'flux-system'}
spec:
  interval: 10m
  path: ${opts.path}
  prune: ${opts.prune ?? false}
  force: ${opts.force ?? false}
  sourceRef:
    kind: GitRepository
    name: flux-system
${opts.targetNamespace ? `  targetNamespace: ${opts.targetNamespace}\n` : ''}${opts.extraSpec ?? ''}${inv}`;
}

/** name → resourceVersion of every object of these kinds in the namespace: proof that nothing was written. */
export function snapshot(namespace: string, kinds = 'configmaps,secrets,deployments,services,ingresses,serviceaccounts'): Record<string, string> {
  const list = JSON.parse(kubectl(['get', kinds, '-n', namespace, '-o', 'json'])) as {
    items: Array<{ kind: string; metadata: { name: string; resourceVersion: string } }>;
  };
  const out: Record<string, string> = {};
  for (const it of list.items) out[`${it.kind}/${it.metadata.name}`] = it.metadata.resourceVersion;
  return out;
}

export function ensureNamespace(ns: string): void {
  kubectl(['apply', '--server-side', '-f', '-'], `apiVersion: v1\nkind: Namespace\nmetadata:\n  name: ${ns}\n`);
}

/** A kubeconfig for a ServiceAccount granted only `grants` (Role rules per namespace): a real RBAC-limited user. */
export function limitedKubeconfig(grants: Array<{ namespace: string; rules: string }>): string {
  const sa = uniqueName('limited');
  const home = grants[0].namespace;
  kubectl(['create', 'serviceaccount', sa, '-n', home]);
  for (const g of grants) {
    applyLive(`apiVersion: rbac.authorization.k8s.io/v1
kind: Role
metadata:
  name: ${sa}
  namespace: ${g.namespace}
rules:
${g.rules}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata:
  name: ${sa}
  namespace: ${g.namespace}
roleRef:
  apiGroup: rbac.authorization.k8s.io
  kind: Role
  name: ${sa}
subjects:
  - kind: ServiceAccount
    name: ${sa}
    namespace: ${home}
`);
  }
  const namespace = home;
  const token = kubectl(['create', 'token', sa, '-n', namespace, '--duration=1h']).trim();
  return writeKubeconfig(sa, `token: ${token}`, { context: 'limited' });
}

/** The local cluster's server and CA, for kubeconfigs with other users. */
export function clusterEndpoint(): { server: string; ca: string } {
  const admin = JSON.parse(kubectl(['config', 'view', '--raw', '--minify', '-o', 'json'])) as {
    clusters: Array<{ cluster: { server: string; 'certificate-authority-data': string } }>;
  };
  const c = admin.clusters[0].cluster;
  return { server: c.server, ca: c['certificate-authority-data'] };
}

/** A kubeconfig in a new temporary directory: the local cluster (or SERVER/CA) and one user, USERYAML its body. */
export function writeKubeconfig(user: string, userYaml: string, opts: { context: string; server?: string; ca?: string }): string {
  const ep = opts.server !== undefined && opts.ca !== undefined ? { server: opts.server, ca: opts.ca } : clusterEndpoint();
  const file = path.join(mkdtempSync(path.join(os.tmpdir(), 'podo-kc-')), 'kubeconfig');
  writeFileSync(
    file,
    `apiVersion: v1
kind: Config
clusters:
- name: local
  cluster:
    server: ${opts.server ?? ep.server}
    certificate-authority-data: ${opts.ca ?? ep.ca}
users:
- name: ${user}
  user:
${userYaml.replace(/^/gm, '    ')}
contexts:
- name: ${opts.context}
  context: {cluster: local, user: ${user}}
current-context: ${opts.context}
`,
  );
  return file;
}

/** A kustomization of `count` ConfigMaps named `<prefix>-<i>` in `namespace`, plus any extra files. */
export function configMapRepo(count: number, namespace: string, prefix: string, extra: Record<string, string> = {}): string {
  const files: Record<string, string> = { ...extra };
  const names: string[] = [];
  for (let i = 0; i < count; i++) {
    names.push(`cm${i}.yaml`);
    files[`cm${i}.yaml`] = `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: ${prefix}-${i}\n  namespace: ${namespace}\ndata:\n  i: "${i}"\n`;
  }
  files['kustomization.yaml'] = `resources: [${names.join(', ')}]\n`;
  return writeTree(files);
}
