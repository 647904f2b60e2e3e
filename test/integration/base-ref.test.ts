// --base-ref: the working tree diffed against a git ref with no cluster at all, as in a pull-request
// pipeline without credentials. Real git, real kustomize; no kubeconfig exists for these runs.
import { execFileSync } from 'node:child_process';
import { runPodo as runHelper, type RunResult } from '../helpers/cluster.js';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findKustomize } from '../../src/render/kustomize/kustomize.js';
import { run } from '../../src/pipeline/run.js';
import type { RunOptions } from '../../src/model/settings.js';
import { discoverKustomizations } from '../../src/sources/repository.js';
import type { DiffReport, ResourceChange } from '../../src/model/change.js';
import { InputError } from '../../src/model/errors.js';
import { subjectOf } from '../../src/model/object.js';


const OLD_CANARY = 'old-canary-7f3a9c1e';
const NEW_CANARY = 'new-canary-b82d40aa';
const CANARIES = [OLD_CANARY, NEW_CANARY].flatMap((c) => [c, Buffer.from(c).toString('base64')]);

/** No trace of a cluster: not the test cluster's kubeconfig, not the user's, not in-cluster config. */
function noClusterEnv(home: string): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, KUBECONFIG: '/nonexistent/kubeconfig', HOME: home, NO_COLOR: '1' };
  for (const k of ['PODO_TEST_KUBECONFIG', 'KUBERNETES_SERVICE_HOST', 'KUBERNETES_SERVICE_PORT']) delete env[k];
  for (const k of Object.keys(env)) if (k.startsWith('GIT_')) delete env[k];
  return env;
}

const home = mkdtempSync(path.join(os.tmpdir(), 'podo-empty-home-'));
const env = noClusterEnv(home);

