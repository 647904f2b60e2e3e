// --shard K/N: for N = 1, 2, 3 every shard of a run is run (-o json --with-objects) and the N reports
// merged with `podo report merge`; the merged report must be the single run's, byte for byte, in JSON
// and in Markdown (podo's reports hold no timing fields, so nothing is removed before comparing), with
// the single run's exit code. The shards' Kustomizations are the run's, each in exactly one shard, a
// dependsOn chain always in one. On the fleet fixture and on a small repository with a chain a → b → c
// and independent d, e; against the real cluster and with --base-ref.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { beforeAll, describe, expect, it, vi } from 'vitest';
import { applyLive, ensureNamespace, fluxKustomization, kubeconfig, runPodo, writeTree, type RunResult } from '../helpers/cluster.js';
import { applyProduction, change, fleetRepo, LOCAL_SOURCES } from '../helpers/fleet.js';
import type { JsonReport } from '../../src/report/json.js';

// Each case runs podo about twenty times on a shared two-core machine.
vi.setConfig({ testTimeout: 300_000 });

const noCluster = (): NodeJS.ProcessEnv => {
  const env: NodeJS.ProcessEnv = { ...process.env, KUBECONFIG: '/nonexistent/kubeconfig', NO_COLOR: '1' };
  delete env.PODO_TEST_KUBECONFIG;
  return env;
};
const withCluster = (args: string[]) => runPodo([...args, '--kubeconfig', kubeconfig()]);
const withoutCluster = (args: string[]) => runPodo(args, noCluster(), { exactEnv: true });

const idsOf = (r: RunResult): string[] => (JSON.parse(r.stdout) as JsonReport).kustomizations.map((k) => `${k.cluster ? `${k.cluster}: ` : ''}${k.namespace}/${k.name}`);

/** What a run with --shard K/N (for N = 1, 2, 3) and the merge of its N reports give, checked against the single run. */
async function shardedEqualsSingle(run: (args: string[]) => Promise<RunResult>, args: string[]): Promise<Map<number, string[][]>> {
  const single = await run([...args, '-o', 'json', '--with-objects']);
  expect(single.stderr).toBe('');
  expect(single.code).toBe(1);
  const singleMd = await run([...args, '-o', 'markdown']);
  expect(singleMd.code).toBe(1);
  const all = idsOf(single);
  expect(all.length).toBeGreaterThan(3);
  const byN = new Map<number, string[][]>();
  for (const n of [1, 2, 3]) {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'podo-shards-'));
    const files: string[] = [];
    const parts: string[][] = [];
    for (let k = 1; k <= n; k++) {
      const r = await run([...args, '-o', 'json', '--with-objects', '--shard', `${k}/${n}`]);
      const doc = JSON.parse(r.stdout) as JsonReport;
      expect(doc.shard).toEqual({ index: k, total: n });
      // A shard's exit code is that of a run over its part alone: every Kustomization here is evaluated,
      // so 1 when its part changes something, else 0 (an empty shard too).
      expect(doc.kustomizations.every((x) => !x.error && !x.skipped), r.stderr).toBe(true);
      const s = doc.summary;
      expect(r.code, `shard ${k}/${n}`).toBe(s.created + s.drifted + s.deleted + s.replaced > 0 ? 1 : 0);
      parts.push(idsOf(r));
      files.push(path.join(dir, `shard-${k}.json`));
      writeFileSync(files[k - 1], r.stdout);
    }
    // Every Kustomization of the run in exactly one shard.
    expect(parts.flat().sort()).toEqual([...all].sort());
    expect(new Set(parts.flat()).size).toBe(all.length);
    // The merge, in any order of its files, is the single run.
    const merged = await runPodo(['report', 'merge', ...[...files].reverse(), '-o', 'json', '--with-objects']);
    expect(merged.code).toBe(single.code);
    expect(merged.stdout).toBe(single.stdout);
    const mergedMd = await runPodo(['report', 'merge', ...files, '-o', 'markdown']);
    expect(mergedMd.code).toBe(singleMd.code);
    expect(mergedMd.stdout).toBe(singleMd.stdout);
    byN.set(n, parts);
  }
  // The split is real: for some N every shard has Kustomizations of its own.
  expect([2, 3].some((n) => byN.get(n)!.every((p) => p.length > 0))).toBe(true);
  return byN;
}

/** `namespace/name`s that must share a shard do, for every N. */
function together(byN: Map<number, string[][]>, ids: string[]): void {
  for (const [n, parts] of byN) {
    const holding = parts.filter((p) => ids.some((id) => p.some((x) => x.endsWith(id))));
    expect(holding, `N=${n}: ${ids.join(', ')}`).toHaveLength(1);
    for (const id of ids) expect(holding[0].some((x) => x.endsWith(id)), `N=${n}: ${id}`).toBe(true);
  }
}

