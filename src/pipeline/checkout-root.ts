// The root of the user's checkout, worked out in one place for every mode: the directory whose paths a
// Kustomization's spec.path and the sources mapped to the checkout (sources/local-sources.ts) are
// relative to. With --all, --path is that root. For one Kustomization, --path is its directory: the root
// is above it by spec.path, as Flux resolves spec.path from the source's root (render/tree/workspace.ts
// repositoryRoot). The boundary a build may not leave is a second question, answered by
// render/tree/containment.ts repositoryBoundary (the git work tree, else this rule).
import { realpathSync } from 'node:fs';
import type { RunOptions } from '../model/settings.js';
import type { FluxKustomization } from '../model/kustomization.js';
import { repositoryRoot } from '../render/tree/workspace.js';

/** `path`: --path with symlinks resolved when the caller has done so already (the --base-ref run maps paths into the ref's checkout). */
export function checkoutRoot(options: Pick<RunOptions, 'selection' | 'path'>, first: FluxKustomization | undefined, path = realpathSync(options.path)): string {
  return options.selection.mode === 'all' ? path : repositoryRoot(path, first?.spec.path);
}
