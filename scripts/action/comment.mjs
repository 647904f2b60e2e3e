#!/usr/bin/env node
// Step of action.yml: keeps ONE podo comment on the pull request, found by its hidden marker.
//   changes (exit 1) or an error (exit 2): create the comment, or update it in place;
//   no changes (exit 0): delete the comment, or (on-no-changes: update) replace it by a short note;
//                        no comment yet and no changes: nothing is posted.
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

/** Decides and performs the comment change; returns what it did (for the log and tests). */
export async function syncComment({ api, report, exitCode, marker, onNoChanges = 'delete', sha }) {
  const mine = (await api.list()).filter((c) => typeof c.body === 'string' && c.body.includes(marker));
  const [existing, ...duplicates] = mine;
  // Earlier runs that raced may have left more than one: keep the first, remove the rest.
  for (const d of duplicates) await api.remove(d.id);
  if (exitCode === 0) {
    if (!existing) return 'nothing to do: no changes and no comment';
    if (onNoChanges === 'update') {
      await api.update(existing.id, noChangesBody(marker, sha));
      return `updated comment ${existing.id}: no changes`;
    }
    await api.remove(existing.id);
    return `deleted comment ${existing.id}: no changes`;
  }
  const body = bodyFor(report, marker);
  if (existing) {
    await api.update(existing.id, body);
    return `updated comment ${existing.id}`;
  }
  const created = await api.create(body);
  return `created comment ${created.id}`;
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
  console.log(`podo action: ${done}`);
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  main(process.env).catch((err) => {
    console.error(`podo action: ${err.message}`);
    process.exit(1);
  });
}
