// The flag table (src/cli/flags.ts) is the one place a flag is declared: every flag it lists is in the
// help and the completion of each command that offers it, every flag in help is in it, and parsing a
// command line with the flag fills the field the table names.
import { chmodSync, mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Command } from 'commander';
import { describe, expect, it } from 'vitest';
import { buildProgram } from '../../src/cli/program.js';
import { normalizeBooleanFlags } from '../../src/cli/argv.js';
import { complete } from '../../src/cli/completion.js';
import { validate, type DiffFlags } from '../../src/cli/diff-command.js';
import { validateBuild, type BuildFlags } from '../../src/cli/build-command.js';
import { FLAGS, flagsOf, helpOf, keyOf, type CommandId, type FlagDef } from '../../src/cli/flags.js';
import type { HelmLookup } from '../../src/model/helm.js';

const tmp = mkdtempSync(path.join(os.tmpdir(), 'podo-flags-'));
const env: NodeJS.ProcessEnv = { PATH: process.env.PATH, HOME: tmp, XDG_CACHE_HOME: path.join(tmp, 'cache') };

const WORDS: Record<CommandId, string[]> = { diff: ['diff', 'kustomization'], build: ['build', 'kustomization'], merge: ['report', 'merge'] };
const COMMANDS: CommandId[] = ['diff', 'build', 'merge'];

function commandOf(program: Command, id: CommandId): Command {
  const [a, b] = WORDS[id];
  return program.commands.find((c) => c.name() === a)!.commands.find((c) => c.name() === b)!;
}

const visible = (id: CommandId) => flagsOf(id).filter((f) => !f.hidden);
const spellings = (flags: readonly FlagDef[]) => flags.flatMap((f) => [f.long, ...(f.short ? [f.short] : [])]);

describe('the flag table', () => {
  it('declares each spelling once, and each flag has help and at least one command', () => {
    const all = spellings(FLAGS);
    expect(all.length).toBe(new Set(all).size);
    for (const f of FLAGS as readonly FlagDef[]) {
      expect(f.commands.length, f.long).toBeGreaterThan(0);
      for (const c of f.commands) expect(helpOf(f, c).length, `${f.long} on ${c}`).toBeGreaterThan(0);
      // A flag that takes a value says what; a switch does not.
      expect(f.value !== undefined, f.long).toBe(['value', 'repeat', 'csv'].includes(f.kind));
      // A field is filled either by the table (parse, for single values) or by the code filledBy names.
      if (f.fills) expect(!!f.parse !== !!f.filledBy, `${f.long}: parse or filledBy`).toBe(true);
      if (f.parse) expect(['value', 'switch', 'negation'], f.long).toContain(f.kind);
    }
  });

  for (const id of COMMANDS) {
    it(`is what \`podo ${WORDS[id].join(' ')} --help\` lists, with the table's help text`, () => {
      const help = commandOf(buildProgram(() => {}, env), id).helpInformation();
      const listed = [...help.matchAll(/^ {2}(?:(-\w), )?(--[a-z][\w-]*)/gm)].flatMap((m) => [m[2], ...(m[1] ? [m[1]] : [])]);
      expect(listed.sort()).toEqual([...spellings(visible(id)), '-h', '--help'].sort());
      const flat = help.replace(/\s+/g, ' ');
      for (const f of visible(id)) expect(flat, f.long).toContain(helpOf(f, id).replace(/\s+/g, ' '));
      for (const f of flagsOf(id).filter((x) => x.hidden)) expect(help).not.toContain(`${f.long} `);
    });

    it(`is what completion offers for \`podo ${WORDS[id].join(' ')} -\``, async () => {
      const program = buildProgram(() => {}, env);
      const sources = { env, kustomizations: async () => [] };
      const got = await complete(program, [...WORDS[id], '-'], sources);
      expect(got.candidates).toEqual([...new Set([...spellings(visible(id)), '--help'])].sort());
      for (const f of flagsOf(id).filter((x) => x.value)) {
        const value = await complete(program, [...WORDS[id], f.long, ''], sources);
        expect(value.directive, f.long).toBe(f.complete ?? 'none');
        if (f.choices) expect(value.candidates, f.long).toEqual([...f.choices].sort());
      }
    });
  }
});

