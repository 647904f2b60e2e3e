// A sample DiffReport shared by the report tests: every action, every change kind, already masked as
// diff/ would hand it over. Changes are computed with compareObjects so the sample stays consistent.
import { compareObjects } from '../../src/diff/compare.js';
import type { DiffReport, KustomizationDiff, ResourceChange } from '../../src/model/change.js';
import type { KubeObject } from '../../src/model/object.js';
import { refOf } from '../../src/model/object.js';

export function changed(action: 'drifted' | 'replaced', before: KubeObject, after: KubeObject, reason?: string): ResourceChange {
  return {
    ref: refOf(after),
    action,
    changes: compareObjects(before, after),
    before,
    after,
    ...(reason ? { reason } : {}),
  };
}

export function created(after: KubeObject): ResourceChange {
  return { ref: refOf(after), action: 'created', changes: [], after };
}

export function deleted(before: KubeObject): ResourceChange {
  return { ref: refOf(before), action: 'deleted', changes: [], before };
}

const namespace: KubeObject = {
  apiVersion: 'v1',
  kind: 'Namespace',
  metadata: { name: 'demo', labels: { 'kubernetes.io/metadata.name': 'demo' } },
};

const serviceBefore: KubeObject = {
  apiVersion: 'v1',
  kind: 'Service',
  metadata: { name: 'podinfo', namespace: 'default', labels: { app: 'podinfo' } },
  spec: {
    type: 'ClusterIP',
    selector: { app: 'podinfo' },
    ports: [
      { name: 'http', port: 9899, protocol: 'TCP', targetPort: 'http' },
      { name: 'grpc', port: 9999, protocol: 'TCP', targetPort: 'grpc' },
    ],
  },
};

const serviceAfter: KubeObject = {
  apiVersion: 'v1',
  kind: 'Service',
  metadata: {
    name: 'podinfo',
    namespace: 'default',
    labels: { app: 'podinfo', team: 'platform' },
    annotations: { 'app.kubernetes.io/owner': 'web' },
  },
  spec: {
    type: 'ClusterIP',
    selector: { app: 'podinfo' },
    ports: [
      { name: 'http', port: 9898, protocol: 'TCP', targetPort: 'http' },
      { name: 'grpc', port: 9999, protocol: 'TCP', targetPort: 'grpc' },
    ],
  },
};

const configBefore: KubeObject = {
  apiVersion: 'v1',
  kind: 'ConfigMap',
  metadata: { name: 'app', namespace: 'default' },
  data: {
    'app.conf': [
      'server {',
      '  listen 80;',
      '  server_name example.com;',
      '  root /srv/www;',
      '  index index.html;',
      '  gzip on;',
      '  access_log /var/log/nginx/access.log;',
      '  error_log /var/log/nginx/error.log;',
      '  client_max_body_size 1m;',
      '  keepalive_timeout 65;',
      '}',
      '',
    ].join('\n'),
    mode: 'production',
    legacy: 'true',
  },
};

const configAfter: KubeObject = {
  apiVersion: 'v1',
  kind: 'ConfigMap',
  metadata: { name: 'app', namespace: 'default' },
  data: {
    'app.conf': [
      'server {',
      '  listen 8080;',
      '  server_name example.com;',
      '  root /srv/www;',
      '  index index.html;',
      '  gzip on;',
      '  access_log /var/log/nginx/access.log;',
      '  error_log /var/log/nginx/error.log;',
      '  client_max_body_size 1m;',
      '  keepalive_timeout 65;',
      '}',
      '',
    ].join('\n'),
    mode: 'production',
  },
};

const secretBefore: KubeObject = {
  apiVersion: 'v1',
  kind: 'Secret',
  metadata: { name: 'db', namespace: 'default' },
  type: 'Opaque',
  data: { password: '*** (before)', user: '***' },
};

const secretAfter: KubeObject = {
  apiVersion: 'v1',
  kind: 'Secret',
  metadata: { name: 'db', namespace: 'default' },
  type: 'Opaque',
  data: { password: '*** (after)', user: '***' },
};

function deployment(name: string, image: string, env: Array<{ name: string; value: string }>, selector: string): KubeObject {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name, namespace: 'default' },
    spec: {
      replicas: 2,
      selector: { matchLabels: { app: selector } },
      template: {
        metadata: { labels: { app: selector } },
        spec: { containers: [{ name: 'app', image, env }] },
      },
    },
  };
}

const podinfoBefore = deployment('podinfo', 'ghcr.io/stefanprodan/podinfo:6.5.0', [{ name: 'LOG_LEVEL', value: 'info' }], 'podinfo');
const podinfoAfter = deployment(
  'podinfo',
  'ghcr.io/stefanprodan/podinfo:6.6.0',
  [
    { name: 'LOG_LEVEL', value: 'info' },
    { name: 'CACHE', value: 'redis://cache:6379' },
  ],
  'podinfo',
);

const oldConfig: KubeObject = {
  apiVersion: 'v1',
  kind: 'ConfigMap',
  metadata: { name: 'old', namespace: 'default' },
  data: { stale: 'yes' },
};

const unchanged: KubeObject = {
  apiVersion: 'v1',
  kind: 'ConfigMap',
  metadata: { name: 'same', namespace: 'default' },
  data: { a: '1' },
};

export function appsKustomization(): KustomizationDiff {
  return {
    name: 'apps',
    namespace: 'flux-system',
    resources: [
      created(namespace),
      changed('drifted', serviceBefore, serviceAfter),
      changed('drifted', configBefore, configAfter),
      changed('drifted', secretBefore, secretAfter),
      changed('drifted', podinfoBefore, podinfoAfter),
      deleted(oldConfig),
      changed('replaced', deployment('web', 'nginx:1.27', [], 'web'), deployment('web', 'nginx:latest', [], 'web-v2'), 'spec.selector is immutable'),
      {
        ref: { apiVersion: 'v1', kind: 'ConfigMap', namespace: 'default', name: 'x' },
        action: 'skipped',
        changes: [],
        reason: 'kustomize.toolkit.fluxcd.io/reconcile: disabled',
      },
      {
        ref: { apiVersion: 'apps/v1', kind: 'Deployment', namespace: 'default', name: 'bad' },
        action: 'failed',
        changes: [],
        reason: 'dry-run failed (Invalid): spec.replicas: Invalid value: -1',
      },
      { ref: refOf(unchanged), action: 'unchanged', changes: [], before: unchanged, after: unchanged },
    ],
    warnings: [
      {
        ref: { apiVersion: 'apps/v1', kind: 'Deployment', namespace: 'default', name: 'web' },
        container: 'app',
        image: 'nginx:latest',
        message: 'image nginx:latest uses the :latest tag',
      },
    ],
    notes: ['SOPS values unknown: key sets compared only'],
  };
}

/** Several Kustomizations: one with changes, one skipped as a whole, one that failed as a whole. */
export function groupedReport(): DiffReport {
  return {
    kustomizations: [
      appsKustomization(),
      {
        name: 'infra',
        namespace: 'flux-system',
        skipped: 'source GitRepository/flux-system/other is not mapped',
        resources: [],
        warnings: [],
        notes: [],
      },
      {
        name: 'broken',
        namespace: 'flux-system',
        error: 'kustomize build failed: accumulating resources: missing.yaml: no such file',
        resources: [],
        warnings: [],
        notes: [],
      },
    ],
  };
}

export function singleReport(): DiffReport {
  return { kustomizations: [appsKustomization()] };
}
