// Copying only a Kustomization's reference closure must never change an answer: every build here
// runs twice through the real pipeline and real kustomize, once with the closure copy and once with
// the whole repository copied (the fallback), and the objects or the error must be the same.
// No cluster needed.
import { cpSync, mkdtempSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { buildKustomization } from '../../src/render/index.js';
import { findKustomize } from '../../src/render/kustomize/kustomize.js';
import { parseObjects } from '../../src/render/documents.js';
import { referenceClosure } from '../../src/render/kustomize/kustomize-refs.js';
import { openSourceTree } from '../../src/render/tree/source-tree.js';
import { specFromObject } from '../../src/flux/spec.js';
import type { KustomizationSpec } from '../../src/model/kustomization.js';
import { writeTree } from '../helpers/cluster.js';

const FIXTURES = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../fixtures');
const kustomize = findKustomize(undefined, process.env);
const tmp = mkdtempSync(path.join(os.tmpdir(), 'podo-closure-build-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const CM = (name: string, extra = '') => `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: ${name}\n${extra}`;

type Outcome = { objects: unknown } | { error: string };

async function outcome(repo: string, spec: KustomizationSpec, fullCopy: boolean, ignorePaths: string[] = []): Promise<Outcome> {
  try {
    const r = await buildKustomization({ path: path.join(repo, spec.path ?? '.'), spec, settings: { kustomize, strictSubstitute: false, ignorePaths, fullCopy } });
    return { objects: r.objects };
  } catch (err) {
    // kubectl's klog prefix carries a timestamp and a pid: the only part allowed to differ.
    const message = (err as Error).message.replace(/E\d{4} [\d:.]+\s+\d+ /g, 'E ');
    return { error: `${(err as Error).constructor.name}: ${message}` };
  }
}

/** Builds both ways; returns the closure's verdict too, so a test can say which path it exercised. */
async function both(repo: string, spec: KustomizationSpec, ignorePaths: string[] = []) {
  const closure = await referenceClosure(await openSourceTree(repo, ignorePaths), path.posix.normalize(spec.path ?? '.').replace(/^\.$/, ''), spec.components);
  const [viaClosure, viaFull] = [await outcome(repo, spec, false, ignorePaths), await outcome(repo, spec, true, ignorePaths)];
  return { viaClosure, viaFull, unprovable: closure.unprovable };
}

function specsOf(file: string): KustomizationSpec[] {
  return parseObjects(readFileSync(file, 'utf8'), file).map((o) => specFromObject(o, file).spec);
}

const repoWith = (files: Record<string, string>): string => writeTree(files, tmp);
const spec = (p: string, extra: Partial<KustomizationSpec> = {}): KustomizationSpec => ({ name: 'x', namespace: 'flux-system', path: p, ...extra });

describe('closure copy and full copy give the same build', () => {
  const overlayCases = ['generated', 'sourceignore', 'target-namespace', 'name-prefix-suffix', 'patches', 'images', 'components', 'common-metadata'];
  // Copied out of podo's own git work tree first: inside it, the repository boundary would be podo's
  // whole checkout, escaping test symlinks and all (a full copy refuses those, the closure never reads them).
  const fixture = (name: string) => {
    const dir = path.join(tmp, `fixture-${name}`);
    cpSync(path.join(FIXTURES, 'overlay', name), dir, { recursive: true, verbatimSymlinks: true });
    return dir;
  };

  it.each(overlayCases)('overlay fixture %s (closure proven)', async (name) => {
    const dir = fixture(name);
    for (const s of specsOf(path.join(dir, 'kustomization.yaml'))) {
      const r = await both(path.join(dir, 'repo'), s, name === 'sourceignore' ? ['tmp/'] : []);
      expect(r.unprovable).toBeUndefined();
      expect('objects' in r.viaClosure).toBe(true);
      expect(r.viaClosure).toEqual(r.viaFull);
    }
  });

  it('outside-root fixtures fail the same way (the closure gives up, the full copy checks)', async () => {
    const dir = fixture('outside-root');
    for (const s of specsOf(path.join(dir, 'kustomization.yaml'))) {
      const r = await both(path.join(dir, 'repo'), s);
      expect('error' in r.viaClosure).toBe(true);
      expect(r.viaClosure).toEqual(r.viaFull);
    }
  });

  it.each([
    ['a missing resource', { 'apps/kustomization.yaml': 'resources:\n- a.yaml\n- missing.yaml\n', 'apps/a.yaml': CM('a') }],
    ['an ignored resource', { '.sourceignore': 'apps/b.yaml\n', 'apps/kustomization.yaml': 'resources:\n- a.yaml\n- b.yaml\n', 'apps/a.yaml': CM('a'), 'apps/b.yaml': CM('b') }],
    ['two kustomization files', { 'apps/kustomization.yaml': 'resources:\n- a.yaml\n', 'apps/kustomization.yml': 'resources: []\n', 'apps/a.yaml': CM('a') }],
    ['a non-manifest YAML in a generated kustomization', { 'apps/values.yaml': 'replicas: 3\n', 'apps/a.yaml': CM('a') }],
    ['an empty kustomization file', { 'apps/kustomization.yaml': '', 'apps/a.yaml': CM('a') }],
    ['a shared base, component and generator', {
      'apps/prod/kustomization.yaml': 'resources:\n- ../base\ncomponents:\n- ../../components/env\nconfigMapGenerator:\n- name: g\n  envs:\n  - app.env\n',
      'apps/prod/app.env': 'A=1\n',
      'apps/base/kustomization.yaml': 'resources:\n- cm.yaml\n',
      'apps/base/cm.yaml': CM('base', 'data:\n  x: "1"\n'),
      'components/env/kustomization.yaml': 'apiVersion: kustomize.config.k8s.io/v1alpha1\nkind: Component\npatches:\n- path: p.yaml\n',
      'components/env/p.yaml': CM('base', 'data:\n  env: prod\n'),
      'docs/unrelated.md': 'x',
    }],
    ['an unknown field (full-copy fallback)', { 'apps/kustomization.yaml': 'resources:\n- a.yaml\nunknownField: 1\n', 'apps/a.yaml': CM('a') }],
  ])('%s', async (_name, files: Record<string, string>) => {
    const p = files['apps/prod/kustomization.yaml'] ? './apps/prod' : './apps';
    const r = await both(repoWith(files), spec(p));
    expect(r.viaClosure).toEqual(r.viaFull);
  });

  it('spec.components and spec.patches merged by the overlay', async () => {
    const repo = repoWith({
      'apps/kustomization.yaml': 'resources:\n- a.yaml\n',
      'apps/a.yaml': CM('a'),
      'components/c/kustomization.yaml': 'apiVersion: kustomize.config.k8s.io/v1alpha1\nkind: Component\nresources:\n- c.yaml\n',
      'components/c/c.yaml': CM('c'),
    });
    const r = await both(repo, spec('./apps', { components: ['../components/c'], patches: [{ patch: 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\ndata:\n  y: "2"\n' }] }));
    expect(r.unprovable).toBeUndefined();
    expect(r.viaClosure).toEqual(r.viaFull);
    expect(JSON.stringify(r.viaClosure)).toContain('"name":"c"');
  });

  it('a symlink falls back to the full copy, with the same answers', async () => {
    const repo = repoWith({ 'apps/kustomization.yaml': 'resources:\n- a.yaml\n- linked.yaml\n', 'apps/a.yaml': CM('a'), 'shared/b.yaml': CM('b') });
    symlinkSync('../shared/b.yaml', path.join(repo, 'apps/linked.yaml'));
    const r = await both(repo, spec('./apps'));
    expect(r.unprovable).toMatch(/symlink/);
    expect(r.viaClosure).toEqual(r.viaFull);
    expect('objects' in r.viaClosure).toBe(true);
  });
});
