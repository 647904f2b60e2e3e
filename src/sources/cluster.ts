// Kustomization specs (and the source objects the checkout may serve) as the cluster has them.
import type { ClusterClient } from '../cluster/client.js';
import { asDenied, deniedError } from '../cluster/denied.js';
import { InputError, NotFoundError, ClusterError } from '../model/errors.js';
import { specFromObject, FLUX_KUSTOMIZATION_GROUP } from '../flux/spec.js';
import type { FluxKustomization } from '../model/kustomization.js';
import { isJsonObject, type JsonObject, type JsonValue, type KubeObject } from '../model/object.js';
import { CHECKOUT_KINDS } from './kinds/index.js';

export async function kustomizationResource(client: ClusterClient) {
  const info = await client.resolve(`${FLUX_KUSTOMIZATION_GROUP}/v1`, 'Kustomization');
  if (!info) {
    throw new ClusterError(`the cluster does not serve ${FLUX_KUSTOMIZATION_GROUP}/v1 Kustomizations: is Flux installed?`);
  }
  return info;
}

/** The Kustomization as the cluster has it; `deadline`: the read gives up then (the Kustomization's budget). */
export async function loadFromCluster(client: ClusterClient, name: string, namespace: string, deadline?: number): Promise<FluxKustomization | undefined> {
  const info = await kustomizationResource(client);
  try {
    const obj = await (deadline ? client.withDeadline(deadline) : client).get(info, name, namespace);
    return obj ? specFromObject(obj, 'cluster') : undefined;
  } catch (err) {
    const denied = asDenied(err);
    if (denied) throw deniedError(denied, client.identity, 'get', `${info.plural}.${info.group}`, namespace);
    throw err;
  }
}

export async function listFromCluster(client: ClusterClient, namespace?: string): Promise<FluxKustomization[]> {
  const info = await kustomizationResource(client);
  try {
    return (await client.list(info, namespace)).map(readListed);
  } catch (err) {
    const denied = asDenied(err);
    if (denied) throw deniedError(denied, client.identity, 'list', `${info.plural}.${info.group}`, namespace);
    throw err;
  }
}

/** One listed Kustomization; an invalid spec fails that one alone (kustomize-controller fails only its reconciliation too). */
function readListed(obj: KubeObject): FluxKustomization {
  try {
    return specFromObject(obj, 'cluster');
  } catch (err) {
    if (!(err instanceof InputError)) throw err;
    // Only what says where it comes from, so an unmapped one is still skipped as such.
    const { spec } = specFromObject({ ...obj, spec: sourceFields(obj.spec) }, 'cluster');
    return { spec, origin: 'cluster', problem: err.message };
  }
}

function sourceFields(spec: JsonValue | undefined): JsonObject {
  if (!isJsonObject(spec)) return {};
  const out: JsonObject = {};
  for (const k of ['sourceRef', 'path', 'suspend', 'kubeConfig']) if (spec[k] !== undefined) out[k] = spec[k];
  return out;
}

/**
 * The cluster's objects of the source kinds the checkout at --path may serve (sources/kinds/: its
 * GitRepositories), to find the ones it serves; none of a kind that cannot be read.
 */
export async function listCheckoutSourceObjects(client: ClusterClient): Promise<KubeObject[]> {
  const out: KubeObject[] = [];
  for (const k of CHECKOUT_KINDS) {
    try {
      const info = await client.resolve(k.apiVersion, k.kind);
      if (info) out.push(...(await client.list(info)));
    } catch {
      /* not readable: the checkout serves Flux's bootstrap default */
    }
  }
  return out;
}

/** The name pipeline/ calls listCheckoutSourceObjects by. */
export const listGitRepositories = listCheckoutSourceObjects;

export function notFound(name: string, namespace: string): NotFoundError {
  return new NotFoundError(
    `Kustomization ${namespace}/${name} not found in the cluster (hint: check -n/--namespace, or pass --kustomization-file FILE --ignore-not-found for one not applied yet)`,
  );
}
