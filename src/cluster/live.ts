// Reading live objects for a dry-run round: first from the run's LiveIndex when there is one, then
// one LIST per kind and namespace when several objects share them, else GETs.
import { ApiError, DeadlineError } from './http.js';
import { InvalidNameError } from './names.js';
import type { ClusterClient, ResourceInfo } from './client.js';
import { mapConcurrent } from './pool.js';
import { identityKey, refOf, type KubeObject, type ObjectRef } from '../model/object.js';
import { placeNamespace } from './discovery.js';

export interface LiveQuery {
  ref: ObjectRef;
  info: ResourceInfo;
}

/** A label value (a Kubernetes name): nothing else may enter the selector. */
const LABEL_VALUE = /^[a-z0-9]([-a-z0-9.]{0,61}[a-z0-9])?$/;
/** The label kustomize-controller puts on every object it applies: the Kustomization's namespace. */
const OWNER_NAMESPACE_LABEL = 'kustomize.toolkit.fluxcd.io/namespace';
/** An index list older than this is read again: a long --all run does not diff against old state. */
const MAX_AGE_MS = 15_000;
/**
 * The watch cache answers in one page, whatever its size. A kind with more Flux objects than this (a
 * cluster of large Secrets) is read per namespace instead, as without the index: podo's memory stays
 * that of one Kustomization's objects.
 */
const MAX_LIST_BYTES = 64 * 1024 * 1024;

interface KindList {
  at: number;
  /** By identityKey; undefined when the list failed (a 403 most often): every object is read the usual way. */
  objects: Promise<Map<string, KubeObject> | undefined>;
}

/**
 * The live objects Flux applied for the Kustomizations of a run, one LIST per kind across the cluster
 * (label `kustomize.toolkit.fluxcd.io/namespace` in the run's namespaces), read when a Kustomization
 * first needs that kind. `--all` then reads the live state of fifty Kustomizations with a handful of
 * requests instead of one per kind, namespace and Kustomization. The lists come from the API server's
 * watch cache (resourceVersion=0, as informers start): a cluster-wide read from etcd would decode every
 * object of the kind, Flux's or not. An object found here is taken once (so memory shrinks as the run
 * goes); one not found (new, unlabeled, claimed twice) is read as before, so nothing is missed.
 */
export class LiveIndex {
  private readonly kinds = new Map<string, KindList>();
  private readonly selector: string | undefined;

  constructor(
    private readonly client: ClusterClient,
    namespaces: readonly string[],
    private readonly maxListBytes = MAX_LIST_BYTES,
  ) {
    const values = [...new Set(namespaces)].sort();
    this.selector = values.length > 0 && values.every((v) => LABEL_VALUE.test(v)) ? `${OWNER_NAMESPACE_LABEL} in (${values.join(',')})` : undefined;
  }

  /** Takes the live object of each query out of the index; returns the queries it does not hold. */
  async take(queries: LiveQuery[], out: Map<string, KubeObject>, deadline?: number): Promise<LiveQuery[]> {
    if (!this.selector) return queries;
    const rest: LiveQuery[] = [];
    const byKind = new Map<string, LiveQuery[]>();
    for (const q of queries) {
      // Cluster-scoped kinds are few and seldom many per build: read as before.
      if (!q.info.namespaced || !q.info.verbs.includes('list')) {
        rest.push(q);
        continue;
      }
      const key = resourceKey(q.info);
      const same = byKind.get(key);
      if (same) same.push(q);
      else byKind.set(key, [q]);
    }
    const lists = [...byKind].map(([key, qs]) => ({ qs, objects: this.listOf(key, qs[0].info) }));
    for (const { qs, objects: listed } of lists) {
      const objects = await beforeDeadline(listed, deadline);
      for (const q of qs) {
        const id = identityKey(q.ref);
        const o = objects?.get(id);
        if (o) {
          out.set(id, o);
          objects!.delete(id);
        } else rest.push(q);
      }
    }
    return rest;
  }

