// The one field table both reference walks read (render/kustomize/kustomization-fields.ts), checked
// against kustomize's own lists: api/types/kustomization.go (the Kustomization struct) and
// api/internal/builtins.
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { referenceClosure } from '../../src/render/kustomize/kustomize-refs.js';
import { KUSTOMIZATION_FIELDS, LENIENT, strictReading } from '../../src/render/kustomize/kustomization-fields.js';
import { referencesIn, type Reference } from '../../src/render/kustomize/reference-walk.js';
import { openSourceTree } from '../../src/render/tree/source-tree.js';
import type { JsonObject } from '../../src/model/object.js';
import { writeTree } from '../helpers/cluster.js';

const tmp = mkdtempSync(path.join(os.tmpdir(), 'podo-fields-test-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const CM = (name: string) => `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: ${name}\n`;

async function closureOf(files: Record<string, string>, dir: string) {
  return referenceClosure(await openSourceTree(writeTree(files, tmp), []), dir);
}

/** Every reference of K, plugin-config files answered with no configs. */
function referencesOf(k: JsonObject, strict: boolean): Reference[] {
  const reading = strict ? strictReading((why) => { throw new Error(why); }) : LENIENT;
  const out: Reference[] = [];
  const refs = referencesIn(k, 'kustomization.yaml', reading);
  for (let r = refs.next(); !r.done; r = refs.next(undefined)) out.push(r.value);
  return out;
}

describe('the kustomization field table', () => {
  it("holds every field of kustomize's Kustomization struct", () => {
    // api/types/kustomization.go at kubernetes-sigs/kustomize 12f9e63 (TypeMeta inline: apiVersion, kind).
    const kustomize = [
      'apiVersion', 'kind', 'metadata', 'openapi', 'namePrefix', 'nameSuffix', 'namespace', 'commonLabels', 'labels',
      'commonAnnotations', 'patchesStrategicMerge', 'patchesJson6902', 'patches', 'images', 'imageTags', 'replacements',
      'replicas', 'vars', 'sortOptions', 'resources', 'components', 'crds', 'bases', 'configMapGenerator', 'secretGenerator',
      'helmGlobals', 'helmCharts', 'helmChartInflationGenerator', 'generatorOptions', 'configurations', 'generators',
      'transformers', 'validators', 'buildMetadata',
    ];
    expect(Object.keys(KUSTOMIZATION_FIELDS).sort()).toEqual([...kustomize].sort());
  });

  it('imageTags (deprecated images) names no file: the closure is proven', async () => {
    const c = await closureOf(
      { 'apps/kustomization.yaml': 'resources:\n- a.yaml\nimageTags:\n- name: nginx\n  newTag: "1.2"\n', 'apps/a.yaml': CM('a') },
      'apps',
    );
    expect(c.unprovable).toBeUndefined();
    expect([...c.entries].filter(([, k]) => k === 'file').map(([p]) => p).sort()).toEqual(['apps/a.yaml', 'apps/kustomization.yaml']);
  });

  it('an IAMPolicyGenerator plugin config names no file: the closure is proven', async () => {
    const c = await closureOf(
      {
        'apps/kustomization.yaml': 'resources:\n- a.yaml\ngenerators:\n- iam.yaml\n',
        'apps/a.yaml': CM('a'),
        'apps/iam.yaml': 'apiVersion: builtin\nkind: IAMPolicyGenerator\nmetadata:\n  name: iam\ncloud: gke\nkubernetesService:\n  namespace: default\nserviceAccount:\n  name: sa\n  projectId: p\n',
      },
      'apps',
    );
    expect(c.unprovable).toBeUndefined();
    expect(c.entries.get('apps/iam.yaml')).toBe('file');
  });

  it('both readings find the same references in a well-formed kustomization, in field order', () => {
    const k: JsonObject = {
      validators: ['v.yaml'],
      resources: ['base', 'a.yaml'],
      openapi: { path: 'schema.json' },
      configMapGenerator: [{ name: 'g', files: ['k=conf/a.properties'], envs: ['conf/a.env'], env: 'conf/old.env' }],
      patches: [{ path: 'p.yaml' }, { patch: 'inline' }],
      patchesStrategicMerge: ['psm.yaml', 'apiVersion: v1\nkind: ConfigMap\n'],
      transformers: ['apiVersion: builtin\nkind: PatchTransformer\nmetadata:\n  name: t\npath: t.yaml\n'],
      namespace: 'x',
    };
    const expected = [
      ['resources', 'base', 'kustomization'],
      ['resources', 'a.yaml', 'kustomization'],
      ['patchesStrategicMerge', 'psm.yaml', 'file'],
      ['patches', 'p.yaml', 'file'],
      ['configMapGenerator', 'conf/a.properties', 'file'],
      ['configMapGenerator', 'conf/a.env', 'file'],
      ['configMapGenerator', 'conf/old.env', 'file'],
      ['openapi', 'schema.json', 'file'],
      ['transformers', 't.yaml', 'file'],
      ['validators', 'v.yaml', 'plugin-configs'],
    ];
    for (const strict of [false, true]) {
      expect(referencesOf(k, strict).map((r) => [r.field, r.entry, r.role])).toEqual(expected);
    }
  });

  it('the lenient reading skips what is not a reference; the strict one says why it gives up', () => {
    const k: JsonObject = { resources: 'a.yaml', patches: [{ path: 3 }] };
    expect(referencesOf(k, false).map((r) => r.entry)).toEqual(['a.yaml']);
    expect(() => referencesOf(k, true)).toThrow('kustomization.yaml: resources is not a list');
  });
});
