// The render step of the pipeline: one Kustomization built as kustomize-controller would, with the
// cluster's inputs (postBuild.substituteFrom, the decryption Secret) read through callbacks when there
// is a cluster, and skipped with a note when there is none.
import os from 'node:os';
import type { ClusterClient } from '../cluster/client.js';
import { readKeyValues } from '../cluster/key-values.js';
import { buildKustomization, type BuildResult } from '../render/index.js';
import type { SourceTrees } from '../render/tree/source-tree.js';
import type { VariableSource } from '../render/flux/substitute.js';
import type { FluxKustomization } from '../model/kustomization.js';
import type { BuildSettings } from '../model/settings.js';
import { errorMessage } from '../model/errors.js';
import type { SourceResolver } from '../sources/local-sources.js';
import type { SourceDir } from '../render/helm/index.js';
import { helmMemo, type HelmExpansion, type HelmMemo, type HelmStage } from './helm.js';
import { separate, type ShadowVariant } from '../render/secret-derived.js';
import type { FieldPath } from '../model/object.js';
import { secrets } from '../model/secrets.js';

export type { BuildResult };

/** The Helm step of a render: the run's helm, and where the chart sources of this side live. */
export interface HelmRender {
  stage: HelmStage;
  sourceDir: SourceDir;
  concurrency?: number;
}

export interface RenderResult extends BuildResult {
  /** The HelmReleases of the build, rendered (their objects are in `objects`); absent without a Helm step. */
  helm?: HelmExpansion;
}

/** What the run shares with a render: its repository views, the Kustomization's deadline, and (without a cluster) the substituteFrom sources its own builds define. */
export interface RenderRun {
  trees?: SourceTrees;
  deadline?: number;
  /** Reads substituteFrom sources in place of the cluster (pipeline/defined-sources.ts). */
  variables?: VariableSource;
}

type RenderArgs = [client: ClusterClient | undefined, ks: FluxKustomization, dir: string, build: BuildSettings, boundary?: string, helm?: HelmRender, run?: RenderRun];

/**
 * Builds `ks` from `dir` (its spec.path in a local checkout, inside `boundary` when given); without a
 * client, cluster inputs are skipped with a note. With `helm`, every HelmRelease of the build is rendered
 * and its chart's objects added. `run`: the run's repository views, and when kustomize must give up
 * (the Kustomization's budget).
 *
 * When the rendering read a secret (SOPS, a substituteFrom or valuesFrom Secret), it is rendered twice
 * more with stand-ins for every secret (render/secret-derived.ts), and every field that is not the same
 * in all three is marked secret-derived: shown only masked, whatever code computed it.
 */
export async function renderKustomization(...args: RenderArgs): Promise<RenderResult> {
  const memo = helmMemo();
  const real = await renderOnce(args, undefined, undefined, memo);
  const inputs = real.secretInputs + (real.helm?.secretInputs ?? 0);
  if (inputs === 0) return real;
  const subject = `Kustomization ${args[1].spec.namespace}/${args[1].spec.name}`;
  let shadows: RenderResult[];
  try {
    shadows = await Promise.all(([1, 2] as const).map((v) => renderOnce(args, v, real.real, memo)));
  } catch {
    // The stand-ins made the build fail where the real values did not: which fields depend on a secret is
    // not known, so every field of every object is treated as if it did.
    return {
      ...real,
      objects: real.objects.map((o) => ({ ...o, secretPaths: [[]] })),
      notes: [...real.notes, `${subject}: its build fails when its secret values change, so which fields depend on them is unknown: every value is shown masked`],
    };
  }
  return withSecretPaths(real, shadows);
}

async function renderOnce(args: RenderArgs, variant: ShadowVariant | undefined, realBuild: BuildResult['real'], memo: HelmMemo): Promise<RenderResult> {
  const [client, ks, dir, build, boundary, helm, run = {}] = args;
  const reads = memo.reads;
  const keyNotes: string[] = [];
  const built = await buildKustomization({
    path: dir,
    spec: ks.spec,
    settings: build,
    // The stand-in renderings read the substituteFrom sources once with the real one.
    variables: variablesOf(client, run.variables, reads),
    // The source root the build must stay inside, when the caller knows it (render/tree/containment.ts).
    boundary,
    // A stand-in rendering decrypts nothing: it writes stand-ins where the real one decrypted.
    ageKeys: () => (variant ? Promise.resolve([]) : ageKeys(client, ks.spec, build, keyNotes)),
    trees: run.trees,
    deadline: run.deadline,
    ...(variant ? { variant, real: realBuild } : {}),
  });
  const notes = [...keyNotes, ...built.notes];
  if (!helm) return { ...built, notes };
  const expanded = await helm.stage.expand(built.objects, { client, sourceDir: helm.sourceDir, concurrency: helm.concurrency, variant, memo });
  // Secrets a chart renders are secret wherever their values go, as built ones are (render/index.ts).
  if (!variant) {
    for (const o of expanded.objects) {
      secrets.addSecretObject(o.object);
      secrets.addIdentifiers(o.object);
    }
  }
  if (expanded.releases.length === 0) return { ...built, notes };
  return { ...built, objects: [...built.objects, ...expanded.objects], notes: [...notes, ...expanded.notes], helm: expanded };
}

