// What a failed server-side-apply dry run means, read from the API server's answer. The decisions
// (stage it, replace it, fail it) are the cluster target's (pipeline/cluster-target.ts); this file only
// reads the HTTP answer and keeps Secret values out of its message.
import { ApiError, DeadlineError } from './http.js';
import type { ResourceInfo } from './discovery.js';
import { asDenied, deniedMessage } from './denied.js';
import { isJsonObject, isSecret, type KubeObject, type ObjectRef } from '../model/object.js';
import { ClusterError, errorMessage } from '../model/errors.js';

export { DeadlineError };

/** The run passed --timeout; names what was still pending. */
export class TimeoutError extends ClusterError {}

export type DryRunFailure =
  /** The object's Namespace does not exist. */
  | { kind: 'namespace-missing'; namespace: string }
  | { kind: 'denied'; message: string }
  /** `generic`: the message as for any other failure, for when the field cannot be replaced (no live object). */
  | { kind: 'immutable'; field: string; message: string; generic: string }
  | { kind: 'other'; message: string };

/** Reads a dry-run failure. A passed deadline is rethrown: it is the run's failure, not the object's. */
export function describeDryRunFailure(err: unknown, ref: ObjectRef, obj: KubeObject, info: ResourceInfo | undefined, identity: string): DryRunFailure {
  if (err instanceof DeadlineError) throw err;
  if (!(err instanceof ApiError)) return { kind: 'other', message: errorMessage(err) };
  const details = err.apiStatus.details;
  if (err.status === 404 && ref.namespace && details && details.kind === 'namespaces') return { kind: 'namespace-missing', namespace: ref.namespace };
  if (asDenied(err)) {
    const resource = info ? (info.group ? `${info.plural}.${info.group}` : info.plural) : ref.kind;
    return { kind: 'denied', message: deniedMessage(err, identity, err.verb, resource, ref.namespace) };
  }
  const message = redact(err.message, obj);
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
 * The server echoes values in some errors (`expected string, got &value.valueUnstructured{Value:987654321}`);
 * for Secrets, anything that looks like a value is removed from the message.
 */
export function redact(message: string, obj: KubeObject): string {
  let m = message.replace(/\s+/g, ' ').trim();
  if (!isSecret(obj)) return m;
  m = m.replace(/valueUnstructured\{Value:[^}]*\}/g, 'valueUnstructured{Value:***}');
  for (const field of ['data', 'stringData']) {
    const values = obj[field];
    if (!isJsonObject(values)) continue;
    for (const v of Object.values(values)) {
      const s = typeof v === 'string' ? v : JSON.stringify(v);
      if (s.length < 3) continue;
      const variants = [s];
      try {
        if (field === 'data') variants.push(Buffer.from(s, 'base64').toString('utf8'));
      } catch {
        /* not base64 */
      }
      for (const x of variants) if (x.length >= 3) m = m.split(x).join('***');
    }
  }
  return m;
}
