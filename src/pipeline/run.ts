// The pipeline's two entries: `podo diff` and `podo build`. Each is the plan the options describe
// (plan.ts), run by the one orchestrator (orchestrate.ts).
import type { DiffReport } from '../model/change.js';
import type { RunOptions } from '../model/settings.js';
import type { BuildOutput } from './build-target.js';
import { orchestrate } from './orchestrate.js';
import { plan } from './plan.js';
import type { RunHooks } from './pass.js';

export type { RunHooks };

/** Runs the diff the options describe: against the cluster, or with --base-ref against the same build at a git ref. */
export async function run(options: RunOptions, hooks: RunHooks = {}): Promise<DiffReport> {
  const planned = await plan(options, hooks);
  try {
    return await orchestrate(planned);
  } finally {
    planned.close();
  }
}

/** `podo build`: the named Kustomization's objects (with -r, those of the Kustomizations it produces after them). */
export async function build(options: RunOptions, hooks: RunHooks = {}): Promise<BuildOutput> {
  const planned = await plan({ ...options, buildOnly: options.buildOnly ?? { specFromCluster: true } }, hooks);
  try {
    const report = await orchestrate(planned);
    const sel = options.selection;
    return planned.build!.result(sel.mode === 'single' ? `${sel.namespace}/${sel.name}` : '', report);
  } finally {
    planned.close();
  }
}
