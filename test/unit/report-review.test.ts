// The top of the pull-request comment: the summary table (a row per cluster × Kustomization and
// HelmRelease that changes), the image changes and the needs-attention list; and a comment split into
// parts. Golden files: test/golden/report-review.md and report-split.md.
import { describe, expect, it } from 'vitest';
import type { DiffReport, KustomizationDiff } from '../../src/model/change.js';
import type { KubeObject } from '../../src/model/object.js';
import { markdownParts, renderMarkdown } from '../../src/report/markdown.js';
import { attentionItems, imageChanges, majorOf, summaryRows } from '../../src/report/review.js';
import { changed, created, deleted } from './report-sample.js';

const obj = (apiVersion: string, kind: string, name: string, namespace: string | undefined, rest: Record<string, unknown> = {}): KubeObject =>
  ({ apiVersion, kind, metadata: { name, ...(namespace ? { namespace } : {}) }, ...rest }) as KubeObject;

const statefulSet = (image: string) =>
  obj('apps/v1', 'StatefulSet', 'db', 'data', { spec: { template: { spec: { initContainers: [{ name: 'init', image: 'busybox:1.36' }], containers: [{ name: 'postgres', image }] } } } });
const kustomization = (prune: boolean, suspend?: boolean) =>
  obj('kustomize.toolkit.fluxcd.io/v1', 'Kustomization', 'tenants', 'flux-system', { spec: { interval: '10m', path: './tenants', prune, ...(suspend !== undefined ? { suspend } : {}) } });
const helmRelease = (version: string) =>
  obj('helm.toolkit.fluxcd.io/v2', 'HelmRelease', 'ingress', 'ingress', { spec: { chart: { spec: { chart: 'ingress-nginx', version, sourceRef: { kind: 'HelmRepository', name: 'ingress' } } } } });
const role = (rules: unknown[]) => obj('rbac.authorization.k8s.io/v1', 'ClusterRole', 'operator', undefined, { rules });
const controller = (image: string) => obj('apps/v1', 'Deployment', 'ingress-nginx-controller', 'ingress', { spec: { template: { spec: { containers: [{ name: 'controller', image }] } } } });

function infra(): KustomizationDiff {
  return {
    name: 'infra',
    namespace: 'flux-system',
    cluster: 'production',
    resources: [
      deleted(obj('v1', 'Namespace', 'legacy', undefined)),
      deleted(obj('v1', 'PersistentVolumeClaim', 'data-db-0', 'data', { spec: { resources: { requests: { storage: '10Gi' } } } })),
      deleted(obj('apiextensions.k8s.io/v1', 'CustomResourceDefinition', 'widgets.example.com', undefined, { spec: { group: 'example.com' } })),
      deleted(statefulSet('postgres:15.4')),
      created(
        obj('rbac.authorization.k8s.io/v1', 'ClusterRoleBinding', 'ci-admin', undefined, {
          roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'cluster-admin' },
          subjects: [{ kind: 'ServiceAccount', name: 'ci', namespace: 'ci' }],
        }),
      ),
      // A binding to a harmless role is no item.
      created(
        obj('rbac.authorization.k8s.io/v1', 'RoleBinding', 'viewers', 'apps', {
          roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'view' },
          subjects: [{ kind: 'Group', name: 'devs' }],
        }),
      ),
      changed('drifted', role([{ apiGroups: [''], resources: ['pods'], verbs: ['get'] }]), role([{ apiGroups: [''], resources: ['pods'], verbs: ['get'] }, { apiGroups: ['apps'], resources: ['deployments'], verbs: ['*'] }])),
      changed('drifted', kustomization(true), kustomization(false, true)),
      changed('drifted', helmRelease('4.7.1'), helmRelease('5.0.2')),
      { ...changed('drifted', controller('registry.k8s.io/ingress-nginx/controller:v1.9.4'), controller('registry.k8s.io/ingress-nginx/controller:v1.12.0')), helmRelease: 'ingress/ingress' },
      changed('replaced', obj('v1', 'Service', 'api', 'apps', { spec: { clusterIP: '10.0.0.1' } }), obj('v1', 'Service', 'api', 'apps', { spec: { clusterIP: '10.0.0.2' } }), 'spec.clusterIP is immutable'),
    ],
    warnings: [],
    notes: [],
    helmReleases: [{ name: 'ingress', namespace: 'ingress', chart: 'https://kubernetes.github.io/ingress-nginx ingress-nginx 5.0.2' }],
  };
}

function apps(cluster: string): KustomizationDiff {
  const cm = (v: string) => obj('v1', 'ConfigMap', 'settings', 'apps', { data: { level: v } });
  return { name: 'apps', namespace: 'flux-system', cluster, resources: [changed('drifted', cm('info'), cm('debug'))], warnings: [], notes: [] };
}

function reviewReport(): DiffReport {
  return {
    target: { baseRef: 'origin/main' },
    kustomizations: [infra(), apps('production'), apps('staging'), { name: 'quiet', namespace: 'flux-system', cluster: 'staging', resources: [], warnings: [], notes: [] }],
  };
}

