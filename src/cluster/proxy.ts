// Proxies as kubectl (client-go) uses them: the kubeconfig cluster's `proxy-url` first, else
// HTTPS_PROXY / NO_PROXY by Go's net/http rules (golang.org/x/net/http/httpproxy). The agents come from
// the proxy-agents project (https-proxy-agent for http/https proxies with CONNECT, socks-proxy-agent for
// socks5), so the keep-alive pool and TLS options work as with a plain https.Agent.
import https from 'node:https';
import net from 'node:net';
import { createRequire } from 'node:module';
import type { HttpsProxyAgent } from 'https-proxy-agent';
import type { SocksProxyAgent } from 'socks-proxy-agent';
import { InputError } from '../model/errors.js';

/** First non-empty of the names, in order: Go reads the upper-case spelling first. */
function envAny(env: NodeJS.ProcessEnv, ...names: string[]): string {
  for (const n of names) {
    const v = env[n];
    if (v) return v;
  }
  return '';
}

/** Go's parseProxy: a proxy without a scheme is http://. */
export function parseProxyUrl(value: string, where: string): URL {
  const withScheme = /^[a-zA-Z][a-zA-Z0-9+.-]*:\/\//.test(value) ? value : `http://${value}`;
  let url: URL;
  try {
    url = new URL(withScheme);
  } catch {
    throw new InputError(`${where}: proxy "${redactProxy(value)}" is not a URL`);
  }
  if (!['http:', 'https:', 'socks5:', 'socks5h:'].includes(url.protocol)) {
    throw new InputError(`${where}: proxy scheme ${url.protocol.slice(0, -1)} is not supported (http, https or socks5)`);
  }
  return url;
}

/** A proxy URL fit for a message: never its credentials. */
export function redactProxy(value: string | URL): string {
  try {
    const u = new URL(String(value));
    u.username = '';
    u.password = '';
    return u.href.replace(/\/$/, '');
  } catch {
    return String(value).replace(/\/\/[^@/]*@/, '//');
  }
}

/**
 * The proxy HTTPS_PROXY / https_proxy names for an https target, unless NO_PROXY / no_proxy excludes it.
 * As in Go: localhost and loopback addresses never go through a proxy from the environment; NO_PROXY
 * entries are `*`, IPs, CIDR ranges, or domains (`example.com` matches it and its subdomains,
 * `.example.com` only subdomains), each optionally with `:port`.
 */
export function proxyFromEnvironment(target: URL, env: NodeJS.ProcessEnv): URL | undefined {
  const proxy = envAny(env, 'HTTPS_PROXY', 'https_proxy');
  if (!proxy) return undefined;
  const host = target.hostname.replace(/^\[|\]$/g, '').toLowerCase();
  const port = target.port || (target.protocol === 'http:' ? '80' : '443');
  if (host === 'localhost' || isLoopback(host)) return undefined;
  if (excludedByNoProxy(host, port, envAny(env, 'NO_PROXY', 'no_proxy'))) return undefined;
  return parseProxyUrl(proxy, 'HTTPS_PROXY');
}

function isLoopback(host: string): boolean {
  if (net.isIPv4(host)) return host.startsWith('127.');
  if (net.isIPv6(host)) return host === '::1' || host === '0:0:0:0:0:0:0:1';
  return false;
}

function excludedByNoProxy(host: string, port: string, noProxy: string): boolean {
  for (let entry of noProxy.split(',')) {
    entry = entry.trim().toLowerCase();
    if (!entry) continue;
    if (entry === '*') return true;
    if (entry.includes('/')) {
      if (net.isIP(host) && inCidr(host, entry)) return true;
      continue;
    }
    let entryHost = entry;
    let entryPort = '';
    const m = /^(\[[^\]]+\]|[^:]+|[0-9a-f:]+)(?::(\d+))?$/.exec(entry);
    if (net.isIPv6(entry)) entryHost = entry;
    else if (m) {
      entryHost = m[1].replace(/^\[|\]$/g, '');
      entryPort = m[2] ?? '';
    }
    if (entryPort && entryPort !== port) continue;
    if (net.isIP(entryHost)) {
      if (entryHost === host) return true;
      continue;
    }
    if (entryHost.startsWith('*')) entryHost = entryHost.slice(1);
    if (entryHost.startsWith('.')) {
      if (host.endsWith(entryHost)) return true;
    } else if (host === entryHost || host.endsWith(`.${entryHost}`)) {
      return true;
    }
  }
  return false;
}

