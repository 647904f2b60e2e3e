// Untrusted text in the report: kinds, names, chart metadata, messages, notes, keys and values come from
// a pull request or the cluster. In -o markdown none of them may forge a heading, a mention, an issue
// reference, a link, HTML, a table cell or break a code fence; in text, unified and json no terminal
// control reaches the output.
import { describe, expect, it } from 'vitest';
import type { DiffReport, ResourceChange } from '../../src/model/change.js';
import type { KubeObject } from '../../src/model/object.js';
import { mdCode, mdHtml, mdText } from '../../src/report/escape-markdown.js';
import { terminalLine, terminalLines } from '../../src/report/escape-terminal.js';
import { render } from '../../src/report/index.js';
import { markdownParts, renderMarkdown } from '../../src/report/markdown.js';
import { renderJson } from '../../src/report/json.js';
import { changed, created, deleted } from './report-sample.js';

/** Everything a hostile string can try in a comment or on a terminal. */
const HOSTILE = 'x\n\n# Forged heading\n- [x] @octocat [click](http://evil.example) ![i](http://evil.example/i.png) <img src=x onerror=alert(1)> <b>b</b> &lt; #12 ``` ~~s~~ **b** _i_ \\ | cell | \u001b[31mred\u001b]8;;http://evil.example\u0007link\u009b2J\r\u202eevil';

function hostileObject(kind: string, name: string): KubeObject {
  return {
    apiVersion: 'example.com/v1',
    kind,
    metadata: { name, namespace: 'default', labels: { [HOSTILE]: HOSTILE } },
    data: { value: `line 1\n\`\`\`\n# not a heading\n</details>\n${HOSTILE}` },
  } as KubeObject;
}

function hostileReport(): DiffReport {
  const before = hostileObject(HOSTILE, HOSTILE);
  const after: KubeObject = { ...before, data: { value: `changed ${HOSTILE}` } };
  const resources: ResourceChange[] = [
    created(hostileObject(HOSTILE, `new-${HOSTILE}`)),
    changed('drifted', before, after),
    changed('replaced', before, after, HOSTILE),
    deleted(hostileObject('Namespace', HOSTILE)),
    { ref: { apiVersion: 'v1', kind: HOSTILE, namespace: HOSTILE, name: HOSTILE }, action: 'failed', changes: [], reason: HOSTILE },
    { ref: { apiVersion: 'v1', kind: HOSTILE, name: HOSTILE }, action: 'skipped', changes: [], reason: HOSTILE, helmRelease: `default/${HOSTILE}` },
    {
      ref: { apiVersion: 'apps/v1', kind: 'Deployment', namespace: 'default', name: HOSTILE },
      action: 'drifted',
      changes: [{ path: ['spec', HOSTILE], kind: 'modify', from: HOSTILE, to: 'b' }],
      before: deployment(`img:${HOSTILE}`),
      after: deployment('img:2'),
      helmRelease: `default/${HOSTILE}`,
    },
  ];
  return {
    target: { baseRef: HOSTILE },
    kustomizations: [
      {
        name: HOSTILE,
        namespace: HOSTILE,
        cluster: HOSTILE,
        resources,
        warnings: [{ ref: resources[0].ref, container: HOSTILE, image: HOSTILE, message: HOSTILE }],
        notes: [HOSTILE],
        helmReleases: [
          { name: HOSTILE, namespace: 'default', chart: `podinfo ${HOSTILE}` },
          { name: 'other', namespace: 'default', chart: HOSTILE, notRendered: HOSTILE },
        ],
      },
      { name: 'broken', namespace: 'flux-system', error: HOSTILE, resources: [], warnings: [], notes: [] },
      { name: 'off', namespace: 'flux-system', skipped: HOSTILE, resources: [], warnings: [], notes: [] },
    ],
  };
}

function deployment(image: string): KubeObject {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: 'd', namespace: 'default' },
    spec: { template: { spec: { containers: [{ name: HOSTILE, image }] } } },
  };
}

