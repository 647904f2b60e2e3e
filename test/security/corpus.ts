// The attack corpus: what a hostile pull request (or a hostile cluster answer) can try. Each case is
// data: files, live state, flags and what must come out. harness.ts runs each in every format.
import { symlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { expect } from 'vitest';
import { applyLive, fluxKustomization, kubectl, writeTree } from '../helpers/cluster.js';
import { encryptDotenv, encryptJson, encryptYaml } from '../helpers/sops-writer.js';
import { gitInit, kubeconfigWithUser, script, type AttackCase, type CaseCtx } from './harness.js';

const cm = (ns: string, name: string, data: Record<string, string>) =>
  `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: ${JSON.stringify(name)}\n  namespace: ${JSON.stringify(ns)}\ndata:\n${Object.entries(data).map(([k, v]) => `  ${JSON.stringify(k)}: ${JSON.stringify(v)}\n`).join('')}`;
const secret = (ns: string, name: string, stringData: Record<string, string>, extra = '') =>
  `apiVersion: v1\nkind: Secret\nmetadata:\n  name: ${JSON.stringify(name)}\n  namespace: ${JSON.stringify(ns)}\ntype: Opaque\n${extra}stringData:\n${Object.entries(stringData).map(([k, v]) => `  ${JSON.stringify(k)}: ${JSON.stringify(v)}\n`).join('')}`;

/** The Flux Kustomization of the case, live in flux-system, path ./ unless said otherwise. */
function flux(ctx: CaseCtx, extraSpec = '', p = './'): void {
  applyLive(fluxKustomization({ name: ctx.ks, path: p, extraSpec }));
}
const diff = (ctx: CaseCtx, repo: string, ...extra: string[]) => ['diff', 'ks', ctx.ks, '--path', repo, '--kubeconfig', ctx.kubeconfig, ...extra];
const sopsOpts = (ctx: CaseCtx, encryptedRegex = '^(data|stringData)$') => ({ recipients: [ctx.age.recipient], encryptedRegex });
const withKey = (ctx: CaseCtx) => ['--sops-age-key-file', ctx.age.keyFile];

/** A repository at ROOT/repo and a file with a canary next to it, outside: ROOT/outside.txt, ROOT/outside/. */
function repoWithOutside(ctx: CaseCtx, files: Record<string, string>): { root: string; repo: string } {
  const tree: Record<string, string> = {
    'outside.txt': `stolen=${ctx.canary}\n`,
    'outside.yaml': cm(ctx.ns, 'stolen', { v: ctx.canary }),
    'outside/kustomization.yaml': 'resources: [cm.yaml]\n',
    'outside/cm.yaml': cm(ctx.ns, 'stolen', { v: ctx.canary }),
  };
  for (const [k, v] of Object.entries(files)) tree[`repo/${k}`] = v;
  const root = writeTree(tree);
  return { root, repo: path.join(root, 'repo') };
}

const OUTSIDE = /outside the repository root/;
const BOMB = [
  'a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]',
  'b: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]',
  'c: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]',
  'd: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c]',
  'e: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d]',
  'f: &f [*e,*e,*e,*e,*e,*e,*e,*e,*e]',
  'g: &g [*f,*f,*f,*f,*f,*f,*f,*f,*f]',
  'h: &h [*g,*g,*g,*g,*g,*g,*g,*g,*g]',
  '',
].join('\n');

// ------------------------------------------------------------------------------------------------
// 1. No secret reaches any output.

const secrets: AttackCase[] = [
  {
    name: 'live Secret value, changed locally',
    setup: (ctx) => {
      flux(ctx);
      applyLive(secret(ctx.ns, 'db', { password: ctx.canary2 }));
      return { args: diff(ctx, writeTree({ 'kustomization.yaml': 'resources: [s.yaml]\n', 's.yaml': secret(ctx.ns, 'db', { password: ctx.canary }) })) };
    },
    expect: { code: 1, check: (r, f) => f.startsWith('text') && expect(r.stdout).toContain('*** (before)') },
  },
  {
    name: 'new Secret with data (base64) and stringData',
    setup: (ctx) => {
      flux(ctx);
      const s = `apiVersion: v1\nkind: Secret\nmetadata:\n  name: db\n  namespace: ${ctx.ns}\ndata:\n  a: ${Buffer.from(ctx.canary).toString('base64')}\nstringData:\n  b: ${JSON.stringify(ctx.canary2)}\n`;
      return { args: diff(ctx, writeTree({ 'kustomization.yaml': 'resources: [s.yaml]\n', 's.yaml': s })) };
    },
    expect: { code: 1 },
  },
  {
    name: 'secretGenerator literal',
    setup: (ctx) => {
      flux(ctx);
      return { args: diff(ctx, writeTree({ 'kustomization.yaml': `namespace: ${ctx.ns}\nsecretGenerator:\n- name: gen\n  literals: [${JSON.stringify(`password=${ctx.canary}`)}]\n` })) };
    },
    expect: { code: 1 },
  },
  {
    name: 'secretGenerator file and envs',
    setup: (ctx) => {
      flux(ctx);
      return {
        args: diff(
          ctx,
          writeTree({
            'kustomization.yaml': `namespace: ${ctx.ns}\nsecretGenerator:\n- name: gen\n  files: [key.pem]\n  envs: [vars.env]\n`,
            'key.pem': `-----BEGIN PRIVATE KEY-----\n${ctx.canary}\n-----END PRIVATE KEY-----\n`,
            'vars.env': `TOKEN=${ctx.canary2}\n`,
          }),
        ),
      };
    },
    expect: { code: 1 },
  },
  {
    name: 'SOPS-encrypted Secret',
    setup: async (ctx) => {
      flux(ctx);
      const enc = await encryptYaml(secret(ctx.ns, 'db', { password: ctx.canary }), sopsOpts(ctx));
      return { args: diff(ctx, writeTree({ 'kustomization.yaml': 'resources: [s.enc.yaml]\n', 's.enc.yaml': enc }), ...withKey(ctx)) };
    },
    expect: { code: 1 },
  },
  {
    name: 'SOPS-encrypted ConfigMap (a non-Secret): masked, still shown as created',
    setup: async (ctx) => {
      flux(ctx);
      const enc = await encryptYaml(cm(ctx.ns, 'settings', { password: ctx.canary, url: `postgres://app:${ctx.canary2}@db/app` }), sopsOpts(ctx, '^data$'));
      return { args: diff(ctx, writeTree({ 'kustomization.yaml': 'resources: [cm.enc.yaml]\n', 'cm.enc.yaml': enc }), ...withKey(ctx)) };
    },
    expect: { code: 1, check: (r) => expect(r.stdout).toContain('settings') },
  },
  {
    name: 'SOPS-encrypted ConfigMap that drifted from the live value: both sides masked, the change visible',
    setup: async (ctx) => {
      flux(ctx);
      applyLive(cm(ctx.ns, 'settings', { password: ctx.canary2 }));
      const enc = await encryptYaml(cm(ctx.ns, 'settings', { password: ctx.canary }), sopsOpts(ctx, '^data$'));
      return { args: diff(ctx, writeTree({ 'kustomization.yaml': 'resources: [cm.enc.yaml]\n', 'cm.enc.yaml': enc }), ...withKey(ctx)) };
    },
    expect: { code: 1, check: (r, f) => f.startsWith('text') && expect(r.stdout).toMatch(/\*\*\* \(before\)[\s\S]*\*\*\* \(after\)|\*\*\* \(after\)|\*\*\* \(secret-derived\)[\s\S]*\*\*\* \(secret-derived, changed\)/) },
  },
  {
    name: 'SOPS-encrypted ConfigMap with a two-character value: masked as a whole field',
    setup: async (ctx) => {
      flux(ctx);
      const enc = await encryptYaml(cm(ctx.ns, 'pin', { pin: 'q7', token: ctx.canary }), sopsOpts(ctx, '^data$'));
      return { args: diff(ctx, writeTree({ 'kustomization.yaml': 'resources: [cm.enc.yaml]\n', 'cm.enc.yaml': enc }), ...withKey(ctx)) };
    },
    expect: { code: 1, check: (r, f) => f.startsWith('json') && expect(r.stdout).not.toMatch(/"q7"/) },
  },
  {
    name: 'SOPS-encrypted dotenv used by a configMapGenerator',
    setup: async (ctx) => {
      flux(ctx);
      const enc = await encryptDotenv(`PASSWORD=${ctx.canary}\nOTHER=${ctx.canary2}\n`, { recipients: [ctx.age.recipient] });
      return { args: diff(ctx, writeTree({ 'kustomization.yaml': `namespace: ${ctx.ns}\nconfigMapGenerator:\n- name: env\n  envs: [app.env]\n`, 'app.env': enc }), ...withKey(ctx)) };
    },
    expect: { code: 1 },
  },
  {
    name: 'SOPS-encrypted dotenv used by a secretGenerator',
    setup: async (ctx) => {
      flux(ctx);
      const enc = await encryptDotenv(`PASSWORD=${ctx.canary}\n`, { recipients: [ctx.age.recipient] });
      return { args: diff(ctx, writeTree({ 'kustomization.yaml': `namespace: ${ctx.ns}\nsecretGenerator:\n- name: env\n  envs: [app.env]\n`, 'app.env': enc }), ...withKey(ctx)) };
    },
    expect: { code: 1 },
  },
  {
    name: 'SOPS-encrypted JSON ConfigMap',
    setup: async (ctx) => {
      flux(ctx);
      const enc = await encryptJson(JSON.stringify({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'j', namespace: ctx.ns }, data: { token: ctx.canary } }), sopsOpts(ctx, '^data$'));
      return { args: diff(ctx, writeTree({ 'kustomization.yaml': 'resources: [cm.enc.json]\n', 'cm.enc.json': enc }), ...withKey(ctx)) };
    },
    expect: { code: 1 },
  },
  {
    name: 'SOPS-encrypted Deployment env value',
    setup: async (ctx) => {
      flux(ctx);
      const dep = `apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: api\n  namespace: ${ctx.ns}\nspec:\n  selector:\n    matchLabels: {app: api}\n  template:\n    metadata:\n      labels: {app: api}\n    spec:\n      containers:\n      - name: api\n        image: nginx:1.27.0\n        env:\n        - name: PASSWORD\n          value: ${JSON.stringify(ctx.canary)}\n`;
      const enc = await encryptYaml(dep, sopsOpts(ctx, '^value$'));
      return { args: diff(ctx, writeTree({ 'kustomization.yaml': 'resources: [d.enc.yaml]\n', 'd.enc.yaml': enc }), ...withKey(ctx)) };
    },
    expect: { code: 1 },
  },
  {
    name: 'value substituted from a Secret into a ConfigMap',
    setup: (ctx) => {
      applyLive(secret('flux-system', `${ctx.ks}-vars`, { PASSWORD: ctx.canary }));
      flux(ctx, `  postBuild:\n    substituteFrom:\n    - kind: Secret\n      name: ${ctx.ks}-vars\n`);
      return { args: diff(ctx, writeTree({ 'kustomization.yaml': 'resources: [cm.yaml]\n', 'cm.yaml': cm(ctx.ns, 'app', { password: '${PASSWORD}', dsn: 'db://u:${PASSWORD}@h' }) })) };
    },
    expect: { code: 1 },
  },
  {
    name: 'value substituted from a Secret into a Deployment env var and an annotation',
    setup: (ctx) => {
      applyLive(secret('flux-system', `${ctx.ks}-vars`, { PASSWORD: ctx.canary, TOKEN: ctx.canary2 }));
      flux(ctx, `  postBuild:\n    substituteFrom:\n    - kind: Secret\n      name: ${ctx.ks}-vars\n`);
      const dep = `apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: api\n  namespace: ${ctx.ns}\n  annotations:\n    note: "x-\${TOKEN}-y"\nspec:\n  selector:\n    matchLabels: {app: api}\n  template:\n    metadata:\n      labels: {app: api}\n    spec:\n      containers:\n      - name: api\n        image: nginx:1.27.0\n        env:\n        - name: PASSWORD\n          value: "\${PASSWORD}"\n`;
      return { args: diff(ctx, writeTree({ 'kustomization.yaml': 'resources: [d.yaml]\n', 'd.yaml': dep })) };
    },
    expect: { code: 1 },
  },
  {
    name: 'value substituted from a Secret into an object name',
    setup: (ctx) => {
      applyLive(secret('flux-system', `${ctx.ks}-vars`, { SUFFIX: ctx.canaryName }));
      flux(ctx, `  postBuild:\n    substituteFrom:\n    - kind: Secret\n      name: ${ctx.ks}-vars\n`);
      return { args: diff(ctx, writeTree({ 'kustomization.yaml': 'resources: [cm.yaml]\n', 'cm.yaml': cm(ctx.ns, 'app-${SUFFIX}', { a: 'b' }) })) };
    },
    // A name that depends on a secret is never shown: the object fails under a hidden name.
    expect: { code: 2, errors: [/^podo: error: ConfigMap\/.*\/\*\*\* \(secret-derived\) .*its name depends on a secret value/] },
  },
  {
    name: 'value substituted from a Secret makes an invalid name: the object fails, the value is not shown',
    setup: (ctx) => {
      applyLive(secret('flux-system', `${ctx.ks}-vars`, { NAME: ctx.canary }));
      flux(ctx, `  postBuild:\n    substituteFrom:\n    - kind: Secret\n      name: ${ctx.ks}-vars\n`);
      return { args: diff(ctx, writeTree({ 'kustomization.yaml': 'resources: [cm.yaml]\n', 'cm.yaml': cm(ctx.ns, '${NAME}', { a: 'b' }) })) };
    },
    expect: { code: 2, errors: [/^podo: error: ConfigMap\/.*\/\*\*\* \(secret-derived\) .*its name depends on a secret value/] },
  },
  {
    name: 'Secret with data that is not base64: the server error is reduced to reason and field',
    setup: (ctx) => {
      flux(ctx);
      const s = `apiVersion: v1\nkind: Secret\nmetadata:\n  name: bad\n  namespace: ${ctx.ns}\ndata:\n  a: ${JSON.stringify(`${ctx.canary}!!`)}\n`;
      return { args: diff(ctx, writeTree({ 'kustomization.yaml': 'resources: [s.yaml]\n', 's.yaml': s })) };
    },
    expect: { code: 2, errors: [/Secret\/.*\/bad/] },
  },
  {
    name: 'Secret with a map as a stringData value: never echoed',
    setup: (ctx) => {
      flux(ctx);
      const s = `apiVersion: v1\nkind: Secret\nmetadata:\n  name: bad\n  namespace: ${ctx.ns}\nstringData:\n  a:\n    nested: ${JSON.stringify(ctx.canary)}\n    n2: ${JSON.stringify(ctx.canary2)}\n`;
      return { args: diff(ctx, writeTree({ 'kustomization.yaml': 'resources: [s.yaml]\n', 's.yaml': s })) };
    },
    // kube-apiserver 1.20 takes it in a dry run; what matters is that neither value is shown.
    expect: { code: 1 },
  },
  {
    name: 'Secret with an invalid key: the server error names the field, not the value',
    setup: (ctx) => {
      flux(ctx);
      return { args: diff(ctx, writeTree({ 'kustomization.yaml': 'resources: [s.yaml]\n', 's.yaml': secret(ctx.ns, 'bad', { 'bad key': ctx.canary }) })) };
    },
    expect: { code: 2, errors: [/Secret\/.*\/bad/] },
  },
  {
    name: 'live Secret applied client-side: its last-applied annotation holds the old value',
    setup: (ctx) => {
      flux(ctx);
      kubectl(['apply', '-f', '-'], secret(ctx.ns, 'db', { password: ctx.canary2 }));
      return { args: diff(ctx, writeTree({ 'kustomization.yaml': 'resources: [s.yaml]\n', 's.yaml': secret(ctx.ns, 'db', { password: ctx.canary }) })) };
    },
    expect: { code: 1 },
  },
  {
    name: 'immutable live Secret changed: the failure does not quote values',
    setup: (ctx) => {
      flux(ctx);
      applyLive(secret(ctx.ns, 'frozen', { password: ctx.canary2 }, 'immutable: true\n'));
      return { args: diff(ctx, writeTree({ 'kustomization.yaml': 'resources: [s.yaml]\n', 's.yaml': secret(ctx.ns, 'frozen', { password: ctx.canary }, 'immutable: true\n') })) };
    },
    expect: { code: 2, errors: [/Secret\/.*\/frozen/] },
  },
  {
    name: 'Secret type changed (immutable field): reduced to reason and field',
    setup: (ctx) => {
      flux(ctx);
      applyLive(secret(ctx.ns, 'typed', { password: ctx.canary2 }));
      const s = `apiVersion: v1\nkind: Secret\nmetadata:\n  name: typed\n  namespace: ${ctx.ns}\ntype: kubernetes.io/basic-auth\nstringData:\n  username: u\n  password: ${JSON.stringify(ctx.canary)}\n`;
      return { args: diff(ctx, writeTree({ 'kustomization.yaml': 'resources: [s.yaml]\n', 's.yaml': s })) };
    },
    expect: { code: 2, errors: [/Secret\/.*\/typed/] },
  },
  {
    name: 'decryption Secret in the cluster: neither the age identity nor the decrypted value is printed',
    setup: async (ctx) => {
      applyLive(secret('flux-system', `${ctx.ks}-sops`, { 'identity.agekey': `${ctx.age.identity}\n` }));
      flux(ctx, `  decryption:\n    provider: sops\n    secretRef:\n      name: ${ctx.ks}-sops\n`);
      const enc = await encryptYaml(secret(ctx.ns, 'db', { password: ctx.canary }), sopsOpts(ctx));
      return { args: diff(ctx, writeTree({ 'kustomization.yaml': 'resources: [s.enc.yaml]\n', 's.enc.yaml': enc })), canaries: [ctx.age.identity] };
    },
    expect: { code: 1 },
  },
  {
    name: 'podo build: Secret, SOPS ConfigMap and substituted value all masked',
    setup: async (ctx) => {
      applyLive(secret('flux-system', `${ctx.ks}-vars`, { V: ctx.canary2 }));
      flux(ctx, `  postBuild:\n    substituteFrom:\n    - kind: Secret\n      name: ${ctx.ks}-vars\n`);
      const enc = await encryptYaml(cm(ctx.ns, 'enc', { token: ctx.canary }), sopsOpts(ctx, '^data$'));
      const repo = writeTree({ 'kustomization.yaml': 'resources: [s.yaml, cm.enc.yaml, sub.yaml]\n', 's.yaml': secret(ctx.ns, 's', { a: ctx.canary }), 'cm.enc.yaml': enc, 'sub.yaml': cm(ctx.ns, 'sub', { v: '${V}' }) });
      return { args: ['build', 'ks', ctx.ks, '--path', repo, '--kubeconfig', ctx.kubeconfig, ...withKey(ctx)], formats: false };
    },
    expect: { code: 0, check: (r) => expect(r.stdout).toContain('kind: ConfigMap') },
  },
  {
    name: 'podo build --dry-run with a SOPS ConfigMap, no cluster',
    setup: async (ctx) => {
      const enc = await encryptYaml(cm(ctx.ns, 'enc', { token: ctx.canary }), sopsOpts(ctx, '^data$'));
      const root = writeTree({ 'repo/kustomization.yaml': 'resources: [cm.enc.yaml]\n', 'repo/cm.enc.yaml': enc, 'ks.yaml': fluxKustomization({ name: ctx.ks, path: './' }) });
      return { args: ['build', 'ks', ctx.ks, '--path', path.join(root, 'repo'), '--dry-run', '--kustomization-file', path.join(root, 'ks.yaml'), ...withKey(ctx)], formats: false };
    },
    expect: { code: 0, check: (r) => expect(r.stdout).toContain('name: enc') },
  },
  {
    name: 'kubeconfig token rejected by the server: the token is not printed',
    setup: (ctx) => {
      const kc = kubeconfigWithUser(`token: ${ctx.canary}`);
      return { args: diff(ctx, writeTree({ 'kustomization.yaml': 'resources: []\n' })).map((a) => (a === ctx.kubeconfig ? kc : a)) };
    },
    expect: { code: 2, errors: [/unauthorized/] },
  },
  {
    name: 'kubeconfig basic auth rejected: neither user nor password printed',
    setup: (ctx) => {
      const kc = kubeconfigWithUser(`username: admin\npassword: ${ctx.canary}`);
      return { args: diff(ctx, writeTree({ 'kustomization.yaml': 'resources: []\n' })).map((a) => (a === ctx.kubeconfig ? kc : a)) };
    },
    // kube-apiserver 1.20 has no basic auth: the request is anonymous, and refused as such.
    expect: { code: 2, errors: [/forbidden: User "system:anonymous"|unauthorized/] },
  },
];

