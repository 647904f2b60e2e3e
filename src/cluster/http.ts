// One keep-alive HTTPS client for the API server, with retries for throttling and transient failures.
import https from 'node:https';
import type { Connection } from './kubeconfig.js';
import { ClusterError } from '../model/errors.js';
import { isJsonObject, type JsonObject, type JsonValue } from '../model/object.js';

export interface ApiStatus {
  reason?: string;
  message?: string;
  details?: JsonObject;
}

/** An API server answer that is not 2xx, with the server's Status when it sent one. */
export class ApiError extends ClusterError {
  constructor(
    message: string,
    override readonly status: number,
    readonly verb: string,
    readonly path: string,
    readonly apiStatus: ApiStatus,
  ) {
    super(message, status);
  }
}

/** The deadline passed while a request was still waiting to be (re)tried. */
export class DeadlineError extends ClusterError {}

/** An answer longer than the request's maxBodyBytes: it was cut off, never retried. */
export class BodyTooLargeError extends ClusterError {}

export interface RequestOptions {
  method: 'GET' | 'PATCH' | 'POST';
  path: string;
  query?: Record<string, string>;
  body?: JsonValue;
  contentType?: string;
  /** Retry 500 too (safe for reads; an apply's 500 is usually the object's own error). */
  retryServerErrors?: boolean;
  /** Extra request headers (impersonation: a list value is sent as repeated headers). */
  headers?: Record<string, string | string[]>;
  /** Stop reading an answer longer than this (BodyTooLargeError): a caller with a cheaper way to ask. */
  maxBodyBytes?: number;
}

export interface Response {
  status: number;
  body: JsonValue;
  /** The body was not JSON (a proxy's HTML page, a wrong URL): never trusted as an answer. */
  notJson?: boolean;
  /** Seconds the server asked us to wait (Retry-After on 429/503). */
  retryAfter?: number;
}

export const USER_AGENT = `podo (node ${process.version})`;

