// --all reads the live objects of many Kustomizations through one list per kind (cluster/live.ts
// LiveIndex, objects labelled kustomize.toolkit.fluxcd.io/namespace in the run's namespaces) instead
// of lists per Kustomization and namespace. The answers must be those of one Kustomization at a time,
// also for what the index cannot hold (objects without Flux's labels, new objects) and for a user who
// may not list across namespaces.
import { existsSync, readFileSync, statSync } from 'node:fs';
import { describe, expect, inject, it } from 'vitest';
import { applyLive, ensureNamespace, kubeconfig, limitedKubeconfig, runPodo, uniqueName, writeTree } from '../helpers/cluster.js';
import { createClusterClient } from '../../src/cluster/client.js';
import { LiveIndex, type LiveQuery } from '../../src/cluster/live.js';
import type { KubeObject } from '../../src/model/object.js';

const cm = (ns: string, name: string, value: string, owner?: { ks: string; ns: string }) =>
  `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: ${name}\n  namespace: ${ns}\n${owner ? `  labels:\n    kustomize.toolkit.fluxcd.io/name: ${owner.ks}\n    kustomize.toolkit.fluxcd.io/namespace: ${owner.ns}\n` : ''}data:\n  value: "${value}"\n`;

const ks = (name: string, namespace: string, p: string) =>
  `apiVersion: kustomize.toolkit.fluxcd.io/v1\nkind: Kustomization\nmetadata:\n  name: ${name}\n  namespace: ${namespace}\nspec:\n  interval: 10m\n  path: ${p}\n  prune: false\n  sourceRef:\n    kind: GitRepository\n    name: flux-system\n    namespace: flux-system\n`;

interface Doc {
  kustomizations: Array<{ name: string; error?: string; resources: Array<{ action: string; name: string; kind: string }> }>;
}

const verdicts = (doc: Doc) =>
  Object.fromEntries(doc.kustomizations.map((k) => [k.name, k.resources.map((r) => `${r.kind}/${r.name}=${r.action}`).sort()]));

/** Five Kustomizations of three ConfigMaps each; the live state has one of every kind of case. */
function fleet(): { fluxNs: string; app: string; repo: string; names: string[] } {
  const fluxNs = uniqueName('index');
  const app = uniqueName('index-app');
  for (const n of ['flux-system', fluxNs, app]) ensureNamespace(n);
  const names = ['a', 'b', 'c', 'd', 'e'];
  const files: Record<string, string> = {};
  const live: string[] = [];
  for (const n of names) {
    files[`apps/${n}/kustomization.yaml`] = 'resources: [cms.yaml]\n';
    files[`apps/${n}/cms.yaml`] = [1, 2, 3].map((i) => cm(app, `${n}-${i}`, 'new')).join('---\n');
    live.push(ks(n, fluxNs, `./apps/${n}`));
    // Applied by Flux: labelled, value 1 unchanged, value 2 drifted; 3 exists only for a and b.
    live.push(cm(app, `${n}-1`, 'new', { ks: n, ns: fluxNs }), cm(app, `${n}-2`, 'old', { ks: n, ns: fluxNs }));
    if (n === 'a' || n === 'b') live.push(cm(app, `${n}-3`, 'new', { ks: n, ns: fluxNs }));
  }
  // c-3 exists without Flux's labels (created by hand, drifted): not in the index, still no "created".
  live.push(cm(app, 'c-3', 'by-hand'));
  applyLive(live.join('---\n'));
  return { fluxNs, app, repo: writeTree(files), names };
}

const expected = (n: string) => {
  const third = n === 'c' ? 'drifted' : n === 'a' || n === 'b' ? 'unchanged' : 'created';
  return [`ConfigMap/${n}-1=unchanged`, `ConfigMap/${n}-2=drifted`, `ConfigMap/${n}-3=${third}`].sort();
};