function git(repo: string, args: string[]): string {
  return execFileSync('git', ['-c', 'commit.gpgsign=false', ...args], { cwd: repo, env, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
}

function write(repo: string, files: Record<string, string>): void {
  for (const [rel, content] of Object.entries(files)) {
    mkdirSync(path.dirname(path.join(repo, rel)), { recursive: true });
    writeFileSync(path.join(repo, rel), content);
  }
}

function fluxKs(name: string, p: string, extra = ''): string {
  return `apiVersion: kustomize.toolkit.fluxcd.io/v1
kind: Kustomization
metadata:
  name: ${name}
  namespace: flux-system
spec:
  interval: 10m
  path: ${p}
  prune: true
  sourceRef:
    kind: GitRepository
    name: flux-system
${extra}`;
}

const cm = (name: string, data: string) => `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: ${name}\n  namespace: demo\ndata:\n${data}`;
const secret = (password: string) =>
  `apiVersion: v1\nkind: Secret\nmetadata:\n  name: db\n  namespace: demo\ntype: Opaque\nstringData:\n  password: ${password}\n  user: app\n`;
const deployment = `apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  namespace: demo
spec:
  replicas: 1
  selector:
    matchLabels: {app: web}
  template:
    metadata:
      labels: {app: web}
    spec:
      containers:
        - name: web
          image: nginx:1.27.0
          ports:
            - {name: http, containerPort: 80}
`;
const service = `apiVersion: v1\nkind: Service\nmetadata:\n  name: web\n  namespace: demo\nspec:\n  selector: {app: web}\n  ports:\n    - {name: http, port: 80, targetPort: http}\n`;

/**
 * Commit 1: two Flux Kustomizations (apps, infra) and one for a remote cluster. The working tree
 * (uncommitted: that side is the point) changes apps: a ConfigMap value, a new Service, a removed
 * ConfigMap (prune: true) and a Secret value. infra is untouched.
 */
function makeRepo(): string {
  const repo = mkdtempSync(path.join(os.tmpdir(), 'podo-base-ref-repo-'));
  git(repo, ['init', '--quiet']);
  git(repo, ['config', 'user.email', 'podo-test@example.invalid']);
  git(repo, ['config', 'user.name', 'podo test']);
  write(repo, {
    'clusters/dev/apps.yaml': fluxKs('apps', './apps'),
    'clusters/dev/infra.yaml': `${fluxKs('infra', './infra')}---\n${fluxKs('remote', './apps', '  kubeConfig:\n    secretRef:\n      name: remote-kubeconfig\n')}`,
    'apps/kustomization.yaml': 'resources: [config.yaml, legacy.yaml, deploy.yaml, secret.yaml]\n',
    'apps/config.yaml': cm('app-config', '  mode: blue\n'),
    'apps/legacy.yaml': cm('legacy', '  old: "true"\n'),
    'apps/deploy.yaml': deployment,
    'apps/secret.yaml': secret(OLD_CANARY),
    'infra/kustomization.yaml': 'resources: [ns.yaml, role.yaml]\n',
    'infra/ns.yaml': 'apiVersion: v1\nkind: Namespace\nmetadata:\n  name: demo\n',
    'infra/role.yaml': 'apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRole\nmetadata:\n  name: reader\nrules: []\n',
  });
  git(repo, ['add', '-A']);
  git(repo, ['commit', '--quiet', '-m', 'base']);
  write(repo, {
    'apps/kustomization.yaml': 'resources: [config.yaml, deploy.yaml, secret.yaml, svc.yaml]\n',
    'apps/config.yaml': cm('app-config', '  mode: green\n'),
    'apps/secret.yaml': secret(NEW_CANARY),
    'apps/svc.yaml': service,
  });
  rmSync(path.join(repo, 'apps/legacy.yaml'));
  return repo;
}

/** Every file of the working tree (outside .git) with its content: proof that nothing was written. */
function treeSnapshot(dir: string, prefix = ''): Record<string, string> {
  const out: Record<string, string> = {};
  for (const e of readdirSync(path.join(dir, prefix), { withFileTypes: true })) {
    const rel = path.join(prefix, e.name);
    if (rel === '.git') continue;
    if (e.isDirectory()) Object.assign(out, treeSnapshot(dir, rel));
    else out[rel] = readFileSync(path.join(dir, rel), 'utf8');
  }
  return out;
}

interface RepoState {
  files: Record<string, string>;
  status: string;
  index: string;
  head: string;
}

function repoState(repo: string): RepoState {
  return {
    files: treeSnapshot(repo),
    status: git(repo, ['status', '--porcelain']),
    index: git(repo, ['ls-files', '--stage']),
    head: git(repo, ['rev-parse', 'HEAD']),
  };
}

function expectUntouched(repo: string, before: RepoState): void {
  expect(repoState(repo)).toEqual(before);
  expect(git(repo, ['worktree', 'list']).trim().split('\n')).toHaveLength(1);
}

function expectNoCanary(text: string): void {
  for (const c of CANARIES) expect(text).not.toContain(c);
}

function runPodo(args: string[]): Promise<RunResult> {
  return runHelper(args, env, { cwd: home, exactEnv: true });
}

const actions = (resources: ResourceChange[]) => Object.fromEntries(resources.map((r) => [subjectOf(r.ref), r.action]));

let repo: string;
let state: RepoState;

beforeAll(() => {
  repo = makeRepo();
  state = repoState(repo);
});

afterAll(() => {
  rmSync(repo, { recursive: true, force: true });
  rmSync(home, { recursive: true, force: true });
});

describe('diff against a git ref, engine', () => {
  const kustomize = findKustomize(undefined, env);
  const opts = (o: { path?: string; ref?: string; name?: string; all?: boolean }): RunOptions => ({
    selection: o.all ? { mode: 'all' } : { mode: 'single', name: o.name ?? 'apps', namespace: 'flux-system', recursive: false },
    path: o.path ?? path.join(repo, 'apps'),
    baseRef: o.ref ?? 'HEAD',
    ignoreNotFound: false,
    localSources: [],
    parallel: 4,
    build: { kustomize, strictSubstitute: false, ignorePaths: [], env, helm: async () => ({ missing: 'not used by these builds' }) },
    cluster: { concurrency: 4, timeoutMs: 60_000, impersonate: true, env },
  });
  const diffAgainstRef = run;

  it('discovers the Flux Kustomizations in the files, sorted', () => {
    expect(discoverKustomizations(repo).map((k) => `${k.spec.namespace}/${k.spec.name} ${k.spec.path} ${k.origin}`)).toEqual([
      'flux-system/apps ./apps clusters/dev/apps.yaml',
      'flux-system/infra ./infra clusters/dev/infra.yaml',
      'flux-system/remote ./apps clusters/dev/infra.yaml',
    ]);
  });

  it('one Kustomization: created, drifted, deleted (prune: true); Secret values masked; the repository untouched', async () => {
    const report = await diffAgainstRef(opts({}));
    expect(report.kustomizations).toHaveLength(1);
    const k = report.kustomizations[0];
    expect(k.error).toBeUndefined();
    expect(actions(k.resources)).toEqual({
      'ConfigMap/demo/app-config': 'drifted',
      'Deployment/demo/web': 'unchanged',
      'Secret/demo/db': 'drifted',
      'Service/demo/web': 'created',
      'ConfigMap/demo/legacy': 'deleted',
    });
    // Deletions come last, the rest in apply order.
    expect(k.resources.map((r) => r.action).at(-1)).toBe('deleted');
    const cmChange = k.resources.find((r) => subjectOf(r.ref) === 'ConfigMap/demo/app-config')!;
    expect(cmChange.changes).toEqual([{ path: ['data', 'mode'], kind: 'modify', from: 'blue', to: 'green' }]);
    const sec = k.resources.find((r) => r.ref.kind === 'Secret')!;
    expect(sec.changes).toEqual([{ path: ['data', 'password'], kind: 'modify', from: '*** (before)', to: '*** (after)' }]);
    expect(sec.after?.data).toEqual({ password: '*** (after)', user: '***' });
    // Protocol defaulting is applied to both sides alike: no noise on the new Service.
    expect(JSON.stringify(k.resources.find((r) => r.ref.kind === 'Service')!.after)).toContain('"protocol":"TCP"');
    expectNoCanary(JSON.stringify(report));
    expectUntouched(repo, state);
  });

  it('--all: the cluster root, then one diff per Kustomization in (namespace, name) order; a remote one is built and compared too', async () => {
    const report: DiffReport = await diffAgainstRef(opts({ path: repo, name: undefined, all: true }));
    // No manifest applies clusters/dev (the only cluster directory): Flux's bootstrap Kustomization stands in.
    expect(report.kustomizations.map((k) => `${k.namespace}/${k.name}`)).toEqual(['flux-system/flux-system', 'flux-system/apps', 'flux-system/infra', 'flux-system/remote']);
    const [, apps, infra, remote] = report.kustomizations;
    expect(actions(apps.resources)['Service/demo/web']).toBe('created');
    expect(actions(apps.resources)['ConfigMap/demo/legacy']).toBe('deleted');
    // Nothing changed in infra: its inputs are the same at HEAD, so it is reported unchanged without a build.
    expect(infra.resources).toEqual([]);
    expect(infra.notes).toContain('inputs identical at HEAD: not built');
    // A spoke (spec.kubeConfig) needs no cluster to be built and compared between refs (issue 19).
    expect(remote.skipped).toBeUndefined();
    expect(actions(remote.resources)['Service/demo/web']).toBe('created');
    expect(remote.notes).toContain('targets a remote cluster (spec.kubeConfig): compared between the two refs');
    expectNoCanary(JSON.stringify(report));
    expectUntouched(repo, state);
    // Built anyway (PODO_BUILD_ALL=1), its cluster-scoped kinds keep no namespace and nothing changed.
    const built = await diffAgainstRef({ ...opts({ path: repo, name: undefined, all: true }), buildAll: true });
    expect(actions(built.kustomizations[2].resources)).toEqual({ 'Namespace/demo': 'unchanged', 'ClusterRole/reader': 'unchanged' });
    expectUntouched(repo, state);
  });

  it('--all: one Kustomization that fails to build is reported, the others go on', async () => {
    const broken = makeRepo();
    write(broken, { 'infra/kustomization.yaml': 'resources: [missing.yaml]\n' });
    try {
      const report = await diffAgainstRef(opts({ path: broken, name: undefined, all: true }));
      const [, apps, infra] = report.kustomizations;
      expect(apps.error).toBeUndefined();
      expect(actions(apps.resources)['Service/demo/web']).toBe('created');
      expect(infra.error).toMatch(/^working tree: .*missing\.yaml/);
      expect(infra.error).not.toContain('\n');
    } finally {
      rmSync(broken, { recursive: true, force: true });
    }
  });

  it('a path new in the working tree is all created', async () => {
    const fresh = makeRepo();
    write(fresh, { 'extra/kustomization.yaml': 'resources: [cm.yaml]\n', 'extra/cm.yaml': cm('extra', '  a: "1"\n') });
    try {
      const report = await diffAgainstRef(opts({ path: path.join(fresh, 'extra'), name: 'extra' }));
      const k = report.kustomizations[0];
      expect(actions(k.resources)).toEqual({ 'ConfigMap/demo/extra': 'created' });
      expect(k.notes.join('\n')).toMatch(/no Flux Kustomization flux-system\/extra found/);
      expect(k.notes.join('\n')).toMatch(/HEAD:extra does not exist at HEAD/);
    } finally {
      rmSync(fresh, { recursive: true, force: true });
    }
  });

  it('a ref missing from the clone is an InputError naming the fix, and leaves nothing behind', async () => {
    const err = await diffAgainstRef(opts({ ref: 'no-such-branch' })).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(InputError);
    expect((err as Error).message).toMatch(/not in this clone.*fetch-depth: 0.*git fetch origin no-such-branch/);
    expectUntouched(repo, state);
  });
});

describe('podo diff kustomization --base-ref, CLI (no kubeconfig anywhere)', () => {
  it('prints created/drifted/deleted lines, masks the Secret, exits 1, and touches nothing', async () => {
    const r = await runPodo(['diff', 'kustomization', 'apps', '--path', path.join(repo, 'apps'), '--base-ref', 'HEAD', '--no-color']);
    expect(r.stderr).not.toMatch(/kubeconfig|error/i);
    expect(r.code).toBe(1);
    expect(r.stdout).toContain('► Service/demo/web created');
    expect(r.stdout).toContain('► ConfigMap/demo/app-config drifted');
    expect(r.stdout).toMatch(/data\.mode\n\s+± value change\n\s+- blue\n\s+\+ green/);
    expect(r.stdout).toContain('► Secret/demo/db drifted');
    expect(r.stdout).toMatch(/- \*\*\* \(before\)\n\s+\+ \*\*\* \(after\)/);
    expect(r.stdout).toContain('► ConfigMap/demo/legacy deleted');
    expect(r.stdout).not.toContain('Deployment/demo/web');
    expect(r.stdout).toContain('1 created, 2 drifted, 1 deleted, 0 replaced, 0 skipped, 1 unchanged');
    expectNoCanary(r.stdout + r.stderr);
    expectUntouched(repo, state);
  });

  it('--all --path REPO: grouped per Kustomization', async () => {
    const r = await runPodo(['diff', 'kustomization', '--all', '--path', repo, '--base-ref', 'HEAD', '--no-color']);
    expect(r.code).toBe(1);
    const apps = r.stdout.indexOf('━━ Kustomization flux-system/apps');
    const infra = r.stdout.indexOf('━━ Kustomization flux-system/infra');
    expect(apps).toBeGreaterThanOrEqual(0);
    expect(infra).toBeGreaterThan(apps);
    expect(r.stdout.slice(apps, infra)).toContain('► Service/demo/web created');
    expect(r.stdout).toContain('━━ Kustomization flux-system/remote\n');
    expect(r.stdout).not.toContain('remote skipped');
    expectNoCanary(r.stdout + r.stderr);
    expectUntouched(repo, state);
  });

  it('a missing ref: exit 2 with one clear line', async () => {
    const r = await runPodo(['diff', 'kustomization', 'apps', '--path', path.join(repo, 'apps'), '--base-ref', 'origin/nope', '--no-color']);
    expect(r.code).toBe(2);
    const lines = r.stderr.trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/^podo: error: --base-ref origin\/nope: the ref is not in this clone.*fetch-depth: 0/);
    expectUntouched(repo, state);
  });
});
