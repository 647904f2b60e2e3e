// `podo report merge`: JSON reports (with --with-objects) read back render exactly what the original
// report renders, in every format; several reports merge into one; what is not a podo report, reports
// that overlap and reports of different comparisons are refused.
import { describe, expect, it } from 'vitest';
import type { DiffReport } from '../../src/model/change.js';
import { InputError } from '../../src/model/errors.js';
import { render, FORMAT_NAMES } from '../../src/report/index.js';
import { mergeReports, readJsonReport } from '../../src/report/json-read.js';
import { renderJson } from '../../src/report/json.js';
import { groupedReport } from './report-sample.js';

const opts = { color: false, verbose: true, grouped: true };
const withTarget = (): DiffReport => ({ ...groupedReport(), target: { baseRef: 'origin/main' } });

describe('report merge', () => {
  it('a JSON report with objects reads back as the report: every format renders the same bytes', () => {
    const original = withTarget();
    const back = readJsonReport(renderJson(original, { objects: true }), 'a.json');
    for (const format of FORMAT_NAMES) expect(render(back, format, opts), format).toBe(render(original, format, opts));
    // Without objects the JSON itself still round-trips.
    expect(renderJson(readJsonReport(renderJson(original), 'a.json'))).toBe(renderJson(original));
  });

  it('reports of parts of a run merge into the report of the whole run', () => {
    const whole = withTarget();
    const [a, b, c] = whole.kustomizations;
    const part = (ks: typeof a[]) => ({ ...whole, kustomizations: ks });
    const merged = mergeReports([
      { file: 'a.json', report: readJsonReport(renderJson(part([a]), { objects: true }), 'a.json') },
      { file: 'b.json', report: readJsonReport(renderJson(part([b, c]), { objects: true }), 'b.json') },
    ]);
    for (const format of FORMAT_NAMES) expect(render(merged, format, opts), format).toBe(render(whole, format, opts));
  });

  it('CLUSTER=FILE: the same Kustomizations of two clusters are told apart, with a Cluster column', () => {
    const r = readJsonReport(renderJson(withTarget(), { objects: true }), 'a.json');
    const merged = mergeReports([
      { file: 'a.json', report: r, cluster: 'production' },
      { file: 'b.json', report: r, cluster: 'staging' },
    ]);
    expect(merged.kustomizations.map((k) => `${k.cluster}: ${k.name}`)).toEqual(['production: apps', 'production: infra', 'production: broken', 'staging: apps', 'staging: infra', 'staging: broken']);
    const md = render(merged, 'markdown', opts);
    expect(md).toContain('| Cluster | Kustomization |');
    expect(md).toContain('| staging | flux-system/apps | 1 | 4 | 1 | 1 | 1 |');
    expect(md).toContain('### Kustomization staging: flux-system/apps');
  });

  it('refuses what is not a podo report, overlapping reports and different comparisons', () => {
    expect(() => readJsonReport('{', 'x.json')).toThrow(/^x\.json: not JSON/);
    expect(() => readJsonReport('{"apiVersion":"v1","kind":"List"}', 'x.json')).toThrow(InputError);
    const doc = JSON.parse(renderJson(withTarget())) as { kustomizations: { resources: { action: string }[] }[] };
    doc.kustomizations[0].resources[0].action = 'mutated';
    expect(() => readJsonReport(JSON.stringify(doc), 'x.json')).toThrow(/x\.json: not a podo JSON report: kustomizations\[0\]\.resources\[0\]\.action must be one of/);
    const r = readJsonReport(renderJson(withTarget()), 'a.json');
    expect(() => mergeReports([{ file: 'a.json', report: r }, { file: 'b.json', report: r }])).toThrow(/b\.json: Kustomization flux-system\/apps is also in a\.json/);
    const other = { ...r, target: { baseRef: 'origin/release' }, kustomizations: [] };
    expect(() => mergeReports([{ file: 'a.json', report: r }, { file: 'b.json', report: other }])).toThrow(/compared against ref origin\/release, a\.json against ref origin\/main/);
  });
});
