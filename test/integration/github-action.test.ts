// The GitHub Action's script steps run locally: run-podo.sh runs the real podo on a real git fixture
// (--base-ref, no cluster), and comment.mjs keeps ONE pull-request comment through a loopback server that
// stands in for GitHub's REST API. Three pushes: changes, more changes, no changes.
import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parse } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { repoRoot, writeTree } from '../helpers/cluster.js';
import { startFakeGitHub, type FakeGitHub } from '../helpers/fake-github.js';

const REPO = 'acme/fleet';
const PR = 7;

/** Asynchronous: the fake API server lives in this process and must keep answering meanwhile. */
function run(cmd: string, args: string[], env: NodeJS.ProcessEnv): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { env: { ...process.env, NO_COLOR: '1', ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code: code ?? -1, stdout, stderr }));
  });
}

const cm = (name: string, data: string) => `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: ${name}\n  namespace: demo\ndata:\n${data}`;
const ks = `apiVersion: kustomize.toolkit.fluxcd.io/v1\nkind: Kustomization\nmetadata:\n  name: apps\n  namespace: flux-system\nspec:\n  interval: 10m\n  path: ./apps\n  prune: true\n  sourceRef: {kind: GitRepository, name: flux-system}\n`;

describe('action.yml script steps', () => {
  let gh: FakeGitHub;
  let repo: string;
  const work = mkdtempSync(path.join(os.tmpdir(), 'podo-action-'));
  const event = path.join(work, 'event.json');
  const report = path.join(work, 'podo-report.md');
  const git = (...a: string[]) => execFileSync('git', ['-c', 'commit.gpgsign=false', '-c', 'user.name=t', '-c', 'user.email=t@t', ...a], { cwd: repo, stdio: 'ignore' });

  beforeAll(async () => {
    gh = await startFakeGitHub(REPO);
    // Other people's comments fill the first page: podo's must be found on the second.
    gh.comments.set(PR, Array.from({ length: 120 }, (_, i) => ({ id: i + 1, body: `looks good ${i}` })));
    writeFileSync(event, JSON.stringify({ pull_request: { number: PR } }));
    repo = writeTree({ 'clusters/prod/apps.yaml': ks, 'apps/kustomization.yaml': 'resources: [a.yaml]\n', 'apps/a.yaml': cm('a', '  k: v1\n') });
    git('init', '-q', '-b', 'main');
    git('add', '-A');
    git('commit', '-qm', 'base');
  });
  afterAll(async () => {
    await gh?.close();
  });

  /** One push: the podo step, then the comment step, with the env action.yml gives them. */
  async function push(extra: NodeJS.ProcessEnv = {}): Promise<{ exitCode: number; log: string }> {
    const output = path.join(work, `output-${Date.now()}`);
    writeFileSync(output, '');
    const step = await run('bash', [path.join(repoRoot, 'scripts/action/run-podo.sh')], {
      GITHUB_ACTION_PATH: repoRoot,
      GITHUB_OUTPUT: output,
      PODO_REPORT: report,
      INPUT_PATH: repo,
      INPUT_BASE_REF: 'main',
      INPUT_ALL: 'true',
      INPUT_EXTRA_ARGS: '--progress-bar=false',
      KUBECONFIG: '/nonexistent/kubeconfig',
    });
    expect(step.code, step.stderr).toBe(0);
    const exitCode = Number(/exit-code=(\d)/.exec(readFileSync(output, 'utf8'))![1]);
    const comment = await run(process.execPath, [path.join(repoRoot, 'scripts/action/comment.mjs')], {
      GITHUB_API_URL: gh.url,
      GITHUB_TOKEN: 'test-token',
      GITHUB_REPOSITORY: REPO,
      GITHUB_EVENT_PATH: event,
      GITHUB_SHA: 'abcdef1234567890',
      PODO_EXIT_CODE: String(exitCode),
      PODO_REPORT: report,
      ...extra,
    });
    expect(comment.code, comment.stderr).toBe(0);
    return { exitCode, log: comment.stdout };
  }

  const podoComments = () => (gh.comments.get(PR) ?? []).filter((c) => c.body.includes('<!-- podo-diff'));

  it('first push with changes: one new comment with the marker, the base ref in the heading and the action icons', async () => {
    writeFileSync(path.join(repo, 'apps/a.yaml'), cm('a', '  k: v2\n'));
    const { exitCode, log } = await push();
    expect(exitCode).toBe(1);
    expect(log).toMatch(/created comment \d+/);
    const mine = podoComments();
    expect(mine).toHaveLength(1);
    expect(mine[0].body.startsWith('<!-- podo-diff -->\n## podo diff against `main`')).toBe(true);
    expect(mine[0].body).toContain('| 🟡 drifted | 1 |');
    expect(gh.requests.every((r) => r.authorization === 'Bearer test-token')).toBe(true);
    // It looked through both pages before creating.
    expect(gh.requests.some((r) => r.method === 'GET' && r.path.includes('page=2'))).toBe(true);
  });

  it('a later push with other changes updates the same comment', async () => {
    const id = podoComments()[0].id;
    writeFileSync(path.join(repo, 'apps/b.yaml'), cm('b', '  k: new\n'));
    writeFileSync(path.join(repo, 'apps/kustomization.yaml'), 'resources: [a.yaml, b.yaml]\n');
    const { exitCode, log } = await push();
    expect(exitCode).toBe(1);
    expect(log).toContain(`updated comment ${id}`);
    const mine = podoComments();
    expect(mine).toHaveLength(1);
    expect(mine[0].id).toBe(id);
    expect(mine[0].body).toContain('| 🟢 created | 1 |');
    expect(gh.requests.filter((r) => r.method === 'POST')).toHaveLength(1);
  });

  it('an error is posted too (the job then fails on exit 2)', async () => {
    writeFileSync(path.join(repo, 'apps/kustomization.yaml'), 'resources: [a.yaml, missing.yaml]\n');
    const { exitCode } = await push();
    expect(exitCode).toBe(2);
    expect(podoComments()).toHaveLength(1);
    expect(podoComments()[0].body).toMatch(/Failed.*missing\.yaml/);
  });

  it('a push with no changes: on-no-changes=update says so in the same comment, the default deletes it', async () => {
    git('checkout', '--', '.');
    git('clean', '-fdq');
    const id = podoComments()[0].id;
    const updated = await push({ INPUT_ON_NO_CHANGES: 'update' });
    expect(updated.exitCode).toBe(0);
    expect(podoComments()).toEqual([{ id, body: '<!-- podo-diff -->\n## podo diff\n\n✅ No changes as of abcdef1.\n' }]);
    const deleted = await push();
    expect(deleted.log).toContain(`deleted comment ${id}`);
    expect(podoComments()).toHaveLength(0);
    expect(gh.comments.get(PR)).toHaveLength(120);
    // Nothing to say and nothing said: no comment is created for a clean pull request.
    expect((await push()).log).toContain('nothing to do');
    expect(podoComments()).toHaveLength(0);
  });

  it('comment-key keeps one comment per podo job', async () => {
    writeFileSync(path.join(repo, 'apps/a.yaml'), cm('a', '  k: v3\n'));
    await push({ INPUT_COMMENT_KEY: 'staging' });
    await push({ INPUT_COMMENT_KEY: 'production' });
    await push({ INPUT_COMMENT_KEY: 'staging' });
    const keys = podoComments().map((c) => c.body.split('\n')[0]).sort();
    expect(keys).toEqual(['<!-- podo-diff:production -->', '<!-- podo-diff:staging -->']);
  });

  it('action.yml wires these scripts with the documented inputs', () => {
    const action = parse(readFileSync(path.join(repoRoot, 'action.yml'), 'utf8')) as {
      inputs: Record<string, unknown>;
      runs: { using: string; steps: { run?: string; env?: Record<string, string> }[] };
    };
    expect(action.runs.using).toBe('composite');
    expect(Object.keys(action.inputs)).toEqual(expect.arrayContaining(['path', 'base-ref', 'kustomization', 'all', 'extra-args', 'json-report', 'merge', 'max-comment-bytes', 'on-no-changes', 'comment-key']));
    const runs = action.runs.steps.map((s) => s.run ?? '').join('\n');
    expect(runs).toContain('scripts/action/run-podo.sh');
    expect(runs).toContain('scripts/action/comment.mjs');
    // Every input the scripts read is passed by action.yml.
    const passed = new Set(action.runs.steps.flatMap((s) => Object.keys(s.env ?? {})));
    for (const name of ['INPUT_PATH', 'INPUT_BASE_REF', 'INPUT_KUSTOMIZATION', 'INPUT_ALL', 'INPUT_EXTRA_ARGS', 'INPUT_MAX_COMMENT_BYTES', 'INPUT_JSON_REPORT', 'INPUT_MERGE', 'INPUT_COMMENT_KEY', 'INPUT_ON_NO_CHANGES', 'PODO_EXIT_CODE', 'PODO_REPORT', 'GITHUB_TOKEN']) {
      expect(passed.has(name), name).toBe(true);
    }
  });
});

