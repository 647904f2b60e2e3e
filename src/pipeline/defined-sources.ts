// postBuild.substituteFrom sources that the repository itself defines, for a run without a cluster
// (--base-ref). kustomize-controller reads a substituteFrom ConfigMap or Secret from the cluster when it
// reconciles (fluxcd/pkg kustomize LoadVariables: a ConfigMap's `data`, a Secret's `data` decoded, each
// value with its newlines removed). Where the run itself builds that ConfigMap or Secret (a
// `cluster-vars` ConfigMap in flux-system, an istio version), the cluster would hold what that build
// applies once the pull request merges: each side of the comparison reads the one its own builds
// define. What no Kustomization of the run defines stays unread (render/flux/substitute.ts leaves its
// variables as written), never guessed.
//
// A run evaluates Kustomizations in waves (pipeline/orchestrate.ts); what a wave's builds define is recorded when
// the wave ends, in evaluation order, so what a Kustomization reads never depends on timing.
import { isJsonObject, type KubeObject, type RenderedObject } from '../model/object.js';
import type { SubstituteReference } from '../model/kustomization.js';
import { UnreadSource, type VariableSource } from '../render/flux/substitute.js';

export type Side = 'head' | 'former';

interface Defined {
  values?: Record<string, string>;
  /** Why its values are not known (a SOPS Secret that could not be decrypted). */
  unknown?: string;
}

export class DefinedSources {
  private readonly sides: Record<Side, Map<string, Defined>> = { head: new Map(), former: new Map() };

  /**
   * @param names the names substituteFrom references anywhere in the repository (both refs): only
   *   ConfigMaps and Secrets with one of these names are recorded.
   */
  constructor(readonly names: ReadonlySet<string>) {}

  /** Records the ConfigMaps and Secrets one side's build of a Kustomization defines. */
  record(side: Side, objects: readonly RenderedObject[]): void {
    for (const o of objects) {
      const obj = o.object;
      if (!this.names.has(obj.metadata.name) || obj.apiVersion !== 'v1' || (obj.kind !== 'ConfigMap' && obj.kind !== 'Secret')) continue;
      const namespace = typeof obj.metadata.namespace === 'string' ? obj.metadata.namespace : '';
      const key = keyOf(obj.kind, namespace, obj.metadata.name);
      this.sides[side].set(key, o.valuesUnknown ? { unknown: 'its SOPS values could not be decrypted' } : { values: valuesOf(obj) });
    }
  }

  /** Whether every substituteFrom reference of a Kustomization in `namespace` is defined on `side`. */
  allDefined(side: Side, namespace: string, refs: readonly SubstituteReference[]): boolean {
    return refs.every((r) => this.sides[side].has(keyOf(r.kind, namespace, r.name)));
  }

  /** What the references resolve to on `side`, as one string to compare the two sides by (never printed: it holds Secret values). */
  resolved(side: Side, namespace: string, refs: readonly SubstituteReference[]): string {
    return JSON.stringify(refs.map((r) => this.sides[side].get(keyOf(r.kind, namespace, r.name)) ?? null));
  }

  /** The substituteFrom reader of one side: a defined source, else unread (no cluster to ask). */
  reader(side: Side): VariableSource {
    return async (kind, name, namespace) => {
      const d = this.sides[side].get(keyOf(kind, namespace, name));
      if (!d) return new UnreadSource('no cluster, and no Kustomization of this run defines it');
      if (d.unknown) return new UnreadSource(d.unknown);
      return d.values;
    };
  }
}

function keyOf(kind: string, namespace: string, name: string): string {
  return `${kind}/${namespace}/${name}`;
}

/** The variables a ConfigMap or Secret gives once applied: a Secret's stringData is merged into data by the API server. */
function valuesOf(obj: KubeObject): Record<string, string> {
  const out: Record<string, string> = {};
  const data = isJsonObject(obj.data) ? obj.data : {};
  for (const [k, v] of Object.entries(data)) {
    if (typeof v !== 'string') continue;
    out[k] = obj.kind === 'Secret' ? Buffer.from(v, 'base64').toString('utf8') : v;
  }
  if (obj.kind === 'Secret' && isJsonObject(obj.stringData)) {
    for (const [k, v] of Object.entries(obj.stringData)) if (typeof v === 'string') out[k] = v;
  }
  return out;
}

/** Every name a substituteFrom of these Kustomizations references. */
export function substituteFromNames(specs: Iterable<{ spec: { postBuild?: { substituteFrom?: SubstituteReference[] } } }>): Set<string> {
  const out = new Set<string>();
  for (const k of specs) for (const r of k.spec.postBuild?.substituteFrom ?? []) out.add(r.name);
  return out;
}
