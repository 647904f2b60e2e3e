// OCI references as source-controller reads them: ref.semver against a tag list (semverFilter, lenient
// versions, Masterminds comma ranges), registry credentials from a Secret, the registry config helm gets.
import { describe, expect, it } from 'vitest';
import { credentialsFor, parseOciUrl, pickSemverTag, registryConfig } from '../../src/render/helm/oci.js';

describe('pickSemverTag', () => {
  const tags = ['latest', '1.0.0', 'v1.1.0', '1.2', '1.3.0-rc.1', '2.0.0', 'sha-abc123', '1.1.5-debug'];
  it('picks the highest tag in the range, leaving prereleases and non-versions out', () => {
    expect(pickSemverTag(tags, '>=1.0.0 <2.0.0')).toBe('1.2');
    expect(pickSemverTag(tags, '>=1.0.0, <1.2.0')).toBe('v1.1.0');
    expect(pickSemverTag(tags, '*')).toBe('2.0.0');
    expect(pickSemverTag(tags, '>=1.3.0-0 <2.0.0')).toBe('1.3.0-rc.1');
    expect(pickSemverTag(tags, '>=3.0.0')).toBeUndefined();
  });
  it('semverFilter narrows the tags first', () => {
    expect(pickSemverTag(tags, '>=1.0.0-0', '.*-debug$')).toBe('1.1.5-debug');
    expect(pickSemverTag(tags, '>=1.0.0', '^1\\.0')).toBe('1.0.0');
  });
  it('a bad range or filter is the source’s error', () => {
    expect(() => pickSemverTag(tags, 'not a range')).toThrow('ref.semver "not a range" is not a semantic version range');
    expect(() => pickSemverTag(tags, '*', '(')).toThrow('ref.semverFilter "(" is not a regular expression');
  });
});

describe('registry credentials', () => {
  const host = '127.0.0.1:5000';
  it('from a dockerconfigjson, matched by host (with or without scheme), auth or username/password', () => {
    const auth = Buffer.from('me:s3cret:with:colons').toString('base64');
    expect(credentialsFor(host, { '.dockerconfigjson': JSON.stringify({ auths: { [`https://${host}/v1/`]: { auth } } }) })).toEqual({ username: 'me', password: 's3cret:with:colons' });
    expect(credentialsFor(host, { '.dockerconfigjson': JSON.stringify({ auths: { [host]: { username: 'u', password: 'p' } } }) })).toEqual({ username: 'u', password: 'p' });
    expect(credentialsFor(host, { '.dockerconfigjson': JSON.stringify({ auths: { 'ghcr.io': { auth } } }) })).toBeUndefined();
    expect(credentialsFor(host, { username: 'u', password: 'p' })).toEqual({ username: 'u', password: 'p' });
    expect(() => credentialsFor(host, { '.dockerconfigjson': '{' })).toThrow('its .dockerconfigjson is not JSON');
  });
  it('helm gets a registry config with that one host', () => {
    expect(JSON.parse(registryConfig(host, { username: 'u', password: 'p' }))).toEqual({ auths: { [host]: { auth: Buffer.from('u:p').toString('base64') } } });
  });
  it('parses oci:// URLs', () => {
    expect(parseOciUrl('oci://ghcr.io/stefanprodan/charts/podinfo/')).toEqual({ host: 'ghcr.io', repository: 'stefanprodan/charts/podinfo' });
    expect(parseOciUrl('https://ghcr.io/x')).toBeUndefined();
    expect(parseOciUrl('oci://user:pw@ghcr.io/x')).toBeUndefined();
  });
});

describe('listTags against a registry with Bearer token auth (a loopback server speaking the distribution token flow)', () => {
  it('gets a token from the realm with the credentials, follows Link pages; credentials never go to a realm elsewhere over http', async () => {
    const { createServer } = await import('node:http');
    const { listTags } = await import('../../src/render/helm/oci.js');
    const seen: { host: string; url: string; auth?: string }[] = [];
    const basic = `Basic ${Buffer.from('me:CANARY-token-pw').toString('base64')}`;
    let realmHost = '';
    const server = createServer((req, res) => {
      seen.push({ host: String(req.headers.host), url: String(req.url), auth: req.headers.authorization });
      if (req.url?.startsWith('/token')) {
        res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ token: req.headers.authorization === basic ? 'good-token' : 'anonymous-token' }));
        return;
      }
      if (req.headers.authorization !== 'Bearer good-token') {
        res.writeHead(401, { 'www-authenticate': `Bearer realm="http://${realmHost}/token",service="podo-test",scope="repository:charts/app:pull"` }).end();
        return;
      }
      if (req.url === '/v2/charts/app/tags/list?n=1000') {
        res.writeHead(200, { link: '</v2/charts/app/tags/list?n=1000&last=1.0.0>; rel="next"' }).end(JSON.stringify({ name: 'charts/app', tags: ['1.0.0'] }));
        return;
      }
      res.writeHead(200).end(JSON.stringify({ name: 'charts/app', tags: ['1.1.0'] }));
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const port = (server.address() as { port: number }).port;
    try {
      realmHost = `127.0.0.1:${port}`;
      const ref = { host: `127.0.0.1:${port}`, repository: 'charts/app', insecure: true, auth: { username: 'me', password: 'CANARY-token-pw' } };
      expect(await listTags(ref)).toEqual(['1.0.0', '1.1.0']);
      expect(seen.find((s) => s.url.startsWith('/token'))).toMatchObject({ url: '/token?service=podo-test&scope=repository%3Acharts%2Fapp%3Apull', auth: basic });
      // The same server under another name: a realm on another host over plain http gets no credentials.
      seen.length = 0;
      realmHost = `localhost:${port}`;
      await expect(listTags(ref)).rejects.toThrow(`listing the tags of 127.0.0.1:${port}/charts/app failed: HTTP 401`);
      const token = seen.find((s) => s.url.startsWith('/token'));
      expect(token?.host).toBe(`localhost:${port}`);
      expect(token?.auth).toBeUndefined();
    } finally {
      server.close();
    }
  });
});
