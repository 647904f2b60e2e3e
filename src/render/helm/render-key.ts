// The digest of everything one `helm template` run and its post-renderers are given: the helm and
// kustomize binaries, the HelmRelease spec, the merged values (valuesFrom already read, as each side
// of a comparison sees them), the chart as helm gets it (podo's sealed copy, byte for byte, with the
// values.schema.json files taken out of it) and the cluster's capabilities. Two renderings with the
// same digest print the same objects: the second one (the other side of --base-ref, whose HelmRelease
// did not change) takes the first one's result and helm does not run again.
//
// It is computed after the chart is resolved, so a semver range or a tag that moved in the registry
// since the other side was rendered gives another chart digest (and another key), never a stale
// result. The values may hold Secret data: they only enter a sha256 digest, which is never printed.
import { createHash, type Hash } from 'node:crypto';
import { lstatSync, readdirSync, readFileSync, readlinkSync } from 'node:fs';
import path from 'node:path';
import { canonical } from '../fingerprint.js';

// Bumped whenever what the key covers changes.
const VERSION = 'podo-helm-render-1';

export interface RenderInputs {
  helm: { path: string; version: string };
  kustomize: { argv: string[] };
  /** The parsed HelmRelease spec (every field, rendering-relevant or not: a key errs on the side of rendering). */
  spec: unknown;
  values: unknown;
  /** Where the chart came from, as reports name it. */
  display: string;
  /** podo's sealed copy of the chart. */
  chartDir: string;
  schemas: { chart: string; text: string }[];
  upgrade: boolean;
  capabilities?: { kubeVersion?: string; apiVersions: string[] };
  /** Whether kinds are looked up in a cluster's discovery (else a built-in list of cluster-scoped kinds). */
  discovery: boolean;
}

export function renderKey(inputs: RenderInputs): string {
  const h = createHash('sha256');
  const { chartDir, ...rest } = inputs;
  h.update(`${VERSION}\n${canonical(rest)}\n`);
  hashTree(h, chartDir, '');
  return h.digest('hex');
}

/** Every entry under DIR, in name order: its relative path, kind and bytes (a link by its target). */
export function hashTree(h: Hash, dir: string, rel: string): void {
  const names = readdirSync(path.join(dir, rel)).sort();
  for (const name of names) {
    const r = rel ? `${rel}/${name}` : name;
    const full = path.join(dir, r);
    const st = lstatSync(full);
    if (st.isDirectory()) {
      h.update(`d ${JSON.stringify(r)}\n`);
      hashTree(h, dir, r);
    } else if (st.isSymbolicLink()) {
      h.update(`l ${JSON.stringify(r)} ${JSON.stringify(readlinkSync(full))}\n`);
    } else {
      const bytes = readFileSync(full);
      h.update(`f ${JSON.stringify(r)} ${bytes.length}\n`);
      h.update(bytes);
    }
  }
}
