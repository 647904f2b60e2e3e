#!/usr/bin/env node
// Step of action.yml: keeps podo's comments on the pull request, found by their hidden marker. A report
// larger than --max-comment-bytes comes as parts (each starting with the marker and
// `<!-- podo-diff-part k/N -->`): one comment per part.
//   changes (exit 1) or an error (exit 2): create each part's comment, or update it in place; delete
//                        the comments of parts no longer needed (the diff shrank);
//   no changes (exit 0): delete the comments, or (on-no-changes: update) replace the first by a short
//                        note and delete the others; no comment yet and no changes: nothing is posted.
// The GitHub REST API is reached with fetch at $GITHUB_API_URL (set by Actions; tests point it at a
// loopback server), so this file needs nothing but Node.
import { readFileSync } from 'node:fs';
import { pathToFileURL } from 'node:url';

export const DEFAULT_MARKER = '<!-- podo-diff -->';

/** The marker: podo's own, or a keyed one when several podo jobs comment on the same pull request. */
export function markerFor(key) {
  return key ? `<!-- podo-diff:${key} -->` : DEFAULT_MARKER;
}

/** The comment body: the report, whose first line is podo's marker, carrying this job's marker. */
export function bodyFor(report, marker) {
  const text = report.startsWith(DEFAULT_MARKER) ? report.slice(DEFAULT_MARKER.length).replace(/^\n/, '') : report;
  return `${marker}\n${text}`;
}

export function noChangesBody(marker, sha) {
  return `${marker}\n## podo diff\n\n✅ No changes${sha ? ` as of ${sha.slice(0, 7)}` : ''}.\n`;
}

/** The small seam around GitHub's issue-comment API. */
export function githubComments({ apiUrl, token, repository, issue }) {
  const base = `${apiUrl.replace(/\/$/, '')}/repos/${repository}/issues`;
  const call = async (method, url, body) => {
    const res = await fetch(url, {
      method,
      headers: {
        Accept: 'application/vnd.github+json',
        Authorization: `Bearer ${token}`,
        'X-GitHub-Api-Version': '2022-11-28',
        'User-Agent': 'podo-action',
        ...(body ? { 'Content-Type': 'application/json' } : {}),
      },
      body: body ? JSON.stringify(body) : undefined,
    });
    if (!res.ok) {
      const text = await res.text();
      throw new Error(`GitHub API ${method} ${new URL(url).pathname}: ${res.status} ${text.slice(0, 200)}`);
    }
    return res.status === 204 ? undefined : res.json();
  };
  return {
    /** Every comment of the pull request, following pagination. */
    async list() {
      const all = [];
      for (let page = 1; ; page++) {
        const batch = await call('GET', `${base}/${issue}/comments?per_page=100&page=${page}`);
        all.push(...batch);
        if (batch.length < 100) return all;
      }
    },
    create: (body) => call('POST', `${base}/${issue}/comments`, { body }),
    update: (id, body) => call('PATCH', `${base}/comments/${id}`, { body }),
    remove: (id) => call('DELETE', `${base}/comments/${id}`),
  };
}

const PART = /^<!-- podo-diff-part (\d+)\/(\d+) -->$/m;

/** The report's parts: podo starts each with its marker on a line of its own (no escaped string can). */
export function splitParts(report) {
  const parts = report.split(/^(?=<!-- podo-diff -->$)/m).map((p) => p.replace(/\s+$/, '') + '\n').filter((p) => p.trim() !== '');
  return parts.length > 0 ? parts : [report];
}

/** Which part a comment of podo's holds: its part marker, else 1 (a report that was not split). */
export function partOf(body) {
  const m = PART.exec(body);
  return m ? Number(m[1]) : 1;
}

/** Decides and performs the comment changes; returns what it did, one line each (for the log and tests). */
export async function syncComment({ api, report, exitCode, marker, onNoChanges = 'delete', sha }) {
  const mine = (await api.list()).filter((c) => typeof c.body === 'string' && c.body.includes(marker));
  // The first comment of each part is kept; earlier runs that raced may have left more: those go.
  const byPart = new Map();
  const surplus = [];
  for (const c of mine) {
    const k = partOf(c.body);
    if (byPart.has(k)) surplus.push(c);
    else byPart.set(k, c);
  }
  const done = [];
  const remove = async (c, why) => {
    await api.remove(c.id);
    done.push(`deleted comment ${c.id}: ${why}`);
  };
  for (const d of surplus) await remove(d, 'duplicate');
  if (exitCode === 0) {
    if (byPart.size === 0) return ['nothing to do: no changes and no comment'];
    const [first, ...rest] = [...byPart.entries()].sort(([a], [b]) => a - b).map(([, c]) => c);
    if (onNoChanges === 'update') {
      await api.update(first.id, noChangesBody(marker, sha));
      done.push(`updated comment ${first.id}: no changes`);
    } else await remove(first, 'no changes');
    for (const c of rest) await remove(c, 'no changes');
    return done;
  }
  const parts = splitParts(report);
  const n = parts.length;
  for (let k = 1; k <= n; k++) {
    const body = bodyFor(parts[k - 1], marker);
    const label = n > 1 ? ` (part ${k}/${n})` : '';
    const existing = byPart.get(k);
    if (existing) {
      await api.update(existing.id, body);
      done.push(`updated comment ${existing.id}${label}`);
    } else {
      const created = await api.create(body);
      done.push(`created comment ${created.id}${label}`);
    }
  }
  // The diff shrank: the parts past the last one are no longer needed.
  for (const [k, c] of byPart) if (k > n) await remove(c, `part ${k} no longer needed`);
  return done;
}

function pullRequestNumber(env) {
  if (env.PODO_PR_NUMBER) return Number(env.PODO_PR_NUMBER);
  if (!env.GITHUB_EVENT_PATH) return undefined;
  const event = JSON.parse(readFileSync(env.GITHUB_EVENT_PATH, 'utf8'));
  return event.pull_request?.number ?? event.issue?.number;
}

async function main(env) {
  const exitCode = Number(env.PODO_EXIT_CODE);
  if (![0, 1, 2].includes(exitCode)) throw new Error(`PODO_EXIT_CODE must be 0, 1 or 2, got "${env.PODO_EXIT_CODE}"`);
  const issue = pullRequestNumber(env);
  if (!issue) {
    console.log('podo action: not a pull request: no comment');
    return;
  }
  const onNoChanges = env.INPUT_ON_NO_CHANGES || 'delete';
  if (!['delete', 'update'].includes(onNoChanges)) throw new Error(`on-no-changes must be delete or update, got "${onNoChanges}"`);
  const api = githubComments({
    apiUrl: env.GITHUB_API_URL || 'https://api.github.com',
    token: env.GITHUB_TOKEN,
    repository: env.GITHUB_REPOSITORY,
    issue,
  });
  const report = exitCode === 0 ? '' : readFileSync(env.PODO_REPORT, 'utf8');
  const done = await syncComment({ api, report, exitCode, marker: markerFor(env.INPUT_COMMENT_KEY), onNoChanges, sha: env.GITHUB_SHA });
  for (const line of done) console.log(`podo action: ${line}`);
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  main(process.env).catch((err) => {
    console.error(`podo action: ${err.message}`);
    process.exit(1);
  });
}
