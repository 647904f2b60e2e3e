// The report filters (diff/filters.ts), one flag at a time, and what each format says they left out.
import { describe, expect, it } from 'vitest';
import { applyFilters, FilterError, parseIgnoreField, parseIgnoreFieldFile, validateFilters, type ReportFilters } from '../../src/diff/filters.js';
import { toResourceChange } from '../../src/diff/changes.js';
import type { DiffReport, ResourceChange } from '../../src/model/change.js';
import type { KubeObject } from '../../src/model/object.js';
import { render } from '../../src/report/index.js';
import { renderJson, type JsonReport } from '../../src/report/json.js';
import { renderMarkdown } from '../../src/report/markdown.js';
import { changed, created } from './report-sample.js';

const none: ReportFilters = { ignoreFields: [], kinds: [], skipKinds: [], kustomizations: [] };

const cm = (name: string, data: Record<string, string>, labels: Record<string, string> = {}): KubeObject => ({
  apiVersion: 'v1',
  kind: 'ConfigMap',
  metadata: { name, namespace: 'apps', ...(Object.keys(labels).length > 0 ? { labels } : {}) },
  data,
});
const deploy = (replicas: number, image: string, labels: Record<string, string>): KubeObject => ({
  apiVersion: 'apps/v1',
  kind: 'Deployment',
  metadata: { name: 'web', namespace: 'apps', labels },
  spec: { replicas, template: { spec: { containers: [{ name: 'app', image }] } } },
});

function sample(): DiffReport {
  const unchanged = toResourceChange({ action: 'applied', ref: { apiVersion: 'v1', kind: 'ConfigMap', namespace: 'apps', name: 'same' }, existed: true, live: cm('same', { a: '1' }, { app: 'web' }), merged: cm('same', { a: '1' }, { app: 'web' }), desired: cm('same', { a: '1' }, { app: 'web' }) });
  const failed: ResourceChange = { ref: { apiVersion: 'v1', kind: 'Service', namespace: 'apps', name: 'broken' }, action: 'failed', changes: [], reason: 'dry-run failed' };
  return {
    kustomizations: [
      {
        name: 'apps',
        namespace: 'flux-system',
        resources: [
          changed('drifted', deploy(2, 'web:1', { app: 'web' }), deploy(3, 'web:1', { app: 'web' })),
          changed('drifted', cm('settings', { level: 'info', stamp: '1' }, { app: 'db' }), cm('settings', { level: 'info', stamp: '2' }, { app: 'db' })),
          created(cm('new', { a: '1' }, { app: 'web' })),
          unchanged,
          failed,
        ],
        warnings: [{ ref: { apiVersion: 'apps/v1', kind: 'Deployment', namespace: 'apps', name: 'web' }, container: 'app', image: 'web:latest', message: 'uses :latest' }],
        notes: [],
      },
      { name: 'infra-db', namespace: 'flux-system', resources: [created(cm('db', { a: '1' }))], warnings: [], notes: [] },
    ],
  };
}

const actions = (r: DiffReport) => r.kustomizations.map((k) => k.resources.map((x) => `${x.ref.kind}/${x.ref.name} ${x.action}`));

