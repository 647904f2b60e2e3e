// Asks the API server what it would make of each object: live state, then a server-side apply dry run.
// Namespaces and CRDs go first; objects that depend on ones created by the same build are staged
// (reported created with their local content) instead of failing as flux diff does.
import { ApiError, DeadlineError } from './http.js';
import type { ClusterClient, ResourceInfo } from './client.js';
import { mapConcurrent } from './pool.js';
import { asDenied, deniedMessage } from './denied.js';
import { forced, pruneProtection, skipReason } from '../flux/annotations.js';
import { groupOf, identityKey, isJsonObject, isSecret, refOf, subjectOf, type JsonObject, type JsonValue, type KubeObject, type ObjectRef } from '../model/object.js';
import { ClusterError, errorMessage } from '../model/errors.js';
import { secrets } from '../model/secrets.js';
import { InvalidNameError } from './names.js';

export interface DesiredObject {
  /** Normalized local object, ready to apply. */
  object: KubeObject;
  /** A Secret whose values could not be decrypted: do not dry-run it, compare key sets only. */
  valuesUnknown?: boolean;
}

export interface PruneCandidate {
  ref: ObjectRef;
  group: string;
  version: string;
}

export type DryRunResult =
  | { action: 'applied'; ref: ObjectRef; desired: KubeObject; live?: KubeObject; merged: KubeObject }
  | { action: 'staged'; ref: ObjectRef; desired: KubeObject; reason: string }
  | { action: 'unknown-values'; ref: ObjectRef; desired: KubeObject; live?: KubeObject }
  | { action: 'skipped'; ref: ObjectRef; reason: string }
  | { action: 'replaced'; ref: ObjectRef; desired: KubeObject; live: KubeObject; reason: string }
  | { action: 'deleted'; ref: ObjectRef; live: KubeObject }
  | { action: 'failed'; ref: ObjectRef; reason: string };

export interface DryRunOptions {
  concurrency: number;
  /** `spec.force` of the Kustomization. */
  force: boolean;
  /** Objects from the live inventory that the build no longer produces (only with spec.prune). */
  pruneCandidates: PruneCandidate[];
  onProgress?: (done: number, total: number) => void;
}

/** The run passed --timeout; names what was still pending. */
export class TimeoutError extends ClusterError {}

/** Apply order as Flux sorts it: Namespaces, then CRDs, then by kind, namespace, name. */
export function applyOrder(a: ObjectRef, b: ObjectRef): number {
  const rank = (r: ObjectRef) => (r.kind === 'Namespace' ? 0 : r.kind === 'CustomResourceDefinition' ? 1 : 2);
  return (
    rank(a) - rank(b) ||
    a.kind.localeCompare(b.kind) ||
    (a.namespace ?? '').localeCompare(b.namespace ?? '') ||
    a.name.localeCompare(b.name)
  );
}

interface Planned {
  desired: DesiredObject;
  ref: ObjectRef;
  info?: ResourceInfo;
}

export async function dryRun(client: ClusterClient, objects: DesiredObject[], opts: DryRunOptions): Promise<DryRunResult[]> {
  const pending = new Set<string>();
  const total = objects.length + opts.pruneCandidates.length;
  let done = 0;
  const tick = () => opts.onProgress?.(++done, total);
  const timedOut: string[] = [];

  const track = async <T>(subject: string, fn: () => Promise<T>, onTimeout: T): Promise<T> => {
    pending.add(subject);
    try {
      return await fn();
    } catch (err) {
      if (err instanceof DeadlineError) {
        timedOut.push(subject);
        return onTimeout;
      }
      throw err;
    } finally {
      pending.delete(subject);
      tick();
    }
  };

  const namespacesInBuild = new Set(objects.filter((o) => o.object.kind === 'Namespace' && o.object.apiVersion === 'v1').map((o) => o.object.metadata.name));
  const crdKindsInBuild = crdKinds(objects.map((o) => o.object));

  // Resolve every kind once; an unknown kind is fine when a CRD of this build defines it.
  const planned: Planned[] = await Promise.all(
    objects.map(async (d): Promise<Planned> => {
      const info = await client.resolve(d.object.apiVersion, d.object.kind);
      const obj = d.object;
      if (info && !info.namespaced) delete obj.metadata.namespace;
      if (info && info.namespaced && !obj.metadata.namespace) obj.metadata.namespace = 'default';
      return { desired: d, ref: refOf(obj), info };
    }),
  );
  planned.sort((a, b) => applyOrder(a.ref, b.ref));

  const live = await fetchLive(client, planned, opts.concurrency);

  const runOne = async (p: Planned): Promise<DryRunResult> => {
    const { ref } = p;
    const obj = p.desired.object;
    const subject = subjectOf(ref);
    if (!p.info) {
      if (crdKindsInBuild.has(`${groupOf(ref.apiVersion)}/${ref.kind}`)) {
        return { action: 'staged', ref, desired: obj, reason: 'its CustomResourceDefinition is created by this build' };
      }
      return { action: 'failed', ref, reason: `the cluster has no resource type ${ref.apiVersion} ${ref.kind} (is its CRD installed?)` };
    }
    const current = live.get(identityKey(ref));
    const skip = skipReason(obj, current);
    if (skip) return { action: 'skipped', ref, reason: skip };
    if (p.desired.valuesUnknown) return { action: 'unknown-values', ref, desired: obj, live: current };
    return track(
      subject,
      async (): Promise<DryRunResult> => {
        try {
          const merged = await client.dryRunApply(p.info!, obj);
          return { action: 'applied', ref, desired: obj, live: current, merged };
        } catch (err) {
          return classifyFailure(err, p, current, namespacesInBuild, opts.force, client.identity);
        }
      },
      { action: 'failed', ref, reason: 'timed out' },
    );
  };

  // Namespaces and CRDs first, so that what depends on them is judged against their outcome.
  const first = planned.filter((p) => p.ref.kind === 'Namespace' || p.ref.kind === 'CustomResourceDefinition');
  const rest = planned.filter((p) => !first.includes(p));
  const results = [
    ...(await mapConcurrent(first, opts.concurrency, runOne)),
    ...(await mapConcurrent(rest, opts.concurrency, runOne)),
  ];

  const failed = results.some((r) => r.action === 'failed');
  if (!failed && opts.pruneCandidates.length > 0) {
    const deletions = await mapConcurrent(opts.pruneCandidates, opts.concurrency, (c) =>
      track(subjectOf(c.ref), () => pruneOne(client, c), undefined),
    );
    for (const d of deletions) if (d) results.push(d);
  }
  if (timedOut.length > 0) {
    const all = [...timedOut, ...pending];
    throw new TimeoutError(`timed out (--timeout) with ${all.length} object(s) still pending: ${all.slice(0, 10).join(', ')}${all.length > 10 ? ', …' : ''}`);
  }
  return results;
}

