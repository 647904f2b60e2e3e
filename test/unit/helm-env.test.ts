// The environment helm runs in (render/helm/run.ts): a private home, cache and config, nothing of the
// user's registry or repository configuration, and no network for `helm template` (every proxy variable
// a closed loopback port). A stand-in helm that prints its environment shows what the real one gets.
import { chmodSync, mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createHelmRunner, type HelmRunner } from '../../src/render/helm/run.js';

function envHelm(): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'podo-helm-env-'));
  const file = path.join(dir, 'helm');
  writeFileSync(file, '#!/bin/sh\nenv\n');
  chmodSync(file, 0o755);
  return file;
}

const parse = (out: string) => Object.fromEntries(out.split('\n').filter((l) => l.includes('=')).map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]));

describe('the environment helm runs in', () => {
  let runner: HelmRunner | undefined;
  afterEach(() => {
    runner?.cleanup();
  });

  it('template: private home and config, every proxy a closed loopback port, NO_PROXY empty', async () => {
    // The user's environment, as cli/ read it: helm gets its proxy settings, never its homes.
    const user = { PATH: process.env.PATH, HTTPS_PROXY: 'http://user-proxy.example:3128', NO_PROXY: '127.0.0.1,localhost', XDG_CONFIG_HOME: '/home/user/.config' };
    runner = createHelmRunner({ path: envHelm(), version: '3.17.0', env: user });
    const env = parse(await runner.run(['template', 'x', '/nonexistent']));
    for (const k of ['HTTP_PROXY', 'HTTPS_PROXY', 'ALL_PROXY', 'http_proxy', 'https_proxy', 'all_proxy']) expect(env[k], k).toBe('http://127.0.0.1:9');
    expect(env.NO_PROXY).toBe('');
    expect(env.no_proxy).toBe('');
    const home = env.HOME;
    expect(home).toMatch(/podo-helm-/);
    for (const k of ['HELM_CACHE_HOME', 'HELM_CONFIG_HOME', 'HELM_DATA_HOME', 'HELM_REGISTRY_CONFIG', 'HELM_REPOSITORY_CONFIG', 'HELM_REPOSITORY_CACHE', 'XDG_CACHE_HOME', 'XDG_CONFIG_HOME', 'XDG_DATA_HOME', 'DOCKER_CONFIG', 'KUBECONFIG']) {
      expect(env[k]?.startsWith(home + '/'), `${k}=${env[k]}`).toBe(true);
    }
  });

  it("pull: the user's proxy settings apply (chart downloads go through it), the home stays private", async () => {
    const user = { PATH: process.env.PATH, HTTPS_PROXY: 'http://user-proxy.example:3128', NO_PROXY: 'internal.example' };
    runner = createHelmRunner({ path: envHelm(), version: '3.17.0', env: user });
    const env = parse(await runner.run(['pull', 'chart', '--repo', 'https://charts.example']));
    expect(env.HTTPS_PROXY).toBe('http://user-proxy.example:3128');
    expect(env.NO_PROXY).toBe('internal.example');
    expect(env.ALL_PROXY).toBeUndefined();
    expect(env.HOME).toMatch(/podo-helm-/);
  });
});
