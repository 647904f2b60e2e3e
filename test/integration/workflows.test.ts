// Whole-cluster and pull-request workflows against the real API server: --all, --recursive,
// --kustomization-file, output formats and image-tag warnings.
import { beforeAll, describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { writeFileSync } from 'node:fs';
import { applyLive, ensureNamespace, kubeconfig, repoRoot, runPodo, uniqueName, writeTree } from '../helpers/cluster.js';

const owner = (ks: string, ns = 'flux-system') => `    kustomize.toolkit.fluxcd.io/name: ${ks}\n    kustomize.toolkit.fluxcd.io/namespace: ${ns}\n`;
const cm = (ns: string, name: string, value: string, labels = '') =>
  `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: ${name}\n  namespace: ${ns}\n${labels ? `  labels:\n${labels}` : ''}data:\n  value: "${value}"\n`;

function ks(o: { name: string; namespace: string; path: string; source: string; sourceNs?: string; prune?: boolean; inventory?: string[]; extra?: string }): string {
  const inv = o.inventory ? `status:\n  inventory:\n    entries:\n${o.inventory.map((id) => `      - id: ${id}\n        v: v1`).join('\n')}\n` : '';
  return `apiVersion: kustomize.toolkit.fluxcd.io/v1
kind: Kustomization
metadata:
  name: ${o.name}
  namespace: ${o.namespace}
spec:
  interval: 10m
  path: ${o.path}
  prune: ${o.prune ?? false}
  sourceRef:
    kind: GitRepository
    name: ${o.source}
${o.sourceNs ? `    namespace: ${o.sourceNs}\n` : ''}${o.extra ?? ''}${inv}`;
}

function gitInit(dir: string, remote: string): void {
  execFileSync('git', ['init', '-q', dir]);
  execFileSync('git', ['-C', dir, 'remote', 'add', 'origin', remote]);
}

// Several tests apply Kustomizations to flux-system: on a fresh cluster it must exist first.
beforeAll(() => ensureNamespace('flux-system'));

describe('--all', () => {
  it('diffs every Kustomization whose source is this repository, skips unmapped sources, groups output, exit 1', async () => {
    const nsA = uniqueName('all-a');
    const nsB = uniqueName('all-b');
    const app = uniqueName('all-app');
    for (const n of [nsA, nsB, app]) ensureNamespace(n);
    const url = `https://git.example.com/fleet/${nsA}.git`;
    applyLive(`apiVersion: source.toolkit.fluxcd.io/v1\nkind: GitRepository\nmetadata:\n  name: repo\n  namespace: ${nsA}\nspec:\n  interval: 1m\n  url: ${url}\n`);
    const repo = writeTree({
      'apps/same/kustomization.yaml': 'resources: [cm.yaml]\n',
      'apps/same/cm.yaml': cm(app, 'same', 'v1'),
      'apps/drift/kustomization.yaml': 'resources: [cm.yaml]\n',
      'apps/drift/cm.yaml': cm(app, 'drift', 'new'),
    });
    gitInit(repo, url.replace('https://', 'git@').replace('/fleet', ':fleet'));
    applyLive(
      [
        ks({ name: 'unchanged', namespace: nsA, path: './apps/same', source: 'repo' }),
        ks({ name: 'drifted', namespace: nsB, path: './apps/drift', source: 'repo', sourceNs: nsA }),
        ks({ name: 'elsewhere', namespace: nsB, path: './apps/drift', source: 'other-repo' }),
      ].join('---\n'),
    );
    applyLive(cm(app, 'same', 'v1', owner('unchanged', nsA)) + '---\n' + cm(app, 'drift', 'old', owner('drifted', nsB)));
    const r = await runPodo(['diff', 'kustomization', '--all', '--path', repo, '--kubeconfig', kubeconfig()]);
    expect(r.stderr).not.toContain('error');
    expect(r.code).toBe(1);
    const out = r.stdout;
    expect(out).toMatch(new RegExp(`Kustomization ${nsA}/unchanged\\b`));
    expect(out).toMatch(new RegExp(`Kustomization ${nsB}/drifted\\b`));
    expect(out).toContain(`► ConfigMap/${app}/drift drifted`);
    expect(out).toMatch(new RegExp(`Kustomization ${nsB}/elsewhere skipped: source GitRepository/${nsB}/other-repo is not mapped`));
    // Fixed order: by namespace, then name.
    expect(out.indexOf(`${nsA}/unchanged`)).toBeLessThan(out.indexOf(`${nsB}/drifted`));
    expect(out.indexOf(`${nsB}/drifted`)).toBeLessThan(out.indexOf(`${nsB}/elsewhere`));

    // -n limits --all to one namespace; --source maps the other repository.
    const other = writeTree({ 'apps/drift/kustomization.yaml': 'resources: [cm.yaml]\n', 'apps/drift/cm.yaml': cm(app, 'drift', 'old') });
    const n = await runPodo(['diff', 'ks', '--all', '-n', nsB, '--path', repo, '--kubeconfig', kubeconfig(), '--source', `GitRepository/${nsB}/other-repo=${other}`, '-o', 'json']);
    const doc = JSON.parse(n.stdout) as { kustomizations: Array<{ namespace: string; name: string; skipped?: string }> };
    expect(doc.kustomizations.map((k) => `${k.namespace}/${k.name}`)).toEqual([`${nsB}/drifted`, `${nsB}/elsewhere`]);
    expect(doc.kustomizations.every((k) => !k.skipped)).toBe(true);
  });
});

describe('--all with Kustomizations the pull request adds and removes', () => {
  it('diffs a new Kustomization from the build of its parent (all its objects created) and a dropped one as removed; existing ones keep their live specs', async () => {
    const fluxNs = uniqueName('all-new');
    const app = uniqueName('all-new-app');
    for (const n of [fluxNs, app]) ensureNamespace(n);
    const url = `https://git.example.com/fleet/${fluxNs}.git`;
    applyLive(`apiVersion: source.toolkit.fluxcd.io/v1\nkind: GitRepository\nmetadata:\n  name: repo\n  namespace: ${fluxNs}\nspec:\n  interval: 1m\n  url: ${url}\n`);
    const child = (name: string, p: string) => ks({ name, namespace: fluxNs, path: p, source: 'repo' });
    const repo = writeTree({
      'clusters/dev/kustomization.yaml': 'resources: [apps.yaml]\n',
      // In the cluster: root and old; the pull request adds added (and changes old's path, which --all does not follow: live spec).
      'clusters/dev/apps.yaml': [child('old', './apps/old-v2'), child('added', './apps/added')].join('---\n'),
      'apps/old/kustomization.yaml': 'resources: [cm.yaml]\n',
      'apps/old/cm.yaml': cm(app, 'old', 'same'),
      'apps/old-v2/kustomization.yaml': 'resources: [cm.yaml]\n',
      'apps/old-v2/cm.yaml': cm(app, 'old', 'changed'),
      'apps/added/kustomization.yaml': 'resources: [cm.yaml]\n',
      'apps/added/cm.yaml': cm(app, 'added', 'x'),
    });
    gitInit(repo, url);
    // The pull request also drops gone from the root's build: Flux deletes it (the root prunes), and its objects with it.
    const kid = (name: string) => `${fluxNs}_${name}_kustomize.toolkit.fluxcd.io_Kustomization`;
    applyLive(
      [
        ks({ name: 'root', namespace: fluxNs, path: './clusters/dev', source: 'repo', prune: true, inventory: [kid('old'), kid('gone')] }),
        child('old', './apps/old'),
        ks({ name: 'gone', namespace: fluxNs, path: './apps/gone', source: 'repo', prune: true, inventory: [`${app}_gone__ConfigMap`] }),
      ].join('---\n'),
    );
    applyLive(cm(app, 'old', 'same', owner('old', fluxNs)) + '---\n' + cm(app, 'gone', 'bye', owner('gone', fluxNs)));
    const r = await runPodo(['diff', 'ks', '--all', '-n', fluxNs, '--path', repo, '--kubeconfig', kubeconfig(), '-o', 'json']);
    expect(r.stderr).not.toContain('error');
    expect(r.code).toBe(1);
    const doc = JSON.parse(r.stdout) as { kustomizations: Array<{ name: string; notes: string[]; resources: Array<{ kind: string; name: string; action: string }> }> };
    const by = Object.fromEntries(doc.kustomizations.map((k) => [k.name, k]));
    expect(Object.keys(by).sort()).toEqual(['added', 'gone', 'old', 'root']);
    expect(by.root.resources.map((x) => `${x.kind}/${x.name}=${x.action}`).sort()).toEqual(['Kustomization/added=created', 'Kustomization/gone=deleted', 'Kustomization/old=drifted']);
    // The dropped child is diffed as removed: its inventory goes with it (deletionPolicy MirrorPrune, prune on).
    expect(by.gone.resources.map((x) => `${x.kind}/${x.name}=${x.action}`)).toEqual(['ConfigMap/gone=deleted']);
    expect(by.gone.notes.some((n) => n.startsWith('Kustomization removed'))).toBe(true);
    expect(by.added.resources.map((x) => `${x.kind}/${x.name}=${x.action}`)).toEqual(['ConfigMap/added=created']);
    expect(by.added.notes).toContain('new Kustomization: not in the cluster yet');
    // An existing child is diffed with its live spec, as flux diff --all does (--recursive uses the local one).
    expect(by.old.resources.map((x) => `${x.kind}/${x.name}=${x.action}`)).toEqual(['ConfigMap/old=unchanged']);
    // -n another namespace: the new child of this one is not followed into it.
    const other = await runPodo(['diff', 'ks', '--all', '-n', app, '--path', repo, '--kubeconfig', kubeconfig(), '-o', 'json']);
    expect((JSON.parse(other.stdout) as { kustomizations: unknown[] }).kustomizations).toEqual([]);
  });
});

describe('--recursive', () => {
  it('follows child Kustomizations with their local specs: changed, new and removed children', async () => {
    const ns = uniqueName('rec');
    ensureNamespace(ns);
    const parent = uniqueName('parent');
    const changed = `${parent}-changed`;
    const added = `${parent}-new`;
    const removed = `${parent}-removed`;
    const repo = writeTree({
      'clusters/dev/kustomization.yaml': 'resources: [children.yaml]\n',
      'clusters/dev/children.yaml': [
        ks({ name: changed, namespace: 'flux-system', path: './apps/v2', source: 'flux-system' }),
        ks({ name: added, namespace: 'flux-system', path: './apps/extra', source: 'flux-system' }),
      ].join('---\n'),
      'apps/v1/kustomization.yaml': 'resources: [cm.yaml]\n',
      'apps/v1/cm.yaml': cm(ns, 'app', 'one'),
      'apps/v2/kustomization.yaml': 'resources: [cm.yaml]\n',
      'apps/v2/cm.yaml': cm(ns, 'app', 'two'),
      'apps/extra/kustomization.yaml': 'resources: [cm.yaml]\n',
      'apps/extra/cm.yaml': cm(ns, 'extra', 'x'),
    });
    applyLive(
      [
        ks({
          name: parent,
          namespace: 'flux-system',
          path: './clusters/dev',
          source: 'flux-system',
          prune: true,
          inventory: [`flux-system_${changed}_kustomize.toolkit.fluxcd.io_Kustomization`, `flux-system_${removed}_kustomize.toolkit.fluxcd.io_Kustomization`],
        }),
        ks({ name: changed, namespace: 'flux-system', path: './apps/v1', source: 'flux-system' }),
        ks({ name: removed, namespace: 'flux-system', path: './apps/gone', source: 'flux-system', prune: true, inventory: [`${ns}_gone__ConfigMap`] }),
      ].join('---\n'),
    );
    applyLive(cm(ns, 'app', 'one', owner(changed)) + '---\n' + cm(ns, 'gone', 'bye', owner(removed)));
    const r = await runPodo(['diff', 'ks', parent, '--path', path.join(repo, 'clusters/dev'), '--recursive', '--kubeconfig', kubeconfig()]);
    expect(r.code).toBe(1);
    const out = r.stdout;
    // The parent would change the child's spec.path and delete the removed child.
    expect(out).toContain(`► Kustomization/flux-system/${changed} drifted`);
    expect(out).toContain(`► Kustomization/flux-system/${added} created`);
    expect(out).toContain(`► Kustomization/flux-system/${removed} deleted`);
    // The changed child is diffed with its local spec (./apps/v2), not the live one.
    expect(out).toMatch(new RegExp(`Kustomization flux-system/${changed}[\\s\\S]*► ConfigMap/${ns}/app drifted[\\s\\S]*- one\\n\\s+\\+ two`));
    expect(out).toContain(`► ConfigMap/${ns}/extra created`);
    // The removed child's inventory would be pruned.
    expect(out).toContain(`► ConfigMap/${ns}/gone deleted`);
  });
});

describe('--kustomization-file', () => {
  it('diffs a Kustomization not in the cluster yet with --ignore-not-found, and errors without it', async () => {
    const ns = uniqueName('kfile');
    ensureNamespace(ns);
    const name = uniqueName('fresh');
    const repo = writeTree({
      'apps/kustomization.yaml': 'resources: [cm.yaml]\n',
      'apps/cm.yaml': cm(ns, 'hello', 'world'),
      'flux.yaml': `apiVersion: v1\nkind: Namespace\nmetadata:\n  name: unrelated\n---\n${ks({ name, namespace: 'flux-system', path: './apps', source: 'flux-system', extra: `  targetNamespace: ${ns}\n` })}`,
    });
    const args = ['diff', 'ks', name, '--path', path.join(repo, 'apps'), '--kustomization-file', path.join(repo, 'flux.yaml'), '--kubeconfig', kubeconfig()];
    const without = await runPodo(args);
    expect(without.code).toBe(2);
    expect(without.stderr).toContain(`Kustomization flux-system/${name} not found`);
    const r = await runPodo([...args, '--ignore-not-found']);
    expect(r.code).toBe(1);
    expect(r.stdout).toContain(`► ConfigMap/${ns}/hello created`);
  });
});

describe('image-tag warnings', () => {
  it('warn for :latest and untagged images of created or drifted workloads; --fail-on-warnings exits 1', async () => {
    const ns = uniqueName('img');
    ensureNamespace(ns);
    const name = uniqueName('img');
    const deploy = (image: string, labels = '') => `apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  namespace: ${ns}
${labels ? `  labels:\n${labels}` : ''}spec:
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      containers:
        - {name: web, image: "${image}"}
        - {name: proxy, image: "registry:5000/envoy"}
`;
    applyLive(ks({ name, namespace: 'flux-system', path: './', source: 'flux-system' }));
    const repo = writeTree({ 'kustomization.yaml': 'resources: [d.yaml]\n', 'd.yaml': deploy('nginx:latest') });
    const r = await runPodo(['diff', 'ks', name, '--path', repo, '--kubeconfig', kubeconfig()]);
    expect(r.code).toBe(1);
    expect(r.stdout).toContain('nginx:latest');
    expect(r.stdout).toMatch(/container web: image nginx:latest uses the :latest tag/);
    expect(r.stdout).toMatch(/container proxy: image registry:5000\/envoy has no tag/);

    // Unchanged workload: no warning, exit 0; pinned image after the change: no warning.
    applyLive(deploy('nginx:1.27.0', owner(name)).replace('"registry:5000/envoy"', '"registry:5000/envoy:v1.30"'));
    const pinned = writeTree({ 'kustomization.yaml': 'resources: [d.yaml]\n', 'd.yaml': deploy('nginx:1.27.0').replace('"registry:5000/envoy"', '"registry:5000/envoy:v1.30"') });
    const p = await runPodo(['diff', 'ks', name, '--path', pinned, '--kubeconfig', kubeconfig(), '--fail-on-warnings']);
    expect(p.stdout).not.toContain('⚠');
    expect(p.code).toBe(0);
    const f = await runPodo(['diff', 'ks', name, '--path', repo, '--kubeconfig', kubeconfig(), '--fail-on-warnings', '-o', 'json']);
    expect(f.code).toBe(1);
    expect(JSON.parse(f.stdout).kustomizations[0].warnings.length).toBe(2);
  });
});

describe('progress', () => {
  it('never writes a spinner when stderr is not a terminal', async () => {
    const r = await runPodo(['diff', 'ks', 'x', '--path', '/nonexistent']);
    expect(r.stderr).not.toMatch(/[⠋⠙⠹⠸]/);
    void writeFileSync;
  });
});

describe('progress on a terminal', () => {
  // `script` gives podo a real pseudo-terminal, as a person at a shell would have.
  const onTty = (args: string[], env: Record<string, string>) =>
    execFileSync('script', ['-qec', [process.execPath, path.join(repoRoot, 'bin/podo'), ...args].map((a) => `'${a}'`).join(' '), '/dev/null'], {
      env: { ...process.env, CI: '', ...env },
      encoding: 'utf8',
    });

  it('shows a spinner with what is happening on a TTY, and none with --no-progress or in CI', () => {
    const name = uniqueName('tty');
    applyLive(ks({ name, namespace: 'flux-system', path: './', source: 'flux-system' }));
    const repo = writeTree({ 'kustomization.yaml': 'resources: [cm.yaml]\n', 'cm.yaml': cm('default', name, 'x') });
    const args = ['diff', 'ks', name, '--path', repo, '--kubeconfig', kubeconfig(), '--no-color'];
    const tty = (extra: string[], env: Record<string, string> = {}) => {
      try {
        return onTty([...args, ...extra], env);
      } catch (err) {
        return String((err as { stdout?: string }).stdout ?? '');
      }
    };
    const shown = tty([]);
    expect(shown).toMatch(/[⠋⠙⠹⠸⠼⠴⠦⠧⠇⠏] (building|dry-run \d+\/\d+)/);
    expect(shown).toContain(`► ConfigMap/default/${name} created`);
    expect(tty(['--no-progress'])).not.toMatch(/[⠋⠙⠹⠸⠼⠴⠦⠧⠇⠏]/);
    expect(tty([], { CI: 'true' })).not.toMatch(/[⠋⠙⠹⠸⠼⠴⠦⠧⠇⠏]/);
  });
});
