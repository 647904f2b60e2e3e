// Which kinds are cluster-scoped. With a cluster, discovery says so (cluster/discovery.ts); without one,
// this is the one place that decides: the built-in kinds below, plus the CRDs in the run's builds.
import { groupOf, isJsonObject, type KubeObject } from '../model/object.js';

/** Kubernetes' cluster-scoped built-in kinds, and a few CRDs whose definitions usually live elsewhere, as group/Kind. */
const BUILT_IN_CLUSTER_SCOPED = new Set([
  '/Namespace',
  '/Node',
  '/PersistentVolume',
  '/ComponentStatus',
  'rbac.authorization.k8s.io/ClusterRole',
  'rbac.authorization.k8s.io/ClusterRoleBinding',
  'apiextensions.k8s.io/CustomResourceDefinition',
  'apiregistration.k8s.io/APIService',
  'admissionregistration.k8s.io/MutatingWebhookConfiguration',
  'admissionregistration.k8s.io/ValidatingWebhookConfiguration',
  'admissionregistration.k8s.io/ValidatingAdmissionPolicy',
  'admissionregistration.k8s.io/ValidatingAdmissionPolicyBinding',
  'admissionregistration.k8s.io/MutatingAdmissionPolicy',
  'admissionregistration.k8s.io/MutatingAdmissionPolicyBinding',
  'scheduling.k8s.io/PriorityClass',
  'networking.k8s.io/IngressClass',
  'networking.k8s.io/IPAddress',
  'networking.k8s.io/ServiceCIDR',
  'node.k8s.io/RuntimeClass',
  'storage.k8s.io/StorageClass',
  'storage.k8s.io/CSIDriver',
  'storage.k8s.io/CSINode',
  'storage.k8s.io/VolumeAttachment',
  'storage.k8s.io/VolumeAttributesClass',
  'snapshot.storage.k8s.io/VolumeSnapshotClass',
  'snapshot.storage.k8s.io/VolumeSnapshotContent',
  'certificates.k8s.io/CertificateSigningRequest',
  'certificates.k8s.io/ClusterTrustBundle',
  'flowcontrol.apiserver.k8s.io/FlowSchema',
  'flowcontrol.apiserver.k8s.io/PriorityLevelConfiguration',
  'resource.k8s.io/DeviceClass',
  'resource.k8s.io/ResourceSlice',
  'policy/PodSecurityPolicy',
  'cert-manager.io/ClusterIssuer',
  'gateway.networking.k8s.io/GatewayClass',
  'kyverno.io/ClusterPolicy',
]);

export const kindKey = (apiVersion: string, kind: string): string => `${groupOf(apiVersion)}/${kind}`;

/** The kinds the CustomResourceDefinitions among `objects` define: group/Kind → namespaced. */
export function crdKinds(objects: KubeObject[]): Map<string, boolean> {
  const out = new Map<string, boolean>();
  for (const o of objects) {
    if (o.kind !== 'CustomResourceDefinition' || !isJsonObject(o.spec)) continue;
    const names = o.spec.names;
    if (typeof o.spec.group === 'string' && isJsonObject(names) && typeof names.kind === 'string') {
      out.set(`${o.spec.group}/${names.kind}`, o.spec.scope !== 'Cluster');
    }
  }
  return out;
}

/** Without a cluster: cluster-scoped when a CRD of the run says so, else when the built-in list says so. */
export function clusterScopedWithoutCluster(crds: Map<string, boolean>): (apiVersion: string, kind: string) => boolean {
  return (apiVersion, kind) => {
    const key = kindKey(apiVersion, kind);
    const namespaced = crds.get(key);
    return namespaced === undefined ? BUILT_IN_CLUSTER_SCOPED.has(key) : !namespaced;
  };
}
