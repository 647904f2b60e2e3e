// A digest of everything a Kustomization's build reads, computed without building: its spec and the
// path, presence and bytes of every entry of its reference closure. The closure already reflects
// .sourceignore files and --ignore-paths (an ignored file is recorded absent), SOPS files are
// closure files like any other (hashed encrypted, as they are in the repository), and the
// substitution inputs a run without a cluster has are the spec's postBuild. Two trees (the working
// tree and a checkout of --base-ref) whose digests agree give the workspace copy the same bytes,
// so the builds agree: --base-ref reports such a Kustomization unchanged without building it.
//
// Soundness rests on the closure walk: whatever it cannot prove (see referenceClosure) makes the
// fingerprint unprovable, and the caller builds.
import { createHash } from 'node:crypto';
import { readFile, realpath } from 'node:fs/promises';
import path from 'node:path';
import type { KustomizationSpec } from '../model/kustomization.js';
import { referenceClosure } from './kustomize/kustomize-refs.js';
import { limiter } from './limit.js';
import { relativeTo, type SourceTree, type SourceTrees } from './tree/source-tree.js';
import { buildRoot } from './tree/boundary.js';

export type Fingerprint =
  | {
      digest: string;
      files: number;
      /** What the build may produce that a run needs beyond a diff: found by the text of its inputs. */
      mayProduce: { fluxKustomizations: boolean; crds: boolean; watched: boolean };
      /**
       * Set when the build may hold a HelmRelease: the closure's files (path relative to the tree's
       * root, text), for the caller to prove what its charts produce (render/helm/chart-effects.ts).
       * `mayProduce` then covers the closure's text only, not what a chart renders.
       */
      helm?: { files: { path: string; text: string }[] };
    }
  | { unprovable: string };

// A build can only produce an object whose apiVersion or kind is written somewhere in its inputs: a
// Flux Kustomization needs `kustomize.toolkit.fluxcd.io/v…`, or the group alone as a value a
// replacement could put into an apiVersion. Flux's labels and annotations
// (`kustomize.toolkit.fluxcd.io/name`, `…/prune`) are neither.
const FLUX_GROUP = /kustomize\.toolkit\.fluxcd\.io(?:\/v\d|(?![/\w.-]))/;
const CRD_KIND = 'CustomResourceDefinition';

// Bumped whenever what the digest covers changes, so digests of different podo versions never agree.
const VERSION = 'podo-inputs-1';

// A HelmRelease is rendered from its chart: from a chart repository or an OCI registry (by URL and
// version: what both sides of a comparison pull alike), or from a local source's directory
// (GitRepository, Bucket, ExternalArtifact, mapped to the checkout or --local-sources), which may lie
// anywhere, beyond the kustomize closure. Without a cluster the chart's source object (HelmRepository,
// OCIRepository, HelmChart) and valuesFrom are read from the same build (render/helm), so they are in
// the closure. A build can only hold a chart source kind written in its inputs (as with FLUX_GROUP), so
// a closure that may hold a HelmRelease is proven only when no local source kind is written in it.
const HELM_RELEASE = /HelmRelease/;
const LOCAL_CHART_SOURCE = /GitRepository|Bucket|ExternalArtifact/;

const reads = limiter(32);

/** The fingerprint of the Kustomization at DIR (relative to the tree's root) built with SPEC. */
/** `watched`: names whose objects the run needs from the build (substituteFrom sources it defines): found by the text of its inputs. */
export async function inputsFingerprint(tree: SourceTree, dir: string, spec: KustomizationSpec, watched: ReadonlySet<string> = new Set()): Promise<Fingerprint> {
  const closure = await referenceClosure(tree, dir, spec.components ?? []);
  if (closure.unprovable) return { unprovable: closure.unprovable };
  const paths = [...closure.entries.keys()].sort();
  const hashes = await Promise.all(
    paths.map((p) =>
      closure.entries.get(p) === 'file'
        ? reads(async () => {
            const bytes = await readFile(path.join(tree.root, ...p.split('/')));
            const text = bytes.toString('utf8');
            return {
              text,
              hash: createHash('sha256').update(bytes).digest('hex'),
              helm: HELM_RELEASE.test(text),
              localSource: LOCAL_CHART_SOURCE.test(text),
              flux: FLUX_GROUP.test(text),
              crd: text.includes(CRD_KIND),
              watched: mentionsAny(text, watched),
            };
          })
        : Promise.resolve({ text: '', hash: '', helm: false, localSource: false, flux: false, crd: false, watched: false }),
    ),
  );
  const specText = canonical(spec);
  const helm = paths.find((_, i) => hashes[i].helm);
  // The spec's own sourceRef is the Kustomization's source, not a chart's; its patches and substitutions may name one.
  const local = paths.find((_, i) => hashes[i].localSource) ?? (LOCAL_CHART_SOURCE.test(canonical({ ...spec, sourceRef: undefined })) ? 'the spec' : undefined);
  if (helm && local) return { unprovable: `${helm} may hold a HelmRelease and ${local} names a local chart source, whose chart is not part of the fingerprint` };
  const h = createHash('sha256');
  h.update(`${VERSION}\n${specText}\n${dir}\n`);
  paths.forEach((p, i) => h.update(`${JSON.stringify(p)} ${closure.entries.get(p)} ${hashes[i].hash}\n`));
  return {
    digest: h.digest('hex'),
    files: paths.filter((p) => closure.entries.get(p) === 'file').length,
    mayProduce: {
      fluxKustomizations: FLUX_GROUP.test(specText) || hashes.some((x) => x.flux),
      // What a chart renders (CRDs from its crds/ directory, …) is not text of the closure: see `helm`.
      crds: specText.includes(CRD_KIND) || hashes.some((x) => x.crd),
      // A name can only be given by text in the inputs (a chart's templates aside: see `helm`).
      watched: watched.size > 0 && (mentionsAny(canonical({ ...spec, postBuild: { ...spec.postBuild, substituteFrom: undefined } }), watched) || hashes.some((x) => x.watched)),
    },
    ...(helm !== undefined ? { helm: { files: paths.flatMap((p, i) => (closure.entries.get(p) === 'file' ? [{ path: p, text: hashes[i].text }] : [])) } } : {}),
  };
}

function mentionsAny(text: string, names: ReadonlySet<string>): boolean {
  for (const n of names) if (text.includes(n)) return true;
  return false;
}

/** JSON with object keys sorted: the same spec written in another key order is the same input. */
export function canonical(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(canonical).join(',')}]`;
  if (v !== null && typeof v === 'object') {
    const entries = Object.entries(v as Record<string, unknown>)
      .filter(([, x]) => x !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, x]) => `${JSON.stringify(k)}:${canonical(x)}`).join(',')}}`;
  }
  return JSON.stringify(v) ?? 'null';
}

/** Whether two fingerprints prove the same inputs. */
export function sameInputs(a: Fingerprint, b: Fingerprint): boolean {
  return 'digest' in a && 'digest' in b && a.digest === b.digest;
}

/**
 * The fingerprint of the Kustomization built from DIR (an absolute or cwd-relative path) with SPEC,
 * inside the root the build copies from (boundary.ts): the same BOUNDARY the build is given.
 */
export async function fingerprintOf(trees: SourceTrees, dir: string, spec: KustomizationSpec, ignorePaths: readonly string[] = [], boundary?: string, watched?: ReadonlySet<string>): Promise<Fingerprint> {
  const real = await realpath(dir);
  const tree = await trees.get(await buildRoot(dir, spec.path, boundary), ignorePaths);
  return inputsFingerprint(tree, relativeTo(tree, real) ?? '', spec, watched);
}
