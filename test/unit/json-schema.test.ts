// schema/diff-report.v1alpha1.json describes the -o json document: the golden report (every action and
// change kind) validates, and the schema rejects what the report must never be.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { renderJson } from '../../src/report/json.js';
import { groupedReport } from './report-sample.js';

export const schema = JSON.parse(readFileSync(new URL('../../schema/diff-report.v1alpha1.json', import.meta.url), 'utf8')) as Record<string, unknown>;

describe('the JSON report schema', () => {
  const validate = new Ajv2020({ allErrors: true, strict: true }).compile(schema);

  it('is a valid draft 2020-12 schema whose $id is the $schema link in every report', () => {
    expect(schema.$schema).toBe('https://json-schema.org/draft/2020-12/schema');
    const doc = JSON.parse(renderJson(groupedReport())) as Record<string, unknown>;
    expect(doc.$schema).toBe(schema.$id);
    expect(Object.keys(doc).slice(0, 3)).toEqual(['$schema', 'apiVersion', 'kind']);
  });

  it('accepts the golden report, which has every action and change kind', () => {
    const golden = JSON.parse(readFileSync(new URL('../golden/report.json', import.meta.url), 'utf8'));
    expect(validate(golden), JSON.stringify(validate.errors)).toBe(true);
  });

  it('accepts what the report filters left out, and rejects a count that is not one', () => {
    const filtered = { ...groupedReport(), filtered: { filters: ['--kind Deployment'], objects: 3, kustomizations: 1, ignoredFieldObjects: 0 } };
    const doc = JSON.parse(renderJson(filtered)) as { filtered: { objects: number } };
    expect(validate(doc), JSON.stringify(validate.errors)).toBe(true);
    doc.filtered.objects = -1;
    expect(validate(doc)).toBe(false);
  });

  it('rejects a wrong version, an unknown action, changes on a created object and a multi-line error', () => {
    const good = () => JSON.parse(renderJson(groupedReport())) as { apiVersion: string; kustomizations: { error?: string; resources: { action: string; changes: unknown[] }[] }[] };
    const a = good();
    a.apiVersion = 'podo.dev/v1';
    expect(validate(a)).toBe(false);
    const b = good();
    b.kustomizations[0].resources[0].action = 'mutated';
    expect(validate(b)).toBe(false);
    const c = good();
    const createdRes = c.kustomizations[0].resources.find((r) => r.action === 'created')!;
    createdRes.changes = [{ path: 'x', pathSegments: ['x'], change: 'add', after: 1 }];
    expect(validate(c)).toBe(false);
    const d = good();
    d.kustomizations[0].error = 'line one\nline two';
    expect(validate(d)).toBe(false);
  });
});