// Flags some others need, and values that must name something real.
const fakeKustomize = path.join(tmp, 'kustomize');
writeFileSync(fakeKustomize, '#!/bin/sh\nexit 0\n');
chmodSync(fakeKustomize, 0o755);
const fakeHelm3 = path.join(tmp, 'helm');
writeFileSync(fakeHelm3, '#!/bin/sh\necho v3.17.3\n');
chmodSync(fakeHelm3, 0o755);
const ignoreFile = path.join(tmp, 'ignore-fields');
writeFileSync(ignoreFile, 'Deployment:/spec/replicas\n');
const kubeconfig = path.join(tmp, 'kubeconfig');
writeFileSync(
  kubeconfig,
  'apiVersion: v1\nkind: Config\ncurrent-context: c\ncontexts: [{name: c, context: {cluster: k, user: u, namespace: team}}]\nclusters: [{name: k, cluster: {server: "https://127.0.0.1:6443"}}]\nusers: [{name: u, user: {token: t}}]\n',
);
const NEEDS: Record<string, string[]> = {
  '--cluster-path': ['--base-ref', 'main', '--all'],
  '--shard': ['--all'],
  '--ignore-not-found': ['--kustomization-file', 'ks.yaml'],
  '--dry-run': ['--kustomization-file', 'ks.yaml'],
  '--as-group': ['--as', 'jane'],
  '--as-uid': ['--as', 'jane'],
  '--ns-follows-kube-context': ['--kubeconfig', kubeconfig],
};
const VALUES: Record<string, string> = { '--kustomize-bin': fakeKustomize, '--ignore-field-file': ignoreFile };

type Parsed = ReturnType<typeof validate> | ReturnType<typeof validateBuild>;

/** `podo <command> kustomization web --path DIR ARGS` parsed and validated as the command's action does, without running it. */
async function parse(id: 'diff' | 'build', args: string[]): Promise<Parsed> {
  const program = buildProgram(() => {}, env);
  let out: Parsed | undefined;
  commandOf(program, id).action((name: string | undefined, _o: unknown, cmd: Command) => {
    out =
      id === 'diff'
        ? validate(name, cmd.opts() as DiffFlags, cmd.getOptionValueSource('namespace') === 'cli', env, true, cmd.getOptionValueSource('timeout') === 'cli')
        : validateBuild(name, cmd.opts() as BuildFlags, env);
  });
  await program.parseAsync(normalizeBooleanFlags(['node', 'podo', ...WORDS[id], 'web', '--path', tmp, ...args], program));
  return out!;
}

const at = (o: unknown, dotted: string) => dotted.split('.').reduce<unknown>((v, k) => (v as Record<string, unknown> | undefined)?.[k], o);
/** The options without the helm lookup (a function: compared by what it finds, below). */
const comparable = (p: Parsed) => ({ ...p, run: { ...p.run, build: { ...p.run.build, helm: undefined } } });

function argsFor(f: FlagDef): string[] {
  if (f.kind === 'negation') return [f.long];
  if (f.kind === 'switch') return f.example ? [`${f.long}=${f.example}`] : [f.long];
  return [f.long, VALUES[f.long] ?? f.example!];
}

describe('parsing a command line with each flag fills the field the table names', () => {
  for (const id of ['diff', 'build'] as const) {
    for (const f of flagsOf(id)) {
      it(`podo ${id} ${f.long} → ${f.fills ?? '(nothing: accepted for flux compatibility)'}`, async () => {
        const needs = NEEDS[f.long] ?? [];
        const base = await parse(id, needs);
        const got = await parse(id, [...needs, ...argsFor(f)]);
        if (!f.fills) {
          expect(comparable(got)).toEqual(comparable(base));
        } else if (f.fills === 'run.build.helm') {
          // The helm lookup: a named helm is the one used, and --helm-version is held against it.
          const named = await parse(id, ['--helm-bin', fakeHelm3]);
          expect(await named.run.build.helm()).toMatchObject({ path: fakeHelm3, version: '3.17.3' });
          if (f.long === '--helm-bin') expect(await got.run.build.helm()).toEqual({ missing: 'chart rendering is turned off (--helm-bin none)' } satisfies HelmLookup);
          else await expect((await parse(id, ['--helm-bin', fakeHelm3, '--helm-version', '4'])).run.build.helm()).rejects.toThrow('--helm-version 4, but --helm-bin');
        } else {
          expect(at(got, f.fills), `${f.long} fills ${f.fills}`).not.toEqual(at(base, f.fills));
          expect(at(got, f.fills), `${f.long} fills ${f.fills}`).not.toBeUndefined();
          if (f.parse && f.kind === 'value') expect(at(got, f.fills)).toEqual(f.parse(VALUES[f.long] ?? f.example!, f.long));
        }
      });
    }
  }

  it('every flag key is the commander attribute its spelling makes', () => {
    const program = buildProgram(() => {}, env);
    for (const id of COMMANDS) {
      const cmd = commandOf(program, id);
      for (const f of flagsOf(id)) expect(cmd.options.find((o) => o.long === f.long)?.attributeName(), f.long).toBe(keyOf(f));
    }
  });
});
