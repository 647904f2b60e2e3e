// The attack corpus' harness: one case = files + live state + flags + expectations. Every case runs
// in every output format (and -v), and every run is checked for the same properties: the exit code,
// exactly the expected `podo: error:` lines (one per failure, no stack trace, no library advice), and
// no canary anywhere in stdout or stderr, raw, base64- or URL-encoded.
import { execFileSync } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { expect, inject } from 'vitest';
import { kubeconfig, runPodo, writeKubeconfig, type RunResult } from '../helpers/cluster.js';

export interface CaseCtx {
  /** A fresh namespace (created) and a Flux Kustomization name of the case's own. */
  ns: string;
  ks: string;
  /** A secret value: it must never reach any output. Contains characters base64/URL encoding change. */
  canary: string;
  /** A second one, for a live value. */
  canary2: string;
  /** A canary that is also a valid DNS label, for names and keys. */
  canaryName: string;
  kubeconfig: string;
  age: { identity: string; recipient: string; keyFile: string };
}

export interface Prepared {
  args: string[];
  env?: NodeJS.ProcessEnv;
  /** More values that must never be printed (an age identity, a token). */
  canaries?: string[];
  /** The command takes -o/-v (diff); `build` does not. Default true. */
  formats?: boolean;
}

export interface Expectation {
  code: number;
  /** The `podo: error:` lines expected, in order (one per failure); none when absent. */
  errors?: RegExp[];
  /** Extra assertions on one run (its format given). */
  check?: (r: RunResult, format: string, ctx: CaseCtx) => void;
  /** Requests podo must not have made, judged from the API server's audit log. */
  noListOfSecrets?: boolean;
}

export interface AttackCase {
  name: string;
  setup: (ctx: CaseCtx) => Prepared | Promise<Prepared>;
  expect: Expectation;
}

export const FORMATS: Array<{ format: string; args: string[] }> = [
  { format: 'text', args: [] },
  { format: 'text -v', args: ['-v'] },
  { format: 'json -v', args: ['-o', 'json', '-v'] },
  { format: 'markdown -v', args: ['-o', 'markdown', '-v'] },
  { format: 'unified -v', args: ['-o', 'unified', '-v'] },
];

/** Every form a leaked value could take in output. */
export function leakForms(value: string): string[] {
  const b64 = Buffer.from(value).toString('base64').replace(/=+$/, '');
  const forms = new Set([value, b64, encodeURIComponent(value), JSON.stringify(value).slice(1, -1)]);
  // The value inside a longer base64 string, at each of the three alignments.
  for (const pre of ['x', 'xy']) {
    const s = Buffer.from(pre + value).toString('base64');
    forms.add(s.slice(4, s.length - 4));
  }
  return [...forms].filter((f) => f.length >= 6);
}

export function assertNoLeak(r: RunResult, values: string[], label: string): void {
  for (const v of values) {
    for (const form of leakForms(v)) {
      expect(r.stdout.includes(form), `${label}: stdout holds ${JSON.stringify(form)} (a form of a secret value)`).toBe(false);
      expect(r.stderr.includes(form), `${label}: stderr holds ${JSON.stringify(form)} (a form of a secret value)`).toBe(false);
    }
  }
}

export function assertErrors(r: RunResult, errors: RegExp[] | undefined, label: string): void {
  const lines = r.stderr.split('\n').filter((l) => l.startsWith('podo: error:'));
  const want = errors ?? [];
  expect(lines.length, `${label}: error lines on stderr:\n${r.stderr}`).toBe(want.length);
  want.forEach((re, i) => expect(lines[i], label).toMatch(re));
  // podo's own words: no stack trace, no library advice, no "internal error" for bad input.
  expect(r.stderr, label).not.toMatch(/^\s+at .+\(.+:\d+:\d+\)$/m);
  expect(r.stderr, label).not.toMatch(/please use|internal error|podo-build-|podo-base-/i);
  if (r.code === 2) expect(lines.length, `${label}: exit 2 without a reason on stderr`).toBeGreaterThan(0);
}

/** The audit log of the cluster under test (the project's own cluster always writes one). */
export function auditLog(): string {
  const injected = inject('auditLog');
  if (injected) return injected;
  const next = path.join(path.dirname(kubeconfig()), 'audit.log');
  if (!existsSync(next)) throw new Error(`no audit log next to ${kubeconfig()}: run the corpus against the project's local cluster`);
  return next;
}

interface AuditEvent {
  verb: string;
  requestURI: string;
  userAgent?: string;
  stage: string;
}

export function podoRequests(ns: string): AuditEvent[] {
  return readFileSync(auditLog(), 'utf8')
    .split('\n')
    .filter((l) => l.includes(ns) && l.includes('"podo '))
    .map((l) => JSON.parse(l) as AuditEvent)
    .filter((e) => e.stage === 'ResponseComplete' && (e.userAgent ?? '').startsWith('podo '));
}

export async function runCase(c: AttackCase, ctx: CaseCtx): Promise<void> {
  const p = await c.setup(ctx);
  const values = [ctx.canary, ctx.canary2, ctx.canaryName, ...(p.canaries ?? [])];
  const runs = p.formats === false ? [{ format: 'plain', args: [] as string[] }] : FORMATS;
  for (const f of runs) {
    const r = await runPodo([...p.args, ...f.args], p.env);
    const label = `${c.name} [${f.format}]`;
    expect(r.code, `${label}: exit code; stderr:\n${r.stderr}\nstdout:\n${r.stdout.slice(0, 2000)}`).toBe(c.expect.code);
    assertErrors(r, c.expect.errors, label);
    assertNoLeak(r, values, label);
    // Exit 2 never prints something that could pass for "no changes" on stdout.
    if (r.code === 2) expect(r.stdout, label).not.toMatch(/no changes/i);
    c.expect.check?.(r, f.format, ctx);
  }
  if (c.expect.noListOfSecrets) {
    const bad = podoRequests(ctx.ns).filter((e) => (e.verb === 'list' && /\/secrets(\?|$)/.test(e.requestURI)) || /\/\.\.?(\/|\?|$)/.test(e.requestURI));
    expect(bad, `${c.name}: podo requests that address something else than the object`).toEqual([]);
  }
}

/** A script in a temporary directory (an exec plugin, a stand-in kustomize). */
export function script(name: string, body: string): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'podo-sec-bin-'));
  const file = path.join(dir, name);
  writeFileSync(file, `#!/bin/sh\n${body}\n`);
  chmodSync(file, 0o755);
  return file;
}

/** A kubeconfig for the local cluster whose user is `user` (YAML of the user's body). */
export function kubeconfigWithUser(userYaml: string, server?: string, ca?: string): string {
  return writeKubeconfig('attacker', userYaml, { context: 'c', server, ca });
}

/** Turns DIR into a git repository with everything committed; returns DIR. */
export function gitInit(dir: string): string {
  const git = (args: string[]) => execFileSync('git', args, { cwd: dir, stdio: 'ignore', env: { ...process.env, GIT_AUTHOR_NAME: 't', GIT_AUTHOR_EMAIL: 't@t', GIT_COMMITTER_NAME: 't', GIT_COMMITTER_EMAIL: 't@t' } });
  git(['init', '-q', '-b', 'main']);
  git(['add', '-A']);
  git(['commit', '-q', '-m', 'base']);
  return dir;
}
