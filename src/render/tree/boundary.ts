// The root a build copies from and stays inside: the caller's boundary (the source's root) when it
// knows it, else the repository boundary found from the Kustomization's directory. One function, so
// that the inputs fingerprint (fingerprint.ts) walks exactly the tree the build copies.
import { repositoryBoundary, safeRealpath } from './containment.js';

export async function buildRoot(dir: string, specPath: string | undefined, boundary?: string): Promise<string> {
  return boundary ? (safeRealpath(boundary) ?? boundary) : repositoryBoundary(dir, specPath);
}
