// Bucket: the objects of an S3-compatible, GCS or Azure bucket. The checkout never serves one;
// `--local-sources Bucket/ns/name=DIR` names a directory holding what the bucket holds.
import type { SourceKind } from './source-kind.js';

export const bucket: SourceKind = { kind: 'Bucket' };
