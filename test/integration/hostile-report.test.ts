// A pull request names an object's kind, its name and a file it refers to: through the real podo and
// kustomize (--base-ref, no cluster), none of them forges Markdown structure in -o markdown or reaches
// the terminal as a control sequence in text output or on stderr.
import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { runPodo, writeTree } from '../helpers/cluster.js';

const ks = `apiVersion: kustomize.toolkit.fluxcd.io/v1\nkind: Kustomization\nmetadata:\n  name: apps\n  namespace: flux-system\nspec:\n  interval: 10m\n  path: ./apps\n  prune: true\n  sourceRef: {kind: GitRepository, name: flux-system}\n`;
const base = 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\n  namespace: demo\ndata:\n  k: v1\n';
// YAML double-quoted escapes: newlines, NEL and a bidi override in the kind (kustomize's
// YAML parser refuses the other control characters, such as ESC; the unit tests cover those).
const hostile = [
  'apiVersion: example.com/v1',
  'kind: "Evil\\n\\n# Forged heading\\n@octocat [click](http://evil.example) <img src=x onerror=alert(1)> ``` | x |\\x85\\u202e"',
  'metadata:',
  '  name: hostile',
  '  namespace: demo',
  'data:',
  '  "key\\n# forged": "v2 @octocat\\n```\\n# not a heading\\n\\u202e"',
  '',
].join('\n');

function repo(files: Record<string, string>): string {
  const dir = writeTree({ 'clusters/prod/apps.yaml': ks, 'apps/kustomization.yaml': 'resources: [a.yaml]\n', 'apps/a.yaml': base });
  const git = (...a: string[]) => execFileSync('git', ['-c', 'commit.gpgsign=false', '-c', 'user.name=t', '-c', 'user.email=t@t', ...a], { cwd: dir, stdio: 'ignore' });
  git('init', '-q', '-b', 'main');
  git('add', '-A');
  git('commit', '-qm', 'base');
  for (const [rel, content] of Object.entries(files)) execFileSync('sh', ['-c', 'cat > "$1"', 'sh', `${dir}/${rel}`], { input: content });
  return dir;
}

const TERMINAL_CONTROLS = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u202e]/;

/** Lines of the comment outside podo's fenced diffs. */
function outsideFences(md: string): string[] {
  const out: string[] = [];
  let fence: string | undefined;
  for (const line of md.split('\n')) {
    if (fence) {
      if (line === fence) fence = undefined;
      continue;
    }
    const open = /^(`{3,})diff$/.exec(line);
    if (open) fence = open[1];
    else out.push(line);
  }
  expect(fence, 'every fence closed').toBeUndefined();
  return out;
}

describe('hostile strings through the CLI', () => {
  it('a hostile kind and key: markdown keeps podo\'s structure, text and stderr carry no control sequence', async () => {
    const dir = repo({ 'apps/kustomization.yaml': 'resources: [a.yaml, h.yaml]\n', 'apps/h.yaml': hostile });
    const args = ['diff', 'ks', '--all', '--path', dir, '--base-ref', 'main', '--progress-bar=false'];
    const md = await runPodo([...args, '-o', 'markdown']);
    expect(md.code, md.stderr).toBe(1);
    expect(md.stdout).toContain('Evil\\n\\n# Forged heading');
    for (const line of outsideFences(md.stdout)) {
      if (line.startsWith('#')) expect(line).toMatch(/^(## podo diff against |### Kustomization )/);
      expect(line).not.toMatch(/@[A-Za-z0-9]/);
      for (const tag of line.match(/<[^>]*>/g) ?? []) expect(tag).toMatch(/^<(\/?details|\/?summary|!-- podo-diff --)>$/);
      expect(line).not.toMatch(TERMINAL_CONTROLS);
    }
    const text = await runPodo([...args, '-o', 'text', '-v']);
    expect(text.code, text.stderr).toBe(1);
    expect(text.stdout).toContain('Evil\\n\\n# Forged heading');
    expect(text.stdout).toContain('\\u202e');
    expect(text.stdout).not.toMatch(TERMINAL_CONTROLS);
    expect(text.stderr).not.toMatch(TERMINAL_CONTROLS);
    for (const line of text.stdout.split('\n')) expect(line).not.toMatch(/^# Forged heading/);
    const json = await runPodo([...args, '-o', 'json']);
    expect(json.stdout).not.toMatch(TERMINAL_CONTROLS);
    const kinds = (JSON.parse(json.stdout) as { kustomizations: { resources: { kind: string }[] }[] }).kustomizations.flatMap((k) => k.resources.map((r) => r.kind));
    expect(kinds.some((k) => k.startsWith('Evil\n\n# Forged heading\n@octocat') && k.includes('\u202e'))).toBe(true);
  });

  it('a file name with control characters in a build error: one visible line on stderr and in the comment', async () => {
    const dir = repo({ 'apps/kustomization.yaml': 'resources: ["a.yaml", "missing\\e[31m\\n# forged.yaml"]\n' });
    const args = ['diff', 'ks', '--all', '--path', dir, '--base-ref', 'main', '--progress-bar=false'];
    const text = await runPodo([...args, '-o', 'text']);
    expect(text.code).toBe(2);
    expect(text.stderr).toContain('missing');
    expect(text.stderr).not.toMatch(TERMINAL_CONTROLS);
    expect(text.stderr.split('\n').some((l) => l.startsWith('# forged'))).toBe(false);
    const md = await runPodo([...args, '-o', 'markdown']);
    expect(md.code).toBe(2);
    expect(md.stdout).toMatch(/\*\*Failed:\*\* .*missing/);
    for (const line of outsideFences(md.stdout)) {
      expect(line).not.toMatch(/^# forged/);
      expect(line).not.toMatch(TERMINAL_CONTROLS);
    }
  });
});