// A report past max-comment-bytes is split into parts, one comment each: created, updated in place on the
// next push, and the comments of parts no longer needed deleted when the diff shrinks.
describe('action.yml with a report split into parts', () => {
  const SPLIT_PR = 9;
  let gh: FakeGitHub;
  let repo: string;
  const work = mkdtempSync(path.join(os.tmpdir(), 'podo-action-split-'));
  const event = path.join(work, 'event.json');
  const report = path.join(work, 'podo-report.md');
  const summary = path.join(work, 'step-summary.md');
  const git = (...a: string[]) => execFileSync('git', ['-c', 'commit.gpgsign=false', '-c', 'user.name=t', '-c', 'user.email=t@t', ...a], { cwd: repo, stdio: 'ignore' });
  // One long value per ConfigMap: each object's diff is ~3.5 kB, two of them do not fit in one 6 kB part.
  const big = (name: string, fill: string) => cm(name, `  k: ${fill.repeat(1700)}\n`);

  beforeAll(async () => {
    gh = await startFakeGitHub(REPO);
    writeFileSync(event, JSON.stringify({ pull_request: { number: SPLIT_PR } }));
    repo = writeTree({ 'clusters/prod/apps.yaml': ks, 'apps/kustomization.yaml': 'resources: [a.yaml, b.yaml]\n', 'apps/a.yaml': big('a', 'a'), 'apps/b.yaml': big('b', 'b') });
    git('init', '-q', '-b', 'main');
    git('add', '-A');
    git('commit', '-qm', 'base');
  });
  afterAll(async () => {
    await gh?.close();
  });

  async function push(): Promise<{ exitCode: number; log: string }> {
    const output = path.join(work, `output-${Date.now()}`);
    writeFileSync(output, '');
    writeFileSync(summary, '');
    const step = await run('bash', [path.join(repoRoot, 'scripts/action/run-podo.sh')], {
      GITHUB_ACTION_PATH: repoRoot,
      GITHUB_OUTPUT: output,
      GITHUB_STEP_SUMMARY: summary,
      PODO_REPORT: report,
      INPUT_PATH: repo,
      INPUT_BASE_REF: 'main',
      INPUT_ALL: 'true',
      INPUT_MAX_COMMENT_BYTES: '6000',
      INPUT_EXTRA_ARGS: '--progress-bar=false',
      KUBECONFIG: '/nonexistent/kubeconfig',
    });
    expect(step.code, step.stderr).toBe(0);
    const exitCode = Number(/exit-code=(\d)/.exec(readFileSync(output, 'utf8'))![1]);
    const comment = await run(process.execPath, [path.join(repoRoot, 'scripts/action/comment.mjs')], {
      GITHUB_API_URL: gh.url,
      GITHUB_TOKEN: 'test-token',
      GITHUB_REPOSITORY: REPO,
      GITHUB_EVENT_PATH: event,
      PODO_EXIT_CODE: String(exitCode),
      PODO_REPORT: report,
    });
    expect(comment.code, comment.stderr).toBe(0);
    return { exitCode, log: comment.stdout };
  }

  const podoComments = () => (gh.comments.get(SPLIT_PR) ?? []).filter((c) => c.body.includes('<!-- podo-diff -->'));

  it('two parts: two comments created, each marked part k/2 and within the limit; the job summary has both', async () => {
    writeFileSync(path.join(repo, 'apps/a.yaml'), big('a', 'c'));
    writeFileSync(path.join(repo, 'apps/b.yaml'), big('b', 'd'));
    const { exitCode, log } = await push();
    expect(exitCode).toBe(1);
    const created = [...log.matchAll(/created comment (\d+) \(part (\d)\/2\)/g)].map((m) => [Number(m[1]), m[2]]);
    expect(created.map(([, k]) => k)).toEqual(['1', '2']);
    const mine = podoComments();
    expect(mine.map((c) => c.id)).toEqual(created.map(([id]) => id));
    mine.forEach((c, i) => {
      expect(Buffer.byteLength(c.body)).toBeLessThanOrEqual(6000);
      expect(c.body.split('\n').slice(0, 3)).toEqual(['<!-- podo-diff -->', `<!-- podo-diff-part ${i + 1}/2 -->`, `## podo diff against \`main\` (part ${i + 1}/2)`]);
    });
    expect(mine[0].body).toContain('<summary>ConfigMap/demo/a drifted</summary>');
    expect(mine[1].body).toContain('<summary>ConfigMap/demo/b drifted</summary>');
    const jobSummary = readFileSync(summary, 'utf8');
    expect(jobSummary).toContain('<!-- podo-diff-part 1/2 -->');
    expect(jobSummary).toContain('<!-- podo-diff-part 2/2 -->');
    expect(jobSummary).toBe(readFileSync(report, 'utf8'));
  });

  it('the next push updates both comments in place', async () => {
    const ids = podoComments().map((c) => c.id);
    writeFileSync(path.join(repo, 'apps/a.yaml'), big('a', 'e'));
    writeFileSync(path.join(repo, 'apps/b.yaml'), big('b', 'f'));
    const { log } = await push();
    expect(log).toContain(`updated comment ${ids[0]} (part 1/2)`);
    expect(log).toContain(`updated comment ${ids[1]} (part 2/2)`);
    expect(podoComments().map((c) => c.id)).toEqual(ids);
    expect(podoComments()[1].body).toContain('+  k: ffff');
    expect(gh.requests.filter((r) => r.method === 'POST')).toHaveLength(2);
  });

  it('the diff shrinks to one part: the first comment is updated, the second deleted', async () => {
    const ids = podoComments().map((c) => c.id);
    git('checkout', '--', 'apps/b.yaml');
    const { exitCode, log } = await push();
    expect(exitCode).toBe(1);
    expect(log).toContain(`updated comment ${ids[0]}`);
    expect(log).toContain(`deleted comment ${ids[1]}: part 2 no longer needed`);
    const mine = podoComments();
    expect(mine.map((c) => c.id)).toEqual([ids[0]]);
    expect(mine[0].body).not.toContain('podo-diff-part');
    expect(mine[0].body.startsWith('<!-- podo-diff -->\n## podo diff against `main`\n')).toBe(true);
  });

  it('no changes: every part\'s comment goes', async () => {
    git('checkout', '--', '.');
    const { exitCode } = await push();
    expect(exitCode).toBe(0);
    expect(podoComments()).toHaveLength(0);
  });
});

