// The Kustomization fields that change what is applied, on plain objects: spec parsing and validation,
// drift-ignore selectors and JSON pointer removal, deletionPolicy, substituteStrategy.
import { describe, expect, it } from 'vitest';
import { specFromObject } from '../../src/flux/spec.js';
import { compileSelector, parseLabelSelector } from '../../src/flux/selector.js';
import { ignoreMatcher, parseIgnoreRules } from '../../src/flux/drift-ignore.js';
import { removalEffect } from '../../src/flux/deletion-policy.js';
import { dropIgnored, removePointers } from '../../src/diff/drift-ignore.js';
import { toResourceChange } from '../../src/diff/changes.js';
import { substituteObjects } from '../../src/render/flux/substitute.js';
import { InputError } from '../../src/model/errors.js';
import { compareBuilds } from '../../src/pipeline/base-ref-target.js';
import type { KubeObject } from '../../src/model/object.js';

function ks(spec: Record<string, unknown>): KubeObject {
  return { apiVersion: 'kustomize.toolkit.fluxcd.io/v1', kind: 'Kustomization', metadata: { name: 'apps', namespace: 'flux-system' }, spec } as KubeObject;
}

function obj(apiVersion: string, kind: string, name: string, namespace: string | undefined, meta: Record<string, unknown> = {}, rest: Record<string, unknown> = {}): KubeObject {
  return { apiVersion, kind, metadata: { name, ...(namespace ? { namespace } : {}), ...meta }, ...rest } as KubeObject;
}

describe('spec fields', () => {
  it('reads ignore, buildMetadata, ignoreMissingComponents, deletionPolicy and substituteStrategy', () => {
    const { spec } = specFromObject(
      ks({
        path: './apps',
        prune: true,
        ignoreMissingComponents: true,
        buildMetadata: ['originAnnotations', 'transformerAnnotations'],
        deletionPolicy: 'Orphan',
        postBuild: { substituteStrategy: 'Always' },
        ignore: [{ paths: ['/spec/replicas'], target: { kind: 'Deployment', labelSelector: 'app in (web,api)' } }, { paths: ['/data/x~1y'] }],
      }),
      'test',
    );
    expect(spec.ignoreMissingComponents).toBe(true);
    expect(spec.buildMetadata).toEqual(['originAnnotations', 'transformerAnnotations']);
    expect(spec.deletionPolicy).toBe('Orphan');
    expect(spec.postBuild?.substituteStrategy).toBe('Always');
    expect(spec.ignore).toEqual([{ paths: ['/spec/replicas'], target: { kind: 'Deployment', labelSelector: 'app in (web,api)' } }, { paths: ['/data/x~1y'] }]);
  });

  it('refuses values the CRD refuses, naming the Kustomization and the field', () => {
    const bad: Array<[Record<string, unknown>, RegExp]> = [
      [{ deletionPolicy: 'Sometimes' }, /Kustomization flux-system\/apps \(test\): spec.deletionPolicy must be one of MirrorPrune, Delete, WaitForTermination, Orphan, got "Sometimes"/],
      [{ buildMetadata: ['managedByLabel'] }, /spec.buildMetadata must be one of originAnnotations, transformerAnnotations/],
      [{ postBuild: { substituteStrategy: 'Never' } }, /spec.postBuild.substituteStrategy must be one of WithVariables, Always/],
      [{ ignore: [{ paths: ['spec/replicas'] }] }, /spec.ignore\[0\].paths: "spec\/replicas" is not a JSON pointer/],
      [{ ignore: [{ target: { kind: 'Service' } }] }, /spec.ignore\[0\].paths is required/],
      [{ ignore: [{ paths: ['/a'], target: { name: '(' } }] }, /spec.ignore\[0\].target: invalid name regex/],
      [{ ignore: [{ paths: ['/a'], target: { labelSelector: 'app in web' } }] }, /spec.ignore\[0\].target: invalid labelSelector "app in web"/],
    ];
    for (const [spec, message] of bad) {
      expect(() => specFromObject(ks(spec), 'test')).toThrow(InputError);
      expect(() => specFromObject(ks(spec), 'test')).toThrow(message);
    }
  });
});

