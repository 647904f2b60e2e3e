// SIGINT/SIGTERM and --timeout end every child process podo started (its whole process group),
// remove the temporary copy and git worktrees, and say so with the right exit code. Proven with a
// stand-in kustomize that records its own PID, its child's PID and the directory it was given.
import { describe, expect, it } from 'vitest';
import { spawn, execFileSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fluxKustomization, podoBin, writeTree } from '../helpers/cluster.js';
import { gitInit, script } from './harness.js';

const SLOW_KUSTOMIZE = 'echo "dir $2" >> "$PODO_TEST_PIDS"\necho "pid $$" >> "$PODO_TEST_PIDS"\nsleep 300 &\necho "pid $!" >> "$PODO_TEST_PIDS"\nwait\n';

/** Running, as opposed to gone or a zombie (dead, waiting to be reaped by whoever inherited it). */
function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2)[0] !== 'Z';
  } catch {
    return false;
  }
}

interface Started {
  done: Promise<{ code: number | null; signal: NodeJS.Signals | null; stderr: string; stdout: string }>;
  pid: number;
}

function start(args: string[], env: NodeJS.ProcessEnv, cwd?: string): Started {
  const child = spawn(process.execPath, [podoBin, ...args], { env: { ...process.env, NO_COLOR: '1', ...env }, cwd, stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  let stdout = '';
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  return { pid: child.pid!, done: new Promise((resolve) => child.on('close', (code, signal) => resolve({ code, signal, stderr, stdout }))) };
}

async function waitFor(file: string, lines: number): Promise<string[]> {
  for (let i = 0; i < 300; i++) {
    if (existsSync(file)) {
      const l = readFileSync(file, 'utf8').split('\n').filter(Boolean);
      if (l.length >= lines) return l;
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`${file} never got ${lines} lines`);
}

function setup(): { args: string[]; pids: string; repo: string } {
  const root = writeTree({ 'repo/kustomization.yaml': 'resources: []\n', 'ks.yaml': fluxKustomization({ name: 'app', path: './' }) });
  const repo = path.join(root, 'repo');
  const pids = path.join(root, 'pids');
  const kustomize = script('kustomize', SLOW_KUSTOMIZE);
  return { repo, pids, args: ['build', 'ks', 'app', '--path', repo, '--dry-run', '--kustomization-file', path.join(root, 'ks.yaml'), '--kustomize-bin', kustomize] };
}

function recorded(lines: string[]): { pids: number[]; dir: string } {
  return {
    pids: lines.filter((l) => l.startsWith('pid ')).map((l) => Number(l.slice(4))),
    dir: lines.find((l) => l.startsWith('dir '))!.slice(4),
  };
}

describe('interrupts and deadlines', () => {
  for (const [signal, code] of [['SIGINT', 130], ['SIGTERM', 143]] as const) {
    it(`${signal} during a build: exit ${code}, no kustomize process left (checked by PID), no temporary copy left`, async () => {
      const s = setup();
      const run = start(s.args, { PODO_TEST_PIDS: s.pids });
      const { pids, dir } = recorded(await waitFor(s.pids, 3));
      expect(pids.length).toBe(2);
      expect(pids.every(alive)).toBe(true);
      expect(existsSync(dir)).toBe(true);
      process.kill(run.pid, signal);
      const r = await run.done;
      expect(r.code).toBe(code);
      expect(r.stdout).toBe('');
      await new Promise((res) => setTimeout(res, 200));
      for (const pid of pids) expect(alive(pid), `kustomize process ${pid} still running`).toBe(false);
      expect(existsSync(dir), `temporary copy ${dir} left behind`).toBe(false);
    });
  }

  it('--timeout kills a kustomize that hangs: exit 2, one line naming it, no process left', async () => {
    const s = setup();
    const t0 = Date.now();
    const run = start([...s.args, '--timeout', '2s'], { PODO_TEST_PIDS: s.pids });
    const { pids, dir } = recorded(await waitFor(s.pids, 3));
    const r = await run.done;
    expect(Date.now() - t0).toBeLessThan(15_000);
    expect(r.code).toBe(2);
    const errors = r.stderr.split('\n').filter((l) => l.startsWith('podo: error:'));
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatch(/timed out \(--timeout 2s\) while kustomize build .* was still running/);
    await new Promise((res) => setTimeout(res, 200));
    for (const pid of pids) expect(alive(pid)).toBe(false);
    expect(existsSync(dir)).toBe(false);
  });

  it('SIGINT during a --base-ref build: the git worktree is removed', async () => {
    const root = writeTree({ 'repo/kustomization.yaml': 'resources: []\n' });
    const repo = gitInit(path.join(root, 'repo'));
    writeFileSync(path.join(repo, 'kustomization.yaml'), 'resources: []\n# changed\n');
    const pids = path.join(root, 'pids');
    const kustomize = script('kustomize', SLOW_KUSTOMIZE);
    const run = start(['diff', 'ks', 'app', '--base-ref', 'main', '--path', repo, '--kustomize-bin', kustomize], { PODO_TEST_PIDS: pids });
    const lines = await waitFor(pids, 3);
    const { pids: all } = recorded(lines);
    const worktrees = () => execFileSync('git', ['worktree', 'list', '--porcelain'], { cwd: repo, encoding: 'utf8' }).split('\n').filter((l) => l.startsWith('worktree '));
    expect(worktrees().length).toBe(2);
    process.kill(run.pid, 'SIGINT');
    const r = await run.done;
    expect(r.code).toBe(130);
    await new Promise((res) => setTimeout(res, 200));
    for (const pid of all) expect(alive(pid)).toBe(false);
    expect(worktrees().length).toBe(1);
    for (const l of lines.filter((x) => x.startsWith('dir '))) expect(existsSync(l.slice(4))).toBe(false);
  });
});
