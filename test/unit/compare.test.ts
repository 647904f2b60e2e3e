import { describe, expect, it } from 'vitest';
import { compareObjects, jsonEqual } from '../../src/diff/compare.js';
import { changeCount, summarize } from '../../src/model/summary.js';
import type { ResourceChange } from '../../src/model/change.js';

describe('compareObjects', () => {
  it('finds nothing in equal documents, whatever the key order', () => {
    const before = { a: 1, b: { c: [1, 2], d: null } };
    const after = { b: { d: null, c: [1, 2] }, a: 1 };
    expect(compareObjects(before, after)).toEqual([]);
  });

  it('reports a changed scalar as modify at its full path', () => {
    expect(compareObjects({ spec: { replicas: 2 } }, { spec: { replicas: 3 } })).toEqual([
      { path: ['spec', 'replicas'], kind: 'modify', from: 2, to: 3 },
    ]);
  });

  it('walks nested maps and reports changes in the order of the new document', () => {
    const before = { metadata: { labels: { a: '1', b: '1' } }, spec: { x: { y: { z: true } } } };
    const after = { spec: { x: { y: { z: false } } }, metadata: { labels: { b: '2', a: '2' } } };
    expect(compareObjects(before, after).map((c) => c.path.join('.'))).toEqual([
      'spec.x.y.z',
      'metadata.labels.b',
      'metadata.labels.a',
    ]);
  });

  it('groups added keys into one add at the parent path', () => {
    const before = { metadata: { labels: { app: 'web' } } };
    const after = { metadata: { labels: { app: 'web', team: 'platform', tier: 'front' } } };
    expect(compareObjects(before, after)).toEqual([
      { path: ['metadata', 'labels'], kind: 'add', to: { team: 'platform', tier: 'front' } },
    ]);
  });

  it('groups removed keys into one remove at the parent path, after the changes below it', () => {
    const before = { data: { a: '1', old: 'x', older: 'y' } };
    const after = { data: { a: '2' } };
    expect(compareObjects(before, after)).toEqual([
      { path: ['data', 'a'], kind: 'modify', from: '1', to: '2' },
      { path: ['data'], kind: 'remove', from: { old: 'x', older: 'y' } },
    ]);
  });

  it('reports a renamed key as a removal followed by an addition', () => {
    expect(compareObjects({ data: { old: 'v' } }, { data: { new: 'v' } })).toEqual([
      { path: ['data'], kind: 'remove', from: { old: 'v' } },
      { path: ['data'], kind: 'add', to: { new: 'v' } },
    ]);
  });

  it('treats an added empty map or list as an add of that key', () => {
    expect(compareObjects({ spec: {} }, { spec: { selector: {}, ports: [] } })).toEqual([
      { path: ['spec'], kind: 'add', to: { selector: {}, ports: [] } },
    ]);
  });

  it('reports a change of type, including string to number', () => {
    expect(compareObjects({ a: 'text', b: '8080', c: null }, { a: { k: 'v' }, b: 8080, c: 'x' })).toEqual([
      { path: ['a'], kind: 'type', from: 'text', to: { k: 'v' } },
      { path: ['b'], kind: 'type', from: '8080', to: 8080 },
      { path: ['c'], kind: 'type', from: null, to: 'x' },
    ]);
  });

  it('reports a type change at the root', () => {
    expect(compareObjects([1], { a: 1 })).toEqual([{ path: [], kind: 'type', from: [1], to: { a: 1 } }]);
  });

  it('reports a multi-line string change as a plain modify', () => {
    const from = 'line 1\nline 2\n';
    const to = 'line 1\nline two\n';
    expect(compareObjects({ data: { 'app.conf': from } }, { data: { 'app.conf': to } })).toEqual([
      { path: ['data', 'app.conf'], kind: 'modify', from, to },
    ]);
  });

  describe('lists with identity', () => {
    const container = (name: string, image: string) => ({ name, image });

    it('addresses items by name', () => {
      const before = { containers: [container('app', 'nginx:1.26'), container('sidecar', 'envoy:1')] };
      const after = { containers: [container('app', 'nginx:1.27'), container('sidecar', 'envoy:1')] };
      expect(compareObjects(before, after)).toEqual([
        { path: ['containers', 'app', 'image'], kind: 'modify', from: 'nginx:1.26', to: 'nginx:1.27' },
      ]);
    });

    it('addresses Service ports by name, as flux diff prints spec.ports.http.port', () => {
      const before = { spec: { ports: [{ name: 'http', port: 9899 }, { name: 'grpc', port: 9999 }] } };
      const after = { spec: { ports: [{ name: 'http', port: 9898 }, { name: 'grpc', port: 9999 }] } };
      expect(compareObjects(before, after)).toEqual([
        { path: ['spec', 'ports', 'http', 'port'], kind: 'modify', from: 9899, to: 9898 },
      ]);
    });

    it('falls back to key, then id, then manager', () => {
      expect(compareObjects({ items: [{ key: 'a', v: 1 }] }, { items: [{ key: 'a', v: 2 }] })[0].path).toEqual([
        'items',
        'a',
        'v',
      ]);
      expect(compareObjects({ items: [{ id: 7, v: 1 }] }, { items: [{ id: 7, v: 2 }] })[0].path).toEqual([
        'items',
        '7',
        'v',
      ]);
      expect(
        compareObjects({ m: [{ manager: 'kubectl', op: 'Apply' }] }, { m: [{ manager: 'kubectl', op: 'Update' }] })[0]
          .path,
      ).toEqual(['m', 'kubectl', 'op']);
    });

    it('groups added and removed items into one change each at the list path', () => {
      const before = { env: [{ name: 'A', value: '1' }, { name: 'OLD', value: 'x' }] };
      const after = { env: [{ name: 'A', value: '1' }, { name: 'B', value: '2' }, { name: 'C', value: '3' }] };
      expect(compareObjects(before, after)).toEqual([
        { path: ['env'], kind: 'remove', from: [{ name: 'OLD', value: 'x' }] },
        { path: ['env'], kind: 'add', to: [{ name: 'B', value: '2' }, { name: 'C', value: '3' }] },
      ]);
    });

    it('reports the same items in another order as one order change with the identities', () => {
      const before = { env: [{ name: 'A' }, { name: 'B' }, { name: 'C' }] };
      const after = { env: [{ name: 'C' }, { name: 'A' }, { name: 'B' }] };
      expect(compareObjects(before, after)).toEqual([
        { path: ['env'], kind: 'order', from: ['A', 'B', 'C'], to: ['C', 'A', 'B'] },
      ]);
    });

    it('does not see an order change when items are only added in between', () => {
      const before = { env: [{ name: 'A' }, { name: 'C' }] };
      const after = { env: [{ name: 'A' }, { name: 'B' }, { name: 'C' }] };
      expect(compareObjects(before, after)).toEqual([{ path: ['env'], kind: 'add', to: [{ name: 'B' }] }]);
    });

    it('ignores an identifier that is not unique in both lists', () => {
      const before = { items: [{ name: 'x', v: 1 }, { name: 'y', v: 1 }] };
      const after = { items: [{ name: 'x', v: 2 }, { name: 'x', v: 1 }] };
      expect(compareObjects(before, after)).toEqual([
        { path: ['items', '0', 'v'], kind: 'modify', from: 1, to: 2 },
        { path: ['items', '1', 'name'], kind: 'modify', from: 'y', to: 'x' },
      ]);
    });
  });

  describe('lists without identity', () => {
    it('compares scalars by index', () => {
      expect(compareObjects({ args: ['--a', '--b'] }, { args: ['--a', '--c'] })).toEqual([
        { path: ['args', '1'], kind: 'modify', from: '--b', to: '--c' },
      ]);
    });

    it('compares maps without identifier by index', () => {
      const before = { rules: [{ host: 'a.example.com' }, { host: 'b.example.com' }] };
      const after = { rules: [{ host: 'a.example.com' }, { host: 'c.example.com' }] };
      expect(compareObjects(before, after)).toEqual([
        { path: ['rules', '1', 'host'], kind: 'modify', from: 'b.example.com', to: 'c.example.com' },
      ]);
    });

    it('reports items only inserted or only deleted as one add or remove, not shifted values', () => {
      expect(compareObjects({ args: ['a', 'c'] }, { args: ['a', 'b', 'c', 'd'] })).toEqual([
        { path: ['args'], kind: 'add', to: ['b', 'd'] },
      ]);
      expect(compareObjects({ args: ['a', 'b', 'c'] }, { args: ['a', 'c'] })).toEqual([
        { path: ['args'], kind: 'remove', from: ['b'] },
      ]);
    });

    it('reports extra items beyond the common length when items also changed', () => {
      expect(compareObjects({ args: ['a', 'b'] }, { args: ['x', 'b', 'c'] })).toEqual([
        { path: ['args', '0'], kind: 'modify', from: 'a', to: 'x' },
        { path: ['args'], kind: 'add', to: ['c'] },
      ]);
    });

    it('reports the same scalars in another order as an order change', () => {
      expect(compareObjects({ verbs: ['get', 'list', 'watch'] }, { verbs: ['watch', 'get', 'list'] })).toEqual([
        { path: ['verbs'], kind: 'order', from: ['get', 'list', 'watch'], to: ['watch', 'get', 'list'] },
      ]);
    });
  });

  it('is deterministic', () => {
    const before = { a: [{ name: 'x', v: [1, 2] }], b: { c: 'd' } };
    const after = { b: { c: 'e', f: 'g' }, a: [{ name: 'x', v: [2, 1] }] };
    expect(compareObjects(before, after)).toEqual(compareObjects(before, after));
  });
});

describe('jsonEqual', () => {
  it('ignores map key order but not list order', () => {
    expect(jsonEqual({ a: 1, b: 2 }, { b: 2, a: 1 })).toBe(true);
    expect(jsonEqual([1, 2], [2, 1])).toBe(false);
    expect(jsonEqual({ a: 1 }, { b: 1 })).toBe(false);
  });
});

describe('summarize', () => {
  const ref = { apiVersion: 'v1', kind: 'ConfigMap', name: 'x' };
  const of = (...actions: ResourceChange['action'][]): ResourceChange[] =>
    actions.map((action) => ({ ref, action, changes: [] }));

  it('counts resources by action', () => {
    expect(summarize(of('created', 'drifted', 'drifted', 'skipped', 'failed', 'unchanged'))).toEqual({
      created: 1,
      drifted: 2,
      deleted: 0,
      replaced: 0,
      skipped: 1,
      unchanged: 1,
      failed: 1,
    });
  });

  it('counts as changes only what the apply would change', () => {
    expect(changeCount(summarize(of('created', 'drifted', 'deleted', 'replaced', 'skipped', 'unchanged', 'failed')))).toBe(4);
    expect(changeCount(summarize([]))).toBe(0);
  });
});
