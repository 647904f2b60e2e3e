// The key under which a HelmRelease's rendering is shared within a run (render/helm/render-key.ts):
// equal for byte-identical inputs wherever the chart copy lies, different when any input differs.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { renderKey, type RenderInputs } from '../../src/render/helm/render-key.js';

const tmp = mkdtempSync(path.join(os.tmpdir(), 'podo-render-key-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

let n = 0;
function chart(files: Record<string, string>): string {
  const dir = path.join(tmp, `chart-${n++}`);
  for (const [rel, text] of Object.entries(files)) {
    mkdirSync(path.dirname(path.join(dir, rel)), { recursive: true });
    writeFileSync(path.join(dir, rel), text);
  }
  return dir;
}

const FILES = { 'Chart.yaml': 'apiVersion: v2\nname: app\nversion: 1.0.0\n', 'values.yaml': 'a: 1\n', 'templates/cm.yaml': 'kind: ConfigMap\n' };
const inputs = (over: Partial<RenderInputs> = {}): RenderInputs => ({
  helm: { path: '/usr/bin/helm', version: '4.1.4' },
  kustomize: { argv: ['kubectl', 'kustomize'] },
  spec: { name: 'web', namespace: 'demo', postRenderers: [] },
  values: { password: 'sekret-value', replicas: 2 },
  display: 'http://charts app 1.0.0',
  chartDir: chart(FILES),
  schemas: [],
  upgrade: true,
  discovery: false,
  ...over,
});

describe('renderKey', () => {
  it('is the same for the same inputs in another chart copy, whatever the key order of values', () => {
    expect(renderKey(inputs())).toBe(renderKey(inputs({ values: { replicas: 2, password: 'sekret-value' } })));
  });

  it('never holds a value it was given', () => {
    expect(renderKey(inputs())).toMatch(/^[0-9a-f]{64}$/);
  });

  it.each<[string, Partial<RenderInputs>]>([
    ['a value', { values: { password: 'other', replicas: 2 } }],
    ['a spec field (a post-renderer)', { spec: { name: 'web', namespace: 'demo', postRenderers: [{ kustomize: {} }] } }],
    ['the helm', { helm: { path: '/usr/bin/helm', version: '3.17.3' } }],
    ['install or upgrade', { upgrade: false }],
    ['the chart source', { display: 'oci://registry/app 1.0.0' }],
    ['a byte of a template', { chartDir: chart({ ...FILES, 'templates/cm.yaml': 'kind: ConfigMap \n' }) }],
    ['a file name', { chartDir: chart({ 'Chart.yaml': FILES['Chart.yaml'], 'values.yaml': FILES['values.yaml'], 'templates/cm2.yaml': FILES['templates/cm.yaml'] }) }],
    ['a schema taken out of the chart', { schemas: [{ chart: '.', text: '{}' }] }],
    ['the capabilities', { capabilities: { kubeVersion: 'v1.30.0', apiVersions: [] } }],
  ])('differs when %s differs', (_name, over) => {
    expect(renderKey(inputs(over))).not.toBe(renderKey(inputs()));
  });
});
