// The boundary check: walks the kustomization graph in the workspace copy (reference-walk.ts) and
// rejects any file reference that leaves the repository root (see containment.ts for why), before
// kustomize reads anything.
import { existsSync, statSync } from 'node:fs';
import path from 'node:path';
import { parseAllDocuments } from 'yaml';
import { BuildError } from '../../model/errors.js';
import type { JsonObject } from '../../model/object.js';
import type { RemoteBases } from '../../model/settings.js';
import { displayPath, guardedRead, guardFile, isWithin, looksRemote, outsideRootError, remoteError, remoteProblem, safeRealpath } from '../tree/containment.js';
import { yamlProblem } from '../documents.js';
import type { Workspace } from '../tree/workspace.js';
import { isVcsPathUnder, vcsRefusal } from '../tree/vcs.js';
import { KUSTOMIZATION_FIELDS, LENIENT } from './kustomization-fields.js';
import { loadDocs } from './parsed-yaml.js';
import { kustomizationFileIn, referencesIn, type PluginConfigs, type Reference } from './reference-walk.js';

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

function visitKustomization(ctx: Ctx, dir: string, where: string, k: JsonObject): void {
  for (const [field, role] of Object.entries(KUSTOMIZATION_FIELDS)) {
    const v = k[field];
    if (role === 'helm' && v !== undefined && v !== null && !(Array.isArray(v) && v.length === 0)) {
      // kustomize-controller builds with Helm disabled, so Flux fails on these too.
      throw new BuildError(`${where}: ${field} is not supported: Flux's kustomize-controller builds without Helm`, where);
    }
  }
  const refs = referencesIn(k, where, LENIENT);
  let r = refs.next();
  while (!r.done) r = refs.next(resolve(ctx, dir, where, r.value));
}

/** Checks one reference; a file of plugin configs is read for the files they name. */
function resolve(ctx: Ctx, dir: string, where: string, ref: Reference): PluginConfigs | undefined {
  const abs = checkRef(ctx, dir, where, ref.field, ref.entry, { dir: ref.role !== 'file', remote: ref.role === 'kustomization' });
  if (ref.role !== 'plugin-configs' || !abs || !statSync(abs).isFile()) return undefined;
  return { configs: loadDocs(guardedRead(abs, displayPath(ctx.ws, abs))) ?? [], file: where };
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
