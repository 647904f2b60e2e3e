// The report filters through the real CLI (--base-ref --all, no cluster): each flag narrows the report,
// the exit code follows what is left, and every format says what was filtered out.
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { runPodo, writeTree } from '../helpers/cluster.js';
import type { JsonReport } from '../../src/report/json.js';

const ks = (name: string) =>
  `apiVersion: kustomize.toolkit.fluxcd.io/v1\nkind: Kustomization\nmetadata:\n  name: ${name}\n  namespace: flux-system\nspec:\n  interval: 10m\n  path: ./${name}\n  prune: true\n  sourceRef: {kind: GitRepository, name: flux-system}\n`;
const cm = (name: string, app: string, data: string) => `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: ${name}\n  namespace: demo\n  labels: {app: ${app}}\ndata:\n${data}`;
const deploy = (replicas: number, lines: number) =>
  `apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\n  namespace: demo\n  labels: {app: web}\nspec:\n  replicas: ${replicas}\n  selector: {matchLabels: {app: web}}\n  template:\n    metadata: {labels: {app: web}}\n    spec:\n      containers:\n        - name: app\n          image: web:1\n          env:\n${Array.from({ length: lines }, (_, i) => `            - {name: V${String(i).padStart(2, '0')}, value: "x"}\n`).join('')}`;

describe('report filters through the CLI', () => {
  let repo: string;
  const base = (...extra: string[]) => ['diff', 'ks', '--all', '--path', repo, '--base-ref', 'main', '--progress-bar=false', ...extra];
  const json = async (...extra: string[]) => {
    const r = await runPodo(base('-o', 'json', ...extra));
    return { code: r.code, report: JSON.parse(r.stdout) as JsonReport, stderr: r.stderr };
  };
  const shown = (r: JsonReport) => r.kustomizations.flatMap((k) => k.resources.filter((x) => x.action !== 'unchanged').map((x) => `${x.kind}/${x.name} ${x.action}`));

  beforeAll(() => {
    repo = writeTree({
      'clusters/prod/apps.yaml': ks('apps'),
      'clusters/prod/infra.yaml': ks('infra'),
      'apps/kustomization.yaml': 'resources: [web.yaml, settings.yaml]\n',
      'apps/web.yaml': deploy(2, 20),
      'apps/settings.yaml': cm('settings', 'web', '  level: info\n  stamp: "1"\n'),
      'infra/kustomization.yaml': 'resources: [db.yaml]\n',
      'infra/db.yaml': cm('db', 'db', '  size: small\n'),
    });
    const git = (...a: string[]) => execFileSync('git', ['-c', 'commit.gpgsign=false', '-c', 'user.name=t', '-c', 'user.email=t@t', ...a], { cwd: repo, stdio: 'ignore' });
    git('init', '-q', '-b', 'main');
    git('add', '-A');
    git('commit', '-qm', 'base');
    writeFileSync(path.join(repo, 'apps/web.yaml'), deploy(3, 20));
    writeFileSync(path.join(repo, 'apps/settings.yaml'), cm('settings', 'web', '  level: info\n  stamp: "2"\n'));
    writeFileSync(path.join(repo, 'infra/db.yaml'), cm('db', 'db', '  size: large\n'));
  });

  it('without filters: three changes, no filtered field', async () => {
    const { code, report } = await json();
    expect(code).toBe(1);
    expect(shown(report).sort()).toEqual(['ConfigMap/db drifted', 'ConfigMap/settings drifted', 'Deployment/web drifted']);
    expect(report.filtered).toBeUndefined();
  });

  it('--kind and --skip-kind', async () => {
    const kind = await json('--kind', 'Deployment');
    expect(shown(kind.report)).toEqual(['Deployment/web drifted']);
    // The unchanged Kustomization objects of the cluster root are left out too.
    expect(kind.report.filtered).toMatchObject({ filters: ['--kind Deployment'], kustomizations: 0 });
    expect(kind.report.filtered!.objects).toBeGreaterThanOrEqual(2);
    const skip = await json('--skip-kind', 'deployment,kustomization');
    expect(shown(skip.report)).toEqual(['ConfigMap/settings drifted', 'ConfigMap/db drifted']);
  });

  it('-l/--selector, and a selector podo cannot read is a usage error', async () => {
    const { report } = await json('-l', 'app=db');
    expect(shown(report)).toEqual(['ConfigMap/db drifted']);
    const bad = await runPodo(base('-l', 'app in db'));
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/^podo: error: invalid --selector "app in db"/m);
  });

  it('--ignore-field and --ignore-field-file: no change left is no change (exit 0)', async () => {
    const file = path.join(repo, '..', `ignore-${Date.now()}.txt`);
    writeFileSync(file, '# noise\nConfigMap:/data/stamp\nConfigMap:/data/size\n');
    const { code, report } = await json('--ignore-field', 'Deployment:/spec/replicas', '--ignore-field-file', file);
    expect(shown(report)).toEqual([]);
    expect(code).toBe(0);
    expect(report.filtered).toEqual({
      filters: ['--ignore-field Deployment:/spec/replicas', '--ignore-field ConfigMap:/data/stamp', '--ignore-field ConfigMap:/data/size'],
      objects: 0,
      kustomizations: 0,
      ignoredFieldObjects: 3,
    });
    const bad = await runPodo(base('--ignore-field', 'spec.replicas'));
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('--ignore-field takes KIND:POINTER');
  });

  it('name globs with --all, said in text and markdown', async () => {
    const { report } = await json('infra*');
    expect(report.kustomizations.map((k) => k.name)).toEqual(['infra']);
    expect(report.filtered?.kustomizations).toBeGreaterThanOrEqual(2);
    const text = await runPodo(base('infra*'));
    expect(text.stdout).toMatch(/^Filtered out: \d+ Kustomizations \(--all infra\*\)$/m);
    const md = await runPodo(base('infra*', '-o', 'markdown'));
    expect(md.stdout).toMatch(/^ℹ Filtered out: \d+ Kustomizations \(--all infra\\\*\)$/m);
    const unified = await runPodo(base('infra*', '-o', 'unified'));
    expect(unified.stderr).toMatch(/^podo: Filtered out: \d+ Kustomizations \(--all infra\*\)$/m);
  });

  it('-U/--diff-context sets the context lines of unified and markdown diffs', async () => {
    const three = await runPodo(base('--kind', 'Deployment', '-o', 'unified'));
    const zero = await runPodo(base('--kind', 'Deployment', '-o', 'unified', '-U', '0'));
    const ten = await runPodo(base('--kind', 'Deployment', '-o', 'markdown', '--diff-context', '10'));
    expect(zero.stdout).toMatch(/^-  replicas: 2$/m);
    expect(zero.stdout.split('\n').filter((l) => l.startsWith(' ')).length).toBe(0);
    expect(three.stdout.split('\n').filter((l) => l.startsWith(' ')).length).toBe(6);
    expect(ten.stdout.split('\n').filter((l) => l.startsWith(' ')).length).toBeGreaterThan(three.stdout.split('\n').filter((l) => l.startsWith(' ')).length);
    const bad = await runPodo(base('-U', '-1'));
    expect(bad.code).toBe(2);
  });
});
