import { describe, expect, it } from 'vitest';
import type { DiffReport, ResourceChange } from '../../src/model/change.js';
import type { KubeObject } from '../../src/model/object.js';
import { chalkColorizer, plainColorizer } from '../../src/report/colorizer.js';
import { formatPath } from '../../src/report/format.js';
import { renderText, type TextOptions } from '../../src/report/text.js';
import { changed, created, deleted, groupedReport, singleReport } from './report-sample.js';

const plain: TextOptions = { color: plainColorizer, verbose: false, grouped: false };

function report(...resources: ResourceChange[]): DiffReport {
  return { kustomizations: [{ name: 'apps', namespace: 'flux-system', resources, warnings: [], notes: [] }] };
}

function configMap(name: string, data: Record<string, string>, labels?: Record<string, string>): KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: { name, namespace: 'default', ...(labels ? { labels } : {}) },
    data,
  };
}

function service(port: number): KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name: 'podinfo', namespace: 'default' },
    spec: { ports: [{ name: 'http', port, protocol: 'TCP' }, { name: 'grpc', port: 9999, protocol: 'TCP' }] },
  };
}

describe('renderText', () => {
  it('prints a value change under the dotted path, list items by name', () => {
    expect(renderText(report(changed('drifted', service(9899), service(9898))), plain)).toMatchInlineSnapshot(`
      "► Service/default/podinfo drifted

      spec.ports.http.port
        ± value change
          - 9899
          + 9898

      0 created, 1 drifted, 0 deleted, 0 replaced, 0 skipped, 0 unchanged
      "
    `);
  });

  it('prints map entries added and removed with their YAML, and quotes keys that contain dots', () => {
    const before = configMap('app', { mode: 'dev', old: 'x', older: 'y' }, { app: 'web' });
    const after = configMap('app', { mode: 'dev' }, { app: 'web', team: 'platform', 'app.kubernetes.io/name': 'web' });
    before.metadata.annotations = { 'fluxcd.io/note': 'hello' };
    after.metadata.annotations = { 'fluxcd.io/note': 'bye' };
    expect(renderText(report(changed('drifted', before, after)), plain)).toMatchInlineSnapshot(`
      "► ConfigMap/default/app drifted

      metadata.labels
        + two map entries added:
          team: platform
          app.kubernetes.io/name: web

      metadata.annotations["fluxcd.io/note"]
        ± value change
          - hello
          + bye

      data
        - two map entries removed:
          old: x
          older: "y"

      0 created, 1 drifted, 0 deleted, 0 replaced, 0 skipped, 0 unchanged
      "
    `);
  });

  it('prints list entries added by name and the image of a container addressed by name', () => {
    const deploy = (image: string, env: Array<{ name: string; value: string }>): KubeObject => ({
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'web', namespace: 'default' },
      spec: { template: { spec: { containers: [{ name: 'app', image, env }] } } },
    });
    const before = deploy('nginx:1.26', [{ name: 'A', value: '1' }]);
    const after = deploy('nginx:1.27', [
      { name: 'A', value: '1' },
      { name: 'B', value: '2' },
    ]);
    expect(renderText(report(changed('drifted', before, after)), plain)).toMatchInlineSnapshot(`
      "► Deployment/default/web drifted

      spec.template.spec.containers.app.image
        ± value change
          - nginx:1.26
          + nginx:1.27

      spec.template.spec.containers.app.env
        + one list entry added:
          - name: B
            value: "2"

      0 created, 1 drifted, 0 deleted, 0 replaced, 0 skipped, 0 unchanged
      "
    `);
  });

  it('line-diffs multi-line text, dims context and elides long unchanged runs', () => {
    const lines = Array.from({ length: 20 }, (_, i) => `line ${i + 1}`);
    const changedLines = lines.map((l, i) => (i === 2 ? 'line three' : i === 15 ? 'line sixteen' : l));
    changedLines.splice(17, 0, 'inserted');
    const before = configMap('conf', { 'app.conf': lines.join('\n') + '\n' });
    const after = configMap('conf', { 'app.conf': changedLines.join('\n') + '\n' });
    expect(renderText(report(changed('drifted', before, after)), plain)).toMatchInlineSnapshot(`
      "► ConfigMap/default/conf drifted

      data["app.conf"]
        ± value change in multiline text (three inserts, two deletions)
            line 1
            line 2
          - line 3
          + line three
            line 4
            line 5
            line 6
          … six unchanged lines
            line 13
            line 14
            line 15
          - line 16
          + line sixteen
            line 17
          + inserted
            line 18
            line 19
            line 20

      0 created, 1 drifted, 0 deleted, 0 replaced, 0 skipped, 0 unchanged
      "
    `);
  });

  it('prints masked Secret values as they come', () => {
    const secret = (password: string): KubeObject => ({
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name: 'db', namespace: 'default' },
      data: { password, user: '***' },
    });
    expect(renderText(report(changed('drifted', secret('*** (before)'), secret('*** (after)'))), plain))
      .toMatchInlineSnapshot(`
        "► Secret/default/db drifted

        data.password
          ± value change
            - *** (before)
            + *** (after)

        0 created, 1 drifted, 0 deleted, 0 replaced, 0 skipped, 0 unchanged
        "
      `);
  });

  it('prints type and order changes', () => {
    const before = configMap('x', { port: '8080' });
    const after: KubeObject = { ...configMap('x', {}), data: { port: { number: 8080 } } };
    const rbac = (verbs: string[]): KubeObject => ({
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'ClusterRole',
      metadata: { name: 'reader' },
      rules: [{ verbs }],
    });
    const out = renderText(
      report(changed('drifted', before, after), changed('drifted', rbac(['get', 'list']), rbac(['list', 'get']))),
      plain,
    );
    expect(out).toMatchInlineSnapshot(`
      "► ConfigMap/default/x drifted

      data.port
        ± type change from string to map
          - "8080"
          + number: 8080

      ► ClusterRole/reader drifted

      rules.0.verbs
        ⇆ order changed
          - get, list
          + list, get

      0 created, 2 drifted, 0 deleted, 0 replaced, 0 skipped, 0 unchanged
      "
    `);
  });

  it('prints a created object on one line, with its content only when verbose', () => {
    const ns: KubeObject = { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'demo' } };
    const r = report(created(ns), deleted(configMap('old', { a: '1' })));
    expect(renderText(r, plain)).toMatchInlineSnapshot(`
      "► Namespace/demo created
      ► ConfigMap/default/old deleted

      1 created, 0 drifted, 1 deleted, 0 replaced, 0 skipped, 0 unchanged
      "
    `);
    expect(renderText(r, { ...plain, verbose: true })).toMatchInlineSnapshot(`
      "► Namespace/demo created
        apiVersion: v1
        kind: Namespace
        metadata:
          name: demo

      ► ConfigMap/default/old deleted

      1 created, 0 drifted, 1 deleted, 0 replaced, 0 skipped, 0 unchanged
      "
    `);
  });

  it('prints nothing for unchanged objects but counts them', () => {
    const cm = configMap('same', { a: '1' });
    const r = report({ ref: { apiVersion: 'v1', kind: 'ConfigMap', namespace: 'default', name: 'same' }, action: 'unchanged', changes: [], before: cm, after: cm });
    expect(renderText(r, plain)).toBe('0 created, 0 drifted, 0 deleted, 0 replaced, 0 skipped, 1 unchanged\n');
  });

  it('prints the whole report: every action, warnings and notes', () => {
    expect(renderText(singleReport(), plain)).toMatchInlineSnapshot(`
      "► Namespace/demo created
      ► Service/default/podinfo drifted

      metadata.labels
        + one map entry added:
          team: platform

      metadata
        + one map entry added:
          annotations:
            app.kubernetes.io/owner: web

      spec.ports.http.port
        ± value change
          - 9899
          + 9898

      ► ConfigMap/default/app drifted

      data["app.conf"]
        ± value change in multiline text (one insert, one deletion)
            server {
          -   listen 80;
          +   listen 8080;
              server_name example.com;
              root /srv/www;
              index index.html;
          … six unchanged lines

      data
        - one map entry removed:
          legacy: "true"

      ► Secret/default/db drifted

      data.password
        ± value change
          - *** (before)
          + *** (after)

      ► Deployment/default/podinfo drifted

      spec.template.spec.containers.app.image
        ± value change
          - ghcr.io/stefanprodan/podinfo:6.5.0
          + ghcr.io/stefanprodan/podinfo:6.6.0

      spec.template.spec.containers.app.env
        + one list entry added:
          - name: CACHE
            value: redis://cache:6379

      ► ConfigMap/default/old deleted
      ► Deployment/default/web replaced (spec.selector is immutable)

      spec.selector.matchLabels.app
        ± value change
          - web
          + web-v2

      spec.template.metadata.labels.app
        ± value change
          - web
          + web-v2

      spec.template.spec.containers.app.image
        ± value change
          - nginx:1.27
          + nginx:latest

      ► ConfigMap/default/x skipped (kustomize.toolkit.fluxcd.io/reconcile: disabled)
      ✗ Deployment/default/bad failed: dry-run failed (Invalid): spec.replicas: Invalid value: -1

      1 created, 4 drifted, 1 deleted, 1 replaced, 1 skipped, 1 unchanged, 1 failed

      ⚠ Deployment/default/web container app: image nginx:latest uses the :latest tag

      ℹ SOPS values unknown: key sets compared only
      "
    `);
  });

  it('groups by Kustomization, with skipped and failed ones on their header line and a total', () => {
    const r = groupedReport();
    // Keep the first Kustomization small so the snapshot shows the grouping, not the changes.
    r.kustomizations[0].resources = r.kustomizations[0].resources.filter((x) => x.action !== 'drifted' && x.action !== 'replaced');
    r.kustomizations[0].notes = [];
    expect(renderText(r, { ...plain, grouped: true })).toMatchInlineSnapshot(`
      "━━ Kustomization flux-system/apps

      ► Namespace/demo created
      ► ConfigMap/default/old deleted
      ► ConfigMap/default/x skipped (kustomize.toolkit.fluxcd.io/reconcile: disabled)
      ✗ Deployment/default/bad failed: dry-run failed (Invalid): spec.replicas: Invalid value: -1

      1 created, 0 drifted, 1 deleted, 0 replaced, 1 skipped, 1 unchanged, 1 failed

      ━━ Kustomization flux-system/infra skipped: source GitRepository/flux-system/other is not mapped

      ━━ Kustomization flux-system/broken failed: kustomize build failed: accumulating resources: missing.yaml: no such file

      Total: 1 created, 0 drifted, 1 deleted, 0 replaced, 1 skipped, 1 unchanged, 1 failed
      Kustomizations: 3 (1 not evaluated: 1 source not mapped; 1 failed)

      ⚠ Deployment/default/web container app: image nginx:latest uses the :latest tag
      "
    `);
  });

  it('shows a skipped or failed Kustomization even without grouping', () => {
    const r = groupedReport();
    r.kustomizations = r.kustomizations.slice(1);
    expect(renderText(r, plain)).toMatchInlineSnapshot(`
      "► Kustomization flux-system/infra skipped: source GitRepository/flux-system/other is not mapped
      ✗ Kustomization flux-system/broken failed: kustomize build failed: accumulating resources: missing.yaml: no such file

      0 created, 0 drifted, 0 deleted, 0 replaced, 0 skipped, 0 unchanged
      1 Kustomization not evaluated (1 source not mapped)
      "
    `);
  });

  it('appends the failed count only when something failed', () => {
    const lastLine = (out: string) => out.trimEnd().split('\n').at(-1);
    expect(lastLine(renderText(report(), plain))).toBe('0 created, 0 drifted, 0 deleted, 0 replaced, 0 skipped, 0 unchanged');
    const failed: ResourceChange = { ref: { apiVersion: 'v1', kind: 'Pod', name: 'p', namespace: 'x' }, action: 'failed', changes: [], reason: 'boom' };
    expect(lastLine(renderText(report(failed), plain))).toBe(
      '0 created, 0 drifted, 0 deleted, 0 replaced, 0 skipped, 0 unchanged, 1 failed',
    );
  });

  it('has no trailing spaces and ends with exactly one newline, with and without color', () => {
    for (const color of [plainColorizer, chalkColorizer(3)]) {
      for (const grouped of [false, true]) {
        const out = renderText(groupedReport(), { color, verbose: true, grouped });
        expect(out.endsWith('\n') && !out.endsWith('\n\n')).toBe(true);
        expect(out.split('\n').filter((line) => /[ \t]$/.test(line))).toEqual([]);
        expect(out).not.toMatch(/\n\n\n/);
      }
    }
  });

  it('colors by role: created green, deleted red, drifted yellow, headers bold', () => {
    const out = renderText(report(changed('drifted', service(1), service(2)), created(service(3))), {
      ...plain,
      color: chalkColorizer(1),
    });
    expect(out).toContain('\u001b[1m\u001b[33m► Service/default/podinfo drifted');
    expect(out).toContain('\u001b[1m\u001b[32m► Service/default/podinfo created');
    expect(out).toContain('\u001b[31m- 1\u001b[39m');
    expect(out).toContain('\u001b[32m+ 2\u001b[39m');
    expect(out).toContain('\u001b[33m± value change\u001b[39m');
    expect(renderText(report(changed('drifted', service(1), service(2))), plain)).not.toContain('\u001b[');
  });
});

describe('formatPath', () => {
  it('joins segments with dots and brackets the ones that would be ambiguous', () => {
    expect(formatPath(['spec', 'replicas'])).toBe('spec.replicas');
    expect(formatPath(['metadata', 'annotations', 'app.kubernetes.io/name'])).toBe(
      'metadata.annotations["app.kubernetes.io/name"]',
    );
    expect(formatPath(['data', 'a b', ''])).toBe('data["a b"][""]');
    expect(formatPath(['x.y', 'z'])).toBe('["x.y"].z');
    expect(formatPath([])).toBe('(root)');
  });
});