/** The lines outside fenced code blocks, and checks that every fence podo opens is closed by podo. */
function outsideFences(md: string): string[] {
  const lines = md.split('\n');
  const out: string[] = [];
  for (let i = 0; i < lines.length; i++) {
    const open = /^(`{3,})diff$/.exec(lines[i]);
    if (!open) {
      out.push(lines[i]);
      continue;
    }
    const fence = open[1];
    let j = i + 1;
    // Inside: only diff lines (or podo's own cut note); the block ends at the first line that closes it.
    for (; j < lines.length && !new RegExp(`^\`{${fence.length},}\\s*$`).test(lines[j]); j++) {
      expect(lines[j], `line ${j} inside a fence`).toMatch(/^([ +-]|@@ |# … |\(no content)/);
      expect(lines[j]).not.toMatch(/^ {0,3}`{3,}/);
    }
    expect(j, 'fence closed').toBeLessThan(lines.length);
    expect(lines[j]).toBe(fence);
    expect(lines[j + 1]).toBe('');
    expect(lines[j + 2]).toBe('</details>');
    i = j;
  }
  return out;
}

describe('Markdown escaping', () => {
  it('mdText: no HTML, link, emphasis, code, mention, issue reference or line break survives', () => {
    const t = mdText(HOSTILE);
    expect(t).not.toMatch(/[\u0000-\u001f\u007f-\u009f\u202e]/);
    expect(t).not.toMatch(/</);
    expect(t).not.toMatch(/(?<!\\)[[\]`*_~|]/);
    expect(t).not.toMatch(/@[A-Za-z0-9]/);
    expect(t).not.toMatch(/#\d/);
    expect(t).toContain('\\[click\\](http://evil.example)');
    // The backslash of the visible escape is escaped in turn: it reads `\e[31mred`.
    expect(t).toContain('\\\\e\\[31mred');
    expect(mdText('plain text: kustomize.toolkit.fluxcd.io/reconcile (disabled)')).toBe('plain text: kustomize.toolkit.fluxcd.io/reconcile (disabled)');
  });

  it('mdHtml: entities for HTML and the table pipe, no line break, no mention', () => {
    const h = mdHtml(HOSTILE);
    expect(h).not.toMatch(/[<>"\n\r\u001b]/);
    expect(h).not.toMatch(/\|/);
    expect(h).not.toMatch(/@[A-Za-z0-9]/);
    expect(h).toContain('&lt;img src=x onerror=alert(1)&gt;');
  });

  it('mdCode: a span no backtick run can close, on one line', () => {
    expect(mdCode('a`b')).toBe('``a`b``');
    expect(mdCode('```x')).toBe('```` ```x ````');
    expect(mdCode('a|b', true)).toBe('`a\\|b`');
    expect(mdCode('a\nb')).toBe('`a\\nb`');
  });

  it('a hostile report renders podo structure only: headings, fences, tables and tags are podo\'s', () => {
    const md = renderMarkdown(hostileReport());
    expect(md).not.toMatch(/[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u202e]/);
    const outside = outsideFences(md);
    for (const raw of outside) {
      // Code spans are code: GitHub links nothing inside them (the span itself is checked by mdCode's test).
      const line = raw.replace(/(?<![`\\])(`+)(?!`)(.*?)(?<![`\\])\1(?!`)/g, '`code`');
      // Headings: podo's own, with the hostile text on the same line.
      if (line.startsWith('#')) expect(line).toMatch(/^(## podo diff against |### Kustomization |#### ⎈ HelmRelease )/);
      // Lists, quotes and other blocks start only where podo starts them.
      expect(line).not.toMatch(/^(\s*[-+*] \[|\s*>|\s{4})/);
      expect(line).not.toMatch(/Forged heading$/);
      // Mentions and issue references are defused everywhere outside code.
      expect(line).not.toMatch(/@[A-Za-z0-9]/);
      expect(line).not.toMatch(/(?<!&)#\d/);
      // No link or image syntax of the string's own.
      expect(line).not.toMatch(/(?<!\\)\[[^\]]*(?<!\\)\]\(/);
      // The only tags are podo's.
      const tags = line.match(/<[^>]*>/g) ?? [];
      for (const tag of tags) expect(tag).toMatch(/^<(\/?details|\/?summary|!-- podo-diff(-part \d+\/\d+)? --)>$/);
      // Table rows keep their column count.
      if (line.startsWith('|')) {
        const cells = line.split(/(?<!\\)\|/).length;
        expect([9, 5, 4], line).toContain(cells);
      }
    }
    // Code spans of the table: an image with backticks stays inside its span.
    expect(md).toContain('**Image changes**');
    expect(md).toContain('**⚠️ Needs attention**');
  });

  it('split comments keep the same guarantees in every part', () => {
    const parts = markdownParts(hostileReport(), { maxBytes: 2000 });
    expect(parts.length).toBeGreaterThan(1);
    for (const p of parts) {
      outsideFences(p);
      expect(Buffer.byteLength(p)).toBeLessThanOrEqual(2000);
    }
  });
});

describe('terminal escaping', () => {
  it('terminalLine makes every control visible; terminalLines keeps newlines', () => {
    expect(terminalLine('a\u001b[2Jb\r\nc\u009b\u0007\u202e\td')).toBe('a\\e[2Jb\\r\\nc\\u009b\\x07\\u202e\td');
    expect(terminalLines('a\nb\u001b')).toBe('a\nb\\e');
  });

  for (const format of ['text', 'unified'] as const) {
    it(`${format}: no control character reaches the output and no line is forged`, () => {
      const out = render(hostileReport(), format, { color: false, verbose: true, grouped: true });
      expect(out).not.toMatch(/[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]/);
      expect(out).toContain('\\e[31mred');
      // A name's newline does not start a line of its own.
      for (const line of out.split('\n')) expect(line).not.toMatch(/^(# Forged heading|- \[x\] @octocat)/);
    });
  }

  it('text with color: only podo\'s own escape sequences', () => {
    const out = render(hostileReport(), 'text', { color: true, verbose: true, grouped: true });
    const sequences = out.match(/\u001b[^m]*m?/g) ?? [];
    expect(sequences.length).toBeGreaterThan(0);
    for (const s of sequences) expect(s).toMatch(/^\u001b\[\d+(;\d+)*m$/);
    expect(out).not.toMatch(/[\u007f-\u009f\r]/);
  });

  it('json: C1, DEL and bidi controls escaped, the strings unchanged for a JSON reader', () => {
    const out = renderJson(hostileReport());
    expect(out).not.toMatch(/[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u202e]/);
    const parsed = JSON.parse(out) as { kustomizations: { name: string }[] };
    expect(parsed.kustomizations[0].name).toBe(HOSTILE);
  });
});
