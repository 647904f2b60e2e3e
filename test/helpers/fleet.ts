// The fleet fixture (fixtures/fleet) as the integration tests use it: a git repository with the fleet's
// remote, the pull request's change, and the production cluster's state applied to the real local cluster
// as Flux would have applied the committed tree. Shared by fleet.test.ts and shard.test.ts.
import { execFileSync } from 'node:child_process';
import { cpSync, mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { applyLive, ensureNamespace, kubectl, repoRoot } from './cluster.js';
import { findKustomize } from '../../src/render/kustomize/kustomize.js';
import { renderKustomization } from '../../src/pipeline/render.js';
import { discover } from '../../src/sources/repository.js';
import { inventoryId } from '../../src/flux/spec.js';
import { groupOf, type KubeObject } from '../../src/model/object.js';

const FLEET = path.join(repoRoot, 'fixtures/fleet');
export const SOURCES = path.join(repoRoot, 'fixtures/fleet-sources');
const REMOTE = 'https://git.example.invalid/acme/fleet.git';
export const LOCAL_SOURCES = `OCIRepository/podinfo=${SOURCES}/podinfo-oci,ExternalArtifact/fleet-system/generated-manifests=${SOURCES}/generated`;

const gitEnv = { ...process.env, GIT_AUTHOR_NAME: 't', GIT_AUTHOR_EMAIL: 't@example.invalid', GIT_COMMITTER_NAME: 't', GIT_COMMITTER_EMAIL: 't@example.invalid' };
const git = (repo: string, args: string[]) => execFileSync('git', ['-c', 'commit.gpgsign=false', ...args], { cwd: repo, env: gitEnv, stdio: ['ignore', 'pipe', 'pipe'] });

/** The fixture as a git repository with the fleet's remote, committed: the state Flux applied. */
export function fleetRepo(): string {
  const repo = path.join(mkdtempSync(path.join(os.tmpdir(), 'podo-fleet-')), 'fleet');
  cpSync(FLEET, repo, { recursive: true });
  git(repo, ['init', '--quiet', '--initial-branch=main']);
  git(repo, ['remote', 'add', 'origin', REMOTE]);
  git(repo, ['add', '-A']);
  git(repo, ['commit', '--quiet', '-m', 'fleet']);
  return repo;
}

export const write = (repo: string, files: Record<string, string>) => {
  for (const [rel, text] of Object.entries(files)) writeFileSync(path.join(repo, rel), text);
};

/** The pull request: a value in apps, a Widget in configs, and a Namespace + CRD in controllers that configs' new objects need. */
export function change(repo: string): void {
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
export async function applyProduction(repo: string): Promise<void> {
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

