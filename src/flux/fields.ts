// The Kustomization fields (kustomize.toolkit.fluxcd.io/v1) that change what is applied beyond the
// overlay basics: ignoreMissingComponents, buildMetadata, ignore (drift-ignore rules), deletionPolicy
// and postBuild.substituteStrategy. Values the CRD would refuse are refused here too, naming the field.
import { InputError } from '../model/errors.js';
import type { BuildMetadataOption, DeletionPolicy, KustomizationSpec } from '../model/kustomization.js';
import { isJsonObject, type JsonObject, type JsonValue } from '../model/object.js';
import { parseIgnoreRules } from './drift-ignore.js';

const BUILD_METADATA: readonly BuildMetadataOption[] = ['originAnnotations', 'transformerAnnotations'];
const DELETION_POLICIES: readonly DeletionPolicy[] = ['MirrorPrune', 'Delete', 'WaitForTermination', 'Orphan'];
const SUBSTITUTE_STRATEGIES = ['WithVariables', 'Always'] as const;

function oneOf<T extends string>(value: JsonValue | undefined, allowed: readonly T[], field: string, where: string): T | undefined {
  if (value === undefined || value === null || value === '') return undefined;
  if (typeof value !== 'string' || !(allowed as readonly string[]).includes(value)) {
    throw new InputError(`${where}: ${field} must be one of ${allowed.join(', ')}, got ${JSON.stringify(value)}`);
  }
  return value as T;
}

/** Reads the fields into `spec` (spec.postBuild must already be set when the manifest has one). */
export function readFieldRules(spec: KustomizationSpec, s: JsonObject, where: string): void {
  if (typeof s.ignoreMissingComponents === 'boolean') spec.ignoreMissingComponents = s.ignoreMissingComponents;
  if (Array.isArray(s.buildMetadata)) {
    spec.buildMetadata = s.buildMetadata.map((v) => oneOf(v, BUILD_METADATA, 'spec.buildMetadata', where)).filter((v): v is BuildMetadataOption => v !== undefined);
  }
  const ignore = parseIgnoreRules(s.ignore);
  if (ignore.problem) throw new InputError(`${where}: ${ignore.problem}`);
  if (ignore.rules) spec.ignore = ignore.rules;
  const deletionPolicy = oneOf(s.deletionPolicy, DELETION_POLICIES, 'spec.deletionPolicy', where);
  if (deletionPolicy) spec.deletionPolicy = deletionPolicy;
  if (isJsonObject(s.postBuild) && spec.postBuild) {
    const strategy = oneOf(s.postBuild.substituteStrategy, SUBSTITUTE_STRATEGIES, 'spec.postBuild.substituteStrategy', where);
    if (strategy) spec.postBuild.substituteStrategy = strategy;
  }
}
