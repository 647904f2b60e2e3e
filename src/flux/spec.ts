// Turns a Flux Kustomization manifest (plain JSON) into the typed spec podo works with.
import { durationMs } from './duration.js';
import { isJsonObject, type JsonObject, type JsonValue, type KubeObject } from '../model/object.js';
import { InputError } from '../model/errors.js';
import type { FluxKustomization, InventoryEntry, KustomizationSpec, Patch, Image, SubstituteReference } from '../model/kustomization.js';
import { readFieldRules } from './fields.js';

export const FLUX_KUSTOMIZATION_GROUP = 'kustomize.toolkit.fluxcd.io';

export function isFluxKustomization(obj: { apiVersion?: unknown; kind?: unknown }): boolean {
  return obj.kind === 'Kustomization' && typeof obj.apiVersion === 'string' && obj.apiVersion.startsWith(FLUX_KUSTOMIZATION_GROUP + '/');
}

const str = (v: JsonValue | undefined): string | undefined => (typeof v === 'string' ? v : undefined);
const bool = (v: JsonValue | undefined): boolean | undefined => (typeof v === 'boolean' ? v : undefined);
const strMap = (v: JsonValue | undefined): Record<string, string> | undefined => {
  if (!isJsonObject(v)) return undefined;
  const out: Record<string, string> = {};
  for (const [k, x] of Object.entries(v)) out[k] = typeof x === 'string' ? x : JSON.stringify(x);
  return out;
};

/** The JSON type of a value as a message names it. */
function typeOf(v: JsonValue | undefined): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'a list';
  if (isJsonObject(v)) return 'a map';
  return `${typeof v} ${JSON.stringify(v)}`;
}

type Shape = 'string' | 'boolean' | 'map' | 'list' | 'string list' | 'map list' | 'string map';

/**
 * The shape of each spec field podo reads, as the Kustomization CRD's schema has it. The API server
 * enforces it on the cluster's objects; files and repository scans are checked here, so that a wrong
 * shape is one line naming the object, not a crash or a silently ignored field.
 */
const SPEC_SHAPES: Record<string, Shape> = {
  path: 'string',
  sourceRef: 'map',
  targetNamespace: 'string',
  namePrefix: 'string',
  nameSuffix: 'string',
  serviceAccountName: 'string',
  prune: 'boolean',
  force: 'boolean',
  suspend: 'boolean',
  wait: 'boolean',
  timeout: 'string',
  kubeConfig: 'map',
  patches: 'map list',
  images: 'map list',
  components: 'string list',
  commonMetadata: 'map',
  postBuild: 'map',
  decryption: 'map',
  dependsOn: 'map list',
};
const NESTED_SHAPES: Record<string, Shape> = {
  'sourceRef.kind': 'string',
  'sourceRef.name': 'string',
  'sourceRef.namespace': 'string',
  'postBuild.substitute': 'string map',
  'postBuild.substituteFrom': 'map list',
  'commonMetadata.labels': 'string map',
  'commonMetadata.annotations': 'string map',
  'decryption.provider': 'string',
  'decryption.secretRef': 'map',
};

function fits(v: JsonValue, shape: Shape): boolean {
  switch (shape) {
    case 'string':
      return typeof v === 'string';
    case 'boolean':
      return typeof v === 'boolean';
    case 'map':
      return isJsonObject(v);
    case 'list':
      return Array.isArray(v);
    case 'string list':
      return Array.isArray(v) && v.every((x) => typeof x === 'string');
    case 'map list':
      return Array.isArray(v) && v.every(isJsonObject);
    case 'string map':
      return isJsonObject(v) && Object.values(v).every((x) => typeof x === 'string' || typeof x === 'number' || typeof x === 'boolean');
  }
}

/** Throws an InputError naming the object and the first field whose shape is wrong. */
export function validateSpecShape(obj: KubeObject, where: string): void {
  if (obj.spec === undefined) throw new InputError(`${where}: it has no spec`);
  if (!isJsonObject(obj.spec)) throw new InputError(`${where}: spec must be a map, got ${typeOf(obj.spec)}`);
  const s = obj.spec;
  for (const [field, shape] of Object.entries(SPEC_SHAPES)) {
    const v = s[field];
    if (v !== undefined && v !== null && !fits(v, shape)) throw new InputError(`${where}: spec.${field} must be a ${shape}, got ${typeOf(v)}`);
  }
  for (const [field, shape] of Object.entries(NESTED_SHAPES)) {
    const [parent, child] = field.split('.');
    const p = s[parent];
    const v = isJsonObject(p) ? p[child] : undefined;
    if (v !== undefined && v !== null && !fits(v, shape)) throw new InputError(`${where}: spec.${field} must be a ${shape}, got ${typeOf(v)}`);
  }
  if (Array.isArray(s.dependsOn)) {
    s.dependsOn.forEach((d, i) => {
      if (!isJsonObject(d) || typeof d.name !== 'string' || d.name === '') throw new InputError(`${where}: spec.dependsOn[${i}] must have a name`);
      if (d.namespace !== undefined && typeof d.namespace !== 'string') throw new InputError(`${where}: spec.dependsOn[${i}].namespace must be a string, got ${typeOf(d.namespace)}`);
    });
  }
  if (isJsonObject(s.sourceRef) && (typeof s.sourceRef.name !== 'string' || s.sourceRef.name === '')) throw new InputError(`${where}: spec.sourceRef must have a name`);
}

