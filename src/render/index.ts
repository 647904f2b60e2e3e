// The build stage: from a local path and a Flux Kustomization spec to the objects
// kustomize-controller would apply.
import path from 'node:path';
import type { KustomizationSpec } from '../model/kustomization.js';
import { refOf, subjectOf, type KubeObject, type RenderedObject } from '../model/object.js';
import type { ShadowVariant } from './secret-derived.js';
import { existsSync, readFileSync, realpathSync } from 'node:fs';
import { assertDirectory, createWorkspaceFor } from './tree/workspace.js';
import { isWithin, specPathProblem } from './tree/containment.js';
import { buildRoot } from './tree/boundary.js';
import { checkKustomizationRefs, kustomizationFileIn, referenceClosure } from './kustomize/kustomize-refs.js';
import { countExcludedUnder, relativeTo, SourceTrees } from './tree/source-tree.js';
import { prepareOverlay } from './flux/overlay.js';
import { runKustomize } from './kustomize/kustomize.js';
import { buildKey, keepOutput, keptOutput } from './kustomize/build-cache.js';
import type { BuildSettings } from '../model/settings.js';
import { parseKustomizeOutput } from './documents.js';
import { applyFluxMetadata } from './flux/metadata.js';
import { collectVariables, substituteObjects, type VariableSource } from './flux/substitute.js';
import { secrets } from '../model/secrets.js';
import { BuildError } from '../model/errors.js';
import { classifyObject, decryptObject, decryptWorkspace, scrubSecrets, standInWorkspace, stripSopsFields, type DecryptOutcome } from './sops/decrypt.js';
import { decryptBeforeBuild } from './sops/sops-sources.js';

/** What of the run's build settings the build reads: kustomize, --strict-substitute, --ignore-paths, PODO_FULL_COPY, --cache-dir (kustomize's kept outputs). */
export type RenderSettings = Pick<BuildSettings, 'kustomize' | 'strictSubstitute' | 'ignorePaths' | 'fullCopy' | 'cacheDir'>;

export interface BuildOptions {
  path: string;
  spec: KustomizationSpec;
  /** The run's build settings (model/settings.ts), as cli/ made them: passed whole, never copied field by field. */
  settings: RenderSettings;
  /** Reads postBuild.substituteFrom sources; absent without a cluster. */
  variables?: VariableSource;
  /** The repository boundary (the source's root): --all, --recursive and --base-ref know it; else it is found from `path`. */
  boundary?: string;
  /** Age identities to decrypt SOPS files with; called only when the build holds an encrypted file. */
  ageKeys?: () => Promise<string[]>;
  /** The run's repository views, shared by its Kustomizations (one .sourceignore walk per root). */
  trees?: SourceTrees;
  /** Give up on kustomize at this time (ms since epoch): the Kustomization's budget. */
  deadline?: number;
  /** A stand-in rendering (render/secret-derived.ts): every secret input replaced by this variant's stand-ins. */
  variant?: ShadowVariant;
  /** For a stand-in rendering: the real build it stands beside. */
  real?: RealBuild;
}

export interface BuildResult {
  objects: RenderedObject[];
  notes: string[];
  /** How many secret inputs the build read (decrypted SOPS files, substituteFrom Secret values). */
  secretInputs: number;
  /** What a stand-in rendering of the same build needs from this one (absent for stand-in renderings). */
  real?: RealBuild;
}

/** The real build, as its stand-in renderings (render/secret-derived.ts) reuse it. */
export interface RealBuild {
  sops: DecryptOutcome;
  /** kustomize's output, when no secret reached kustomize (nothing was decrypted): not built again. */
  built?: KubeObject[];
}