const TRANSIENT_CODES = new Set(['ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'EAI_AGAIN', 'ECONNABORTED', 'UND_ERR_SOCKET']);

export class KubeHttp {
  constructor(
    private readonly conn: Connection,
    /** Absolute time (ms since epoch) after which no request is (re)tried. */
    readonly deadline: number,
    private readonly maxAttempts = 8,
  ) {}

  get identity(): string {
    return this.conn.identity;
  }

  /** The same connection (and so the same request pool), with an earlier deadline for what is sent through it. */
  withDeadline(deadline: number): KubeHttp {
    return new KubeHttp(this.conn, Math.min(deadline, this.deadline), this.maxAttempts);
  }

  async request(opts: RequestOptions): Promise<Response> {
    let attempt = 0;
    for (;;) {
      attempt++;
      let res: Response;
      try {
        await this.conn.limiter?.take();
        res = await this.once(opts);
      } catch (err) {
        const code = (err as NodeJS.ErrnoException).code ?? '';
        if (err instanceof DeadlineError || err instanceof BodyTooLargeError) throw err;
        if (!TRANSIENT_CODES.has(code) || attempt >= this.maxAttempts) {
          throw new ClusterError(`cannot reach the cluster at ${this.conn.server.origin}${this.conn.proxy ? ` through proxy ${this.conn.proxy}` : ''}: ${describeNetError(err)}`);
        }
        await this.backoff(attempt, undefined, opts);
        continue;
      }
      // Bad credentials are never about one object: stop the whole run with one line.
      if (res.status === 401) throw new ClusterError(`unauthorized: the cluster rejected the credentials of ${this.conn.identity} (401)`, 401);
      // Throttling is retried for as long as --timeout allows (the server asked us to wait, nothing is
      // wrong); other transient failures a bounded number of times.
      const throttled = res.status === 429;
      const transient = res.status === 502 || res.status === 503 || res.status === 504 || (opts.retryServerErrors === true && res.status >= 500);
      if (throttled || (transient && attempt < this.maxAttempts)) {
        await this.backoff(attempt, res.retryAfter, opts);
        continue;
      }
      if (res.status >= 200 && res.status < 300 && res.notJson) throw notJsonError(this.conn.server, opts);
      return res;
    }
  }

  /** Like request, but a non-2xx answer becomes an ApiError. */
  async json(opts: RequestOptions): Promise<JsonValue> {
    const res = await this.request(opts);
    if (res.status >= 200 && res.status < 300) return res.body;
    throw toApiError(res, opts.method, opts.path);
  }

  private async backoff(attempt: number, retryAfter: number | undefined, opts: RequestOptions): Promise<void> {
    // Exponential backoff with full jitter, capped, and never past the deadline; a server that says
    // how long to wait (Retry-After) is obeyed, as long as that still fits before the deadline.
    const base = Math.min(4000, 100 * 2 ** Math.min(attempt - 1, 6));
    const wait = retryAfter !== undefined ? retryAfter * 1000 : Math.random() * base + 50;
    if (Date.now() + wait > this.deadline) {
      throw new DeadlineError(`timed out waiting to retry ${opts.method} ${opts.path}`);
    }
    await new Promise((r) => setTimeout(r, wait));
  }

  private once(opts: RequestOptions): Promise<Response> {
    const remaining = this.deadline - Date.now();
    if (remaining <= 0) return Promise.reject(new DeadlineError(`timed out before ${opts.method} ${opts.path}`));
    const url = new URL(this.conn.server.href.replace(/\/$/, '') + opts.path);
    for (const [k, v] of Object.entries(opts.query ?? {})) url.searchParams.set(k, v);
    const payload = opts.body === undefined ? undefined : Buffer.from(JSON.stringify(opts.body));
    // Named, so the API server's audit log tells podo's requests apart (tests rely on it).
    // A request that impersonates (a Kustomization's service account) replaces --as/--as-group/--as-uid
    // as a whole: Impersonate-* headers of two identities must never mix.
    const base = opts.headers && Object.keys(opts.headers).some(isImpersonation) ? withoutImpersonation(this.conn.headers) : this.conn.headers;
    const headers: Record<string, string | string[]> = { ...base, ...opts.headers, Accept: 'application/json', 'User-Agent': USER_AGENT };
    if (payload) {
      headers['Content-Type'] = opts.contentType ?? 'application/json';
      headers['Content-Length'] = String(payload.length);
    }
    return new Promise<Response>((resolve, reject) => {
      const req = https.request(
        url,
        { method: opts.method, agent: this.conn.agent, headers, timeout: Math.min(remaining, 60_000) },
        (res) => {
          const chunks: Buffer[] = [];
          let size = 0;
          res.on('data', (c: Buffer) => {
            size += c.length;
            if (opts.maxBodyBytes !== undefined && size > opts.maxBodyBytes) {
              req.destroy();
              reject(new BodyTooLargeError(`${opts.method} ${opts.path}: the answer is larger than ${opts.maxBodyBytes} bytes`));
              return;
            }
            chunks.push(c);
          });
          res.on('error', reject);
          res.on('end', () => {
            const text = Buffer.concat(chunks).toString('utf8');
            let body: JsonValue = null;
            if (text.length > 0) {
              try {
                body = JSON.parse(text) as JsonValue;
              } catch {
                // Not quoted: whatever answered is not the API server, and its page is no message for the user.
                body = { [NOT_JSON]: true, message: `the server at ${this.conn.server.origin} did not answer with JSON (HTTP ${res.statusCode ?? 0})` };
              }
            }
            resolve({ status: res.statusCode ?? 0, body, notJson: text.length > 0 && isJsonObject(body) && body[NOT_JSON] === true, retryAfter: parseRetryAfter(res.headers['retry-after']) });
          });
        },
      );
      req.on('timeout', () => {
        const e = new Error('request timed out') as NodeJS.ErrnoException;
        e.code = 'ETIMEDOUT';
        req.destroy(e);
      });
      req.on('error', reject);
      if (payload) req.write(payload);
      req.end();
    });
  }
}

export function toApiError(res: Response, verb: string, path: string): ApiError {
  const st: ApiStatus = isJsonObject(res.body)
    ? {
        reason: typeof res.body.reason === 'string' ? res.body.reason : undefined,
        message: typeof res.body.message === 'string' ? res.body.message : undefined,
        details: isJsonObject(res.body.details) ? res.body.details : undefined,
      }
    : {};
  return new ApiError(st.message ?? `HTTP ${res.status}`, res.status, verb, path, st);
}

const NOT_JSON = 'podo.notJson';

function notJsonError(server: URL, opts: RequestOptions): ClusterError {
  return new ClusterError(`the server at ${server.origin} did not answer ${opts.method} ${opts.path} with JSON: is this the Kubernetes API server?`);
}

/** Retry-After as seconds (RFC 9110: delay-seconds or an HTTP date); undefined when absent or malformed. */
export function parseRetryAfter(v: string | string[] | undefined): number | undefined {
  const s = Array.isArray(v) ? v[0] : v;
  if (!s) return undefined;
  if (/^\d+$/.test(s.trim())) return Math.min(Number(s.trim()), 3600);
  const t = Date.parse(s);
  return Number.isNaN(t) ? undefined : Math.max(0, Math.min((t - Date.now()) / 1000, 3600));
}

function describeNetError(err: unknown): string {
  const e = err as NodeJS.ErrnoException;
  if (e.code === 'ECONNREFUSED') return 'connection refused';
  if (e.code === 'ENOTFOUND') return 'host not found';
  if (e.code === 'ETIMEDOUT') return 'connection timed out';
  if (e.code && e.code.startsWith('ERR_TLS') || /certificate/i.test(e.message ?? '')) return `TLS error (${e.message})`;
  return e.message ?? String(err);
}

function isImpersonation(header: string): boolean {
  return header.toLowerCase().startsWith('impersonate-');
}

function withoutImpersonation(headers: Record<string, string | string[]>): Record<string, string | string[]> {
  return Object.fromEntries(Object.entries(headers).filter(([k]) => !isImpersonation(k)));
}
