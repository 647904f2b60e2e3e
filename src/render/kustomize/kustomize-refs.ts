// Walks the kustomization graph in the workspace copy and rejects any file reference that leaves
// the repository root (see containment.ts for why), before kustomize reads anything.
// Only references are inspected; building stays with real kustomize.
import { existsSync, statSync } from 'node:fs';
import { readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { parseAllDocuments } from 'yaml';
import { BuildError } from '../../model/errors.js';
import { isJsonObject, type JsonObject, type JsonValue } from '../../model/object.js';
import type { RemoteBases } from '../../model/settings.js';
import { displayPath, guardedRead, guardFile, isWithin, looksRemote, outsideRootError, remoteError, remoteProblem, safeRealpath } from '../tree/containment.js';
import { guardYaml, MAX_YAML_BYTES, yamlProblem } from '../documents.js';
import type { Workspace } from '../tree/workspace.js';
import { isVcsPathUnder, vcsRefusal } from '../tree/vcs.js';
import { listDirectory, presence, type ClosureEntry, type ReferenceClosure, type SourceTree } from '../tree/source-tree.js';

export const KUSTOMIZATION_FILES = ['kustomization.yaml', 'kustomization.yml', 'Kustomization'];

/** The kustomization file kustomize would load from DIR, if any. */
export function kustomizationFileIn(dir: string): string | undefined {
  for (const name of KUSTOMIZATION_FILES) {
    const p = path.join(dir, name);
    try {
      if (!statSync(p).isDirectory()) return p;
    } catch {
      /* not there */
    }
  }
  return undefined;
}

interface Ctx {
  ws: Workspace;
  root: string;
  visited: Set<string>;
  remote?: RemoteBases;
  /** Remote references left to kustomize to fetch. */
  fetched: number;
}

/**
 * Throws a BuildError naming the offending kustomization file for the first escaping reference, or the
 * first remote one REMOTE does not let kustomize fetch (tree/containment.ts remoteProblem). Returns how many
 * remote references kustomize will fetch.
 */
export function checkKustomizationRefs(ws: Workspace, dir: string, remote?: RemoteBases): number {
  const root = safeRealpath(ws.root) ?? ws.root;
  const ctx: Ctx = { ws, root, visited: new Set(), remote, fetched: 0 };
  visitDir(ctx, safeRealpath(dir) ?? dir);
  return ctx.fetched;
}

function visitDir(ctx: Ctx, dir: string): void {
  if (ctx.visited.has(dir)) return;
  ctx.visited.add(dir);
  const file = kustomizationFileIn(dir);
  if (!file) return; // kustomize reports the missing kustomization itself
  const where = displayPath(ctx.ws, file);
  const k = loadMap(file, where);
  if (k) visitKustomization(ctx, dir, where, k);
}

/**
 * The first YAML document as a map. A kustomization file podo cannot read is refused rather than
 * left to kustomize: its references could not be checked.
 */
function loadMap(file: string, where: string): JsonObject | undefined {
  const text = guardedRead(file, where);
  const docs = loadDocs(text);
  if (!docs) {
    const first = parseAllDocuments(text).flatMap((d) => d.errors)[0];
    throw new BuildError(`${where}: invalid YAML${first ? `: ${yamlProblem(first)}` : ''}`, where);
  }
  return docs[0];
}

function loadDocs(text: string): JsonObject[] | undefined {
  const docs = documentsOf(text);
  return docs === 'invalid' ? undefined : docs.filter(isJsonObject);
}

const parsedTexts = new Map<string, readonly JsonValue[] | 'invalid'>();
const PARSE_CACHE_ENTRIES = 512;
const PARSE_CACHE_TEXT = 64 * 1024;

/**
 * Every document of TEXT as a plain value (null when empty), or 'invalid'. Parsed once per text: the
 * kustomization file of a shared base or component is read by every Kustomization's closure walk and
 * boundary check, and parsing is most of their time. Frozen, as callers share it; only read, never
 * changed. Texts are guarded against YAML bombs before they get here (guardYaml).
 */
function documentsOf(text: string): readonly JsonValue[] | 'invalid' {
  const known = parsedTexts.get(text);
  if (known) return known;
  let docs: readonly JsonValue[] | 'invalid' = [];
  const values: JsonValue[] = [];
  for (const doc of parseAllDocuments(text)) {
    if (doc.errors.length > 0) {
      docs = 'invalid';
      break;
    }
    values.push(deepFreeze((doc.toJS({ maxAliasCount: -1 }) ?? null) as JsonValue));
  }
  if (docs !== 'invalid') docs = Object.freeze(values);
  if (text.length <= PARSE_CACHE_TEXT) {
    if (parsedTexts.size >= PARSE_CACHE_ENTRIES) parsedTexts.clear();
    parsedTexts.set(text, docs);
  }
  return docs;
}

function deepFreeze<T extends JsonValue>(v: T): T {
  if (v !== null && typeof v === 'object') {
    for (const x of Object.values(v)) deepFreeze(x as JsonValue);
    Object.freeze(v);
  }
  return v;
}

const strings = (v: JsonValue | undefined): string[] =>
  Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : typeof v === 'string' ? [v] : [];
const objects = (v: JsonValue | undefined): JsonObject[] => (Array.isArray(v) ? v.filter(isJsonObject) : []);

function visitKustomization(ctx: Ctx, dir: string, where: string, k: JsonObject): void {
  const ref = (field: string, entry: string, opts: { dir?: boolean; remote?: boolean } = {}) =>
    checkRef(ctx, dir, where, field, entry, opts);

  for (const field of ['helmCharts', 'helmGlobals', 'helmChartInflationGenerator']) {
    const v = k[field];
    if (v !== undefined && v !== null && !(Array.isArray(v) && v.length === 0)) {
      // kustomize-controller builds with Helm disabled, so Flux fails on these too.
      throw new BuildError(`${where}: ${field} is not supported: Flux's kustomize-controller builds without Helm`, where);
    }
  }
  for (const field of ['resources', 'bases', 'components']) {
    for (const e of strings(k[field])) ref(field, e, { dir: true, remote: true });
  }
  for (const field of ['crds', 'configurations']) for (const e of strings(k[field])) ref(field, e);
  // patchesStrategicMerge entries are file paths or inline patches.
  for (const e of strings(k.patchesStrategicMerge)) if (!isInline(e)) ref('patchesStrategicMerge', e);
  for (const field of ['patches', 'patchesJson6902', 'replacements']) {
    for (const p of objects(k[field])) if (typeof p.path === 'string') ref(field, p.path);
  }
  for (const field of ['configMapGenerator', 'secretGenerator']) {
    for (const g of objects(k[field])) generatorFiles(g).forEach((e) => ref(field, e));
  }
  if (isJsonObject(k.openapi) && typeof k.openapi.path === 'string') ref('openapi', k.openapi.path);
  // transformers/generators/validators: a file or directory holding plugin configs, or an inline config.
  for (const field of ['transformers', 'generators', 'validators']) {
    for (const e of strings(k[field])) {
      if (isInline(e)) {
        for (const cfg of loadDocs(e) ?? []) pluginFiles(where, cfg).forEach((p) => ref(field, p));
        continue;
      }
      const abs = ref(field, e, { dir: true });
      if (abs && statSync(abs).isFile()) {
        for (const cfg of loadDocs(guardedRead(abs, displayPath(ctx.ws, abs))) ?? []) pluginFiles(where, cfg).forEach((p) => ref(field, p));
      }
    }
  }
}

/** `files` (`key=path` or `path`), `envs` and the older `env` of a ConfigMap/Secret generator. */
function generatorFiles(g: JsonObject): string[] {
  const files = strings(g.files).map((f) => (f.includes('=') ? f.slice(f.indexOf('=') + 1) : f));
  return [...files, ...strings(g.envs), ...strings(g.env)];
}

/** File references of a builtin plugin config (PatchTransformer, ConfigMapGenerator, ReplacementTransformer…). */
function pluginFiles(where: string, cfg: JsonObject): string[] {
  if (cfg.kind === 'HelmChartInflationGenerator') {
    throw new BuildError(`${where}: HelmChartInflationGenerator is not supported: Flux's kustomize-controller builds without Helm`, where);
  }
  const out = [...strings(cfg.path), ...strings(cfg.paths), ...generatorFiles(cfg)];
  for (const r of objects(cfg.replacements)) out.push(...strings(r.path));
  return out;
}

function isInline(entry: string): boolean {
  return entry.includes('\n') || /^\s*(apiVersion|kind)\s*:/.test(entry);
}

/**
 * Checks one reference, relative to the kustomization's directory; recurses into directories that
 * are kustomizations. Returns the real path when it exists.
 */
function checkRef(ctx: Ctx, dir: string, where: string, field: string, entry: string, opts: { dir?: boolean; remote?: boolean }): string | undefined {
  const abs = path.resolve(dir, entry);
  const exists = existsSync(abs);
  if (!exists && opts.remote && looksRemote(entry)) {
    // Left to kustomize to fetch, as kustomize-controller does; what it fetches is not on this disk.
    const why = remoteProblem(entry, ctx.remote);
    if (why) throw remoteError(where, field, entry, why);
    ctx.fetched++;
    return undefined;
  }
  if (!exists && looksRemote(entry)) throw remoteError(where, field, entry, 'remote files are fetched only for resources, bases and components');
  if (!isWithin(abs, ctx.root) && !isWithin(abs, ctx.ws.root)) throw outsideRootError(where, entry);
  // The copy holds no .git: without this, kustomize would only say the file is missing, in its words.
  if (isVcsPathUnder(abs, ctx.root) || isVcsPathUnder(abs, ctx.ws.root)) throw new BuildError(vcsRefusal(`${where}: ${field} ${entry}`), where);
  if (!exists) return undefined; // missing: kustomize says so
  const real = safeRealpath(abs);
  // A symlink in the copy into the user's .git (the copy has none): named for what it is.
  if (real !== undefined && (isVcsPathUnder(real, ctx.root) || isVcsPathUnder(real, safeRealpath(ctx.ws.userRoot) ?? ctx.ws.userRoot))) {
    throw new BuildError(vcsRefusal(`${where}: ${field} ${entry}`), where);
  }
  if (real === undefined || !isWithin(real, ctx.root)) throw outsideRootError(where, entry);
  const st = statSync(real);
  if (opts.dir && st.isDirectory()) visitDir(ctx, real);
  // Every file kustomize will read is bounded: no YAML bomb, no file too large to hold.
  else if (st.isFile()) guardFile(real, displayPath(ctx.ws, real));
  return real;
}

// ---------------------------------------------------------------------------------------------
// The reference closure: every path kustomize may read when building a Kustomization, found in the
// user's tree (as the artifact presents it: .sourceignore applied) before anything is copied. The
// workspace then copies only these files, and --base-ref compares them across refs. Whatever the
// walk cannot prove (an unknown field, a plugin, a remote or escaping reference, a symlink, a
// directory resource without a kustomization file, YAML it cannot parse) makes it give up with a
// reason: the caller falls back to copying the whole repository, where the checks above apply.

export type { ClosureEntry, ReferenceClosure };

class Unprovable extends Error {}

interface ClosureWalk {
  tree: SourceTree;
  entries: Map<string, ClosureEntry>;
  visited: Set<string>;
}

/**
 * The closure of the Kustomization at DIR (relative to the tree's root): its kustomization file (or,
 * without one, every file the Flux overlay would list), everything it references, recursively, and
 * the components SPEC_COMPONENTS adds (relative to DIR, as Flux merges them).
 */
export async function referenceClosure(tree: SourceTree, dir: string, specComponents: readonly string[] = []): Promise<ReferenceClosure> {
  const walk: ClosureWalk = { tree, entries: new Map(), visited: new Set() };
  try {
    const root = norm(dir);
    if (root === undefined) throw new Unprovable(`${dir} leaves the repository`);
    const kind = await presence(tree, root);
    if (kind !== 'dir') throw new Unprovable(`${dir} is ${kind === 'absent' ? 'missing' : 'not a plain directory'}`);
    await closureOfDir(walk, root, true);
    for (const c of specComponents) await closureRef(walk, root, 'spec.components', c, { dir: true });
    return { entries: walk.entries };
  } catch (err) {
    if (err instanceof Unprovable) return { entries: walk.entries, unprovable: err.message };
    throw err;
  }
}

/** A `/`-separated path relative to the root with `.` and `..` resolved; undefined when it climbs out. */
function norm(rel: string): string | undefined {
  const n = path.posix.normalize(rel.split(path.sep).join('/')).replace(/\/+$/, '');
  if (n === '.' || n === '') return '';
  if (n === '..' || n.startsWith('../') || n.startsWith('/')) return undefined;
  return n;
}

const join = (dir: string, name: string) => (dir === '' ? name : `${dir}/${name}`);

/** Fields of a kustomization (kustomize api/types Kustomization) that name no file. */
const PLAIN_FIELDS = new Set([
  'apiVersion',
  'kind',
  'metadata',
  'namespace',
  'namePrefix',
  'nameSuffix',
  'commonLabels',
  'labels',
  'commonAnnotations',
  'images',
  'replicas',
  'vars',
  'generatorOptions',
  'sortOptions',
  'buildMetadata',
]);
const FILE_FIELDS = new Set([
  'resources',
  'bases',
  'components',
  'crds',
  'configurations',
  'patchesStrategicMerge',
  'patches',
  'patchesJson6902',
  'replacements',
  'configMapGenerator',
  'secretGenerator',
  'openapi',
  'transformers',
  'generators',
  'validators',
]);

async function closureOfDir(walk: ClosureWalk, dir: string, isRoot: boolean): Promise<void> {
  if (walk.visited.has(dir)) return;
  walk.visited.add(dir);
  walk.entries.set(dir, 'dir');
  await refuseLinks(walk, dir);
  const files = await kustomizationFilesIn(walk, dir);
  if (files.length === 0) {
    // kustomize-controller generates one for the Kustomization's own path only.
    if (!isRoot) throw new Unprovable(`${dir || '.'} has no kustomization file`);
    await closureOfScan(walk, dir);
    return;
  }
  const file = files[0];
  const k = kustomizationMap(await readSmall(walk, file), file);
  if (k === undefined) return; // an empty kustomization builds to nothing
  await closureOfKustomization(walk, dir, file, k);
}

/**
 * A file the walk parses itself, read only when it is small and plain enough to parse safely: a
 * large file or a YAML bomb is left to the full copy, where the boundary checks refuse it in their words.
 */
async function readSmall(walk: ClosureWalk, rel: string): Promise<string> {
  const abs = path.join(walk.tree.root, ...rel.split('/'));
  if ((await stat(abs)).size > MAX_YAML_BYTES) throw new Unprovable(`${rel} is too large to walk`);
  const text = await readFile(abs, 'utf8');
  try {
    guardYaml(text, rel);
  } catch {
    throw new Unprovable(`${rel}: refused by the YAML limits`);
  }
  return text;
}

function parsedOrUnprovable<T>(parse: () => T, rel: string): T {
  try {
    return parse();
  } catch (err) {
    if (err instanceof Unprovable) throw err;
    throw new Unprovable(`${rel}: cannot be parsed`);
  }
}

/** The one map a kustomization file holds; undefined when it holds no document at all. */
function kustomizationMap(text: string, file: string): JsonObject | undefined {
  const maps: JsonObject[] = [];
  const docs = parsedOrUnprovable(() => documentsOf(text), file);
  if (docs === 'invalid') throw new Unprovable(`${file}: invalid YAML`);
  for (const v of docs) {
    if (v === null || v === undefined) continue;
    if (!isJsonObject(v)) throw new Unprovable(`${file}: not a map`);
    maps.push(v);
  }
  if (maps.length > 1) throw new Unprovable(`${file}: more than one document`);
  return maps[0];
}

/** Every kustomization file name present in DIR (kustomize refuses more than one; the copy keeps them all). */
async function kustomizationFilesIn(walk: ClosureWalk, dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const name of KUSTOMIZATION_FILES) {
    const rel = join(dir, name);
    const kind = await presence(walk.tree, rel);
    if (kind === 'absent') walk.entries.set(rel, 'absent');
    else if (kind === 'file') {
      walk.entries.set(rel, 'file');
      out.push(rel);
    } else throw new Unprovable(`${rel} is not a regular file`);
  }
  return out;
}

