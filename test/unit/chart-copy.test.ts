// The copy of a chart helm is given (render/helm/chart-copy.ts): links resolved and checked, no VCS
// metadata, no values.schema.json of any chart level, nothing that is not a file or a directory.
import { execFileSync } from 'node:child_process';
import { existsSync, lstatSync, mkdirSync, mkdtempSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ChartRefused, sealChart } from '../../src/render/helm/chart-copy.js';

function tree(files: Record<string, string>): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'podo-chart-copy-'));
  for (const [rel, content] of Object.entries(files)) {
    mkdirSync(path.dirname(path.join(dir, rel)), { recursive: true });
    writeFileSync(path.join(dir, rel), content);
  }
  return dir;
}

const scratch = () => mkdtempSync(path.join(os.tmpdir(), 'podo-chart-scratch-'));
const dest = () => path.join(scratch(), 'chart');

describe('sealChart', () => {
  it('resolves links inside the source, leaves out VCS metadata, takes out every chart level schema', async () => {
    const root = tree({
      'shared/cfg.txt': 'shared',
      'app/Chart.yaml': 'apiVersion: v2\nname: app\nversion: 1.0.0\n',
      'app/values.schema.json': '{"type":"object"}',
      'app/templates/values.schema.json': 'kept: a template, not a schema',
      'app/charts/sub/Chart.yaml': 'apiVersion: v2\nname: sub\nversion: 1.0.0\n',
      'app/charts/sub/values.schema.json': '{"type":"object","required":["x"]}',
      'app/.git/config': 'token',
      'app/files/.hg/x': 'x',
    });
    symlinkSync('../shared/cfg.txt', path.join(root, 'app/cfg'));
    const to = dest();
    const sealed = await sealChart(path.join(root, 'app'), root, to, scratch);
    expect(lstatSync(path.join(to, 'cfg')).isFile()).toBe(true);
    expect(readFileSync(path.join(to, 'cfg'), 'utf8')).toBe('shared');
    expect(existsSync(path.join(to, '.git'))).toBe(false);
    expect(existsSync(path.join(to, 'files/.hg'))).toBe(false);
    expect(existsSync(path.join(to, 'values.schema.json'))).toBe(false);
    expect(existsSync(path.join(to, 'charts/sub/values.schema.json'))).toBe(false);
    expect(existsSync(path.join(to, 'templates/values.schema.json'))).toBe(true);
    expect(sealed.schemas.map((s) => [s.chart, s.text]).sort()).toEqual([
      ['.', '{"type":"object"}'],
      ['charts/sub', '{"type":"object","required":["x"]}'],
    ]);
  });

  it('refuses a link into .git, a link out of the source, and a FIFO (helm would block reading it)', async () => {
    const intoGit = tree({ 'app/Chart.yaml': 'name: app\n', '.git/config': 'token' });
    symlinkSync('../.git/config', path.join(intoGit, 'app/cfg'));
    await expect(sealChart(path.join(intoGit, 'app'), intoGit, dest(), scratch)).rejects.toThrow(new ChartRefused('chart file cfg is a symlink into version-control metadata (.git); refused'));
    const out = tree({ 'app/Chart.yaml': 'name: app\n' });
    symlinkSync('/etc/hostname', path.join(out, 'app/host'));
    await expect(sealChart(path.join(out, 'app'), out, dest(), scratch)).rejects.toThrow('chart file host is a symlink to a path outside its source; refused');
    const fifo = tree({ 'app/Chart.yaml': 'name: app\n' });
    execFileSync('mkfifo', [path.join(fifo, 'app/pipe')]);
    await expect(sealChart(path.join(fifo, 'app'), fifo, dest(), scratch)).rejects.toThrow('chart file pipe is not a regular file');
  });

  it('unpacks a packaged subchart in place, its schema taken out, and refuses a link in it that leaves it', async () => {
    const src = tree({ 'sub/Chart.yaml': 'apiVersion: v2\nname: sub\nversion: 0.1.0\n', 'sub/values.schema.json': '{}', 'sub/templates/cm.yaml': 'x: 1\n', 'app/Chart.yaml': 'name: app\n' });
    mkdirSync(path.join(src, 'app/charts'));
    execFileSync('tar', ['-czf', path.join(src, 'app/charts/sub-0.1.0.tgz'), '-C', src, 'sub']);
    const to = dest();
    const sealed = await sealChart(path.join(src, 'app'), src, to, scratch);
    expect(readFileSync(path.join(to, 'charts/sub-0.1.0/templates/cm.yaml'), 'utf8')).toBe('x: 1\n');
    expect(existsSync(path.join(to, 'charts/sub-0.1.0.tgz'))).toBe(false);
    expect(sealed.schemas.map((s) => s.chart)).toEqual(['charts/sub-0.1.0']);
    symlinkSync('/etc/hostname', path.join(src, 'sub/host'));
    execFileSync('tar', ['-czf', path.join(src, 'app/charts/sub-0.1.0.tgz'), '-C', src, 'sub']);
    await expect(sealChart(path.join(src, 'app'), src, dest(), scratch)).rejects.toThrow('chart file charts/sub-0.1.0/host is a symlink to a path outside its source; refused');
  });
});