async function pruneOne(client: ClusterClient, c: PruneCandidate): Promise<DryRunResult | undefined> {
  const apiVersion = c.group ? `${c.group}/${c.version}` : c.version;
  const info = await client.resolve(apiVersion, c.ref.kind);
  if (!info) return undefined;
  const current = await client.get(info, c.ref.name, info.namespaced ? c.ref.namespace : undefined);
  if (!current) return undefined;
  const protectedBy = pruneProtection(current);
  if (protectedBy) return { action: 'skipped', ref: c.ref, reason: `not pruned: ${protectedBy}` };
  return { action: 'deleted', ref: c.ref, live: current };
}

/** Live objects by identity: one LIST per kind and namespace when several objects share them, else GETs. */
async function fetchLive(client: ClusterClient, planned: Planned[], concurrency: number): Promise<Map<string, KubeObject>> {
  const groups = new Map<string, Planned[]>();
  for (const p of planned) {
    if (!p.info) continue;
    const k = `${p.ref.apiVersion}|${p.ref.kind}|${p.ref.namespace ?? ''}`;
    const g = groups.get(k);
    if (g) g.push(p);
    else groups.set(k, [p]);
  }
  const out = new Map<string, KubeObject>();
  const gets: Planned[] = [];
  const lists = [...groups.values()].filter((g) => g.length >= 3);
  for (const g of groups.values()) if (g.length < 3) gets.push(...g);
  await mapConcurrent(lists, concurrency, async (g) => {
    try {
      const wanted = new Set(g.map((p) => p.ref.name));
      for (const o of await client.list(g[0].info!, g[0].ref.namespace)) {
        if (wanted.has(o.metadata.name)) out.set(identityKey(refOf(o)), o);
      }
    } catch (err) {
      // A caller allowed to get but not list still gets a diff; an invalid namespace is each object's own error.
      if ((err instanceof ApiError && err.status === 403) || err instanceof InvalidNameError) gets.push(...g);
      else throw err;
    }
  });
  await mapConcurrent(gets, concurrency, async (p) => {
    try {
      const o = await client.get(p.info!, p.ref.name, p.ref.namespace);
      if (o) out.set(identityKey(p.ref), o);
    } catch (err) {
      // Permission problems (and names that cannot be sent) are reported by the dry run itself.
      if (!(err instanceof ApiError && err.status === 403) && !(err instanceof InvalidNameError)) throw err;
    }
  });
  return out;
}

