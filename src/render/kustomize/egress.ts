// The door a fetching kustomize build goes out through. podo checks the URLs a repository names
// (tree/containment.ts remoteProblem), but kustomize follows redirects, resolves host names and fetches remote
// references found inside fetched content: a pull request could lead it from `https://attacker/x.yaml`
// to the cloud metadata address or to a service on this machine. So a build that fetches gets its own
// HTTP proxy on loopback (HTTP_PROXY/HTTPS_PROXY, NO_PROXY empty): every connection kustomize and git
// make through it is checked on the address it really goes to, after resolution, and refused when only
// this machine reaches it. Go's HTTP client sends loopback IP literals and `localhost` around any proxy
// (golang.org/x/net/http/httpproxy useProxy); those names are refused by remoteProblem when written in
// the repository, and a redirect to them is the remaining case (docs/security.md).
//
// With a proxy of the user's own in the environment, podo steps aside: the user's proxy is their
// egress policy, and kustomize-controller honours it the same way.
import dns from 'node:dns/promises';
import http from 'node:http';
import net from 'node:net';
import type { RemoteBases } from '../../model/settings.js';
import { addressProblem } from '../tree/containment.js';

export interface Egress {
  /** The proxy variables for the child. */
  env: NodeJS.ProcessEnv;
  /** `host:port (why)` of every connection refused so far, in order. */
  refused(): string[];
  close(): void;
}

const PROXY_VARIABLES = ['HTTPS_PROXY', 'HTTP_PROXY', 'ALL_PROXY', 'https_proxy', 'http_proxy', 'all_proxy'];

/** True when ENV names a proxy of the user's: podo does not interpose its own. */
export function userProxy(env: NodeJS.ProcessEnv): boolean {
  return PROXY_VARIABLES.some((k) => (env[k] ?? '') !== '');
}

/** Starts a checking proxy on a loopback port for one build. */
export async function openEgress(policy: RemoteBases | undefined): Promise<Egress> {
  const refusals: string[] = [];
  const sockets = new Set<net.Socket>();
  const track = (s: net.Socket) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
    s.on('error', () => s.destroy());
  };

  /** The address to connect to for HOST, or undefined (recorded) when it is refused or unknown. */
  const resolve = async (host: string, port: number): Promise<string | undefined> => {
    const bare = host.replace(/^\[|\]$/g, '');
    let addresses: string[];
    try {
      addresses = net.isIP(bare) ? [bare] : (await dns.lookup(bare, { all: true, verbatim: true })).map((a) => a.address);
    } catch {
      return undefined;
    }
    // Every address the name has: the one connected to must not be a pick among allowed and refused ones.
    for (const a of addresses) {
      const why = addressProblem(a, policy?.loopback === true);
      if (why) {
        refusals.push(`${bare}:${port} (${why})`);
        return undefined;
      }
    }
    return addresses[0];
  };

  const server = http.createServer((req, res) => {
    // A plain-http request in absolute form: `GET http://host/path`.
    let url: URL;
    try {
      url = new URL(req.url ?? '');
    } catch {
      res.writeHead(400).end();
      return;
    }
    const port = Number(url.port || 80);
    void resolve(url.hostname, port).then((address) => {
      if (!address || url.protocol !== 'http:') {
        res.writeHead(403).end();
        return;
      }
      const headers: http.OutgoingHttpHeaders = { ...req.headers, host: url.host };
      delete headers['proxy-connection'];
      delete headers['proxy-authorization'];
      const upstream = http.request({ host: address, port, method: req.method, path: `${url.pathname}${url.search}`, headers }, (up) => {
        res.writeHead(up.statusCode ?? 502, up.headers);
        up.pipe(res);
      });
      upstream.on('error', () => res.destroy());
      req.pipe(upstream);
    });
  });
  server.on('connection', track);
  server.on('connect', (req: http.IncomingMessage, client: net.Socket, head: Buffer) => {
    // An https (or any TLS) connection: `CONNECT host:443`.
    track(client);
    const m = /^(\[[^\]]+\]|[^:]+):(\d+)$/.exec(req.url ?? '');
    if (!m) {
      client.end('HTTP/1.1 400 Bad Request\r\n\r\n');
      return;
    }
    const port = Number(m[2]);
    void resolve(m[1], port).then((address) => {
      if (!address) {
        client.end('HTTP/1.1 403 Forbidden\r\n\r\n');
        return;
      }
      const upstream = net.connect({ host: address, port }, () => {
        client.write('HTTP/1.1 200 Connection Established\r\n\r\n');
        if (head.length > 0) upstream.write(head);
        upstream.pipe(client);
        client.pipe(upstream);
      });
      track(upstream);
      upstream.on('close', () => client.destroy());
      client.on('close', () => upstream.destroy());
    });
  });
  await new Promise<void>((ok, fail) => {
    server.once('error', fail);
    server.listen(0, '127.0.0.1', () => ok());
  });
  // Nothing in podo waits for it: the run ends whether or not a build closed its door.
  server.unref();
  const url = `http://127.0.0.1:${(server.address() as net.AddressInfo).port}`;
  return {
    env: { HTTPS_PROXY: url, HTTP_PROXY: url, https_proxy: url, http_proxy: url, ALL_PROXY: '', all_proxy: '', NO_PROXY: '', no_proxy: '' },
    refused: () => [...refusals],
    close: () => {
      for (const s of sockets) s.destroy();
      server.close();
    },
  };
}