/** Any symlink in a directory the build reads from: the copy would rewrite it, so the whole repository is copied. */
async function refuseLinks(walk: ClosureWalk, dir: string): Promise<void> {
  for (const e of await listDirectory(walk.tree, dir)) {
    if (e.kind === 'link') throw new Unprovable(`${join(dir, e.name)} is a symlink`);
  }
}

/** The Flux overlay's generated kustomization: YAML files in lexical order, subdirectories with a kustomization as one resource. */
async function closureOfScan(walk: ClosureWalk, dir: string): Promise<void> {
  walk.entries.set(dir, 'dir');
  for (const e of await listDirectory(walk.tree, dir)) {
    const rel = join(dir, e.name);
    if (e.kind === 'link') throw new Unprovable(`${rel} is a symlink`);
    if (e.kind === 'dir') {
      const hasKustomization = (await kustomizationFilesIn(walk, rel)).length > 0;
      if (hasKustomization) await closureOfDir(walk, rel, false);
      else await closureOfScan(walk, rel);
      continue;
    }
    const ext = path.extname(e.name);
    if (ext !== '.yaml' && ext !== '.yml') continue;
    if (e.kind !== 'file') throw new Unprovable(`${rel} is not a regular file`);
    walk.entries.set(rel, 'file');
  }
}

