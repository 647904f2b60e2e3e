// Flags as flux and kubectl spell them: Go-style booleans, StringSlice accumulation, the namespace
// default and checks, connection settings, and proxy selection by Go's rules.
import { describe, expect, it } from 'vitest';
import { buildProgram } from '../../src/cli/program.js';
import { normalizeBooleanFlags, parseGoBool } from '../../src/cli/argv.js';
import { collectCsv, connectionSettings, defaultNamespace, resolveNamespace, splitCsv, type NamespaceCommand } from '../../src/cli/options.js';
import { proxyFor, proxyFromEnvironment, redactProxy } from '../../src/cluster/proxy.js';
import { impersonationHeaders, loadStaticCredentials } from '../../src/cluster/kubeconfig-fast.js';
import { writeTree } from '../helpers/cluster.js';
import path from 'node:path';

const argv = (...a: string[]) => ['node', 'podo', ...a];

describe('Go-style boolean flags', () => {
  const program = buildProgram(() => undefined, {});
  it('--flag=false becomes --no-flag when there is one, or nothing when off is the default', () => {
    expect(normalizeBooleanFlags(argv('diff', 'ks', 'a', '--progress-bar=false'), program).slice(2)).toEqual(['diff', 'ks', 'a', '--no-progress-bar']);
    expect(normalizeBooleanFlags(argv('diff', 'ks', '--in-memory-build=false', '--strict-substitute=true'), program).slice(2)).toEqual(['diff', 'ks', '--strict-substitute']);
    expect(normalizeBooleanFlags(argv('diff', 'ks', '--insecure-skip-tls-verify=1'), program).slice(2)).toEqual(['diff', 'ks', '--insecure-skip-tls-verify']);
    // flux's own flag name starts with no-: --no-remote-bases=true refuses, =false is the default.
    expect(normalizeBooleanFlags(argv('diff', 'ks', '--no-remote-bases=true'), program).slice(2)).toEqual(['diff', 'ks', '--no-remote-bases']);
    expect(normalizeBooleanFlags(argv('diff', 'ks', '--no-remote-bases=false'), program).slice(2)).toEqual(['diff', 'ks']);
  });
  it('leaves value options, unknown flags and everything after -- alone', () => {
    const a = argv('diff', 'ks', '--path=./x', '--nope=false', '--', '--progress-bar=false');
    expect(normalizeBooleanFlags(a, program)).toEqual(a);
  });
  it('a value that is not a Go boolean is a usage error naming the flag', () => {
    expect(() => normalizeBooleanFlags(argv('diff', 'ks', '--progress-bar=maybe'), program)).toThrow(/--progress-bar takes true or false, got "maybe"/);
    expect(parseGoBool('--x', 'T')).toBe(true);
    expect(parseGoBool('--x', 'F')).toBe(false);
  });
  it('parses through commander: --progress-bar=false turns the spinner off, --ignore-paths accumulates', async () => {
    let seen: Record<string, unknown> = {};
    const p = buildProgram(() => undefined, {});
    const ks = p.commands.find((c) => c.name() === 'diff')!.commands.find((c) => c.name() === 'kustomization')!;
    ks.action((_n: unknown, o: Record<string, unknown>) => {
      seen = o;
    });
    await p.parseAsync(
      normalizeBooleanFlags(argv('diff', 'ks', 'app', '--path', '.', '--progress-bar=false', '--ignore-paths', 'a.yaml,b/**', '--ignore-paths=c.yaml', '--as', 'jane', '--as-group', 'dev', '--as-group', 'ops'), p),
    );
    expect(seen.progressBar).toBe(false);
    expect(seen.ignorePaths).toEqual(['a.yaml', 'b/**', 'c.yaml']);
    expect(seen.asGroup).toEqual(['dev', 'ops']);
  });
});

describe('StringSlice values', () => {
  it('splits on commas, keeps quoted commas, drops empties', () => {
    expect(splitCsv('a, b ,,c')).toEqual(['a', 'b', 'c']);
    expect(splitCsv('"x,y",z')).toEqual(['x,y', 'z']);
    expect(collectCsv('c', ['a', 'b'])).toEqual(['a', 'b', 'c']);
  });
});

