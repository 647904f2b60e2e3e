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
import { CHECKOUT_KINDS, sourceKey, sourceKind } from './kinds/index.js';

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
  /**
   * Manifests of the source kinds the checkout may serve (sources/kinds/: GitRepositories), to tell which
   * ones it serves (a GitRepository whose URL is a remote).
   */
  gitRepositories: KubeObject[];
  /** Manifests that were found but not used: malformed specs, and second definitions of a name. */
  problems: DiscoveryProblem[];
  /** flux-operator FluxInstances: each syncs its cluster from `spec.sync.path` (a cluster directory). */
  fluxInstances: { file: string; syncPath: string }[];
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
  const fluxInstances: Discovery['fluxInstances'] = [];
  for (const file of yamlFiles(repoRoot)) {
    const rel = path.relative(repoRoot, file).split(path.sep).join('/');
    const objects = fluxObjectsIn(file);
    for (const o of objects.filter(isFluxInstance)) {
      const sync = isJsonObject(o.spec) && isJsonObject(o.spec.sync) ? o.spec.sync : undefined;
      if (sync && typeof sync.path === 'string') fluxInstances.push({ file: rel, syncPath: normalizeRelPath(sync.path) });
    }
    gitRepositories.push(...objects.filter((o) => CHECKOUT_KINDS.some((k) => k.isManifest(o))));
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
  return { kustomizations, definitions, gitRepositories, problems, fluxInstances };
}

/** `discover`, once per directory for the life of the returned function (one run: the files do not change under it). */
export function discoveryOnce(): (repoRoot: string) => Discovery {
  const seen = new Map<string, Discovery>();
  return (repoRoot) => {
    const key = path.resolve(repoRoot);
    let d = seen.get(key);
    if (!d) seen.set(key, (d = discover(key)));
    return d;
  };
}

/** `./clusters/prod/` → `clusters/prod`; `./` → `.` */
export function normalizeRelPath(p: string | undefined): string {
  const parts = (p ?? '').split('/').filter((x) => x !== '' && x !== '.');
  return parts.length === 0 ? '.' : parts.join('/');
}

const isWithinRel = (child: string, parent: string) => parent === '.' || child === parent || child.startsWith(parent + '/');

/**
 * Directories that are cluster roots, where Flux is bootstrapped: the paths of Kustomizations that apply
 * their own manifest (Flux's bootstrap `flux-system` Kustomization applies `clusters/NAME`, which holds
 * it) and the `spec.sync.path` of flux-operator FluxInstances. Only when there is neither: the
 * directories of Kustomization manifests that no other Kustomization's path reaches, leaving out
 * hidden directories (`.archive/`): archived manifests are not clusters. Relative, sorted.
 */
export function clusterRoots(d: Discovery): string[] {
  const entries = d.definitions.map((k) => ({ dir: normalizeRelPath(path.posix.dirname(k.origin)), path: normalizeRelPath(k.spec.path), ks: k }));
  const selfApplying = entries.filter((e) => e.path !== '.' && isWithinRel(e.dir, e.path)).map((e) => e.path);
  const synced = d.fluxInstances.map((f) => f.syncPath).filter((p) => p !== '.');
  if (selfApplying.length > 0 || synced.length > 0) return [...new Set([...selfApplying, ...synced])].sort();
  // Archived manifests (a hidden folder such as .archive/) are not a cluster, and include nothing: one
  // without a spec.path (the whole repository) would otherwise reach every tree.
  const live = entries.filter((e) => !hidden(e.dir));
  // A Kustomization whose source is another repository (a GitRepository this repository defines, other
  // than the bootstrap flux-system one, or an OCI artifact: a tenant's or a vendor's) applies that
  // source's paths, not this one's (fluxcd/flux2-multi-tenancy's tenant and kyverno syncs).
  const foreign = new Set(d.gitRepositories.map((g) => sourceKey(g.kind, typeof g.metadata.namespace === 'string' ? g.metadata.namespace : '', g.metadata.name)));
  const ownSource = (k: FluxKustomization) => {
    const ref = k.spec.sourceRef;
    if (!ref || ref.name === 'flux-system') return true;
    // A kind the checkout never serves (an OCI artifact, a bucket) is always another source.
    if (!sourceKind(ref.kind)?.checkout) return false;
    return !foreign.has(sourceKey(ref.kind, ref.namespace ?? k.spec.namespace, ref.name));
  };
  const own = live.filter((o) => ownSource(o.ks));
  // Only this repository's Kustomizations make a cluster: a sync of another repository kept here is not one.
  const unreached = own.filter((e) => !own.some((o) => o !== e && isWithinRel(e.dir, o.path)));
  return [...new Set(unreached.map((e) => e.dir))].sort();
}