async function allAndEach(kc: string, f: ReturnType<typeof fleet>): Promise<void> {
  const all = await runPodo(['diff', 'ks', '--all', '-n', f.fluxNs, '--path', f.repo, '--kubeconfig', kc, '-o', 'json', '-v']);
  expect(all.stderr).not.toMatch(/error/i);
  expect(all.code).toBe(1);
  const got = verdicts(JSON.parse(all.stdout) as Doc);
  for (const n of f.names) {
    expect(got[n], n).toEqual(expected(n));
    const one = await runPodo(['diff', 'ks', n, '-n', f.fluxNs, '--path', `${f.repo}/apps/${n}`, '--kubeconfig', kc, '-o', 'json']);
    expect(verdicts(JSON.parse(one.stdout) as Doc)[n], n).toEqual(got[n]);
  }
}

describe('--all reads live objects through one list per kind', () => {
  it('gives the answers of one Kustomization at a time, objects without Flux labels and new ones included', async () => {
    await allAndEach(kubeconfig(), fleet());
  }, 120_000);

  it('a user who may list only in the namespaces involved gets the same answers', async () => {
    const f = fleet();
    const rules = `  - apiGroups: ['', kustomize.toolkit.fluxcd.io, source.toolkit.fluxcd.io]\n    resources: [configmaps, kustomizations, gitrepositories]\n    verbs: [get, list, create, patch]\n`;
    await allAndEach(limitedKubeconfig([{ namespace: f.fluxNs, rules }, { namespace: f.app, rules }]), f);
  }, 120_000);

  it('a list answer larger than the limit is cut off and its objects are read the usual way', async () => {
    const f = fleet();
    const client = await createClusterClient({ kubeconfig: kubeconfig(), env: process.env, concurrency: 4, deadline: Date.now() + 60_000 });
    try {
      const info = (await client.resolve('v1', 'ConfigMap'))!;
      const queries: LiveQuery[] = f.names.map((n) => ({ ref: { apiVersion: 'v1', kind: 'ConfigMap', namespace: f.app, name: `${n}-1` }, info }));
      const small = new Map<string, KubeObject>();
      // 2 KiB holds fewer than the ten labelled ConfigMaps of this fleet.
      expect(await new LiveIndex(client, [f.fluxNs], 2048).take(queries, small)).toEqual(queries);
      expect(small.size).toBe(0);
      const whole = new Map<string, KubeObject>();
      expect(await new LiveIndex(client, [f.fluxNs]).take(queries, whole)).toEqual([]);
      expect([...whole.values()].map((o) => o.metadata.name).sort()).toEqual(f.names.map((n) => `${n}-1`));
    } finally {
      client.close();
    }
  }, 120_000);

  const audit = inject('auditLog');
  it.skipIf(!audit)('sends one cluster-wide list per kind instead of one per Kustomization (API server audit log)', async () => {
    const f = fleet();
    const from = existsSync(audit) ? statSync(audit).size : 0;
    const r = await runPodo(['diff', 'ks', '--all', '-n', f.fluxNs, '--path', f.repo, '--kubeconfig', kubeconfig()]);
    expect(r.code).toBe(1);
    const events = readFileSync(audit)
      .subarray(from)
      .toString('utf8')
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l) as { userAgent?: string; verb?: string; requestURI?: string; stage?: string })
      .filter((e) => (e.userAgent ?? '').startsWith('podo ') && e.verb === 'list' && e.stage === 'ResponseComplete');
    const urls = events.map((e) => new URL(e.requestURI ?? '', 'https://api.invalid'));
    const indexLists = urls.filter((u) => u.pathname === '/api/v1/configmaps' && u.searchParams.get('labelSelector') === `kustomize.toolkit.fluxcd.io/namespace in (${f.fluxNs})`);
    expect(indexLists).toHaveLength(1);
    expect(indexLists[0].searchParams.get('resourceVersion')).toBe('0');
    // Without the index each Kustomization lists the app namespace's ConfigMaps (three of them per build).
    expect(urls.filter((u) => u.pathname === `/api/v1/namespaces/${f.app}/configmaps`)).toEqual([]);
  }, 120_000);
});
