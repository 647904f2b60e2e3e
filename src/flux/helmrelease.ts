// Turns a HelmRelease manifest (plain JSON) into the typed spec the chart renderer works with, with
// helm-controller's defaults (api/v2/helmrelease_types.go, internal/release/name.go).
import { createHash } from 'node:crypto';
import { isJsonObject, type JsonValue, type KubeObject } from '../model/object.js';
import { InputError } from '../model/errors.js';
import type { Image, Patch } from '../model/kustomization.js';
import type { CrdPolicy, HelmReleaseSpec, ObjectKey, ValuesReference } from '../model/helm.js';

export const HELM_GROUP = 'helm.toolkit.fluxcd.io';

export function isHelmRelease(obj: { apiVersion?: unknown; kind?: unknown }): boolean {
  return obj.kind === 'HelmRelease' && typeof obj.apiVersion === 'string' && obj.apiVersion.startsWith(HELM_GROUP + '/');
}

const str = (v: JsonValue | undefined): string | undefined => (typeof v === 'string' && v !== '' ? v : undefined);
const strMap = (v: JsonValue | undefined): Record<string, string> | undefined => {
  if (!isJsonObject(v)) return undefined;
  const out: Record<string, string> = {};
  for (const [k, x] of Object.entries(v)) out[k] = typeof x === 'string' ? x : JSON.stringify(x);
  return out;
};

/**
 * helm-controller's ShortenName: a release name longer than 53 characters (Helm's limit) becomes its
 * first 40 characters, a hyphen and the first 12 hex digits of its SHA-256.
 */
export function shortenReleaseName(name: string): string {
  if (name.length <= 53) return name;
  const sum = createHash('sha256').update(name).digest('hex');
  return `${name.slice(0, 53 - 13)}-${sum.slice(0, 12)}`;
}

function crdPolicy(v: JsonValue | undefined, where: string): CrdPolicy {
  if (v === undefined || v === '') return 'Create';
  if (v === 'Skip' || v === 'Create' || v === 'CreateReplace') return v;
  throw new InputError(`${where}: invalid CRD policy ${JSON.stringify(v)} (Skip, Create or CreateReplace)`);
}

function objectKey(v: JsonValue | undefined, defaultNamespace: string): ObjectKey | undefined {
  if (!isJsonObject(v)) return undefined;
  const kind = str(v.kind);
  const name = str(v.name);
  if (!kind || !name) return undefined;
  return { kind, name, namespace: str(v.namespace) ?? defaultNamespace, ...(str(v.apiVersion) ? { apiVersion: str(v.apiVersion) } : {}) };
}

