// The inputs fingerprint: equal exactly when the build would read the same bytes.
import { cpSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { canonical, inputsFingerprint, sameInputs, type Fingerprint } from '../../src/render/fingerprint.js';
import { openSourceTree } from '../../src/render/source-tree.js';
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

  it('is unprovable, never equal, when the closure is not known or may hold a HelmRelease', async () => {
    const plugin = repo({ ...BASE, 'apps/a/kustomization.yaml': 'resources:\n- cm.yaml\nunknown: 1\n' });
    const f = await fp(plugin);
    expect(f).toEqual({ unprovable: 'apps/a/kustomization.yaml: field unknown' });
    expect(sameInputs(f, f)).toBe(false);
    const helm = repo({ ...BASE, 'apps/a/cm.yaml': 'apiVersion: helm.toolkit.fluxcd.io/v2\nkind: HelmRelease\nmetadata:\n  name: h\n' });
    expect(await fp(helm)).toEqual({ unprovable: 'apps/a/cm.yaml may hold a HelmRelease, whose chart is not part of the fingerprint' });
  });

  it('a byte-identical copy of the tree has the same fingerprint', async () => {
    const a = repo(BASE);
    const b = path.join(tmp, 'copy');
    cpSync(a, b, { recursive: true });
    expect(sameInputs(await fp(a), await fp(b))).toBe(true);
  });
});
