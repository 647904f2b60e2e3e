// What a pull request may read, what credentials and keys podo prints (issue 18, points 4 and 7): cases
// in the corpus' shape (harness.ts runs each in every format and looks for every canary in every
// form). The repository is a real git checkout whose `.git/config` holds what actions/checkout stores
// there: `http.<url>.extraheader = AUTHORIZATION: basic base64(x-access-token:<token>)`, the token a canary.
import { execFileSync } from 'node:child_process';
import { mkdirSync, rmSync, symlinkSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { helmPath } from '../helpers/chart-repo.js';
import { expect } from 'vitest';
import { applyLive, fluxKustomization, writeTree } from '../helpers/cluster.js';
import { gitInit, type AttackCase, type CaseCtx } from './harness.js';

/** A checkout as actions/checkout leaves it: committed, with the job's token in .git/config. */
export function checkout(ctx: CaseCtx, files: Record<string, string>): string {
  const repo = gitInit(writeTree(files));
  const header = `AUTHORIZATION: basic ${Buffer.from(`x-access-token:${ctx.canary}`).toString('base64')}`;
  execFileSync('git', ['-C', repo, 'config', '--local', 'http.https://github.com/.extraheader', header]);
  execFileSync('git', ['-C', repo, 'config', '--local', 'podo.token', ctx.canary]);
  return repo;
}

const helmRelease = (ns: string, chart: string, extra = '') => `apiVersion: helm.toolkit.fluxcd.io/v2
kind: HelmRelease
metadata:
  name: web
  namespace: ${ns}
spec:
  interval: 5m
  chart:
    spec:
      chart: ${chart}
      sourceRef:
        kind: GitRepository
        name: flux-system
        namespace: flux-system
${extra}`;

const chartYaml = 'apiVersion: v2\nname: app\nversion: 1.0.0\n';
/** A template that prints a chart file into a ConfigMap: what `.Files.Get` can reach is printed. */
const filesGet = (file: string) => `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: files\ndata:\n  cfg: {{ .Files.Get ${JSON.stringify(file)} | quote }}\n`;

function fluxAt(ctx: CaseCtx, p: string): void {
  applyLive(fluxKustomization({ name: ctx.ks, path: p }));
}

const diffAt = (ctx: CaseCtx, dir: string, ...extra: string[]) => ['diff', 'ks', ctx.ks, '--path', dir, '--kubeconfig', ctx.kubeconfig, ...extra];

const VCS = /version-control metadata/;

/** A repository whose chart ./charts/app has SCHEMA as its values.schema.json (plus FILES), rendered by a HelmRelease. */
function schemaRepo(ctx: CaseCtx, schema: unknown, files: Record<string, string> = {}, values = ''): string {
  return writeTree({
    'apps/kustomization.yaml': 'resources: [hr.yaml]\n',
    'apps/hr.yaml': helmRelease(ctx.ns, './charts/app', values),
    'charts/app/Chart.yaml': chartYaml,
    'charts/app/values.yaml': 'replicas: 2\n',
    'charts/app/values.schema.json': JSON.stringify(schema),
    'charts/app/templates/cm.yaml': 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: conf\ndata:\n  replicas: {{ .Values.replicas | quote }}\n',
    ...files,
  });
}

/** A loopback HTTP server that logs every request (and answers a schema): proof that nothing was fetched. */
async function loopback(): Promise<{ url: string; requests: string[] }> {
  const requests: string[] = [];
  const server = createServer((req, res) => {
    requests.push(`${req.method} ${req.url}`);
    res.setHeader('content-type', 'application/json');
    res.end('{"type":"object"}');
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  server.unref();
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, requests };
}

const notRendered = (r: { stdout: string }, f: string, reason: RegExp) => {
  if (f.startsWith('json')) {
    const report = JSON.parse(r.stdout) as { kustomizations: Array<{ helmReleases?: Array<{ notRendered?: string }> }> };
    const reasons = report.kustomizations.flatMap((k) => k.helmReleases ?? []).map((h) => h.notRendered ?? '');
    expect(reasons.some((x) => reason.test(x)), reasons.join('\n')).toBe(true);
  } else if (f.startsWith('text')) expect(r.stdout).toMatch(reason);
  // markdown and unified escape and wrap text their own way: there, only the absence of canaries is checked.
};

const loopbackRequests: Record<string, string[]> = {};

export const REACH: AttackCase[] = [
  {
    name: 'values.schema.json $ref to file:///dev/zero: nothing read, the HelmRelease not rendered with the reason',
    setup: (ctx) => {
      fluxAt(ctx, './apps');
      return { args: diffAt(ctx, path.join(schemaRepo(ctx, { type: 'object', properties: { replicas: { $ref: 'file:///dev/zero' } } }), 'apps')) };
    },
    expect: { code: 1, check: (r, f) => notRendered(r, f, /\$ref file:\/\/\/dev\/zero is outside the chart; podo resolves schema references only inside the chart and fetches nothing/) },
  },
  {
    name: 'values.schema.json $ref to a file outside the chart by a relative path: refused',
    setup: (ctx) => {
      fluxAt(ctx, './apps');
      return { args: diffAt(ctx, path.join(schemaRepo(ctx, { $ref: '../../apps/hr.yaml' }), 'apps')) };
    },
    expect: { code: 1, check: (r, f) => notRendered(r, f, /\$ref \.\.\/\.\.\/apps\/hr\.yaml is outside the chart/) },
  },
  {
    name: 'values.schema.json $ref to a loopback URL: no request is made, the HelmRelease not rendered',
    setup: async (ctx) => {
      fluxAt(ctx, './apps');
      const server = await loopback();
      loopbackRequests[ctx.ns] = server.requests;
      return { args: diffAt(ctx, path.join(schemaRepo(ctx, { type: 'object', properties: { replicas: { $ref: `${server.url}/schema.json` } } }), 'apps')) };
    },
    expect: {
      code: 1,
      check: (r, f, ctx) => {
        notRendered(r, f, /\$ref http:\/\/127\.0\.0\.1:\d+\/schema\.json is outside the chart/);
        expect(loopbackRequests[ctx.ns], 'requests the loopback server received').toEqual([]);
      },
    },
  },
  {
    name: 'values.schema.json with a $ref inside the chart: validated by podo, and met: rendered',
    setup: (ctx) => {
      fluxAt(ctx, './apps');
      const repo = schemaRepo(ctx, { type: 'object', properties: { replicas: { $ref: 'defs/count.json' }, name: { $ref: 'defs/count.json#/definitions/label' } } }, {
        'charts/app/defs/count.json': JSON.stringify({ type: 'integer', minimum: 1, definitions: { label: { type: 'string', pattern: '^[a-z]+$' } } }),
      });
      return { args: diffAt(ctx, path.join(repo, 'apps')) };
    },
    expect: { code: 1, check: (r, f) => f.startsWith('text') && expect(r.stdout).toMatch(/ConfigMap\/\S+\/conf created/) },
  },
  {
    name: 'a packaged subchart (charts/*.tgz) with a schema its values break: not rendered, the subchart and path named',
    setup: async (ctx) => {
      fluxAt(ctx, './apps');
      const repo = schemaRepo(ctx, { type: 'object' }, {
        'sub/Chart.yaml': 'apiVersion: v2\nname: sub\nversion: 0.1.0\n',
        'sub/values.yaml': 'port: 80\n',
        'sub/values.schema.json': JSON.stringify({ type: 'object', properties: { port: { type: 'integer', maximum: 1000 } } }),
        'sub/templates/svc.yaml': 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: sub\ndata:\n  port: {{ .Values.port | quote }}\n',
      }, '  values:\n    sub:\n      port: 8080\n');
      mkdirSync(path.join(repo, 'charts/app/charts'), { recursive: true });
      execFileSync(await helmPath(), ['package', path.join(repo, 'sub'), '-d', path.join(repo, 'charts/app/charts')], { stdio: 'ignore', env: { ...process.env, HOME: repo } });
      rmSync(path.join(repo, 'sub'), { recursive: true });
      return { args: diffAt(ctx, path.join(repo, 'apps')) };
    },
    expect: { code: 1, check: (r, f) => notRendered(r, f, /values do not meet values\.schema\.json of chart sub \(charts\/sub-0\.1\.0\): \/port must be <= 1000/) },
  },
  {
    name: '.git/config through a chart symlink read by .Files.Get: the chart is not rendered, the refusal named',
    setup: (ctx) => {
      fluxAt(ctx, './apps');
      const repo = checkout(ctx, {
        'apps/kustomization.yaml': 'resources: [hr.yaml]\n',
        'apps/hr.yaml': helmRelease(ctx.ns, './charts/app'),
        'charts/app/Chart.yaml': chartYaml,
        'charts/app/templates/cm.yaml': filesGet('cfg'),
      });
      symlinkSync('../../.git/config', path.join(repo, 'charts/app/cfg'));
      return { args: diffAt(ctx, path.join(repo, 'apps')) };
    },
    expect: {
      code: 1,
      check: (r, f) => {
        if (f.startsWith('json')) expect(r.stdout).toMatch(/chart file cfg is a symlink into version-control metadata \(\.git\); refused/);
        else expect(r.stdout + r.stderr).toMatch(/not rendered[\s\S]*web[\s\S]*chart file cfg is a symlink into version-control metadata/);
        expect(r.stdout).not.toContain('AUTHORIZATION');
      },
    },
  },
  {
    name: 'a chart at the repository root reads .Files.Get ".git/config": the copy helm sees has no .git',
    setup: (ctx) => {
      fluxAt(ctx, './apps');
      const repo = checkout(ctx, {
        'Chart.yaml': chartYaml,
        'templates/cm.yaml': filesGet('.git/config'),
        'apps/kustomization.yaml': 'resources: [hr.yaml]\n',
        'apps/hr.yaml': helmRelease(ctx.ns, '.'),
      });
      return { args: diffAt(ctx, path.join(repo, 'apps')) };
    },
    expect: {
      code: 1,
      check: (r, f) => {
        // Rendered (helm's .Files.Get of a missing file is empty): the ConfigMap is created, empty.
        if (f.startsWith('text')) expect(r.stdout).toMatch(/ConfigMap\/\S+\/files created/);
        expect(r.stdout).not.toContain('AUTHORIZATION');
        expect(r.stdout).not.toContain('extraheader');
      },
    },
  },
  {
    name: 'a chart path into .git is refused',
    setup: (ctx) => {
      fluxAt(ctx, './apps');
      const repo = checkout(ctx, { 'apps/kustomization.yaml': 'resources: [hr.yaml]\n', 'apps/hr.yaml': helmRelease(ctx.ns, './.git') });
      return { args: diffAt(ctx, path.join(repo, 'apps')) };
    },
    expect: { code: 1, check: (r, f) => f.startsWith('json') && expect(r.stdout).toMatch(/chart path \.\/\.git in GitRepository flux-system\/flux-system is version-control metadata; refused/) },
  },
  {
    name: 'configMapGenerator files: [../.git/config] is refused in one line',
    setup: (ctx) => {
      fluxAt(ctx, './apps');
      const repo = checkout(ctx, { 'apps/kustomization.yaml': `namespace: ${ctx.ns}\nconfigMapGenerator:\n- name: leak\n  files: [../.git/config]\n` });
      return { args: diffAt(ctx, path.join(repo, 'apps')) };
    },
    expect: { code: 2, errors: [/^podo: error: apps\/kustomization\.yaml: configMapGenerator \.\.\/\.git\/config: refers to version-control metadata/] },
  },
  {
    name: 'secretGenerator envs into a nested .git (a vendored clone) is refused',
    setup: (ctx) => {
      fluxAt(ctx, './apps');
      const repo = checkout(ctx, {
        'apps/kustomization.yaml': `namespace: ${ctx.ns}\nsecretGenerator:\n- name: leak\n  envs: [vendor/.git/env]\n`,
        'apps/vendor/.git/env': `TOKEN=${ctx.canary}\n`,
      });
      return { args: diffAt(ctx, path.join(repo, 'apps')) };
    },
    expect: { code: 2, errors: [VCS] },
  },
  {
    name: 'a symlink to .git/config used by a configMapGenerator is refused in one line',
    setup: (ctx) => {
      fluxAt(ctx, './apps');
      const repo = checkout(ctx, { 'apps/kustomization.yaml': `namespace: ${ctx.ns}\nconfigMapGenerator:\n- name: leak\n  files: [cfg]\n` });
      symlinkSync('../.git/config', path.join(repo, 'apps/cfg'));
      return { args: diffAt(ctx, path.join(repo, 'apps')) };
    },
    expect: { code: 2, errors: [/^podo: error: apps\/kustomization\.yaml: configMapGenerator cfg: refers to version-control metadata/] },
  },
  {
    name: 'HelmRepository URL with user:password@: the password is never printed, the URL is shown without it',
    setup: (ctx) => {
      fluxAt(ctx, './apps');
      // A closed loopback port: the download fails at once, and helm's error quotes the URL.
      const url = `http://podo:${encodeURIComponent(ctx.canary)}@127.0.0.1:9/charts`;
      const repo = writeTree({
        'apps/kustomization.yaml': 'resources: [repo.yaml, hr.yaml]\n',
        'apps/repo.yaml': `apiVersion: source.toolkit.fluxcd.io/v1\nkind: HelmRepository\nmetadata:\n  name: charts\n  namespace: ${ctx.ns}\nspec:\n  interval: 5m\n  url: ${url}\n`,
        'apps/hr.yaml': helmRelease(ctx.ns, 'app').replace(/kind: GitRepository\n(\s+)name: flux-system\n\s+namespace: flux-system/, `kind: HelmRepository\n$1name: charts\n$1namespace: ${ctx.ns}`),
      });
      return { args: diffAt(ctx, path.join(repo, 'apps')) };
    },
    expect: {
      code: 1,
      check: (r, f) => {
        if (f.startsWith('json')) expect(r.stdout).toContain('could not be downloaded from http://127.0.0.1:9/charts');
        expect(r.stdout + r.stderr).not.toMatch(/podo:[^@\s]*@127/);
      },
    },
  },
  {
    name: 'a Secret whose value is `password`: the changed key is printed as data.password',
    setup: (ctx) => {
      fluxAt(ctx, './');
      applyLive(`apiVersion: v1\nkind: Secret\nmetadata:\n  name: db\n  namespace: ${ctx.ns}\nstringData:\n  password: password\n  other: same-value-1\n`);
      const repo = writeTree({
        'kustomization.yaml': 'resources: [s.yaml]\n',
        's.yaml': `apiVersion: v1\nkind: Secret\nmetadata:\n  name: db\n  namespace: ${ctx.ns}\nstringData:\n  password: ${JSON.stringify(ctx.canary)}\n  other: same-value-1\n`,
      });
      return { args: diffAt(ctx, repo) };
    },
    expect: {
      code: 1,
      check: (r, f) => {
        expect(r.stdout).not.toMatch(/data\.\*\*\*|"\*\*\*":/);
        if (f.startsWith('text')) expect(r.stdout).toMatch(/data\.password/);
        if (f.startsWith('json')) expect(r.stdout).toMatch(/password/);
      },
    },
  },
];
