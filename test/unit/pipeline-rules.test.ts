// The orchestrator's rules on plain data: dependsOn order and cycles, cluster roots, the exit code of
// a report with Kustomizations not evaluated, and the shape check of Kustomization specs.
import { describe, expect, it } from 'vitest';
import { cycleThrough, readyNow } from '../../src/pipeline/order.js';
import { clusterRoots, mayDefineFluxObject, type Discovery } from '../../src/sources/repository.js';
import { parseAllDocuments } from 'yaml';
import { exitCodeFor, failureLines } from '../../src/cli/exit.js';
import { specFromObject } from '../../src/flux/spec.js';
import { checkoutSources, sourceResolver } from '../../src/sources/local-sources.js';
import { kustomizeMessage } from '../../src/render/kustomize/kustomize.js';
import { execFileSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { DiffReport, KustomizationDiff } from '../../src/model/change.js';
import type { FluxKustomization } from '../../src/model/kustomization.js';
import type { KubeObject } from '../../src/model/object.js';
import { countKustomizations, formatNotEvaluated } from '../../src/model/summary.js';

const unit = (key: string, ...deps: string[]) => ({ key, deps });

describe('dependsOn order', () => {
  it('a Kustomization is ready when its dependencies in the run are done; others count as ready', () => {
    const pending = [unit('ns/a'), unit('ns/b', 'ns/a'), unit('ns/c', 'ns/b', 'other/outside')];
    expect(readyNow(pending, () => false).map((u) => u.key)).toEqual(['ns/a']);
    expect(readyNow(pending.slice(1), (k) => k === 'ns/a').map((u) => u.key)).toEqual(['ns/b']);
  });

  it('names a cycle', () => {
    const pending = [unit('ns/a', 'ns/c'), unit('ns/b', 'ns/a'), unit('ns/c', 'ns/b')];
    expect(readyNow(pending, () => false)).toEqual([]);
    expect(cycleThrough(pending[0], pending)).toBe('ns/a → ns/c → ns/b → ns/a');
  });
});

const ks = (name: string, origin: string, p: string): FluxKustomization => ({ spec: { name, namespace: 'flux-system', path: p }, origin });
const discovery = (defs: FluxKustomization[], fluxInstances: Discovery['fluxInstances'] = []): Discovery => ({ kustomizations: defs, definitions: defs, gitRepositories: [], problems: [], fluxInstances });

describe('cluster roots', () => {
  it('the directories the bootstrap Kustomizations apply, even when both are named flux-system', () => {
    const d = discovery([
      ks('flux-system', 'clusters/production/flux-system/gotk-sync.yaml', './clusters/production'),
      ks('apps', 'clusters/production/apps.yaml', './apps/production'),
      ks('flux-system', 'clusters/staging/flux-system/gotk-sync.yaml', './clusters/staging'),
    ]);
    expect(clusterRoots(d)).toEqual(['clusters/production', 'clusters/staging']);
  });

  it('FluxInstance sync paths are cluster directories (flux-operator, no gotk-sync); archived manifests are not', () => {
    const d = discovery(
      [ks('apps', 'kubernetes/main/apps.yaml', './kubernetes/apps'), ks('metallb', '.archive/kubernetes/metallb.yaml', './.archive/metallb')],
      [{ file: 'kubernetes/main/flux/instance.yaml', syncPath: 'kubernetes/main' }, { file: 'kubernetes/lab/flux/instance.yaml', syncPath: './kubernetes/lab' }].map((f) => ({ ...f, syncPath: f.syncPath.replace(/^\.\//, '') })),
    );
    expect(clusterRoots(d)).toEqual(['kubernetes/lab', 'kubernetes/main']);
    // Without any bootstrap: the unreached trees, hidden (archive) directories left out.
    expect(clusterRoots(discovery([ks('apps', 'clusters/dev/apps.yaml', './apps'), ks('old', '.archive/x/old.yaml', './.archive/y')]))).toEqual(['clusters/dev']);
  });

  it('without a bootstrap manifest: where the Kustomizations no other one reaches are', () => {
    const d = discovery([ks('apps', 'clusters/dev/apps.yaml', './apps'), ks('infra', 'clusters/dev/infra.yaml', './infra'), ks('child', 'apps/child.yaml', './apps/child')]);
    expect(clusterRoots(d)).toEqual(['clusters/dev']);
  });

  it('an archived Kustomization without spec.path (the whole repository) reaches nothing: each cluster a FluxInstance chart syncs is found', () => {
    // haraldkoch/kochhaus-home: FluxInstances come from a HelmRelease's values; .archive/ holds an old Kustomization with no path.
    const d = discovery([
      { spec: { name: 'metallb-crds', namespace: 'flux-system' }, origin: '.archive/kubernetes/apps/networking/metallb-crds/crds.yaml' },
      ks('cluster-apps', 'kubernetes/main/flux/cluster/ks.yaml', './kubernetes/main/apps'),
      ks('cluster-apps', 'kubernetes/network/flux/cluster/ks.yaml', './kubernetes/network/apps'),
      ks('echo', 'kubernetes/main/apps/default/echo/ks.yaml', './kubernetes/apps/base/default/echo'),
    ]);
    expect(clusterRoots(d)).toEqual(['kubernetes/main/flux/cluster', 'kubernetes/network/flux/cluster']);
  });
});

describe('sources', () => {
  const resolve = sourceResolver('/repo', new Set(['GitRepository/flux-system/flux-system']), [
    { kind: 'OCIRepository', name: 'podinfo', dir: '/oci' },
    { kind: 'Bucket', namespace: 'other', name: 'b', dir: '/bucket' },
  ]);
  const spec = (namespace: string, kind: string, name: string, srcNs = namespace) => ({ name: 'k', namespace, sourceRef: { kind, name, namespace: srcNs } });

  it('the checkout serves its own GitRepository; a mapping without namespace takes the Kustomization\'s', () => {
    expect(resolve(spec('flux-system', 'GitRepository', 'flux-system'))).toEqual({ root: '/repo' });
    expect(resolve(spec('apps', 'OCIRepository', 'podinfo'))).toEqual({ root: '/oci' });
    expect(resolve(spec('apps', 'OCIRepository', 'podinfo', 'elsewhere'))).toHaveProperty('reason');
    expect(resolve(spec('x', 'Bucket', 'b', 'other'))).toEqual({ root: '/bucket' });
  });

  it('anything else is skipped with the flag that would map it, never built from the checkout', () => {
    expect(resolve(spec('apps', 'GitRepository', 'tenant-repo'))).toEqual({
      reason: 'source GitRepository/apps/tenant-repo is not mapped to a local directory (add --local-sources GitRepository/apps/tenant-repo=DIR)',
    });
  });
});

const k = (extra: Partial<KustomizationDiff>): KustomizationDiff => ({ name: 'k', namespace: 'ns', resources: [], warnings: [], notes: [], ...extra });
const report = (...ks: KustomizationDiff[]): DiffReport => ({ kustomizations: ks });
const policy = { failOnWarnings: false, failOnSkipped: false };

describe('exit code with Kustomizations not evaluated', () => {
  it('a policy skip under --all keeps the exit code; --fail-on-skipped makes it 2', () => {
    const r = report(k({ skipped: 'suspended', skipCause: 'suspended' }));
    expect(exitCodeFor(r, policy)).toBe(0);
    expect(exitCodeFor(r, { ...policy, failOnSkipped: true })).toBe(2);
  });

  it('a Kustomization not evaluated for want of a source is never a green run (issue 19): 2 when nothing else changed', () => {
    const unmapped = k({ name: 'apps', skipped: 'source ExternalArtifact/flux-system/apps is not mapped', skipCause: 'source not mapped' });
    expect(exitCodeFor(report(unmapped, k({})), policy)).toBe(2);
    expect(failureLines(report(unmapped), policy)).toEqual(['Kustomization ns/apps not evaluated: source ExternalArtifact/flux-system/apps is not mapped']);
    const changed = k({ resources: [{ ref: { apiVersion: 'v1', kind: 'ConfigMap', name: 'c' }, action: 'created', changes: [] }] });
    expect(exitCodeFor(report(unmapped, changed), policy)).toBe(1);
  });

  it('a named (or --recursive) Kustomization that was not evaluated is 2; so is a dependency failure', () => {
    expect(exitCodeFor(report(k({ skipped: 'x', skipCause: 'source not mapped', requested: true })), policy)).toBe(2);
    expect(exitCodeFor(report(k({ skipped: 'x', skipCause: 'dependency failed' })), policy)).toBe(2);
    expect(exitCodeFor(report(k({ skipped: 'x', skipCause: 'dependency cycle' })), policy)).toBe(2);
  });

  it('a HelmRelease not rendered is never a green run; a suspended one fails only with --fail-on-skipped', () => {
    const unrendered = report(k({ helmReleases: [{ name: 'web', namespace: 'apps', notRendered: 'no helm binary' }] }));
    expect(exitCodeFor(unrendered, policy)).toBe(2);
    // Changes found already make the run red: it stays 1, unless --fail-on-skipped.
    const changed = report(k({ helmReleases: unrendered.kustomizations[0].helmReleases, resources: [{ ref: { apiVersion: 'v1', kind: 'ConfigMap', name: 'c' }, action: 'created', changes: [] }] }));
    expect(exitCodeFor(changed, policy)).toBe(1);
    expect(exitCodeFor(changed, { ...policy, failOnSkipped: true })).toBe(2);
    expect(failureLines(unrendered, policy)).toEqual(['HelmRelease apps/web (Kustomization ns/k) not rendered: no helm binary']);
    const suspended = report(k({ helmReleases: [{ name: 'web', namespace: 'apps', notRendered: 'it is suspended', suspended: true }] }));
    expect(exitCodeFor(suspended, policy)).toBe(0);
    expect(exitCodeFor(suspended, { ...policy, failOnSkipped: true })).toBe(2);
    expect(exitCodeFor(report(k({ helmReleases: [{ name: 'web', namespace: 'apps', chart: 'app 1.0.0' }] })), policy)).toBe(0);
  });

  it('the summary line names the causes', () => {
    const r = report(k({ skipped: 'a', skipCause: 'suspended' }), k({ skipped: 'b', skipCause: 'source not mapped' }), k({ skipped: 'c', skipCause: 'source not mapped' }), k({}));
    expect(formatNotEvaluated(countKustomizations(r))).toBe('3 Kustomizations not evaluated (1 suspended, 2 source not mapped)');
  });
});

describe('Kustomization spec shape', () => {
  const obj = (spec: unknown): KubeObject => ({ apiVersion: 'kustomize.toolkit.fluxcd.io/v1', kind: 'Kustomization', metadata: { name: 'apps', namespace: 'flux-system' }, spec }) as KubeObject;
  it.each([
    [[1, 2], 'spec must be a map, got a list'],
    [{ path: 42 }, 'spec.path must be a string, got number 42'],
    [{ path: './x', dependsOn: 'infra' }, 'spec.dependsOn must be a map list, got string "infra"'],
    [{ path: './x', dependsOn: [{ namespace: 'x' }] }, 'spec.dependsOn[0] must have a name'],
    [{ prune: 'yes' }, 'spec.prune must be a boolean, got string "yes"'],
    [{ sourceRef: { kind: 'GitRepository' } }, 'spec.sourceRef must have a name'],
    [{ postBuild: { substitute: { a: { b: 1 } } } }, 'spec.postBuild.substitute must be a string map, got a map'],
  ])('%j → %s', (spec, message) => {
    expect(() => specFromObject(obj(spec), 'file.yaml')).toThrow(`Kustomization flux-system/apps (file.yaml): ${message}`);
  });

  it('reads dependsOn (namespace defaulting to its own) and serviceAccountName', () => {
    const s = specFromObject(obj({ path: './x', serviceAccountName: 'team', dependsOn: [{ name: 'a' }, { name: 'b', namespace: 'other' }] }), 'f').spec;
    expect(s.dependsOn).toEqual([{ name: 'a', namespace: 'flux-system' }, { name: 'b', namespace: 'other' }]);
    expect(s.serviceAccountName).toBe('team');
  });
});

describe('kustomize errors as one line', () => {
  it("reads kubectl's multi-line klog form", () => {
    const stderr = 'E1129 06:04:28.353919   27642 run.go:72] "command failed" err=<\n\tmap[string]interface {}(nil): yaml: unmarshal errors:\n\t  line 6: mapping key "labels" already defined at line 5\n >\n';
    expect(kustomizeMessage(stderr, '/tmp/x', 'd')).toBe('map[string]interface {}(nil): yaml: unmarshal errors: line 6: mapping key "labels" already defined at line 5');
  });
});

describe('the GitRepositories the checkout serves', () => {
  const repo = mkdtempSync(path.join(os.tmpdir(), 'podo-checkout-'));
  execFileSync('git', ['init', '--quiet', '--initial-branch=main'], { cwd: repo });
  execFileSync('git', ['remote', 'add', 'origin', 'git@github.com:acme/fleet.git'], { cwd: repo });
  const gitRepo = (namespace: string, name: string, url: string, branch?: string) =>
    ({ apiVersion: 'source.toolkit.fluxcd.io/v1', kind: 'GitRepository', metadata: { name, namespace }, spec: { url, ...(branch ? { ref: { branch } } : {}) } }) as KubeObject;

  it('the bootstrap one and others of the same URL and ref; another branch of the same repository is another tree', () => {
    const own = checkoutSources(repo, [
      gitRepo('flux-system', 'flux-system', 'ssh://git@github.com/acme/fleet', 'main'),
      gitRepo('apps', 'same-tree', 'https://github.com/acme/fleet.git', 'main'),
      gitRepo('apps', 'dev-team', 'https://github.com/acme/fleet', 'dev-team'),
      gitRepo('apps', 'other-repo', 'https://github.com/acme/other', 'main'),
    ]);
    expect([...own].sort()).toEqual(['GitRepository/apps/same-tree', 'GitRepository/flux-system/flux-system']);
  });

  it('without the bootstrap manifest, the checkout branch decides; a bootstrap of another repository is not this one', () => {
    expect([...checkoutSources(repo, [gitRepo('apps', 'dev-team', 'https://github.com/acme/fleet', 'dev-team')])]).toEqual(['GitRepository/flux-system/flux-system']);
    expect([...checkoutSources(repo, [gitRepo('flux-system', 'flux-system', 'https://github.com/acme/other')])]).toEqual([]);
  });
});

describe('the repository scan passes over files without parsing them only when they cannot define a Flux Kustomization or GitRepository', () => {
  // What parsing finds: the kinds discovery uses, with a *.toolkit.fluxcd.io apiVersion.
  const definesFluxObject = (text: string): boolean => {
    try {
      return parseAllDocuments(text, { uniqueKeys: false }).some((d) => {
        const v: unknown = d.errors.length === 0 ? d.toJS() : undefined;
        if (typeof v !== 'object' || v === null) return false;
        const o = v as { apiVersion?: unknown; kind?: unknown };
        return typeof o.apiVersion === 'string' && o.apiVersion.includes('.toolkit.fluxcd.io/') && (o.kind === 'Kustomization' || o.kind === 'GitRepository');
      });
    } catch {
      return false;
    }
  };
  const labels = `apiVersion: v1
kind: ConfigMap
metadata:
  name: a
  labels:
    kustomize.toolkit.fluxcd.io/name: apps
    "kustomize.toolkit.fluxcd.io/namespace": flux-system
  annotations: {kustomize.toolkit.fluxcd.io/prune: disabled, 'kustomize.toolkit.fluxcd.io/ssa': Merge}
data:
  note: a Kustomization of ours
`;
  const ks = (apiVersionLine: string) => `${apiVersionLine}\nkind: Kustomization\nmetadata:\n  name: apps\n  labels:\n    kustomize.toolkit.fluxcd.io/name: x\nspec:\n  path: ./apps\n`;
  const defining = [
    ks('apiVersion: kustomize.toolkit.fluxcd.io/v1'),
    ks('apiVersion: "kustomize.toolkit.fluxcd.io/v1"'),
    ks("'apiVersion': 'kustomize.toolkit.fluxcd.io/v1'"),
    ks('apiVersion:\n  kustomize.toolkit.fluxcd.io/v1'),
    ks('apiVersion: >-\n  kustomize.toolkit.fluxcd.io/v1'),
    ks('apiVersion: !!str kustomize.toolkit.fluxcd.io/v1'),
    ks('apiVersion: "\\\n  kustomize.toolkit.fluxcd.io/v1"'),
    ks('? apiVersion\n: kustomize.toolkit.fluxcd.io/v1'),
    ks('apiVersion: &v kustomize.toolkit.fluxcd.io/v1'),
    '{"apiVersion":"source.toolkit.fluxcd.io/v1","kind":"GitRepository","metadata":{"name":"flux-system","labels":{"kustomize.toolkit.fluxcd.io/name":"x"}}}',
    '{kind: Kustomization, metadata: {name: a}, apiVersion: kustomize.toolkit.fluxcd.io/v1}',
    'base: &b\n  apiVersion: kustomize.toolkit.fluxcd.io/v1beta2\n  kind: Kustomization\n---\n' + ks('apiVersion: kustomize.toolkit.fluxcd.io/v1'),
    labels + '---\n' + ks('apiVersion: kustomize.toolkit.fluxcd.io/v1').replace(/\n/g, '\r\n'),
  ];

  it('parses every file that defines one', () => {
    for (const text of defining) {
      expect(definesFluxObject(text), text).toBe(true);
      expect(mayDefineFluxObject(text), text).toBe(true);
    }
  });

  it('skips files that name the group only in label and annotation keys, or hold neither kind', () => {
    expect(definesFluxObject(labels)).toBe(false);
    expect(mayDefineFluxObject(labels)).toBe(false);
    expect(mayDefineFluxObject(labels.replace(/\n/g, '\r\n'))).toBe(false);
    const helmRelease = 'apiVersion: helm.toolkit.fluxcd.io/v2\nkind: HelmRelease\nmetadata: {name: x}\n';
    expect(mayDefineFluxObject(helmRelease)).toBe(false);
    expect(mayDefineFluxObject('apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources: [a.yaml]\n')).toBe(false);
  });

  it('agrees with the parser over every way of cutting the examples into lines', () => {
    // Any file the filter skips must define nothing: try prefixes of every example, which cut values, keys and quotes.
    for (const text of [...defining, labels]) {
      for (let n = 1; n <= text.length; n++) {
        const part = text.slice(0, n);
        if (!mayDefineFluxObject(part)) expect(definesFluxObject(part), JSON.stringify(part)).toBe(false);
      }
    }
  });
});
