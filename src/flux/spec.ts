// Turns a Flux Kustomization manifest (plain JSON) into the typed spec podo works with.
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

export function specFromObject(obj: KubeObject, origin: string): FluxKustomization {
  const s = isJsonObject(obj.spec) ? obj.spec : {};
  const name = obj.metadata.name;
  const namespace = str(obj.metadata.namespace) ?? 'flux-system';
  const where = `Kustomization ${namespace}/${name} (${origin})`;
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
  if (isJsonObject(s.kubeConfig)) spec.kubeConfig = s.kubeConfig;
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
  return { spec, origin, inventory: inventoryOf(obj) };
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
