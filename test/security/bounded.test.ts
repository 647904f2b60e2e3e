// Bounded on hostile input (issue 18, point 6): what helm and kustomize print is capped at 32 MiB, helm
// runs under an address-space bound, and podo's own peak memory (VmHWM of the podo process, polled from
// /proc: helm's memory is its own) stays under 1 GiB, with a clear reason and no process left behind.
import { execFileSync, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { applyLive, ensureNamespace, fluxKustomization, kubeconfig, podoBin, uniqueName, writeTree } from '../helpers/cluster.js';

const GiB = 1 << 30;

interface Measured {
  code: number;
  stdout: string;
  stderr: string;
  /** Peak resident memory of the podo process itself, in bytes. */
  peak: number;
}

/** Runs podo and polls its /proc status for the high-water mark of its resident memory. */
function runMeasured(args: string[]): Promise<Measured> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [podoBin, ...args], { env: { ...process.env, NO_COLOR: '1' }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    let peak = 0;
    const poll = setInterval(() => {
      try {
        const m = /^VmHWM:\s+(\d+) kB$/m.exec(readFileSync(`/proc/${child.pid}/status`, 'utf8'));
        if (m) peak = Math.max(peak, Number(m[1]) * 1024);
      } catch {
        /* exited */
      }
    }, 50);
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => {
      clearInterval(poll);
      resolve({ code: code ?? -1, stdout, stderr, peak });
    });
  });
}

/** Processes whose command line mentions MARK (none may outlive podo). */
function processesWith(mark: string): string[] {
  return execFileSync('ps', ['-eo', 'pid,args'], { encoding: 'utf8' })
    .split('\n')
    .filter((l) => l.includes(mark) && !l.includes('ps -eo'));
}

describe('bounded on hostile input', () => {
  it('a chart template rendering a 512 MiB value: the HelmRelease is not rendered with the reason, podo stays under 1 GiB, helm is gone', async () => {
    const ns = uniqueName('bound');
    ensureNamespace(ns);
    ensureNamespace('flux-system');
    const ks = uniqueName('ks');
    applyLive(fluxKustomization({ name: ks, path: './apps' }));
    // The release name is in helm's command line: how a helm left running would be found.
    const release = `big-${randomBytes(4).toString('hex')}`;
    const repo = writeTree({
      'apps/kustomization.yaml': 'resources: [hr.yaml]\n',
      'apps/hr.yaml': `apiVersion: helm.toolkit.fluxcd.io/v2\nkind: HelmRelease\nmetadata:\n  name: ${release}\n  namespace: ${ns}\nspec:\n  interval: 5m\n  chart:\n    spec:\n      chart: ./charts/big\n      sourceRef:\n        kind: GitRepository\n        name: flux-system\n        namespace: flux-system\n`,
      'charts/big/Chart.yaml': 'apiVersion: v2\nname: big\nversion: 1.0.0\n',
      'charts/big/templates/cm.yaml': 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: big\ndata:\n  v: {{ repeat 536870912 "a" }}\n',
    });
    const r = await runMeasured(['diff', 'ks', ks, '--path', path.join(repo, 'apps'), '--kubeconfig', kubeconfig(), '-o', 'json']);
    expect(r.code, r.stderr).toBe(1);
    const report = JSON.parse(r.stdout) as { kustomizations: Array<{ helmReleases?: Array<{ name: string; notRendered?: string }> }> };
    const hr = report.kustomizations.flatMap((k) => k.helmReleases ?? []).find((h) => h.name === release);
    expect(hr?.notRendered, hr?.notRendered).toMatch(/^helm template failed: helm template( ran out of memory \(podo bounds helm to 2 GiB of address space\)|: output exceeds 32 MiB; stopped)$/);
    expect(r.stdout).not.toContain('aaaaaaaaaaaaaaaa');
    expect(r.peak, `podo's peak RSS: ${(r.peak / (1 << 20)).toFixed(0)} MiB`).toBeGreaterThan(0);
    expect(r.peak).toBeLessThan(GiB);
    expect(processesWith(release)).toEqual([]);
  }, 300_000);

  it('kustomize output over 32 MiB (from inputs under the file limit): exit 2, "output exceeds 32 MiB", podo under 1 GiB', async () => {
    const ns = uniqueName('bound');
    ensureNamespace(ns);
    const ks = uniqueName('ks');
    applyLive(fluxKustomization({ name: ks, path: './' }));
    // 20 MiB of text, used by three generators: each input is under 32 MiB, the output is over 60.
    const blob = `${'x'.repeat(1023)}\n`.repeat(20 * 1024);
    const gens = ['a', 'b', 'c'].map((n) => `- name: ${n}\n  files: [blob.txt]\n`).join('');
    const repo = writeTree({ 'kustomization.yaml': `namespace: ${ns}\nconfigMapGenerator:\n${gens}`, 'blob.txt': blob });
    const r = await runMeasured(['diff', 'ks', ks, '--path', repo, '--kubeconfig', kubeconfig()]);
    expect(r.code, r.stderr).toBe(2);
    const errors = r.stderr.split('\n').filter((l) => l.startsWith('podo: error:'));
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatch(/^podo: error: kustomize build \S+: output exceeds 32 MiB; stopped$/);
    expect(r.peak).toBeLessThan(GiB);
  }, 300_000);
});