// ------------------------------------------------------------------------------------------------
// Exec credential plugins: bounded, and their output is never quoted.

function execKubeconfig(body: string): string {
  const plugin = script('plugin', body);
  return kubeconfigWithUser(`exec:\n  apiVersion: client.authentication.k8s.io/v1beta1\n  command: ${plugin}\n  interactiveMode: Never`);
}
const withKc = (ctx: CaseCtx, kc: string, ...extra: string[]) => diff(ctx, writeTree({ 'kustomization.yaml': 'resources: []\n' }), ...extra).map((a) => (a === ctx.kubeconfig ? kc : a));

const execPlugins: AttackCase[] = [
  {
    name: 'exec plugin prints garbage',
    setup: (ctx) => ({ args: withKc(ctx, execKubeconfig(`echo "garbage ${ctx.canary} more"`)) }),
    expect: { code: 2, errors: [/exec credential plugin .* did not print an ExecCredential/] },
  },
  {
    name: 'exec plugin fails, with a secret on stderr',
    setup: (ctx) => ({ args: withKc(ctx, execKubeconfig(`echo "${ctx.canary}" >&2; echo "${ctx.canary2}"; exit 3`)) }),
    expect: { code: 2, errors: [/exec credential plugin .* failed \(exit 3\)/] },
  },
  {
    name: 'exec plugin hangs past --timeout',
    setup: (ctx) => ({ args: withKc(ctx, execKubeconfig('sleep 600'), '--timeout', '6s') }),
    // On a loaded machine the deadline may pass before the plugin even starts (loading the client
    // library): either way the line says what podo was waiting for.
    expect: { code: 2, errors: [/timed out \(--timeout 6s\) ((while|before) exec credential plugin .*(was still running|could start)|while reading the credentials of kubeconfig \S+)$/] },
  },
  {
    name: 'exec plugin prints JSON without a status',
    setup: (ctx) => ({ args: withKc(ctx, execKubeconfig(`echo '{"kind":"ExecCredential","spec":{"x":"${ctx.canary}"}}'`)) }),
    expect: { code: 2, errors: [/exec credential plugin .* without an ExecCredential status/] },
  },
  {
    name: 'exec plugin token rejected by the server',
    setup: (ctx) => ({ args: withKc(ctx, execKubeconfig(`echo '{"apiVersion":"client.authentication.k8s.io/v1beta1","kind":"ExecCredential","status":{"token":"${ctx.canary}"}}'`)) }),
    expect: { code: 2, errors: [/unauthorized/] },
  },
  {
    name: 'exec plugin that does not exist',
    setup: (ctx) => ({ args: withKc(ctx, kubeconfigWithUser(`exec:\n  apiVersion: client.authentication.k8s.io/v1beta1\n  command: /nonexistent/podo-plugin`)) }),
    expect: { code: 2, errors: [/exec credential plugin .* could not be started \(not found\)/] },
  },
];