describe('selectors (fluxcd/pkg ssa/jsondiff)', () => {
  it('matches group, version and kind as anchored regular expressions', () => {
    const deploy = obj('apps/v1', 'Deployment', 'web', 'shop');
    const cm = obj('v1', 'ConfigMap', 'web-config', 'shop');
    expect(compileSelector({ kind: 'Deploy' })(deploy)).toBe(false); // anchored: no partial match
    expect(compileSelector({ kind: 'Deploy.*' })(deploy)).toBe(true);
    expect(compileSelector({ group: 'apps', version: 'v1' })(deploy)).toBe(true);
    expect(compileSelector({ group: 'apps' })(cm)).toBe(false);
    expect(compileSelector({ group: '' , version: 'v1', kind: 'ConfigMap' })(cm)).toBe(true);
    expect(compileSelector({ name: 'web|api' })(cm)).toBe(false);
    expect(compileSelector({ name: 'web.*', namespace: 'shop' })(cm)).toBe(true);
    expect(compileSelector({ namespace: 'shop' })(obj('v1', 'Namespace', 'shop', undefined))).toBe(false);
    expect(compileSelector(undefined)(cm)).toBe(true);
  });

  it('parses label selectors as Kubernetes does', () => {
    const labels = { app: 'web', tier: 'front', replicas: '3' };
    const m = (sel: string) => parseLabelSelector(sel)(labels);
    expect(m('app=web')).toBe(true);
    expect(m('app==web,tier=front')).toBe(true);
    expect(m('app!=web')).toBe(false);
    expect(m('missing!=x')).toBe(true); // != matches an absent key
    expect(m('app in (api, web)')).toBe(true);
    expect(m('app notin (api,web)')).toBe(false);
    expect(m('missing notin (a)')).toBe(true);
    expect(m('tier')).toBe(true);
    expect(m('!tier')).toBe(false);
    expect(m('!missing')).toBe(true);
    expect(m('replicas>2, replicas<4')).toBe(true);
    expect(m('replicas>3')).toBe(false);
    expect(m('app=')).toBe(false);
    for (const bad of ['app in web', 'app=web,', '=web', 'app in (a', 'replicas>x', 'a b']) {
      expect(() => parseLabelSelector(bad), bad).toThrow(/invalid labelSelector/);
    }
  });

  it('annotationSelector reads annotations with the same syntax', () => {
    const o = obj('v1', 'Service', 'web', 'shop', { annotations: { 'example.com/managed-by': 'hpa' }, labels: { app: 'web' } });
    expect(compileSelector({ annotationSelector: 'example.com/managed-by=hpa' })(o)).toBe(true);
    expect(compileSelector({ annotationSelector: 'app=web' })(o)).toBe(false);
  });
});

describe('drift-ignore rules', () => {
  const rules = parseIgnoreRules([
    { paths: ['/spec/replicas'], target: { kind: 'Deployment' } },
    { paths: ['/metadata/annotations/example.com~1checksum'], target: { labelSelector: 'app=web' } },
    { paths: [''], target: { name: 'hands-off' } },
  ]).rules;
  const matcher = ignoreMatcher(rules)!;

  it('collects the paths of every rule whose target selects the object', () => {
    expect(matcher(obj('apps/v1', 'Deployment', 'web', 'shop', { labels: { app: 'web' } }))).toEqual(['/spec/replicas', '/metadata/annotations/example.com~1checksum']);
    expect(matcher(obj('v1', 'ConfigMap', 'other', 'shop'))).toEqual([]);
    expect(ignoreMatcher([])).toBeUndefined();
  });

  it('removes pointers in order, skipping ones that do not resolve (AllowMissingPathOnRemove)', () => {
    const doc = { a: { 'x/y': 1, 'm~n': 2, keep: 3 }, list: [0, 1, 2, 3], nested: [{ name: 'a', v: 1 }] };
    expect(removePointers(doc, ['/a/x~1y', '/a/m~0n', '/missing/deep', '/list/0', '/list/0', '/list/-1', '/list/9', '/nested/0/v', '/list/01'])).toEqual({
      a: { keep: 3 },
      list: [2],
      nested: [{ name: 'a' }],
    });
    expect(doc.list).toEqual([0, 1, 2, 3]); // the input is not modified
  });

  it('removes the ignored fields from both sides, chosen on the dry-run result; "" ignores the whole object', () => {
    const live = obj('apps/v1', 'Deployment', 'web', 'shop', { resourceVersion: '5' }, { spec: { replicas: 7, paused: false } });
    const merged = obj('apps/v1', 'Deployment', 'web', 'shop', { resourceVersion: '5' }, { spec: { replicas: 2, paused: true } });
    const [l, m] = dropIgnored(live, merged, matcher);
    expect(l.spec).toEqual({ paused: false });
    expect(m.spec).toEqual({ paused: true });
    const untouched = obj('apps/v1', 'Deployment', 'hands-off', 'shop', {}, { spec: { replicas: 1 } });
    expect(dropIgnored(untouched, { ...untouched, spec: { replicas: 9 } }, matcher)).toEqual([untouched, untouched]);
  });

  it('turns an ignored-only drift into unchanged, and keeps other changes', () => {
    const desired = obj('apps/v1', 'Deployment', 'web', 'shop', {}, { spec: { replicas: 2 } });
    const live = obj('apps/v1', 'Deployment', 'web', 'shop', { resourceVersion: '5' }, { spec: { replicas: 7, paused: false } });
    const ref = { apiVersion: 'apps/v1', kind: 'Deployment', namespace: 'shop', name: 'web' };
    const onlyIgnored = toResourceChange({ action: 'applied', ref, existed: true, desired, live, merged: { ...live, spec: { replicas: 2, paused: false } } }, matcher);
    expect(onlyIgnored.action).toBe('unchanged');
    const withoutRules = toResourceChange({ action: 'applied', ref, existed: true, desired, live, merged: { ...live, spec: { replicas: 2, paused: false } } });
    expect(withoutRules.action).toBe('drifted');
    const other = toResourceChange({ action: 'applied', ref, existed: true, desired, live, merged: { ...live, spec: { replicas: 2, paused: true } } }, matcher);
    expect(other.action).toBe('drifted');
    expect(other.changes.map((c) => c.path.join('.'))).toEqual(['spec.paused']);
  });
});

