// Picking a chart's version from a chart repository's index.yaml (render/helm/repo-index.ts) as helm
// and source-controller do: the highest version satisfying the range, stable only unless the range
// names a prerelease, `*` when no version is given; package URLs made absolute against the repository.
import { describe, expect, it } from 'vitest';
import { parseIndex, pickIndexVersion } from '../../src/render/helm/repo-index.js';

const INDEX = `apiVersion: v1
entries:
  app:
  - version: 1.2.0
    urls: [app-1.2.0.tgz]
  - version: 2.0.0-rc.1
    urls: [https://cdn.example.com/app-2.0.0-rc.1.tgz]
  - version: 1.10.1
    urls: [charts/app-1.10.1.tgz]
  - version: 0.9.0
    urls: [app-0.9.0.tgz]
  other:
  - version: 3.0.0
    urls: []
`;
const index = parseIndex(INDEX, 'http://repo');

describe('pickIndexVersion', () => {
  it.each<[string | undefined, string | undefined]>([
    ['1.2.0', '1.2.0'],
    ['1.x', '1.10.1'],
    ['>=1.0.0 <1.5.0', '1.2.0'],
    ['>=1.0.0, <1.5.0', '1.2.0'],
    [undefined, '1.10.1'],
    ['*', '1.10.1'],
    ['>=2.0.0-0', '2.0.0-rc.1'],
    ['2.0.0-rc.1', '2.0.0-rc.1'],
    ['3.x', undefined],
  ])('version %s picks %s', (version, expected) => {
    expect(pickIndexVersion(index, 'http://repo/sub', 'app', version)?.version).toBe(expected);
  });

  it('makes package URLs absolute against the repository URL, as helm does', () => {
    expect(pickIndexVersion(index, 'http://repo/sub/', 'app', '1.2.0')?.url).toBe('http://repo/sub/app-1.2.0.tgz');
    expect(pickIndexVersion(index, 'http://repo/sub', 'app', '1.10.1')?.url).toBe('http://repo/sub/charts/app-1.10.1.tgz');
    expect(pickIndexVersion(index, 'http://repo', 'app', '>=2.0.0-0')?.url).toBe('https://cdn.example.com/app-2.0.0-rc.1.tgz');
  });

  it('finds nothing for a chart without a package URL or not in the index', () => {
    expect(pickIndexVersion(index, 'http://repo', 'other', '3.0.0')).toBeUndefined();
    expect(pickIndexVersion(index, 'http://repo', 'missing', undefined)).toBeUndefined();
  });

  it('refuses an index without entries', () => {
    expect(() => parseIndex('apiVersion: v1\n', 'http://repo')).toThrow(/has no entries/);
    expect(() => parseIndex(': : :\n\t-', 'http://repo')).toThrow(/not YAML/);
  });
});
