// The reference closure: every path kustomize may read when building a Kustomization, found in the
// user's tree (as the artifact presents it: .sourceignore applied) before anything is copied, by the
// one reference walk (reference-walk.ts) read strictly. The workspace then copies only these files, and
// --base-ref compares them across refs. Whatever the walk cannot prove (an unknown field, a plugin, a
// remote or escaping reference, a symlink, a directory resource without a kustomization file, YAML it
// cannot parse) makes it give up with a reason: the caller falls back to copying the whole repository,
// where the boundary check (boundary-check.ts) applies.
import { readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { isJsonObject, type JsonObject } from '../../model/object.js';
import { looksRemote } from '../tree/containment.js';
import { guardYaml, MAX_YAML_BYTES } from '../documents.js';
import { listDirectory, presence, type ClosureEntry, type ReferenceClosure, type SourceTree } from '../tree/source-tree.js';
import { roleOf, strictReading } from './kustomization-fields.js';
import { documentsOf, loadDocs } from './parsed-yaml.js';
import { KUSTOMIZATION_FILES, referencesIn, type PluginConfigs, type Reference } from './reference-walk.js';

export type { ClosureEntry, ReferenceClosure };

class Unprovable extends Error {}

const STRICT = strictReading((why) => {
  throw new Unprovable(why);
});

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
    // A field kustomize does not have, or Helm (which Flux builds without): left to the full copy.
    const role = roleOf(key);
    if (role === undefined || role === 'helm') throw new Unprovable(`${file}: field ${key}`);
  }
  const refs = referencesIn(k, file, STRICT);
  let r = refs.next();
  while (!r.done) r = refs.next(await resolve(walk, dir, r.value));
}

/** One reference resolved in the tree; a file of plugin configs is read for the files they name. */
async function resolve(walk: ClosureWalk, dir: string, ref: Reference): Promise<PluginConfigs | undefined> {
  const rel = await closureRef(walk, dir, ref.field, ref.entry, { dir: ref.role === 'kustomization' });
  if (ref.role !== 'plugin-configs' || rel === undefined) return undefined;
  const text = await readSmall(walk, rel);
  const configs = parsedOrUnprovable(() => loadDocs(text), rel);
  if (configs === undefined) throw new Unprovable(`${rel}: not YAML`);
  return { configs, file: rel };
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