  private listOf(key: string, info: ResourceInfo): Promise<Map<string, KubeObject> | undefined> {
    const cur = this.kinds.get(key);
    if (cur && Date.now() - cur.at < MAX_AGE_MS) return cur.objects;
    const objects = this.client.list(info, undefined, { labelSelector: this.selector, fromCache: true, maxPageBytes: this.maxListBytes }).then(
      (items) => new Map(items.map((o) => [identityKey(refOf(o)), o])),
      // Not allowed to list across namespaces (403), or any other failure: every object of the kind is
      // read per namespace, as without the index, where a real problem is reported per Kustomization.
      () => undefined,
    );
    this.kinds.set(key, { at: Date.now(), objects });
    return objects;
  }
}

const resourceKey = (info: ResourceInfo) => `${info.group}/${info.version}/${info.plural}`;

/** The shared list, but a Kustomization whose budget runs out stops waiting for it. */
function beforeDeadline<T>(p: Promise<T>, deadline: number | undefined): Promise<T> {
  if (deadline === undefined || deadline >= Number.MAX_SAFE_INTEGER) return p;
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => reject(new DeadlineError('timed out reading the live state')), Math.max(0, deadline - Date.now()));
    p.then(
      (v) => {
        clearTimeout(timer);
        resolve(v);
      },
      (err: unknown) => {
        clearTimeout(timer);
        reject(err);
      },
    );
  });
}

/** Live objects by identityKey; objects the caller may not read are left out (the dry-run names the refusal). */
export async function fetchLive(
  client: ClusterClient,
  queries: LiveQuery[],
  concurrency: number,
  shared?: { index: LiveIndex; deadline?: number },
): Promise<Map<string, KubeObject>> {
  const out = new Map<string, KubeObject>();
  const unread = shared ? await shared.index.take(queries, out, shared.deadline) : queries;
  const groups = new Map<string, LiveQuery[]>();
  for (const q of unread) {
    const k = `${q.ref.apiVersion}|${q.ref.kind}|${q.ref.namespace ?? ''}`;
    const g = groups.get(k);
    if (g) g.push(q);
    else groups.set(k, [q]);
  }
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

/** A built object as the API server would take it: its kind resolved, its namespace placed, the live object read. */
export interface ReadObject {
  object: KubeObject;
  ref: ObjectRef;
  /** Undefined when the cluster serves no such kind (no CRD installed). */
  info?: ResourceInfo;
  live?: KubeObject;
}

/**
 * Every object's kind resolved once, its namespace placed as the server would store it (an unknown kind
 * keeps it as built), and the live objects read (fetchLive).
 */
export async function readObjects(client: ClusterClient, objects: KubeObject[], concurrency: number, shared?: { index: LiveIndex; deadline?: number }): Promise<ReadObject[]> {
  const resolved = await Promise.all(
    objects.map(async (object) => {
      const info = await client.resolve(object.apiVersion, object.kind);
      if (info) placeNamespace(object, !info.namespaced);
      return { object, ref: refOf(object), info };
    }),
  );
  const known = resolved.filter((r) => r.info).map((r) => ({ ref: r.ref, info: r.info! }));
  const live = await fetchLive(client, known, concurrency, shared);
  return resolved.map((r) => ({ ...r, live: r.info ? live.get(identityKey(r.ref)) : undefined }));
}

/** An object to read as it stands: `lenient` when a failing discovery means "nothing to read" rather than an error. */
export interface ExistingQuery {
  ref: ObjectRef;
  lenient?: boolean;
}

/** What reading an existing object found: the object (undefined: there is none), or the deadline passed first. */
export type ExistingAnswer = { object?: KubeObject } | { timedOut: true };

/** The objects as they stand, one GET each (a cluster-scoped kind is read without the namespace the ref may carry). */
export async function readExisting(client: ClusterClient, queries: ExistingQuery[], concurrency: number, onDone?: () => void): Promise<ExistingAnswer[]> {
  return mapConcurrent(queries, concurrency, async ({ ref, lenient }): Promise<ExistingAnswer> => {
    try {
      const info = await (lenient ? client.resolve(ref.apiVersion, ref.kind).catch(() => undefined) : client.resolve(ref.apiVersion, ref.kind));
      if (!info) return {};
      return { object: await client.get(info, ref.name, info.namespaced ? ref.namespace : undefined) };
    } catch (err) {
      if (err instanceof DeadlineError) return { timedOut: true };
      throw err;
    } finally {
      onDone?.();
    }
  });
}
