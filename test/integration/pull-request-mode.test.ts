// Pull-request mode is never falsely green (issue 19): a repository shaped like the ones where it was
// (three clusters synced by flux-operator FluxInstances, an archive folder, a spoke cluster, substitution
// from a source that cannot be read), diffed with --all --base-ref and no cluster.
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { fluxKustomization, runPodo, writeTree } from '../helpers/cluster.js';

interface Report {
  kustomizations: Array<{ name: string; namespace: string; cluster?: string; skipped?: string; notes: string[]; resources: Array<{ kind: string; name: string; action: string; after?: { data?: Record<string, string> } }> }>;
}

const ks = (name: string, p: string, extraSpec = '') => fluxKustomization({ name, path: p, prune: true, extraSpec });

const instance = (cluster: string) => `apiVersion: fluxcd.controlplane.io/v1
kind: FluxInstance
metadata:
  name: flux
  namespace: flux-system
spec:
  distribution:
    version: "2.x"
  sync:
    kind: GitRepository
    url: https://github.com/example/home.git
    ref: refs/heads/main
    path: clusters/${cluster}
`;

const cm = (name: string, ns: string, data: string) => `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: ${name}\n  namespace: ${ns}\ndata:\n${data}`;

let repo: string;

beforeAll(() => {
  repo = writeTree({
    'bootstrap/main.yaml': instance('main'),
    'bootstrap/lab.yaml': instance('lab'),
    'bootstrap/edge.yaml': instance('edge'),
    'clusters/main/apps.yaml': ks('apps', './apps/main'),
    'clusters/lab/apps.yaml': ks('apps', './apps/lab', '  postBuild:\n    substitute:\n      APP: web\n    substituteFrom:\n      - kind: ConfigMap\n        name: cluster-vars\n'),
    'clusters/edge/apps.yaml': ks('apps', './apps/edge'),
    'clusters/edge/spoke.yaml': ks('spoke', './spoke', '  kubeConfig:\n    secretRef:\n      name: spoke-kubeconfig\n'),
    'apps/main/kustomization.yaml': 'resources: [cm.yaml]\n',
    'apps/main/cm.yaml': cm('settings', 'default', '  tier: "1"\n'),
    'apps/lab/kustomization.yaml': 'resources: [cm.yaml]\n',
    'apps/lab/cm.yaml': cm('settings', 'lab', '  host: "${APP}.${CLUSTER_DOMAIN}"\n  pair: "${A},${B}"\n'),
    'apps/edge/kustomization.yaml': 'resources: [cm.yaml]\n',
    'apps/edge/cm.yaml': cm('settings', 'edge', '  tier: "1"\n'),
    'spoke/kustomization.yaml': 'resources: [cm.yaml]\n',
    'spoke/cm.yaml': cm('spoke-settings', 'default', '  version: "1.13.3"\n'),
    // Archived manifests: not a cluster.
    '.archive/metallb/ks.yaml': ks('metallb-crds', './.archive/metallb/crds'),
    '.archive/metallb/crds/kustomization.yaml': 'resources: []\n',
  });
  const git = (...args: string[]) => execFileSync('git', ['-C', repo, '-c', 'user.name=t', '-c', 'user.email=t@t', ...args], { stdio: 'ignore' });
  git('init', '-q', '.');
  git('add', '-A');
  git('commit', '-qm', 'base');
  // The pull request: a change in the main cluster and one only in the spoke.
  writeFileSync(path.join(repo, 'apps/main/cm.yaml'), cm('settings', 'default', '  tier: "2"\n'));
  writeFileSync(path.join(repo, 'spoke/cm.yaml'), cm('spoke-settings', 'default', '  version: "1.19.3"\n'));
});

describe('pull-request mode: every cluster, built as Flux would, nothing guessed', () => {
  it('--all --base-ref diffs every FluxInstance cluster directory (not the archive), each Kustomization under its cluster', async () => {
    const r = await runPodo(['diff', 'ks', '--all', '--path', repo, '--base-ref', 'HEAD', '-o', 'json']);
    expect(r.code, r.stderr).toBe(1);
    const doc = JSON.parse(r.stdout) as Report;
    expect([...new Set(doc.kustomizations.map((k) => k.cluster))].sort()).toEqual(['clusters/edge', 'clusters/lab', 'clusters/main']);
    expect(doc.kustomizations.some((k) => k.name === 'metallb-crds')).toBe(false);
    const main = doc.kustomizations.find((k) => k.cluster === 'clusters/main' && k.name === 'apps')!;
    expect(main.resources.map((x) => `${x.kind}/${x.name} ${x.action}`)).toEqual(['ConfigMap/settings drifted']);
  });

  it('a Kustomization with spec.kubeConfig (a spoke) is built and compared: a change only there is not green', async () => {
    const r = await runPodo(['diff', 'ks', '--all', '--path', repo, '--base-ref', 'HEAD', '--cluster-path', 'clusters/edge', '-o', 'json']);
    expect(r.code, r.stderr).toBe(1);
    const spoke = (JSON.parse(r.stdout) as Report).kustomizations.find((k) => k.name === 'spoke')!;
    expect(spoke.skipped).toBeUndefined();
    expect(spoke.resources.map((x) => `${x.kind}/${x.name} ${x.action}`)).toEqual(['ConfigMap/spoke-settings drifted']);
  });

  it('a substituteFrom source that cannot be read: its variables stay as written, never emptied; said once', async () => {
    const r = await runPodo(['diff', 'ks', '--all', '--path', repo, '--base-ref', 'HEAD', '--cluster-path', 'clusters/lab', '-o', 'json', '-v']);
    const lab = (JSON.parse(r.stdout) as Report).kustomizations.find((k) => k.name === 'apps')!;
    // The same unknowns at both refs: unchanged, not an "invalid YAML" failure hiding the Kustomization.
    expect((lab as { error?: string }).error).toBeUndefined();
    expect(lab.resources.filter((x) => x.action !== 'unchanged')).toEqual([]);
    const text = await runPodo(['build', 'ks', 'apps', '--path', path.join(repo, 'apps/lab'), '--kustomization-file', path.join(repo, 'clusters/lab/apps.yaml'), '--dry-run']);
    expect(text.stdout).toContain('host: web.${CLUSTER_DOMAIN}');
    expect(text.stdout).toContain('pair: ${A},${B}');
    expect(text.stderr).toContain('postBuild.substituteFrom not read (no cluster): ConfigMap/cluster-vars');
  });
});