export function helmReleaseFromObject(obj: KubeObject): HelmReleaseSpec {
  const s = isJsonObject(obj.spec) ? obj.spec : {};
  const name = obj.metadata.name;
  const namespace = str(obj.metadata.namespace as JsonValue) ?? 'default';
  const where = `HelmRelease ${namespace}/${name}`;
  const targetNamespace = str(s.targetNamespace);
  const releaseName = shortenReleaseName(str(s.releaseName) ?? (targetNamespace ? `${targetNamespace}-${name}` : name));

  let chart: HelmReleaseSpec['chart'];
  if (isJsonObject(s.chart) && isJsonObject(s.chart.spec)) {
    const c = s.chart.spec;
    const sourceRef = objectKey(c.sourceRef, namespace);
    const chartName = str(c.chart);
    if (!sourceRef || !chartName) throw new InputError(`${where}: spec.chart.spec needs chart and sourceRef.kind/name`);
    chart = {
      chart: chartName,
      version: str(c.version),
      sourceRef,
      valuesFiles: Array.isArray(c.valuesFiles) ? c.valuesFiles.filter((f): f is string => typeof f === 'string') : undefined,
      ignoreMissingValuesFiles: c.ignoreMissingValuesFiles === true,
    };
  }
  const chartRef = objectKey(s.chartRef, namespace);

  const valuesFrom: ValuesReference[] = [];
  if (Array.isArray(s.valuesFrom)) {
    s.valuesFrom.forEach((r, i) => {
      if (!isJsonObject(r)) throw new InputError(`${where}: spec.valuesFrom[${i}] is not a map`);
      const kind = str(r.kind);
      if (kind !== 'ConfigMap' && kind !== 'Secret') throw new InputError(`${where}: spec.valuesFrom[${i}].kind must be ConfigMap or Secret, got ${JSON.stringify(r.kind ?? null)}`);
      const refName = str(r.name);
      if (!refName) throw new InputError(`${where}: spec.valuesFrom[${i}] has no name`);
      valuesFrom.push({
        kind,
        name: refName,
        valuesKey: str(r.valuesKey) ?? 'values.yaml',
        targetPath: str(r.targetPath),
        optional: r.optional === true,
        literal: r.literal === true,
      });
    });
  }

  const postRenderers: HelmReleaseSpec['postRenderers'] = [];
  if (Array.isArray(s.postRenderers)) {
    s.postRenderers.forEach((pr, i) => {
      if (!isJsonObject(pr) || !isJsonObject(pr.kustomize)) return;
      const k = pr.kustomize;
      const patches: Patch[] = Array.isArray(k.patches)
        ? k.patches.map((p, j): Patch => {
            if (!isJsonObject(p) || typeof p.patch !== 'string') throw new InputError(`${where}: spec.postRenderers[${i}].kustomize.patches[${j}] has no patch text`);
            return { patch: p.patch, target: isJsonObject(p.target) ? (strMap(p.target) as Patch['target']) : undefined };
          })
        : [];
      const images: Image[] = Array.isArray(k.images)
        ? k.images.filter(isJsonObject).map((im): Image => ({ name: str(im.name) ?? '', newName: str(im.newName), newTag: str(im.newTag), digest: str(im.digest) }))
        : [];
      postRenderers.push({ patches, images });
    });
  }

  const install = isJsonObject(s.install) ? s.install : {};
  const upgrade = isJsonObject(s.upgrade) ? s.upgrade : {};
  const strategy = str(s.postRenderStrategy);
  if (strategy !== undefined && strategy !== 'nohooks' && strategy !== 'combined' && strategy !== 'separate') {
    throw new InputError(`${where}: spec.postRenderStrategy ${JSON.stringify(strategy)} is not one of nohooks, combined, separate`);
  }
  return {
    name,
    namespace,
    releaseName,
    releaseNamespace: targetNamespace ?? namespace,
    storageNamespace: str(s.storageNamespace) ?? namespace,
    chart,
    chartRef,
    values: isJsonObject(s.values) ? s.values : {},
    valuesFrom,
    postRenderers,
    ...(strategy ? { postRenderStrategy: strategy } : {}),
    commonMetadata: isJsonObject(s.commonMetadata)
      ? { labels: strMap(s.commonMetadata.labels), annotations: strMap(s.commonMetadata.annotations) }
      : undefined,
    // helm-controller's internal/action/crds.go: an empty policy is Create on install and upgrade alike.
    // The deprecated install.skipCRDs has no effect (internal/action/install.go sets helm's SkipCRDs
    // always and applies crds/ by install.crds alone).
    installCrds: crdPolicy(install.crds, where),
    upgradeCrds: crdPolicy(upgrade.crds, where),
    // helm-controller only passes CreateNamespace with a targetNamespace (internal/action/install.go).
    createNamespace: targetNamespace !== undefined && install.createNamespace === true,
    suspend: s.suspend === true,
    remote: isJsonObject(s.kubeConfig),
  };
}

/** The live HelmRelease's status.inventory: what helm-controller applied last (`<ns>_<name>_<group>_<kind>` + version). */
export function helmInventory(obj: KubeObject): { namespace: string; name: string; group: string; kind: string; version: string }[] | undefined {
  const status = obj.status;
  if (!isJsonObject(status) || !isJsonObject(status.inventory) || !Array.isArray(status.inventory.entries)) return undefined;
  const out = [];
  for (const e of status.inventory.entries) {
    if (!isJsonObject(e) || typeof e.id !== 'string') continue;
    const parts = e.id.split('_');
    if (parts.length < 4) continue;
    // Names cannot hold `_`; the group may be empty.
    const [namespace, name, group, kind] = [parts[0], parts[1], parts.slice(2, -1).join('_'), parts[parts.length - 1]];
    out.push({ namespace, name, group, kind, version: typeof e.v === 'string' ? e.v : 'v1' });
  }
  return out;
}