const hidden = (rel: string) => rel.split('/').some((part) => part.startsWith('.') && part !== '.');

function isFluxInstance(o: KubeObject): boolean {
  return o.kind === 'FluxInstance' && o.apiVersion.startsWith('fluxcd.controlplane.io/');
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

const FLUX_GROUP = 'toolkit.fluxcd.io';
/** The kinds a scan keeps: Flux Kustomizations and the sources the checkout may serve. */
const SCANNED_KINDS = ['Kustomization', ...CHECKOUT_KINDS.map((k) => k.kind)];
// An `apiVersion:` whose value does not end on its own line (block scalar, tag, anchor, alias, an open
// quote, nothing), or an explicit `? key`: the value may start on a later line, so the file is parsed.
const VALUE_ELSEWHERE = /apiVersion["']?[ \t]*:[ \t]*(?:\r?$|[|>!&*]|"[^"\n]*$|'[^'\n]*$)|^[ \t]*\?/m;
const KEY_CHAR = /[\w.-]/;

/**
 * Whether a file may define a Flux Kustomization or a source the checkout may serve (a GitRepository:
 * sources/kinds/), decided without parsing it. Only those kinds are used here, and their apiVersion names
 * a `*.toolkit.fluxcd.io` group. Parsing is most of a repository scan's time, and most files that name
 * such a group name it only in keys: the `kustomize.toolkit.fluxcd.io/name` labels of applied manifests. So a file is passed over only when every
 * occurrence of the group is where a mapping key stands (first on its line, or after `{`, `,` or `- `,
 * and followed by `: `); a value, which an apiVersion must be, sends the file to the parser. Conservative:
 * anything unusual around an `apiVersion` parses the file, whatever it holds.
 */
export function mayDefineFluxObject(text: string): boolean {
  // flux-operator's FluxInstance names the cluster directory it syncs.
  if (text.includes('fluxcd.controlplane.io') && text.includes('FluxInstance')) return true;
  if (!text.includes(FLUX_GROUP)) return false;
  if (!SCANNED_KINDS.some((kind) => text.includes(kind))) return false;
  if (VALUE_ELSEWHERE.test(text)) return true;
  for (let i = text.indexOf(FLUX_GROUP); i >= 0; i = text.indexOf(FLUX_GROUP, i + FLUX_GROUP.length)) {
    if (!atKey(text, i)) return true;
  }
  return false;
}

/** Whether the token holding position `at` is a mapping key: `  group.toolkit.fluxcd.io/name: …`. */
function atKey(text: string, at: number): boolean {
  let start = at;
  while (start > 0 && KEY_CHAR.test(text[start - 1]!)) start--;
  let end = at;
  while (end < text.length && (KEY_CHAR.test(text[end]!) || text[end] === '/')) end++;
  let quoted = false;
  if ((text[start - 1] === '"' || text[start - 1] === "'") && text[end] === text[start - 1]) {
    start--;
    end++;
    quoted = true;
  }
  let before = start - 1;
  while (before >= 0 && (text[before] === ' ' || text[before] === '\t')) before--;
  if (text[before] === '-' && before < start - 1) {
    before--;
    while (before >= 0 && (text[before] === ' ' || text[before] === '\t')) before--;
  }
  const opener = before < 0 ? '\n' : text[before];
  if (opener !== '\n' && opener !== '{' && opener !== ',') return false;
  while (text[end] === ' ' || text[end] === '\t') end++;
  if (text[end] !== ':') return false;
  // `a:b` unquoted is one plain scalar, not a key; a quoted key may be followed by anything (JSON style).
  const next = text[end + 1];
  return quoted || next === undefined || next === ' ' || next === '\t' || next === '\n' || next === '\r';
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
  if (!mayDefineFluxObject(text)) return [];
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
    if (!isJsonObject(v) || typeof v.apiVersion !== 'string' || !(v.apiVersion.includes('.toolkit.fluxcd.io/') || v.apiVersion.startsWith('fluxcd.controlplane.io/'))) continue;
    if (!isJsonObject(v.metadata) || typeof v.metadata.name !== 'string' || v.metadata.name === '') continue;
    out.push(v as KubeObject);
  }
  return out;
}
