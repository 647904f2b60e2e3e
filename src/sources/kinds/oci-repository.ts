// OCIRepository: an OCI artifact (a vendor's or a team's manifests pushed with `flux push artifact`).
// The checkout never serves one; `--local-sources OCIRepository/ns/name=DIR` names the directory the
// artifact was built from (what `flux push artifact --path` packed).
import type { SourceKind } from './source-kind.js';

export const ociRepository: SourceKind = { kind: 'OCIRepository' };
