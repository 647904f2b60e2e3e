// Tenancy: kustomize-controller applies a Kustomization's objects as its service account
// (spec.serviceAccountName, else the controller's --default-service-account), impersonating
// system:serviceaccount:NAMESPACE:NAME with the groups system:serviceaccounts and
// system:serviceaccounts:NAMESPACE. podo dry-runs the same way, so what RBAC would refuse the tenant
// shows as that object's failure. A caller who may not impersonate is told once and goes on as itself.
import type { ClusterClient } from '../cluster/client.js';
import type { KustomizationSpec } from '../model/kustomization.js';
import type { ClusterSettings } from '../model/settings.js';

export interface ServiceAccountIdentity {
  user: string;
  groups: string[];
}

/** The identity kustomize-controller applies `spec` as, or undefined for the controller's own. */
export function serviceAccountOf(spec: KustomizationSpec, defaultServiceAccount?: string): ServiceAccountIdentity | undefined {
  const sa = spec.serviceAccountName ?? defaultServiceAccount;
  if (!sa) return undefined;
  return { user: `system:serviceaccount:${spec.namespace}:${sa}`, groups: ['system:serviceaccounts', `system:serviceaccounts:${spec.namespace}`] };
}

/** The client each Kustomization's dry-runs are sent with. */
export function impersonation(
  client: ClusterClient,
  settings: ClusterSettings,
  warn: (text: string) => void = () => undefined,
): (spec: KustomizationSpec) => Promise<{ client: ClusterClient; notes: string[] }> {
  const allowed = new Map<string, Promise<boolean>>();
  let warned = false;
  return async (spec) => {
    if (!settings.impersonate) return { client, notes: [] };
    const id = serviceAccountOf(spec, settings.defaultServiceAccount);
    if (!id) return { client, notes: [] };
    let check = allowed.get(id.user);
    if (!check) {
      check = client.canImpersonate(id.user, id.groups);
      allowed.set(id.user, check);
    }
    if (await check) return { client: client.impersonating(id.user, id.groups), notes: [] };
    if (!warned) {
      warned = true;
      warn(`${client.identity} may not impersonate service accounts: dry-runs go as ${client.identity}, so what RBAC would refuse a tenant's service account is not shown (--no-impersonate to choose this)`);
    }
    return { client, notes: [`not dry-run as ${id.user} (${client.identity} may not impersonate it): RBAC refusals of that service account are not shown`] };
  };
}
