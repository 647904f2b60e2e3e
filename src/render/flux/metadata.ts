// Labels and annotations Flux puts on every object it applies. They go into metadata only:
// kustomize `commonLabels` would also rewrite selectors, which are immutable.
import { isJsonObject, type JsonObject, type KubeObject } from '../../model/object.js';
import type { KustomizationSpec } from '../../model/kustomization.js';

export const OWNER_NAME_LABEL = 'kustomize.toolkit.fluxcd.io/name';
export const OWNER_NAMESPACE_LABEL = 'kustomize.toolkit.fluxcd.io/namespace';

function mapAt(meta: JsonObject, key: 'labels' | 'annotations'): JsonObject {
  const cur = meta[key];
  if (isJsonObject(cur)) return cur;
  const fresh: JsonObject = {};
  meta[key] = fresh;
  return fresh;
}

export function applyFluxMetadata(obj: KubeObject, spec: KustomizationSpec): void {
  const labels = mapAt(obj.metadata, 'labels');
  for (const [k, v] of Object.entries(spec.commonMetadata?.labels ?? {})) labels[k] = v;
  labels[OWNER_NAME_LABEL] = spec.name;
  labels[OWNER_NAMESPACE_LABEL] = spec.namespace;
  const ann = spec.commonMetadata?.annotations ?? {};
  if (Object.keys(ann).length > 0) {
    const annotations = mapAt(obj.metadata, 'annotations');
    for (const [k, v] of Object.entries(ann)) annotations[k] = v;
  }
}
