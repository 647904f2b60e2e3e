// postBuild substitution as kustomize-controller runs it: variables from substituteFrom ConfigMaps and
// Secrets (in order, later wins), then inline substitute; expanded on each object's YAML text.
import type { KustomizationSpec } from '../../model/kustomization.js';
import { annotationsOf, labelsOf, refOf, subjectOf, type KubeObject } from '../../model/object.js';
import { BuildError } from '../../model/errors.js';
import { isValidVariableName, substitute } from './envsubst.js';
import { asObject, toYaml } from '../documents.js';
import { parse } from 'yaml';
import { secrets } from '../../model/secrets.js';
import { standIn, type ShadowVariant } from '../secret-derived.js';

export const SUBSTITUTE = 'kustomize.toolkit.fluxcd.io/substitute';

/** A substituteFrom source whose values cannot be known (no cluster to read it from): its variables stay as written. */
export class UnreadSource {
  constructor(readonly reason: string) {}
}

/** Reads one substituteFrom source; undefined when it does not exist. Secret values arrive decoded. */
export type VariableSource = (kind: 'ConfigMap' | 'Secret', name: string, namespace: string) => Promise<Record<string, string> | undefined | UnreadSource>;

export interface Variables {
  vars: Record<string, string>;
  notes: string[];
  /** How many values came from Secrets. */
  secretInputs: number;
  /** Some substituteFrom source could not be read: unset variables are left as written. */
  unread: boolean;
}

/** `variant`: a stand-in rendering (render/secret-derived.ts): Secret values are replaced by stand-ins. */
export async function collectVariables(spec: KustomizationSpec, source: VariableSource | undefined, variant?: ShadowVariant): Promise<Variables> {
  const vars: Record<string, string> = {};
  const notes: string[] = [];
  let secretInputs = 0;
  const refs = spec.postBuild?.substituteFrom ?? [];
  // Without them, a variable they might define is not guessed: its expression stays as written.
  const unreadBy = new Map<string, string[]>();
  if (!source && refs.length > 0) unreadBy.set('no cluster', refs.map((r) => `${r.kind}/${r.name}`));
  for (const ref of source ? refs : []) {
    const values = await source!(ref.kind, ref.name, spec.namespace);
    if (values instanceof UnreadSource) {
      unreadBy.set(values.reason, [...(unreadBy.get(values.reason) ?? []), `${ref.kind}/${ref.name}`]);
      continue;
    }
    if (!values) {
      if (ref.optional) continue;
      throw new BuildError(`postBuild.substituteFrom: ${ref.kind} ${spec.namespace}/${ref.name} not found (mark it optional: true if it may be absent)`);
    }
    for (const [k, v] of Object.entries(values)) {
      if (!isValidVariableName(k)) {
        throw new BuildError(`postBuild.substituteFrom: ${ref.kind} ${spec.namespace}/${ref.name} has key "${k}", which is not a valid variable name`);
      }
      vars[k] = stripNewlines(v);
      if (ref.kind !== 'Secret') continue;
      secretInputs++;
      if (variant) vars[k] = standIn(`Secret/${spec.namespace}/${ref.name}/${k}`, variant);
      // A value from a Secret stays secret in whatever object substitution puts it.
      else secrets.add(vars[k]);
    }
  }
  for (const [k, v] of Object.entries(spec.postBuild?.substitute ?? {})) {
    if (!isValidVariableName(k)) throw new BuildError(`postBuild.substitute: "${k}" is not a valid variable name`);
    vars[k] = stripNewlines(v);
  }
  for (const [reason, names] of unreadBy) notes.push(`postBuild.substituteFrom not read (${reason}): ${names.join(', ')}; variables they may define are left as written`);
  return { vars, notes, secretInputs, unread: unreadBy.size > 0 };
}

// kustomize-controller removes newlines from values so they cannot break the YAML structure.
function stripNewlines(v: string): string {
  return v.replace(/\n/g, '');
}

export function substitutionDisabled(obj: KubeObject): boolean {
  const v = annotationsOf(obj)[SUBSTITUTE] ?? labelsOf(obj)[SUBSTITUTE];
  return typeof v === 'string' && v.toLowerCase() === 'disabled';
}

/**
 * Substitutes on the YAML text of each object and re-parses it, so that types come out as in Flux
 * (kustomize dropped the quotes of `"${v}"`, and `replicas: ${N}` becomes a number). Runs only when
 * at least one variable is defined, or with `postBuild.substituteStrategy: Always` (so that
 * `${v:=default}` expands without variables), as fluxcd/pkg kustomize SubstituteVariables does.
 */
export function substituteObjects(spec: KustomizationSpec, objects: KubeObject[], vars: Record<string, string>, strict: boolean, keepUnset = false): KubeObject[] {
  if (!spec.postBuild) return objects;
  if (Object.keys(vars).length === 0 && spec.postBuild.substituteStrategy !== 'Always') return objects;
  return objects.map((obj) => {
    if (substitutionDisabled(obj)) return obj;
    const subject = subjectOf(refOf(obj));
    const text = toYaml(obj);
    const out = substitute(text, vars, { strict, subject, keepUnset });
    if (out === text) return obj;
    let parsed: unknown;
    try {
      parsed = parse(out);
    } catch (err) {
      throw new BuildError(`postBuild substitution made ${subject} invalid YAML: ${(err as Error).message.split('\n')[0]}`);
    }
    return asObject(parsed, subject);
  });
}
