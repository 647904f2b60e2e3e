import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { DiffReport, ResourceChange } from '../../src/model/change.js';
import type { KubeObject } from '../../src/model/object.js';
import { plainColorizer } from '../../src/report/colorizer.js';
import { renderJson, type JsonReport } from '../../src/report/json.js';
import { COMMENT_MARKER, fenceFor, markdownParts, renderMarkdown } from '../../src/report/markdown.js';
import { renderText } from '../../src/report/text.js';
import { renderUnified } from '../../src/report/unified.js';
import { changed, created, deleted, groupedReport } from './report-sample.js';

const golden = (name: string) => readFileSync(new URL(`../golden/${name}`, import.meta.url), 'utf8');

function report(...resources: ResourceChange[]): DiffReport {
  return { kustomizations: [{ name: 'apps', namespace: 'flux-system', resources, warnings: [], notes: [] }] };
}

function configMap(name: string, data: Record<string, string>): KubeObject {
  return { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name, namespace: 'default' }, data };
}

describe('renderJson', () => {
  it('matches the golden report', () => {
    expect(renderJson(groupedReport())).toBe(golden('report.json'));
  });

  it('is versioned and uses the dotted paths of the text report', () => {
    const parsed = JSON.parse(renderJson(groupedReport())) as JsonReport;
    expect(parsed.apiVersion).toBe('podo.dev/v1alpha1');
    expect(parsed.kind).toBe('DiffReport');
    const configMapChange = parsed.kustomizations[0].resources.find((r) => r.name === 'app')?.changes[0];
    expect(configMapChange?.path).toBe('data["app.conf"]');
    expect(configMapChange?.pathSegments).toEqual(['data', 'app.conf']);
  });

  it('leaves out optional fields that are not set', () => {
    const parsed = JSON.parse(renderJson(groupedReport())) as JsonReport;
    const [apps, infra, broken] = parsed.kustomizations;
    expect(apps).not.toHaveProperty('skipped');
    expect(apps).not.toHaveProperty('error');
    expect(infra.skipped).toContain('not mapped');
    expect(broken.error).toContain('kustomize build failed');
    const namespace = apps.resources[0];
    expect(namespace).not.toHaveProperty('namespace');
    expect(namespace).not.toHaveProperty('reason');
    const add = apps.resources[1].changes[0];
    expect(add.change).toBe('add');
    expect(add).not.toHaveProperty('before');
  });
});

describe('renderUnified', () => {
  it('matches the golden diff', () => {
    expect(renderUnified(groupedReport())).toBe(golden('report.diff'));
  });

  it('diffs created objects against /dev/null and deleted ones to /dev/null', () => {
    const out = renderUnified(report(created(configMap('new', { a: '1' })), deleted(configMap('old', { b: '2' }))));
    expect(out).toContain('--- /dev/null\n+++ merged/v1.ConfigMap.default.new\n@@ -0,0 +1,');
    expect(out).toContain('--- live/v1.ConfigMap.default.old\n+++ /dev/null\n@@ -1,7 +0,0 @@');
  });

  it('names objects like kubectl diff and prints only changed ones', () => {
    const out = renderUnified(groupedReport());
    expect(out).toContain('--- live/apps.v1.Deployment.default.web\n+++ merged/apps.v1.Deployment.default.web\n');
    expect(out).not.toContain('ConfigMap.default.same');
    expect(out).not.toContain('ConfigMap.default.x');
    expect(renderUnified(report())).toBe('');
  });
});