// ------------------------------------------------------------------------------------------------
// 2. Names are data, not paths.

function namedObject(ctx: CaseCtx, yaml: string): string[] {
  flux(ctx);
  return diff(ctx, writeTree({ 'kustomization.yaml': 'resources: [o.yaml]\n', 'o.yaml': yaml, }));
}

const names: AttackCase[] = [
  ...(
    [
      ['ConfigMap named ".."', 'ConfigMap', '..'],
      ['Secret named "."', 'Secret', '.'],
      ['ConfigMap named with "/"', 'ConfigMap', 'a/b'],
      ['ConfigMap named with "%2F"', 'ConfigMap', 'a%2Fsecrets'],
      ['ConfigMap with a 300-character name', 'ConfigMap', 'a'.repeat(300)],
      ['ConfigMap with an upper-case name', 'ConfigMap', 'Bad_Name'],
      ['Service with a dotted name', 'Service', 'a.b'],
    ] as const
  ).map(
    ([title, kind, name]): AttackCase => ({
      name: title,
      setup: (ctx) => ({
        args: namedObject(
          ctx,
          kind === 'Service'
            ? `apiVersion: v1\nkind: Service\nmetadata:\n  name: ${JSON.stringify(name)}\n  namespace: ${ctx.ns}\nspec:\n  ports:\n  - port: 80\n    protocol: TCP\n`
            : kind === 'Secret'
              ? secret(ctx.ns, name, { a: ctx.canary })
              : cm(ctx.ns, name, { a: ctx.canary }),
        ),
      }),
      expect: { code: 2, errors: [new RegExp(`${kind}/.*name .*(may not|must|is longer)`)], noListOfSecrets: true },
    }),
  ),
  {
    name: 'ConfigMap in namespace ".."',
    setup: (ctx) => ({ args: namedObject(ctx, cm('..', 'x', { a: ctx.canary })) }),
    expect: { code: 2, errors: [/namespace "\.\." of a ConfigMap/], noListOfSecrets: true },
  },
  {
    name: 'Secret in namespace "."',
    setup: (ctx) => ({ args: namedObject(ctx, secret('.', 'x', { a: ctx.canary })) }),
    expect: { code: 2, errors: [/namespace "\." of a Secret/], noListOfSecrets: true },
  },
  {
    name: 'substituteFrom names a Secret ".."',
    setup: (ctx) => {
      applyLive(fluxKustomization({ name: ctx.ks, path: './', extraSpec: `  postBuild:\n    substituteFrom:\n    - kind: Secret\n      name: ".."\n` }));
      return { args: diff(ctx, writeTree({ 'kustomization.yaml': 'resources: [cm.yaml]\n', 'cm.yaml': cm(ctx.ns, 'a', { v: '${X:=1}' }) })) };
    },
    expect: { code: 2, errors: [/Secret name "\.\." may not be/], noListOfSecrets: true },
  },
  {
    name: 'decryption Secret named "."',
    setup: async (ctx) => {
      flux(ctx, `  decryption:\n    provider: sops\n    secretRef:\n      name: "."\n`);
      const enc = await encryptYaml(secret(ctx.ns, 'db', { password: ctx.canary }), sopsOpts(ctx));
      return { args: diff(ctx, writeTree({ 'kustomization.yaml': 'resources: [s.enc.yaml]\n', 's.enc.yaml': enc })) };
    },
    // Without a readable decryption Secret the values are unknown: key sets are compared, with a note.
    expect: { code: 1, noListOfSecrets: true, check: (r, f) => f.startsWith('text') && expect(r.stderr).toMatch(/decryption Secret .* not read: Secret name "\." may not be/) },
  },
  {
    name: 'Kustomization name ".." on the command line',
    setup: (ctx) => ({ args: ['diff', 'ks', '..', '--path', writeTree({ 'kustomization.yaml': 'resources: []\n' }), '--kubeconfig', ctx.kubeconfig] }),
    expect: { code: 2, errors: [/Kustomization name "\.\." may not be/] },
  },
  {
    name: 'namespace ".." on the command line',
    setup: (ctx) => ({ args: ['diff', 'ks', ctx.ks, '-n', '..', '--path', writeTree({ 'kustomization.yaml': 'resources: []\n' }), '--kubeconfig', ctx.kubeconfig] }),
    // Refused when the flag is read, before any request: the namespace is named.
    expect: { code: 2, errors: [/namespace must be a valid DNS label: "\.\."/] },
  },
  {
    name: 'inventory entry with the name ".." (pruning)',
    setup: (ctx) => {
      applyLive(fluxKustomization({ name: ctx.ks, path: './', prune: true, inventory: [`${ctx.ns}_..__Secret`] }));
      return { args: diff(ctx, writeTree({ 'kustomization.yaml': 'resources: [cm.yaml]\n', 'cm.yaml': cm(ctx.ns, 'a', { v: '1' }) })) };
    },
    expect: { code: 2, errors: [/Secret name "\.\." may not be/], noListOfSecrets: true },
  },
];

