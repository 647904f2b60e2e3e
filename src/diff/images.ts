// The "disallow :latest" admission rule, applied to the diff: every container of a created or drifted
// workload whose image is untagged or tagged :latest. Pure.
import { isJsonObject, type JsonValue, type KubeObject } from '../model/object.js';
import type { ImageWarning, ResourceChange } from '../model/change.js';

const POD_SPEC_PATHS: Record<string, string[]> = {
  Pod: ['spec'],
  Deployment: ['spec', 'template', 'spec'],
  StatefulSet: ['spec', 'template', 'spec'],
  DaemonSet: ['spec', 'template', 'spec'],
  ReplicaSet: ['spec', 'template', 'spec'],
  ReplicationController: ['spec', 'template', 'spec'],
  Job: ['spec', 'template', 'spec'],
  CronJob: ['spec', 'jobTemplate', 'spec', 'template', 'spec'],
};

/** The tag of an image reference, or undefined; a registry port (`registry:5000/envoy`) is not a tag. */
export function imageTag(image: string): string | undefined {
  const noDigest = image.split('@')[0];
  const lastSlash = noDigest.lastIndexOf('/');
  const lastColon = noDigest.lastIndexOf(':');
  return lastColon > lastSlash ? noDigest.slice(lastColon + 1) : undefined;
}

export function imageProblem(image: string): string | undefined {
  const tag = imageTag(image);
  if (tag === 'latest') return `image ${image} uses the :latest tag`;
  if (tag === undefined && !image.includes('@')) return `image ${image} has no tag (it means :latest)`;
  return undefined;
}

function at(v: JsonValue | undefined, p: string[]): JsonValue | undefined {
  let cur = v;
  for (const k of p) cur = isJsonObject(cur) ? cur[k] : undefined;
  return cur;
}

export function imageWarnings(resources: ResourceChange[]): ImageWarning[] {
  const out: ImageWarning[] = [];
  for (const r of resources) {
    if ((r.action !== 'created' && r.action !== 'drifted' && r.action !== 'replaced') || !r.after) continue;
    const podPath = POD_SPEC_PATHS[r.ref.kind];
    if (!podPath) continue;
    const pod = at(r.after as KubeObject, podPath);
    if (!isJsonObject(pod)) continue;
    for (const list of ['initContainers', 'containers']) {
      const cs = pod[list];
      if (!Array.isArray(cs)) continue;
      for (const c of cs) {
        if (!isJsonObject(c) || typeof c.image !== 'string') continue;
        const problem = imageProblem(c.image);
        if (problem) out.push({ ref: r.ref, container: typeof c.name === 'string' ? c.name : '?', image: c.image, message: problem });
      }
    }
  }
  return out;
}
