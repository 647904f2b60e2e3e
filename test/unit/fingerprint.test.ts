// The inputs fingerprint: equal exactly when the build would read the same bytes.
import { cpSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { canonical, inputsFingerprint, sameInputs, type Fingerprint } from '../../src/render/fingerprint.js';
import { openSourceTree } from '../../src/render/tree/source-tree.js';
import type { KustomizationSpec } from '../../src/model/kustomization.js';

const tmp = mkdtempSync(path.join(os.tmpdir(), 'podo-fingerprint-test-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const CM = (name: string) => `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: ${name}\n`;
const BASE: Record<string, string> = {
  'apps/a/kustomization.yaml': 'resources:\n- ../../base\n- cm.yaml\nconfigMapGenerator:\n- name: g\n  envs:\n  - app.env\n',
  'apps/a/cm.yaml': CM('a'),
  'apps/a/app.env': 'A=1\n',
  'base/kustomization.yaml': 'resources:\n- shared.yaml\n',
  'base/shared.yaml': CM('shared'),
  'docs/readme.md': 'hello\n',
};
const SPEC: KustomizationSpec = { name: 'a', namespace: 'flux-system', path: './apps/a', prune: true };

let n = 0;
function repo(files: Record<string, string>): string {
  const dir = path.join(tmp, `r${n++}`);
  for (const [f, text] of Object.entries(files)) {
    mkdirSync(path.dirname(path.join(dir, f)), { recursive: true });
    writeFileSync(path.join(dir, f), text);
  }
  return dir;
}

async function fp(dir: string, spec = SPEC): Promise<Fingerprint> {
  return inputsFingerprint(await openSourceTree(dir, []), 'apps/a', spec);
}

describe('inputsFingerprint', () => {
  it('is the same for identical inputs in two trees, whatever else differs', async () => {
    const a = repo(BASE);
    const b = repo({ ...BASE, 'docs/readme.md': 'changed\n', 'apps/other/x.yaml': CM('x'), 'apps/a/notes.txt': 'unreferenced\n' });
    const [fa, fb] = [await fp(a), await fp(b)];
    expect('digest' in fa).toBe(true);
    expect(sameInputs(fa, fb)).toBe(true);
  });

  it.each([
    ['a leaf file', { 'apps/a/cm.yaml': CM('a2') }],
    ['a shared base', { 'base/shared.yaml': CM('shared2') }],
    ['a generator source', { 'apps/a/app.env': 'A=2\n' }],
    ['a .sourceignore that drops a referenced file', { '.sourceignore': 'base/shared.yaml\n' }],
    ['a new kustomization file name beside the old', { 'base/kustomization.yml': 'resources: []\n' }],
  ])('changes with %s', async (_name, change) => {
    expect(sameInputs(await fp(repo(BASE)), await fp(repo({ ...BASE, ...change })))).toBe(false);
  });

  it('changes with the spec, not with its key order', async () => {
    const a = repo(BASE);
    expect(sameInputs(await fp(a), await fp(a, { ...SPEC, targetNamespace: 'x' }))).toBe(false);
    const reordered = { path: SPEC.path, prune: true, namespace: SPEC.namespace, name: SPEC.name } as KustomizationSpec;
    expect(sameInputs(await fp(a), await fp(a, reordered))).toBe(true);
    expect(canonical({ b: 1, a: [{ d: 2, c: undefined }] })).toBe('{"a":[{"d":2}],"b":1}');
  });

  it('a renamed directory the kustomization follows is a change', async () => {
    const renamed = { ...BASE, 'apps/a/kustomization.yaml': BASE['apps/a/kustomization.yaml'].replace('../../base', '../../common') } as Record<string, string>;
    renamed['common/kustomization.yaml'] = renamed['base/kustomization.yaml'];
    renamed['common/shared.yaml'] = renamed['base/shared.yaml'];
    expect(sameInputs(await fp(repo(BASE)), await fp(repo(renamed)))).toBe(false);
  });

  it('is unprovable, never equal, when the closure is not known or may hold a HelmRelease with a local chart source', async () => {
    const plugin = repo({ ...BASE, 'apps/a/kustomization.yaml': 'resources:\n- cm.yaml\nunknown: 1\n' });
    const f = await fp(plugin);
    expect(f).toEqual({ unprovable: 'apps/a/kustomization.yaml: field unknown' });
    expect(sameInputs(f, f)).toBe(false);
    const release = (kind: string) =>
      `apiVersion: helm.toolkit.fluxcd.io/v2\nkind: HelmRelease\nmetadata:\n  name: h\nspec:\n  chart:\n    spec:\n      chart: ./charts/web\n      sourceRef:\n        kind: ${kind}\n        name: src\n`;
    for (const kind of ['GitRepository', 'Bucket', 'ExternalArtifact']) {
      const local = repo({ ...BASE, 'apps/a/cm.yaml': release(kind) });
      expect(await fp(local)).toEqual({ unprovable: `apps/a/cm.yaml may hold a HelmRelease and apps/a/cm.yaml names a local chart source, whose chart is not part of the fingerprint` });
    }
    // The kind may come from a patch in the spec as well.
    const patched = { ...SPEC, patches: [{ patch: 'spec: {chart: {spec: {sourceRef: {kind: GitRepository}}}}' }] } as KustomizationSpec;
    expect(await fp(repo({ ...BASE, 'apps/a/cm.yaml': release('HelmRepository') }), patched)).toEqual({
      unprovable: 'apps/a/cm.yaml may hold a HelmRelease and the spec names a local chart source, whose chart is not part of the fingerprint',
    });
  });

  it('a HelmRelease whose chart comes from a chart repository or registry is covered: its source object is in the closure', async () => {
    const files = {
      ...BASE,
      'apps/a/kustomization.yaml': BASE['apps/a/kustomization.yaml'].replace('- cm.yaml\n', '- cm.yaml\n- release.yaml\n'),
      'apps/a/release.yaml':
        'apiVersion: source.toolkit.fluxcd.io/v1\nkind: HelmRepository\nmetadata:\n  name: charts\nspec:\n  url: https://charts.example.com\n---\napiVersion: helm.toolkit.fluxcd.io/v2\nkind: HelmRelease\nmetadata:\n  name: web\nspec:\n  chart:\n    spec:\n      chart: web\n      version: 1.0.0\n      sourceRef: {kind: HelmRepository, name: charts}\n',
    } as Record<string, string>;
    // The Kustomization's own sourceRef (a GitRepository) is not a chart's.
    const withSource = { ...SPEC, sourceRef: { kind: 'GitRepository', name: 'flux-system' } } as KustomizationSpec;
    const a = await fp(repo(files), withSource);
    expect('digest' in a).toBe(true);
    // What its chart may produce (CRDs) is not closure text: the closure's files are handed over for the
    // caller to prove it from the chart cache (render/helm/chart-effects.ts), else it is built once.
    expect('digest' in a && a.mayProduce.crds).toBe(false);
    expect('digest' in a && a.helm?.files.map((f) => f.path)).toContain('apps/a/release.yaml');
    expect(sameInputs(a, await fp(repo(files), withSource))).toBe(true);
    const bumped = { ...files, 'apps/a/release.yaml': files['apps/a/release.yaml'].replace('1.0.0', '1.1.0') };
    expect(sameInputs(a, await fp(repo(bumped), withSource))).toBe(false);
  });

  it('a byte-identical copy of the tree has the same fingerprint', async () => {
    const a = repo(BASE);
    const b = path.join(tmp, 'copy');
    cpSync(a, b, { recursive: true });
    expect(sameInputs(await fp(a), await fp(b))).toBe(true);
  });
});
