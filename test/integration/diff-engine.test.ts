// The diff engine against the real API server: noise, skips, pruning, staging, immutable fields,
// validation and permission errors.
import { describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { applyFluxKs, setupCase } from '../helpers/cases.js';
import { applyLive, kubeconfig, limitedKubeconfig, runPodo, snapshot, uniqueName, writeTree } from '../helpers/cluster.js';

const owner = (ks: string) => `    kustomize.toolkit.fluxcd.io/name: ${ks}\n    kustomize.toolkit.fluxcd.io/namespace: flux-system\n`;

function cm(ns: string, name: string, data: string, extraMeta = '', labels = ''): string {
  return `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: ${name}\n  namespace: ${ns}\n${extraMeta}${labels ? `  labels:\n${labels}` : ''}data:\n${data}`;
}

function deploy(ns: string, opts: { replicas?: number; selector?: string; labels?: string; annotations?: string } = {}): string {
  const sel = opts.selector ?? 'web';
  return `apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  namespace: ${ns}
${opts.annotations ? `  annotations:\n${opts.annotations}` : ''}${opts.labels ? `  labels:\n${opts.labels}` : ''}spec:
  replicas: ${opts.replicas ?? 1}
  selector:
    matchLabels: {app: ${sel}}
  template:
    metadata:
      labels: {app: ${sel}}
    spec:
      containers:
        - name: web
          image: nginx:1.27.0
          ports:
            - {name: http, containerPort: 80}
`;
}

describe('normalization: no server noise', () => {
  it('a drifted Deployment shows its spec change, never metadata.generation; an object changed only in generation shows nothing', async () => {
    const c = setupCase();
    // Live: applied twice, so generation is 2, and replicas differ from the repo's.
    applyLive(deploy(c.ns, { replicas: 1, labels: owner(c.ks) }));
    applyLive(deploy(c.ns, { replicas: 2, labels: owner(c.ks) }));
    applyLive(cm(c.ns, 'same', '  a: "1"\n', '', owner(c.ks)));
    applyLive(cm(c.ns, 'same', '  a: "2"\n', '', owner(c.ks)));
    const repo = writeTree({
      'kustomization.yaml': 'resources: [deploy.yaml, cm.yaml]\n',
      'deploy.yaml': deploy(c.ns, { replicas: 3 }),
      'cm.yaml': cm(c.ns, 'same', '  a: "2"\n'),
    });
    applyFluxKs(c.ks, {});
    const r = await runPodo(['diff', 'ks', c.ks, '--path', repo, '--kubeconfig', kubeconfig()]);
    expect(r.code).toBe(1);
    expect(r.stdout).toContain(`► Deployment/${c.ns}/web drifted`);
    expect(r.stdout).toMatch(/spec\.replicas\n\s+± value change\n\s+- 2\n\s+\+ 3/);
    expect(r.stdout).not.toMatch(/generation|resourceVersion|managedFields|creationTimestamp|uid/);
    expect(r.stdout).not.toContain('ConfigMap/');
    expect(r.stdout).toContain('0 created, 1 drifted, 0 deleted, 0 replaced, 0 skipped, 1 unchanged');
  });

  it('protocol: TCP defaulted on ports and a Service clusterIP are not drift', async () => {
    const c = setupCase();
    const svc = (labels: string) =>
      `apiVersion: v1\nkind: Service\nmetadata:\n  name: web\n  namespace: ${c.ns}\n${labels ? `  labels:\n${labels}` : ''}spec:\n  selector: {app: web}\n  ports:\n    - {name: http, port: 80, targetPort: 80, protocol: TCP}\n`;
    applyLive(svc(owner(c.ks)));
    applyLive(deploy(c.ns, { labels: owner(c.ks) }));
    const repo = writeTree({ 'kustomization.yaml': 'resources: [svc.yaml, deploy.yaml]\n', 'svc.yaml': svc(''), 'deploy.yaml': deploy(c.ns) });
    applyFluxKs(c.ks, {});
    const r = await runPodo(['diff', 'ks', c.ks, '--path', repo, '--kubeconfig', kubeconfig()]);
    expect(r.stdout).toContain('0 created, 0 drifted, 0 deleted, 0 replaced, 0 skipped, 2 unchanged');
    expect(r.code).toBe(0);
  });
});

describe('skips', () => {
  it('reconcile: disabled (local), ssa: Ignore (live) and ssa: IfNotPresent on an existing object are skipped, never counted as change', async () => {
    const c = setupCase();
    applyLive(cm(c.ns, 'ignored-live', '  a: "old"\n', `  annotations:\n    kustomize.toolkit.fluxcd.io/ssa: Ignore\n`, owner(c.ks)));
    applyLive(cm(c.ns, 'if-not-present', '  a: "old"\n', '', owner(c.ks)));
    applyLive(cm(c.ns, 'if-not-present-same', '  a: "same"\n', `  annotations:\n    kustomize.toolkit.fluxcd.io/ssa: IfNotPresent\n`, owner(c.ks)));
    const repo = writeTree({
      'kustomization.yaml': 'resources: [a.yaml, b.yaml, c.yaml, d.yaml]\n',
      // Left alone and unchanged anyway: as silent as any unchanged object (issue 19).
      'd.yaml': cm(c.ns, 'if-not-present-same', '  a: "same"\n', `  annotations:\n    kustomize.toolkit.fluxcd.io/ssa: IfNotPresent\n`),
      'a.yaml': cm(c.ns, 'disabled-local', '  a: "new"\n', `  annotations:\n    kustomize.toolkit.fluxcd.io/reconcile: DISABLED\n`),
      'b.yaml': cm(c.ns, 'ignored-live', '  a: "new"\n'),
      'c.yaml': cm(c.ns, 'if-not-present', '  a: "new"\n', '', `    kustomize.toolkit.fluxcd.io/ssa: IfNotPresent\n`),
    });
    applyFluxKs(c.ks, {});
    const r = await runPodo(['diff', 'ks', c.ks, '--path', repo, '--kubeconfig', kubeconfig()]);
    expect(r.stdout).toContain(`► ConfigMap/${c.ns}/disabled-local skipped`);
    expect(r.stdout).toContain(`► ConfigMap/${c.ns}/ignored-live skipped`);
    expect(r.stdout).toContain(`► ConfigMap/${c.ns}/if-not-present skipped`);
    expect(r.stdout).not.toContain('if-not-present-same');
    expect(r.stdout).toContain('0 created, 0 drifted, 0 deleted, 0 replaced, 3 skipped, 1 unchanged');
    expect(r.code).toBe(0);
  });
});

describe('pruning', () => {
  it('reports objects gone from the build as deleted, except those protected by prune: disabled', async () => {
    const c = setupCase();
    applyLive(cm(c.ns, 'kept', '  a: "1"\n', '', owner(c.ks)));
    applyLive(cm(c.ns, 'gone', '  a: "1"\n', '', owner(c.ks)));
    applyLive(cm(c.ns, 'protected', '  a: "1"\n', `  annotations:\n    kustomize.toolkit.fluxcd.io/prune: disabled\n`, owner(c.ks)));
    const repo = writeTree({ 'kustomization.yaml': 'resources: [kept.yaml]\n', 'kept.yaml': cm(c.ns, 'kept', '  a: "1"\n') });
    const inventory = ['kept', 'gone', 'protected'].map((n) => `${c.ns}_${n}__ConfigMap`);
    applyFluxKs(c.ks, { prune: true, inventory });
    const before = snapshot(c.ns);
    const r = await runPodo(['diff', 'ks', c.ks, '--path', repo, '--kubeconfig', kubeconfig()]);
    expect(r.code).toBe(1);
    expect(r.stdout).toContain(`► ConfigMap/${c.ns}/gone deleted`);
    expect(r.stdout).not.toContain(`► ConfigMap/${c.ns}/protected deleted`);
    expect(r.stdout).toContain(`► ConfigMap/${c.ns}/protected skipped (not pruned: kustomize.toolkit.fluxcd.io/prune: disabled)`);
    expect(r.stdout).toContain('0 created, 0 drifted, 1 deleted, 0 replaced, 1 skipped, 1 unchanged');
    expect(snapshot(c.ns)).toEqual(before);
  });

  it('reports no deletions without spec.prune', async () => {
    const c = setupCase();
    applyLive(cm(c.ns, 'gone', '  a: "1"\n', '', owner(c.ks)));
    const repo = writeTree({ 'kustomization.yaml': 'resources: []\n' });
    applyFluxKs(c.ks, { prune: false, inventory: [`${c.ns}_gone__ConfigMap`] });
    const r = await runPodo(['diff', 'ks', c.ks, '--path', repo, '--kubeconfig', kubeconfig()]);
    expect(r.stdout).not.toContain('deleted\n►');
    expect(r.stdout).toContain('0 created, 0 drifted, 0 deleted');
    expect(r.code).toBe(0);
  });
});

describe('staging instead of failing', () => {
  it('a new Namespace with a ConfigMap in it: both created, with content under -v', async () => {
    const c = setupCase({ createNamespace: false });
    const repo = writeTree({
      'kustomization.yaml': 'resources: [ns.yaml, cm.yaml]\n',
      'ns.yaml': `apiVersion: v1\nkind: Namespace\nmetadata:\n  name: ${c.ns}\n`,
      'cm.yaml': cm(c.ns, 'inside', '  greeting: hello-from-new-ns\n'),
    });
    applyFluxKs(c.ks, {});
    const r = await runPodo(['diff', 'ks', c.ks, '--path', repo, '--kubeconfig', kubeconfig(), '-v']);
    expect(r.stderr).not.toContain('error');
    expect(r.code).toBe(1);
    expect(r.stdout).toContain(`► Namespace/${c.ns} created`);
    expect(r.stdout).toContain(`► ConfigMap/${c.ns}/inside created`);
    expect(r.stdout).toContain('hello-from-new-ns');
    expect(r.stdout.indexOf('Namespace/')).toBeLessThan(r.stdout.indexOf('ConfigMap/'));
  });

  it('a new CRD and a custom resource of it in one build: both created', async () => {
    const c = setupCase();
    const group = `${c.ns}.podo.test`;
    const repo = writeTree({
      'kustomization.yaml': 'resources: [crd.yaml, cr.yaml]\n',
      'crd.yaml': `apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata:
  name: widgets.${group}
spec:
  group: ${group}
  names: {kind: Widget, plural: widgets, singular: widget, listKind: WidgetList}
  scope: Namespaced
  versions:
    - name: v1
      served: true
      storage: true
      schema:
        openAPIV3Schema:
          type: object
          properties:
            spec:
              type: object
              properties:
                size: {type: integer}
`,
      'cr.yaml': `apiVersion: ${group}/v1\nkind: Widget\nmetadata:\n  name: w1\n  namespace: ${c.ns}\nspec:\n  size: 3\n`,
    });
    applyFluxKs(c.ks, {});
    const r = await runPodo(['diff', 'ks', c.ks, '--path', repo, '--kubeconfig', kubeconfig()]);
    expect(r.stderr).not.toContain('error');
    expect(r.code).toBe(1);
    expect(r.stdout).toContain(`► CustomResourceDefinition/widgets.${group} created`);
    expect(r.stdout).toContain(`► Widget/${c.ns}/w1 created`);
  });

  it('a real validation error is reported per object with the server message, exit 2', async () => {
    const c = setupCase();
    const repo = writeTree({
      'kustomization.yaml': 'resources: [ok.yaml, bad.yaml]\n',
      'ok.yaml': cm(c.ns, 'fine', '  a: "1"\n'),
      'bad.yaml': deploy(c.ns).replace('replicas: 1', 'replicas: three'),
    });
    applyFluxKs(c.ks, {});
    const r = await runPodo(['diff', 'ks', c.ks, '--path', repo, '--kubeconfig', kubeconfig()]);
    expect(r.code).toBe(2);
    expect(r.stdout).toContain(`► ConfigMap/${c.ns}/fine created`);
    expect(r.stdout).toMatch(new RegExp(`Deployment/${c.ns}/web failed: dry-run failed \\(\\d+.*replicas`));
  });
});

describe('immutable fields', () => {
  it('a changed Deployment selector is an error naming the field without force, and replaced with force', async () => {
    const c = setupCase();
    applyLive(deploy(c.ns, { selector: 'old', labels: owner(c.ks) }));
    const repo = writeTree({ 'kustomization.yaml': 'resources: [d.yaml]\n', 'd.yaml': deploy(c.ns, { selector: 'new' }) });
    applyFluxKs(c.ks, {});
    const r = await runPodo(['diff', 'ks', c.ks, '--path', repo, '--kubeconfig', kubeconfig()]);
    expect(r.code).toBe(2);
    expect(r.stdout).toMatch(new RegExp(`Deployment/${c.ns}/web failed: spec.selector is immutable`));

    const forced = writeTree({
      'kustomization.yaml': 'resources: [d.yaml]\n',
      'd.yaml': deploy(c.ns, { selector: 'new', annotations: '    kustomize.toolkit.fluxcd.io/force: enabled\n' }),
    });
    const f = await runPodo(['diff', 'ks', c.ks, '--path', forced, '--kubeconfig', kubeconfig()]);
    expect(f.code).toBe(1);
    expect(f.stdout).toContain(`► Deployment/${c.ns}/web replaced (spec.selector is immutable)`);
    expect(f.stdout).toContain('0 created, 0 drifted, 0 deleted, 1 replaced');

    const ks2 = uniqueName('forced');
    applyFluxKs(ks2, { force: true });
    applyLive(deploy(c.ns, { selector: 'old', labels: owner(c.ks) }));
    const g = await runPodo(['diff', 'ks', ks2, '--path', repo, '--kubeconfig', kubeconfig()]);
    expect(g.stdout).toContain(`► Deployment/${c.ns}/web replaced`);
    expect(g.code).toBe(1);
  });
});

describe('permissions', () => {
  const readKs = { namespace: 'flux-system', rules: `  - apiGroups: [kustomize.toolkit.fluxcd.io]\n    resources: [kustomizations]\n    verbs: [get, list]\n` };

  it('a 403 on the dry-run names the verb, the resource and the identity, per object', async () => {
    const c = setupCase();
    applyLive(cm(c.ns, 'x', '  a: "1"\n', '', owner(c.ks)));
    applyFluxKs(c.ks, {});
    // May read the Kustomization and ConfigMaps, but not patch them.
    const cfg = limitedKubeconfig([{ namespace: c.ns, rules: `  - apiGroups: [""]\n    resources: [configmaps]\n    verbs: [get, list]\n` }, readKs]);
    const repo = writeTree({ 'kustomization.yaml': 'resources: [x.yaml]\n', 'x.yaml': cm(c.ns, 'x', '  a: "2"\n') });
    const r = await runPodo(['diff', 'ks', c.ks, '--path', repo, '--kubeconfig', cfg]);
    expect(r.code).toBe(2);
    expect(r.stdout).toMatch(new RegExp(`ConfigMap/${c.ns}/x failed: forbidden: system:serviceaccount:${c.ns}:limited-[a-z0-9-]+ may not patch configmaps in namespace ${c.ns}`));
  });

  it('a 403 reading the Kustomization is one error line', async () => {
    const c = setupCase();
    applyFluxKs(c.ks, {});
    const cfg = limitedKubeconfig([{ namespace: c.ns, rules: `  - apiGroups: [""]\n    resources: [configmaps]\n    verbs: [get]\n` }]);
    const repo = writeTree({ 'kustomization.yaml': 'resources: []\n' });
    const r = await runPodo(['diff', 'ks', c.ks, '--path', repo, '--kubeconfig', cfg]);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr.trim()).toMatch(/^podo: error: forbidden: system:serviceaccount:\S+ may not get kustomizations\.kustomize\.toolkit\.fluxcd\.io in namespace flux-system$/);
  });
});

describe('authentication', () => {
  it('a 401 says the cluster rejected the credentials, naming the user', async () => {
    const cfg = path.join(mkdtempSync(path.join(os.tmpdir(), 'podo-401-')), 'kubeconfig');
    writeFileSync(cfg, readFileSync(kubeconfig(), 'utf8').replace(/token: .*/, 'token: not-a-valid-token'));
    const repo = writeTree({ 'kustomization.yaml': 'resources: []\n' });
    const r = await runPodo(['diff', 'ks', 'anything', '--path', repo, '--kubeconfig', cfg]);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr.trim()).toMatch(/^podo: error: unauthorized: the cluster rejected the credentials of \S+ \(401\)/);
    expect(r.stderr).not.toContain('not-a-valid-token');
  });
});

describe('resilience', () => {
  it('--timeout stops the run with exit 2 and says so', async () => {
    const c = setupCase();
    applyFluxKs(c.ks, {});
    const repo = writeTree({ 'kustomization.yaml': 'resources: [x.yaml]\n', 'x.yaml': cm(c.ns, 'x', '  a: "2"\n') });
    const r = await runPodo(['diff', 'ks', c.ks, '--path', repo, '--kubeconfig', kubeconfig(), '--timeout', '1ms']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/timed out/);
  });
});
