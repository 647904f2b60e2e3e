// End to end: podo as a subprocess against the real local API server, after really applying a live state.
import { beforeAll, describe, expect, it } from 'vitest';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import os from 'node:os';
import { applyLive, ensureNamespace, fluxKustomization, kubeconfig, kubectl, runPodo, snapshot, uniqueName, writeTree } from '../helpers/cluster.js';

const LIVE_CANARY = 'CANARY-live-4f1d9c';
const LOCAL_CANARY = 'CANARY-local-8b2e7a';

const ownerLabels = (ks: string) => `    kustomize.toolkit.fluxcd.io/name: ${ks}\n    kustomize.toolkit.fluxcd.io/namespace: flux-system\n`;

function deployment(ns: string, extraLabels = ''): string {
  return `apiVersion: apps/v1
kind: Deployment
metadata:
  name: api
  namespace: ${ns}
  labels:
    app: api
${extraLabels}spec:
  replicas: 2
  selector:
    matchLabels: {app: api}
  template:
    metadata:
      labels: {app: api}
    spec:
      containers:
        - name: api
          image: registry.example.com/api:2.0.1
          ports:
            - {name: http, containerPort: 8080, protocol: TCP}
`;
}

describe('podo diff kustomization against a live cluster', () => {
  const ns = uniqueName('e2e');
  const ks = uniqueName('app');
  let repo: string;

  beforeAll(() => {
    ensureNamespace('flux-system');
    repo = writeTree({
      'apps/app/kustomization.yaml': `resources: [deployment.yaml, configmap.yaml, secret.yaml, service.yaml]\n`,
      'apps/app/deployment.yaml': deployment(ns),
      'apps/app/configmap.yaml': `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: settings\n  namespace: ${ns}\ndata:\n  LOG_LEVEL: info\n  REGION: eu-west-1\n`,
      'apps/app/secret.yaml': `apiVersion: v1\nkind: Secret\nmetadata:\n  name: creds\n  namespace: ${ns}\ntype: Opaque\nstringData:\n  password: ${LOCAL_CANARY}\n  user: admin\n`,
      'apps/app/service.yaml': `apiVersion: v1\nkind: Service\nmetadata:\n  name: web\n  namespace: ${ns}\nspec:\n  selector: {app: api}\n  ports:\n    - {name: http, port: 80, targetPort: http, protocol: TCP}\n`,
    });
    applyLive(fluxKustomization({ name: ks, path: './apps/app' }));
    ensureNamespace(ns);
    applyLive(
      [
        deployment(ns, ownerLabels(ks)),
        `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: settings\n  namespace: ${ns}\n  labels:\n${ownerLabels(ks)}data:\n  LOG_LEVEL: debug\n  REGION: eu-west-1\n`,
        `apiVersion: v1\nkind: Secret\nmetadata:\n  name: creds\n  namespace: ${ns}\n  labels:\n${ownerLabels(ks)}type: Opaque\nstringData:\n  password: ${LIVE_CANARY}\n  user: admin\n`,
      ].join('---\n'),
    );
  });

  it('reports created and drifted objects, hides unchanged ones, exits 1, masks secrets and writes nothing', async () => {
    const before = snapshot(ns);
    const ksBefore = kubectl(['get', 'kustomizations.kustomize.toolkit.fluxcd.io', '-n', 'flux-system', ks, '-o', 'jsonpath={.metadata.resourceVersion}']);
    const r = await runPodo(['diff', 'kustomization', ks, '--path', path.join(repo, 'apps/app'), '--kubeconfig', kubeconfig()]);
    expect(r.code).toBe(1);
    expect(r.stdout).toContain(`► ConfigMap/${ns}/settings drifted`);
    expect(r.stdout).toMatch(/data\.LOG_LEVEL\n\s+± value change\n\s+- debug\n\s+\+ info/);
    expect(r.stdout).toContain(`► Service/${ns}/web created`);
    expect(r.stdout).toContain(`► Secret/${ns}/creds drifted`);
    expect(r.stdout).toContain('- *** (before)');
    expect(r.stdout).toContain('+ *** (after)');
    expect(r.stdout).not.toContain('Deployment/');
    expect(r.stdout).not.toContain('REGION');
    expect(r.stdout).toContain('1 created, 2 drifted, 0 deleted, 0 replaced, 0 skipped, 1 unchanged');
    for (const canary of [LIVE_CANARY, LOCAL_CANARY]) {
      for (const form of [canary, Buffer.from(canary).toString('base64')]) {
        expect(r.stdout).not.toContain(form);
        expect(r.stderr).not.toContain(form);
      }
    }
    // Nothing was written: same resourceVersions, and the new Service does not exist.
    expect(snapshot(ns)).toEqual(before);
    expect(Object.keys(before)).not.toContain('Service/web');
    expect(kubectl(['get', 'kustomizations.kustomize.toolkit.fluxcd.io', '-n', 'flux-system', ks, '-o', 'jsonpath={.metadata.resourceVersion}'])).toBe(ksBefore);
  });

  it('exits 0 and prints no object when nothing would change', async () => {
    const same = uniqueName('same');
    const dir = writeTree({ 'kustomization.yaml': 'resources: [deployment.yaml]\n', 'deployment.yaml': deployment(ns) });
    applyLive(fluxKustomization({ name: same, path: './' }));
    // The live Deployment carries the other Kustomization's owner labels; relabel a copy for this one.
    const ns2 = uniqueName('same');
    ensureNamespace(ns2);
    writeFileSync(path.join(dir, 'deployment.yaml'), deployment(ns2));
    applyLive(deployment(ns2, ownerLabels(same)));
    const r = await runPodo(['diff', 'ks', same, '--path', dir, '--kubeconfig', kubeconfig()]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).not.toContain('►');
    expect(r.stdout).toContain('0 created, 0 drifted, 0 deleted, 0 replaced, 0 skipped, 1 unchanged');
  });

  it('colors the report only when asked, and --no-color wins', async () => {
    const args = ['diff', 'ks', ks, '--path', path.join(repo, 'apps/app'), '--kubeconfig', kubeconfig()];
    const colored = await runPodo(args, { NO_COLOR: '', FORCE_COLOR: '1' });
    expect(colored.stdout).toContain('\u001b[');
    const plain = await runPodo([...args, '--no-color'], { NO_COLOR: '', FORCE_COLOR: '1' });
    expect(plain.stdout).not.toContain('\u001b[');
    expect(plain.code).toBe(1);
  });
});