describe('summary rows', () => {
  it('one row per cluster × Kustomization own objects and per HelmRelease; unchanged ones left out', () => {
    const rows = summaryRows(reviewReport());
    expect(rows.map((r) => [r.cluster, r.kustomization, r.helmRelease ?? ''])).toEqual([
      ['production', 'flux-system/infra', ''],
      ['production', 'flux-system/infra', 'ingress/ingress'],
      ['production', 'flux-system/apps', ''],
      ['staging', 'flux-system/apps', ''],
    ]);
    expect(rows[0].counts).toMatchObject({ created: 2, drifted: 3, deleted: 4, replaced: 1 });
    expect(rows[1].counts).toMatchObject({ drifted: 1 });
  });
});

describe('image changes', () => {
  it('old → new per container, new and removed containers, in report order', () => {
    expect(imageChanges(reviewReport()).map((c) => [c.ref.name, c.container, c.from ?? '', c.to ?? ''])).toEqual([
      ['db', 'init', 'busybox:1.36', ''],
      ['db', 'postgres', 'postgres:15.4', ''],
      ['ingress-nginx-controller', 'controller', 'registry.k8s.io/ingress-nginx/controller:v1.9.4', 'registry.k8s.io/ingress-nginx/controller:v1.12.0'],
    ]);
  });
});

describe('needs attention', () => {
  it('names each risky change once', () => {
    expect(attentionItems(reviewReport()).map((i) => `${i.kind} ${i.ref.kind}/${i.ref.name}: ${i.detail}`)).toEqual([
      'deleted Namespace/legacy: deleted: deleting a Namespace deletes every object in it',
      'deleted PersistentVolumeClaim/data-db-0: deleted: its volume goes with it under a Delete reclaim policy',
      'deleted CustomResourceDefinition/widgets.example.com: deleted: deleting a CRD deletes every custom resource of its kind',
      'deleted StatefulSet/db: deleted: its Pods are deleted',
      'rbac ClusterRoleBinding/ci-admin: grants ClusterRole cluster-admin to ServiceAccount ci/ci',
      'rbac ClusterRole/operator: new rule with verbs ["*"] on deployments',
      'flux Kustomization/tenants: spec.prune true → false',
      'flux Kustomization/tenants: spec.suspend false → true',
      'chart-major HelmRelease/ingress: chart ingress-nginx major version 4.7.1 → 5.0.2',
      'replaced Service/api: replaced (deleted and created again): spec.clusterIP is immutable',
    ]);
  });

  it('a binding that only keeps its subjects, a minor chart bump or a CRD kind named like a core one are no items', () => {
    const binding = (subjects: unknown[]) =>
      obj('rbac.authorization.k8s.io/v1', 'ClusterRoleBinding', 'ops', undefined, { roleRef: { kind: 'ClusterRole', name: 'admin' }, subjects });
    const same = [{ kind: 'User', name: 'alice' }];
    const report: DiffReport = {
      kustomizations: [
        {
          name: 'k',
          namespace: 'flux-system',
          resources: [
            changed('drifted', { ...binding(same), metadata: { name: 'ops', labels: { a: '1' } } }, binding(same)),
            changed('drifted', helmRelease('4.7.1'), helmRelease('4.8.0')),
            deleted(obj('example.com/v1', 'Namespace', 'not-core', undefined)),
          ],
          warnings: [],
          notes: [],
        },
      ],
    };
    expect(attentionItems(report)).toEqual([]);
    const added = changed('drifted', binding(same), binding([...same, { kind: 'User', name: 'mallory' }]));
    expect(attentionItems({ kustomizations: [{ ...report.kustomizations[0], resources: [added] }] }).map((i) => i.detail)).toEqual(['grants ClusterRole admin to User mallory']);
  });

  it('reads major versions as Helm writes them', () => {
    expect([majorOf('1.2.3'), majorOf('v2.0.0'), majorOf('3'), majorOf('1.0.0-rc.1'), majorOf('>=1.0.0'), majorOf('1.x')]).toEqual([1, 2, 3, 1, undefined, undefined]);
  });
});

describe('the comment', () => {
  it('matches the golden review comment: summary table with clusters, image table, needs attention', async () => {
    await expect(renderMarkdown(reviewReport())).toMatchFileSnapshot('../golden/report-review.md');
  });

  it('matches the golden split comment: part 1/2 and 2/2, each under the limit', async () => {
    const parts = markdownParts(reviewReport(), { maxBytes: 4000 });
    expect(parts).toHaveLength(2);
    for (const p of parts) expect(Buffer.byteLength(p)).toBeLessThanOrEqual(4000);
    expect(renderMarkdown(reviewReport(), { maxBytes: 4000 })).toBe(parts.join('\n'));
    await expect(parts.join('\n')).toMatchFileSnapshot('../golden/report-split.md');
  });
});
