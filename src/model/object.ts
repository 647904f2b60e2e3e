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

/** The type name used in `type` changes and by renderers ("type change from string to map"). */
export function typeName(v: JsonValue): 'map' | 'list' | 'string' | 'number' | 'boolean' | 'null' {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'list';
  if (isJsonObject(v)) return 'map';
  return typeof v as 'string' | 'number' | 'boolean';
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

/** Orders anything with a namespace and a name: by namespace, then name (one sort for every list podo prints). */
export function byNamespaceName(a: { namespace?: string; name: string }, b: { namespace?: string; name: string }): number {
  return (a.namespace ?? '').localeCompare(b.namespace ?? '') || a.name.localeCompare(b.name);
}

/**
 * An object as the render stage hands it on: what kustomize-controller would apply. Fields that say
 * where an object came from (e.g. the HelmRelease that rendered it) are optional additions here.
 */
export interface RenderedObject {
  object: KubeObject;
  /** A SOPS-encrypted Secret that could not be decrypted: only its key set is known. */
  valuesUnknown?: boolean;
  /** `namespace/name` of the HelmRelease whose chart renders it (absent for the Kustomization's own objects). */
  helmRelease?: string;
  /** The field manager that applies it: kustomize-controller unless set (e.g. helm-controller). */
  fieldManager?: string;
  /** Left alone when it exists, for this reason (a chart's crds/ CRD under helm-controller's CRD policy Create). */
  createOnly?: string;
  /**
   * Fields whose value depends on a secret input (render/secret-derived.ts): compared, but shown only
   * as masked on both sides. An empty path is the whole object (its identity excepted).
   */
  secretPaths?: FieldPath[];
  /** The name reports show, when the real one depends on a secret (a generator's hash suffix of a secret's content). */
  shownName?: string;
  /** Not applied nor compared, for this reason (its name depends on a secret value): reported as failed. */
  withheld?: string;
}

/** A path into a JSON value: map keys, and list indexes (with the item's `name`, when it has one, to find it again). */
export type FieldPath = PathSegment[];
export type PathSegment = string | { index: number; name?: string };