// ------------------------------------------------------------------------------------------------
// 3. Nothing outside the repository is read.

function outsideCase(name: string, files: (ctx: CaseCtx) => Record<string, string>, extra?: (ctx: CaseCtx, root: string, repo: string) => void): AttackCase {
  return {
    name,
    setup: (ctx) => {
      flux(ctx);
      const { root, repo } = repoWithOutside(ctx, files(ctx));
      extra?.(ctx, root, repo);
      return { args: diff(ctx, repo) };
    },
    expect: { code: 2, errors: [OUTSIDE] },
  };
}

const containment: AttackCase[] = [
  outsideCase('configMapGenerator file outside the repository', () => ({ 'kustomization.yaml': 'configMapGenerator:\n- name: leak\n  files: [../outside.txt]\n' })),
  outsideCase('configMapGenerator key=file outside', () => ({ 'kustomization.yaml': 'configMapGenerator:\n- name: leak\n  files: [k=../outside.txt]\n' })),
  outsideCase('secretGenerator envs outside', () => ({ 'kustomization.yaml': 'secretGenerator:\n- name: leak\n  envs: [../outside.txt]\n' })),
  outsideCase('resource directory outside', () => ({ 'kustomization.yaml': 'resources: [../outside]\n' })),
  outsideCase('resource file outside', () => ({ 'kustomization.yaml': 'resources: [../outside.yaml]\n' })),
  outsideCase('absolute resource path', () => ({ 'kustomization.yaml': 'configMapGenerator:\n- name: leak\n  files: [/etc/hostname]\n' })),
  outsideCase('patch file outside', (ctx) => ({ 'kustomization.yaml': 'resources: [cm.yaml]\npatches:\n- path: ../outside.yaml\n', 'cm.yaml': cm(ctx.ns, 'stolen', { v: '1' }) })),
  outsideCase('component outside', () => ({ 'kustomization.yaml': 'components: [../outside]\n' })),
  outsideCase('nested kustomization reaching outside', () => ({ 'kustomization.yaml': 'resources: [sub]\n', 'sub/kustomization.yaml': 'configMapGenerator:\n- name: leak\n  files: [../../outside.txt]\n' })),
  outsideCase('openapi schema outside', () => ({ 'kustomization.yaml': 'openapi:\n  path: ../outside.yaml\n' })),
  outsideCase(
    'symlink to a file outside, referenced',
    () => ({ 'kustomization.yaml': 'configMapGenerator:\n- name: leak\n  files: [link.txt]\n' }),
    (_ctx, root, repo) => symlinkSync(path.join(root, 'outside.txt'), path.join(repo, 'link.txt')),
  ),
  outsideCase(
    'symlink to a directory outside, as a resource',
    () => ({ 'kustomization.yaml': 'resources: [linked]\n' }),
    (_ctx, root, repo) => symlinkSync(path.join(root, 'outside'), path.join(repo, 'linked')),
  ),
  {
    name: 'symlink out of the repository, not referenced: refused too',
    setup: (ctx) => {
      flux(ctx);
      const { root, repo } = repoWithOutside(ctx, { 'cm.yaml': cm(ctx.ns, 'a', { v: '1' }) });
      symlinkSync(path.join(root, 'outside.txt'), path.join(repo, 'leak.yaml'));
      return { args: diff(ctx, repo) };
    },
    expect: { code: 2, errors: [/symlink to a path outside the repository root/] },
  },
  {
    name: 'remote base with --no-remote-bases',
    setup: (ctx) => {
      flux(ctx);
      return { args: [...diff(ctx, writeTree({ 'kustomization.yaml': 'resources: [github.com/attacker/repo//deploy?ref=main]\n' })), '--no-remote-bases'] };
    },
    expect: { code: 2, errors: [/resources github\.com\/attacker\/repo\/\/deploy\?ref=main: remote resources are refused \(--no-remote-bases\)/] },
  },
  {
    name: 'remote base that is this machine: a file:// git URL',
    setup: (ctx) => {
      flux(ctx);
      const { root, repo } = repoWithOutside(ctx, { 'kustomization.yaml': 'resources: [PLACEHOLDER]\n' });
      writeFileSync(path.join(repo, 'kustomization.yaml'), `resources: [file://${root}//outside?ref=main]\n`);
      return { args: diff(ctx, repo) };
    },
    expect: { code: 2, errors: [/only http\(s\) remote resources are fetched/] },
  },
  {
    name: 'remote resource at the cloud metadata address',
    setup: (ctx) => {
      flux(ctx);
      return { args: diff(ctx, writeTree({ 'kustomization.yaml': 'resources: [http://169.254.169.254/latest/meta-data/iam/security-credentials/role]\n' })) };
    },
    expect: { code: 2, errors: [/the link-local \(cloud metadata\) host 169\.254\.169\.254 is refused/] },
  },
  {
    name: 'SOPS-encrypted kustomization.yaml that reaches outside once decrypted',
    setup: async (ctx) => {
      flux(ctx);
      const k = 'apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nconfigMapGenerator:\n- name: leak\n  files:\n  - ../outside.txt\n';
      const enc = await encryptYaml(k, sopsOpts(ctx, '^files$'));
      const { repo } = repoWithOutside(ctx, { 'kustomization.yaml': enc });
      return { args: diff(ctx, repo, ...withKey(ctx)) };
    },
    // As in kustomize-controller, a kustomization file is never decrypted: refused before anything is read.
    expect: { code: 2, errors: [/kustomization\.yaml: the kustomization file is SOPS-encrypted/] },
  },
  {
    name: '../common.txt inside the repository builds (root = --path minus spec.path)',
    setup: (ctx) => {
      applyLive(fluxKustomization({ name: ctx.ks, path: './apps' }));
      const repo = writeTree({ 'common.txt': 'shared=1\n', 'apps/kustomization.yaml': `namespace: ${ctx.ns}\nconfigMapGenerator:\n- name: common\n  files: [../common.txt]\n` });
      return { args: diff(ctx, path.join(repo, 'apps')) };
    },
    expect: { code: 1, check: (r, f) => f.startsWith('text') && expect(r.stdout).toMatch(/ConfigMap\/.*\/common-/) },
  },
  {
    name: 'a file above --path but inside the git work tree builds (root = git top level)',
    setup: (ctx) => {
      applyLive(fluxKustomization({ name: ctx.ks, path: './elsewhere' }));
      const repo = gitInit(writeTree({ 'common.txt': 'shared=1\n', 'clusters/prod/apps/kustomization.yaml': `namespace: ${ctx.ns}\nconfigMapGenerator:\n- name: common\n  files: [../../../common.txt]\n` }));
      return { args: diff(ctx, path.join(repo, 'clusters/prod/apps')) };
    },
    expect: { code: 1 },
  },
  {
    name: 'a file outside the git work tree is refused even when --path minus spec.path would allow it',
    setup: (ctx) => {
      applyLive(fluxKustomization({ name: ctx.ks, path: './repo/apps' }));
      const root = writeTree({ 'outside.txt': `x=${ctx.canary}\n`, 'repo/apps/kustomization.yaml': 'configMapGenerator:\n- name: leak\n  files: [../../outside.txt]\n' });
      gitInit(path.join(root, 'repo'));
      return { args: diff(ctx, path.join(root, 'repo/apps')) };
    },
    expect: { code: 2, errors: [OUTSIDE] },
  },
  {
    name: '--all: a Kustomization whose spec.path is ../outside',
    setup: (ctx) => {
      const { repo } = repoWithOutside(ctx, { 'kustomization.yaml': 'resources: []\n' });
      applyLive(fluxKustomization({ name: ctx.ks, namespace: ctx.ns, path: '../outside' }));
      return { args: ['diff', 'ks', '--all', '-n', ctx.ns, '--path', repo, '--source', `GitRepository/${ctx.ns}/flux-system=${repo}`, '--kubeconfig', ctx.kubeconfig] };
    },
    expect: { code: 2, errors: [/spec\.path \.\.\/outside leads outside the repository root/] },
  },
  {
    name: '--all: spec.path a/../../outside',
    setup: (ctx) => {
      const { repo } = repoWithOutside(ctx, { 'a/kustomization.yaml': 'resources: []\n' });
      applyLive(fluxKustomization({ name: ctx.ks, namespace: ctx.ns, path: 'a/../../outside' }));
      return { args: ['diff', 'ks', '--all', '-n', ctx.ns, '--path', repo, '--source', `GitRepository/${ctx.ns}/flux-system=${repo}`, '--kubeconfig', ctx.kubeconfig] };
    },
    expect: { code: 2, errors: [/leads outside the repository root/] },
  },
  {
    name: '--all: spec.path through a symlink that leaves the repository',
    setup: (ctx) => {
      const { root, repo } = repoWithOutside(ctx, { 'kustomization.yaml': 'resources: []\n' });
      symlinkSync(path.join(root, 'outside'), path.join(repo, 'apps'));
      applyLive(fluxKustomization({ name: ctx.ks, namespace: ctx.ns, path: './apps' }));
      return { args: ['diff', 'ks', '--all', '-n', ctx.ns, '--path', repo, '--source', `GitRepository/${ctx.ns}/flux-system=${repo}`, '--kubeconfig', ctx.kubeconfig] };
    },
    expect: { code: 2, errors: [/outside the repository root/] },
  },
  {
    name: '--recursive: a child Kustomization whose spec.path is ../outside',
    setup: (ctx) => {
      flux(ctx);
      const child = fluxKustomization({ name: `${ctx.ks}-child`, path: '../outside' }).replace('    name: flux-system\n', '    name: flux-system\n    namespace: flux-system\n');
      const { repo } = repoWithOutside(ctx, { 'kustomization.yaml': 'resources: [child.yaml]\n', 'child.yaml': child });
      return { args: diff(ctx, repo, '--recursive') };
    },
    expect: { code: 2, errors: [/spec\.path \.\.\/outside leads outside the repository root/] },
  },
  {
    name: '--base-ref --all: a pull request adds a Kustomization with path ../outside',
    setup: (ctx) => {
      const { root, repo } = repoWithOutside(ctx, { 'clusters/apps.yaml': fluxKustomization({ name: ctx.ks, path: './apps' }), 'apps/kustomization.yaml': 'resources: []\n' });
      gitInit(repo);
      writeFileSync(path.join(repo, 'clusters/evil.yaml'), fluxKustomization({ name: `${ctx.ks}-evil`, path: '../outside' }));
      void root;
      return { args: ['diff', 'ks', '--all', '--base-ref', 'main', '--path', repo] };
    },
    expect: { code: 2, errors: [/leads outside the repository root/] },
  },
  {
    name: '--base-ref: a pull request changes spec.path to ../outside',
    setup: (ctx) => {
      const { repo } = repoWithOutside(ctx, { 'ks.yaml': fluxKustomization({ name: ctx.ks, path: './' }), 'kustomization.yaml': 'resources: []\n' });
      gitInit(repo);
      writeFileSync(path.join(repo, 'ks.yaml'), fluxKustomization({ name: ctx.ks, path: '../outside' }));
      return { args: ['diff', 'ks', ctx.ks, '--base-ref', 'main', '--path', repo, '--kustomization-file', path.join(repo, 'ks.yaml')] };
    },
    expect: { code: 2, errors: [/leads outside the repository root/] },
  },
  {
    name: '--base-ref: a pull request adds a generator reading outside the repository',
    setup: (ctx) => {
      const { repo } = repoWithOutside(ctx, { 'kustomization.yaml': 'resources: []\n' });
      gitInit(repo);
      writeFileSync(path.join(repo, 'kustomization.yaml'), 'configMapGenerator:\n- name: leak\n  files: [../outside.txt]\n');
      return { args: ['diff', 'ks', ctx.ks, '--base-ref', 'main', '--path', repo] };
    },
    expect: { code: 2, errors: [OUTSIDE] },
  },
];

