// Runs the attack corpus (corpus.ts) against the real local cluster, each case in every output
// format and with -v: exit code, one `podo: error:` line per failure, and no canary in any output.
import { beforeAll, describe, it } from 'vitest';
import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { ensureNamespace, kubeconfig, uniqueName } from '../helpers/cluster.js';
import { newAgeIdentity } from '../helpers/sops-writer.js';
import { runCase, type CaseCtx } from './harness.js';
import { CORPUS } from './corpus.js';

let age: CaseCtx['age'];

beforeAll(async () => {
  const id = await newAgeIdentity();
  const keyFile = path.join(mkdtempSync(path.join(os.tmpdir(), 'podo-sec-age-')), 'keys.txt');
  writeFileSync(keyFile, `${id.identity}\n`);
  age = { ...id, keyFile };
  ensureNamespace('flux-system');
});

function newCtx(): CaseCtx {
  const ns = uniqueName('sec');
  ensureNamespace(ns);
  const r = randomBytes(6).toString('hex');
  return {
    ns,
    ks: uniqueName('ks'),
    // '+', '/', '=' and '@' change under base64 and URL encoding: every form is looked for.
    canary: `Cnry+${r}/v@l=1`,
    canary2: `Live+${randomBytes(6).toString('hex')}/old`,
    canaryName: `canary${randomBytes(5).toString('hex')}`,
    kubeconfig: kubeconfig(),
    age,
  };
}

describe.concurrent('attack corpus: every case, every format', () => {
  it('has at least 50 cases', ({ expect }) => {
    expect(CORPUS.length).toBeGreaterThanOrEqual(50);
    expect(new Set(CORPUS.map((c) => c.name)).size).toBe(CORPUS.length);
  });
  for (const c of CORPUS) {
    it(c.name, async () => {
      await runCase(c, newCtx());
    }, 180_000);
  }
});
