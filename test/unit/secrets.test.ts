import { describe, expect, it, beforeEach } from 'vitest';
import { SecretRegistry, secrets } from '../../src/model/secrets.js';
import { maskSecrets, MASK, MASK_AFTER, MASK_BEFORE } from '../../src/diff/mask.js';
import type { KubeObject } from '../../src/model/object.js';

describe('secret registry', () => {
  it('scrubs a value in raw, base64, URL- and JSON-encoded forms', () => {
    const r = new SecretRegistry();
    r.add('s3cr3t/pass word"x');
    const v = 's3cr3t/pass word"x';
    for (const form of [v, Buffer.from(v).toString('base64'), encodeURIComponent(v), JSON.stringify(v).slice(1, -1)]) {
      expect(r.scrub(`before ${form} after`)).toBe('before *** after');
    }
  });

  it('scrubs a value embedded at any offset inside a longer base64 string', () => {
    const r = new SecretRegistry();
    r.add('correct-horse-battery');
    for (const prefix of ['', 'a', 'ab', 'abc']) {
      const blob = Buffer.from(`${prefix}password=correct-horse-battery\n`).toString('base64');
      expect(r.scrub(blob)).toContain('***');
    }
  });

  it('keeps values shorter than four characters out of substring scrubbing but knows them exactly', () => {
    const r = new SecretRegistry();
    r.add('42');
    expect(r.scrub('replicas 42 and 420')).toBe('replicas 42 and 420');
    expect(r.isSecret('42')).toBe(true);
    expect(r.holdsSecret('420')).toBe(false);
  });

  it('registers the values of a Secret: data decoded, stringData and the last-applied annotation', () => {
    const r = new SecretRegistry();
    r.addSecretObject({
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name: 's', annotations: { 'kubectl.kubernetes.io/last-applied-configuration': JSON.stringify({ kind: 'Secret', stringData: { old: 'previous-value' } }) } },
      data: { a: Buffer.from('decoded-value').toString('base64') },
      stringData: { b: 'string-value' },
    });
    expect(r.scrub('decoded-value string-value previous-value')).toBe('*** *** ***');
  });

  it('scrubs each line of a multi-line value', () => {
    const r = new SecretRegistry();
    r.add('-----BEGIN KEY-----\nMIIEvQIBADANBgkqhkiG9w0BAQEFAASC\n-----END KEY-----');
    expect(r.scrub('+ MIIEvQIBADANBgkqhkiG9w0BAQEFAASC')).toBe('+ ***');
  });
});

describe('structural masking of secret values outside Secrets', () => {
  beforeEach(() => secrets.clear());

  it('masks a ConfigMap field holding a secret and still shows that it changed', () => {
    secrets.add('db-password-1');
    secrets.add('db-password-2');
    const cm = (v: string): KubeObject => ({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'c', namespace: 'd' }, data: { url: `postgres://u:${v}@db`, plain: 'x' } });
    const { before, after } = maskSecrets(cm('db-password-1'), cm('db-password-2'));
    expect(before).toMatchObject({ data: { url: MASK_BEFORE, plain: 'x' } });
    expect(after).toMatchObject({ data: { url: MASK_AFTER, plain: 'x' } });
  });

  it("a live Secret's short value does not mask every equal field elsewhere; a long one does", () => {
    secrets.addSecretObject({ apiVersion: 'v1', kind: 'Secret', metadata: { name: 's' }, stringData: { on: 'true', pw: 'long-live-value' } });
    const o: KubeObject = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'c', namespace: 'd' }, data: { enabled: 'true', copy: 'x-long-live-value' } };
    expect(maskSecrets(undefined, o).after).toMatchObject({ data: { enabled: 'true', copy: MASK } });
  });

  it('masks a short value by exact match, never the object name', () => {
    secrets.add('7');
    const o: KubeObject = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: '7', namespace: 'd' }, data: { pin: '7', other: '17' } };
    const { after } = maskSecrets(undefined, o);
    expect(after).toMatchObject({ metadata: { name: '7' }, data: { pin: MASK, other: '17' } });
  });
});

describe('object names are public', () => {
  it('a Secret value that equals an object name is not scrubbed from headers, but other values still are', () => {
    const r = new SecretRegistry();
    r.addSecretObject({ kind: 'Secret', metadata: { name: 'db' }, stringData: { DB_USER: 'storefront', DB_PASSWORD: 's3cr3t-value' } });
    r.addIdentifiers({ kind: 'Deployment', metadata: { name: 'storefront', namespace: 'shop' } });
    r.add('storefront');
    expect(r.scrub('► Deployment/shop/storefront drifted s3cr3t-value')).toBe('► Deployment/shop/storefront drifted ***');
    expect(r.isSecret('storefront')).toBe(false);
    expect(r.isSecret('s3cr3t-value')).toBe(true);
  });
});

describe('keys are not secrets (issue 18, point 7)', () => {
  it("a Secret whose value is `password` under the key `password`: the key is printed, the value is masked as a field", () => {
    const r = new SecretRegistry();
    r.addSecretObject({ apiVersion: 'v1', kind: 'Secret', metadata: { name: 'db' }, stringData: { password: 'password', token: 'a-real-token-value' } });
    expect(r.scrub('  data.password\n    ± *** (secret-derived, changed)')).toBe('  data.password\n    ± *** (secret-derived, changed)');
    expect(r.scrub('token a-real-token-value')).toBe('token ***');
    // Still a secret as a whole field: a ConfigMap value equal to it is masked structurally.
    expect(r.isSecret('password')).toBe(true);
  });

  it('a key learned after the value (another object names a field like the value) un-scrubs it too', () => {
    const r = new SecretRegistry();
    r.add('replicas');
    expect(r.scrub('spec.replicas')).toBe('spec.***');
    r.addIdentifiers({ apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'web', namespace: 'shop' }, spec: { replicas: 2, template: { spec: { containers: [{ name: 'x' }] } } } });
    expect(r.scrub('spec.replicas')).toBe('spec.replicas');
    expect(r.scrub('spec.template.spec.containers[0]')).toBe('spec.template.spec.containers[0]');
  });

  it('a value that merely contains a key is still scrubbed whole', () => {
    const r = new SecretRegistry();
    r.addSecretObject({ apiVersion: 'v1', kind: 'Secret', metadata: { name: 'db' }, stringData: { password: 'password-2026-xyz' } });
    expect(r.scrub('data.password: password-2026-xyz')).toBe('data.password: ***');
  });
});