describe('drift-ignore rules on a Secret whose SOPS values cannot be decrypted', () => {
  it('an ignored key is left out of the key-set comparison, like any drift-ignored field', () => {
    const secret = (keys: string[], labels?: Record<string, string>) =>
      obj('v1', 'Secret', 'creds', 'shop', labels ? { labels } : {}, { type: 'Opaque', data: Object.fromEntries(keys.map((k) => [k, 'ENC'])) });
    const ref = { apiVersion: 'v1', kind: 'Secret', namespace: 'shop', name: 'creds' };
    const live = { ...secret(['password', 'rotated-at']), metadata: { name: 'creds', namespace: 'shop', labels: { app: 'web' }, resourceVersion: '3' } };
    // The build no longer has rotated-at (a controller adds it in the cluster): drift without the rule.
    const verdict = { action: 'unknown-values' as const, ref, existed: true, desired: secret(['password'], { app: 'web' }), live };
    expect(toResourceChange(verdict).action).toBe('drifted');
    const rule = ignoreMatcher([{ paths: ['/data/rotated-at'], target: { kind: 'Secret', labelSelector: 'app=web' } }]);
    expect(toResourceChange(verdict, rule).action).toBe('unchanged');
    const whole = ignoreMatcher([{ paths: [''], target: { name: 'creds' } }]);
    expect(toResourceChange(verdict, whole).action).toBe('unchanged');
  });
});

describe('drift-ignore rules with --base-ref', () => {
  it('a change to an ignored field between the two builds is not a change (Flux keeps the in-cluster value)', () => {
    const at = (replicas: number, image: string) => ({ object: obj('apps/v1', 'Deployment', 'web', 'shop', {}, { spec: { replicas, image } }) });
    const matcher = ignoreMatcher([{ paths: ['/spec/replicas'], target: { kind: 'Deployment' } }]);
    // The base-ref target's verdicts go through the same one conversion as the cluster's.
    const change = (base: number, head: number, image: string, rules = true) =>
      toResourceChange(compareBuilds([at(base, 'a')], [at(head, image)], true).verdicts[0], rules ? matcher : undefined);
    expect(change(2, 3, 'a').action).toBe('unchanged');
    expect(change(2, 3, 'a', false).action).toBe('drifted');
    expect(change(2, 3, 'b').changes.map((c) => c.path.join('.'))).toEqual(['spec.image']);
  });
});

describe('deletionPolicy when the Kustomization itself is removed', () => {
  it('follows kustomize-controller: MirrorPrune mirrors prune, Delete and WaitForTermination delete, Orphan keeps, suspended keeps', () => {
    expect(removalEffect({ prune: true })).toEqual({ deletes: true, note: 'Kustomization removed (deletionPolicy MirrorPrune, spec.prune: true): Flux deletes its objects' });
    expect(removalEffect({ prune: false }).deletes).toBe(false);
    expect(removalEffect({ prune: false, deletionPolicy: 'Delete' }).deletes).toBe(true);
    expect(removalEffect({ prune: false, deletionPolicy: 'WaitForTermination' }).note).toBe(
      'Kustomization removed (deletionPolicy WaitForTermination): Flux deletes its objects and waits for them to terminate',
    );
    expect(removalEffect({ prune: true, deletionPolicy: 'Orphan' })).toEqual({
      deletes: false,
      note: 'Kustomization removed (deletionPolicy Orphan): its objects stay in the cluster, no longer managed',
    });
    expect(removalEffect({ prune: true, deletionPolicy: 'Delete', suspend: true }).deletes).toBe(false);
  });
});

describe('postBuild.substituteStrategy', () => {
  const cm = obj('v1', 'ConfigMap', 'c', 'shop', {}, { data: { level: '${LOG_LEVEL:=info}', region: '${REGION}' } });
  const base = { name: 'apps', namespace: 'flux-system' };

  it('WithVariables (the default) leaves expressions alone when no variable is defined', () => {
    expect(substituteObjects({ ...base, postBuild: {} }, [cm], {}, false)[0].data).toEqual({ level: '${LOG_LEVEL:=info}', region: '${REGION}' });
  });

  it('Always substitutes without variables, so defaults apply and unset variables become empty (YAML null, as in Flux)', () => {
    expect(substituteObjects({ ...base, postBuild: { substituteStrategy: 'Always' } }, [cm], {}, false)[0].data).toEqual({ level: 'info', region: null });
  });

  it('Always with --strict-substitute fails on a variable without default', () => {
    expect(() => substituteObjects({ ...base, postBuild: { substituteStrategy: 'Always' } }, [cm], {}, true)).toThrow(/REGION/);
  });
});
