// The Flux source kinds a Kustomization can name in `spec.sourceRef` (kustomize-controller's sourceRef
// kinds), one file each. Adding a kind: its file here and its entry in SOURCE_KINDS; `--local-sources`,
// its help and the checkout's matching read this list.
import { bucket } from './bucket.js';
import { externalArtifact } from './external-artifact.js';
import { gitRepository } from './git-repository.js';
import { ociRepository } from './oci-repository.js';
import type { SourceKind } from './source-kind.js';

export type { CheckoutMatch, SourceKind } from './source-kind.js';
export { sourceKey } from './source-kind.js';
export { BOOTSTRAP_GIT_REPOSITORY, BOOTSTRAP_SOURCE, normalizeGitUrl } from './git-repository.js';

export const SOURCE_KINDS: readonly SourceKind[] = [gitRepository, ociRepository, bucket, externalArtifact];

/** The kinds' names, in the registry's order. */
export const SOURCE_KIND_NAMES: readonly string[] = SOURCE_KINDS.map((k) => k.kind);

/** The kind named KIND; undefined for a kind no Kustomization can name. */
export function sourceKind(kind: string): SourceKind | undefined {
  return SOURCE_KINDS.find((k) => k.kind === kind);
}

/** The kinds the checkout at --path may serve, with how (today: GitRepository). */
export const CHECKOUT_KINDS = SOURCE_KINDS.flatMap((k) => (k.checkout ? [{ kind: k.kind, ...k.checkout }] : []));
