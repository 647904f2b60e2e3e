// Reading live objects for a dry-run round: one LIST per kind and namespace when several objects
// share them, else GETs.
import { ApiError } from './http.js';
import { InvalidNameError } from './names.js';
import type { ClusterClient, ResourceInfo } from './client.js';
import { mapConcurrent } from './pool.js';
import { identityKey, refOf, type KubeObject, type ObjectRef } from '../model/object.js';

export interface LiveQuery {
  ref: ObjectRef;
  info: ResourceInfo;
}

/** Live objects by identityKey; objects the caller may not read are left out (the dry-run names the refusal). */
export async function fetchLive(client: ClusterClient, queries: LiveQuery[], concurrency: number): Promise<Map<string, KubeObject>> {
  const groups = new Map<string, LiveQuery[]>();
  for (const q of queries) {
    const k = `${q.ref.apiVersion}|${q.ref.kind}|${q.ref.namespace ?? ''}`;
    const g = groups.get(k);
    if (g) g.push(q);
    else groups.set(k, [q]);
  }
  const out = new Map<string, KubeObject>();
  const gets: LiveQuery[] = [];
  const lists = [...groups.values()].filter((g) => g.length >= 3);
  for (const g of groups.values()) if (g.length < 3) gets.push(...g);
  await mapConcurrent(lists, concurrency, async (g) => {
    try {
      const wanted = new Set(g.map((q) => q.ref.name));
      for (const o of await client.list(g[0].info, g[0].ref.namespace)) {
        if (wanted.has(o.metadata.name)) out.set(identityKey(refOf(o)), o);
      }
    } catch (err) {
      // A caller allowed to get but not list still gets a diff; an invalid namespace is each object's own error.
      if ((err instanceof ApiError && err.status === 403) || err instanceof InvalidNameError) gets.push(...g);
      else throw err;
    }
  });
  await mapConcurrent(gets, concurrency, async (q) => {
    try {
      const o = await client.get(q.info, q.ref.name, q.ref.namespace);
      if (o) out.set(identityKey(q.ref), o);
    } catch (err) {
      // Permission problems (and names that cannot be sent) are reported by the dry run itself.
      if (!(err instanceof ApiError && err.status === 403) && !(err instanceof InvalidNameError)) throw err;
    }
  });
  return out;
}
