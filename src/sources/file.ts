// Kustomization specs from a local manifest (--kustomization-file).
import { readFileSync, existsSync } from 'node:fs';
import { InputError } from '../model/errors.js';
import { parseObjects } from '../render/documents.js';
import { specFromObject, isFluxKustomization } from '../flux/spec.js';
import type { FluxKustomization } from '../model/kustomization.js';
import type { KubeObject } from '../model/object.js';

/** Reads Flux Kustomizations from a (multi-document) manifest. */
export function readKustomizationFile(file: string): KubeObject[] {
  if (!existsSync(file)) throw new InputError(`--kustomization-file ${file}: no such file`, file);
  const objs = parseObjects(readFileSync(file, 'utf8'), file);
  return objs.filter(isFluxKustomization);
}

export function pickFromFile(file: string, name: string, namespace: string): FluxKustomization {
  const match = readKustomizationFile(file).find(
    (o) => o.metadata.name === name && (o.metadata.namespace === undefined || o.metadata.namespace === namespace),
  );
  if (!match) throw new InputError(`${file}: no Flux Kustomization ${namespace}/${name} in it`, file);
  const withNs = { ...match, metadata: { ...match.metadata, namespace } } as KubeObject;
  return specFromObject(withNs, file);
}
