// Where workloads keep their Pod template: the kinds of apps/v1, batch/v1 and core v1 that run
// containers. Shared by the image checks of diff/ and the image table of the reports.
import { isJsonObject, type JsonObject, type JsonValue } from './object.js';

export const POD_SPEC_PATHS: Record<string, string[]> = {
  Pod: ['spec'],
  Deployment: ['spec', 'template', 'spec'],
  StatefulSet: ['spec', 'template', 'spec'],
  DaemonSet: ['spec', 'template', 'spec'],
  ReplicaSet: ['spec', 'template', 'spec'],
  ReplicationController: ['spec', 'template', 'spec'],
  Job: ['spec', 'template', 'spec'],
  CronJob: ['spec', 'jobTemplate', 'spec', 'template', 'spec'],
};

/** The value at a path of map keys, or undefined. */
export function valueAt(v: JsonValue | undefined, path: string[]): JsonValue | undefined {
  let cur = v;
  for (const k of path) cur = isJsonObject(cur) ? cur[k] : undefined;
  return cur;
}

/** The Pod spec of a workload object, or undefined for other kinds. */
export function podSpecOf(obj: JsonObject & { kind: string }): JsonObject | undefined {
  const path = POD_SPEC_PATHS[obj.kind];
  if (!path) return undefined;
  const pod = valueAt(obj, path);
  return isJsonObject(pod) ? pod : undefined;
}

export interface ContainerImage {
  /** `initContainers` or `containers`. */
  list: 'initContainers' | 'containers';
  name: string;
  image: string;
}

/** Every (init) container of a Pod spec that names an image, in the spec's order. */
export function containerImages(pod: JsonObject): ContainerImage[] {
  const out: ContainerImage[] = [];
  for (const list of ['initContainers', 'containers'] as const) {
    const cs = pod[list];
    if (!Array.isArray(cs)) continue;
    for (const c of cs) {
      if (!isJsonObject(c) || typeof c.image !== 'string') continue;
      out.push({ list, name: typeof c.name === 'string' ? c.name : '?', image: c.image });
    }
  }
  return out;
}
