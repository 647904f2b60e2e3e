// Flux Kustomization (kustomize.toolkit.fluxcd.io/v1) as podo needs it: the spec fields that shape the
// build and the diff, plus the live inventory used for deletions.
import type { JsonObject, KubeObject } from './object.js';

export interface SourceRef {
  kind: string;
  name: string;
  /** Defaults to the Kustomization's own namespace when absent in the manifest (filled in by the loader). */
  namespace: string;
}

export interface Selector {
  group?: string;
  version?: string;
  kind?: string;
  name?: string;
  namespace?: string;
  labelSelector?: string;
  annotationSelector?: string;
}

export interface Patch {
  /** Inline strategic-merge patch or JSON6902 patch, as YAML/JSON text. */
  patch: string;
  target?: Selector;
}

export interface Image {
  name: string;
  newName?: string;
  newTag?: string;
  digest?: string;
}

export interface SubstituteReference {
  kind: 'ConfigMap' | 'Secret';
  name: string;
  optional?: boolean;
}

export interface PostBuild {
  substitute?: Record<string, string>;
  substituteFrom?: SubstituteReference[];
  /** `Always` substitutes even when no variable is defined (so `${v:=default}` expands); default `WithVariables`. */
  substituteStrategy?: 'WithVariables' | 'Always';
}

/** `spec.ignore[]`: JSON pointers (RFC 6901) left out of drift detection on the objects `target` selects (all when absent). */
export interface IgnoreRule {
  paths: string[];
  target?: Selector;
}

/** The JSON pointers `spec.ignore` leaves out of the comparison of one object (its dry-run result); `""` is all of it. */
export type IgnoredPaths = (obj: KubeObject) => string[];

/** `spec.deletionPolicy`: what Flux does to the inventory when the Kustomization itself is deleted. */
export type DeletionPolicy = 'MirrorPrune' | 'Delete' | 'WaitForTermination' | 'Orphan';

/** `spec.buildMetadata` options: kustomize build metadata annotations on the built objects. */
export type BuildMetadataOption = 'originAnnotations' | 'transformerAnnotations';

export interface KustomizationSpec {
  name: string;
  namespace: string;
  path?: string;
  sourceRef?: SourceRef;
  targetNamespace?: string;
  namePrefix?: string;
  nameSuffix?: string;
  patches?: Patch[];
  images?: Image[];
  components?: string[];
  /** Drop spec.components paths that do not exist instead of failing the build. */
  ignoreMissingComponents?: boolean;
  buildMetadata?: BuildMetadataOption[];
  /** Drift-ignore rules (`spec.ignore`). */
  ignore?: IgnoreRule[];
  deletionPolicy?: DeletionPolicy;
  commonMetadata?: { labels?: Record<string, string>; annotations?: Record<string, string> };
  postBuild?: PostBuild;
  /** `spec.decryption`: provider sops, with an optional Secret holding `*.agekey` entries. */
  decryption?: { provider: string; secretRef?: { name: string } };
  prune?: boolean;
  force?: boolean;
  /** Set when the Kustomization targets a remote cluster (`spec.kubeConfig`). */
  kubeConfig?: JsonObject;
  suspend?: boolean;
  /** `spec.timeout` (e.g. `5m`): the Kustomization's own time budget, as kustomize-controller gives it. */
  timeout?: string;
  /** Kustomizations that must be ready first; the namespace defaults to this one's (filled in by the loader). */
  dependsOn?: Array<{ name: string; namespace: string }>;
  /** kustomize-controller applies as system:serviceaccount:NAMESPACE:NAME when set. */
  serviceAccountName?: string;
}

export interface InventoryEntry {
  /** `<namespace>_<name>_<group>_<kind>` as Flux writes it. */
  id: string;
  namespace: string;
  name: string;
  group: string;
  kind: string;
  version: string;
}

/** A Kustomization as loaded: its spec, and where it came from. */
export interface FluxKustomization {
  spec: KustomizationSpec;
  /** The live `status.inventory`, when the Kustomization exists in the cluster. */
  inventory?: InventoryEntry[];
  /** Where the spec came from: `cluster`, or the file it was read from. */
  origin: string;
  /**
   * `namespace/name` of the Kustomization that applied this one, from the labels kustomize-controller puts
   * on what it applies (`kustomize.toolkit.fluxcd.io/name`, `…/namespace`); read for --shard.
   */
  appliedBy?: string;
  /** Set when a listed manifest has a spec podo refuses (e.g. an invalid spec.ignore rule): it is reported failed with this, the others go on. */
  problem?: string;
}