describe('namespace', () => {
  it('defaults to FLUX_SYSTEM_NAMESPACE when it is a DNS label, else flux-system with a warning', () => {
    expect(defaultNamespace({})).toEqual({ namespace: 'flux-system' });
    expect(defaultNamespace({ FLUX_SYSTEM_NAMESPACE: 'flux-ops' })).toEqual({ namespace: 'flux-ops' });
    expect(defaultNamespace({ FLUX_SYSTEM_NAMESPACE: 'Bad_NS' })).toMatchObject({ namespace: 'flux-system', warning: expect.stringContaining('Bad_NS') });
  });
  const cmd = (ns: string, source: string, extra: Record<string, unknown> = {}): NamespaceCommand & { value: () => string } => {
    let v = ns;
    let src = source;
    return {
      opts: () => ({ namespace: v, ...extra }),
      getOptionValueSource: () => src,
      setOptionValueWithSource: (_k, value, s) => {
        v = String(value);
        src = s;
      },
      value: () => v,
    };
  };
  it('--ns-follows-kube-context (or its env) takes the context namespace unless -n was given', () => {
    const lookup = () => 'team-a';
    const a = cmd('flux-system', 'default', { nsFollowsKubeContext: true });
    resolveNamespace(a, {}, lookup);
    expect(a.value()).toBe('team-a');
    const b = cmd('flux-system', 'default');
    resolveNamespace(b, { FLUX_NS_FOLLOWS_KUBE_CONTEXT: 'true' }, lookup);
    expect(b.value()).toBe('team-a');
    const c = cmd('mine', 'cli', { nsFollowsKubeContext: true });
    resolveNamespace(c, {}, lookup);
    expect(c.value()).toBe('mine');
  });
  it('a namespace that is not a DNS label is a usage error', () => {
    expect(() => resolveNamespace(cmd('Not_A_Label', 'cli'), {})).toThrow(/namespace must be a valid DNS label: "Not_A_Label"/);
  });
});

describe('connection settings', () => {
  it('maps the kubectl flags and keeps only those given', () => {
    expect(connectionSettings({ server: 'https://k:6443', token: 't', as: 'jane', asGroup: ['a', 'b'], asUid: '7', kubeApiQps: '20', kubeApiBurst: '40' }, { KUBECONFIG: '/k' })).toEqual({
      server: 'https://k:6443',
      token: 't',
      actAs: { user: 'jane', groups: ['a', 'b'], uid: '7' },
      qps: 20,
      burst: 40,
      env: { KUBECONFIG: '/k' },
    });
  });
  it('refuses what kubectl refuses', () => {
    expect(() => connectionSettings({ asGroup: ['x'] }, {})).toThrow(/need --as USER/);
    expect(() => connectionSettings({ insecureSkipTlsVerify: true, certificateAuthority: 'ca.crt' }, {})).toThrow(/cannot be used together/);
    expect(() => connectionSettings({ server: 'not a url' }, {})).toThrow(/--server must be a URL/);
    expect(() => connectionSettings({ kubeApiQps: '-1' }, {})).toThrow(/--kube-api-qps/);
  });
});

describe('kubeconfig overrides (fast path)', () => {
  const dir = writeTree({
    'config.yaml': `apiVersion: v1
kind: Config
current-context: main
clusters:
- name: main
  cluster: {server: 'https://main.example:6443', certificate-authority: ca.crt, proxy-url: 'http://proxy.example:3128'}
- name: other
  cluster: {server: 'https://other.example:6443', insecure-skip-tls-verify: true}
contexts:
- name: main
  context: {cluster: main, user: alice, namespace: team-a}
users:
- name: alice
  user: {token: alice-token, as: bob, as-groups: [g1, g2], as-uid: '42'}
- name: carol
  user: {exec: {command: get-token}}
`,
    'ca.crt': 'MAIN-CA',
    'other-ca.crt': 'OTHER-CA',
  });
  const file = path.join(dir, 'config.yaml');
  it('reads proxy-url and the kubeconfig impersonation', () => {
    const c = loadStaticCredentials(file, undefined, {})!;
    expect(c.proxyUrl).toBe('http://proxy.example:3128');
    expect(c.headers['Impersonate-User']).toBe('bob');
    expect(c.headers['Impersonate-Group']).toEqual(['g1', 'g2']);
    expect(c.headers['Impersonate-Uid']).toBe('42');
  });
  it('--cluster, --server, --certificate-authority, --tls-server-name, --token and --as replace the entries', () => {
    const c = loadStaticCredentials(file, undefined, {}, {
      cluster: 'other',
      server: 'https://override:7443',
      certificateAuthority: path.join(dir, 'other-ca.crt'),
      tlsServerName: 'kubernetes',
      token: 'tok',
      actAs: { user: 'dave', groups: [] },
    })!;
    expect(c.server).toBe('https://override:7443');
    expect(c.ca?.toString()).toBe('OTHER-CA');
    expect(c.insecure).toBe(false);
    expect(c.serverName).toBe('kubernetes');
    expect(c.headers.Authorization).toBe('Bearer tok');
    expect(c.headers['Impersonate-User']).toBe('dave');
    expect(c.headers['Impersonate-Group']).toBeUndefined();
  });
  it('--insecure-skip-tls-verify drops the CA; --user picks another user; --token replaces an exec plugin', () => {
    const c = loadStaticCredentials(file, undefined, {}, { insecureSkipTlsVerify: true })!;
    expect(c.insecure).toBe(true);
    expect(c.ca).toBeUndefined();
    expect(loadStaticCredentials(file, undefined, {}, { user: 'carol' })).toBeUndefined();
    expect(loadStaticCredentials(file, undefined, {}, { user: 'carol', token: 'x' })!.headers.Authorization).toBe('Bearer x');
  });
  it('unknown --cluster / --user are errors naming them; --server works with no kubeconfig at all', () => {
    expect(() => loadStaticCredentials(file, undefined, {}, { cluster: 'nope' })).toThrow(/no cluster "nope"/);
    expect(() => loadStaticCredentials(file, undefined, {}, { user: 'nope' })).toThrow(/no user "nope"/);
    const c = loadStaticCredentials(undefined, undefined, { HOME: path.join(dir, 'nowhere') }, { server: 'https://x:1', token: 't' })!;
    expect(c.server).toBe('https://x:1');
    expect(c.headers.Authorization).toBe('Bearer t');
  });
  it('impersonation headers: flags win over the kubeconfig', () => {
    expect(impersonationHeaders({ as: 'a', 'as-groups': ['x'] }, { user: 'b', groups: ['y', 'z'] })).toEqual({ 'Impersonate-User': 'b', 'Impersonate-Group': ['y', 'z'] });
    expect(impersonationHeaders({}, undefined)).toEqual({});
  });
});

