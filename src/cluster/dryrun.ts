// What a failed server-side-apply dry run means, read from the API server's answer. The decisions
// (stage it, replace it, fail it) are the rule book's (flux/apply-rules.ts); this file only
// reads the HTTP answer and keeps Secret values out of its message.
import { ApiError, DeadlineError } from './http.js';
import type { ResourceInfo } from './discovery.js';
import { asDenied, deniedMessage } from './denied.js';
import { isJsonObject, isSecret, refOf, type JsonObject, type JsonValue, type KubeObject, type ObjectRef } from '../model/object.js';
import type { ClusterClient } from './client.js';
import { mapConcurrent } from './pool.js';
import { secrets } from '../model/secrets.js';
import { ClusterError, errorMessage } from '../model/errors.js';
import type { DryRunFailure } from '../model/verdict.js';

export { DeadlineError };

/** The run passed --timeout; names what was still pending. */
export class TimeoutError extends ClusterError {}

export type { DryRunFailure };

/** Reads a dry-run failure. A passed deadline is rethrown: it is the run's failure, not the object's. */
/** `secretDerived`: some field of the object depends on a secret value (its message is reduced as a Secret's). */
export function describeDryRunFailure(err: unknown, ref: ObjectRef, obj: KubeObject, info: ResourceInfo | undefined, identity: string, secretDerived = false): DryRunFailure {
  if (err instanceof DeadlineError) throw err;
  if (!(err instanceof ApiError)) return { kind: 'other', message: errorMessage(err) };
  const details = err.apiStatus.details;
  if (err.status === 404 && ref.namespace && details && details.kind === 'namespaces') return { kind: 'namespace-missing', namespace: ref.namespace };
  if (asDenied(err)) {
    const resource = info ? (info.group ? `${info.plural}.${info.group}` : info.plural) : ref.kind;
    return { kind: 'denied', message: deniedMessage(err, identity, err.verb, resource, ref.namespace) };
  }
  const message = redact(err.message, obj, err.apiStatus, secretDerived);
  const generic = `dry-run failed (${err.status}${err.apiStatus.reason ? ' ' + err.apiStatus.reason : ''}): ${message}`;
  if (err.status === 422 && /field is immutable|is immutable/i.test(err.message)) {
    return { kind: 'immutable', field: immutableField(details) ?? 'an immutable field', message, generic };
  }
  return { kind: 'other', message: generic };
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
export function redact(message: string, obj: KubeObject, status?: { reason?: string; details?: JsonObject }, secretDerived = false): string {
  let m = message.replace(/\s+/g, ' ').trim();
  m = m.replace(/valueUnstructured\{Value:[^}]*\}/g, 'valueUnstructured{Value:…}');
  m = stripComposites(m);
  if (!secretDerived && !isSecret(obj) && !carriesSecret(obj)) return m;
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

/** An object to merge by a server-side apply dry run. */
export interface MergeAsk {
  info: ResourceInfo;
  object: KubeObject;
  fieldManager?: string;
  /** Some field depends on a secret value: a refusal's message is reduced as a Secret's. */
  secretDerived: boolean;
  /** Only to learn whether it would change: any failure, a passed deadline too, is just "other". */
  compare: boolean;
}

/** The merged object, why the server refused it, or the deadline passed first. */
export type MergeAnswer = { merged: KubeObject } | { failure: DryRunFailure } | { timedOut: true };

/** Dry-runs each object (server-side apply, dryRun=All), `concurrency` at a time, answers in input order. */
export async function mergeAll(client: ClusterClient, asks: MergeAsk[], concurrency: number, onDone?: () => void): Promise<MergeAnswer[]> {
  return mapConcurrent(asks, concurrency, async (a): Promise<MergeAnswer> => {
    try {
      return { merged: await client.dryRunApply(a.info, a.object, a.fieldManager ? { fieldManager: a.fieldManager } : {}) };
    } catch (err) {
      if (a.compare) return { failure: { kind: 'other', message: errorMessage(err) } };
      if (err instanceof DeadlineError) return { timedOut: true };
      return { failure: describeDryRunFailure(err, refOf(a.object), a.object, a.info, client.identity, a.secretDerived) };
    } finally {
      onDone?.();
    }
  });
}
