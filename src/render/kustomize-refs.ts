// Walks the kustomization graph in the workspace copy and rejects any file reference that leaves
// the repository root (see containment.ts for why), before kustomize reads anything.
// Only references are inspected; building stays with real kustomize.
import { existsSync, statSync } from 'node:fs';
import path from 'node:path';
import { parseAllDocuments } from 'yaml';
import { BuildError } from '../model/errors.js';
import { isJsonObject, type JsonObject, type JsonValue } from '../model/object.js';
import { displayPath, guardedRead, guardFile, isWithin, looksRemote, outsideRootError, remoteError, safeRealpath } from './containment.js';
import { yamlProblem } from './documents.js';
import type { Workspace } from './workspace.js';

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
}

/** Throws a BuildError naming the offending kustomization file for the first escaping reference. */
export function checkKustomizationRefs(ws: Workspace, dir: string): void {
  const root = safeRealpath(ws.root) ?? ws.root;
  visitDir({ ws, root, visited: new Set() }, safeRealpath(dir) ?? dir);
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
  const out: JsonObject[] = [];
  for (const doc of parseAllDocuments(text)) {
    if (doc.errors.length > 0) return undefined;
    const v: unknown = doc.toJS({ maxAliasCount: -1 }); // guarded: guardYaml refused bombs before
    if (isJsonObject(v as JsonValue)) out.push(v as JsonObject);
  }
  return out;
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
  if (!exists && looksRemote(entry)) throw remoteError(where, field, entry);
  if (!isWithin(abs, ctx.root) && !isWithin(abs, ctx.ws.root)) throw outsideRootError(where, entry);
  if (!exists) return undefined; // missing: kustomize says so
  const real = safeRealpath(abs);
  if (real === undefined || !isWithin(real, ctx.root)) throw outsideRootError(where, entry);
  const st = statSync(real);
  if (opts.dir && st.isDirectory()) visitDir(ctx, real);
  // Every file kustomize will read is bounded: no YAML bomb, no file too large to hold.
  else if (st.isFile()) guardFile(real, displayPath(ctx.ws, real));
  return real;
}
