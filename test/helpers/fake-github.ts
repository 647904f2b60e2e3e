// A loopback HTTP server standing in for GitHub's issue-comment REST API (list with pagination, create,
// update, delete), recording every request: the action's comment script talks to it through GITHUB_API_URL.
import http from 'node:http';
import type { AddressInfo } from 'node:net';

export interface Comment {
  id: number;
  body: string;
}

export interface RecordedRequest {
  method: string;
  path: string;
  authorization: string;
  body?: { body?: string };
}

export interface FakeGitHub {
  url: string;
  comments: Map<number, Comment[]>;
  requests: RecordedRequest[];
  close(): Promise<void>;
}

export async function startFakeGitHub(repository: string): Promise<FakeGitHub> {
  const comments = new Map<number, Comment[]>();
  const requests: RecordedRequest[] = [];
  let nextId = 1000;
  const byId = (id: number): [Comment[], number] | undefined => {
    for (const list of comments.values()) {
      const i = list.findIndex((c) => c.id === id);
      if (i >= 0) return [list, i];
    }
    return undefined;
  };
  const server = http.createServer((req, res) => {
    let raw = '';
    req.on('data', (d: Buffer) => (raw += d.toString()));
    req.on('end', () => {
      const url = new URL(req.url ?? '/', 'http://x');
      const body = raw ? (JSON.parse(raw) as { body?: string }) : undefined;
      requests.push({ method: req.method ?? '', path: url.pathname + url.search, authorization: req.headers.authorization ?? '', body });
      const send = (status: number, json?: unknown) => {
        res.writeHead(status, { 'Content-Type': 'application/json' });
        res.end(json === undefined ? '' : JSON.stringify(json));
      };
      if (req.headers.authorization !== 'Bearer test-token') return send(401, { message: 'Bad credentials' });
      const prefix = `/repos/${repository}/issues/`;
      if (!url.pathname.startsWith(prefix)) return send(404, { message: 'Not Found' });
      const rest = url.pathname.slice(prefix.length).split('/');
      if (rest.length === 2 && rest[1] === 'comments') {
        const issue = Number(rest[0]);
        const list = comments.get(issue) ?? [];
        comments.set(issue, list);
        if (req.method === 'GET') {
          const per = Number(url.searchParams.get('per_page') ?? 30);
          const page = Number(url.searchParams.get('page') ?? 1);
          return send(200, list.slice((page - 1) * per, page * per));
        }
        if (req.method === 'POST') {
          const c = { id: nextId++, body: body?.body ?? '' };
          list.push(c);
          return send(201, c);
        }
      }
      if (rest.length === 2 && rest[0] === 'comments') {
        const found = byId(Number(rest[1]));
        if (!found) return send(404, { message: 'Not Found' });
        const [list, i] = found;
        if (req.method === 'PATCH') {
          list[i] = { ...list[i], body: body?.body ?? '' };
          return send(200, list[i]);
        }
        if (req.method === 'DELETE') {
          list.splice(i, 1);
          return send(204);
        }
      }
      send(404, { message: 'Not Found' });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    comments,
    requests,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
