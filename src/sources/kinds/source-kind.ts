// What a Flux source kind is to podo: a directory a Kustomization's `spec.sourceRef` can be served from.
// Every kind is served by a `--local-sources Kind/namespace/name=DIR` mapping, DIR standing for the
// artifact source-controller would hand to kustomize-controller; a kind the checkout at --path can serve
// itself also says how its objects are found (in the cluster, in the repository) and matched to it.
import type { KubeObject } from '../../model/object.js';

export interface SourceKind {
  /** The kind as `spec.sourceRef.kind` names it (kustomize-controller's sourceRef kinds). */
  readonly kind: string;
  /** Set when the checkout at --path may serve objects of this kind; else only --local-sources does. */
  readonly checkout?: CheckoutMatch;
}

export interface CheckoutMatch {
  /** The API group and version its objects are listed in from the cluster. */
  readonly apiVersion: string;
  /** Whether a repository scan keeps OBJ as one of this kind's objects (kind and group, any version). */
  isManifest(obj: KubeObject): boolean;
  /**
   * The keys (`Kind/namespace/name`) of the objects, of OBJECTS (from the cluster, or found in the
   * repository without one), that the checkout at REPO_ROOT serves.
   */
  served(repoRoot: string, objects: KubeObject[]): Set<string>;
}

/** `Kind/namespace/name`, the key `--local-sources` and the checkout's sources are matched by. */
export const sourceKey = (kind: string, namespace: string, name: string) => `${kind}/${namespace}/${name}`;
