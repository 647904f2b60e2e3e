// What the rest of podo uses of kustomize's reference graph: the kustomization file of a directory,
// the boundary check of a workspace copy and the closure of a build. One walk (reference-walk.ts)
// over one field table (kustomization-fields.ts) serves both.
export { KUSTOMIZATION_FILES, kustomizationFileIn } from './reference-walk.js';
export { checkKustomizationRefs } from './boundary-check.js';
export { referenceClosure, type ClosureEntry, type ReferenceClosure } from './reference-closure.js';
