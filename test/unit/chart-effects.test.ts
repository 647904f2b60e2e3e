// What an unchanged build's charts can produce, proven from the chart cache without rendering
// (render/helm/chart-effects.ts): only the plain shape with pinned, cached charts is proven; the CRDs
// of their crds/ directories are read from the files, by the releases' CRD policy.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { chartEffects, helmignoreRule } from '../../src/render/helm/chart-effects.js';
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

const crd = (kind: string, scope = 'Namespaced', group = 'example.com') =>
  `apiVersion: apiextensions.k8s.io/v1\nkind: CustomResourceDefinition\nmetadata:\n  name: ${kind.toLowerCase()}s.${group}\nspec:\n  group: ${group}\n  scope: ${scope}\n  names:\n    kind: ${kind}\n    plural: ${kind.toLowerCase()}s\n`;
const CM = { 'templates/cm.yaml': 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\n' };
const sub = (name: string) => `apiVersion: v2\nname: ${name}\nversion: 1.0.0\n`;

const URL = 'https://charts.example.com';
const charts: Record<string, string> = {
  plain: chart('plain', CM),
  crds: chart('crds', { ...CM, 'crds/w.yaml': crd('Widget'), 'crds/more/gj.yml': `${crd('Gadget', 'Cluster')}---\n${crd('Jig')}`, 'crds/README.txt': 'not a CustomResourceDefinition file' }),
  subcrds: chart('subcrds', { ...CM, 'charts/sub/Chart.yaml': sub('sub'), 'charts/sub/crds/w.yaml': crd('Widget'), 'charts/sub/charts/deeper/Chart.yaml': sub('deeper'), 'charts/sub/charts/deeper/crds/g.json': JSON.stringify({ apiVersion: 'apiextensions.k8s.io/v1', kind: 'CustomResourceDefinition', metadata: { name: 'g' }, spec: { group: 'example.com', scope: 'Cluster', names: { kind: 'Gadget' } } }) }),
  listed: chart('listed', { 'Chart.yaml': 'apiVersion: v2\nname: listed\nversion: 1.0.0\ndependencies:\n- name: sub\n  version: 1.0.0\n', 'charts/sub/Chart.yaml': sub('sub'), 'charts/sub/crds/w.yaml': crd('Widget') }),
  conditional: chart('conditional', { 'Chart.yaml': 'apiVersion: v2\nname: conditional\nversion: 1.0.0\ndependencies:\n- name: sub\n  version: 1.0.0\n  condition: sub.enabled\n', 'charts/sub/Chart.yaml': sub('sub'), 'charts/sub/crds/w.yaml': crd('Widget') }),
  tagged: chart('tagged', { 'Chart.yaml': 'apiVersion: v2\nname: tagged\nversion: 1.0.0\ndependencies:\n- name: sub\n  version: 1.0.0\n  tags: [extras]\n', 'charts/sub/Chart.yaml': sub('sub'), 'charts/sub/crds/w.yaml': crd('Widget') }),
  underscore: chart('underscore', { 'charts/_sub/Chart.yaml': sub('sub'), 'charts/_sub/crds/w.yaml': crd('Widget') }),
  twins: chart('twins', { 'charts/a/Chart.yaml': sub('sub'), 'charts/a/crds/w.yaml': crd('Widget'), 'charts/b/Chart.yaml': sub('sub') }),
  ignoresOther: chart('ignoresOther', { 'crds/w.yaml': crd('Widget'), '.helmignore': '# helm create\n.DS_Store\n.git/\n*.swp\n*~\n.idea/\n/templates/notes\n' }),
  ignoresCrds: chart('ignoresCrds', { 'crds/w.yaml': crd('Widget'), '.helmignore': 'crds\n' }),
  ignoresYaml: chart('ignoresYaml', { 'crds/w.yaml': crd('Widget'), '.helmignore': 'w.y?ml\n' }),
  ignoresNegated: chart('ignoresNegated', { 'crds/w.yaml': crd('Widget'), '.helmignore': '*.swp\n!keep.swp\n' }),
  ignoresClass: chart('ignoresClass', { 'crds/w.yaml': crd('Widget'), '.helmignore': '*.[ch]\n' }),
  globs: chart('globs', { 'crds/w.yaml': crd('Widget'), 'templates/all.yaml': '{{ range $p, $_ := .Files.Glob "**.yaml" }}{{ $.Files.Get $p }}{{ end }}\n' }),
  reads: chart('reads', { 'crds/w.yaml': crd('Widget'), 'templates/w.yaml': '{{ .Files.Get "crds/w.yaml" | replace "Widget" "Gizmo" }}\n' }),
  notCrd: chart('notCrd', { 'crds/ns.yaml': 'apiVersion: v1\nkind: Namespace\nmetadata:\n  name: x\n' }),
  badCrd: chart('badCrd', { 'crds/w.yaml': 'apiVersion: apiextensions.k8s.io/v1\nkind: CustomResourceDefinition\nmetadata:\n  name: w\n' }),
  upper: chart('upper', { 'CRDS/w.yaml': crd('Widget') }),
  v3: chart('v3', { 'Chart.yaml': 'apiVersion: v3\nname: v3\nversion: 1.0.0\n', 'crds/w.yaml': crd('Widget') }),
  scopes: chart('scopes', { 'crds/a.yaml': crd('Widget'), 'charts/sub/Chart.yaml': sub('sub'), 'charts/sub/crds/a.yaml': crd('Widget', 'Cluster') }),
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
const release = (chartName: string, version = '1.0.0', extra = '') =>
  `apiVersion: helm.toolkit.fluxcd.io/v2\nkind: HelmRelease\nmetadata:\n  name: r\n  namespace: demo\nspec:\n  chart:\n    spec:\n      chart: ${chartName}\n      version: "${version}"\n      sourceRef: {kind: HelmRepository, name: charts}\n${extra}`;
const files = (rel: string, kustomization = 'resources: [release.yaml]\n') => [
  { path: 'a/kustomization.yaml', text: kustomization },
  { path: 'a/release.yaml', text: `${repo}---\n${rel}` },
];
const effects = (f: { path: string; text: string }[], spec: KustomizationSpec = SPEC, upgrade = true) => chartEffects(f, spec, { cache, upgrade });
/** The `group/Kind (scope)` of the CRDs a proven answer creates. */
async function kinds(f: { path: string; text: string }[], upgrade = true): Promise<string[] | string> {
  const r = await effects(f, SPEC, upgrade);
  if ('build' in r) return r.build;
  return r.creates.crds.map((c) => {
    const s = c.spec as { group: string; scope: string; names: { kind: string } };
    return `${s.group}/${s.names.kind} (${s.scope})`;
  });
}

describe('chartEffects', () => {
  it('a release pinned to a cached chart that names no CRD creates nothing', async () => {
    expect(await effects(files(release('plain')))).toEqual({ creates: { crds: [] } });
  });

  it("creates the CRDs of its chart's crds/ files (.yaml, .yml, .json, every document, any depth), subcharts' included", async () => {
    expect(await kinds(files(release('crds')))).toEqual(['example.com/Gadget (Cluster)', 'example.com/Jig (Namespaced)', 'example.com/Widget (Namespaced)']);
    expect(await kinds(files(release('subcrds')))).toEqual(['example.com/Gadget (Cluster)', 'example.com/Widget (Namespaced)']);
    // A dependency listed without condition or tags is always rendered.
    expect(await kinds(files(release('listed')))).toEqual(['example.com/Widget (Namespaced)']);
    // .helmignore rules that cannot match a crds/ path leave them be.
    expect(await kinds(files(release('ignoresOther')))).toEqual(['example.com/Widget (Namespaced)']);
  });

  it("follows the CRD policy helm-controller applies: upgrade.crds without a cluster, install.crds on install, Skip creates none, a suspended release nothing", async () => {
    const skipOnUpgrade = release('crds', '1.0.0', '  upgrade:\n    crds: Skip\n');
    expect(await kinds(files(skipOnUpgrade))).toEqual([]);
    expect(await kinds(files(skipOnUpgrade), false)).toHaveLength(3);
    const skipOnInstall = release('crds', '1.0.0', '  install:\n    crds: Skip\n');
    expect(await kinds(files(skipOnInstall), false)).toEqual([]);
    expect(await kinds(files(skipOnInstall))).toHaveLength(3);
    expect(await kinds(files(release('crds', '1.0.0', '  upgrade:\n    crds: CreateReplace\n')))).toHaveLength(3);
    expect(await kinds(files(release('crds', '1.0.0', '  suspend: true\n')))).toEqual([]);
    expect(await kinds(files(release('crds', '1.0.0', '  upgrade:\n    crds: Sometimes\n')))).toMatch(/invalid CRD policy/);
  });

  it.each([
    ['a subchart with a condition', 'conditional', /condition or tags/],
    ['a subchart with tags', 'tagged', /condition or tags/],
    ['a subchart helm does not load', 'underscore', /starts with _/],
    ['two subcharts of one name', 'twins', /shares it/],
    ['a .helmignore rule matching the crds/ directory', 'ignoresCrds', /rule crds matches crds$/],
    ['a .helmignore rule matching a crds/ file', 'ignoresYaml', /matches crds\/w.yaml/],
    ['a .helmignore negation', 'ignoresNegated', /negation/],
    ['a .helmignore character class', 'ignoresClass', /not read/],
    ['a template globbing the files', 'globs', /through .Files \(templates\/all.yaml\)/],
    ['a template reading a crds/ file', 'reads', /through .Files/],
    ['a crds/ file holding another kind', 'notCrd', /other than a CustomResourceDefinition/],
    ['a CRD without group or kind', 'badCrd', /other than a CustomResourceDefinition/],
    ['one kind given with two scopes', 'scopes', /different scopes/],
    ['a CRD in CRDS/ (no crds/ for helm, a file a template may read)', 'upper', /may create CRDs \(CRDS\/w.yaml\)/],
    ['a chart of API v3', 'v3', /not a chart API v1 or v2/],
  ])('%s: its CRDs are not proven, built once', async (_n, name, why) => {
    expect(await kinds(files(release(name)))).toMatch(why);
  });

  it('a value of the build naming crds/ (tpl could read one through .Files) is not proven', async () => {
    expect(await kinds(files(release('crds', '1.0.0', '  values:\n    extra: \'{{ .Files.Get "crds/w.yaml" }}\'\n')))).toMatch(/release.yaml may read its chart's crds\/ files/);
    // The plain chart has no crds/ to read.
    expect(await kinds(files(release('plain', '1.0.0', '  values:\n    extra: crds/x\n')))).toEqual([]);
  });

  it.each([
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
    expect(await chartEffects(files(release('plain')), SPEC, { cache, upgrade: true, watched: new Set(['plain-config']) })).toMatchObject({ build: expect.stringMatching(/substituteFrom/) });
  });

  it('a spec that patches, or substitutes into a chart field, is built once', async () => {
    expect(await effects(files(release('plain')), { ...SPEC, patches: [{ patch: 'x' }] })).toMatchObject({ build: expect.stringMatching(/patches/) });
    expect(await effects(files(release('plain', '${v}')), { ...SPEC, postBuild: { substitute: { v: '1.0.0' } } })).toMatchObject({ build: expect.stringMatching(/substitution/) });
  });
});

describe('helmignoreRule (the .helmignore rules, as Go filepath.Match)', () => {
  it('* and ? stay within one path segment; classes and escapes are not read', () => {
    expect(helmignoreRule('*.swp')!.test('a.swp')).toBe(true);
    expect(helmignoreRule('crds/*')!.test('crds/a.yaml')).toBe(true);
    expect(helmignoreRule('*')!.test('crds/a.yaml')).toBe(false);
    expect(helmignoreRule('?.yaml')!.test('w.yaml')).toBe(true);
    expect(helmignoreRule('a.b')!.test('axb')).toBe(false);
    expect(helmignoreRule('[ab]')).toBeUndefined();
    expect(helmignoreRule('a\\*')).toBeUndefined();
  });
});
