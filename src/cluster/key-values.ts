// Reads a ConfigMap's or Secret's entries as plain strings (Secret values base64-decoded), for
// postBuild.substituteFrom and decryption keys. The values never reach output: callers only use them.
import type { ClusterClient } from './client.js';
import { asDenied, deniedError } from './denied.js';
import { ClusterError } from '../model/errors.js';
import { isJsonObject } from '../model/object.js';
import { secrets } from '../model/secrets.js';

export async function readKeyValues(client: ClusterClient, kind: 'ConfigMap' | 'Secret', name: string, namespace: string): Promise<Record<string, string> | undefined> {
  const info = await client.resolve('v1', kind);
  if (!info) throw new ClusterError(`the cluster does not serve v1 ${kind}`);
  let obj;
  try {
    obj = await client.get(info, name, namespace);
  } catch (err) {
    const denied = asDenied(err);
    if (denied) throw deniedError(denied, client.identity, 'get', info.plural, namespace);
    throw err;
  }
  if (!obj) return undefined;
  // Whatever a Secret holds is secret wherever substitution or decryption puts it.
  if (kind === 'Secret') secrets.addSecretObject(obj);
  const out: Record<string, string> = {};
  const decode = kind === 'Secret';
  for (const field of decode ? ['stringData', 'data'] : ['data', 'binaryData']) {
    const m = obj[field];
    if (!isJsonObject(m)) continue;
    for (const [k, v] of Object.entries(m)) {
      if (typeof v !== 'string') continue;
      out[k] = decode && field === 'data' ? Buffer.from(v, 'base64').toString('utf8') : v;
      if (decode) secrets.add(out[k]);
    }
  }
  return out;
}
