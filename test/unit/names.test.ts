import { describe, expect, it } from 'vitest';
import { nameProblem, namespaceProblem } from '../../src/cluster/names.js';
import { objectPath, collectionPath, type ResourceInfo } from '../../src/cluster/discovery.js';
import { parseRetryAfter } from '../../src/cluster/http.js';
import { specPathProblem } from '../../src/render/tree/containment.js';

const secrets: ResourceInfo = { group: '', version: 'v1', kind: 'Secret', plural: 'secrets', namespaced: true, verbs: [] };

describe('names are data, not paths', () => {
  it.each(['.', '..', '', 'a/b', 'a%2Fb', 'A', 'a_b', '-a', 'a'.repeat(254)])('refuses %j for a Secret', (n) => {
    expect(nameProblem('Secret', n)).toBeDefined();
    expect(() => objectPath(secrets, n, 'default')).toThrow();
  });

  it.each(['a', 'a.b', 'a-b.c-d', '0x'])('accepts %j for a Secret', (n) => {
    expect(nameProblem('Secret', n)).toBeUndefined();
    expect(objectPath(secrets, n, 'default')).toBe(`/api/v1/namespaces/default/secrets/${n}`);
  });

  it('applies the rules of each kind: RBAC path segments, Service DNS-1035 labels, Namespace labels', () => {
    expect(nameProblem('ClusterRole', 'system:controller:x')).toBeUndefined();
    expect(nameProblem('ClusterRole', '..')).toBeDefined();
    expect(nameProblem('Service', 'a.b')).toBeDefined();
    expect(nameProblem('Service', '1a')).toBeDefined();
    expect(nameProblem('Namespace', 'a.b')).toBeDefined();
    expect(namespaceProblem('..')).toBeDefined();
  });

  it('a namespaced object without its namespace never becomes a cluster-wide URL', () => {
    expect(() => objectPath(secrets, 'x', undefined)).toThrow(/namespace/);
    expect(() => collectionPath(secrets, '..')).toThrow(/namespace/);
    expect(collectionPath(secrets, undefined)).toBe('/api/v1/secrets');
  });
});

describe('Retry-After', () => {
  it('reads seconds and HTTP dates, and ignores garbage', () => {
    expect(parseRetryAfter('3')).toBe(3);
    expect(parseRetryAfter(undefined)).toBeUndefined();
    expect(parseRetryAfter('soon')).toBeUndefined();
    const d = parseRetryAfter(new Date(Date.now() + 5000).toUTCString())!;
    expect(d).toBeGreaterThan(3);
    expect(d).toBeLessThanOrEqual(5);
  });
});

describe('spec.path escapes', () => {
  it.each(['../outside', '..', 'a/../../b', './../x', '/../x'])('refuses %j', (p) => expect(specPathProblem(p)).toMatch(/outside the repository root/));
  it.each(['./apps', 'apps/../apps', '/abs/inside', '.', undefined])('accepts %j', (p) => expect(specPathProblem(p)).toBeUndefined());
});
