// Starts the project's own local kube-apiserver (or uses PODO_TEST_KUBECONFIG), installs the Flux
// CRDs, and tears it down at the end. If the cluster cannot start, the whole run fails with the reason.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, existsSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { TestProject } from 'vitest/node';

const root = path.resolve(import.meta.dirname, '../..');

declare module 'vitest' {
  export interface ProvidedContext {
    kubeconfig: string;
    /** The API server's audit log (JSON lines), when the cluster is the project's own. */
    auditLog: string;
  }
}

export default function setup(project: TestProject): () => void {
  let kubeconfig = process.env.PODO_TEST_KUBECONFIG;
  let stateDir: string | undefined;
  if (!kubeconfig) {
    stateDir = mkdtempSync(path.join(os.tmpdir(), 'podo-test-cluster-'));
    let out: string;
    try {
      out = execFileSync(path.join(root, 'scripts/local-cluster'), ['up'], {
        env: { ...process.env, PODO_CLUSTER_DIR: stateDir },
        encoding: 'utf8',
        stdio: ['ignore', 'pipe', 'inherit'],
        timeout: 30 * 60_000,
      });
    } catch (err) {
      throw new Error(`the local cluster did not start (scripts/local-cluster up): ${(err as Error).message}`);
    }
    kubeconfig = out.trim().split('\n').pop()!;
  }
  if (!existsSync(kubeconfig)) throw new Error(`kubeconfig ${kubeconfig} does not exist`);
  execFileSync('kubectl', ['--kubeconfig', kubeconfig, 'apply', '--server-side', '-f', path.join(root, 'fixtures/crds')], { stdio: ['ignore', 'ignore', 'inherit'] });
  execFileSync('kubectl', ['--kubeconfig', kubeconfig, 'wait', '--for=condition=Established', '--timeout=60s', '-f', path.join(root, 'fixtures/crds')], {
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  // A cluster Flux runs on has its flux-system namespace (where Kustomizations live): every test may rely on it.
  execFileSync('kubectl', ['--kubeconfig', kubeconfig, 'apply', '--server-side', '-f', '-'], { input: 'apiVersion: v1\nkind: Namespace\nmetadata:\n  name: flux-system\n', stdio: ['pipe', 'ignore', 'inherit'] });
  project.provide('kubeconfig', kubeconfig);
  const audit = path.join(path.dirname(kubeconfig), 'audit.log');
  project.provide('auditLog', (stateDir || process.env.PODO_TEST_AUDIT_LOG) && existsSync(audit) ? audit : '');
  return () => {
    if (stateDir) {
      execFileSync(path.join(root, 'scripts/local-cluster'), ['down'], {
        env: { ...process.env, PODO_CLUSTER_DIR: stateDir },
        stdio: ['ignore', 'ignore', 'inherit'],
      });
    }
  };
}