async function closureOfKustomization(walk: ClosureWalk, dir: string, file: string, k: JsonObject): Promise<void> {
  for (const key of Object.keys(k)) {
    if (!PLAIN_FIELDS.has(key) && !FILE_FIELDS.has(key)) throw new Unprovable(`${file}: field ${key}`);
  }
  const ref = (field: string, entry: string, opts: { dir?: boolean } = {}) => closureRef(walk, dir, field, entry, opts);
  const anyOf = (v: JsonValue | undefined, what: string) => {
    if (v !== undefined && v !== null && !Array.isArray(v)) throw new Unprovable(`${file}: ${what} is not a list`);
  };
  for (const field of ['resources', 'bases', 'components']) {
    anyOf(k[field], field);
    for (const e of listOf(k[field], file, field)) await ref(field, e, { dir: true });
  }
  for (const field of ['crds', 'configurations']) {
    anyOf(k[field], field);
    for (const e of listOf(k[field], file, field)) await ref(field, e);
  }
  anyOf(k.patchesStrategicMerge, 'patchesStrategicMerge');
  for (const e of listOf(k.patchesStrategicMerge, file, 'patchesStrategicMerge')) if (!isInline(e)) await ref('patchesStrategicMerge', e);
  for (const field of ['patches', 'patchesJson6902', 'replacements']) {
    anyOf(k[field], field);
    for (const p of mapsOf(k[field], file, field)) if (p.path !== undefined) await ref(field, stringOf(p.path, file, field));
  }
  for (const field of ['configMapGenerator', 'secretGenerator']) {
    anyOf(k[field], field);
    for (const g of mapsOf(k[field], file, field)) for (const e of generatorSources(g, file)) await ref(field, e);
  }
  if (k.openapi !== undefined && k.openapi !== null) {
    if (!isJsonObject(k.openapi)) throw new Unprovable(`${file}: openapi is not a map`);
    if (k.openapi.path !== undefined) await ref('openapi', stringOf(k.openapi.path, file, 'openapi.path'));
  }
  for (const field of ['transformers', 'generators', 'validators']) {
    anyOf(k[field], field);
    for (const e of listOf(k[field], file, field)) {
      if (isInline(e)) {
        const cfgs = parsedOrUnprovable(() => loadDocs(e), file);
        if (cfgs === undefined) throw new Unprovable(`${file}: ${field} entry is not YAML`);
        for (const cfg of cfgs) for (const p of builtinPluginFiles(cfg, file)) await ref(field, p);
        continue;
      }
      const rel = await ref(field, e);
      if (rel === undefined) continue;
      const text = await readSmall(walk, rel);
      const cfgs = parsedOrUnprovable(() => loadDocs(text), rel);
      if (cfgs === undefined) throw new Unprovable(`${rel}: not YAML`);
      for (const cfg of cfgs) for (const p of builtinPluginFiles(cfg, rel)) await ref(field, p);
    }
  }
}