function classifyFailure(
  err: unknown,
  p: Planned,
  current: KubeObject | undefined,
  namespacesInBuild: Set<string>,
  specForce: boolean,
  identity: string,
): DryRunResult {
  const { ref } = p;
  const obj = p.desired.object;
  if (err instanceof DeadlineError) throw err;
  if (!(err instanceof ApiError)) return { action: 'failed', ref, reason: errorMessage(err) };
  const details = err.apiStatus.details;
  if (err.status === 404 && ref.namespace && details && details.kind === 'namespaces' && namespacesInBuild.has(ref.namespace)) {
    return { action: 'staged', ref, desired: obj, reason: `its Namespace ${ref.namespace} is created by this build` };
  }
  if (err.status === 404 && ref.namespace && details && details.kind === 'namespaces') {
    return { action: 'failed', ref, reason: `Namespace ${ref.namespace} does not exist and this build does not create it` };
  }
  if (asDenied(err)) {
    const resource = p.info ? (p.info.group ? `${p.info.plural}.${p.info.group}` : p.info.plural) : ref.kind;
    return { action: 'failed', ref, reason: deniedMessage(err, identity, err.verb, resource, ref.namespace) };
  }
  const message = redact(err.message, obj, err.apiStatus);
  if (err.status === 422 && /field is immutable|is immutable/i.test(err.message) && current) {
    const field = immutableField(details) ?? 'an immutable field';
    if (specForce || forced(obj, current)) {
      return { action: 'replaced', ref, desired: obj, live: current, reason: `${field} is immutable` };
    }
    return { action: 'failed', ref, reason: `${field} is immutable and would need the object replaced (set kustomize.toolkit.fluxcd.io/force: enabled or spec.force): ${message}` };
  }
  return { action: 'failed', ref, reason: `dry-run failed (${err.status}${err.apiStatus.reason ? ' ' + err.apiStatus.reason : ''}): ${message}` };
}

function immutableField(details: ApiError['apiStatus']['details']): string | undefined {
  if (!details || !Array.isArray(details.causes)) return undefined;
  const fields = details.causes
    .filter((c) => isJsonObject(c) && typeof c.field === 'string' && (typeof c.message !== 'string' || /immutable/i.test(c.message)))
    .map((c) => (isJsonObject(c) ? String(c.field) : ''));
  return fields.length > 0 ? [...new Set(fields)].join(', ') : undefined;
}

/**
 * The server echoes values in its errors (`Invalid value: "…"`, `got &value.valueUnstructured{Value:…}`,
 * whole maps as `map[…]`). Lists and maps are never echoed; for an object that carries secret values
 * (a Secret, or any object holding a value the secret registry knows) the message is reduced to the
 * reason and the field paths the server named.
 */
export function redact(message: string, obj: KubeObject, status?: { reason?: string; details?: JsonObject }): string {
  let m = message.replace(/\s+/g, ' ').trim();
  m = m.replace(/valueUnstructured\{Value:[^}]*\}/g, 'valueUnstructured{Value:…}');
  m = stripComposites(m);
  if (!isSecret(obj) && !carriesSecret(obj)) return m;
  const fields = causeFields(status?.details);
  const fromMessage = fields.length > 0 ? fields : [...m.matchAll(/(?:^|[\s:])((?:\.?[A-Za-z][\w-]*(?:\[[^\]]{0,80}\])?)(?:\.[A-Za-z][\w-]*(?:\[[^\]]{0,80}\])?)+):\s/g)].map((x) => x[1]);
  const where = fromMessage.length > 0 ? `: ${[...new Set(fromMessage)].join(', ')}` : '';
  return `${status?.reason ?? 'rejected'}${where} (the server's message is withheld: the object carries secret values)`;
}

/** Go's rendering of maps and slices in messages: `map[a:b c:d]`, `[]interface {}{…}`, nested. */
function stripComposites(m: string): string {
  // Innermost first, replaced by placeholders without brackets so that the enclosing one matches next.
  let out = m;
  for (let i = 0; i < 8; i++) {
    const next = out
      .replace(/map\[string\]interface \{\}\{[^{}]*\}/g, '\u0000M')
      .replace(/\[\]interface \{\}\{[^{}]*\}/g, '\u0000L')
      .replace(/map\[[^[\]]*\]/g, '\u0000M');
    if (next === out) break;
    out = next;
  }
  return out.replace(/\u0000M/g, 'map[…]').replace(/\u0000L/g, '[…]');
}

function causeFields(details: JsonObject | undefined): string[] {
  if (!details || !Array.isArray(details.causes)) return [];
  return details.causes.filter(isJsonObject).map((c) => (typeof c.field === 'string' ? c.field : '')).filter((f) => f !== '');
}

function carriesSecret(obj: KubeObject): boolean {
  if (secrets.size === 0) return false;
  const walk = (v: JsonValue): boolean => (typeof v === 'string' ? secrets.holdsSecret(v) : Array.isArray(v) ? v.some(walk) : isJsonObject(v) ? Object.values(v).some(walk) : false);
  return walk(obj as unknown as JsonValue);
}

function crdKinds(objects: KubeObject[]): Set<string> {
  const out = new Set<string>();
  for (const o of objects) {
    if (o.kind !== 'CustomResourceDefinition' || !isJsonObject(o.spec)) continue;
    const names = o.spec.names;
    if (typeof o.spec.group === 'string' && isJsonObject(names) && typeof names.kind === 'string') {
      out.add(`${o.spec.group}/${names.kind}`);
    }
  }
  return out;
}
