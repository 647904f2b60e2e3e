// --shard K/N (pipeline/shard.ts): the flag's values, the stable hash, the dependency groups, and
// `podo report merge` of shard reports (report/json-read.ts): one run's order back, no shard left, and
// refusal of an incomplete or mixed set of shards.
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { Ajv2020 } from 'ajv/dist/2020.js';
import type { DiffReport, KustomizationDiff } from '../../src/model/change.js';
import { groupKeys, parseShard, shardOf, ShardError } from '../../src/pipeline/shard.js';
import { mergeReports, readJsonReport } from '../../src/report/json-read.js';
import { renderJson } from '../../src/report/json.js';
import { render, FORMAT_NAMES } from '../../src/report/index.js';
import { groupedReport } from './report-sample.js';

describe('--shard values', () => {
  it('takes K/N with 1 ≤ K ≤ N', () => {
    expect(parseShard('1/1')).toEqual({ index: 1, total: 1 });
    expect(parseShard('3/3')).toEqual({ index: 3, total: 3 });
    expect(parseShard('2/10')).toEqual({ index: 2, total: 10 });
  });

  it('refuses anything else with one line that names the value', () => {
    for (const bad of ['0/2', '3/2', 'a/b', '1/0', '0/0', '2', '/2', '1/2/3', '-1/2', '1.5/2', '', '99999999999999999999/99999999999999999999']) {
      expect(() => parseShard(bad), bad).toThrow(ShardError);
      expect(() => parseShard(bad), bad).toThrow(`--shard must be K/N with 1 ≤ K ≤ N (e.g. 2/3), got "${bad}"`);
    }
  });
});

describe('the shard of a group', () => {
  it('is stable, in 1..N, and depends on the cluster and the group key', () => {
    const keys = Array.from({ length: 200 }, (_, i) => `apps/app-${i}`);
    for (const n of [1, 2, 3, 7]) {
      const shards = keys.map((k) => shardOf('', k, n));
      expect(shards.every((s) => s >= 1 && s <= n)).toBe(true);
      expect(keys.map((k) => shardOf('', k, n))).toEqual(shards);
      // 200 groups over n shards: every shard gets some.
      expect(new Set(shards).size).toBe(n);
    }
    expect(keys.some((k) => shardOf('clusters/production', k, 3) !== shardOf('clusters/staging', k, 3))).toBe(true);
  });

  it('is sha256 of cluster and key, so that every job of a matrix picks the same shard for a group', () => {
    // The first 32 bits of sha256("<cluster>\n<key>") modulo N, plus one.
    const first32 = (s: string) => Number.parseInt(createHash('sha256').update(s).digest('hex').slice(0, 8), 16);
    for (const n of [2, 3, 5]) expect(shardOf('', 'flux-system/apps', n)).toBe((first32('\nflux-system/apps') % n) + 1);
  });
});

describe('dependency groups', () => {
  it('dependsOn chains and parents tie members into one group keyed by its smallest id; outside ids are ignored', () => {
    const g = groupKeys([
      { id: 'ns/c', ties: ['ns/b'] },
      { id: 'ns/b', ties: ['ns/a'] },
      { id: 'ns/a', ties: [] },
      { id: 'ns/d', ties: ['other/not-in-run'] },
      { id: 'ns/e', ties: [] },
      { id: 'x/child', ties: ['ns/e'] },
      { id: 'x/y', ties: ['x/z'] },
      { id: 'x/z', ties: ['x/y'] }, // a cycle is one group too
    ]);
    expect(Object.fromEntries(g)).toEqual({
      'ns/a': 'ns/a',
      'ns/b': 'ns/a',
      'ns/c': 'ns/a',
      'ns/d': 'ns/d',
      'ns/e': 'ns/e',
      'x/child': 'ns/e',
      'x/y': 'x/y',
      'x/z': 'x/y',
    });
  });

  it('does not depend on the order of the members', () => {
    const members = [
      { id: 'b/2', ties: ['a/9'] },
      { id: 'a/9', ties: ['c/1'] },
      { id: 'c/1', ties: [] },
      { id: 'a/1', ties: ['z/z'] },
      { id: 'z/z', ties: [] },
    ];
    const expected = Object.fromEntries(groupKeys(members));
    expect(expected['c/1']).toBe('a/9');
    for (let i = 0; i < members.length; i++) {
      const rotated = [...members.slice(i), ...members.slice(0, i)];
      expect(Object.fromEntries(groupKeys(rotated))).toEqual(expected);
      expect(Object.fromEntries(groupKeys(rotated.reverse()))).toEqual(expected);
    }
  });
});