function inCidr(ip: string, cidr: string): boolean {
  const [base, bitsText] = cidr.split('/');
  const bits = Number(bitsText);
  if (!net.isIP(base) || !Number.isInteger(bits)) return false;
  const list = new net.BlockList();
  try {
    list.addSubnet(base, bits, net.isIPv6(base) ? 'ipv6' : 'ipv4');
  } catch {
    return false;
  }
  return list.check(ip, net.isIPv6(ip) ? 'ipv6' : 'ipv4');
}

/** The proxy for the API server: kubeconfig `proxy-url` wins over the environment, as in client-go. */
export function proxyFor(server: URL, proxyUrl: string | undefined, env: NodeJS.ProcessEnv): URL | undefined {
  if (proxyUrl) return parseProxyUrl(proxyUrl, 'kubeconfig proxy-url');
  return proxyFromEnvironment(server, env);
}

/** The TLS options of the connection to the API server (not to the proxy). */
const TLS_KEYS = ['ca', 'cert', 'key', 'pfx', 'passphrase', 'rejectUnauthorized', 'servername'] as const;

function tlsOptions(opts: https.AgentOptions): Partial<https.AgentOptions> {
  const out: Partial<https.AgentOptions> = {};
  for (const k of TLS_KEYS) if (opts[k] !== undefined) (out as Record<string, unknown>)[k] = opts[k];
  return out;
}

/**
 * https-proxy-agent keeps no agent-level TLS options (it resets `options`), and both agents would also
 * use them for a TLS connection to the proxy itself. So the proxy connection gets only the pool options,
 * and the API server's CA, client certificate and server name are added to each tunnelled connection.
 * The agent packages are loaded only when a proxy is configured: most runs have none, and loading them
 * costs every run's start-up some 50 ms.
 */
function proxiedAgent(proxy: URL, pool: https.AgentOptions, tls: Partial<https.AgentOptions>): https.Agent {
  const require = createRequire(import.meta.url);
  if (proxy.protocol === 'socks5:' || proxy.protocol === 'socks5h:') {
    const { SocksProxyAgent: Base } = require('socks-proxy-agent') as { SocksProxyAgent: typeof SocksProxyAgent };
    class ProxiedSocksAgent extends Base {
      override connect(req: Parameters<SocksProxyAgent['connect']>[0], opts: Parameters<SocksProxyAgent['connect']>[1]) {
        return super.connect(req, { ...opts, ...tls } as typeof opts);
      }
    }
    // Go's SOCKS5 dialer hands the host name to the proxy: that is socks5h here.
    const url = new URL(proxy.href);
    url.protocol = 'socks5h:';
    return new ProxiedSocksAgent(url, pool) as unknown as https.Agent;
  }
  const { HttpsProxyAgent: Base } = require('https-proxy-agent') as { HttpsProxyAgent: typeof HttpsProxyAgent };
  class ProxiedHttpsAgent extends Base<string> {
    override connect(req: Parameters<HttpsProxyAgent<string>['connect']>[0], opts: Parameters<HttpsProxyAgent<string>['connect']>[1]) {
      return super.connect(req, { ...opts, ...tls } as typeof opts);
    }
  }
  return new ProxiedHttpsAgent(proxy.href, pool) as unknown as https.Agent;
}

/** One keep-alive agent for the API server, through the proxy when there is one. */
export function createAgent(opts: https.AgentOptions, proxy: URL | undefined): https.Agent {
  const options: https.AgentOptions = { keepAlive: true, ...opts };
  if (!proxy) return new https.Agent(options);
  return proxiedAgent(proxy, { keepAlive: true, maxSockets: opts.maxSockets }, tlsOptions(opts));
}