describe('bad input gives one clear line and exit 2', () => {
  const oneLine = (s: string) => s.trim().split('\n').length === 1;

  it('a missing --path directory', async () => {
    const r = await runPodo(['diff', 'ks', 'x', '--path', '/nonexistent/podo-path', '--kubeconfig', kubeconfig()]);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(oneLine(r.stderr)).toBe(true);
    expect(r.stderr).toContain('/nonexistent/podo-path');
  });

  it('a Kustomization missing from the cluster, with a hint', async () => {
    const dir = writeTree({ 'kustomization.yaml': 'resources: []\n' });
    const r = await runPodo(['diff', 'ks', 'no-such-ks', '--path', dir, '--kubeconfig', kubeconfig()]);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(oneLine(r.stderr)).toBe(true);
    expect(r.stderr).toContain('Kustomization flux-system/no-such-ks not found');
    expect(r.stderr).toContain('hint');
  });

  it('an unreachable cluster', async () => {
    const cfg = path.join(os.tmpdir(), `podo-unreachable-${process.pid}.yaml`);
    writeFileSync(
      cfg,
      `apiVersion: v1\nkind: Config\nclusters:\n- name: c\n  cluster:\n    server: https://127.0.0.1:1\n    insecure-skip-tls-verify: true\nusers:\n- name: u\n  user:\n    token: t\ncontexts:\n- name: x\n  context: {cluster: c, user: u}\ncurrent-context: x\n`,
    );
    const dir = writeTree({ 'kustomization.yaml': 'resources: []\n' });
    const r = await runPodo(['diff', 'ks', 'app', '--path', dir, '--kubeconfig', cfg]);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(oneLine(r.stderr)).toBe(true);
    expect(r.stderr).toContain('cannot reach the cluster at https://127.0.0.1:1');
  });

  it('malformed YAML in the path names the file', async () => {
    const ks = uniqueName('bad');
    applyLive(fluxKustomization({ name: ks, path: './' }));
    const dir = writeTree({ 'kustomization.yaml': 'resources: [broken.yaml]\n', 'broken.yaml': 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\n data: [\n' });
    const r = await runPodo(['diff', 'ks', ks, '--path', dir, '--kubeconfig', kubeconfig()]);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(oneLine(r.stderr)).toBe(true);
    expect(r.stderr).toContain('broken.yaml');
    expect(r.stderr).not.toContain('podo-build-');
  });

  it('usage errors exit 2, never 1', async () => {
    for (const args of [['diff', 'ks', 'x', '--bogus'], ['diff', 'ks', 'x'], ['diff', 'ks', 'x', '--path', '.', '-o', 'yaml'], ['nope']]) {
      const r = await runPodo(args);
      expect(r.code, args.join(' ')).toBe(2);
      expect(r.stdout).toBe('');
      expect(r.stderr).toContain('podo: error:');
    }
  });

  it('help and version exit 0', async () => {
    expect((await runPodo(['--help'])).code).toBe(0);
    const v = await runPodo(['--version']);
    expect(v.code).toBe(0);
    // podo's version, then the helm it renders charts with (or why there is none).
    expect(v.stdout).toMatch(/^\d+\.\d+\.\d+\nhelm: (v\d+\.\d+\.\d+ \(.+\)|none \(.+\))\n$/);
    const h = await runPodo(['diff', 'kustomization', '--help']);
    expect(h.code).toBe(0);
    expect(h.stdout).toContain('Exit codes');
  });
});
