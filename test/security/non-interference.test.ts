// Non-interference: what podo prints does not depend on any secret value, whatever the pull request's
// chart, kustomize transformers or substitution expressions do with it. Each case runs podo twice, with
// two different values of the same secret (different lengths and characters), in every output format,
// and the two runs' stdout, stderr and exit codes must be byte-identical. Real helm, real kustomize, real
// SOPS ciphertext and the local API server; the secret-derived fields show as `*** (secret-derived)`.
import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { applyLive, ensureNamespace, fluxKustomization, kubeconfig, kubectl, runPodo, uniqueName, writeKubeconfig, writeTree } from '../helpers/cluster.js';
import { encryptDotenv, encryptYaml, newAgeIdentity } from '../helpers/sops-writer.js';
import { leakForms } from './harness.js';

const SLOW = 300_000;
/**
 * Two values of one secret: different lengths, cases and characters. Each has a comma: helm's --set
 * parser splits a targetPath value there, and the second half becomes a value of its own (`b`).
 */
const VALUES = ['Alpha-secret,b=value-9f3kq', 'zz,b=Other+Longer/Secret_Value_with_2x8'] as const;
/** Every part of a value a transform could print on its own. */
const PARTS = VALUES.flatMap((v) => v.split(/[,=]/)).filter((p) => p.length >= 6);

const FORMATS: string[][] = [[], ['-v'], ['-o', 'json', '-v'], ['-o', 'markdown', '-v'], ['-o', 'unified', '-v']];

/** Every format's exit code, stdout and stderr for one secret value. */
async function outputs(args: string[], env: NodeJS.ProcessEnv = {}): Promise<string[]> {
  const out: string[] = [];
  for (const f of FORMATS) {
    const r = await runPodo([...args, ...f], env);
    out.push(`exit ${r.code}\n--- stdout\n${r.stdout}\n--- stderr\n${r.stderr}`);
  }
  return out;
}

/** Runs `run` once per secret value: identical outputs, and no form of either value anywhere. */
async function assertNonInterference(run: (value: string) => Promise<string[]>): Promise<string[]> {
  const first = await run(VALUES[0]);
  const second = await run(VALUES[1]);
  for (let i = 0; i < FORMATS.length; i++) {
    expect(second[i], `format ${FORMATS[i].join(' ') || 'text'}: the output changed with the secret's value`).toBe(first[i]);
  }
  const all = [...first, ...second].join('\n');
  for (const v of [...VALUES, ...PARTS]) for (const form of [...leakForms(v), v.toUpperCase()]) expect(all.includes(form), `output holds ${JSON.stringify(form)}`).toBe(false);
  return first;
}

function git(dir: string, ...args: string[]): void {
  execFileSync('git', ['-C', dir, '-c', 'user.name=t', '-c', 'user.email=t@t', ...args], { stdio: 'ignore' });
}

/** A chart that prints its values transformed in ways no scrubber knows. */
const LEAKY_CHART: Record<string, string> = {
  'charts/leak/Chart.yaml': 'apiVersion: v2\nname: leak\nversion: 1.0.0\n',
  'charts/leak/templates/cm.yaml': `apiVersion: v1
kind: ConfigMap
metadata:
  name: leak
data:
  b32: {{ .Values.pw | b32enc | quote }}
  upper: {{ .Values.pw | upper | quote }}
  b64b64: {{ .Values.pw | b64enc | b64enc | quote }}
  joined: {{ .Values.pw | splitList "" | join " " | quote }}
  length: {{ .Values.pw | len | quote }}
  comma: {{ .Values.csv | toJson | quote }}
  half: {{ .Values.b | default "" | quote }}
  key: {{ .Values.agekey | default "" | sha256sum | quote }}
  plain: "not a secret"
`,
};

function helmRelease(ns: string, valuesFrom: string): string {
  return `apiVersion: helm.toolkit.fluxcd.io/v2
kind: HelmRelease
metadata:
  name: leak
  namespace: ${ns}
spec:
  interval: 5m
  chart:
    spec:
      chart: ./charts/leak
      sourceRef:
        kind: GitRepository
        name: flux-system
        namespace: flux-system
  valuesFrom:
${valuesFrom}`;
}

