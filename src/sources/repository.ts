// Without a cluster there is no list of Kustomizations to ask for: they are found in the repository's
// files instead, the way a reviewer would grep for them. The cluster roots (clusters/production,
// clusters/staging) are the directories Flux's bootstrap Kustomization applies; --base-ref --all
// follows one of them, as kustomize-controller would.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { parseAllDocuments } from 'yaml';
import { guardYaml } from '../render/documents.js';
import { isFluxKustomization, specFromObject } from '../flux/spec.js';
import type { FluxKustomization } from '../model/kustomization.js';
import { byNamespaceName, isJsonObject, type KubeObject } from '../model/object.js';
import { errorMessage } from '../model/errors.js';

const SKIP_DIRS = new Set(['.git', 'node_modules']);

export interface DiscoveryProblem {
  namespace: string;
  name: string;
  /** File, relative to the walked root. */
  file: string;
  message: string;
}

export interface Discovery {
  kustomizations: FluxKustomization[];
  /** Every Kustomization manifest found, second definitions of a name included (cluster roots repeat names). */
  definitions: FluxKustomization[];
  /** GitRepository manifests found, to tell which one the checkout serves (its URL is a remote). */
  gitRepositories: KubeObject[];
  /** Manifests that were found but not used: malformed specs, and second definitions of a name. */
  problems: DiscoveryProblem[];
}

/** Every Flux Kustomization defined under `repoRoot`, one per namespace/name, sorted by namespace then name. */
export function discoverKustomizations(repoRoot: string): FluxKustomization[] {
  return discover(repoRoot).kustomizations;
}

export function discover(repoRoot: string): Discovery {
  const found = new Map<string, FluxKustomization>();
  const problems: DiscoveryProblem[] = [];
  const gitRepositories: KubeObject[] = [];
  const definitions: FluxKustomization[] = [];
  for (const file of yamlFiles(repoRoot)) {
    const rel = path.relative(repoRoot, file).split(path.sep).join('/');
    const objects = fluxObjectsIn(file);
    gitRepositories.push(...objects.filter((o) => o.kind === 'GitRepository' && o.apiVersion.startsWith('source.toolkit.fluxcd.io/')));
    for (const obj of objects.filter(isFluxKustomization)) {
      const namespace = typeof obj.metadata.namespace === 'string' && obj.metadata.namespace !== '' ? obj.metadata.namespace : 'flux-system';
      const key = `${namespace}/${obj.metadata.name}`;
      const problem = (message: string) => problems.push({ namespace, name: obj.metadata.name, file: rel, message });
      let ks: FluxKustomization;
      try {
        ks = specFromObject(obj, rel);
      } catch (err) {
        problem(errorMessage(err));
        continue;
      }
      definitions.push(ks);
      const first = found.get(key);
      // Files are walked in a fixed order, so which definition wins does not depend on the file system.
      if (first) problem(`also defined in ${first.origin}; using that one`);
      else found.set(key, ks);
    }
  }
  const kustomizations = [...found.values()].sort((a, b) => byNamespaceName(a.spec, b.spec));
  return { kustomizations, definitions, gitRepositories, problems };
}

/** `./clusters/prod/` → `clusters/prod`; `./` → `.` */
export function normalizeRelPath(p: string | undefined): string {
  const parts = (p ?? '').split('/').filter((x) => x !== '' && x !== '.');
  return parts.length === 0 ? '.' : parts.join('/');
}

const isWithinRel = (child: string, parent: string) => parent === '.' || child === parent || child.startsWith(parent + '/');

/**
 * Directories that are cluster roots: first, the paths of Kustomizations that apply their own manifest
 * (Flux's bootstrap `flux-system` Kustomization applies `clusters/NAME`, which holds it); else the
 * directories of Kustomization manifests that no other Kustomization's path reaches. Relative, sorted.
 */
export function clusterRoots(d: Discovery): string[] {
  const entries = d.definitions.map((k) => ({ dir: normalizeRelPath(path.posix.dirname(k.origin)), path: normalizeRelPath(k.spec.path), ks: k }));
  const selfApplying = entries.filter((e) => e.path !== '.' && isWithinRel(e.dir, e.path)).map((e) => e.path);
  if (selfApplying.length > 0) return [...new Set(selfApplying)].sort();
  const unreached = entries.filter((e) => !entries.some((o) => o !== e && isWithinRel(e.dir, o.path)));
  return [...new Set(unreached.map((e) => e.dir))].sort();
}

/** YAML files in a stable order. Symlinked directories are not followed (no loops); symlinked files are. */
function yamlFiles(dir: string): string[] {
  const out: string[] = [];
  let entries;
  try {
    entries = readdirSync(dir, { withFileTypes: true });
  } catch {
    return out;
  }
  entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  for (const e of entries) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) {
      if (!SKIP_DIRS.has(e.name)) out.push(...yamlFiles(p));
    } else if (/\.ya?ml$/i.test(e.name) && (e.isFile() || (e.isSymbolicLink() && isFile(p)))) {
      out.push(p);
    }
  }
  return out;
}

function isFile(p: string): boolean {
  try {
    return statSync(p).isFile();
  } catch {
    return false;
  }
}

/**
 * Flux Kustomizations and sources in a file. Lenient on purpose: a repository holds Helm templates, CI
 * files and half-written YAML; a file that does not parse cannot hold a Kustomization Flux would apply,
 * so it is passed over silently.
 */
function fluxObjectsIn(file: string): KubeObject[] {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    return [];
  }
  // Cheap pre-filter: most YAML files in a repository are not Flux Kustomizations.
  if (!text.includes('.toolkit.fluxcd.io')) return [];
  // A Flux manifest is read by podo itself: a YAML bomb or a huge file is refused, named.
  guardYaml(text, path.relative(process.cwd(), file) || file);
  const docs = parseAllDocuments(text, { uniqueKeys: false });
  if (!Array.isArray(docs) || docs.some((d) => d.errors.length > 0)) return [];
  const out: KubeObject[] = [];
  for (const doc of docs) {
    let v: unknown;
    try {
      v = doc.toJS({ maxAliasCount: 1000 });
    } catch {
      return [];
    }
    if (!isJsonObject(v) || typeof v.apiVersion !== 'string' || !v.apiVersion.includes('.toolkit.fluxcd.io/')) continue;
    if (!isJsonObject(v.metadata) || typeof v.metadata.name !== 'string' || v.metadata.name === '') continue;
    out.push(v as KubeObject);
  }
  return out;
}
