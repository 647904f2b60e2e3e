// Normalization before comparing, in two phases as fluxcd/pkg/ssa does:
// normalizeDesired() before the dry-run (what the API server would default anyway), and
// stripNoise() on both sides before the comparison (fields no reviewer should see as drift).
import { isJsonObject, isSecret, type JsonObject, type JsonValue, type KubeObject } from '../model/object.js';

/** Before the dry-run: Flux's normalize.Unstructured. Returns a new object. */
export function normalizeDesired(input: KubeObject): KubeObject {
  const obj = structuredClone(input);
  foldStringData(obj);
  defaultPortProtocols(obj);
  delete obj.metadata.creationTimestamp;
  // xref fluxcd/pkg#... : status is never applied, CRDs included.
  delete obj.status;
  return obj;
}

/** Secret stringData is write-only: the server folds it into data; do the same locally. */
export function foldStringData(obj: KubeObject): void {
  if (!isSecret(obj) || !isJsonObject(obj.stringData)) return;
  const data: JsonObject = isJsonObject(obj.data) ? obj.data : {};
  for (const [k, v] of Object.entries(obj.stringData)) {
    data[k] = Buffer.from(typeof v === 'string' ? v : JSON.stringify(v), 'utf8').toString('base64');
  }
  obj.data = data;
  delete obj.stringData;
}

const POD_SPEC_PATHS: Record<string, string[]> = {
  Pod: ['spec'],
  PodTemplate: ['template', 'spec'],
  CronJob: ['spec', 'jobTemplate', 'spec', 'template', 'spec'],
};
const TEMPLATE_KINDS = new Set(['Deployment', 'StatefulSet', 'DaemonSet', 'ReplicaSet', 'Job', 'ReplicationController']);

function at(obj: JsonValue | undefined, path: string[]): JsonValue | undefined {
  let cur = obj;
  for (const p of path) cur = isJsonObject(cur) ? cur[p] : undefined;
  return cur;
}

/** The API server defaults `protocol: TCP` on container and Service ports (xref kubernetes#39188). */
export function defaultPortProtocols(obj: KubeObject): void {
  const podPath = POD_SPEC_PATHS[obj.kind] ?? (TEMPLATE_KINDS.has(obj.kind) ? ['spec', 'template', 'spec'] : undefined);
  if (podPath) {
    const pod = at(obj, podPath);
    if (isJsonObject(pod)) {
      for (const list of ['containers', 'initContainers', 'ephemeralContainers']) {
        const cs = pod[list];
        if (!Array.isArray(cs)) continue;
        for (const c of cs) if (isJsonObject(c)) defaultProtocols(c.ports);
      }
    }
  }
  if (obj.kind === 'Service' && obj.apiVersion === 'v1' && isJsonObject(obj.spec)) defaultProtocols(obj.spec.ports);
}

function defaultProtocols(ports: JsonValue | undefined): void {
  if (!Array.isArray(ports)) return;
  for (const p of ports) if (isJsonObject(p) && p.protocol === undefined) p.protocol = 'TCP';
}

const NOISY_METADATA = ['managedFields', 'resourceVersion', 'uid', 'generation', 'creationTimestamp', 'selfLink'];
const NOISY_ANNOTATIONS = ['kubectl.kubernetes.io/last-applied-configuration', 'deployment.kubernetes.io/revision'];

/** Fields the server assigns on its own; noise unless the local object sets them. */
const SERVER_ASSIGNED: Array<{ kind: string; path: string[] }> = [
  { kind: 'Service', path: ['spec', 'clusterIP'] },
  { kind: 'Service', path: ['spec', 'clusterIPs'] },
  { kind: 'Service', path: ['spec', 'ipFamilies'] },
  { kind: 'Service', path: ['spec', 'ipFamilyPolicy'] },
  { kind: 'Service', path: ['spec', 'healthCheckNodePort'] },
  { kind: 'ServiceAccount', path: ['secrets'] },
];

/**
 * Removes server bookkeeping from an object about to be compared. `local` is the object as built,
 * used to tell server-assigned fields (dropped) from fields the user set (kept). Returns a new object.
 */
export function stripNoise(input: KubeObject, local?: KubeObject): KubeObject {
  // Copy all but the noise (managedFields is often the largest part of a live object).
  // Keys keep their order: renderers print objects as they come.
  const shallow: JsonObject = {};
  for (const [k, v] of Object.entries(input)) {
    if (k === 'status') continue;
    if (k !== 'metadata') shallow[k] = v;
    else {
      const metaRest: JsonObject = {};
      for (const [mk, mv] of Object.entries(input.metadata)) if (!NOISY_METADATA.includes(mk)) metaRest[mk] = mv;
      shallow[k] = metaRest;
    }
  }
  const obj = structuredClone(shallow) as KubeObject;
  const meta = obj.metadata;
  if (isJsonObject(meta.annotations)) {
    for (const k of NOISY_ANNOTATIONS) delete meta.annotations[k];
    if (Object.keys(meta.annotations).length === 0) delete meta.annotations;
  }
  if (isJsonObject(meta.labels) && Object.keys(meta.labels).length === 0) delete meta.labels;
  // Pod templates carry `creationTimestamp: null` from the server's serializer.
  const tmplMeta = at(obj, ['spec', 'template', 'metadata']);
  if (isJsonObject(tmplMeta) && tmplMeta.creationTimestamp === null) delete tmplMeta.creationTimestamp;
  const jobTmplMeta = at(obj, ['spec', 'jobTemplate', 'metadata']);
  if (isJsonObject(jobTmplMeta) && jobTmplMeta.creationTimestamp === null) delete jobTmplMeta.creationTimestamp;
  for (const { kind, path } of SERVER_ASSIGNED) {
    if (obj.kind !== kind) continue;
    if (local && at(local, path) !== undefined) continue;
    const parent = at(obj, path.slice(0, -1));
    if (isJsonObject(parent)) delete parent[path[path.length - 1]];
  }
  return obj;
}