describe('--shard on the fleet fixture', () => {
  let repo: string;
  beforeAll(async () => {
    repo = fleetRepo();
    await applyProduction(repo);
    change(repo);
  }, 180_000);

  it('against the cluster: the shards merged are the single run; infra-controllers → infra-configs → apps stay together', async () => {
    const byN = await shardedEqualsSingle(withCluster, ['diff', 'ks', '--all', '-n', 'fleet-system', '--path', repo, '--local-sources', LOCAL_SOURCES]);
    together(byN, ['fleet-system/infra-controllers', 'fleet-system/infra-configs', 'fleet-system/apps']);
  });

  it('with --base-ref over both cluster directories: the same', async () => {
    const byN = await shardedEqualsSingle(withoutCluster, ['diff', 'ks', '--all', '--path', repo, '--base-ref', 'HEAD', '--local-sources', LOCAL_SOURCES]);
    together(byN, ['clusters/production: fleet-system/infra-controllers', 'clusters/production: fleet-system/infra-configs', 'clusters/production: fleet-system/apps']);
    // A Kustomization applied by another (not a cluster root) goes with it.
    together(byN, ['clusters/production: fleet-system/tenants', 'clusters/production: fleet-team-a/team-a']);
  });
});

describe('--shard on a dependsOn chain a → b → c with independent d and e', () => {
  let ns: string;
  let repo: string;
  const apps = ['a', 'b', 'c', 'd', 'e'];
  const dependsOn: Record<string, string | undefined> = { b: 'a', c: 'b' };
  const configMap = (app: string, value: string) => `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: ${app}-settings\n  namespace: ${ns}\ndata:\n  value: ${value}\n`;
  /** What kustomize-controller puts on what flux-system applies. */
  const ownerLabels = () => `  labels:\n    kustomize.toolkit.fluxcd.io/name: flux-system\n    kustomize.toolkit.fluxcd.io/namespace: ${ns}\n`;
  const kustomizationOf = (app: string) =>
    fluxKustomization({ name: app, namespace: ns, path: `./apps/${app}`, extraSpec: dependsOn[app] ? `  dependsOn:\n    - name: ${dependsOn[app]}\n` : '' }).replace(
      `  namespace: ${ns}\nspec:`,
      `  namespace: ${ns}\n${ownerLabels()}spec:`,
    );

  beforeAll(() => {
    // A fixed namespace (this file's alone): the groups' shards, a hash of their names, are then fixed too.
    ns = 'podo-shard';
    const files: Record<string, string> = {
      'clusters/one/flux-system.yaml': fluxKustomization({ name: 'flux-system', namespace: ns, path: './clusters/one' }),
      'clusters/one/apps.yaml': apps.map(kustomizationOf).join('---\n'),
    };
    for (const app of apps) {
      files[`apps/${app}/kustomization.yaml`] = 'resources: [settings.yaml]\n';
      files[`apps/${app}/settings.yaml`] = configMap(app, 'old');
    }
    repo = writeTree(files);
    const git = (args: string[]) => execFileSync('git', ['-c', 'commit.gpgsign=false', '-c', 'user.name=t', '-c', 'user.email=t@example.invalid', ...args], { cwd: repo, stdio: 'ignore' });
    git(['init', '--quiet', '--initial-branch=main']);
    git(['add', '-A']);
    git(['commit', '--quiet', '-m', 'chain']);
    // The cluster as Flux left it after applying the commit.
    ensureNamespace(ns);
    applyLive(apps.map((a) => configMap(a, 'old')).join('---\n'));
    applyLive([fluxKustomization({ name: 'flux-system', namespace: ns, path: './clusters/one' }).replace(`  namespace: ${ns}\nspec:`, `  namespace: ${ns}\n${ownerLabels()}spec:`), ...apps.map(kustomizationOf)].join('---\n'));
    // The pull request changes every app.
    for (const app of apps) writeFileSync(path.join(repo, `apps/${app}/settings.yaml`), configMap(app, 'new'));
  });

  const sources = () => `GitRepository/${ns}/flux-system=${repo}`;

  it('against the cluster: the shards merged are the single run; the chain lands in one shard', async () => {
    const byN = await shardedEqualsSingle(withCluster, ['diff', 'ks', '--all', '-n', ns, '--path', repo, '--local-sources', sources()]);
    together(byN, [`${ns}/a`, `${ns}/b`, `${ns}/c`]);
  });

  it('with --base-ref: the same', async () => {
    const byN = await shardedEqualsSingle(withoutCluster, ['diff', 'ks', '--all', '--path', repo, '--base-ref', 'HEAD', '--local-sources', sources()]);
    together(byN, [`${ns}/a`, `${ns}/b`, `${ns}/c`]);
  });
});

describe('--shard usage', () => {
  it('a value that is not K/N with 1 ≤ K ≤ N, or --shard without --all: one line, exit 2', async () => {
    const dir = writeTree({ 'cm.yaml': 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\n' });
    for (const v of ['0/2', '3/2', 'a/b']) {
      const r = await withoutCluster(['diff', 'ks', '--all', '--path', dir, '--base-ref', 'HEAD', '--shard', v]);
      expect(r.code).toBe(2);
      expect(r.stdout).toBe('');
      expect(r.stderr).toBe(`podo: error: --shard must be K/N with 1 ≤ K ≤ N (e.g. 2/3), got "${v}"\n`);
    }
    const r = await withoutCluster(['diff', 'ks', 'apps', '--path', dir, '--base-ref', 'HEAD', '--shard', '1/2']);
    expect(r.code).toBe(2);
    expect(r.stderr).toBe('podo: error: --shard K/N splits the Kustomizations of --all: add --all\n');
  });
});