function variablesOf(client: ClusterClient | undefined, given: VariableSource | undefined, reads: Map<string, Promise<unknown>>): VariableSource | undefined {
  const read: VariableSource | undefined = given ?? (client ? (kind, name, namespace) => readKeyValues(client, kind, name, namespace) : undefined);
  return read && ((kind, name, namespace) => once(reads, `vars/${kind}/${namespace}/${name}`, () => read(kind, name, namespace)));
}

function once<T>(reads: Map<string, Promise<unknown>>, key: string, read: () => Promise<T>): Promise<T> {
  let p = reads.get(key) as Promise<T> | undefined;
  if (!p) reads.set(key, (p = read()));
  return p;
}

const WITHHELD = 'its message depends on a secret value and is withheld';
const NAME_WITHHELD = 'its name depends on a secret value: not shown, not compared';
const MASK_NAME = '*** (secret-derived)';

/** The real rendering, with each object's secret-derived fields; objects whose name depends on a secret are withheld (reported failed under a hidden name). */
function withSecretPaths(real: RenderResult, shadows: RenderResult[]): RenderResult {
  const { objects, unstable } = separate(real.objects, shadows.map((s) => s.objects.map((o) => o.object)), (o) => o.object);
  // An object of the build whose name depends on a secret: reported failed under a hidden name, never applied.
  const own = unstable.filter((o) => !o.helmRelease).map((o) => ({ ...o, withheld: NAME_WITHHELD, shownName: MASK_NAME }));
  // A release whose objects' names depend on a secret (or on chance) is not shown: named as not rendered.
  const dropped = new Set(unstable.map((o) => o.helmRelease!));
  const shadowReason = (id: string) => shadows.map((s) => s.helm?.releases.find((r) => `${r.namespace}/${r.name}` === id)?.notRendered);
  const helm = real.helm && {
    ...real.helm,
    releases: real.helm.releases.map((r) => {
      const id = `${r.namespace}/${r.name}`;
      if (dropped.has(id)) return { ...r, notRendered: 'the names of objects it renders depend on a secret value (or are random): not shown' };
      // A failure whose message is not the same with stand-ins says something about a secret.
      if (r.notRendered && shadowReason(id).some((x) => x !== r.notRendered)) return { ...r, notRendered: `it failed to render; ${WITHHELD}` };
      return r;
    }),
    rendered: real.helm.rendered.map((r) => (dropped.has(`${r.spec.namespace}/${r.spec.name}`) ? { spec: r.spec } : r)),
  };
  return {
    ...real,
    objects: [...objects, ...own.map((item) => ({ item, secretPaths: [] as FieldPath[], shownName: undefined }))]
      .filter(({ item }) => !item.helmRelease || !dropped.has(item.helmRelease))
      .map(({ item, secretPaths, shownName }) => {
        // A name shown hidden is hidden in the object's body too.
        const paths = shownName ? [...secretPaths, ['metadata', 'name']] : secretPaths;
        return { ...item, ...(paths.length > 0 ? { secretPaths: paths } : {}), ...(shownName ? { shownName } : {}) };
      }),
    ...(helm ? { helm } : {}),
  };
}

/** A SourceDir over the Kustomization source resolver: a chart's source is looked up like a Kustomization's. */
export function chartSources(resolve: SourceResolver, mapRoot: (root: string) => string = (r) => r): SourceDir {
  return (kind, namespace, name) => {
    // The resolver takes a spec; the referring namespace only matters for mappings that leave it out.
    const r = resolve({ name, namespace, sourceRef: { kind, name, namespace } });
    return 'root' in r ? { root: mapRoot(r.root) } : r;
  };
}

/**
 * Age identities: the user's (--sops-age-key-file, SOPS_AGE_KEY_FILE, SOPS_AGE_KEY, keys.txt) and, when
 * the Kustomization names a decryption Secret the caller may read, its `*.agekey` entries.
 */
async function ageKeys(client: ClusterClient | undefined, spec: FluxKustomization['spec'], build: BuildSettings, notes: string[]): Promise<string[]> {
  const { loadAgeKeys, parseAgeKeys } = await import('../render/sops/age-keys.js');
  const extra: string[] = [];
  const ref = spec.decryption?.secretRef;
  if (ref && !client) notes.push(`decryption Secret ${spec.namespace}/${ref.name} not read: no cluster`);
  if (ref && client) {
    try {
      const entries = (await readKeyValues(client, 'Secret', ref.name, spec.namespace)) ?? {};
      for (const [k, v] of Object.entries(entries)) if (k.endsWith('.agekey')) extra.push(...parseAgeKeys(v));
    } catch (err) {
      notes.push(`decryption Secret ${spec.namespace}/${ref.name} not read: ${errorMessage(err)}`);
    }
  }
  const { keys } = await loadAgeKeys({ keyFile: build.sopsAgeKeyFile, env: build.env, home: os.homedir(), extra });
  return keys;
}