describe('renderMarkdown', () => {
  it('matches the golden comment', async () => {
    await expect(renderMarkdown(groupedReport())).toMatchFileSnapshot('../golden/report.md');
  });

  it('escapes |, < and > in summaries, table cells and text', () => {
    const replaced = changed('replaced', configMap('a', { k: '1' }), configMap('a', { k: '2' }), 'field <x> | y is immutable');
    const skipped: ResourceChange = {
      ref: { apiVersion: 'v1', kind: 'ConfigMap', namespace: 'default', name: 'b' },
      action: 'skipped',
      changes: [],
      reason: 'a|b <script>',
    };
    const out = renderMarkdown(report(replaced, skipped));
    expect(out).toContain('<summary>ConfigMap/default/a replaced (field &lt;x&gt; &#124; y is immutable)</summary>');
    expect(out).toContain('- ♻️ ConfigMap/default/a: replaced (deleted and created again): field &lt;x&gt; \\| y is immutable');
    expect(out).toContain('- ► ConfigMap/default/b skipped (a\\|b &lt;script&gt;)');
    expect(out).not.toContain('<script>');
  });

  it('lengthens the fence when the diff contains backticks', () => {
    const out = renderMarkdown(report(created(configMap('doc', { 'README.md': 'use:\n```sh\nmake\n```\n' }))));
    expect(out).toContain('````diff\n');
    expect(out).toContain('\n````\n');
    expect(fenceFor('no backticks')).toBe('```');
    expect(fenceFor('a ````` b')).toBe('``````');
  });

  it('starts with the hidden marker and names what it compared against in the heading', () => {
    const base = renderMarkdown({ ...report(), target: { baseRef: 'origin/main' } });
    expect(base.startsWith('<!-- podo-diff -->\n## podo diff against `origin/main`\n')).toBe(true);
    const cluster = renderMarkdown({ ...report(), target: { context: 'prod-eu' } });
    expect(cluster).toContain('## podo diff against cluster context `prod-eu`');
  });

  it('splits at a resource boundary past the byte limit into parts k/N, leaving nothing out', () => {
    const resources = Array.from({ length: 100 }, (_, i) =>
      created(configMap(`cm-${String(i).padStart(3, '0')}`, { payload: 'x'.repeat(1000) })),
    );
    const parts = markdownParts(report(...resources));
    expect(parts.length).toBe(2);
    parts.forEach((p, i) => {
      expect(Buffer.byteLength(p)).toBeLessThanOrEqual(65_536);
      expect(p.startsWith(`${COMMENT_MARKER}\n<!-- podo-diff-part ${i + 1}/2 -->\n## podo diff (part ${i + 1}/2)\n\n`)).toBe(true);
      // Every part closes what it opens.
      expect(p.match(/<details>/g)?.length).toBe(p.match(/<\/details>/g)?.length);
    });
    const all = parts.join('\n');
    for (let i = 0; i < 100; i++) expect(all).toContain(`<summary>ConfigMap/default/cm-${String(i).padStart(3, '0')} created</summary>`);
    expect(all).not.toContain('left out');
    // The whole comment renders as the parts one after the other.
    expect(renderMarkdown(report(...resources))).toBe(all);
    // A smaller limit makes more parts, each within it.
    const small = markdownParts(report(...resources), { maxBytes: 8000 });
    expect(small.length).toBeGreaterThan(10);
    for (const p of small) expect(Buffer.byteLength(p)).toBeLessThanOrEqual(8000);
  });

  it('cuts a single object whose diff is larger than a part, and says so', () => {
    const parts = markdownParts(report(created(configMap('huge', Object.fromEntries(Array.from({ length: 400 }, (_, i) => [`k${i}`, 'y'.repeat(50)]))))), { maxBytes: 4000 });
    // The overview in part 1, the object's diff, cut to fit, in part 2.
    expect(parts.length).toBe(2);
    for (const p of parts) expect(Buffer.byteLength(p)).toBeLessThanOrEqual(4000);
    expect(parts[1]).toMatch(/# … \d+ more lines: run podo locally for this object's full diff\n```\n\n<\/details>\n$/);
  });

  it('keeps what fits in one part', () => {
    expect(markdownParts(groupedReport())).toHaveLength(1);
    expect(renderMarkdown(groupedReport())).not.toContain('podo-diff-part');
  });
});

describe('all renderers', () => {
  it('print only what they receive: a value upstream masked never appears', () => {
    const canary = 'CANARY-7f3a-do-not-print';
    // What the cluster and the build hold; diff/ masks these before any renderer sees them.
    const raw = { before: { password: 'old-password' }, after: { password: canary } };
    const secret = (password: string): KubeObject => ({
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name: 'db', namespace: 'default' },
      data: { password },
    });
    const masked = report(
      changed('drifted', secret('*** (before)'), secret('*** (after)')),
      created(secret('***')),
    );
    const outputs = [
      renderText(masked, { color: plainColorizer, verbose: true, grouped: true }),
      renderJson(masked),
      renderMarkdown(masked),
      renderUnified(masked),
    ];
    for (const out of outputs) {
      expect(out).not.toContain(raw.after.password);
      expect(out).not.toContain(raw.before.password);
      expect(out).toContain('*** (after)');
    }
  });
});