describe('podo report merge of shard reports', () => {
  const opts = { color: false, verbose: true, grouped: true };
  const whole = (): DiffReport => ({ ...groupedReport(), target: { baseRef: 'origin/main' } });
  /** Shard reports as a --shard run writes them: each Kustomization with its group, the report with its shard. */
  const shardJson = (ks: Array<[KustomizationDiff, string]>, index: number, total: number) =>
    renderJson({ ...whole(), kustomizations: ks.map(([k, group]) => ({ ...k, group })), shard: { index, total } }, { objects: true });

  it('puts the Kustomizations back in one run\'s order (by group) and says nothing of shards: every format renders as the whole run', () => {
    const w = whole();
    const [apps, infra, broken] = w.kustomizations; // in the run: grouped, apps and infra one group
    const ordered: DiffReport = { ...w, kustomizations: [apps, infra, broken] };
    const files = [
      { file: '2.json', text: shardJson([[broken, 'flux-system/broken']], 2, 2) },
      { file: '1.json', text: shardJson([[apps, 'flux-system/apps'], [infra, 'flux-system/apps']], 1, 2) },
    ];
    const merged = mergeReports(files.map((f) => ({ file: f.file, report: readJsonReport(f.text, f.file) })));
    expect(merged.shard).toBeUndefined();
    expect(merged.kustomizations.map((k) => k.group)).toEqual([undefined, undefined, undefined]);
    for (const format of FORMAT_NAMES) expect(render(merged, format, opts), format).toBe(render(ordered, format, opts));
  });

  it('a shard report says which shard it is, in JSON, text and markdown', () => {
    const r = { ...whole(), shard: { index: 2, total: 3 } };
    expect(JSON.parse(renderJson(r)).shard).toEqual({ index: 2, total: 3 });
    expect(render(r, 'text', opts)).toContain('Shard 2/3 of the run (--shard)');
    expect(render(r, 'markdown', opts)).toContain('ℹ Shard 2/3 of the run (--shard)');
    expect(render(whole(), 'text', opts)).not.toContain('Shard');
  });

  it('refuses a missing, repeated or foreign shard, and a whole-run report among shards', () => {
    const [apps, infra, broken] = whole().kustomizations;
    const read = (text: string, file: string) => ({ file, report: readJsonReport(text, file) });
    const s1 = read(shardJson([[apps, 'a']], 1, 3), '1.json');
    const s2 = read(shardJson([[infra, 'b']], 2, 3), '2.json');
    const s3 = read(shardJson([[broken, 'c']], 3, 3), '3.json');
    expect(mergeReports([s1, s2, s3]).kustomizations).toHaveLength(3);
    expect(() => mergeReports([s1, s3])).toThrow('shard 2/3 missing: merge all 3 shards of the run');
    expect(() => mergeReports([s1, s2, { ...s2, file: 'again.json' }])).toThrow('again.json: shard 2/3 again (also 2.json)');
    expect(() => mergeReports([s1, s2, read(shardJson([[broken, 'c']], 2, 2), 'x.json')])).toThrow(/^x\.json: shard 2\/2, 1\.json is shard 1\/3/);
    expect(() => mergeReports([s1, s2, s3, read(renderJson(whole()), 'all.json')])).toThrow(/^all\.json: not a --shard report/);
    const doc = JSON.parse(shardJson([[apps, 'a']], 1, 3));
    doc.shard.index = 4;
    expect(() => readJsonReport(JSON.stringify(doc), 'bad.json')).toThrow('bad.json: not a podo JSON report: shard.index must be an integer from 1 to shard.total');
  });

  it('the JSON schema describes shard and group', () => {
    const schema = JSON.parse(readFileSync(new URL('../../schema/diff-report.v1alpha1.json', import.meta.url), 'utf8')) as Record<string, unknown>;
    const validate = new Ajv2020({ allErrors: true, strict: true }).compile(schema);
    const [apps] = whole().kustomizations;
    const doc = JSON.parse(shardJson([[apps, 'flux-system/apps']], 1, 2));
    expect(validate(doc), JSON.stringify(validate.errors)).toBe(true);
    doc.shard.index = 0;
    expect(validate(doc)).toBe(false);
    doc.shard.index = 1;
    doc.kustomizations[0].group = 7;
    expect(validate(doc)).toBe(false);
  });
});