describe('non-interference: outputs do not depend on secret values', () => {
  it(
    'a live Secret (and a decryption Secret) through valuesFrom, transformed by the chart (b32enc, upper, double base64, join, len, --set commas)',
    async () => {
      const ns = uniqueName('ni-vf');
      const ks = uniqueName('ni-vf');
      ensureNamespace(ns);
      const repo = writeTree({
        ...LEAKY_CHART,
        'apps/kustomization.yaml': 'resources: [hr.yaml]\n',
        'apps/hr.yaml': helmRelease(
          ns,
          `    - {kind: Secret, name: creds, valuesKey: pw, targetPath: pw}
    - {kind: Secret, name: creds, valuesKey: pw, targetPath: csv}
    - {kind: Secret, name: sops-age, valuesKey: age.agekey, targetPath: agekey}
`,
        ),
      });
      applyLive(fluxKustomization({ name: ks, path: './apps' }));
      const first = await assertNonInterference(async (value) => {
        kubectl(['apply', '-f', '-'], `apiVersion: v1\nkind: Secret\nmetadata: {name: creds, namespace: ${ns}}\nstringData:\n  pw: ${JSON.stringify(value)}\n`);
        kubectl(['apply', '-f', '-'], `apiVersion: v1\nkind: Secret\nmetadata: {name: sops-age, namespace: ${ns}}\nstringData:\n  age.agekey: ${JSON.stringify(`AGE-SECRET-KEY-${value}`)}\n`);
        return outputs(['diff', 'kustomization', ks, '--path', path.join(repo, 'apps'), '--kubeconfig', kubeconfig()]);
      });
      // The fields are compared and shown masked; a field that does not depend on the secret is shown.
      expect(first[1]).toMatch(/^exit 1/);
      for (const k of ['b32', 'upper', 'b64b64', 'joined', 'length', 'comma', 'half', 'key']) expect(first[1]).toContain(`${k}: "*** (secret-derived)"`);
      expect(first[1]).toContain('plain: not a secret');
    },
    SLOW,
  );

  it(
    'a substituteFrom Secret through substitution operators (${pw^^}, ${pw:1}, ${pw/x/y}, ${#pw})',
    async () => {
      const ns = uniqueName('ni-sub');
      const ks = uniqueName('ni-sub');
      ensureNamespace(ns);
      const repo = writeTree({
        'apps/kustomization.yaml': 'resources: [cm.yaml]\n',
        'apps/cm.yaml': `apiVersion: v1
kind: ConfigMap
metadata:
  name: sub
  namespace: ${ns}
data:
  up: "\${pw^^}"
  tail: "\${pw:1}"
  repl: "\${pw/e/E}"
  len: "n\${#pw}"
  plain: "\${PLAIN}"
`,
      });
      applyLive(fluxKustomization({ name: ks, path: './apps', extraSpec: `  postBuild:\n    substitute:\n      PLAIN: visible\n    substituteFrom:\n      - kind: Secret\n        name: ${ks}-vars\n` }));
      const first = await assertNonInterference(async (value) => {
        kubectl(['apply', '-f', '-'], `apiVersion: v1\nkind: Secret\nmetadata: {name: ${ks}-vars, namespace: flux-system}\nstringData:\n  pw: ${JSON.stringify(value)}\n`);
        return outputs(['diff', 'kustomization', ks, '--path', path.join(repo, 'apps'), '--kubeconfig', kubeconfig()]);
      });
      for (const k of ['up', 'tail', 'repl', 'len']) expect(first[1]).toContain(`${k}: "*** (secret-derived)"`);
      expect(first[1]).toContain('plain: visible');
    },
    SLOW,
  );

  it(
    'a SOPS generator source copied by kustomize replacements (delimiter, index) into a ConfigMap; the generated name hash hidden',
    async () => {
      const ns = uniqueName('ni-gen');
      const ks = uniqueName('ni-gen');
      ensureNamespace(ns);
      const age = await newAgeIdentity();
      const repo = writeTree({
        'apps/kustomization.yaml': `namespace: ${ns}
resources: [cm.yaml, deploy.yaml]
secretGenerator:
  - name: creds
    envs: [secret.env]
replacements:
  - source: {kind: Secret, name: creds, fieldPath: data.pw, options: {delimiter: "A", index: 0}}
    targets:
      - select: {kind: ConfigMap, name: frag}
        fieldPaths: [data.fragment]
`,
        'apps/cm.yaml': 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: frag\ndata:\n  fragment: placeholder\n  plain: shown\n',
        'apps/deploy.yaml': `apiVersion: apps/v1
kind: Deployment
metadata:
  name: app
spec:
  selector: {matchLabels: {app: app}}
  template:
    metadata: {labels: {app: app}}
    spec:
      containers:
        - name: app
          image: nginx:1.27
          envFrom: [{secretRef: {name: creds}}]
`,
      });
      const keyFile = path.join(repo, '..', `${ks}.agekey`);
      writeFileSync(keyFile, `${age.identity}\n`);
      applyLive(fluxKustomization({ name: ks, path: './apps', extraSpec: '  decryption:\n    provider: sops\n' }));
      const first = await assertNonInterference(async (value) => {
        writeFileSync(path.join(repo, 'apps/secret.env'), await encryptDotenv(`pw=${value}\nuser=admin\n`, { recipients: [age.recipient] }));
        return outputs(['diff', 'kustomization', ks, '--path', path.join(repo, 'apps'), '--kubeconfig', kubeconfig(), '--sops-age-key-file', keyFile]);
      });
      expect(first[1]).toContain('fragment: "*** (secret-derived)"');
      expect(first[1]).toContain('plain: shown');
      // The generated Secret's name carries a hash of its content: shown hidden, as is the reference to it.
      expect(first[1]).toContain(`Secret/${ns}/creds-**********`);
      expect(first[1]).not.toMatch(/creds-[0-9a-z]{10}\b/);
    },
    SLOW,
  );

  it(
    'a SOPS Secret in the repository read by a HelmRelease, with --base-ref and no cluster',
    async () => {
      const ns = uniqueName('ni-sops');
      const age = await newAgeIdentity();
      const repo = writeTree({
        ...LEAKY_CHART,
        'clusters/prod/apps.yaml': `apiVersion: kustomize.toolkit.fluxcd.io/v1
kind: Kustomization
metadata:
  name: apps
  namespace: flux-system
spec:
  interval: 10m
  path: ./apps
  prune: true
  sourceRef:
    kind: GitRepository
    name: flux-system
  decryption:
    provider: sops
`,
        'apps/kustomization.yaml': 'resources: []\n',
      });
      git(repo, 'init', '-q', '.');
      git(repo, 'add', '-A');
      git(repo, 'commit', '-qm', 'base');
      const keyFile = path.join(repo, '..', 'ni-sops.agekey');
      writeFileSync(keyFile, `${age.identity}\n`);
      mkdirSync(path.join(repo, 'apps'), { recursive: true });
      writeFileSync(path.join(repo, 'apps/kustomization.yaml'), 'resources: [secret.yaml, hr.yaml]\n');
      writeFileSync(
        path.join(repo, 'apps/hr.yaml'),
        helmRelease(ns, `    - {kind: Secret, name: creds, valuesKey: pw, targetPath: pw}\n    - {kind: Secret, name: creds, valuesKey: pw, targetPath: csv}\n`),
      );
      const first = await assertNonInterference(async (value) => {
        const plain = `apiVersion: v1\nkind: Secret\nmetadata:\n  name: creds\n  namespace: ${ns}\nstringData:\n  pw: ${JSON.stringify(value)}\n`;
        writeFileSync(path.join(repo, 'apps/secret.yaml'), await encryptYaml(plain, { recipients: [age.recipient], encryptedRegex: '^(data|stringData)$' }));
        return outputs(['diff', 'kustomization', 'apps', '--path', path.join(repo, 'apps'), '--base-ref', 'HEAD', '--sops-age-key-file', keyFile]);
      });
      expect(first[1]).toMatch(/^exit 1/);
      expect(first[1]).toContain('b32: "*** (secret-derived)"');
      expect(first[1]).toContain('plain: not a secret');
    },
    SLOW,
  );

  it(
    'a SOPS Secret the repository defines, read through substituteFrom by another Kustomization (--base-ref --all, no cluster)',
    async () => {
      const age = await newAgeIdentity();
      const fluxKs = (name: string, p: string, extra: string) =>
        `apiVersion: kustomize.toolkit.fluxcd.io/v1\nkind: Kustomization\nmetadata:\n  name: ${name}\n  namespace: flux-system\nspec:\n  interval: 10m\n  path: ${p}\n  prune: true\n  sourceRef:\n    kind: GitRepository\n    name: flux-system\n${extra}`;
      const repo = writeTree({
        'clusters/prod/flux-system/gotk-sync.yaml': fluxKs('flux-system', './clusters/prod', '  decryption:\n    provider: sops\n'),
        'clusters/prod/apps.yaml': fluxKs('apps', './apps', '  postBuild:\n    substituteFrom:\n      - kind: Secret\n        name: cluster-secrets\n'),
        'clusters/prod/cluster-secrets.yaml': 'apiVersion: v1\nkind: Secret\nmetadata:\n  name: cluster-secrets\n  namespace: flux-system\nstringData:\n  pw: placeholder\n',
        'apps/kustomization.yaml': 'resources: [cm.yaml]\n',
        'apps/cm.yaml': 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: derived\n  namespace: default\ndata:\n  upper: "${pw^^}"\n  head: "${pw:0:4}"\n  plain: shown\n',
      });
      git(repo, 'init', '-q', '.');
      git(repo, 'add', '-A');
      git(repo, 'commit', '-qm', 'base');
      const keyFile = path.join(repo, '..', `${path.basename(repo)}.agekey`);
      writeFileSync(keyFile, `${age.identity}\n`);
      const first = await assertNonInterference(async (value) => {
        const plain = `apiVersion: v1\nkind: Secret\nmetadata:\n  name: cluster-secrets\n  namespace: flux-system\nstringData:\n  pw: ${JSON.stringify(value)}\n`;
        writeFileSync(path.join(repo, 'clusters/prod/cluster-secrets.yaml'), await encryptYaml(plain, { recipients: [age.recipient], encryptedRegex: '^(data|stringData)$' }));
        return outputs(['diff', 'kustomization', '--all', '--path', repo, '--base-ref', 'HEAD', '--sops-age-key-file', keyFile]);
      });
      expect(first[1]).toMatch(/^exit 1/);
      expect(first[1]).toMatch(/data\.upper\n.*value change\n.*- \*\*\* \(secret-derived\)\n.*\+ \*\*\* \(secret-derived, changed\)/);
      expect(first[1]).not.toContain('substituteFrom not read');
    },
    SLOW,
  );

  it(
    'a kubeconfig credential: the same output whatever the token',
    async () => {
      const repo = writeTree({ 'apps/kustomization.yaml': 'resources: [cm.yaml]\n', 'apps/cm.yaml': 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: c\n  namespace: default\ndata:\n  a: "1"\n' });
      let file = '';
      const first = await assertNonInterference(async (value) => {
        const written = writeKubeconfig('u', `token: ${JSON.stringify(value)}`, { context: 'ni' });
        file ||= written;
        writeFileSync(file, (await import('node:fs')).readFileSync(written, 'utf8'));
        return outputs(['diff', 'kustomization', 'x', '--path', path.join(repo, 'apps'), '--kubeconfig', file]);
      });
      expect(first[0]).toMatch(/^exit 2/);
    },
    SLOW,
  );
});