export function specFromObject(obj: KubeObject, origin: string): FluxKustomization {
  const name = obj.metadata.name;
  const namespace = str(obj.metadata.namespace) ?? 'flux-system';
  const where = `Kustomization ${namespace}/${name} (${origin})`;
  validateSpecShape(obj, where);
  const s = obj.spec as JsonObject;
  const spec: KustomizationSpec = { name, namespace };
  spec.path = str(s.path);
  if (isJsonObject(s.sourceRef)) {
    spec.sourceRef = {
      kind: str(s.sourceRef.kind) ?? 'GitRepository',
      name: str(s.sourceRef.name) ?? '',
      namespace: str(s.sourceRef.namespace) ?? namespace,
    };
  }
  spec.targetNamespace = str(s.targetNamespace);
  spec.namePrefix = str(s.namePrefix);
  spec.nameSuffix = str(s.nameSuffix);
  spec.prune = bool(s.prune);
  spec.force = bool(s.force);
  spec.suspend = bool(s.suspend);
  const timeout = str(s.timeout);
  if (timeout !== undefined) {
    // The CRD's pattern; a spec.timeout of 0 would give the Kustomization no time at all.
    if (!durationMs(timeout)) throw new InputError(`${where}: spec.timeout ${JSON.stringify(timeout)} is not a duration like 30s, 5m or 1h`);
    spec.timeout = timeout;
  }
  if (isJsonObject(s.kubeConfig)) spec.kubeConfig = s.kubeConfig;
  spec.serviceAccountName = str(s.serviceAccountName);
  if (Array.isArray(s.dependsOn)) {
    spec.dependsOn = s.dependsOn.filter(isJsonObject).map((d) => ({ name: str(d.name) ?? '', namespace: str(d.namespace) ?? namespace }));
  }
  if (Array.isArray(s.patches)) {
    spec.patches = s.patches.map((p, i): Patch => {
      if (!isJsonObject(p) || typeof p.patch !== 'string') throw new InputError(`${where}: spec.patches[${i}] has no patch text`);
      return { patch: p.patch, target: isJsonObject(p.target) ? (strMap(p.target) as Patch['target']) : undefined };
    });
  }
  if (Array.isArray(s.images)) {
    spec.images = s.images.filter(isJsonObject).map(
      (im): Image => ({ name: str(im.name) ?? '', newName: str(im.newName), newTag: str(im.newTag), digest: str(im.digest) }),
    );
  }
  if (Array.isArray(s.components)) spec.components = s.components.filter((c): c is string => typeof c === 'string');
  if (isJsonObject(s.commonMetadata)) {
    spec.commonMetadata = { labels: strMap(s.commonMetadata.labels), annotations: strMap(s.commonMetadata.annotations) };
  }
  if (isJsonObject(s.postBuild)) {
    const pb = s.postBuild;
    spec.postBuild = {
      substitute: strMap(pb.substitute),
      substituteFrom: Array.isArray(pb.substituteFrom)
        ? pb.substituteFrom.filter(isJsonObject).map((r): SubstituteReference => {
            const kind = str(r.kind);
            if (kind !== 'ConfigMap' && kind !== 'Secret') throw new InputError(`${where}: postBuild.substituteFrom kind must be ConfigMap or Secret, got ${kind}`);
            return { kind, name: str(r.name) ?? '', optional: bool(r.optional) };
          })
        : undefined,
    };
  }
  if (isJsonObject(s.decryption)) {
    const ref = isJsonObject(s.decryption.secretRef) ? str(s.decryption.secretRef.name) : undefined;
    spec.decryption = { provider: str(s.decryption.provider) ?? 'sops', ...(ref ? { secretRef: { name: ref } } : {}) };
  }
  readFieldRules(spec, s, where);
  const appliedBy = appliedByOf(obj);
  return { spec, origin, inventory: inventoryOf(obj), ...(appliedBy ? { appliedBy } : {}) };
}

/**
 * The Kustomization that applied this one: kustomize-controller labels every object it applies with its
 * own name and namespace (fluxcd/kustomize-controller internal/controller: `kustomize.toolkit.fluxcd.io/name`).
 */
function appliedByOf(obj: KubeObject): string | undefined {
  const labels = isJsonObject(obj.metadata.labels) ? obj.metadata.labels : {};
  const name = str(labels['kustomize.toolkit.fluxcd.io/name']);
  const namespace = str(labels['kustomize.toolkit.fluxcd.io/namespace']);
  return name && namespace ? `${namespace}/${name}` : undefined;
}

function inventoryOf(obj: JsonObject): InventoryEntry[] | undefined {
  const status = obj.status;
  if (!isJsonObject(status) || !isJsonObject(status.inventory) || !Array.isArray(status.inventory.entries)) return undefined;
  const out: InventoryEntry[] = [];
  for (const e of status.inventory.entries) {
    if (!isJsonObject(e) || typeof e.id !== 'string') continue;
    const parsed = parseInventoryId(e.id);
    if (parsed) out.push({ ...parsed, id: e.id, version: str(e.v) ?? '' });
  }
  return out;
}

/** `<namespace>_<name>_<group>_<kind>`; names cannot hold `_`, so splitting is unambiguous. */
export function parseInventoryId(id: string): Omit<InventoryEntry, 'id' | 'version'> | undefined {
  const parts = id.split('_');
  if (parts.length !== 4) return undefined;
  const [namespace, name, group, kind] = parts;
  return { namespace, name, group, kind };
}

export function inventoryId(ref: { namespace?: string; name: string; group: string; kind: string }): string {
  return `${ref.namespace ?? ''}_${ref.name}_${ref.group}_${ref.kind}`;
}
