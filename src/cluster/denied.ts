// 401/403 answers become one line that names the verb, the resource and who was refused.
import { ApiError } from './http.js';
import { ClusterError } from '../model/errors.js';

/** The identity the server judged (e.g. `system:serviceaccount:ns:sa`), else the kubeconfig user. */
export function deniedIdentity(err: ApiError, fallback: string): string {
  const m = err.message.match(/User "([^"]+)"/);
  return m ? m[1] : fallback;
}

export function deniedMessage(err: ApiError, identity: string, verb: string, resource: string, namespace?: string): string {
  if (err.status === 401) return `unauthorized: the cluster rejected the credentials of ${identity} (401)`;
  const where = namespace ? ` in namespace ${namespace}` : '';
  return `forbidden: ${deniedIdentity(err, identity)} may not ${verb} ${resource}${where}`;
}

/** The denied ApiError, when `err` is one (a plain boolean guard would narrow callers' ApiErrors to never). */
export function asDenied(err: unknown): ApiError | undefined {
  return err instanceof ApiError && (err.status === 401 || err.status === 403) ? err : undefined;
}

export function deniedError(err: ApiError, identity: string, verb: string, resource: string, namespace?: string): ClusterError {
  return new ClusterError(deniedMessage(err, identity, verb, resource, namespace), err.status);
}
