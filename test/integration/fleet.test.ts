// A repository shaped like a real fleet (fixtures/fleet: two cluster directories, infrastructure
// controllers + configs with dependsOn, apps per cluster, a tenant with a restricted service account,
// OCIRepository and ExternalArtifact sources), with the production cluster's state applied to the
// real local cluster as Flux would have applied the committed tree. The same working-tree change is
// then diffed every way podo can: against the cluster (one, --all, --recursive) and against the
// commit without a cluster (--base-ref, one and --all). The answers must be the same.
import { execFileSync } from 'node:child_process';
import { cpSync, mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { beforeAll, describe, expect, it, vi } from 'vitest';
import { applyLive, ensureNamespace, kubeconfig, kubectl, limitedKubeconfig, repoRoot, runPodo, writeTree, type RunResult } from '../helpers/cluster.js';
import { findKustomize } from '../../src/render/kustomize.js';
import { renderKustomization } from '../../src/pipeline/render.js';
import { discover } from '../../src/sources/repository.js';
import { inventoryId } from '../../src/flux/spec.js';
import { groupOf, type KubeObject } from '../../src/model/object.js';
import type { JsonReport } from '../../src/report/json.js';

const FLEET = path.join(repoRoot, 'fixtures/fleet');
const SOURCES = path.join(repoRoot, 'fixtures/fleet-sources');
const REMOTE = 'https://git.example.invalid/acme/fleet.git';
const LOCAL_SOURCES = `OCIRepository/podinfo=${SOURCES}/podinfo-oci,ExternalArtifact/fleet-system/generated-manifests=${SOURCES}/generated`;

const gitEnv = { ...process.env, GIT_AUTHOR_NAME: 't', GIT_AUTHOR_EMAIL: 't@example.invalid', GIT_COMMITTER_NAME: 't', GIT_COMMITTER_EMAIL: 't@example.invalid' };
const git = (repo: string, args: string[]) => execFileSync('git', ['-c', 'commit.gpgsign=false', ...args], { cwd: repo, env: gitEnv, stdio: ['ignore', 'pipe', 'pipe'] });

/** The fixture as a git repository with the fleet's remote, committed: the state Flux applied. */
function fleetRepo(): string {
  const repo = path.join(mkdtempSync(path.join(os.tmpdir(), 'podo-fleet-')), 'fleet');
  cpSync(FLEET, repo, { recursive: true });
  git(repo, ['init', '--quiet', '--initial-branch=main']);
  git(repo, ['remote', 'add', 'origin', REMOTE]);
  git(repo, ['add', '-A']);
  git(repo, ['commit', '--quiet', '-m', 'fleet']);
  return repo;
}

const write = (repo: string, files: Record<string, string>) => {
  for (const [rel, text] of Object.entries(files)) writeFileSync(path.join(repo, rel), text);
};

/** The pull request: a value in apps, a Widget in configs, and a Namespace + CRD in controllers that configs' new objects need. */
function change(repo: string): void {
  write(repo, {
    'apps/base/config.yaml': 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: web-config\n  namespace: fleet-apps\ndata:\n  greeting: bonjour\n',
    'infrastructure/configs/widget.yaml': 'apiVersion: fleet.example.com/v1\nkind: Widget\nmetadata:\n  name: default\n  namespace: fleet-infra\nspec:\n  size: large\n',
    'infrastructure/controllers/kustomization.yaml': 'resources: [namespace.yaml, widgets-crd.yaml, cache-namespace.yaml, gadgets-crd.yaml]\n',
    'infrastructure/controllers/cache-namespace.yaml': 'apiVersion: v1\nkind: Namespace\nmetadata:\n  name: fleet-cache\n',
    'infrastructure/controllers/gadgets-crd.yaml': `apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata:
  name: gadgets.fleet.example.com
spec:
  group: fleet.example.com
  names: {kind: Gadget, listKind: GadgetList, plural: gadgets, singular: gadget}
  scope: Namespaced
  versions:
    - name: v1
      served: true
      storage: true
      schema:
        openAPIV3Schema: {type: object, x-kubernetes-preserve-unknown-fields: true}
`,
    'infrastructure/configs/kustomization.yaml': 'resources: [settings.yaml, widget.yaml, cache.yaml, gadget.yaml]\n',
    'infrastructure/configs/cache.yaml': 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cache-settings\n  namespace: fleet-cache\ndata:\n  size: 1Gi\n',
    'infrastructure/configs/gadget.yaml': 'apiVersion: fleet.example.com/v1\nkind: Gadget\nmetadata:\n  name: main\n  namespace: fleet-infra\nspec:\n  color: blue\n',
  });
}

const toYaml = (objs: KubeObject[]) => JSON.stringify({ apiVersion: 'v1', kind: 'List', items: objs });

/** Applies the committed production tree to the cluster as kustomize-controller would have, inventories included. */
async function applyProduction(repo: string): Promise<void> {
  const kustomize = findKustomize(undefined, process.env);
  const build = { kustomize, strictSubstitute: false, ignorePaths: [], env: process.env, helm: async () => ({ missing: 'the fleet has no HelmRelease' }) };
  const dirs: Record<string, string> = { podinfo: path.join(SOURCES, 'podinfo-oci'), generated: path.join(SOURCES, 'generated') };
  const all = discover(repo).kustomizations; // production's definitions come first in the walk, so they win
  const objects: KubeObject[] = [];
  const kustomizations: KubeObject[] = [];
  const inventories = new Map<string, string[]>();
  for (const ks of all) {
    const root = dirs[ks.spec.name] ?? repo;
    const dir = path.join(root, ks.spec.path ?? '.');
    const built = await renderKustomization(undefined, ks, dir, build, root);
    const objs = built.objects.map((o) => o.object);
    inventories.set(`${ks.spec.namespace}/${ks.spec.name}`, objs.map((o) => inventoryId({ namespace: o.metadata.namespace as string | undefined, name: o.metadata.name, group: groupOf(o.apiVersion), kind: o.kind })));
    for (const o of objs) (o.kind === 'Kustomization' ? kustomizations : objects).push(o);
  }
  const first = objects.filter((o) => o.kind === 'Namespace' || o.kind === 'CustomResourceDefinition');
  ensureNamespace('fleet-system');
  applyLive(toYaml(first));
  kubectl(['wait', '--for=condition=Established', '--timeout=60s', 'crd/widgets.fleet.example.com']);
  applyLive(toYaml(objects.filter((o) => !first.includes(o))));
  for (const k of kustomizations) {
    const entries = inventories.get(`${k.metadata.namespace}/${k.metadata.name}`) ?? [];
    applyLive(JSON.stringify({ ...k, status: { inventory: { entries: entries.map((id) => ({ id, v: 'v1' })) } } }));
  }
}

type Answers = Record<string, Record<string, string> | string>;

/** Per Kustomization of the fleet: subject → action, or why it was not evaluated. */
function answers(r: RunResult): Answers {
  const doc = JSON.parse(r.stdout) as JsonReport;
  const out: Answers = {};
  for (const k of doc.kustomizations) {
    if (!k.namespace.startsWith('fleet-')) continue;
    // --base-ref proves a Kustomization whose inputs are identical at the ref unchanged without building it.
    if (k.notes.includes('inputs identical at HEAD: not built') && k.resources.length === 0 && !k.error) out[`${k.namespace}/${k.name}`] = 'all unchanged';
    else out[`${k.namespace}/${k.name}`] = k.error ? `error: ${k.error}` : k.skipped ? `not evaluated: ${k.skipCause}` : Object.fromEntries(k.resources.map((x) => [`${x.kind}/${x.namespace ? x.namespace + '/' : ''}${x.name}`, x.action]));
  }
  return out;
}

const noCluster = (): NodeJS.ProcessEnv => {
  const env: NodeJS.ProcessEnv = { ...process.env, KUBECONFIG: '/nonexistent/kubeconfig', NO_COLOR: '1' };
  delete env.PODO_TEST_KUBECONFIG;
  return env;
};
const podo = (args: string[]) => runPodo([...args, '--kubeconfig', kubeconfig()]);
const podoNoCluster = (args: string[]) => runPodo(args, noCluster(), { exactEnv: true });

const EXPECTED: Answers = {
  'fleet-system/flux-system': 'all unchanged',
  'fleet-system/infra-controllers': {
    'Namespace/fleet-cache': 'created',
    'Namespace/fleet-infra': 'unchanged',
    'CustomResourceDefinition/gadgets.fleet.example.com': 'created',
    'CustomResourceDefinition/widgets.fleet.example.com': 'unchanged',
  },
  'fleet-system/infra-configs': {
    'ConfigMap/fleet-cache/cache-settings': 'created',
    'ConfigMap/fleet-infra/cluster-settings': 'unchanged',
    'Gadget/fleet-infra/main': 'created',
    'Widget/fleet-infra/default': 'drifted',
  },
  'fleet-system/apps': {
    'Namespace/fleet-apps': 'unchanged',
    'ConfigMap/fleet-apps/web-config': 'drifted',
    'Deployment/fleet-apps/web': 'unchanged',
    'Service/fleet-apps/web': 'unchanged',
  },
  'fleet-system/tenants': 'all unchanged',
  'fleet-team-a/team-a': 'all unchanged',
  'fleet-system/podinfo': 'all unchanged',
  'fleet-system/generated': 'all unchanged',
};

/** `all unchanged` stands for a Kustomization whose every object is unchanged. */
function collapse(a: Answers): Answers {
  return Object.fromEntries(
    Object.entries(a).map(([k, v]) => [k, typeof v === 'object' && Object.values(v).length > 0 && Object.values(v).every((x) => x === 'unchanged') ? 'all unchanged' : v]),
  );
}

// Each test runs podo several times over eight Kustomizations on a shared two-core machine.
vi.setConfig({ testTimeout: 240_000 });

let repo: string;

beforeAll(async () => {
  repo = fleetRepo();
  await applyProduction(repo);
  change(repo);
}, 180_000);

describe('the same change, every way podo can diff it', () => {
  it('--all against the cluster and --base-ref --all without one agree; dependsOn stages what a dependency creates', async () => {
    const cluster = await podo(['diff', 'ks', '--all', '--path', repo, '--local-sources', LOCAL_SOURCES, '-o', 'json']);
    expect(cluster.stderr).toBe('');
    expect(cluster.code).toBe(1);
    const ref = await podoNoCluster(['diff', 'ks', '--all', '--path', repo, '--base-ref', 'HEAD', '--cluster-path', 'clusters/production', '--local-sources', LOCAL_SOURCES, '-o', 'json']);
    expect(ref.stderr).toBe('');
    expect(ref.code).toBe(1);
    expect(collapse(answers(cluster))).toEqual(EXPECTED);
    expect(collapse(answers(ref))).toEqual(EXPECTED);
    // Against the cluster, what infra-controllers creates is staged for infra-configs, which depends on it.
    const doc = JSON.parse(cluster.stdout) as JsonReport;
    const configs = doc.kustomizations.find((k) => k.name === 'infra-configs')!;
    expect(configs.resources.find((r) => r.name === 'cache-settings')!.reason).toBe('its Namespace fleet-cache is created by Kustomization fleet-system/infra-controllers');
    expect(configs.resources.find((r) => r.name === 'main')!.reason).toBe('its CustomResourceDefinition is created by Kustomization fleet-system/infra-controllers');
    // dependsOn order: a dependency is listed before what depends on it.
    const order = doc.kustomizations.map((k) => k.name);
    expect(order.indexOf('infra-controllers')).toBeLessThan(order.indexOf('infra-configs'));
    expect(order.indexOf('infra-configs')).toBeLessThan(order.indexOf('apps'));
  });

  it('--recursive from the cluster root agrees too', async () => {
    const r = await podo(['diff', 'ks', 'flux-system', '-n', 'fleet-system', '--recursive', '--path', path.join(repo, 'clusters/production'), '--local-sources', LOCAL_SOURCES, '-o', 'json']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(1);
    expect(collapse(answers(r))).toEqual(EXPECTED);
  });

  it('one Kustomization, against the cluster and against the commit, agrees with --all', async () => {
    for (const [name, dir] of [
      ['apps', 'apps/production'],
      ['infra-controllers', 'infrastructure/controllers'],
    ]) {
      const cluster = await podo(['diff', 'ks', name, '-n', 'fleet-system', '--path', path.join(repo, dir), '-o', 'json']);
      const ref = await podoNoCluster(['diff', 'ks', name, '-n', 'fleet-system', '--path', path.join(repo, dir), '--base-ref', 'HEAD', '-o', 'json']);
      expect(cluster.code).toBe(1);
      expect(ref.code).toBe(1);
      expect(answers(cluster)).toEqual({ [`fleet-system/${name}`]: EXPECTED[`fleet-system/${name}`] });
      expect(answers(ref)).toEqual(answers(cluster));
    }
  });
});

describe('nothing silent', () => {
  const refAll = ['diff', 'ks', '--all', '--path', '', '--base-ref', 'HEAD', '--cluster-path', 'clusters/production'];
  const args = (...more: string[]) => refAll.map((a) => (a === '' ? repo : a)).concat(more);

  it('unmapped sources are not evaluated, with the reason, and counted in every format; the exit code stays', async () => {
    const text = await podoNoCluster(args('--no-color'));
    expect(text.code).toBe(1);
    expect(text.stdout).toContain('━━ Kustomization fleet-system/podinfo skipped: source OCIRepository/fleet-system/podinfo is not mapped to a local directory (add --local-sources OCIRepository/fleet-system/podinfo=DIR)');
    expect(text.stdout).toContain('Kustomizations: 8 (2 not evaluated: 2 source not mapped)');
    const json = JSON.parse((await podoNoCluster(args('-o', 'json'))).stdout) as JsonReport;
    expect(json.kustomizationSummary).toMatchObject({ total: 8, evaluated: 6, notEvaluated: 2, notEvaluatedBy: { 'source not mapped': 2 } });
    expect(json.kustomizations.find((k) => k.name === 'generated')).toMatchObject({ skipCause: 'source not mapped' });
    const md = await podoNoCluster(args('-o', 'markdown'));
    expect(md.stdout).toContain('**2 Kustomizations not evaluated (2 source not mapped)**');
    const unified = await podoNoCluster(args('-o', 'unified'));
    expect(unified.code).toBe(1);
    expect(unified.stderr).toContain('podo: 2 Kustomizations not evaluated (2 source not mapped)');
    expect(unified.stderr).toContain('podo: Kustomization fleet-system/podinfo not evaluated: source OCIRepository/fleet-system/podinfo is not mapped');
  });

  it('--fail-on-skipped turns a policy skip into exit 2', async () => {
    const r = await podoNoCluster(args('--fail-on-skipped', '-o', 'json'));
    expect(r.code).toBe(2);
  });

  it('a --recursive child that cannot be evaluated fails the run', async () => {
    const r = await podo(['diff', 'ks', 'flux-system', '-n', 'fleet-system', '--recursive', '--path', path.join(repo, 'clusters/production'), '-o', 'json']);
    expect(r.code).toBe(2);
    expect(answers(r)['fleet-system/podinfo']).toBe('not evaluated: source not mapped');
  });

  it('several cluster directories and no --cluster-path: every one is diffed, each Kustomization under its cluster (issue 19)', async () => {
    const r = await podoNoCluster(['diff', 'ks', '--all', '--path', repo, '--base-ref', 'HEAD', '-o', 'json']);
    expect(r.code).toBe(1);
    const doc = JSON.parse(r.stdout) as { kustomizations: Array<{ name: string; namespace: string; cluster?: string }> };
    const clusters = new Set(doc.kustomizations.map((k) => k.cluster));
    expect([...clusters].sort()).toEqual(['clusters/production', 'clusters/staging']);
    expect(doc.kustomizations.filter((k) => k.cluster === 'clusters/staging').map((k) => `${k.namespace}/${k.name}`)).toEqual([
      'fleet-system/flux-system', 'fleet-system/infra-controllers', 'fleet-system/infra-configs', 'fleet-system/apps',
    ]);
    // --cluster-path is repeatable and narrows the run.
    const both = await podoNoCluster(['diff', 'ks', '--all', '--path', repo, '--base-ref', 'HEAD', '--cluster-path', 'clusters/staging', '--cluster-path', 'clusters/production', '-o', 'json']);
    expect((JSON.parse(both.stdout) as { kustomizations: unknown[] }).kustomizations.length).toBe(doc.kustomizations.length);
    const staging = await podoNoCluster(['diff', 'ks', '--all', '--path', repo, '--base-ref', 'HEAD', '--cluster-path', 'clusters/staging', '-o', 'json']);
    expect(staging.code).toBe(1);
    expect(Object.keys(answers(staging))).toEqual(['fleet-system/flux-system', 'fleet-system/infra-controllers', 'fleet-system/infra-configs', 'fleet-system/apps']);
  });

  it('a dependency that fails does not hide its dependents: each is evaluated and says so', async () => {
    const broken = fleetRepo();
    change(broken);
    write(broken, { 'infrastructure/controllers/kustomization.yaml': 'resources: [namespace.yaml, missing.yaml]\n' });
    const r = await podoNoCluster(['diff', 'ks', '--all', '--path', broken, '--base-ref', 'HEAD', '--cluster-path', 'clusters/production', '-o', 'json']);
    expect(r.code).toBe(2);
    const doc = JSON.parse(r.stdout) as JsonReport;
    const by = (n: string) => doc.kustomizations.find((k) => k.name === n)!;
    expect(by('infra-controllers').error).toMatch(/^working tree: kustomize build .*missing\.yaml/);
    expect(by('infra-configs').skipped).toBeUndefined();
    expect(by('infra-configs').notes.join('\n')).toContain('dependency fleet-system/infra-controllers failed: evaluated without its objects');
    expect(by('infra-configs').resources.length).toBeGreaterThan(0);
    expect(by('apps').skipped).toBeUndefined();
    expect(by('tenants').error).toBeUndefined();
  });

  it('a Kustomization whose spec has the wrong shape is one line naming it, exit 2', async () => {
    for (const [spec, message] of [
      ['spec: [1, 2]', 'spec must be a map, got a list'],
      ['spec:\n  path: 42\n  sourceRef: {kind: GitRepository, name: flux-system}', 'spec.path must be a string, got number 42'],
      ['spec:\n  path: ./apps\n  dependsOn: infra\n  sourceRef: {kind: GitRepository, name: flux-system}', 'spec.dependsOn must be a map list, got string "infra"'],
    ]) {
      const file = path.join(writeTree({ 'ks.yaml': `apiVersion: kustomize.toolkit.fluxcd.io/v1\nkind: Kustomization\nmetadata:\n  name: apps\n  namespace: fleet-system\n${spec}\n` }), 'ks.yaml');
      const r = await podoNoCluster(['diff', 'ks', 'apps', '-n', 'fleet-system', '--path', path.join(repo, 'apps/production'), '--base-ref', 'HEAD', '--kustomization-file', file]);
      expect(r.code).toBe(2);
      expect(r.stdout).toBe('');
      expect(r.stderr).toBe(`podo: error: Kustomization fleet-system/apps (${file}): ${message}\n`);
    }
  });
});

describe('empty builds say why', () => {
  const tree = () =>
    writeTree({
      '.sourceignore': '*.yaml\n',
      'apps/cm.yaml': 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: ignored\n  namespace: default\n',
      'flux/apps.yaml': 'apiVersion: kustomize.toolkit.fluxcd.io/v1\nkind: Kustomization\nmetadata:\n  name: apps\n  namespace: flux-system\nspec:\n  path: ./apps\n  sourceRef: {kind: GitRepository, name: flux-system}\n',
    });

  it('.sourceignore excluded every file: the build says so', async () => {
    const t = tree();
    const r = await podoNoCluster(['build', 'ks', 'apps', '--path', path.join(t, 'apps'), '--dry-run', '--kustomization-file', path.join(t, 'flux/apps.yaml')]);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe('');
    expect(r.stderr).toBe('podo: note: the build produced no objects: .sourceignore or --ignore-paths excluded one path under ./apps\n');
  });

  it('--ignore-paths excluded the whole directory: an error, as in Flux', async () => {
    const t = tree();
    const r = await podoNoCluster(['build', 'ks', 'apps', '--path', path.join(t, 'apps'), '--dry-run', '--kustomization-file', path.join(t, 'flux/apps.yaml'), '--ignore-paths', 'apps/']);
    expect(r.code).toBe(2);
    expect(r.stderr).toBe('podo: error: kustomization path not found: .sourceignore or --ignore-paths exclude ./apps from the source (Flux fails the same way)\n');
  });
});

describe('tenancy: dry-runs as the Kustomization\'s service account', () => {
  const tenantTree = () =>
    writeTree({
      'config.yaml': 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: team-a-config\n  namespace: fleet-team-a\ndata:\n  owner: team-a-and-b\n',
      'secret.yaml': 'apiVersion: v1\nkind: Secret\nmetadata:\n  name: team-a-token\n  namespace: fleet-team-a\nstringData:\n  token: not-for-team-a\n',
      'kustomization.yaml': 'resources: [config.yaml, secret.yaml]\n',
    });

  it('what RBAC refuses the tenant is that object\'s failure', async () => {
    const r = await podo(['diff', 'ks', 'team-a', '-n', 'fleet-team-a', '--path', tenantTree(), '--no-color']);
    expect(r.code).toBe(2);
    expect(r.stdout).toContain('► ConfigMap/fleet-team-a/team-a-config drifted');
    expect(r.stdout).toContain('✗ Secret/fleet-team-a/team-a-token failed: forbidden: system:serviceaccount:fleet-team-a:team-a may not patch secrets in namespace fleet-team-a');
    expect(r.stdout + r.stderr).not.toContain('not-for-team-a');
  });

  it('--default-service-account applies to Kustomizations that name none', async () => {
    const r = await podo(['diff', 'ks', 'tenants', '-n', 'fleet-system', '--path', path.join(repo, 'tenants/base'), '--default-service-account', 'nobody', '-o', 'json']);
    expect(r.code).toBe(2);
    const doc = JSON.parse(r.stdout) as JsonReport;
    const reasons = doc.kustomizations[0].resources.map((x) => x.reason);
    expect(reasons).toContain('forbidden: system:serviceaccount:fleet-system:nobody may not patch serviceaccounts in namespace fleet-team-a');
  });

  it('--no-impersonate dry-runs as the caller', async () => {
    const r = await podo(['diff', 'ks', 'team-a', '-n', 'fleet-team-a', '--path', tenantTree(), '--no-color', '--no-impersonate']);
    expect(r.code).toBe(1);
    expect(r.stdout).toContain('► Secret/fleet-team-a/team-a-token created');
  });

  it('a caller who may not impersonate is told once and goes on as itself', async () => {
    const limited = limitedKubeconfig([
      {
        namespace: 'fleet-team-a',
        rules: `  - apiGroups: [kustomize.toolkit.fluxcd.io]\n    resources: [kustomizations]\n    verbs: [get, list]\n  - apiGroups: [""]\n    resources: [configmaps, secrets]\n    verbs: [get, list, create, patch]\n`,
      },
    ]);
    const r = await runPodo(['diff', 'ks', 'team-a', '-n', 'fleet-team-a', '--path', tenantTree(), '--no-color', '--kubeconfig', limited]);
    expect(r.code).toBe(1);
    expect(r.stderr.match(/may not impersonate/g)).toHaveLength(2); // the warning, and the Kustomization's note
    expect(r.stderr).toMatch(/^podo: warning: \S+ may not impersonate service accounts: dry-runs go as/m);
    expect(r.stdout).toContain('► Secret/fleet-team-a/team-a-token created');
  });
});
