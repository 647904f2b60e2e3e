// Shell completion: the generated bash script is sourced in a real bash, with COMP_LINE/COMP_WORDS set as
// bash sets them on TAB, and its answers come from the command tree, the kubeconfig and the cluster.
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { applyLive, ensureNamespace, fluxKustomization, kubeconfig, podoBin, runPodo, uniqueName } from '../helpers/cluster.js';

const binDir = mkdtempSync(path.join(os.tmpdir(), 'podo-bin-'));
symlinkSync(podoBin, path.join(binDir, 'podo'));
let script = '';

/** What bash would offer after typing `line` and pressing TAB (cwd: where the user is). */
function tab(line: string, opts: { cwd?: string; env?: NodeJS.ProcessEnv } = {}): string[] {
  const words = line.split(/\s+/);
  if (line.endsWith(' ')) words[words.length - 1] = '';
  const quoted = words.map((w) => `'${w.replace(/'/g, `'\\''`)}'`).join(' ');
  const program = `source "$SCRIPT"; COMP_LINE='${line}'; COMP_POINT=\${#COMP_LINE}; COMP_WORDS=(${quoted}); COMP_CWORD=${words.length - 1}; _podo; printf '%s\\n' "\${COMPREPLY[@]}"`;
  const out = execFileSync('bash', ['-c', program], {
    cwd: opts.cwd,
    env: { ...process.env, PATH: `${binDir}:${process.env.PATH}`, SCRIPT: script, ...opts.env },
    encoding: 'utf8',
  });
  return out.split('\n').filter(Boolean);
}

describe('podo completion bash', () => {
  beforeAll(async () => {
    const r = await runPodo(['completion', 'bash']);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('complete -F _podo podo');
    script = path.join(mkdtempSync(path.join(os.tmpdir(), 'podo-completion-')), 'podo.bash');
    writeFileSync(script, r.stdout);
  });

  it('completes commands, aliases and subcommands', () => {
    expect(tab('podo ')).toEqual(['build', 'completion', 'diff', 'report']);
    expect(tab('podo d')).toEqual(['diff']);
    expect(tab('podo diff ')).toEqual(['kustomization']);
    expect(tab('podo completion ')).toEqual(['bash', 'fish', 'zsh']);
  });

  it('completes flags of the command being typed, including flux and kubectl spellings', () => {
    expect(tab('podo diff ks --progress')).toEqual(['--progress-bar']);
    expect(tab('podo diff ks --as')).toEqual(['--as', '--as-group', '--as-uid']);
    expect(tab('podo build ks --dry')).toEqual(['--dry-run']);
    expect(tab('podo diff ks --all --')).toContain('--insecure-skip-tls-verify');
  });

  it('completes output formats, with a space and after =', () => {
    expect(tab('podo diff ks --output ')).toEqual(['json', 'markdown', 'text', 'unified']);
    expect(tab('podo diff ks -o m')).toEqual(['markdown']);
    expect(tab('podo diff ks --output=js')).toEqual(['json']);
  });

  it('completes directories for --path and files for --kubeconfig', () => {
    const cwd = mkdtempSync(path.join(os.tmpdir(), 'podo-cwd-'));
    mkdirSync(path.join(cwd, 'clusters'));
    writeFileSync(path.join(cwd, 'cluster-notes.txt'), '');
    expect(tab('podo diff ks --path clu', { cwd })).toEqual(['clusters']);
    expect(tab('podo diff ks --kubeconfig clu', { cwd }).sort()).toEqual(['cluster-notes.txt', 'clusters']);
  });

  it('completes kubeconfig contexts, and Kustomization names from the cluster in the namespace typed', () => {
    const kc = kubeconfig();
    expect(tab(`podo diff ks --kubeconfig ${kc} --context `)).toEqual([contextName(kc)]);
    const ns = uniqueName('compl');
    ensureNamespace(ns);
    const a = uniqueName('alpha');
    const b = uniqueName('beta');
    applyLive(fluxKustomization({ name: a, namespace: ns, path: './' }));
    applyLive(fluxKustomization({ name: b, namespace: ns, path: './' }));
    expect(tab(`podo diff ks -n ${ns} --kubeconfig ${kc} `)).toEqual([a, b].sort());
    expect(tab(`podo build ks --kubeconfig ${kc} -n ${ns} alp`)).toEqual([a]);
    expect(tab(`podo diff ks `, { env: { KUBECONFIG: kc, FLUX_SYSTEM_NAMESPACE: ns } })).toEqual([a, b].sort());
    // No cluster: nothing, quickly, and no error on the terminal.
    expect(tab('podo diff ks ', { env: { KUBECONFIG: '/nonexistent', HOME: binDir } })).toEqual([]);
  });

  it('zsh and fish scripts are generated from the same helper', async () => {
    const zsh = await runPodo(['completion', 'zsh']);
    expect(zsh.stdout).toMatch(/^#compdef podo/);
    expect(zsh.stdout).toContain('__complete');
    const fish = await runPodo(['completion', 'fish']);
    expect(fish.stdout).toContain("complete -c podo -f -a '(__podo_complete)'");
    const bad = await runPodo(['completion', 'tcsh']);
    expect(bad.code).toBe(2);
  });
});

function contextName(kc: string): string {
  return /current-context:\s*(\S+)/.exec(readFileSync(kc, 'utf8'))![1];
}
