// Which remote kustomize references podo lets kustomize fetch (render/containment.ts remoteProblem), and
// the environment those fetches run in (process/git-env.ts fetchEnv).
import { describe, expect, it } from 'vitest';
import { remoteProblem } from '../../src/render/tree/containment.js';
import { fetchEnv } from '../../src/process/git-env.js';
import { openEgress, userProxy } from '../../src/render/kustomize/egress.js';
import http from 'node:http';
import type { AddressInfo } from 'node:net';

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

describe("the egress proxy of a fetching build (render/egress.ts)", () => {
  /** GET http://HOST:PORT/x through the proxy (plain http, absolute form), and a CONNECT to HOST:PORT. */
  const through = async (proxyUrl: string, host: string, port: number): Promise<{ get: number; connect: number }> => {
    const proxy = new URL(proxyUrl);
    const get = await new Promise<number>((resolve, reject) => {
      http
        .get({ host: proxy.hostname, port: proxy.port, path: `http://${host}:${port}/x`, headers: { host: `${host}:${port}` } }, (res) => {
          res.resume();
          resolve(res.statusCode ?? 0);
        })
        .on('error', reject);
    });
    const connect = await new Promise<number>((resolve, reject) => {
      const req = http.request({ host: proxy.hostname, port: proxy.port, method: 'CONNECT', path: `${host}:${port}` });
      req.on('connect', (res, socket) => {
        socket.destroy();
        resolve(res.statusCode ?? 0);
      });
      req.on('error', reject);
      req.end();
    });
    return { get, connect };
  };

  it('checks the address a name resolves to: loopback refused unless allowed, and says what it refused', async () => {
    const server = http.createServer((_req, res) => res.end('ok'));
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const port = (server.address() as AddressInfo).port;
    try {
      const closed = await openEgress({ fetch: true, loopback: false });
      expect(await through(closed.env.HTTPS_PROXY!, 'localhost', port)).toEqual({ get: 403, connect: 403 });
      expect(closed.refused()).toEqual([`localhost:${port} (the loopback host 127.0.0.1)`, `localhost:${port} (the loopback host 127.0.0.1)`]);
      closed.close();
      const open = await openEgress({ fetch: true, loopback: true });
      expect(await through(open.env.HTTP_PROXY!, 'localhost', port)).toEqual({ get: 200, connect: 200 });
      expect(open.refused()).toEqual([]);
      open.close();
    } finally {
      server.close();
    }
  });

  it("steps aside for a proxy of the user's own", () => {
    expect(userProxy({ HTTPS_PROXY: 'http://corp:3128' })).toBe(true);
    expect(userProxy({ https_proxy: '' })).toBe(false);
  });
});