describe('proxy selection (Go net/http rules)', () => {
  const target = new URL('https://api.prod.example.com:6443');
  it('HTTPS_PROXY first, then https_proxy; a proxy without scheme is http', () => {
    expect(proxyFromEnvironment(target, { HTTPS_PROXY: 'proxy:3128' })?.href).toBe('http://proxy:3128/');
    expect(proxyFromEnvironment(target, { https_proxy: 'http://lower:1' })?.href).toBe('http://lower:1/');
    expect(proxyFromEnvironment(target, { HTTPS_PROXY: 'http://upper:1', https_proxy: 'http://lower:1' })?.href).toBe('http://upper:1/');
    expect(proxyFromEnvironment(target, { HTTP_PROXY: 'http://plain:1' })).toBeUndefined();
  });
  it('NO_PROXY: *, domains with and without a leading dot, ports, IPs and CIDR ranges', () => {
    const p = (NO_PROXY: string, t = target) => proxyFromEnvironment(t, { HTTPS_PROXY: 'http://p:1', NO_PROXY });
    expect(p('*')).toBeUndefined();
    expect(p('example.com')).toBeUndefined();
    expect(p('.example.com')).toBeUndefined();
    expect(p('prod.example.com:6443')).toBeUndefined();
    expect(p('prod.example.com:443')).toBeDefined();
    expect(p('other.com, ample.com')).toBeDefined();
    expect(p('10.0.0.0/8', new URL('https://10.1.2.3:6443'))).toBeUndefined();
    expect(p('10.0.0.0/8', new URL('https://11.1.2.3:6443'))).toBeDefined();
    expect(p('192.168.1.5', new URL('https://192.168.1.5'))).toBeUndefined();
    expect(proxyFromEnvironment(target, { HTTPS_PROXY: 'http://p:1', no_proxy: 'example.com' })).toBeUndefined();
  });
  it('localhost and loopback never use a proxy from the environment; kubeconfig proxy-url always applies', () => {
    expect(proxyFromEnvironment(new URL('https://127.0.0.1:6443'), { HTTPS_PROXY: 'http://p:1' })).toBeUndefined();
    expect(proxyFromEnvironment(new URL('https://localhost:6443'), { HTTPS_PROXY: 'http://p:1' })).toBeUndefined();
    expect(proxyFor(new URL('https://127.0.0.1:6443'), 'socks5://s:1080', {})?.protocol).toBe('socks5:');
    expect(proxyFor(target, 'http://kubeconfig:1', { HTTPS_PROXY: 'http://env:1' })?.host).toBe('kubeconfig:1');
  });
  it('rejects unsupported schemes and never shows proxy credentials', () => {
    expect(() => proxyFor(target, 'ftp://p:1', {})).toThrow(/scheme ftp is not supported/);
    expect(redactProxy('http://user:secret@proxy:3128')).toBe('http://proxy:3128');
  });
});

describe('--kube-api-qps / --kube-api-burst token bucket (fake clock)', () => {
  it('lets a burst through, then spaces requests 1/qps apart, in order', async () => {
    const { TokenBucket, rateLimiter } = await import('../../src/cluster/rate-limit.js');
    let now = 0;
    const slept: number[] = [];
    const clock = { now: () => now, sleep: async (ms: number) => { slept.push(ms); now += ms; } };
    const bucket = new TokenBucket(10, 3, clock);
    const order: number[] = [];
    await Promise.all([0, 1, 2, 3, 4].map((i) => bucket.take().then(() => order.push(i))));
    expect(order).toEqual([0, 1, 2, 3, 4]);
    // 3 from the burst, then one every 100 ms.
    expect(slept.map((ms) => Math.round(ms))).toEqual([100, 100]);
    expect(rateLimiter(undefined, 100)).toBeUndefined();
    expect(rateLimiter(5, undefined)).toBeInstanceOf(TokenBucket);
  });
});
