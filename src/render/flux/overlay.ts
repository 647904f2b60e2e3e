// The Flux overlay: what kustomize-controller does to the Kustomization's path before it runs
// kustomize (fluxcd/pkg kustomize Generator): generate a kustomization.yaml when there is none,
// then merge targetNamespace, namePrefix/nameSuffix, patches, images and components into it.
// Everything happens in the workspace copy: the user's tree is never written.
//
// Owner labels and commonMetadata are NOT added here: Flux applies them after the build, to
// metadata.labels only (build/metadata.ts); kustomize commonLabels would also rewrite selectors.
import { existsSync, lstatSync, readdirSync, readFileSync, unlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { isMap, isSeq, parseAllDocuments, parseDocument, type Document, YAMLMap, YAMLSeq } from 'yaml';
import { BuildError } from '../../model/errors.js';
import type { Image, KustomizationSpec, Patch } from '../../model/kustomization.js';
import { isJsonObject } from '../../model/object.js';
import type { RemoteBases } from '../../model/settings.js';
import { containSymlinks, displayPath, isWithin, type EscapingLinks, looksRemote, outsideRootError, remoteProblem, safeRealpath } from '../tree/containment.js';
import { checkKustomizationRefs, kustomizationFileIn } from '../kustomize/kustomize-refs.js';
import { yamlProblem } from '../documents.js';
import type { Workspace } from '../tree/workspace.js';

/**
 * Prepares the overlay in the workspace. REMOTE: what kustomize may fetch (absent: remote resources are
 * fetched, as Flux does).
 */
export function prepareOverlay(ws: Workspace, spec: KustomizationSpec, remote?: RemoteBases): Overlay {
  const escaping = containSymlinks(ws);
  const existing = kustomizationFileIn(ws.dir);
  const kfile = existing ?? generateKustomization(ws, escaping);
  checkSpecComponents(ws, spec, remote);
  const notes = mergeSpec(ws, kfile, spec, existing !== undefined);
  // spec.components are merged into the kustomization file by now: counted here with the rest.
  const fetches = checkKustomizationRefs(ws, ws.dir, remote) > 0;
  // Unreferenced links are refused too: kustomize may still reach them in ways not parsed above.
  if (escaping.length > 0) throw escaping.error();
  return { notes, fetches };
}

export interface Overlay {
  /** What the spec changed that the user may not expect. */
  notes: string[];
  /** kustomize will fetch remote resources (kustomize/kustomize.ts bounds such a build). */
  fetches: boolean;
}

// ---------------------------------------------------------------------------------------------
// Generation

/**
 * Like Flux: walk the directory in lexical order; a subdirectory holding a kustomization file is
 * added as one resource and not descended into; every other `.yaml`/`.yml` file is added and must
 * hold Kubernetes objects; other files are skipped. An empty directory gets `resources: []`,
 * which builds to nothing (Flux ≥ 2.3 also builds an empty directory to nothing).
 */
function generateKustomization(ws: Workspace, escaping: EscapingLinks): string {
  const resources: string[] = [];
  scan(ws, ws.dir, escaping, resources);
  const file = path.join(ws.dir, 'kustomization.yaml');
  const list = resources.length === 0 ? 'resources: []\n' : `resources:\n${resources.map((r) => `- ${JSON.stringify(r)}\n`).join('')}`;
  writeFileSync(file, `apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\n${list}`);
  return file;
}

function scan(ws: Workspace, dir: string, escaping: EscapingLinks, out: string[]): void {
  const names = readdirSync(dir).sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  for (const name of names) {
    const p = path.join(dir, name);
    const rel = './' + path.relative(ws.dir, p).split(path.sep).join('/');
    const st = lstatSync(p);
    if (st.isDirectory()) {
      if (kustomizationFileIn(p)) out.push(rel);
      else scan(ws, p, escaping, out);
      continue;
    }
    const ext = path.extname(name);
    if (ext !== '.yaml' && ext !== '.yml') continue;
    const shown = displayPath(ws, p);
    if (escaping.has(shown)) throw escaping.error(shown);
    const problem = manifestProblem(readFileSync(p, 'utf8'));
    if (problem) {
      // Flux fails the same way ("failed to decode Kubernetes YAML from …"); .sourceignore is the remedy.
      throw new BuildError(
        `${shown}: not a Kubernetes manifest (${problem}); Flux fails on it when generating a kustomization.yaml — exclude it with .sourceignore`,
        shown,
      );
    }
    out.push(rel);
  }
}

/**
 * Why TEXT is not a list of Kubernetes objects, as kustomize's resource factory judges it: empty
 * documents are fine, others need a kind and (unless a List) a metadata.name.
 */
export function manifestProblem(text: string): string | undefined {
  for (const doc of parseAllDocuments(text)) {
    if (doc.errors.length > 0) return `invalid YAML: ${yamlProblem(doc.errors[0])}`;
    let v: unknown;
    try {
      v = doc.toJS({ maxAliasCount: 10_000 });
    } catch {
      return 'refused: its YAML aliases expand exponentially (a YAML bomb)';
    }
    if (v === null || v === undefined) continue;
    if (!isJsonObject(v)) return 'a document is not a map';
    if (typeof v.kind !== 'string' || v.kind === '') return 'missing kind';
    if (v.kind.endsWith('List')) continue;
    const meta = v.metadata;
    if (!isJsonObject(meta) || typeof meta.name !== 'string' || meta.name === '') return 'missing metadata.name';
  }
  return undefined;
}

// ---------------------------------------------------------------------------------------------
// Merging the spec

function checkSpecComponents(ws: Workspace, spec: KustomizationSpec, remote: RemoteBases | undefined): void {
  const where = `Kustomization ${spec.namespace}/${spec.name} spec.components`;
  for (const c of spec.components ?? []) {
    const abs = path.resolve(ws.dir, c);
    if (looksRemote(c) && !existsSync(abs)) {
      // Merged into the kustomization's components, which kustomize fetches (tree/containment.ts remoteProblem).
      const why = remoteProblem(c, remote);
      if (why) throw new BuildError(`${where}: ${c}: ${why}`);
      continue;
    }
    if (!isWithin(abs, ws.root)) throw outsideRootError(where, c);
    if (!existsSync(abs) && !spec.ignoreMissingComponents) {
      throw new BuildError(`${where}: ${c} does not exist in ${displayPath(ws, ws.dir)} (spec.ignoreMissingComponents: true leaves missing components out)`);
    }
    const real = safeRealpath(abs);
    if (real !== undefined && !isWithin(real, safeRealpath(ws.root) ?? ws.root)) throw outsideRootError(where, c);
  }
}

/** Edits the kustomization file in place, keeping its content, comments and order. */
function mergeSpec(ws: Workspace, file: string, spec: KustomizationSpec, existing: boolean): string[] {
  const notes: string[] = [];
  const where = displayPath(ws, file);
  const text = readFileSync(file, 'utf8');
  const doc: Document = parseDocument(text);
  if (doc.errors.length > 0) throw new BuildError(`${where}: invalid YAML: ${doc.errors[0].message.split('\n')[0]}`, where);
  if (doc.contents === null) doc.contents = doc.createNode({});
  if (!isMap(doc.contents)) throw new BuildError(`${where}: not a kustomization (not a map)`, where);

  // Flux replaces these when the spec sets them; an empty value clears them (omitempty).
  setOrClear(doc, 'namespace', spec.targetNamespace);
  setOrClear(doc, 'namePrefix', spec.namePrefix);
  setOrClear(doc, 'nameSuffix', spec.nameSuffix);
  for (const p of spec.patches ?? []) seqAt(doc, 'patches').add(doc.createNode(patchEntry(p)));
  for (const im of spec.images ?? []) mergeImage(doc, im);
  // Components are relative to spec.path, i.e. to this file; only those not listed yet are added.
  // With ignoreMissingComponents, one that does not exist is left out (fluxcd/pkg kustomize Generator).
  for (const c of spec.components ?? []) {
    if (spec.ignoreMissingComponents && !existsSync(path.join(ws.dir, c))) {
      notes.push(`spec.components: ${c} does not exist in ${displayPath(ws, ws.dir)}: left out (ignoreMissingComponents)`);
      continue;
    }
    const seq = seqAt(doc, 'components');
    if (!seq.items.some((n) => scalarValue(n) === c)) seq.add(doc.createNode(c));
  }
  setBuildMetadata(doc, spec, existing);
  if (doc.toString() === text) return notes;
  // Never write through a symlink: replace it with a regular file in the copy.
  if (lstatSync(file).isSymbolicLink()) unlinkSync(file);
  writeFileSync(file, doc.toString());
  return notes;
}

/**
 * kustomize `buildMetadata` as Flux sets it (fluxcd/pkg kustomize Generator): an existing kustomization
 * file without `resources` gets `[originAnnotations]` (Flux's guard against kustomize's "kustomization
 * is empty" error), which annotates its generated objects with `config.kubernetes.io/origin`; a non-empty
 * spec.buildMetadata then replaces whatever the file had.
 */
function setBuildMetadata(doc: Document, spec: KustomizationSpec, existing: boolean): void {
  const resources = doc.get('resources', true);
  if (existing && !(isSeq(resources) && resources.items.length > 0)) doc.set('buildMetadata', doc.createNode(['originAnnotations']));
  if (spec.buildMetadata && spec.buildMetadata.length > 0) doc.set('buildMetadata', doc.createNode([...spec.buildMetadata]));
}

function setOrClear(doc: Document, key: string, value: string | undefined): void {
  if (value === undefined) return;
  if (value === '') doc.delete(key);
  else doc.set(key, value);
}

function seqAt(doc: Document, key: string): YAMLSeq {
  const cur = doc.get(key, true);
  if (isSeq(cur)) return cur;
  const seq = new YAMLSeq();
  doc.set(key, seq);
  return seq;
}

function scalarValue(n: unknown): unknown {
  return n !== null && typeof n === 'object' && 'value' in n ? (n as { value: unknown }).value : n;
}

const SELECTOR_KEYS = ['group', 'version', 'kind', 'name', 'namespace', 'labelSelector', 'annotationSelector'] as const;

/** An inline patch; a target selector (even an empty one) is kept, as Flux passes it to kustomize. */
function patchEntry(p: Patch): Record<string, unknown> {
  const out: Record<string, unknown> = { patch: p.patch };
  if (p.target) {
    const t: Record<string, string> = {};
    for (const k of SELECTOR_KEYS) if (p.target[k]) t[k] = p.target[k] as string;
    out.target = t;
  }
  return out;
}

/**
 * spec.images entries are merged into an existing entry of the same name field by field
 * (fluxcd/pkg#1266): newName on its own, newTag and digest as one unit — setting either replaces
 * both, as kustomize's image transformer does. Entries for new names are appended.
 */
function mergeImage(doc: Document, im: Image): void {
  const seq = seqAt(doc, 'images');
  const existing = seq.items.find((n): n is YAMLMap => isMap(n) && n.get('name') === im.name);
  if (!existing) {
    const entry: Record<string, string> = { name: im.name };
    if (im.newName) entry.newName = im.newName;
    if (im.newTag) entry.newTag = im.newTag;
    if (im.digest) entry.digest = im.digest;
    seq.add(doc.createNode(entry));
    return;
  }
  if (im.newName) existing.set('newName', im.newName);
  if (im.newTag || im.digest) {
    for (const [k, v] of [['newTag', im.newTag], ['digest', im.digest]] as const) {
      if (v) existing.set(k, v);
      else existing.delete(k);
    }
  }
}
