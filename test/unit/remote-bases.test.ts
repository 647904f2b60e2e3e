// Which remote kustomize references podo lets kustomize fetch (render/containment.ts remoteProblem), and
// the environment those fetches run in (process/git-env.ts fetchEnv).
import { describe, expect, it } from 'vitest';
import { remoteProblem } from '../../src/render/containment.js';
import { fetchEnv } from '../../src/process/git-env.js';

const fetch = { fetch: true, loopback: false };

describe('remote references', () => {
  it('http(s) files and git repositories over http(s) are fetched, as kustomize-controller fetches them', () => {
    for (const ref of [
      'https://github.com/fluxcd/flux2/releases/download/v2.4.0/install.yaml',
      'https://github.com/org/repo//deploy?ref=v1.2.3',
      'github.com/org/repo//deploy?ref=v1.2.3',
      'git::https://gitlab.example.com/org/repo.git//base?ref=main',
      'http://10.0.0.5/manifests.yaml',
    ]) {
      expect(remoteProblem(ref, fetch), ref).toBeUndefined();
    }
  });

  it('--no-remote-bases refuses every one', () => {
    expect(remoteProblem('https://example.com/x.yaml', { fetch: false, loopback: true })).toBe('remote resources are refused (--no-remote-bases)');
  });

  it("transports that read this machine's files or use its credentials are refused", () => {
    for (const ref of ['file:///etc//x?ref=main', 'git::file:///home/u/repo//x', 'ssh://git@github.com/org/repo//x?ref=v1', 'git@github.com:org/repo//x?ref=v1', 'ext::sh -c id//x?ref=v1']) {
      expect(remoteProblem(ref, fetch), ref).toMatch(/^only http\(s\) remote resources are fetched/);
    }
  });

  it('hosts only this machine reaches are refused, in every spelling the URL parser knows', () => {
    const cases: Array<[string, RegExp]> = [
      ['http://169.254.169.254/latest/meta-data/', /link-local \(cloud metadata\) host 169\.254\.169\.254/],
      ['http://[fd00:ec2::254]/x', /link-local/],
      ['http://metadata.google.internal/computeMetadata/v1/', /link-local/],
      ['http://[::ffff:169.254.169.254]/x', /link-local/],
      ['http://127.0.0.1:8080/x.yaml', /loopback host 127\.0\.0\.1/],
      ['http://2130706433/x.yaml', /loopback host 127\.0\.0\.1/],
      ['http://0x7f.1/x.yaml', /loopback host 127\.0\.0\.1/],
      ['http://localhost./x.yaml', /loopback host localhost/],
      ['https://api.localhost/x', /loopback/],
      ['http://[::1]/x', /loopback host ::1/],
      ['http://[::ffff:127.0.0.1]/x', /loopback/],
      ['http://0.0.0.0:80/x', /unspecified/],
    ];
    for (const [ref, why] of cases) expect(remoteProblem(ref, fetch), ref).toMatch(why);
  });

  it('loopback is fetched only when allowed (PODO_ALLOW_LOOPBACK_REMOTE=1); link-local never', () => {
    const allow = { fetch: true, loopback: true };
    expect(remoteProblem('http://127.0.0.1:8080/x.yaml', allow)).toBeUndefined();
    expect(remoteProblem('http://169.254.169.254/x', allow)).toMatch(/link-local/);
  });
});

describe('the environment of a kustomize build that may fetch', () => {
  it("keeps the user's proxies but none of git's configuration, credentials or transports beyond http(s)", () => {
    const env = fetchEnv({
      PATH: '/usr/bin',
      HOME: '/home/u',
      HTTPS_PROXY: 'http://proxy:3128',
      NO_PROXY: 'internal',
      GIT_CONFIG_GLOBAL: '/home/u/.gitconfig',
      GIT_CONFIG_COUNT: '1',
      GIT_CONFIG_KEY_0: 'url./tmp/x.insteadOf',
      GIT_CONFIG_VALUE_0: 'https://github.com/',
      GIT_SSH_COMMAND: 'ssh -i key',
      GIT_ASKPASS: '/usr/bin/askpass',
      SSH_AUTH_SOCK: '/tmp/agent',
      XDG_CONFIG_HOME: '/home/u/.config',
    });
    expect(env).toEqual({
      PATH: '/usr/bin',
      HTTPS_PROXY: 'http://proxy:3128',
      NO_PROXY: 'internal',
      HOME: '/nonexistent',
      GIT_CONFIG_NOSYSTEM: '1',
      GIT_CONFIG_GLOBAL: '/dev/null',
      GIT_TERMINAL_PROMPT: '0',
      GIT_ALLOW_PROTOCOL: 'http:https',
      GIT_SSH_COMMAND: 'false',
    });
  });
});