export async function buildKustomization(opts: BuildOptions): Promise<BuildResult> {
  // A stand-in rendering of a build that decrypted nothing: kustomize saw no secret, its output is reused.
  const reuse = opts.variant && opts.real?.built ? opts.real : undefined;
  if (reuse) return finishBuild(opts, structuredClone(reuse.built!), reuse.sops, []);
  assertDirectory(opts.path);
  const subject = `Kustomization ${opts.spec.namespace}/${opts.spec.name}`;
  const escape = specPathProblem(opts.spec.path);
  if (escape) throw new BuildError(`${subject}: ${escape}`);
  const real = realpathSync(opts.path);
  const userRoot = await buildRoot(opts.path, opts.spec.path, opts.boundary);
  if (!isWithin(real, userRoot)) throw new BuildError(`${subject}: ${opts.path} is outside the repository root ${userRoot}`);
  const tree = await (opts.trees ?? new SourceTrees()).get(userRoot, opts.settings.ignorePaths);
  const specDir = relativeTo(tree, real) ?? '';
  // Only what the build reads is copied (its reference closure), unless the walk cannot prove it.
  const closure = opts.settings.fullCopy ? undefined : await referenceClosure(tree, specDir, opts.spec.components ?? []);
  const ws = await createWorkspaceFor(tree, opts.path, closure);
  if (!existsSync(ws.dir)) {
    // The ignore rules excluded the Kustomization's whole directory: source-controller's artifact has
    // nothing there, and kustomize-controller fails with "kustomization path not found".
    ws.cleanup();
    throw new BuildError(`kustomization path not found: .sourceignore or --ignore-paths exclude ${opts.spec.path ?? opts.path} from the source (Flux fails the same way)`, opts.path);
  }
  try {
    const display = (file: string) => path.relative(process.cwd(), path.join(ws.userRoot, path.relative(ws.root, file))) || '.';
    refuseEncryptedKustomization(ws.dir, display);
    const overlay = prepareOverlay(ws, opts.spec, opts.settings.kustomize.remoteBases);
    const overlayNotes = overlay.notes;
    const sops =
      opts.variant && opts.real
        ? standInWorkspace(ws.root, opts.real.sops, opts.variant)
        : await decryptWorkspace(ws.root, opts.ageKeys ?? (async () => []), display, decryptBeforeBuild(ws.root, ws.dir));
    // The boundary is checked on what kustomize will really read: a kustomization that was encrypted
    // is walked again in plaintext.
    let fetches = overlay.fetches;
    if (sops.files.length > 0) fetches = (await scrubbed(sops.secrets, async () => checkKustomizationRefs(ws, ws.dir, opts.settings.kustomize.remoteBases))) > 0;
    // kustomize's output is kept by what it read (kustomize/build-cache.ts): never for a build that
    // decrypted anything, a stand-in rendering, or a workspace that is not the closure's plain copy.
    const cacheDir = opts.settings.cacheDir;
    const key = cacheDir && !opts.variant && ws.inputBytes !== undefined && sops.files.length === 0 ? await buildKey(ws.root, ws.dir, opts.settings.kustomize, fetches) : undefined;
    const kept = key ? await keptOutput(cacheDir!, key) : undefined;
    const output = kept ?? (await scrubbed(sops.secrets, () => runKustomize(opts.settings.kustomize, ws.dir, opts.path, opts.deadline, ws.inputBytes, fetches)));
    const built = await scrubbed(sops.secrets, async () => parseKustomizeOutput(output, `kustomize build ${opts.path}`));
    if (key && kept === undefined && !built.some((o) => o.kind === 'Secret')) await keepOutput(cacheDir!, key, output);
    if (built.length === 0) {
      // What the ignore rules leave out under the Kustomization's path, so an empty build can say why.
      const excludedHere = await countExcludedUnder(tree, specDir);
      if (excludedHere > 0) {
        overlayNotes.push(`the build produced no objects: .sourceignore or --ignore-paths excluded ${excludedHere === 1 ? 'one path' : `${excludedHere} paths`} under ${opts.spec.path ?? opts.path}`);
      }
    }
    return await finishBuild(opts, built, sops, overlayNotes);
  } finally {
    // Off the event loop: removing the copy file by file would stall every other build's dry-runs.
    await ws.release();
  }
}

/** After kustomize, as kustomize-controller goes on: SOPS leftovers, postBuild substitution, Flux's metadata. */
async function finishBuild(opts: BuildOptions, built: KubeObject[], sops: DecryptOutcome, notes: string[]): Promise<BuildResult> {
  const variables = await collectVariables(opts.spec, opts.variables, opts.variant);
  notes.push(...variables.notes);
  const secretInputs = sops.decrypted + variables.secretInputs;
  // The stand-in renderings reuse kustomize's output when no secret reached kustomize.
  const real: RealBuild | undefined = opts.variant ? undefined : { sops, ...(secretInputs > 0 && sops.files.length === 0 ? { built: structuredClone(built) } : {}) };
  const rendered: RenderedObject[] = [];
  const unknown: string[] = [];
  for (const object of built) {
    // Built Secrets (generated ones too) are secret wherever their values go.
    if (!opts.variant) {
      secrets.addSecretObject(object);
      secrets.addIdentifiers(object);
    }
    decryptObject(object, sops, subjectOf(refOf(object)), opts.variant);
    const state = classifyObject(object, sops);
    if (state.fatal) throw state.fatal;
    if (state.unknownBecause && !unknown.includes(state.unknownBecause)) unknown.push(state.unknownBecause);
    stripSopsFields(object);
    rendered.push({ object, valuesUnknown: state.unknownBecause !== undefined });
  }
  if (unknown.length > 0) {
    notes.push(`SOPS values unknown, comparing key sets only (${unknown.join('; ')})`);
  }
  const substituted = await scrubbed(sops.secrets, async () => substituteObjects(opts.spec, rendered.map((r) => r.object), variables.vars, opts.settings.strictSubstitute, variables.unread));
  return {
    objects: substituted.map((object, i) => {
      applyFluxMetadata(object, opts.spec);
      return { object, valuesUnknown: rendered[i].valuesUnknown };
    }),
    notes,
    secretInputs,
    ...(real ? { real } : {}),
  };
}

/** Runs a build step; if it fails, its message is scrubbed of every decrypted value before it travels on. */
async function scrubbed<T>(secrets: readonly string[], step: () => Promise<T>): Promise<T> {
  try {
    return await step();
  } catch (err) {
    if (secrets.length > 0 && err instanceof Error) err.message = scrubSecrets(err.message, secrets);
    throw err;
  }
}

/**
 * kustomize-controller merges its overlay into the Kustomization's own kustomization file before it
 * decrypts anything, and decrypts only generator sources and built Secrets: a SOPS-encrypted
 * kustomization file fails there (kustomize: unknown field "sops"). podo says so in its own words,
 * before anything is decrypted, so an encrypted file cannot smuggle references past the boundary.
 */
function refuseEncryptedKustomization(dir: string, display: (file: string) => string): void {
  const file = kustomizationFileIn(dir);
  if (!file) return;
  const text = readFileSync(file, 'utf8');
  if (/^sops:\s*$/m.test(text) && text.includes('ENC[AES256_GCM')) {
    throw new BuildError(`${display(file)}: the kustomization file is SOPS-encrypted; Flux does not decrypt kustomization files, so kustomize-controller cannot build it`, display(file));
  }
}
