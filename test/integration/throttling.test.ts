// Resilience against a real, deliberately throttled or slowed API server. With one request in flight allowed,
// concurrent dry-runs get 429 Too Many Requests, which podo retries with backoff until all succeed.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import net from 'node:net';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { configMapRepo, repoRoot, runPodo } from '../helpers/cluster.js';

const script = path.join(repoRoot, 'scripts/local-cluster');

describe('a throttled or slow API server', () => {
  const stateDir = mkdtempSync(path.join(os.tmpdir(), 'podo-throttled-'));
  const env = { ...process.env, PODO_CLUSTER_DIR: stateDir, PODO_APISERVER_EXTRA_ARGS: '--enable-priority-and-fairness=false --max-requests-inflight=1 --max-mutating-requests-inflight=1' };
  let kc = '';
  const kubectl = (args: string[], input?: string) =>
    execFileSync('kubectl', ['--kubeconfig', kc, ...args], { input, encoding: 'utf8', stdio: ['pipe', 'pipe', 'pipe'] });
  const apply = (yaml: string) => {
    // kubectl itself is throttled here too: retry until it gets through.
    for (let i = 0; ; i++) {
      try {
        return kubectl(['apply', '--server-side', '--force-conflicts', '--field-manager=kustomize-controller', '-f', '-'], yaml);
      } catch (err) {
        if (i > 20) throw err;
      }
    }
  };

  beforeAll(() => {
    kc = execFileSync(script, ['up'], { env, encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] }).trim().split('\n').pop()!;
    apply(readFileSync(path.join(repoRoot, 'fixtures/crds/kustomize.toolkit.fluxcd.io_kustomizations.yaml'), 'utf8'));
    for (let i = 0; i < 50; i++) {
      try {
        kubectl(['get', 'kustomizations.kustomize.toolkit.fluxcd.io', '-A']);
        break;
      } catch {
        execFileSync('sleep', ['0.2']);
      }
    }
  }, 180_000);

  afterAll(() => {
    execFileSync(script, ['down'], { env, stdio: 'ignore' });
  });

  /** system:masters is exempt from the in-flight limit: podo runs as a cluster-admin that is not. */
  function nonMasterKubeconfig(): string {
    apply('apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRoleBinding\nmetadata:\n  name: podo-limited-admin\nroleRef:\n  apiGroup: rbac.authorization.k8s.io\n  kind: ClusterRole\n  name: cluster-admin\nsubjects:\n  - kind: User\n    name: podo-limited\n    apiGroup: rbac.authorization.k8s.io\n');
    const token = readFileSync(path.join(stateDir, 'limited.token'), 'utf8').trim();
    const file = path.join(stateDir, 'non-master.kubeconfig');
    writeFileSync(file, readFileSync(kc, 'utf8').replace(/token: .*/, `token: ${token}`));
    return file;
  }

  it('diffs 200 objects at concurrency 32 against one-request-at-a-time, with 429s in the audit log', async () => {
    apply('apiVersion: v1\nkind: Namespace\nmetadata:\n  name: flux-system\n---\napiVersion: v1\nkind: Namespace\nmetadata:\n  name: busy\n');
    apply('apiVersion: kustomize.toolkit.fluxcd.io/v1\nkind: Kustomization\nmetadata:\n  name: busy\n  namespace: flux-system\nspec:\n  path: ./\n  prune: false\n  sourceRef: {kind: GitRepository, name: flux-system}\n');
    const repo = configMapRepo(200, 'busy', 'cm');
    const r = await runPodo(['diff', 'ks', 'busy', '--path', repo, '--kubeconfig', nonMasterKubeconfig(), '--concurrency', '32']);
    expect(r.stderr).not.toContain('failed');
    expect(r.code).toBe(1);
    expect(r.stdout).toContain('200 created, 0 drifted');
    const throttled = readFileSync(path.join(stateDir, 'audit.log'), 'utf8')
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l) as { userAgent?: string; responseStatus?: { code?: number } })
      .filter((e) => (e.userAgent ?? '').startsWith('podo ') && e.responseStatus?.code === 429);
    expect(throttled.length).toBeGreaterThan(0);
  }, 120_000);

  it('a run that exceeds --timeout stops with exit 2 and names the objects still pending', async () => {
    // A validating webhook that accepts connections and never answers makes every dry-run of this
    // namespace wait on the API server's side: a real slow server, not a fake one.
    const hang = net.createServer(() => undefined);
    await new Promise<void>((resolve) => hang.listen(0, '127.0.0.1', resolve));
    const port = (hang.address() as net.AddressInfo).port;
    const ca = Buffer.from(readFileSync(path.join(stateDir, 'pki/ca.crt'))).toString('base64');
    apply('apiVersion: v1\nkind: Namespace\nmetadata:\n  name: slow\n  labels: {podo-test: slow}\n');
    apply(`apiVersion: admissionregistration.k8s.io/v1
kind: ValidatingWebhookConfiguration
metadata:
  name: podo-slow
webhooks:
  - name: slow.podo.test
    admissionReviewVersions: [v1]
    sideEffects: None
    failurePolicy: Ignore
    timeoutSeconds: 10
    namespaceSelector: {matchLabels: {podo-test: slow}}
    rules:
      - {apiGroups: [""], apiVersions: [v1], operations: [CREATE, UPDATE], resources: [configmaps]}
    clientConfig:
      url: https://127.0.0.1:${port}/validate
      caBundle: ${ca}
`);
    try {
      apply('apiVersion: kustomize.toolkit.fluxcd.io/v1\nkind: Kustomization\nmetadata:\n  name: slow\n  namespace: flux-system\nspec:\n  path: ./\n  prune: false\n  sourceRef: {kind: GitRepository, name: flux-system}\n');
      const repo = configMapRepo(20, 'slow', 'slow');
      const r = await runPodo(['diff', 'ks', 'slow', '--path', repo, '--kubeconfig', kc, '--concurrency', '4', '--timeout', '3s']);
      expect(r.code).toBe(2);
      expect(r.stdout).toBe('');
      expect(r.stderr.trim().split('\n')).toHaveLength(1);
      expect(r.stderr).toMatch(/timed out \(--timeout\) with \d+ object\(s\) still pending: ConfigMap\/slow\/slow-\d+/);
    } finally {
      kubectl(['delete', 'validatingwebhookconfiguration', 'podo-slow']);
      hang.close();
    }
  }, 120_000);
});
