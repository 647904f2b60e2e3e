// Raw Kubernetes objects travel as plain JSON: typed client models drop unknown fields,
// and a diff tool must see every field.

export type JsonValue = string | number | boolean | null | JsonValue[] | JsonObject;
export interface JsonObject {
  [key: string]: JsonValue;
}

export interface ObjectMeta extends JsonObject {
  name: string;
}

/** A Kubernetes object as plain JSON. Only the identity fields are typed. */
export interface KubeObject extends JsonObject {
  apiVersion: string;
  kind: string;
  metadata: ObjectMeta;
}

/** Identity of an object: what `Kind/namespace/name` names, plus its group. */
export interface ObjectRef {
  apiVersion: string;
  kind: string;
  namespace?: string;
  name: string;
}

export function isJsonObject(v: unknown): v is JsonObject {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

export function groupOf(apiVersion: string): string {
  const i = apiVersion.indexOf('/');
  return i < 0 ? '' : apiVersion.slice(0, i);
}

export function refOf(obj: KubeObject): ObjectRef {
  const ns = obj.metadata.namespace;
  return {
    apiVersion: obj.apiVersion,
    kind: obj.kind,
    name: obj.metadata.name,
    ...(typeof ns === 'string' && ns !== '' ? { namespace: ns } : {}),
  };
}

/** `Kind/namespace/name`, or `Kind/name` for cluster-scoped objects (Flux's subject format). */
export function subjectOf(ref: ObjectRef): string {
  return ref.namespace ? `${ref.kind}/${ref.namespace}/${ref.name}` : `${ref.kind}/${ref.name}`;
}

/** A key that identifies an object regardless of version: group/kind/namespace/name. */
export function identityKey(ref: ObjectRef): string {
  return `${groupOf(ref.apiVersion)}/${ref.kind}/${ref.namespace ?? ''}/${ref.name}`;
}

export function labelsOf(obj: KubeObject): Record<string, string> {
  const l = obj.metadata.labels;
  return isJsonObject(l) ? (l as Record<string, string>) : {};
}

export function annotationsOf(obj: KubeObject): Record<string, string> {
  const a = obj.metadata.annotations;
  return isJsonObject(a) ? (a as Record<string, string>) : {};
}

export function isSecret(ref: { apiVersion: string; kind: string }): boolean {
  return ref.kind === 'Secret' && ref.apiVersion === 'v1';
}

export function deepClone<T extends JsonValue>(v: T): T {
  return structuredClone(v);
}
