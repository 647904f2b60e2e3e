// What an unchanged build's charts can produce, proven from the chart cache without rendering
// (render/helm/chart-effects.ts): only the plain shape with pinned, cached charts is proven inert.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { chartEffects } from '../../src/render/helm/chart-effects.js';
import { repoKey, type ChartCache } from '../../src/render/helm/chart-cache.js';
import type { KustomizationSpec } from '../../src/model/kustomization.js';

const tmp = mkdtempSync(path.join(os.tmpdir(), 'podo-chart-effects-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

function chart(name: string, files: Record<string, string>): string {
  const dir = path.join(tmp, name);
  for (const [rel, text] of Object.entries({ 'Chart.yaml': `apiVersion: v2\nname: ${name}\nversion: 1.0.0\n`, ...files })) {
    mkdirSync(path.dirname(path.join(dir, rel)), { recursive: true });
    writeFileSync(path.join(dir, rel), text);
  }
  return dir;
}

const URL = 'https://charts.example.com';
const charts: Record<string, string> = {
  plain: chart('plain', { 'templates/cm.yaml': 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\n' }),
  crds: chart('crds', { 'crds/w.yaml': 'apiVersion: apiextensions.k8s.io/v1\nkind: CustomResourceDefinition\n' }),
  templated: chart('templated', { 'templates/crd.yaml': '{{- if .Values.crds }}\nkind: CustomResourceDefinition\n{{- end }}\n' }),
  packed: chart('packed', { 'charts/sub-1.0.0.tgz': 'not read' }),
  flux: chart('flux', { 'templates/ks.yaml': 'apiVersion: kustomize.toolkit.fluxcd.io/v1\nkind: Kustomization\n' }),
};
const cache: ChartCache = {
  get: (key) => Object.entries(charts).find(([name]) => key === repoKey(URL, name, '1.0.0'))?.[1],
  put: (_key, dir) => dir,
};

const SPEC = { name: 'a', namespace: 'flux-system', path: './a' } as KustomizationSpec;
const repo = `apiVersion: source.toolkit.fluxcd.io/v1\nkind: HelmRepository\nmetadata:\n  name: charts\n  namespace: demo\nspec:\n  url: ${URL}\n`;
const release = (chartName: string, version = '1.0.0') =>
  `apiVersion: helm.toolkit.fluxcd.io/v2\nkind: HelmRelease\nmetadata:\n  name: r\n  namespace: demo\nspec:\n  chart:\n    spec:\n      chart: ${chartName}\n      version: "${version}"\n      sourceRef: {kind: HelmRepository, name: charts}\n`;
const files = (rel: string, kustomization = 'resources: [release.yaml]\n') => [
  { path: 'a/kustomization.yaml', text: kustomization },
  { path: 'a/release.yaml', text: `${repo}---\n${rel}` },
];
const effects = (f: { path: string; text: string }[], spec: KustomizationSpec = SPEC) => chartEffects(f, spec, { cache });

describe('chartEffects', () => {
  it('a release pinned to a cached chart that names no CRD is inert', async () => {
    expect(await effects(files(release('plain')))).toEqual({ inert: true });
  });

  it.each([
    ['a chart with crds/', files(release('crds')), /may create CRDs \(crds\/w.yaml\)/],
    ['a chart whose templates may render a CRD', files(release('templated')), /may create CRDs/],
    ['a chart with a packed subchart', files(release('packed')), /packed subchart/],
    ['a chart that may render a Flux Kustomization', files(release('flux')), /Flux Kustomization/],
    ['a version range', files(release('plain', '^1.0.0')), /not exact/],
    ['a chart not in the cache', files(release('other')), /not in the chart cache/],
    ['a kustomization with patches', files(release('plain'), 'resources: [release.yaml]\npatches: []\n'), /has patches/],
    ['a List', [{ path: 'a/kustomization.yaml', text: 'resources: [l.yaml]\n' }, { path: 'a/l.yaml', text: 'kind: List\nitems: []\n' }], /List/],
    ['a source that is not in the build', [{ path: 'a/kustomization.yaml', text: 'resources: [r.yaml]\n' }, { path: 'a/r.yaml', text: release('plain') }], /not in the build/],
  ])('%s is built once', async (_n, f, why) => {
    const r = await effects(f);
    expect('build' in r && r.build).toMatch(why);
  });

  it('a run that needs substituteFrom sources from builds proves nothing from charts (a chart may compose such a name)', async () => {
    expect(await chartEffects(files(release('plain')), SPEC, { cache, watched: new Set(['plain-config']) })).toMatchObject({ build: expect.stringMatching(/substituteFrom/) });
  });

  it('a spec that patches, or substitutes into a chart field, is built once', async () => {
    expect(await effects(files(release('plain')), { ...SPEC, patches: [{ patch: 'x' }] })).toMatchObject({ build: expect.stringMatching(/patches/) });
    expect(await effects(files(release('plain', '${v}')), { ...SPEC, postBuild: { substitute: { v: '1.0.0' } } })).toMatchObject({ build: expect.stringMatching(/substitution/) });
  });
});
