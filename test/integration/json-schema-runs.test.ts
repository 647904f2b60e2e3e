// Real `podo diff -o json` runs validate against schema/diff-report.v1alpha1.json: changes, skips, a
// Kustomization that fails inside --all, a failed single run (still a report, with `error`), and a diff
// against the real cluster.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { applyLive, fluxKustomization, kubeconfig, repoRoot, runPodo, uniqueName, writeTree } from '../helpers/cluster.js';

const schema = JSON.parse(readFileSync(path.join(repoRoot, 'schema/diff-report.v1alpha1.json'), 'utf8')) as object;
const validate = new Ajv2020({ allErrors: true, strict: true }).compile(schema);

interface Report {
  $schema: string;
  summary: Record<string, number>;
  kustomizations: { name: string; error?: string; skipped?: string; resources: { name: string; action: string; changes: { change: string }[] }[] }[];
}

function valid(stdout: string): Report {
  const doc = JSON.parse(stdout) as Report;
  expect(validate(doc), JSON.stringify(validate.errors, null, 2)).toBe(true);
  expect(doc.$schema).toBe((schema as { $id: string }).$id);
  return doc;
}

const noCluster = { KUBECONFIG: '/nonexistent/kubeconfig', HOME: mkdtempSync(path.join(os.tmpdir(), 'podo-home-')) };

function fluxKs(name: string, p: string, extra = ''): string {
  return `apiVersion: kustomize.toolkit.fluxcd.io/v1\nkind: Kustomization\nmetadata:\n  name: ${name}\n  namespace: flux-system\nspec:\n  interval: 10m\n  path: ${p}\n  prune: true\n  sourceRef: {kind: GitRepository, name: flux-system}\n${extra}`;
}
const cm = (name: string, data: string) => `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: ${name}\n  namespace: demo\ndata:\n${data}`;

/** A git repository with a base commit, then the working tree changed on top of it. */
function repoWithChange(): string {
  const repo = writeTree({
    'clusters/prod/apps.yaml': fluxKs('apps', './apps'),
    'clusters/prod/paused.yaml': fluxKs('paused', './paused', '  suspend: true\n'),
    'clusters/prod/broken.yaml': fluxKs('broken', './broken'),
    'apps/kustomization.yaml': 'resources: [a.yaml, b.yaml, c.yaml]\n',
    'apps/a.yaml': cm('a', '  k: v1\n  list: x\n'),
    'apps/b.yaml': cm('b', '  k: same\n'),
    'apps/c.yaml': cm('c', '  k: gone\n'),
    'paused/cm.yaml': cm('p', '  k: v\n'),
    'broken/kustomization.yaml': 'resources: [cm.yaml]\n',
    'broken/cm.yaml': cm('ok', '  k: v\n'),
  });
  const git = (...a: string[]) => execFileSync('git', ['-c', 'commit.gpgsign=false', '-c', 'user.name=t', '-c', 'user.email=t@t', ...a], { cwd: repo, stdio: 'ignore' });
  git('init', '-q', '-b', 'main');
  git('add', '-A');
  git('commit', '-qm', 'base');
  // The change: a drifts (modify + add + remove), c is removed, d is created, broken no longer builds.
  const put = (rel: string, text: string) => writeFileSync(path.join(repo, rel), text);
  put('apps/kustomization.yaml', 'resources: [a.yaml, b.yaml, d.yaml]\n');
  rmSync(path.join(repo, 'apps/c.yaml'));
  put('apps/a.yaml', cm('a', '  k: v2\n  added: y\n'));
  put('apps/d.yaml', cm('d', '  k: new\n'));
  put('broken/kustomization.yaml', 'resources: [missing.yaml]\n');
  return repo;
}

describe('-o json validates against the published schema', () => {
  const repo = repoWithChange();

  it('one Kustomization against a git ref: created, drifted (modify/add/remove), deleted, unchanged', async () => {
    const r = await runPodo(['diff', 'ks', 'apps', '--path', path.join(repo, 'apps'), '--base-ref', 'main', '-o', 'json'], noCluster);
    expect(r.code, r.stderr).toBe(1);
    const doc = valid(r.stdout);
    const actions = Object.fromEntries(doc.kustomizations[0].resources.map((x) => [x.name, x.action]));
    expect(actions).toEqual({ a: 'drifted', b: 'unchanged', c: 'deleted', d: 'created' });
    const kinds = doc.kustomizations[0].resources.find((x) => x.name === 'a')!.changes.map((c) => c.change).sort();
    expect(kinds).toEqual(['add', 'modify', 'remove']);
  });

  it('--all: a skipped Kustomization and one that fails, next to one with changes', async () => {
    const r = await runPodo(['diff', 'ks', '--all', '--path', repo, '--base-ref', 'main', '-o', 'json'], noCluster);
    expect(r.code).toBe(2);
    const doc = valid(r.stdout);
    const byName = Object.fromEntries(doc.kustomizations.map((k) => [k.name, k]));
    expect(byName.paused.skipped).toMatch(/suspend/);
    expect(byName.broken.error).toMatch(/missing\.yaml/);
    expect(byName.apps.resources.length).toBe(4);
  });

  it('a single run that fails still prints a report with `error` on stdout, and exits 2', async () => {
    const r = await runPodo(['diff', 'ks', 'broken', '--path', path.join(repo, 'broken'), '--base-ref', 'main', '-o', 'json'], noCluster);
    expect(r.code).toBe(2);
    const doc = valid(r.stdout);
    expect(doc.kustomizations).toHaveLength(1);
    expect(doc.kustomizations[0].name).toBe('broken');
    expect(doc.kustomizations[0].error).toMatch(/missing\.yaml/);
    expect(r.stderr).toMatch(/^podo: error: .*missing\.yaml/m);
  });

  it('a single run against an unreachable cluster is a report with `error` too', async () => {
    const kc = writeTree({
      config: 'apiVersion: v1\nkind: Config\ncurrent-context: c\nclusters:\n- name: c\n  cluster: {server: "https://127.0.0.1:1"}\ncontexts:\n- name: c\n  context: {cluster: c, user: u}\nusers:\n- name: u\n  user: {token: t}\n',
    });
    const r = await runPodo(['diff', 'ks', 'apps', '--path', path.join(repo, 'apps'), '--kubeconfig', path.join(kc, 'config'), '--timeout', '5s', '-o', 'json']);
    expect(r.code).toBe(2);
    expect(valid(r.stdout).kustomizations[0].error).toMatch(/cannot reach the cluster/);
  });

  it('a diff against the real cluster', async () => {
    const ns = uniqueName('schema');
    const name = uniqueName('ks');
    const dir = writeTree({
      'kustomization.yaml': 'resources: [cm.yaml]\n',
      'cm.yaml': `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: settings\n  namespace: ${ns}\ndata:\n  level: info\n`,
    });
    applyLive(`apiVersion: v1\nkind: Namespace\nmetadata:\n  name: ${ns}\n---\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: settings\n  namespace: ${ns}\ndata:\n  level: debug\n`);
    applyLive(fluxKustomization({ name, path: './' }));
    const r = await runPodo(['diff', 'ks', name, '--path', dir, '--kubeconfig', kubeconfig(), '-o', 'json', '--progress-bar=false']);
    expect(r.code, r.stderr).toBe(1);
    const doc = valid(r.stdout);
    expect(doc.kustomizations[0].resources[0]).toMatchObject({ name: 'settings', action: 'drifted' });
  });
});
