// Runs the reach cases (reach.ts) against the real local cluster with real helm and kustomize, each in
// every output format: what a pull request may read, credentials in URLs, keys that are not secrets.
import { beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { ensureNamespace, kubeconfig, uniqueName } from '../helpers/cluster.js';
import { newAgeIdentity } from '../helpers/sops-writer.js';
import { runCase, type CaseCtx } from './harness.js';
import { REACH } from './reach.js';

let age: CaseCtx['age'];

beforeAll(async () => {
  const id = await newAgeIdentity();
  const keyFile = path.join(mkdtempSync(path.join(os.tmpdir(), 'podo-sec-age-')), 'keys.txt');
  writeFileSync(keyFile, `${id.identity}\n`);
  age = { ...id, keyFile };
  ensureNamespace('flux-system');
});

function newCtx(): CaseCtx {
  const ns = uniqueName('reach');
  ensureNamespace(ns);
  return {
    ns,
    ks: uniqueName('ks'),
    canary: `Cnry+${randomBytes(6).toString('hex')}/v@l=1`,
    canary2: `Live+${randomBytes(6).toString('hex')}/old`,
    canaryName: `canary${randomBytes(5).toString('hex')}`,
    kubeconfig: kubeconfig(),
    age,
  };
}

describe.concurrent('what a pull request may read, and what podo prints of credentials and keys', () => {
  it('has its cases (a corpus that lost them would pass by testing nothing)', () => {
    expect(REACH.length).toBeGreaterThanOrEqual(10);
  });
  for (const c of REACH) {
    it(c.name, async () => {
      await runCase(c, newCtx());
    }, 240_000);
  }
});
