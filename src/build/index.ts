// The build stage: from a local path and a Flux Kustomization spec to the objects
// kustomize-controller would apply, in apply order.
import type { KustomizationSpec } from '../flux/types.js';
import type { KubeObject } from '../kube/object.js';
import { createWorkspace } from './workspace.js';
import { runKustomize, type KustomizeBinary } from './kustomize.js';
import { parseObjects } from './documents.js';
import { applyFluxMetadata } from './metadata.js';
import { collectVariables, substituteObjects, type VariableSource } from './substitute.js';

export interface RenderedObject {
  object: KubeObject;
  /** A SOPS-encrypted Secret that could not be decrypted: only its key set is known. */
  valuesUnknown?: boolean;
}

export interface BuildOptions {
  path: string;
  spec: KustomizationSpec;
  kustomize: KustomizeBinary;
  /** Reads postBuild.substituteFrom sources; absent without a cluster. */
  variables?: VariableSource;
  strictSubstitute?: boolean;
}

export interface BuildResult {
  objects: RenderedObject[];
  notes: string[];
}

export async function buildKustomization(opts: BuildOptions): Promise<BuildResult> {
  const ws = createWorkspace(opts.path, opts.spec.path);
  try {
    const yaml = await runKustomize(opts.kustomize, ws.dir, opts.path);
    const built = parseObjects(yaml, `kustomize build ${opts.path}`);
    const { vars, notes } = await collectVariables(opts.spec, opts.variables);
    const objects = substituteObjects(opts.spec, built, vars, opts.strictSubstitute === true);
    for (const o of objects) applyFluxMetadata(o, opts.spec);
    return { objects: objects.map((object) => ({ object })), notes };
  } finally {
    ws.cleanup();
  }
}