function listOf(v: JsonValue | undefined, file: string, field: string): string[] {
  if (v === undefined || v === null) return [];
  if (!Array.isArray(v) || v.some((x) => typeof x !== 'string')) throw new Unprovable(`${file}: ${field} is not a list of strings`);
  return v as string[];
}

function mapsOf(v: JsonValue | undefined, file: string, field: string): JsonObject[] {
  if (v === undefined || v === null) return [];
  if (!Array.isArray(v) || !v.every(isJsonObject)) throw new Unprovable(`${file}: ${field} is not a list of maps`);
  return v as JsonObject[];
}

function stringOf(v: JsonValue, file: string, field: string): string {
  if (typeof v !== 'string') throw new Unprovable(`${file}: ${field} is not a string`);
  return v;
}

/** `files` (`key=path` or `path`), `envs` and the older `env` of a ConfigMap/Secret generator. */
function generatorSources(g: JsonObject, file: string): string[] {
  const files = listOf(g.files, file, 'files').map((f) => (f.includes('=') ? f.slice(f.indexOf('=') + 1) : f));
  const env = g.env === undefined || g.env === null ? [] : [stringOf(g.env, file, 'env')];
  return [...files, ...listOf(g.envs, file, 'envs'), ...env];
}

/** Builtin plugins (kustomize's api/builtins) and the fields of theirs that name files. */
const BUILTIN_PLUGINS: Record<string, (cfg: JsonObject, file: string) => string[]> = {
  AnnotationsTransformer: () => [],
  LabelTransformer: () => [],
  NamespaceTransformer: () => [],
  PrefixSuffixTransformer: () => [],
  PrefixTransformer: () => [],
  SuffixTransformer: () => [],
  ImageTagTransformer: () => [],
  ReplicaCountTransformer: () => [],
  HashTransformer: () => [],
  SortOrderTransformer: () => [],
  ValueAddTransformer: () => [],
  PatchTransformer: (c, f) => (c.path === undefined ? [] : [stringOf(c.path, f, 'path')]),
  PatchJson6902Transformer: (c, f) => (c.path === undefined ? [] : [stringOf(c.path, f, 'path')]),
  PatchStrategicMergeTransformer: (c, f) => listOf(c.paths, f, 'paths'),
  ConfigMapGenerator: (c, f) => generatorSources(c, f),
  SecretGenerator: (c, f) => generatorSources(c, f),
  ReplacementTransformer: (c, f) => mapsOf(c.replacements, f, 'replacements').flatMap((r) => (r.path === undefined ? [] : [stringOf(r.path, f, 'path')])),
};

