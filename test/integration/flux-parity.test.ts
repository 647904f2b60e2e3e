// flux's own diff/build test cases (fluxcd/flux2 cmd/flux diff_kustomization_test.go and
// build_kustomization_test.go), run through podo with flux's command lines against the real API server.
// The fixtures are podo's own (an app shaped like flux's podinfo test app: a Deployment, an HPA, a
// Service, two SOPS-encrypted Secrets, a SOPS binary secretGenerator source and a literal one); each
// test asserts the answer flux's golden file gives for the same situation. Where podo deliberately
// answers better (README, "Comparison with flux diff"), the test asserts podo's answer and says so.
import { execFileSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { applyLive, ensureNamespace, kubeconfig, runPodo, uniqueName, writeTree, type RunResult } from '../helpers/cluster.js';
import { encryptBinary, encryptYaml, newAgeIdentity } from '../helpers/sops-writer.js';

/** No age key anywhere podo looks: like flux, podo cannot decrypt the fixture's SOPS files. */
const home = mkdtempSync(path.join(os.tmpdir(), 'podo-parity-home-'));
const env: NodeJS.ProcessEnv = { HOME: home, XDG_CONFIG_HOME: path.join(home, '.config'), SOPS_AGE_KEY: '', SOPS_AGE_KEY_FILE: '' };

const fluxNs = uniqueName('flux-parity');
let app: string; // the app directory, flux's ./testdata/build-kustomization/podinfo
let repo: string; // the repository holding it

const deployment = (ns: string, labels = '') => `apiVersion: apps/v1
kind: Deployment
metadata:
  name: shop
${ns ? `  namespace: ${ns}\n` : ''}${labels}spec:
  replicas: 2
  selector:
    matchLabels:
      app: shop
  template:
    metadata:
      labels:
        app: shop
    spec:
      containers:
        - name: shop
          image: registry.example.com/shop:1.4.2
          ports:
            - name: http
              containerPort: 8080
              protocol: TCP
            - name: grpc
              containerPort: 9090
              protocol: TCP
`;

const service = (ns: string, httpPort: number, labels = '') => `apiVersion: v1
kind: Service
metadata:
  name: shop
${ns ? `  namespace: ${ns}\n` : ''}${labels}spec:
  type: ClusterIP
  selector:
    app: shop
  ports:
    - name: http
      port: ${httpPort}
      protocol: TCP
      targetPort: http
    - name: grpc
      port: 9090
      protocol: TCP
      targetPort: grpc
`;

const ownerLabels = (ks: string) => `  labels:\n    kustomize.toolkit.fluxcd.io/name: ${ks}\n    kustomize.toolkit.fluxcd.io/namespace: ${fluxNs}\n`;

/** The Flux Kustomization, as flux's testdata writes it: prune, force, postBuild substitutions. */
function fluxKs(name: string, opts: { targetNamespace?: string; path?: string; extra?: string; namespace?: boolean } = {}): string {
  return `apiVersion: kustomize.toolkit.fluxcd.io/v1
kind: Kustomization
metadata:
  name: ${name}
${opts.namespace === false ? '' : `  namespace: ${fluxNs}\n`}spec:
  interval: 5m0s
  path: ${opts.path ?? './shop'}
  force: true
  prune: true
  sourceRef:
    kind: GitRepository
    name: shop
${opts.targetNamespace ? `  targetNamespace: ${opts.targetNamespace}\n` : ''}  postBuild:
    substitute:
      cluster_env: prod
      cluster_region: eu-central-1
${opts.extra ?? ''}`;
}

let names: { token: string; db: string };
/** flux's `--progress-bar=false`, in every flux test command line. */
const PB = ['--progress-bar=false'];

beforeAll(async () => {
  ensureNamespace(fluxNs);
  // Encrypted for a key nobody gives podo, as flux's fixtures are for flux.
  const stranger = await newAgeIdentity();
  const sops = { recipients: [stranger.recipient], encryptedRegex: '^(data|stringData)$' };
  const dockerConfig = JSON.stringify({ auths: { 'registry.example.com': { auth: Buffer.from('robot:CANARY-parity-docker').toString('base64') } } });
  repo = writeTree({
    'shop/kustomization.yaml': `apiVersion: kustomize.config.k8s.io/v1beta1
kind: Kustomization
resources:
  - ./deployment.yaml
  - ./hpa.yaml
  - ./service.yaml
  - ./registry-secret.yaml
  - ./basic-auth-secret.yaml
secretGenerator:
  - name: shop-token
    files:
      - token=token.encrypted
  - name: db-creds
    literals:
      - username=admin
      - password=CANARY-parity-db
`,
    'shop/deployment.yaml': deployment(''),
    'shop/hpa.yaml': `apiVersion: autoscaling/v1\nkind: HorizontalPodAutoscaler\nmetadata:\n  name: shop\nspec:\n  scaleTargetRef:\n    apiVersion: apps/v1\n    kind: Deployment\n    name: shop\n  minReplicas: 2\n  maxReplicas: 4\n  targetCPUUtilizationPercentage: 80\n`,
    'shop/service.yaml': service('', 8080),
    'shop/registry-secret.yaml': await encryptYaml(
      `apiVersion: v1\nkind: Secret\nmetadata:\n  name: registry\ntype: kubernetes.io/dockerconfigjson\ndata:\n  .dockerconfigjson: ${Buffer.from(dockerConfig).toString('base64')}\n`,
      sops,
    ),
    'shop/basic-auth-secret.yaml': await encryptYaml(
      `apiVersion: v1\nkind: Secret\nmetadata:\n  name: basic-auth\ntype: kubernetes.io/basic-auth\nstringData:\n  username: CANARY-parity-user\n  password: CANARY-parity-pass\n`,
      sops,
    ),
    'shop/token.encrypted': await encryptBinary('CANARY-parity-token\n', { recipients: [stranger.recipient] }),
  });
  app = path.join(repo, 'shop');
  // Generated names as kustomize gives them for these (still encrypted) sources.
  const built = execFileSync('kubectl', ['kustomize', app], { encoding: 'utf8' });
  names = { token: /name: (shop-token-[a-z0-9]+)/.exec(built)![1], db: /name: (db-creds-[a-z0-9]+)/.exec(built)![1] };
});

/** A fresh target namespace and a Flux Kustomization in the cluster pointing at it (flux's setup()). */
function deployed(extra = ''): { ks: string; ns: string } {
  const ks = uniqueName('shop');
  const ns = uniqueName('target');
  ensureNamespace(ns);
  applyLive(fluxKs(ks, { targetNamespace: ns, extra }));
  return { ks, ns };
}

const diff = (ks: string, args: string[] = [], cwd?: string): Promise<RunResult> =>
  runPodo(['diff', 'kustomization', ks, '--path', app, ...args, '-n', fluxNs, '--kubeconfig', kubeconfig()], env, { cwd });

/** The `► ...` lines of a text report, in order. */
const headlines = (out: string) => out.split('\n').filter((l) => l.startsWith('► '));

function allCreated(ns: string): string[] {
  return [
    `► Deployment/${ns}/shop created`,
    `► HorizontalPodAutoscaler/${ns}/shop created`,
    `► Secret/${ns}/basic-auth created`,
    `► Secret/${ns}/${names.db} created`,
    `► Secret/${ns}/registry created`,
    `► Secret/${ns}/${names.token} created`,
    `► Service/${ns}/shop created`,
  ];
}

const sorted = (lines: string[]) => [...lines].sort();

function noCanaries(r: RunResult): void {
  for (const canary of ['CANARY-parity-db', 'CANARY-parity-token', 'CANARY-parity-user', 'CANARY-parity-pass', 'CANARY-parity-docker']) {
    for (const form of [canary, Buffer.from(canary).toString('base64')]) {
      expect(r.stdout).not.toContain(form);
      expect(r.stderr).not.toContain(form);
    }
  }
}

describe('flux diff kustomization test cases', () => {
  it('no args: `diff kustomization NAME` without --path is an error (flux: invalid resource path ""; podo exits 2)', async () => {
    const r = await runPodo(['diff', 'kustomization', 'shop', '-n', fluxNs, '--kubeconfig', kubeconfig()], env);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toContain('--path');
  });

  it('diff nothing deployed: every object is created', async () => {
    const { ks, ns } = deployed();
    const r = await diff(ks, [...PB]);
    expect(r.code).toBe(1);
    expect(sorted(headlines(r.stdout))).toEqual(allCreated(ns));
    noCanaries(r);
  });

  it('diff with a deployment object: the deployed, unchanged Deployment is not listed', async () => {
    const { ks, ns } = deployed();
    applyLive(deployment(ns, ownerLabels(ks)));
    const r = await diff(ks, [...PB]);
    expect(r.code).toBe(1);
    expect(sorted(headlines(r.stdout))).toEqual(allCreated(ns).filter((l) => !l.includes('Deployment/')));
  });

  it('diff with a drifted service object: spec.ports.http.port 8081 → 8080', async () => {
    const { ks, ns } = deployed();
    applyLive(service(ns, 8081, ownerLabels(ks)));
    const r = await diff(ks, [...PB]);
    expect(r.code).toBe(1);
    expect(sorted(headlines(r.stdout))).toEqual(allCreated(ns).map((l) => (l.includes('Service/') ? `► Service/${ns}/shop drifted` : l)));
    expect(r.stdout).toMatch(new RegExp(`► Service/${ns}/shop drifted\\n\\nspec\\.ports\\.http\\.port\\n\\s*± value change\\n\\s*- 8081\\n\\s*\\+ 8080\\n`));
  });

  it('diff with a drifted secret object: data.password, masked before and after', async () => {
    const { ks, ns } = deployed();
    applyLive(`apiVersion: v1\nkind: Secret\nmetadata:\n  name: ${names.db}\n  namespace: ${ns}\n${ownerLabels(ks)}type: Opaque\nstringData:\n  username: admin\n  password: CANARY-parity-live\n`);
    const r = await diff(ks, [...PB]);
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(new RegExp(`► Secret/${ns}/${names.db} drifted\\n\\ndata\\.password\\n\\s*± value change\\n\\s*- \\*\\*\\* \\(before\\)\\n\\s*\\+ \\*\\*\\* \\(after\\)\\n`));
    expect(r.stdout).not.toContain('CANARY-parity-live');
    noCanaries(r);
  });

  it('diff with a drifted key in a sops secret object: key sets compared, drift-key removed and token added', async () => {
    const { ks, ns } = deployed();
    applyLive(`apiVersion: v1\nkind: Secret\nmetadata:\n  name: ${names.token}\n  namespace: ${ns}\n${ownerLabels(ks)}type: Opaque\nstringData:\n  drift-key: my-secret-token\n`);
    const r = await diff(ks, [...PB, '-o', 'json']);
    expect(r.code).toBe(1);
    const token = resources(r).find((x) => x.name === names.token)!;
    expect(token.action).toBe('drifted');
    expect(token.changes.map((c) => [c.path, c.change, Object.keys((c.before ?? c.after) as object)])).toEqual([
      ['data', 'remove', ['drift-key']],
      ['data', 'add', ['token']],
    ]);
    expect(r.stdout).not.toContain('my-secret-token');
  });

  it('diff with a drifted value in a sops secret object: values unknown, so not listed', async () => {
    const { ks, ns } = deployed();
    applyLive(`apiVersion: v1\nkind: Secret\nmetadata:\n  name: ${names.token}\n  namespace: ${ns}\n${ownerLabels(ks)}type: Opaque\nstringData:\n  token: drift-value\n`);
    const r = await diff(ks, [...PB]);
    expect(r.code).toBe(1);
    expect(sorted(headlines(r.stdout))).toEqual(allCreated(ns).filter((l) => !l.includes(names.token)));
  });

  it('diff with a sops dockerconfigjson secret object: same keys, not listed', async () => {
    const { ks, ns } = deployed();
    applyLive(`apiVersion: v1\nkind: Secret\nmetadata:\n  name: registry\n  namespace: ${ns}\n${ownerLabels(ks)}type: kubernetes.io/dockerconfigjson\ndata:\n  .dockerconfigjson: ${Buffer.from('{"mask":"**SOPS**"}').toString('base64')}\n`);
    const r = await diff(ks, [...PB]);
    expect(r.code).toBe(1);
    expect(sorted(headlines(r.stdout))).toEqual(allCreated(ns).filter((l) => !l.includes('Secret/' + ns + '/registry')));
  });

  it('diff with a sops stringdata secret object: username1 removed, username added', async () => {
    const { ks, ns } = deployed();
    applyLive(`apiVersion: v1\nkind: Secret\nmetadata:\n  name: basic-auth\n  namespace: ${ns}\n${ownerLabels(ks)}type: kubernetes.io/basic-auth\nstringData:\n  password: \"x\"\n  username1: \"y\"\n`);
    const r = await diff(ks, [...PB, '-o', 'json']);
    const auth = resources(r).find((x) => x.name === 'basic-auth')!;
    expect(auth.action).toBe('drifted');
    expect(auth.changes.map((c) => [c.path, c.change, Object.keys((c.before ?? c.after) as object)])).toEqual([
      ['data', 'remove', ['username1']],
      ['data', 'add', ['username']],
    ]);
  });

  it('diff where the kustomization file has several objects with the same name: the Flux Kustomization is picked', async () => {
    const { ks, ns } = deployed();
    const file = writeTree({
      'ks.yaml': `apiVersion: v1\nkind: Namespace\nmetadata:\n  name: ${ks}\n---\n${fluxKs(ks, { targetNamespace: ns, namespace: false })}`,
    });
    const r = await diff(ks, [...PB, '--kustomization-file', path.join(file, 'ks.yaml')]);
    expect(r.code).toBe(1);
    expect(sorted(headlines(r.stdout))).toEqual(allCreated(ns));
  });

  it('not deployed: fails without --ignore-not-found, diffs the file with it', async () => {
    const ks = uniqueName('local-only');
    const ns = uniqueName('target');
    ensureNamespace(ns);
    const file = path.join(writeTree({ 'ks.yaml': `---\n${fluxKs(ks, { targetNamespace: ns, namespace: false })}` }), 'ks.yaml');
    const without = await diff(ks, [...PB, '--kustomization-file', file]);
    expect(without.code).toBe(2);
    expect(without.stdout).toBe('');
    expect(without.stderr).toContain(`Kustomization ${fluxNs}/${ks} not found`);
    const r = await diff(ks, [...PB, '--kustomization-file', file, '--ignore-not-found']);
    expect(r.code).toBe(1);
    expect(sorted(headlines(r.stdout))).toEqual(allCreated(ns));
  });

  it('an absolute --path outside the working directory builds from there', async () => {
    const ns = uniqueName('target');
    ensureNamespace(ns);
    const tree = writeTree({
      'source/kustomization.yaml': 'apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources:\n- configmap.yaml\n',
      'source/configmap.yaml': 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: outside-cwd\n',
      'app.yaml': `apiVersion: kustomize.toolkit.fluxcd.io/v1\nkind: Kustomization\nmetadata:\n  name: app\n  namespace: ${fluxNs}\nspec:\n  interval: 5m\n  path: ./source\n  prune: true\n  targetNamespace: ${ns}\n  sourceRef:\n    kind: GitRepository\n    name: app\n`,
      'cwd/.keep': '',
    });
    const r = await runPodo(
      ['diff', 'kustomization', 'app', '--path', path.join(tree, 'source'), '--kustomization-file', path.join(tree, 'app.yaml'), '--ignore-not-found', ...PB, '-n', fluxNs, '--kubeconfig', kubeconfig()],
      env,
      { cwd: path.join(tree, 'cwd') },
    );
    expect(r.code).toBe(1);
    expect(r.stdout).toContain(`ConfigMap/${ns}/outside-cwd created`);
  });

  it('taking ownership: an existing object without Flux labels drifts by the owner labels only', async () => {
    const ns = uniqueName('target');
    ensureNamespace(ns);
    const ks = uniqueName('configmaps');
    const tree = writeTree({
      'configmaps/kustomization.yaml': 'resources:\n- ./existing.yaml\n- ./new.yaml\n',
      'configmaps/existing.yaml': 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: existing-config\ndata:\n  key: value\n',
      'configmaps/new.yaml': 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: new-config\ndata:\n  key: value\n',
      'ks.yaml': fluxKs(ks, { targetNamespace: ns, path: './configmaps', namespace: false }).replace(/  postBuild:[\s\S]*$/, ''),
    });
    // Applied by someone else (kubectl), so Flux would take it over.
    execFileSync('kubectl', ['--kubeconfig', kubeconfig(), 'apply', '--server-side', '--field-manager=kubectl', '-f', '-'], {
      input: `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: existing-config\n  namespace: ${ns}\ndata:\n  key: value\n`,
    });
    const r = await runPodo(
      ['diff', 'kustomization', ks, '--path', path.join(tree, 'configmaps'), ...PB, '--kustomization-file', path.join(tree, 'ks.yaml'), '--ignore-not-found', '-n', fluxNs, '--kubeconfig', kubeconfig(), '-o', 'json'],
      env,
    );
    expect(r.code).toBe(1);
    const rs = resources(r);
    expect(rs.map((x) => [x.name, x.action])).toEqual(expect.arrayContaining([['existing-config', 'drifted'], ['new-config', 'created']]));
    const existing = rs.find((x) => x.name === 'existing-config')!;
    expect(existing.changes).toEqual([
      expect.objectContaining({ path: 'metadata', change: 'add', after: { labels: { 'kustomize.toolkit.fluxcd.io/name': ks, 'kustomize.toolkit.fluxcd.io/namespace': fluxNs } } }),
    ]);
  });

  it('a new namespace and a ConfigMap in it: flux fails (namespace not found); podo stages them and reports both created', async () => {
    const ns = uniqueName('new-ns');
    const ks = uniqueName('nsandcm');
    const tree = writeTree({
      'app/kustomization.yaml': 'resources:\n- ./namespace.yaml\n- ./configmap.yaml\n',
      'app/namespace.yaml': `apiVersion: v1\nkind: Namespace\nmetadata:\n  name: ${ns}\n`,
      'app/configmap.yaml': `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: app-config\n  namespace: ${ns}\ndata:\n  key: value\n`,
      'ks.yaml': fluxKs(ks, { path: './app', namespace: false }),
    });
    const r = await runPodo(
      ['diff', 'kustomization', ks, '--path', path.join(tree, 'app'), ...PB, '--kustomization-file', path.join(tree, 'ks.yaml'), '--ignore-not-found', '-n', fluxNs, '--kubeconfig', kubeconfig()],
      env,
    );
    expect(r.code, r.stdout + r.stderr).toBe(1);
    expect(headlines(r.stdout)).toEqual([`► Namespace/${ns} created`, `► ConfigMap/${ns}/app-config created (its Namespace ${ns} is created by this build)`]);
  });

  it('a new namespace only: Namespace created', async () => {
    const ns = uniqueName('new-ns');
    const ks = uniqueName('nsonly');
    const tree = writeTree({
      'app/kustomization.yaml': 'resources:\n- ./namespace.yaml\n',
      'app/namespace.yaml': `apiVersion: v1\nkind: Namespace\nmetadata:\n  name: ${ns}\n`,
      'ks.yaml': fluxKs(ks, { path: './app', namespace: false }),
    });
    const r = await runPodo(
      ['diff', 'kustomization', ks, '--path', path.join(tree, 'app'), ...PB, '--kustomization-file', path.join(tree, 'ks.yaml'), '--ignore-not-found', '-n', fluxNs, '--kubeconfig', kubeconfig()],
      env,
    );
    expect(r.code).toBe(1);
    expect(headlines(r.stdout)).toEqual([`► Namespace/${ns} created`]);
  });

  it('diff with recursive: the child Kustomization the build produces is followed through --local-sources', async () => {
    const { ks, ns } = deployed();
    const tree = writeTree({
      'with-my-app/kustomization.yaml': 'apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources:\n- ./my-app.yaml\n',
      'with-my-app/my-app.yaml': fluxKs('my-app', { path: './my-app', targetNamespace: ns, namespace: false }).replace(/  postBuild:[\s\S]*$/, ''),
      'my-app/configmap.yaml': 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: my-app\ndata:\n  var: test\n',
    });
    applyLive(fluxKs(ks, { targetNamespace: ns, path: './with-my-app' }));
    // The child as the parent applied it: unchanged, so only its own objects show.
    applyLive(
      fluxKs('my-app', { path: './my-app', targetNamespace: ns, namespace: false })
        .replace(/  postBuild:[\s\S]*$/, '')
        .replace('  name: my-app\n', `  name: my-app\n  namespace: ${ns}\n${ownerLabels(ks)}`),
    );
    const r = await runPodo(
      ['diff', 'kustomization', ks, '--path', path.join(tree, 'with-my-app'), ...PB, '--recursive', '--local-sources', `GitRepository/${ns}/shop=${tree}`, '-n', fluxNs, '--kubeconfig', kubeconfig()],
      env,
    );
    expect(r.code, r.stderr).toBe(1);
    expect(headlines(r.stdout)).toEqual([`► ConfigMap/${ns}/my-app created`]);
  });

  it('drift ignore rules: /spec/ports ignored on Services, so the drifted port is not shown, only the owner labels', async () => {
    const ks = uniqueName('shop');
    const ns = uniqueName('target');
    ensureNamespace(ns);
    const file = path.join(
      writeTree({ 'ks.yaml': fluxKs(ks, { targetNamespace: ns, namespace: false, extra: '  ignore:\n    - paths:\n        - "/spec/ports"\n      target:\n        kind: Service\n' }) }),
      'ks.yaml',
    );
    applyLive(service(ns, 8081));
    const r = await diff(ks, [...PB, '--kustomization-file', file, '--ignore-not-found', '-o', 'json']);
    expect(r.code).toBe(1);
    const svc = resources(r).find((x) => x.kind === 'Service')!;
    expect(svc.action).toBe('drifted');
    expect(svc.changes).toEqual([
      expect.objectContaining({ path: 'metadata', change: 'add', after: { labels: { 'kustomize.toolkit.fluxcd.io/name': ks, 'kustomize.toolkit.fluxcd.io/namespace': fluxNs } } }),
    ]);
  });
});

describe('flux build kustomization test cases', () => {
  const build = (ks: string, dir: string, args: string[] = [], cwd?: string) =>
    runPodo(['build', 'kustomization', ks, '--path', dir, ...args, '-n', fluxNs, '--kubeconfig', kubeconfig()], env, { cwd });

  it('no args: `build kustomization NAME` without --path is an error, exit 2', async () => {
    const r = await runPodo(['build', 'kustomization', 'shop', '-n', fluxNs], env);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('--path');
  });

  it('build: every object with the owner labels and the target namespace, Secret values masked', async () => {
    const { ks, ns } = deployed();
    const r = await build(ks, app);
    expect(r.code).toBe(0);
    const objects = docs(r.stdout);
    expect(objects.map((o) => `${o.kind}/${o.metadata.namespace}/${o.metadata.name}`).sort()).toEqual(
      allCreated(ns).map((l) => l.replace(/^► /, '').replace(/ created$/, '')),
    );
    for (const o of objects) expect(o.metadata.labels).toMatchObject({ 'kustomize.toolkit.fluxcd.io/name': ks, 'kustomize.toolkit.fluxcd.io/namespace': fluxNs });
    const svc = objects.find((o) => o.kind === 'Service')!;
    expect(svc.spec).toMatchObject({ ports: [{ name: 'http', port: 8080 }, { name: 'grpc', port: 9090 }] });
    const db = objects.find((o) => o.metadata.name === names.db)!;
    expect(Object.keys(db.data as object).sort()).toEqual(['password', 'username']);
    noCanaries(r);
  });

  it('the same build from an absolute path, a path through .., and a path with doubled separators', async () => {
    const { ks } = deployed();
    const expected = (await build(ks, app)).stdout;
    for (const p of [path.resolve(app), path.join(repo, 'shop', '..', 'shop'), `${repo}//shop//`]) {
      const r = await build(ks, p);
      expect(r.code, p).toBe(0);
      expect(r.stdout).toBe(expected);
    }
  });

  it('build with var substitution: ${cluster_env:=dev} takes the substitute value; substitute: disabled objects keep ${...}', async () => {
    const { ks, ns } = deployed();
    const tree = writeTree({
      'subst/kustomization.yaml':
        'resources:\n  - ./deployment.yaml\ngeneratorOptions:\n  labels:\n    kustomize.toolkit.fluxcd.io/substitute: disabled\nconfigMapGenerator:\n  - name: dashboards\n    files:\n      - dashboard.json\n',
      'subst/deployment.yaml': deployment('').replace('  name: shop\n', '  name: shop\n  labels:\n    environment: ${cluster_env:=dev}\n    region: ${cluster_region}\n'),
      'subst/dashboard.json': '{"datasource": "${DS_PROMETHEUS}"}\n',
    });
    const r = await build(ks, path.join(tree, 'subst'));
    expect(r.code).toBe(0);
    const objects = docs(r.stdout);
    expect(objects.find((o) => o.kind === 'Deployment')!.metadata.labels).toMatchObject({ environment: 'prod', region: 'eu-central-1' });
    const cm = objects.find((o) => o.kind === 'ConfigMap')!;
    expect(cm.metadata.namespace).toBe(ns);
    expect(cm.data).toEqual({ 'dashboard.json': '{"datasource": "${DS_PROMETHEUS}"}\n' });
  });

  it('build with --ignore-paths negating a .sourceignore that excludes everything', async () => {
    const { ks } = deployed();
    const tree = writeTree({
      'ignore/.sourceignore': '# exclude all\n/*\n',
      'ignore/configmap.yaml': 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: configmap-ignore\ndata:\n  var: test\n',
      'ignore/secret.yaml': 'apiVersion: v1\nkind: Secret\nmetadata:\n  name: secret-ignore\ntype: Opaque\ndata:\n  token: aWdub3JlZC1zM2NyM3Q=\n',
      'ignore/not_deployable/ignore_svc.yaml': service('', 8080).replace('name: shop', 'name: do-not-deploy'),
    });
    const r = await build(ks, path.join(tree, 'ignore'), ['--ignore-paths', '!configmap.yaml,!secret.yaml']);
    expect(r.code).toBe(0);
    expect(docs(r.stdout).map((o) => `${o.kind}/${o.metadata.name}`).sort()).toEqual(['ConfigMap/configmap-ignore', 'Secret/secret-ignore']);
  });

  it('build with a local Kustomization file and --dry-run: no cluster needed', async () => {
    const ks = uniqueName('shop');
    const file = path.join(writeTree({ 'ks.yaml': fluxKs(ks, { targetNamespace: 'default' }) }), 'ks.yaml');
    const r = await runPodo(['build', 'kustomization', ks, '--path', app, '--kustomization-file', file, '--dry-run', '-n', fluxNs], { ...env, KUBECONFIG: '/nonexistent' });
    expect(r.code).toBe(0);
    expect(docs(r.stdout).map((o) => `${o.kind}/${o.metadata.namespace}/${o.metadata.name}`).sort()).toEqual(allCreated('default').map((l) => l.replace(/^► /, '').replace(/ created$/, '')));
    // From another working directory, with an absolute path (flux: TestBuildKustomizationDefaultBuildsAbsolutePathOutsideCwd).
    const elsewhere = await runPodo(['build', 'kustomization', ks, '--path', app, '--kustomization-file', file, '--dry-run', '-n', fluxNs], env, { cwd: os.tmpdir() });
    expect(elsewhere.code).toBe(0);
    expect(elsewhere.stdout).toBe(r.stdout);
    const wrong = await runPodo(['build', 'kustomization', ks, '--path', app, '--kustomization-file', './wrongfile/', '--dry-run', '-n', fluxNs], env);
    expect(wrong.code).toBe(2);
    expect(wrong.stderr).toContain('wrongfile');
  });
});

interface JsonResource {
  kind: string;
  name: string;
  action: string;
  changes: Array<{ path: string; change: string; before?: unknown; after?: unknown }>;
}

function resources(r: RunResult): JsonResource[] {
  const report = JSON.parse(r.stdout) as { kustomizations: Array<{ resources: JsonResource[] }> };
  return report.kustomizations.flatMap((k) => k.resources);
}

interface Doc {
  kind: string;
  metadata: { name: string; namespace?: string; labels?: Record<string, string> };
  spec?: unknown;
  data?: unknown;
}

function docs(text: string): Doc[] {
  return parseAllDocuments(text)
    .map((d) => d.toJS() as Doc | null)
    .filter((d): d is Doc => d !== null);
}