// ------------------------------------------------------------------------------------------------
// 4/5. Bounded, and every failure said in podo's words.

const bounded: AttackCase[] = [
  {
    name: 'YAML bomb in a resource',
    setup: (ctx) => {
      flux(ctx);
      return { args: diff(ctx, writeTree({ 'kustomization.yaml': 'resources: [bomb.yaml]\n', 'bomb.yaml': BOMB })) };
    },
    expect: { code: 2, errors: [/bomb\.yaml: refused: .*YAML bomb/] },
  },
  {
    name: 'YAML bomb in kustomization.yaml',
    setup: (ctx) => {
      flux(ctx);
      return { args: diff(ctx, writeTree({ 'kustomization.yaml': `${BOMB}resources: []\n` })) };
    },
    expect: { code: 2, errors: [/kustomization\.yaml: refused: .*YAML bomb/] },
  },
  {
    name: 'YAML bomb in --kustomization-file',
    setup: (ctx) => {
      flux(ctx);
      const repo = writeTree({ 'kustomization.yaml': 'resources: []\n', 'ks.yaml': `${BOMB}---\n${fluxKustomization({ name: ctx.ks, path: './' })}` });
      return { args: diff(ctx, repo, '--kustomization-file', path.join(repo, 'ks.yaml')) };
    },
    expect: { code: 2, errors: [/ks\.yaml: refused: .*YAML bomb/] },
  },
  {
    name: 'YAML bomb in a generated kustomization (no kustomization.yaml)',
    setup: (ctx) => {
      flux(ctx);
      return { args: diff(ctx, writeTree({ 'a.yaml': BOMB })) };
    },
    expect: { code: 2, errors: [/a\.yaml.*YAML bomb/] },
  },
  {
    name: 'a 40 MiB resource file',
    setup: (ctx) => {
      flux(ctx);
      const repo = writeTree({ 'kustomization.yaml': 'resources: [huge.yaml]\n' });
      const line = `# ${'x'.repeat(1000)}\n`;
      writeFileSync(path.join(repo, 'huge.yaml'), line.repeat(40 * 1024));
      return { args: diff(ctx, repo) };
    },
    expect: { code: 2, errors: [/huge\.yaml: refused: .* MiB/] },
  },
  {
    name: 'kubeconfig with two documents: podo words, no library advice',
    setup: (ctx) => {
      const dir = writeTree({ kc: 'apiVersion: v1\nkind: Config\n---\napiVersion: v1\nkind: Config\n' });
      return { args: diff(ctx, writeTree({ 'kustomization.yaml': 'resources: []\n' })).map((a) => (a === ctx.kubeconfig ? path.join(dir, 'kc') : a)) };
    },
    expect: { code: 2, errors: [/kubeconfig .*: holds more than one YAML document/] },
  },
  {
    name: '--kustomization-file that is not YAML',
    setup: (ctx) => {
      flux(ctx);
      const repo = writeTree({ 'kustomization.yaml': 'resources: []\n', 'ks.yaml': 'a: b: c: [\n' });
      return { args: diff(ctx, repo, '--kustomization-file', path.join(repo, 'ks.yaml')) };
    },
    expect: { code: 2, errors: [/ks\.yaml/] },
  },
  {
    name: '--kustomization-file whose spec is a list',
    setup: (ctx) => {
      const repo = writeTree({ 'kustomization.yaml': 'resources: []\n', 'ks.yaml': `apiVersion: kustomize.toolkit.fluxcd.io/v1\nkind: Kustomization\nmetadata:\n  name: ${ctx.ks}\n  namespace: flux-system\nspec: [1, 2]\n` });
      return { args: diff(ctx, repo, '--kustomization-file', path.join(repo, 'ks.yaml'), '--ignore-not-found') };
    },
    expect: { code: 2, errors: [/spec/] },
  },
  {
    name: '--kustomization-file whose spec.path is a number',
    setup: (ctx) => {
      const repo = writeTree({ 'kustomization.yaml': 'resources: []\n', 'ks.yaml': fluxKustomization({ name: ctx.ks, path: '42' }) });
      return { args: diff(ctx, repo, '--kustomization-file', path.join(repo, 'ks.yaml'), '--ignore-not-found') };
    },
    expect: { code: 2, errors: [/spec\.path must be a string/] },
  },
  {
    name: 'kustomization.yaml that is not YAML names the file',
    setup: (ctx) => {
      flux(ctx);
      return { args: diff(ctx, writeTree({ 'kustomization.yaml': 'resources: [a\nb: ]]\n' })) };
    },
    expect: { code: 2, errors: [/kustomization\.yaml: invalid YAML/] },
  },
];

export const CORPUS: AttackCase[] = [...secrets, ...execPlugins, ...names, ...containment, ...bounded];
