// A differential test for pull-request mode (issue 19): for each fixture, what `--all --base-ref` reports
// for every Kustomization the change touches equals what a run of that one Kustomization reports
// (`diff ks NAME --base-ref`, its spec picked with --kustomization-file). The one run must neither drop a
// change nor invent one: following clusters, children, dependsOn order and the unchanged proof change
// nothing a single run would say. Fixtures: several cluster directories (FluxInstance sync paths, an
// archive, a spoke with spec.kubeConfig) and a dependsOn chain whose first link fails to build while
// its dependents build on their own.
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { fluxKustomization, runPodo, writeTree } from '../helpers/cluster.js';

interface Entry {
  name: string;
  namespace: string;
  cluster?: string;
  error?: string;
  skipped?: string;
  resources: Array<{ action: string }>;
  helmReleases?: unknown[];
}

const cm = (name: string, ns: string, data: string) => `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: ${name}\n  namespace: ${ns}\ndata:\n${data}`;
const ks = (name: string, p: string, extraSpec = '') => fluxKustomization({ name, path: p, prune: true, extraSpec });
const dependsOn = (...names: string[]) => `  dependsOn:\n${names.map((n) => `    - name: ${n}\n`).join('')}`;

const instance = (cluster: string) =>
  `apiVersion: fluxcd.controlplane.io/v1\nkind: FluxInstance\nmetadata:\n  name: flux\n  namespace: flux-system\nspec:\n  distribution:\n    version: "2.x"\n  sync:\n    kind: GitRepository\n    url: https://github.com/example/home.git\n    ref: refs/heads/main\n    path: clusters/${cluster}\n`;

function gitRepo(base: Record<string, string>, change: Record<string, string>): string {
  const repo = writeTree(base);
  const git = (...args: string[]) => execFileSync('git', ['-C', repo, '-c', 'user.name=t', '-c', 'user.email=t@t', ...args], { stdio: 'ignore' });
  git('init', '-q', '.');
  git('add', '-A');
  git('commit', '-qm', 'base');
  for (const [rel, content] of Object.entries(change)) writeFileSync(path.join(repo, rel), content);
  return repo;
}

const FIXTURES: Record<string, { repo: () => string; specFile: (e: Entry) => string }> = {
  'several clusters, an archive and a spoke': {
    repo: () =>
      gitRepo(
        {
          'bootstrap/main.yaml': instance('main'),
          'bootstrap/edge.yaml': instance('edge'),
          'clusters/main/apps.yaml': ks('apps', './apps/main'),
          'clusters/main/infra.yaml': ks('infra', './infra'),
          'clusters/edge/apps.yaml': ks('apps', './apps/edge', dependsOn('infra')),
          'clusters/edge/infra.yaml': ks('infra', './infra'),
          'clusters/edge/spoke.yaml': ks('spoke', './spoke', '  kubeConfig:\n    secretRef:\n      name: spoke-kubeconfig\n'),
          'apps/main/kustomization.yaml': 'resources: [cm.yaml]\n',
          'apps/main/cm.yaml': cm('settings', 'default', '  tier: "1"\n'),
          'apps/edge/kustomization.yaml': 'resources: [cm.yaml]\n',
          'apps/edge/cm.yaml': cm('settings', 'edge', '  tier: "1"\n'),
          'infra/kustomization.yaml': 'resources: [ns.yaml]\n',
          'infra/ns.yaml': 'apiVersion: v1\nkind: Namespace\nmetadata:\n  name: edge\n',
          'spoke/kustomization.yaml': 'resources: [cm.yaml]\n',
          'spoke/cm.yaml': cm('spoke-settings', 'default', '  version: "1.13.3"\n'),
          '.archive/old/ks.yaml': ks('old', './.archive/old/app'),
          '.archive/old/app/kustomization.yaml': 'resources: []\n',
        },
        {
          'apps/main/cm.yaml': cm('settings', 'default', '  tier: "2"\n'),
          'apps/edge/cm.yaml': cm('settings', 'edge', '  tier: "3"\n  new: "yes"\n'),
          'spoke/cm.yaml': cm('spoke-settings', 'default', '  version: "1.19.3"\n'),
          'infra/ns.yaml': 'apiVersion: v1\nkind: Namespace\nmetadata:\n  name: edge\n  labels:\n    zone: b\n',
        },
      ),
    specFile: (e) => `clusters/${e.cluster!.split('/')[1]}/${e.name}.yaml`,
  },
  'a dependsOn chain whose first link fails': {
    repo: () =>
      gitRepo(
        {
          'clusters/prod/flux-system/gotk-sync.yaml': ks('flux-system', './clusters/prod'),
          'clusters/prod/a.yaml': ks('a', './apps/a'),
          'clusters/prod/b.yaml': ks('b', './apps/b', dependsOn('a')),
          'clusters/prod/c.yaml': ks('c', './apps/c', dependsOn('b')),
          'clusters/prod/d.yaml': ks('d', './apps/d'),
          'apps/a/kustomization.yaml': 'resources: [cm.yaml]\n',
          'apps/a/cm.yaml': cm('a', 'default', '  v: "1"\n'),
          'apps/b/kustomization.yaml': 'resources: [cm.yaml]\n',
          'apps/b/cm.yaml': cm('b', 'default', '  v: "1"\n'),
          'apps/c/kustomization.yaml': 'resources: [cm.yaml]\n',
          'apps/c/cm.yaml': cm('c', 'default', '  v: "1"\n'),
          'apps/d/kustomization.yaml': 'resources: [cm.yaml]\n',
          'apps/d/cm.yaml': cm('d', 'default', '  v: "1"\n'),
        },
        {
          // a no longer builds; b and c change on their own; d does not change.
          'apps/a/kustomization.yaml': 'resources: [cm.yaml, missing.yaml]\n',
          'apps/b/cm.yaml': cm('b', 'default', '  v: "2"\n'),
          'apps/c/cm.yaml': cm('c', 'default', '  v: "2"\n'),
        },
      ),
    specFile: (e) => (e.name === 'flux-system' ? 'clusters/prod/flux-system/gotk-sync.yaml' : `clusters/prod/${e.name}.yaml`),
  },
};

