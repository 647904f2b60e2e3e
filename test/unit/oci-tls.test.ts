// The TLS material of a certSecretRef Secret, read as source-controller's pkg/tls does: the
// kubernetes.io/tls keys first, Flux's older caFile/certFile/keyFile keys otherwise.
import { describe, expect, it } from 'vitest';
import { tlsFromSecret } from '../../src/render/helm/oci.js';

describe('tlsFromSecret', () => {
  it('reads ca.crt, tls.crt and tls.key', () => {
    expect(tlsFromSecret({ 'ca.crt': 'CA', 'tls.crt': 'CERT', 'tls.key': 'KEY' })).toEqual({ ca: 'CA', cert: 'CERT', key: 'KEY' });
  });
  it('reads the older caFile, certFile and keyFile keys, the newer ones first', () => {
    expect(tlsFromSecret({ caFile: 'CA', certFile: 'CERT', keyFile: 'KEY' })).toEqual({ ca: 'CA', cert: 'CERT', key: 'KEY' });
    expect(tlsFromSecret({ caFile: 'OLD', 'ca.crt': 'NEW' })).toEqual({ ca: 'NEW' });
  });
  it('takes a CA alone, or a client certificate alone', () => {
    expect(tlsFromSecret({ 'ca.crt': 'CA' })).toEqual({ ca: 'CA' });
    expect(tlsFromSecret({ 'tls.crt': 'CERT', 'tls.key': 'KEY' })).toEqual({ cert: 'CERT', key: 'KEY' });
  });
  it('refuses a certificate without its key, and a Secret with neither', () => {
    expect(() => tlsFromSecret({ 'tls.crt': 'CERT' })).toThrow(/without its key/);
    expect(() => tlsFromSecret({ 'tls.key': 'KEY' })).toThrow(/without its key|without its certificate/);
    expect(() => tlsFromSecret({ other: 'x' })).toThrow(/neither/);
  });
  it('never quotes a value in its errors', () => {
    try {
      tlsFromSecret({ 'tls.key': 'SECRET-KEY-VALUE' });
    } catch (err) {
      expect(String(err)).not.toContain('SECRET-KEY-VALUE');
    }
    expect.assertions(1);
  });
});