describe('report filters', () => {
  it('without filters the report is untouched and says nothing', () => {
    const r = sample();
    expect(applyFilters(r, none)).toBe(r);
    expect(render(r, 'text', { color: false, verbose: false, grouped: true })).not.toContain('Filtered');
  });

  it('--ignore-field: the field leaves the comparison of existing objects; no change left is unchanged', () => {
    const r = applyFilters(sample(), { ...none, ignoreFields: [parseIgnoreField('ConfigMap:/data/stamp'), parseIgnoreField('deployment:/spec/replicas')] });
    expect(actions(r)[0]).toEqual(['Deployment/web unchanged', 'ConfigMap/settings unchanged', 'ConfigMap/new created', 'ConfigMap/same unchanged', 'Service/broken failed']);
    expect(r.filtered).toEqual({ filters: ['--ignore-field ConfigMap:/data/stamp', '--ignore-field deployment:/spec/replicas'], objects: 0, kustomizations: 0, ignoredFieldObjects: 2 });
    // New objects are created whole, as Flux does.
    const created = applyFilters(sample(), { ...none, ignoreFields: [parseIgnoreField('ConfigMap:/data/a')] });
    expect(actions(created)[0][2]).toBe('ConfigMap/new created');
    expect(created.filtered?.ignoredFieldObjects).toBe(0);
  });

  it('--ignore-field: other changes stay; `*` is every kind; the root pointer ignores the whole object', () => {
    const r = applyFilters(sample(), { ...none, ignoreFields: [parseIgnoreField('*:/metadata/labels')] });
    expect(actions(r)[0].slice(0, 2)).toEqual(['Deployment/web drifted', 'ConfigMap/settings drifted']);
    expect(r.filtered?.ignoredFieldObjects).toBe(0);
    const whole = applyFilters(sample(), { ...none, ignoreFields: [parseIgnoreField('Deployment:')] });
    expect(actions(whole)[0][0]).toBe('Deployment/web unchanged');
  });

  it('--ignore-field values and files are checked', () => {
    expect(() => parseIgnoreField('spec/replicas')).toThrow(FilterError);
    expect(() => parseIgnoreField('Deployment:spec.replicas')).toThrow(/JSON pointer/);
    expect(parseIgnoreFieldFile('# fields\n\nDeployment:/spec/replicas\n *:/metadata/annotations/x \n', 'f.txt')).toEqual([
      { kind: 'Deployment', path: '/spec/replicas' },
      { kind: '*', path: '/metadata/annotations/x' },
    ]);
    expect(() => parseIgnoreFieldFile('ok:/a\nbad\n', 'f.txt')).toThrow(/^f\.txt:2: /);
  });

  it('-l/--selector: objects by label, unchanged ones too; a failed object is never filtered away', () => {
    const r = applyFilters(sample(), { ...none, selector: 'app=web' });
    expect(actions(r)[0]).toEqual(['Deployment/web drifted', 'ConfigMap/new created', 'ConfigMap/same unchanged', 'Service/broken failed']);
    expect(actions(r)[1]).toEqual([]);
    expect(r.filtered?.objects).toBe(2);
    const notIn = applyFilters(sample(), { ...none, selector: 'app notin (web)' });
    expect(actions(notIn)[0]).toEqual(['ConfigMap/settings drifted', 'Service/broken failed']);
    expect(() => validateFilters({ ...none, selector: 'app in web' })).toThrow(FilterError);
  });

  it('--kind and --skip-kind (case-insensitive), with the warnings of objects left out', () => {
    const only = applyFilters(sample(), { ...none, kinds: ['configmap'] });
    expect(actions(only)[0]).toEqual(['ConfigMap/settings drifted', 'ConfigMap/new created', 'ConfigMap/same unchanged']);
    expect(only.kustomizations[0].warnings).toEqual([]);
    expect(only.filtered?.objects).toBe(2);
    const skip = applyFilters(sample(), { ...none, skipKinds: ['ConfigMap', 'Service'] });
    expect(actions(skip)[0]).toEqual(['Deployment/web drifted']);
    expect(skip.kustomizations[0].warnings).toHaveLength(1);
    expect(skip.filtered?.objects).toBe(5);
  });

  it('name globs for --all: by name or namespace/name', () => {
    const r = applyFilters(sample(), { ...none, kustomizations: ['infra-*'] });
    expect(r.kustomizations.map((k) => k.name)).toEqual(['infra-db']);
    expect(r.filtered?.kustomizations).toBe(1);
    expect(applyFilters(sample(), { ...none, kustomizations: ['flux-system/app?'] }).kustomizations.map((k) => k.name)).toEqual(['apps']);
  });

  it('every format says what was filtered out', () => {
    const r = applyFilters(sample(), { ...none, kinds: ['Deployment'], kustomizations: ['apps'], ignoreFields: [parseIgnoreField('Deployment:/spec/replicas')] });
    const line = 'Filtered out: 4 objects, 1 Kustomization; changes in ignored fields left out on 1 object (--kind Deployment, --all apps, --ignore-field Deployment:/spec/replicas)';
    expect(render(r, 'text', { color: false, verbose: false, grouped: true })).toContain(line);
    expect(renderMarkdown(r)).toContain(`ℹ ${line}`);
    const json = JSON.parse(renderJson(r)) as JsonReport;
    expect(json.filtered).toEqual({ filters: ['--kind Deployment', '--all apps', '--ignore-field Deployment:/spec/replicas'], objects: 4, kustomizations: 1, ignoredFieldObjects: 1 });
    const quiet = applyFilters(sample(), { ...none, kinds: ['Deployment', 'ConfigMap', 'Service'] });
    expect(render(quiet, 'text', { color: false, verbose: false, grouped: true })).toContain('Filters left nothing out (--kind Deployment,ConfigMap,Service)');
  });
});

describe('-U/--diff-context', () => {
  const long = (v: string) => cm('long', Object.fromEntries(Array.from({ length: 20 }, (_, i) => [`k${String(i).padStart(2, '0')}`, i === 10 ? v : 'same'])));
  const r: DiffReport = { kustomizations: [{ name: 'a', namespace: 'b', resources: [changed('drifted', long('old'), long('new'))], warnings: [], notes: [] }] };
  const contextLines = (out: string) => out.split('\n').filter((l) => /^ {3}k\d\d: same$/.test(l)).length;

  it('sets the unchanged lines around each change in unified and markdown diffs', () => {
    expect(contextLines(render(r, 'unified', { color: false, verbose: false, grouped: false }))).toBe(6);
    expect(contextLines(render(r, 'unified', { color: false, verbose: false, grouped: false, diffContext: 0 }))).toBe(0);
    expect(contextLines(render(r, 'unified', { color: false, verbose: false, grouped: false, diffContext: 1 }))).toBe(2);
    expect(contextLines(render(r, 'markdown', { color: false, verbose: false, grouped: false, diffContext: 5 }))).toBe(10);
  });
});
