// The objects of an installed release, read from Helm's storage Secret (sh.helm.release.v1.NAME.vN):
// base64 → gzip → JSON whose `manifest` is the rendered release. The record also holds the merged
// values, Secret values included: only object identities leave this module, never the record.
import { gunzipSync } from 'node:zlib';
import { isJsonObject, type KubeObject } from '../../model/object.js';
import { parseKustomizeOutput } from '../documents.js';

export interface ReleaseObjectRef {
  apiVersion: string;
  kind: string;
  name: string;
  namespace?: string;
}

/** The storage Secret of the release's current revision: the highest deployed one, else the highest. */
export function currentReleaseSecret(secrets: KubeObject[], releaseName: string): KubeObject | undefined {
  const mine = secrets.filter((s) => {
    const l = isJsonObject(s.metadata.labels) ? s.metadata.labels : {};
    return s.type === 'helm.sh/release.v1' && l.owner === 'helm' && l.name === releaseName;
  });
  const version = (s: KubeObject) => parseInt(String((s.metadata.labels as Record<string, string>).version ?? '0'), 10) || 0;
  const status = (s: KubeObject) => String((s.metadata.labels as Record<string, string>).status ?? '');
  mine.sort((a, b) => version(b) - version(a));
  return mine.find((s) => status(s) === 'deployed') ?? mine[0];
}

/** Object identities of the release manifest; undefined when the record cannot be read. */
export function releaseObjects(secret: KubeObject, releaseNamespace: string): ReleaseObjectRef[] | undefined {
  try {
    const data = isJsonObject(secret.data) ? secret.data : {};
    if (typeof data.release !== 'string') return undefined;
    let raw = Buffer.from(Buffer.from(data.release, 'base64').toString('utf8'), 'base64');
    if (raw[0] === 0x1f && raw[1] === 0x8b) raw = gunzipSync(raw);
    const record: unknown = JSON.parse(raw.toString('utf8'));
    if (!isJsonObject(record) || typeof record.manifest !== 'string') return undefined;
    return parseKustomizeOutput(record.manifest, 'release').map((o) => ({
      apiVersion: o.apiVersion,
      kind: o.kind,
      name: o.metadata.name,
      namespace: typeof o.metadata.namespace === 'string' && o.metadata.namespace ? o.metadata.namespace : releaseNamespace,
    }));
  } catch {
    // A record podo cannot read says nothing: and its text must not reach a message.
    return undefined;
  }
}
