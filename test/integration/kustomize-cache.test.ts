// kustomize's output kept under --cache-dir by everything the build read (render/kustomize/build-cache.ts):
// a second run of the same inputs starts no kustomize and prints the same bytes; any change of a byte
// kustomize reads, or of the binary, builds again; a build whose output holds a Secret is never kept.
import { describe, expect, it } from 'vitest';
import { chmodSync, existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { runPodo, writeTree } from '../helpers/cluster.js';
import { encryptYaml, newAgeIdentity } from '../helpers/sops-writer.js';

const KS = (name: string, dir: string) =>
  `apiVersion: kustomize.toolkit.fluxcd.io/v1\nkind: Kustomization\nmetadata:\n  name: ${name}\n  namespace: flux-system\nspec:\n  path: ./${dir}\n  prune: true\n  targetNamespace: shop\n  sourceRef: {kind: GitRepository, name: flux-system}\n`;

/** A kubectl that counts its `kustomize` runs in COUNT, then is the real one. Its name tells podo it is a kubectl. */
function countingKubectl(dir: string): { bin: string; runs: () => number } {
  const count = path.join(dir, 'runs');
  const bin = path.join(dir, 'kubectl-counting');
  writeFileSync(bin, `#!/bin/sh\necho run >> '${count}'\nexec kubectl "$@"\n`);
  chmodSync(bin, 0o755);
  return { bin, runs: () => (existsSync(count) ? readFileSync(count, 'utf8').split('\n').filter(Boolean).length : 0) };
}

/** A repository with one app NAME under apps/, a counting kubectl, and a `podo build` of it against its own cache. */
function cacheCase(name: string, app: Record<string, string>, env: NodeJS.ProcessEnv = {}) {
  const repo = writeTree({ ...Object.fromEntries(Object.entries(app).map(([f, text]) => [`apps/${name}/${f}`, text])), [`clusters/prod/${name}.yaml`]: KS(name, `apps/${name}`) });
  const tools = mkdtempSync(path.join(os.tmpdir(), 'podo-kc-'));
  const cache = path.join(tools, 'cache');
  const k = countingKubectl(tools);
  const build = () =>
    runPodo(['build', 'ks', name, '--path', path.join(repo, `apps/${name}`), '--kustomization-file', path.join(repo, `clusters/prod/${name}.yaml`), '--dry-run', '--kustomize-bin', k.bin, '--cache-dir', cache], {
      KUBECONFIG: '/nonexistent/kubeconfig',
      ...env,
    });
  return { repo, cache, k, build, kept: () => (existsSync(path.join(cache, 'kustomize')) ? readdirSync(path.join(cache, 'kustomize')) : []) };
}

describe('kustomize output cache', () => {
  it('a second run of the same inputs runs no kustomize and prints the same bytes; a changed byte or binary builds again', async () => {
    const { repo, k, build, kept } = cacheCase('web', {
      'kustomization.yaml': 'resources: [cm.yaml]\nnamePrefix: web-\n',
      'cm.yaml': 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: settings\ndata:\n  color: blue\n',
    });

    const first = await build();
    expect(first.stderr).toBe('');
    expect(first.code).toBe(0);
    expect(first.stdout).toContain('name: web-settings');
    expect(k.runs()).toBe(1);
    expect(kept()).toHaveLength(1);

    const second = await build();
    expect(second.code).toBe(0);
    expect(k.runs()).toBe(1);
    expect(second.stdout).toBe(first.stdout);

    // A byte kustomize reads changes: built again, and the new output is printed.
    writeFileSync(path.join(repo, 'apps/web/cm.yaml'), 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: settings\ndata:\n  color: green\n');
    const changed = await build();
    expect(k.runs()).toBe(2);
    expect(changed.stdout).toContain('color: green');
    expect(changed.stdout).not.toContain('color: blue');

    // The Flux overlay is part of what kustomize reads: another targetNamespace in the spec builds again.
    writeFileSync(path.join(repo, 'clusters/prod/web.yaml'), KS('web', 'apps/web').replace('targetNamespace: shop', 'targetNamespace: shop-eu'));
    const respec = await build();
    expect(k.runs()).toBe(3);
    expect(respec.stdout).toContain('namespace: shop-eu');

    // Another binary (here: the same script, rewritten) is another key.
    writeFileSync(k.bin, readFileSync(k.bin, 'utf8') + '# touched\n');
    await build();
    expect(k.runs()).toBe(4);
  });

  it('a build whose output holds a Secret is never kept, and its value reaches no cache file', async () => {
    const { k, build, kept } = cacheCase('db', {
      'kustomization.yaml': 'resources: [cm.yaml]\nsecretGenerator:\n  - name: db\n    literals: [password=CANARY-kc-7xq]\n',
      'cm.yaml': 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: db\ndata:\n  host: db\n',
    });
    for (let i = 1; i <= 2; i++) {
      const r = await build();
      expect(r.code).toBe(0);
      expect(r.stdout).toContain('kind: Secret');
      expect(r.stdout + r.stderr).not.toContain('CANARY-kc-7xq');
      expect(k.runs()).toBe(i);
    }
    expect(kept()).toEqual([]);
  });

  it('a build that decrypted a file before kustomize ran (an encrypted patch) is never kept, even when its output holds no Secret', async () => {
    const id = await newAgeIdentity();
    const patch = await encryptYaml('apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: api\ndata:\n  token: CANARY-kc-sops-4wz\n', { recipients: [id.recipient], encryptedRegex: '^data$' });
    const { k, build, kept } = cacheCase(
      'api',
      {
        'kustomization.yaml': 'resources: [cm.yaml]\npatches:\n  - path: token-patch.yaml\n',
        'cm.yaml': 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: api\ndata:\n  host: api\n',
        'token-patch.yaml': patch,
      },
      { SOPS_AGE_KEY: id.identity },
    );
    // Each run builds the real rendering and its two stand-in renderings (render/secret-derived.ts).
    const perRun: number[] = [];
    for (let i = 1; i <= 2; i++) {
      const r = await build();
      expect(r.stderr).toBe('');
      expect(r.code).toBe(0);
      expect(r.stdout).toContain('host: api');
      expect(r.stdout + r.stderr).not.toContain('CANARY-kc-sops-4wz');
      perRun.push(k.runs());
    }
    expect(perRun[0]).toBeGreaterThan(0);
    expect(perRun[1]).toBe(2 * perRun[0]);
    expect(kept()).toEqual([]);
  });
});