function builtinPluginFiles(cfg: JsonObject, file: string): string[] {
  const kind = typeof cfg.kind === 'string' ? cfg.kind : '';
  const files = Object.prototype.hasOwnProperty.call(BUILTIN_PLUGINS, kind) ? BUILTIN_PLUGINS[kind] : undefined;
  if (!files) throw new Unprovable(`${file}: plugin ${kind || '(no kind)'}`);
  return files(cfg, file);
}

/** One reference, relative to DIR; recurses into kustomization directories. Returns its path when it is a file. */
async function closureRef(walk: ClosureWalk, dir: string, field: string, entry: string, opts: { dir?: boolean }): Promise<string | undefined> {
  if (looksRemote(entry)) throw new Unprovable(`${field} ${entry} looks remote`);
  if (path.isAbsolute(entry)) throw new Unprovable(`${field} ${entry} is absolute`);
  const rel = norm(join(dir, entry));
  if (rel === undefined) throw new Unprovable(`${field} ${entry} leaves the repository`);
  const kind = await presence(walk.tree, rel);
  if (kind === 'absent') {
    // kustomize reports the missing file itself, from the copy, where it is missing too.
    if (!walk.entries.has(rel)) walk.entries.set(rel, 'absent');
    return undefined;
  }
  if (kind === 'file') {
    walk.entries.set(rel, 'file');
    return rel;
  }
  if (kind === 'dir' && opts.dir) {
    await closureOfDir(walk, rel, false);
    return undefined;
  }
  throw new Unprovable(`${field} ${entry} is ${kind === 'dir' ? 'a directory' : 'not a regular file'}`);
}
