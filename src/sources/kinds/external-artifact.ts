// ExternalArtifact: an artifact another controller produces.
// The checkout never serves one; `--local-sources ExternalArtifact/ns/name=DIR` names the directory
// holding the artifact's content.
import type { SourceKind } from './source-kind.js';

export const externalArtifact: SourceKind = { kind: 'ExternalArtifact' };
