// The "disallow :latest" admission rule, applied to the diff: every container of a created or drifted
// workload whose image is untagged or tagged :latest. Pure.
import { containerImages, podSpecOf } from '../model/workload.js';
import type { ImageWarning, ResourceChange } from '../model/change.js';

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

export function imageWarnings(resources: ResourceChange[]): ImageWarning[] {
  const out: ImageWarning[] = [];
  for (const r of resources) {
    if ((r.action !== 'created' && r.action !== 'drifted' && r.action !== 'replaced') || !r.after) continue;
    const pod = podSpecOf(r.after);
    if (!pod) continue;
    for (const c of containerImages(pod)) {
      const problem = imageProblem(c.image);
      if (problem) out.push({ ref: r.ref, container: c.name, image: c.image, message: problem });
    }
  }
  return out;
}
