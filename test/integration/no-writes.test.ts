// podo never writes to the cluster: every mutating request it sends carries dryRun=All. Proven from the
// API server's own audit log, which records every request podo (and every other test) made.
import { describe, expect, inject, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { applyFluxKs, setupCase } from '../helpers/cases.js';
import { applyLive, kubeconfig, runPodo, snapshot, writeTree } from '../helpers/cluster.js';

interface AuditEvent {
  verb: string;
  requestURI: string;
  userAgent?: string;
  stage: string;
}

const MUTATING = new Set(['create', 'update', 'patch', 'delete', 'deletecollection']);

describe('no writes', () => {
  it('every mutating request podo sent carried dryRun=All, and nothing changed', async () => {
    const c = setupCase();
    const owner = `    kustomize.toolkit.fluxcd.io/name: ${c.ks}\n    kustomize.toolkit.fluxcd.io/namespace: flux-system\n`;
    applyLive(`apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: old\n  namespace: ${c.ns}\n  labels:\n${owner}data:\n  a: "1"\n`);
    applyLive(`apiVersion: v1\nkind: Secret\nmetadata:\n  name: s\n  namespace: ${c.ns}\n  labels:\n${owner}stringData:\n  a: "1"\n`);
    applyFluxKs(c.ks, { prune: true, inventory: [`${c.ns}_old__ConfigMap`, `${c.ns}_s__Secret`] });
    const repo = writeTree({
      'kustomization.yaml': 'resources: [new.yaml, s.yaml]\n',
      'new.yaml': `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: new\n  namespace: ${c.ns}\ndata:\n  a: "2"\n`,
      's.yaml': `apiVersion: v1\nkind: Secret\nmetadata:\n  name: s\n  namespace: ${c.ns}\nstringData:\n  a: "2"\n`,
    });
    const before = snapshot(c.ns);
    const r = await runPodo(['diff', 'ks', c.ks, '--path', repo, '--kubeconfig', kubeconfig()]);
    expect(r.code).toBe(1);
    expect(r.stdout).toContain(`► ConfigMap/${c.ns}/new created`);
    expect(r.stdout).toContain(`► ConfigMap/${c.ns}/old deleted`);
    expect(snapshot(c.ns)).toEqual(before);

    const audit = inject('auditLog');
    if (!audit) return; // an external cluster (PODO_TEST_KUBECONFIG) has no audit log to read; the snapshot above still holds
    const events = readFileSync(audit, 'utf8')
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l) as AuditEvent)
      .filter((e) => e.stage === 'ResponseComplete' && (e.userAgent ?? '').startsWith('podo '));
    const mine = events.filter((e) => e.requestURI.includes(`/namespaces/${c.ns}/`));
    expect(mine.some((e) => e.verb === 'patch')).toBe(true);
    const writes = events.filter((e) => MUTATING.has(e.verb));
    expect(writes.length).toBeGreaterThan(0);
    expect(writes.filter((e) => !/[?&]dryRun=All(&|$)/.test(e.requestURI))).toEqual([]);
  });
});
