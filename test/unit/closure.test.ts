// The reference closure: what a Kustomization's build may read, found before anything is copied.
// Complete closures list exactly the files kustomize reads; anything the walk cannot prove gives up.
import { mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { referenceClosure } from '../../src/render/kustomize/kustomize-refs.js';
import { openSourceTree } from '../../src/render/tree/source-tree.js';
import { writeTree } from '../helpers/cluster.js';

const tmp = mkdtempSync(path.join(os.tmpdir(), 'podo-closure-test-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const CM = (name: string) => `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: ${name}\n`;

const repoWith = (files: Record<string, string>): string => writeTree(files, tmp);

async function closureOf(repo: string, dir: string, opts: { ignorePaths?: string[]; components?: string[] } = {}) {
  const tree = await openSourceTree(repo, opts.ignorePaths ?? []);
  return referenceClosure(tree, dir, opts.components);
}

const filesOf = (entries: Map<string, string>) => [...entries].filter(([, k]) => k === 'file').map(([p]) => p).sort();

describe('referenceClosure', () => {
  it('follows resources, components, patches, generators, crds, configurations, openapi and replacements — and nothing else', async () => {
    const repo = repoWith({
      'apps/prod/kustomization.yaml': [
        'resources:\n- ../base\n- extra.yaml',
        'components:\n- ../../components/tls',
        'patches:\n- path: patch.yaml\n- patch: |-\n    - op: add\n      path: /x\n      value: 1\n  target:\n    kind: ConfigMap',
        'patchesStrategicMerge:\n- psm.yaml\n- |-\n  apiVersion: v1\n  kind: ConfigMap\n  metadata:\n    name: inline',
        'patchesJson6902:\n- path: json.yaml\n  target:\n    kind: ConfigMap\n    name: a',
        'configMapGenerator:\n- name: g\n  files:\n  - key=conf/app.properties\n  - conf/plain.txt\n  envs:\n  - conf/app.env',
        'secretGenerator:\n- name: s\n  env: conf/old.env',
        'crds:\n- crds/thing.yaml',
        'configurations:\n- conf/namereference.yaml',
        'openapi:\n  path: schema.json',
        'replacements:\n- path: repl.yaml',
        'transformers:\n- |-\n  apiVersion: builtin\n  kind: PatchTransformer\n  metadata:\n    name: t\n  path: tpatch.yaml',
        'namespace: prod\nimages:\n- name: nginx\n  newTag: "1.2"\n',
      ].join('\n'),
      'apps/base/kustomization.yaml': 'resources:\n- cm.yaml\n',
      'apps/base/cm.yaml': CM('a'),
      'apps/base/unused.yaml': CM('unused'),
      'apps/prod/extra.yaml': CM('extra'),
      'apps/prod/patch.yaml': CM('a'),
      'apps/prod/psm.yaml': CM('a'),
      'apps/prod/json.yaml': '[]\n',
      'apps/prod/conf/app.properties': 'a=1\n',
      'apps/prod/conf/plain.txt': 'x\n',
      'apps/prod/conf/app.env': 'A=1\n',
      'apps/prod/conf/old.env': 'B=1\n',
      'apps/prod/conf/namereference.yaml': 'nameReference: []\n',
      'apps/prod/crds/thing.yaml': 'x: 1\n',
      'apps/prod/schema.json': '{}\n',
      'apps/prod/repl.yaml': '- source: {kind: ConfigMap}\n',
      'apps/prod/tpatch.yaml': CM('a'),
      'apps/prod/README.md': 'not read\n',
      'components/tls/kustomization.yaml': 'apiVersion: kustomize.config.k8s.io/v1alpha1\nkind: Component\nresources:\n- tls.yaml\n',
      'components/tls/tls.yaml': CM('tls'),
      'docs/big.md': 'unrelated\n',
    });
    const c = await closureOf(repo, 'apps/prod');
    expect(c.unprovable).toBeUndefined();
    expect(filesOf(c.entries)).toEqual(
      [
        'apps/base/cm.yaml',
        'apps/base/kustomization.yaml',
        'apps/prod/conf/app.env',
        'apps/prod/conf/app.properties',
        'apps/prod/conf/namereference.yaml',
        'apps/prod/conf/old.env',
        'apps/prod/conf/plain.txt',
        'apps/prod/crds/thing.yaml',
        'apps/prod/extra.yaml',
        'apps/prod/json.yaml',
        'apps/prod/kustomization.yaml',
        'apps/prod/patch.yaml',
        'apps/prod/psm.yaml',
        'apps/prod/repl.yaml',
        'apps/prod/schema.json',
        'apps/prod/tpatch.yaml',
        'components/tls/kustomization.yaml',
        'components/tls/tls.yaml',
      ].sort(),
    );
    // The other kustomization file names were looked up and are recorded as absent.
    expect(c.entries.get('apps/prod/kustomization.yml')).toBe('absent');
    expect(c.entries.get('apps/base')).toBe('dir');
  });

  it('without a kustomization file, lists what the Flux overlay would generate: YAML files, kustomization subdirectories', async () => {
    const repo = repoWith({
      'apps/a.yaml': CM('a'),
      'apps/notes.txt': 'skipped by Flux\n',
      'apps/nested/b.yml': CM('b'),
      'apps/sub/kustomization.yaml': 'resources:\n- c.yaml\n',
      'apps/sub/c.yaml': CM('c'),
      'apps/sub/d.yaml': CM('not listed by sub'),
    });
    const c = await closureOf(repo, 'apps', { components: [] });
    expect(c.unprovable).toBeUndefined();
    expect(filesOf(c.entries)).toEqual(['apps/a.yaml', 'apps/nested/b.yml', 'apps/sub/c.yaml', 'apps/sub/kustomization.yaml']);
  });

  it('spec.components are walked relative to the Kustomization path', async () => {
    const repo = repoWith({
      'apps/kustomization.yaml': 'resources:\n- a.yaml\n',
      'apps/a.yaml': CM('a'),
      'components/debug/kustomization.yaml': 'kind: Component\nresources:\n- d.yaml\n',
      'components/debug/d.yaml': CM('d'),
    });
    const c = await closureOf(repo, 'apps', { components: ['../components/debug'] });
    expect(filesOf(c.entries)).toContain('components/debug/d.yaml');
  });

  it('respects .sourceignore and --ignore-paths: an ignored reference is absent, as in the artifact', async () => {
    const repo = repoWith({
      '.sourceignore': 'apps/drafts/\n',
      'apps/kustomization.yaml': 'resources:\n- a.yaml\n- drafts/b.yaml\n- tmp/c.yaml\n',
      'apps/a.yaml': CM('a'),
      'apps/drafts/b.yaml': CM('b'),
      'apps/tmp/c.yaml': CM('c'),
    });
    const c = await closureOf(repo, 'apps', { ignorePaths: ['tmp/'] });
    expect(c.unprovable).toBeUndefined();
    expect(filesOf(c.entries)).toEqual(['apps/a.yaml', 'apps/kustomization.yaml']);
    expect(c.entries.get('apps/drafts/b.yaml')).toBe('absent');
    expect(c.entries.get('apps/tmp/c.yaml')).toBe('absent');
  });

  it.each([
    ['an unknown field', { 'apps/kustomization.yaml': 'resources: []\nhelmCharts:\n- name: x\n' }, /field helmCharts/],
    ['a plugin podo does not know', { 'apps/kustomization.yaml': 'transformers:\n- t.yaml\n', 'apps/t.yaml': 'apiVersion: example.com/v1\nkind: MyPlugin\nmetadata:\n  name: p\n' }, /plugin MyPlugin/],
    ['a transformer directory', { 'apps/kustomization.yaml': 'transformers:\n- t\n', 'apps/t/kustomization.yaml': 'resources: []\n' }, /is a directory/],
    ['a remote base', { 'apps/kustomization.yaml': 'resources:\n- github.com/example/repo//deploy?ref=v1\n' }, /looks remote/],
    ['a reference out of the repository', { 'apps/kustomization.yaml': 'resources:\n- ../../etc\n' }, /leaves the repository/],
    ['a directory resource without a kustomization file', { 'apps/kustomization.yaml': 'resources:\n- plain\n', 'apps/plain/a.yaml': CM('a') }, /has no kustomization file/],
    ['invalid YAML', { 'apps/kustomization.yaml': 'resources: [\n' }, /invalid YAML/],
    ['a generator reading a directory', { 'apps/kustomization.yaml': 'configMapGenerator:\n- name: g\n  files:\n  - conf\n', 'apps/conf/a': 'x' }, /is a directory/],
  ])('gives up on %s', async (_name, files, reason) => {
    const c = await closureOf(repoWith(files), 'apps');
    expect(c.unprovable).toMatch(reason);
  });

  it('gives up on a symlink in a directory it reads, referenced or not', async () => {
    const repo = repoWith({ 'apps/kustomization.yaml': 'resources:\n- a.yaml\n', 'apps/a.yaml': CM('a'), 'shared/b.yaml': CM('b') });
    symlinkSync('../shared/b.yaml', path.join(repo, 'apps/linked.yaml'));
    expect((await closureOf(repo, 'apps')).unprovable).toMatch(/apps\/linked.yaml is a symlink/);
  });

  it('does not depend on unrelated files: a large tree elsewhere adds nothing', async () => {
    const files: Record<string, string> = { 'apps/kustomization.yaml': 'resources:\n- a.yaml\n', 'apps/a.yaml': CM('a') };
    for (let i = 0; i < 200; i++) files[`docs/d${i % 10}/f${i}.md`] = 'x';
    const c = await closureOf(repoWith(files), 'apps');
    expect([...c.entries.keys()].some((p) => p.startsWith('docs'))).toBe(false);
  });
});
