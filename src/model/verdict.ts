// What a target (the cluster's dry-run, or the same build at a git ref) says about one object. The one
// conversion to ResourceChange (diff/changes.ts) reads only this: it never knows which target answered.
import type { FieldPath, KubeObject, ObjectRef } from './object.js';

/**
 * Any verdict may name the HelmRelease whose chart renders (or rendered) the object, and the fields
 * whose values depend on a secret (masked on both sides, whichever side they came from).
 */
export type Verdict = VerdictBody & { helmRelease?: string; secretPaths?: FieldPath[] };

type VerdictBody =
  /** The target applied it: `merged` is the result, `live` what was there before (when `existed`). */
  | { action: 'applied'; ref: ObjectRef; existed: boolean; desired: KubeObject; live?: KubeObject; merged: KubeObject }
  /** Not applied because something it needs (a Namespace, a CRD) is created first by this run: shown as created. */
  | { action: 'staged'; ref: ObjectRef; desired: KubeObject; reason: string }
  /** A Secret whose values podo cannot know (undecryptable SOPS): key sets compared only. */
  | { action: 'unknown-values'; ref: ObjectRef; existed: boolean; desired: KubeObject; live?: KubeObject }
  | { action: 'skipped'; ref: ObjectRef; reason: string }
  /** An immutable field changes and the object would be deleted and created again (force). */
  | { action: 'replaced'; ref: ObjectRef; desired: KubeObject; live: KubeObject; reason: string }
  /** Pruned: in the inventory (or the base build) and no longer built. */
  | { action: 'deleted'; ref: ObjectRef; live: KubeObject }
  | { action: 'failed'; ref: ObjectRef; reason: string };

/** What the Kustomizations this one depends on create (evaluated earlier in the same run). */
export interface CreatedByDependencies {
  /** Namespace name → `Kustomization ns/name` that creates it. */
  namespaces: Map<string, string>;
  /** `group/Kind` of a CRD → who creates it and whether its objects are namespaced. */
  crds: Map<string, { by: string; namespaced: boolean }>;
}

/** Why a server-side apply dry run was refused, as read from the API server's answer (cluster/dryrun.ts). */
export type DryRunFailure =
  /** The object's Namespace does not exist. */
  | { kind: 'namespace-missing'; namespace: string }
  | { kind: 'denied'; message: string }
  /** `generic`: the message as for any other failure, for when the field cannot be replaced (no live object). */
  | { kind: 'immutable'; field: string; message: string; generic: string }
  | { kind: 'other'; message: string };
