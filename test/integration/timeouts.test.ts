// Time budgets: each Kustomization gets its own, as kustomize-controller gives each reconciliation
// spec.timeout: its spec.timeout when set, else --timeout (default 5m). A slow or short-budgeted
// Kustomization fails alone; the others of an --all run go on.
import { describe, expect, it } from 'vitest';
import { applyLive, ensureNamespace, kubeconfig, runPodo, uniqueName, writeTree } from '../helpers/cluster.js';
import { budgetOf } from '../../src/pipeline/evaluate.js';

const cm = (ns: string, name: string, value: string, owner?: { ks: string; ns: string }) =>
  `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: ${name}\n  namespace: ${ns}\n${owner ? `  labels:\n    kustomize.toolkit.fluxcd.io/name: ${owner.ks}\n    kustomize.toolkit.fluxcd.io/namespace: ${owner.ns}\n` : ''}data:\n  value: "${value}"\n`;

const ks = (name: string, namespace: string, p: string, extra = '') =>
  `apiVersion: kustomize.toolkit.fluxcd.io/v1\nkind: Kustomization\nmetadata:\n  name: ${name}\n  namespace: ${namespace}\nspec:\n  interval: 10m\n  path: ${p}\n  prune: false\n  sourceRef:\n    kind: GitRepository\n    name: flux-system\n    namespace: flux-system\n${extra}`;

describe('time budgets', () => {
  it('spec.timeout bounds its own Kustomization only; the others of --all are diffed', async () => {
    const fluxNs = uniqueName('budget');
    const app = uniqueName('budget-app');
    for (const n of ['flux-system', fluxNs, app]) ensureNamespace(n);
    const repo = writeTree({
      'apps/short/kustomization.yaml': 'resources: [cm.yaml]\n',
      'apps/short/cm.yaml': cm(app, 'short', 'new'),
      'apps/normal/kustomization.yaml': 'resources: [cm.yaml]\n',
      'apps/normal/cm.yaml': cm(app, 'normal', 'new'),
    });
    applyLive([ks('short', fluxNs, './apps/short', '  timeout: 1ms\n'), ks('normal', fluxNs, './apps/normal')].join('---\n'));
    applyLive(cm(app, 'normal', 'old', { ks: 'normal', ns: fluxNs }));
    const r = await runPodo(['diff', 'ks', '--all', '-n', fluxNs, '--path', repo, '--kubeconfig', kubeconfig(), '-o', 'json']);
    expect(r.code).toBe(2);
    const doc = JSON.parse(r.stdout) as { kustomizations: Array<{ name: string; error?: string; resources: Array<{ action: string }> }> };
    const byName = Object.fromEntries(doc.kustomizations.map((k) => [k.name, k]));
    expect(byName.short.error).toMatch(/timed out.*\(spec\.timeout 1ms\)/);
    expect(byName.normal.error).toBeUndefined();
    expect(byName.normal.resources.map((x) => x.action)).toEqual(['drifted']);
  });

  it('the budget is spec.timeout when set, else --timeout', () => {
    expect(budgetOf({ name: 'a', namespace: 'b', timeout: '1m30s' }, 300_000)).toEqual({ ms: 90_000, label: 'spec.timeout 1m30s' });
    expect(budgetOf({ name: 'a', namespace: 'b' }, 300_000)).toEqual({ ms: 300_000, label: '--timeout' });
  });

  it('a spec.timeout that is not a duration is one error naming the Kustomization', async () => {
    const fluxNs = uniqueName('budget-bad');
    ensureNamespace(fluxNs);
    const repo = writeTree({ 'apps/x/kustomization.yaml': 'resources: []\n', 'flux.yaml': ks('bad', fluxNs, './apps/x', '  timeout: soon\n') });
    const r = await runPodo(['build', 'kustomization', 'bad', '-n', fluxNs, '--path', `${repo}/apps/x`, '--kustomization-file', `${repo}/flux.yaml`, '--dry-run']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/spec\.timeout "soon" is not a duration/);
  });
});