/** What a Kustomization's report says that a single run must say alike. */
const comparable = (e: Entry) => JSON.stringify({ error: e.error ?? null, skipped: e.skipped ?? null, resources: e.resources, helmReleases: e.helmReleases ?? [] }, null, 1);

const noCluster = () => ({ PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp', NO_COLOR: '1' });

describe('--all --base-ref equals the single runs of what the change touches', () => {
  for (const [name, fixture] of Object.entries(FIXTURES)) {
    it(name, async () => {
      const repo = fixture.repo();
      const all = await runPodo(['diff', 'ks', '--all', '--path', repo, '--base-ref', 'HEAD', '-o', 'json'], noCluster(), { exactEnv: true });
      expect([1, 2], all.stderr).toContain(all.code);
      const entries = (JSON.parse(all.stdout) as { kustomizations: Entry[] }).kustomizations;
      const touched = entries.filter((e) => e.error || e.skipped || e.resources.some((r) => r.action !== 'unchanged'));
      expect(touched.length).toBeGreaterThanOrEqual(3);
      for (const e of touched) {
        const file = path.join(repo, fixture.specFile(e));
        const spec = execFileSync('sed', ['-n', 's/^  path: //p', file], { encoding: 'utf8' }).trim();
        const one = await runPodo(
          ['diff', 'ks', e.name, '-n', e.namespace, '--path', path.join(repo, spec), '--kustomization-file', file, '--base-ref', 'HEAD', '-o', 'json'],
          noCluster(),
          { exactEnv: true },
        );
        const single = (JSON.parse(one.stdout || '{"kustomizations":[]}') as { kustomizations: Entry[] }).kustomizations[0];
        if (e.error) {
          // A build failure is the single run's error (exit 2, one line naming it) and --all's entry.
          expect(one.code, `${e.cluster ?? ''} ${e.name}`).toBe(2);
          expect(one.stderr).toContain('missing.yaml');
          expect(e.error).toContain('missing.yaml');
          continue;
        }
        expect(single, `${e.cluster ?? ''} ${e.name}: ${one.stderr}`).toBeDefined();
        expect(comparable(single), `${e.cluster ?? ''} ${e.name}`).toBe(comparable(e));
      }
    }, 120_000);
  }

  it('a failed dependency does not hide an independent dependent: evaluated, changed, and flagged', async () => {
    const repo = FIXTURES['a dependsOn chain whose first link fails'].repo();
    const r = await runPodo(['diff', 'ks', '--all', '--path', repo, '--base-ref', 'HEAD', '-o', 'json'], noCluster(), { exactEnv: true });
    expect(r.code, r.stderr).toBe(2);
    const by = (n: string) => (JSON.parse(r.stdout) as { kustomizations: Array<Entry & { notes: string[] }> }).kustomizations.find((k) => k.name === n)!;
    expect(by('a').error).toContain('missing.yaml');
    expect(by('b').resources.map((x) => x.action)).toEqual(['drifted']);
    expect(by('b').notes.join('\n')).toMatch(/dependency flux-system\/a failed: evaluated without its objects/);
    expect(by('c').resources.map((x) => x.action)).toEqual(['drifted']);
    // Untouched: proven unchanged without building.
    expect(by('d').resources).toEqual([]);
    expect(by('d').notes.join('\n')).toContain('inputs identical at HEAD: not built');
  }, 120_000);
});