// The documented matrix: one job per cluster directory writes its JSON report (json-report), one merge job
// joins them (merge: CLUSTER=FILE …) into one report and one comment, with the exit code of one run.
describe('action.yml as a matrix: a job per cluster, one merge job, one comment', () => {
  const MATRIX_PR = 11;
  let gh: FakeGitHub;
  let repo: string;
  const work = mkdtempSync(path.join(os.tmpdir(), 'podo-action-matrix-'));
  const event = path.join(work, 'event.json');
  const ksAt = (dir: string) => ks.replace('path: ./apps', `path: ./${dir}`);

  beforeAll(async () => {
    gh = await startFakeGitHub(REPO);
    writeFileSync(event, JSON.stringify({ pull_request: { number: MATRIX_PR } }));
    repo = writeTree({
      'clusters/production/apps.yaml': ksAt('apps/production'),
      'clusters/staging/apps.yaml': ksAt('apps/staging'),
      'apps/production/kustomization.yaml': 'resources: [a.yaml]\n',
      'apps/production/a.yaml': cm('a', '  k: v1\n'),
      'apps/staging/kustomization.yaml': 'resources: [a.yaml]\n',
      'apps/staging/a.yaml': cm('a', '  k: v1\n'),
    });
    const git = (...a: string[]) => execFileSync('git', ['-c', 'commit.gpgsign=false', '-c', 'user.name=t', '-c', 'user.email=t@t', ...a], { cwd: repo, stdio: 'ignore' });
    git('init', '-q', '-b', 'main');
    git('add', '-A');
    git('commit', '-qm', 'base');
    writeFileSync(path.join(repo, 'apps/production/a.yaml'), cm('a', '  k: v2\n'));
    writeFileSync(path.join(repo, 'apps/staging/a.yaml'), cm('a', '  k: v3\n'));
  });
  afterAll(async () => {
    await gh?.close();
  });

  async function step(env: NodeJS.ProcessEnv): Promise<{ exitCode: number; report: string }> {
    const output = path.join(work, `output-${Date.now()}-${Math.random()}`);
    const report = path.join(work, `report-${Date.now()}-${Math.random()}.md`);
    writeFileSync(output, '');
    const r = await run('bash', [path.join(repoRoot, 'scripts/action/run-podo.sh')], {
      GITHUB_ACTION_PATH: repoRoot,
      GITHUB_OUTPUT: output,
      PODO_REPORT: report,
      INPUT_PATH: repo,
      INPUT_BASE_REF: 'main',
      INPUT_ALL: 'true',
      KUBECONFIG: '/nonexistent/kubeconfig',
      ...env,
    });
    expect(r.code, r.stderr).toBe(0);
    return { exitCode: Number(/exit-code=(\d)/.exec(readFileSync(output, 'utf8'))![1]), report };
  }

  it('each job writes its JSON report; the merge job posts one comment naming both clusters', async () => {
    const jobs = await Promise.all(
      ['production', 'staging'].map((c) =>
        step({ INPUT_JSON_REPORT: path.join(work, `${c}.json`), INPUT_EXTRA_ARGS: `--cluster-path clusters/${c} --progress-bar=false` }),
      ),
    );
    expect(jobs.map((j) => j.exitCode)).toEqual([1, 1]);
    // A job's own Markdown (for its job summary) comes from its JSON report.
    expect(readFileSync(jobs[0].report, 'utf8')).toContain('+  k: v2');
    const merged = await step({ INPUT_MERGE: `production=${path.join(work, 'production.json')} staging=${path.join(work, 'staging.json')}` });
    expect(merged.exitCode).toBe(1);
    const comment = await run(process.execPath, [path.join(repoRoot, 'scripts/action/comment.mjs')], {
      GITHUB_API_URL: gh.url,
      GITHUB_TOKEN: 'test-token',
      GITHUB_REPOSITORY: REPO,
      GITHUB_EVENT_PATH: event,
      PODO_EXIT_CODE: String(merged.exitCode),
      PODO_REPORT: merged.report,
    });
    expect(comment.code, comment.stderr).toBe(0);
    const mine = (gh.comments.get(MATRIX_PR) ?? []).filter((c) => c.body.includes('<!-- podo-diff -->'));
    expect(mine).toHaveLength(1);
    expect(mine[0].body).toContain('| Cluster | Kustomization |');
    expect(mine[0].body).toContain('| production | flux-system/apps | 0 | 1 | 0 | 0 | 0 |');
    expect(mine[0].body).toContain('| staging | flux-system/apps | 0 | 1 | 0 | 0 | 0 |');
    expect(mine[0].body).toContain('+  k: v2');
    expect(mine[0].body).toContain('+  k: v3');
  });
  it('the documented --shard matrix: each job says which shard it is; the merge of a glob of their reports is the single run\'s comment', async () => {
    const single = await step({ INPUT_EXTRA_ARGS: '--progress-bar=false' });
    expect(single.exitCode).toBe(1);
    const jobs = await Promise.all(
      [1, 2].map((k) => step({ INPUT_JSON_REPORT: path.join(work, `shard-${k}.json`), INPUT_EXTRA_ARGS: `--shard ${k}/2 --progress-bar=false` })),
    );
    jobs.forEach((j, i) => expect(readFileSync(j.report, 'utf8')).toContain(`ℹ Shard ${i + 1}/2 of the run (--shard)`));
    const merged = await step({ INPUT_MERGE: path.join(work, 'shard-*.json') });
    expect(merged.exitCode).toBe(single.exitCode);
    expect(readFileSync(merged.report, 'utf8')).toBe(readFileSync(single.report, 'utf8'));
    // Never a silently shorter comment: one shard's report alone says it is one shard.
    const alone = await step({ INPUT_MERGE: path.join(work, 'shard-1.json') });
    expect(readFileSync(alone.report, 'utf8')).toContain('ℹ Shard 1/2 of the run (--shard)');
  });
});
