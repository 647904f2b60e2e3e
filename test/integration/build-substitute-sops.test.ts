// The Flux layer of the build against the real API server: postBuild substitution from real
// ConfigMaps and Secrets, and SOPS Secrets decrypted to compare real values, never printed.
import { beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { applyFluxKs, setupCase } from '../helpers/cases.js';
import { applyLive, kubeconfig, runPodo, writeTree } from '../helpers/cluster.js';
import { encryptDotenv, encryptYaml, newAgeIdentity } from '../helpers/sops-writer.js';

const owner = (ks: string) => `    kustomize.toolkit.fluxcd.io/name: ${ks}\n    kustomize.toolkit.fluxcd.io/namespace: flux-system\n`;

describe('postBuild substitution', () => {
  it('takes variables from a real ConfigMap and Secret in order, lets inline substitute win, keeps YAML types, and skips substitute: disabled', async () => {
    const c = setupCase();
    applyLive(`apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: ${c.ks}-vars\n  namespace: flux-system\ndata:\n  REGION: eu-west-1\n  REPLICAS: "3"\n  TIER: from-configmap\n`);
    applyLive(`apiVersion: v1\nkind: Secret\nmetadata:\n  name: ${c.ks}-secret-vars\n  namespace: flux-system\nstringData:\n  TIER: from-secret\n  SUFFIX: s3cr3t-suffix\n`);
    applyFluxKs(c.ks, {
      extraSpec: `  postBuild:\n    substitute:\n      OWNER: team-inline\n    substituteFrom:\n      - {kind: ConfigMap, name: ${c.ks}-vars}\n      - {kind: Secret, name: ${c.ks}-secret-vars}\n      - {kind: ConfigMap, name: ${c.ks}-absent, optional: true}\n`,
    });
    const repo = writeTree({
      'kustomization.yaml': 'resources: [cm.yaml, deploy.yaml, raw.yaml]\n',
      'cm.yaml': `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: settings\n  namespace: ${c.ns}\ndata:\n  region: \${REGION}\n  tier: \${TIER}\n  owner: \${OWNER}\n  bare: $REGION\n  escaped: $\${REGION}\n  defaulted: \${MISSING:=fallback}\n`,
      'deploy.yaml': `apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: api\n  namespace: ${c.ns}\nspec:\n  replicas: \${REPLICAS}\n  selector:\n    matchLabels: {app: api}\n  template:\n    metadata:\n      labels: {app: api}\n    spec:\n      containers:\n        - name: api\n          image: nginx:1.27.0\n`,
      'raw.yaml': `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: raw\n  namespace: ${c.ns}\n  annotations:\n    kustomize.toolkit.fluxcd.io/substitute: disabled\ndata:\n  template: \${REGION}\n`,
    });
    const r = await runPodo(['build', 'ks', c.ks, '--path', repo, '--kubeconfig', kubeconfig()]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('region: eu-west-1');
    // A value substituted from a Secret is secret wherever it lands: masked as secret-derived, never printed.
    expect(r.stdout).toMatch(/tier: ["']?\*\*\* \(secret-derived\)["']?\n/);
    expect(r.stdout).not.toContain('from-secret');
    expect(r.stdout).toContain('owner: team-inline');
    expect(r.stdout).toContain('bare: $REGION');
    expect(r.stdout).toContain('escaped: ${REGION}');
    expect(r.stdout).toContain('defaulted: fallback');
    expect(r.stdout).toMatch(/replicas: 3\n/);
    expect(r.stdout).toContain('template: ${REGION}');
    expect(r.stdout).toContain(`kustomize.toolkit.fluxcd.io/name: ${c.ks}`);

    // The same through diff: the substituted Deployment is created with replicas as a number.
    const d = await runPodo(['diff', 'ks', c.ks, '--path', repo, '--kubeconfig', kubeconfig(), '-v']);
    expect(d.code).toBe(1);
    expect(d.stdout).toContain(`► Deployment/${c.ns}/api created`);
    expect(d.stdout).toMatch(/replicas: 3\n/);
  });

  it('a missing required substituteFrom source is an error naming it', async () => {
    const c = setupCase();
    applyFluxKs(c.ks, { extraSpec: `  postBuild:\n    substituteFrom:\n      - {kind: Secret, name: ${c.ks}-nope}\n` });
    const repo = writeTree({ 'kustomization.yaml': 'resources: []\n' });
    const r = await runPodo(['diff', 'ks', c.ks, '--path', repo, '--kubeconfig', kubeconfig()]);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr.trim()).toBe(`podo: error: postBuild.substituteFrom: Secret flux-system/${c.ks}-nope not found (mark it optional: true if it may be absent)`);
  });

  it('--strict-substitute names the unset variable and the object', async () => {
    const c = setupCase();
    applyFluxKs(c.ks, { extraSpec: `  postBuild:\n    substitute:\n      A: x\n` });
    const repo = writeTree({
      'kustomization.yaml': 'resources: [cm.yaml]\n',
      'cm.yaml': `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: strict\n  namespace: ${c.ns}\ndata:\n  a: \${A}\n  b: \${CLUSTER_NAME}\n`,
    });
    const loose = await runPodo(['diff', 'ks', c.ks, '--path', repo, '--kubeconfig', kubeconfig()]);
    expect(loose.code).toBe(1);
    const r = await runPodo(['diff', 'ks', c.ks, '--path', repo, '--kubeconfig', kubeconfig(), '--strict-substitute']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('CLUSTER_NAME');
    expect(r.stderr).toContain(`ConfigMap/${c.ns}/strict`);
  });
});

describe('SOPS', () => {
  const CANARY_LOCAL = 'CANARY-sops-local-93kd';
  const CANARY_LIVE = 'CANARY-sops-live-1x7q';
  let id: { identity: string; recipient: string };
  let keyFile: string;

  beforeAll(async () => {
    id = await newAgeIdentity();
    const dir = mkdtempSync(path.join(os.tmpdir(), 'podo-age-'));
    keyFile = path.join(dir, 'keys.txt');
    writeFileSync(keyFile, `# podo test key\n${id.identity}\n`);
  });

  const secret = (ns: string, name: string, value: string, labels = '') =>
    `apiVersion: v1\nkind: Secret\nmetadata:\n  name: ${name}\n  namespace: ${ns}\n${labels ? `  labels:\n${labels}` : ''}type: Opaque\nstringData:\n  password: ${value}\n  user: admin\n`;

  async function sopsRepo(ns: string, value: string): Promise<string> {
    const enc = await encryptYaml(secret(ns, 'db', value), { recipients: [id.recipient], encryptedRegex: '^(data|stringData)$' });
    return writeTree({ 'kustomization.yaml': 'resources: [secret.enc.yaml]\n', 'secret.enc.yaml': enc });
  }

  const noCanary = (r: { stdout: string; stderr: string }) => {
    for (const c of [CANARY_LOCAL, CANARY_LIVE]) {
      for (const form of [c, Buffer.from(c).toString('base64')]) {
        expect(r.stdout).not.toContain(form);
        expect(r.stderr).not.toContain(form);
      }
    }
  };

  it('a decrypted value that differs from the live one shows *** (before) / *** (after), exit 1; an equal one shows no change', async () => {
    const c = setupCase();
    applyFluxKs(c.ks, {});
    applyLive(secret(c.ns, 'db', CANARY_LIVE, owner(c.ks)));
    const repo = await sopsRepo(c.ns, CANARY_LOCAL);
    const r = await runPodo(['diff', 'ks', c.ks, '--path', repo, '--kubeconfig', kubeconfig(), '--sops-age-key-file', keyFile]);
    expect(r.code).toBe(1);
    expect(r.stdout).toContain(`► Secret/${c.ns}/db drifted`);
    expect(r.stdout).toMatch(/data\.password\n\s+± value change\n\s+- \*\*\* \(before\)\n\s+\+ \*\*\* \(after\)/);
    expect(r.stdout).not.toContain('data.user');
    noCanary(r);

    const same = await sopsRepo(c.ns, CANARY_LIVE);
    const s = await runPodo(['diff', 'ks', c.ks, '--path', same, '--kubeconfig', kubeconfig()], { SOPS_AGE_KEY_FILE: keyFile });
    expect(s.code).toBe(0);
    expect(s.stdout).toContain('0 drifted');
    noCanary(s);

    for (const format of ['json', 'markdown', 'unified']) {
      const o = await runPodo(['diff', 'ks', c.ks, '--path', repo, '--kubeconfig', kubeconfig(), '-o', format], { SOPS_AGE_KEY: id.identity });
      expect(o.code, format).toBe(1);
      noCanary(o);
    }
    const b = await runPodo(['build', 'ks', c.ks, '--path', repo, '--kubeconfig', kubeconfig(), '--sops-age-key-file', keyFile]);
    expect(b.code).toBe(0);
    expect(b.stdout).toContain('password: "***"');
    noCanary(b);
  });

  it('uses the *.agekey entries of the Kustomization decryption Secret', async () => {
    const c = setupCase();
    applyLive(`apiVersion: v1\nkind: Secret\nmetadata:\n  name: ${c.ks}-sops\n  namespace: flux-system\nstringData:\n  identity.agekey: |\n    # created: now\n    ${id.identity}\n`);
    applyFluxKs(c.ks, { extraSpec: `  decryption:\n    provider: sops\n    secretRef:\n      name: ${c.ks}-sops\n` });
    applyLive(secret(c.ns, 'db', CANARY_LIVE, owner(c.ks)));
    const repo = await sopsRepo(c.ns, CANARY_LIVE);
    const r = await runPodo(['diff', 'ks', c.ks, '--path', repo, '--kubeconfig', kubeconfig()], { HOME: mkdtempSync(path.join(os.tmpdir(), 'podo-home-')) });
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
  });

  it('a tampered file is one clear error naming the file, exit 2', async () => {
    const c = setupCase();
    applyFluxKs(c.ks, {});
    const repo = await sopsRepo(c.ns, CANARY_LOCAL);
    const file = path.join(repo, 'secret.enc.yaml');
    // The MAC covers unencrypted values too: renaming the Secret in the file must be caught.
    const text = readFileSync(file, 'utf8');
    expect(text).toContain('  name: db\n');
    writeFileSync(file, text.replace('  name: db\n', '  name: db-evil\n'));
    const r = await runPodo(['diff', 'ks', c.ks, '--path', repo, '--kubeconfig', kubeconfig(), '--sops-age-key-file', keyFile]);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toContain('secret.enc.yaml');
    expect(r.stderr).toMatch(/MAC|modified|tampered|authenticat/i);
    noCanary(r);
  });

  it('a wrong age key is one clear error, exit 2', async () => {
    const c = setupCase();
    applyFluxKs(c.ks, {});
    const other = await newAgeIdentity();
    const repo = await sopsRepo(c.ns, CANARY_LOCAL);
    const r = await runPodo(['diff', 'ks', c.ks, '--path', repo, '--kubeconfig', kubeconfig()], { SOPS_AGE_KEY: other.identity });
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toContain('secret.enc.yaml');
    expect(r.stderr).not.toContain(other.identity.slice(0, 20));
    noCanary(r);
  });

  it('without any key, compares key sets only and says so once on stderr', async () => {
    const c = setupCase();
    applyFluxKs(c.ks, {});
    applyLive(secret(c.ns, 'db', CANARY_LIVE, owner(c.ks)));
    const repo = await sopsRepo(c.ns, CANARY_LOCAL);
    const env = { HOME: mkdtempSync(path.join(os.tmpdir(), 'podo-home-')), SOPS_AGE_KEY_FILE: '', SOPS_AGE_KEY: '' };
    const r = await runPodo(['diff', 'ks', c.ks, '--path', repo, '--kubeconfig', kubeconfig()], env);
    expect(r.stderr.match(/SOPS values unknown/g)).toHaveLength(1);
    expect(r.code).toBe(0);
    noCanary(r);

    // A key added locally shows up as a key-set change with unknown values.
    const extra = await encryptYaml(secret(c.ns, 'db', CANARY_LOCAL).replace('  user: admin\n', '  user: admin\n  token: abc\n'), { recipients: [id.recipient], encryptedRegex: '^(data|stringData)$' });
    const repo2 = writeTree({ 'kustomization.yaml': 'resources: [s.yaml]\n', 's.yaml': extra });
    const k = await runPodo(['diff', 'ks', c.ks, '--path', repo2, '--kubeconfig', kubeconfig()], env);
    expect(k.code).toBe(1);
    expect(k.stdout).toContain('token: "*****"');
    noCanary(k);
  });

  it('decrypts encrypted .env sources of a secretGenerator', async () => {
    const c = setupCase();
    applyFluxKs(c.ks, {});
    const env = await encryptDotenv(`API_TOKEN=${CANARY_LOCAL}\n`, { recipients: [id.recipient] });
    const repo = writeTree({
      'kustomization.yaml': `namespace: ${c.ns}\nsecretGenerator:\n  - name: gen\n    envs: [api.env]\n    options: {disableNameSuffixHash: true}\n`,
      'api.env': env,
    });
    // As kustomize-controller applied it: Flux gives a kustomization without resources originAnnotations.
    const origin = `  annotations:\n    config.kubernetes.io/origin: |\n      configuredIn: kustomization.yaml\n      configuredBy:\n        apiVersion: builtin\n        kind: SecretGenerator\n`;
    applyLive(`apiVersion: v1\nkind: Secret\nmetadata:\n  name: gen\n  namespace: ${c.ns}\n  labels:\n${owner(c.ks)}${origin}type: Opaque\nstringData:\n  API_TOKEN: ${CANARY_LOCAL}\n`);
    const r = await runPodo(['diff', 'ks', c.ks, '--path', repo, '--kubeconfig', kubeconfig(), '--sops-age-key-file', keyFile]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    noCanary(r);
  });
});
