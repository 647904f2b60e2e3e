// `podo build kustomization --kustomization-file --dry-run`: the Flux build with no cluster at all.
import { describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import { chmodSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { configMapRepo, repoRoot, runPodo, writeTree } from '../helpers/cluster.js';

describe('podo build --dry-run', () => {
  it('prints the final YAML with the Flux overlay, substitution and owner labels, Secret values masked, no kubeconfig needed', async () => {
    const repo = writeTree({
      'apps/web/kustomization.yaml': 'resources: [cm.yaml, secret.yaml]\n',
      'apps/web/cm.yaml': 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: web\ndata:\n  env: ${ENV}\n  region: ${REGION:=eu}\n',
      'apps/web/secret.yaml': 'apiVersion: v1\nkind: Secret\nmetadata:\n  name: web\nstringData:\n  token: CANARY-build-5kq\n',
      'clusters/prod/web.yaml': `apiVersion: kustomize.toolkit.fluxcd.io/v1
kind: Kustomization
metadata:
  name: web
  namespace: flux-system
spec:
  path: ./apps/web
  prune: true
  targetNamespace: web-prod
  namePrefix: prod-
  sourceRef: {kind: GitRepository, name: flux-system}
  commonMetadata:
    labels: {team: shop}
  postBuild:
    substitute: {ENV: production}
    substituteFrom:
      - {kind: ConfigMap, name: cluster-vars}
`,
    });
    const before = readFileSync(path.join(repo, 'apps/web/cm.yaml'), 'utf8');
    const env = { KUBECONFIG: '/nonexistent/kubeconfig', HOME: mkdtempSync(path.join(os.tmpdir(), 'podo-home-')) };
    const r = await runPodo(['build', 'ks', 'web', '--path', path.join(repo, 'apps/web'), '--kustomization-file', path.join(repo, 'clusters/prod/web.yaml'), '--dry-run'], env);
    expect(r.code).toBe(0);
    expect(r.stderr).toContain('podo: note: postBuild.substituteFrom not read (no cluster): ConfigMap/cluster-vars; variables they may define are left as written');
    expect(r.stdout).toContain('name: prod-web');
    expect(r.stdout).toContain('namespace: web-prod');
    expect(r.stdout).toContain('env: production');
    // cluster-vars, unread, may define REGION: its default is not guessed (issue 19).
    expect(r.stdout).toContain('region: ${REGION:=eu}');
    expect(r.stdout).toContain('team: shop');
    expect(r.stdout).toContain('kustomize.toolkit.fluxcd.io/name: web');
    expect(r.stdout).toContain('kustomize.toolkit.fluxcd.io/namespace: flux-system');
    expect(r.stdout).toContain('token: "***"');
    expect(r.stdout + r.stderr).not.toContain('CANARY-build-5kq');
    expect(readFileSync(path.join(repo, 'apps/web/cm.yaml'), 'utf8')).toBe(before);
  });

  it('--helm-bin chooses the helm the build renders its charts with: none turns rendering off (said), a missing one is a usage error', async () => {
    const repo = writeTree({
      'apps/kustomization.yaml': 'resources: [hr.yaml]\n',
      'apps/hr.yaml':
        'apiVersion: helm.toolkit.fluxcd.io/v2\nkind: HelmRelease\nmetadata:\n  name: web\n  namespace: apps\nspec:\n  interval: 5m\n  chart:\n    spec:\n      chart: ./charts/web\n      sourceRef: {kind: GitRepository, name: flux-system, namespace: flux-system}\n',
      'charts/web/Chart.yaml': 'apiVersion: v2\nname: web\nversion: 0.1.0\n',
      'charts/web/templates/cm.yaml': 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: web\n',
      'clusters/prod/apps.yaml': 'apiVersion: kustomize.toolkit.fluxcd.io/v1\nkind: Kustomization\nmetadata:\n  name: apps\n  namespace: flux-system\nspec:\n  path: ./apps\n  sourceRef: {kind: GitRepository, name: flux-system}\n',
    });
    const env = { KUBECONFIG: '/nonexistent/kubeconfig', HOME: mkdtempSync(path.join(os.tmpdir(), 'podo-home-')) };
    const base = ['build', 'ks', 'apps', '--path', path.join(repo, 'apps'), '--kustomization-file', path.join(repo, 'clusters/prod/apps.yaml'), '--dry-run'];
    const off = await runPodo([...base, '--helm-bin', 'none'], env);
    expect(off.code, off.stderr).toBe(0);
    expect(off.stdout).toContain('kind: HelmRelease');
    expect(off.stderr).toContain('podo: note: HelmRelease apps/web not rendered: chart rendering is turned off (--helm-bin none)');
    const missing = await runPodo([...base, '--helm-bin', '/nonexistent/helm'], env);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain('podo: error: helm binary /nonexistent/helm (--helm-bin) not found or not executable');
  });

  it('--dry-run without --kustomization-file is a usage error', async () => {
    const r = await runPodo(['build', 'ks', 'web', '--path', '.', '--dry-run']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('--dry-run needs --kustomization-file');
  });
});

describe('the environment of the kustomize child', () => {
  // A wrapper that notes the Go tuning it was started with, then runs the real kubectl kustomize.
  const recordingKustomize = () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'podo-kbin-'));
    const bin = path.join(dir, 'kustomize');
    writeFileSync(bin, `#!/bin/sh\necho "GOGC=\${GOGC-unset} GOMEMLIMIT=\${GOMEMLIMIT-unset}" >> "${dir}/seen"\nshift\nexec kubectl kustomize "$@"\n`);
    chmodSync(bin, 0o755);
    return { bin, seen: () => readFileSync(path.join(dir, 'seen'), 'utf8').trim().split('\n') };
  };
  const ks = 'apiVersion: kustomize.toolkit.fluxcd.io/v1\nkind: Kustomization\nmetadata:\n  name: app\n  namespace: flux-system\nspec:\n  path: ./app\n  prune: false\n  sourceRef: {kind: GitRepository, name: flux-system}\n';
  const build = (repo: string, bin: string, env: NodeJS.ProcessEnv = {}) =>
    runPodo(['build', 'ks', 'app', '--path', path.join(repo, 'app'), '--kustomization-file', path.join(repo, 'flux.yaml'), '--dry-run', '--kustomize-bin', bin], { GOGC: undefined, GOMEMLIMIT: undefined, ...env });

  it("a small build runs with Go's collector off below a soft limit; a large one, or the user's own tuning, as given", async () => {
    const k = recordingKustomize();
    const small = writeTree({ 'flux.yaml': ks, 'app/kustomization.yaml': 'resources: [cm.yaml]\n', 'app/cm.yaml': 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: small\ndata:\n  a: b\n' });
    const large = writeTree({ 'flux.yaml': ks, 'app/kustomization.yaml': 'resources: [cm.yaml]\n', 'app/cm.yaml': `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: large\ndata:\n  a: "${'x'.repeat(600 * 1024)}"\n` });
    // Another small tree for the user's own tuning: the same bytes would be served from the kept output
    // of the first build (render/kustomize/build-cache.ts), and no kustomize would start.
    const tuned = writeTree({ 'flux.yaml': ks, 'app/kustomization.yaml': 'resources: [cm.yaml]\n', 'app/cm.yaml': 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: tuned\ndata:\n  a: b\n' });
    const runs = [await build(small, k.bin), await build(large, k.bin), await build(tuned, k.bin, { GOGC: '75' })];
    for (const r of runs) expect(r.code, r.stderr).toBe(0);
    expect(runs[0].stdout).toContain('name: small');
    expect(runs[1].stdout).toContain('name: large');
    expect(k.seen()).toEqual(['GOGC=off GOMEMLIMIT=128MiB', 'GOGC=unset GOMEMLIMIT=unset', 'GOGC=75 GOMEMLIMIT=unset']);
  });
});

describe('an interrupted build', () => {
  it('removes its temporary copy (which may hold decrypted secrets) on SIGINT', async () => {
    const repo = configMapRepo(400, 'big', 'cm', {
      'flux.yaml': 'apiVersion: kustomize.toolkit.fluxcd.io/v1\nkind: Kustomization\nmetadata:\n  name: big\n  namespace: flux-system\nspec:\n  path: ./\n  prune: false\n  sourceRef: {kind: GitRepository, name: flux-system}\n',
    });
    const tmp = mkdtempSync(path.join(os.tmpdir(), 'podo-sigint-'));
    const child = spawn(process.execPath, [path.join(repoRoot, 'bin/podo'), 'build', 'ks', 'big', '--path', repo, '--kustomization-file', path.join(repo, 'flux.yaml'), '--dry-run'], {
      env: { ...process.env, TMPDIR: tmp },
      stdio: 'ignore',
    });
    const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.on('exit', (code, signal) => resolve({ code, signal })));
    const copies = () => readdirSync(tmp).filter((d) => d.startsWith('podo-build-'));
    const deadline = Date.now() + 20_000;
    while (copies().length === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 5));
    expect(copies()).toHaveLength(1);
    child.kill('SIGINT');
    const { code, signal } = await exited;
    expect(signal === 'SIGINT' || code === 130).toBe(true);
    expect(copies()).toEqual([]);
  });
});

describe('podo build -r', () => {
  it('-r builds the Flux Kustomizations a build produces, from the checkout or --local-sources; an unmapped source is an error naming it', async () => {
    const ks = (name: string, p: string, source = 'GitRepository, name: flux-system') => `apiVersion: kustomize.toolkit.fluxcd.io/v1
kind: Kustomization
metadata:
  name: ${name}
  namespace: flux-system
spec:
  path: ${p}
  prune: true
  sourceRef: {kind: ${source}}
`;
    const repo = writeTree({
      'clusters/prod/kustomization.yaml': 'resources: [apps.yaml, platform.yaml]\n',
      'clusters/prod/apps.yaml': ks('apps', './apps'),
      'clusters/prod/platform.yaml': ks('platform', './platform', 'OCIRepository, name: platform'),
      'clusters/prod/root.yaml': ks('root', './clusters/prod'),
      'apps/cm.yaml': 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: app-config\n  namespace: default\ndata:\n  a: "1"\n',
    });
    const platform = writeTree({ 'platform/cm.yaml': 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: platform-config\n  namespace: default\n' });
    const env = { KUBECONFIG: '/nonexistent/kubeconfig' };
    const base = ['build', 'ks', 'root', '--path', path.join(repo, 'clusters/prod'), '--kustomization-file', path.join(repo, 'clusters/prod/root.yaml'), '--dry-run'];
    const unmapped = await runPodo([...base, '-r'], env);
    expect(unmapped.code).toBe(2);
    expect(unmapped.stderr).toMatch(/Kustomization flux-system\/platform: not built: source OCIRepository\/flux-system\/platform is not mapped/);
    const r = await runPodo([...base, '-r', '--local-sources', `OCIRepository/flux-system/platform=${platform}`], env);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('name: app-config');
    expect(r.stdout).toContain('name: platform-config');
    expect(r.stdout).toContain('kustomize.toolkit.fluxcd.io/name: apps');
    const flat = await runPodo(base, env);
    expect(flat.stdout).not.toContain('name: app-config');
  });
});
