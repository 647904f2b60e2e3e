// HelmRelease grouping in every format: chart objects under their HelmRelease, and the run's note that
// counts HelmReleases whose charts were not rendered.
import { describe, expect, it } from 'vitest';
import type { DiffReport } from '../../src/model/change.js';
import type { KubeObject } from '../../src/model/object.js';
import { plainColorizer } from '../../src/report/colorizer.js';
import { renderJson, type JsonReport } from '../../src/report/json.js';
import { renderMarkdown } from '../../src/report/markdown.js';
import { renderText } from '../../src/report/text.js';
import { renderUnified } from '../../src/report/unified.js';
import { notRenderedNote } from '../../src/report/helm.js';
import { created, deleted } from './report-sample.js';

const cm = (name: string, ns = 'prod'): KubeObject => ({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name, namespace: ns }, data: { a: '1' } });

function report(): DiffReport {
  return {
    kustomizations: [
      {
        name: 'apps',
        namespace: 'flux-system',
        resources: [
          created(cm('own', 'apps')),
          { ...created(cm('web-config')), helmRelease: 'apps/web' },
          { ...deleted(cm('web-old')), helmRelease: 'apps/web' },
          { ...deleted(cm('gone-config')), helmRelease: 'apps/gone' },
        ],
        warnings: [],
        notes: [],
        helmReleases: [
          { name: 'web', namespace: 'apps', chart: 'app 1.1.0 from GitRepository flux-system/flux-system ./charts/app' },
          { name: 'oci', namespace: 'apps', notRendered: 'no helm binary found' },
          { name: 'gone', namespace: 'apps', removed: true },
        ],
      },
    ],
  };
}

describe('HelmRelease grouping', () => {
  it('text: chart objects under a header per HelmRelease, not-rendered ones counted and explained', () => {
    const out = renderText(report(), { color: plainColorizer, verbose: false, grouped: false });
    const own = out.indexOf('► ConfigMap/apps/own created');
    const header = out.indexOf('⎈ HelmRelease apps/web (chart app 1.1.0 from GitRepository flux-system/flux-system ./charts/app)');
    expect(own).toBeGreaterThanOrEqual(0);
    expect(header).toBeGreaterThan(own);
    expect(out.indexOf('► ConfigMap/prod/web-config created')).toBeGreaterThan(header);
    expect(out).toContain('⎈ HelmRelease apps/oci not rendered: no helm binary found');
    expect(out).toContain('⎈ HelmRelease apps/gone removed');
    expect(out).toContain('HelmReleases: 2 (1 not rendered)');
    // The run's note itself goes to stderr for text (cli/), like every other note.
    expect(notRenderedNote(report())).toBe("1 HelmRelease not rendered (only the HelmRelease object is diffed, not its chart's objects): apps/oci: no helm binary found");
    // Many releases of a few charts: one entry per reason, not one per release.
    const many = report();
    const oci = (name: string, url: string) => ({ name, namespace: 'apps', notRendered: `its chart is an OCI artifact (${url}) and helm 3.7.1 cannot pull oci:// charts` });
    many.kustomizations[0].helmReleases = [
      ...['a', 'b', 'c', 'd', 'e'].map((n) => oci(n, 'oci://ghcr.io/x/app-template')),
      oci('cilium', 'oci://quay.io/cilium/charts/cilium'),
    ];
    expect(notRenderedNote(many)).toBe(
      "6 HelmReleases not rendered (only the HelmRelease objects are diffed, not their chart's objects): apps/a, apps/b, apps/c and 2 more: its chart is an OCI artifact (oci://ghcr.io/x/app-template) and helm 3.7.1 cannot pull oci:// charts; apps/cilium: its chart is an OCI artifact (oci://quay.io/cilium/charts/cilium) and helm 3.7.1 cannot pull oci:// charts",
    );
  });

  it('json: helmRelease on each chart resource, helmReleases per Kustomization, the count in the summary', () => {
    const doc = JSON.parse(renderJson(report())) as JsonReport;
    const k = doc.kustomizations[0];
    expect(k.resources.map((r) => r.helmRelease ?? null)).toEqual([null, 'apps/web', 'apps/web', 'apps/gone']);
    expect(k.helmReleases?.map((h) => h.notRendered ?? null)).toEqual([null, 'no helm binary found', null]);
    expect(doc.summary.helmReleasesNotRendered).toBe(1);
    expect(doc.notes?.[0]).toMatch(/^1 HelmRelease not rendered/);
  });

  it('markdown and unified name the HelmRelease too', () => {
    const md = renderMarkdown(report());
    expect(md).toContain('#### ⎈ HelmRelease apps/web (chart app 1.1.0');
    expect(md).toContain('**Not rendered:** no helm binary found');
    expect(md).toMatch(/ℹ 1 HelmRelease not rendered/);
    const diff = renderUnified(report());
    expect(diff).toContain('# HelmRelease apps/web\n--- /dev/null\n+++ merged/v1.ConfigMap.prod.web-config');
    expect(diff.split('\n')[0]).toMatch(/^# 1 HelmRelease not rendered/);
  });
});
