// The Flux source kinds registry (sources/kinds/): one list that --local-sources, its help, the cluster
// list and the repository scan read.
import { describe, expect, it } from 'vitest';
import { CHECKOUT_KINDS, SOURCE_KIND_NAMES, SOURCE_KINDS, sourceKind } from '../../src/sources/kinds/index.js';
import { parseLocalSource } from '../../src/sources/local-sources.js';
import { mayDefineFluxObject } from '../../src/sources/repository.js';
import { flagNamed, helpOf } from '../../src/cli/flags.js';
import type { KubeObject } from '../../src/model/object.js';

describe('the source kind registry', () => {
  it("holds kustomize-controller's sourceRef kinds, once each", () => {
    expect(SOURCE_KIND_NAMES).toEqual(['GitRepository', 'OCIRepository', 'Bucket', 'ExternalArtifact']);
    expect(new Set(SOURCE_KIND_NAMES).size).toBe(SOURCE_KINDS.length);
    expect(sourceKind('HelmRepository')).toBeUndefined();
  });

  it('--local-sources accepts every kind of the registry and names them all in its help and its refusal', () => {
    for (const kind of SOURCE_KIND_NAMES) expect(parseLocalSource(`${kind}/ns/name=./x`).kind).toBe(kind);
    const flag = flagNamed('--local-sources')!;
    for (const command of ['diff', 'build'] as const) expect(helpOf(flag, command)).toContain(`(${SOURCE_KIND_NAMES.join(', ')})`);
    expect(() => parseLocalSource('HelmChart/ns/x=./x')).toThrow(`the kind must be one of ${SOURCE_KIND_NAMES.join(', ')}, got HelmChart`);
  });

  it('only a GitRepository may be served by the checkout, and the scan keeps its manifests of any source.toolkit version', () => {
    expect(CHECKOUT_KINDS.map((k) => k.kind)).toEqual(['GitRepository']);
    const git = CHECKOUT_KINDS[0]!;
    const obj = (apiVersion: string, kind: string) => ({ apiVersion, kind, metadata: { name: 'x' } }) as KubeObject;
    expect(git.isManifest(obj('source.toolkit.fluxcd.io/v1beta2', 'GitRepository'))).toBe(true);
    expect(git.isManifest(obj('source.toolkit.fluxcd.io/v1', 'OCIRepository'))).toBe(false);
    expect(git.isManifest(obj('example.com/v1', 'GitRepository'))).toBe(false);
    expect(mayDefineFluxObject('apiVersion: source.toolkit.fluxcd.io/v1\nkind: GitRepository\n')).toBe(true);
    expect(mayDefineFluxObject('apiVersion: source.toolkit.fluxcd.io/v1\nkind: Bucket\n')).toBe(false);
  });
});
