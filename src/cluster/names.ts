// Object names are data, not paths. A name enters a request URL only after it passed the checks the
// API server itself applies (k8s.io/apimachinery validation: path segment names for every object,
// DNS-1123 subdomains for most kinds, labels for Namespaces, DNS-1035 labels for Services): `.` or
// `..` would otherwise walk the URL up (a GET of one Secret turning into a LIST of all of them), and
// `/` or `%` would address another resource.
import { ClusterError } from '../model/errors.js';

/** A name or namespace that cannot be sent to the API server: the object's own error. */
export class InvalidNameError extends ClusterError {}

const SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const LABEL_1035 = /^[a-z]([-a-z0-9]*[a-z0-9])?$/;

/** Kinds whose names are only path segment names upstream (RBAC names such as `system:controller:x`). */
const PATH_SEGMENT_KINDS = new Set(['Role', 'ClusterRole', 'RoleBinding', 'ClusterRoleBinding']);

/** Why `name` is not a valid name for `kind`, or undefined when it is. */
export function nameProblem(kind: string, name: unknown): string | undefined {
  if (typeof name !== 'string') return 'is not a string';
  if (name === '') return 'is empty';
  if (name === '.' || name === '..') return `may not be "${name}"`;
  if (name.includes('/')) return 'may not contain "/"';
  if (name.includes('%')) return 'may not contain "%"';
  if (name.length > 253) return 'is longer than 253 characters';
  if (PATH_SEGMENT_KINDS.has(kind)) return /[\u0000-\u001f\u007f]/.test(name) ? 'may not contain control characters' : undefined;
  if (kind === 'Namespace') return namespaceProblem(name);
  if (kind === 'Service') {
    if (name.length > 63 || !LABEL_1035.test(name)) return 'must be a DNS-1035 label (lowercase letters, digits and "-", starting with a letter, at most 63 characters)';
    return undefined;
  }
  if (!SUBDOMAIN.test(name)) return 'must be a DNS-1123 subdomain (lowercase letters, digits, "-" and ".", starting and ending with a letter or digit)';
  return undefined;
}

export function namespaceProblem(ns: unknown): string | undefined {
  if (typeof ns !== 'string') return 'is not a string';
  if (ns === '') return 'is empty';
  if (ns.length > 63 || !LABEL.test(ns)) return 'must be a DNS-1123 label (lowercase letters, digits and "-", at most 63 characters)';
  return undefined;
}

/** Throws InvalidNameError unless the name (and namespace, when given) may enter a URL. */
export function assertValidName(kind: string, name: unknown, namespace?: unknown): void {
  const n = nameProblem(kind, name);
  if (n) throw new InvalidNameError(`${kind} name ${JSON.stringify(String(name)).slice(0, 80)} ${n}`);
  if (namespace !== undefined) assertValidNamespace(kind, namespace);
}

export function assertValidNamespace(kind: string, namespace: unknown): void {
  const p = namespaceProblem(namespace);
  if (p) throw new InvalidNameError(`namespace ${JSON.stringify(String(namespace)).slice(0, 80)} of a ${kind} ${p}`);
}
