// The copy of a chart that helm is given. helm loads every file of a chart directory into memory and
// follows symlinks while doing so, so `.Files.Get "cfg"` prints whatever `cfg` points at; and it
// validates values against each chart's values.schema.json with a JSON-schema library that resolves
// `$ref: file:///…` and `$ref: http://…` on its own (an existence oracle, a read of /dev/zero, a
// request to any URL). A pull request controls the chart, so helm never sees the original:
// - version-control metadata (.git, .hg, .svn, .bzr: `.git/config` holds actions/checkout's token) is
//   left out, at any depth;
// - symlinks are replaced by what they point at, after checking that this stays inside the chart's
//   source (a repository root, or the chart itself when it was downloaded) and outside its VCS metadata;
// - anything that is not a regular file or directory (a FIFO would hang helm) is refused;
// - packaged subcharts (`charts/*.tgz`) are unpacked (with tar) and copied the same way;
// - every values.schema.json (the chart's and its subcharts') is taken out, and kept here: podo
//   validates values against it itself (schema.ts), with references resolved only inside the chart.
import { copyFileSync, lstatSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { parse as parseYaml } from 'yaml';
import { isWithin, safeRealpath } from '../tree/containment.js';
import { isVcsPathUnder, VCS_NAMES } from '../tree/vcs.js';
import { ChildStartError, runChild } from '../../process/child.js';

/** helm's own bound on a packaged chart's decompressed size (3.17 MaxDecompressedChartSize): podo's for any chart. */
export const MAX_CHART_BYTES = 100 << 20;
const MAX_CHART_FILES = 20_000;
/** Directory depth, which also ends a symlink loop. */
const MAX_DEPTH = 64;

/** The chart cannot be handed to helm: why, in one line. */
export class ChartRefused extends Error {}

export interface ChartSchema {
  /** The chart inside the copy, for messages: `.` or `charts/sub`. */
  chart: string;
  /** Its directory in the copy. */
  dir: string;
  /** The values.schema.json text. */
  text: string;
}

export interface SealedChart {
  /** The copy's top directory: what `helm template` is given. */
  dir: string;
  schemas: ChartSchema[];
}

interface Walk {
  /** Real path that nothing may leave. */
  root: string;
  bytes: number;
  files: number;
  schemas: ChartSchema[];
  top: string;
  scratch: () => string;
}

/**
 * Copies the chart at SRC (a directory, or a packaged .tgz) to DEST, as described above. ROOT is what
 * symlinks may not leave. SCRATCH gives fresh temporary directories (for unpacking). Rejects with a
 * ChartRefused naming the file.
 */
export async function sealChart(src: string, root: string, dest: string, scratch: () => string): Promise<SealedChart> {
  const realRoot = safeRealpath(root) ?? path.resolve(root);
  const walk: Walk = { root: realRoot, bytes: 0, files: 0, schemas: [], top: dest, scratch };
  const realSrc = safeRealpath(src) ?? src;
  if (statSync(realSrc).isFile()) {
    await unpackInto(walk, realSrc, dest, path.basename(src));
  } else {
    await copyDir(walk, realSrc, dest, '', { chartRoot: true, chartsDir: false }, 0);
  }
  return { dir: dest, schemas: walk.schemas };
}

interface Place {
  /** The directory is a chart's root (its values.schema.json is the chart's schema). */
  chartRoot: boolean;
  /** The directory is a chart's `charts/` (its entries are subcharts). */
  chartsDir: boolean;
}

async function copyDir(walk: Walk, from: string, to: string, rel: string, place: Place, depth: number): Promise<void> {
  if (depth > MAX_DEPTH) throw new ChartRefused(`chart directory ${shown(rel)} is nested too deeply (a symlink loop?)`);
  mkdirSync(to, { recursive: true });
  const names = readdirSync(from).sort();
  for (const name of names) {
    if (VCS_NAMES.has(name)) continue;
    const childRel = rel === '' ? name : `${rel}/${name}`;
    let abs = path.join(from, name);
    let st = lstatSync(abs);
    if (st.isSymbolicLink()) {
      const real = safeRealpath(abs);
      if (real === undefined) throw new ChartRefused(`chart file ${childRel} is a dangling symlink`);
      if (!isWithin(real, walk.root)) throw new ChartRefused(`chart file ${childRel} is a symlink to a path outside its source; refused`);
      if (isVcsPathUnder(real, walk.root)) throw new ChartRefused(`chart file ${childRel} is a symlink into version-control metadata (.git); refused`);
      abs = real;
      st = statSync(real);
    }
    const dest = path.join(to, name);
    if (st.isDirectory()) {
      await copyDir(walk, abs, dest, childRel, { chartRoot: place.chartsDir, chartsDir: place.chartRoot && name === 'charts' }, depth + 1);
      continue;
    }
    if (!st.isFile()) throw new ChartRefused(`chart file ${childRel} is not a regular file`);
    count(walk, st.size, childRel);
    if (place.chartRoot && name === 'values.schema.json') {
      walk.schemas.push({ chart: rel === '' ? '.' : rel, dir: to, text: readFileSync(abs, 'utf8') });
      continue;
    }
    if (place.chartsDir && name.endsWith('.tgz')) {
      // A packaged subchart: unpacked in its place, so that its files and schema get the same treatment.
      await unpackInto(walk, abs, path.join(to, uniqueDirName(to, name.slice(0, -4))), childRel);
      continue;
    }
    copyFileSync(abs, dest);
  }
}

function count(walk: Walk, size: number, rel: string): void {
  walk.bytes += size;
  walk.files += 1;
  if (walk.bytes > MAX_CHART_BYTES) throw new ChartRefused(`chart is larger than ${MAX_CHART_BYTES >> 20} MiB (at ${rel}); refused`);
  if (walk.files > MAX_CHART_FILES) throw new ChartRefused(`chart has more than ${MAX_CHART_FILES} files; refused`);
}

function uniqueDirName(dir: string, base: string): string {
  let name = base || 'chart';
  for (let i = 2; entryExists(path.join(dir, name)); i++) name = `${base}-${i}`;
  return name;
}

function entryExists(p: string): boolean {
  try {
    lstatSync(p);
    return true;
  } catch {
    return false;
  }
}

/** A packaged chart (`name-1.0.0.tgz`, one top directory) unpacked by tar, then copied to DEST as a chart. */
async function unpackInto(walk: Walk, tgz: string, dest: string, shownAs: string): Promise<void> {
  const into = mkdtempSync(path.join(walk.scratch(), 'unpack-'));
  let res;
  try {
    // GNU and BSD tar both refuse members with `..` and strip a leading `/`; links they create are
    // checked by the copy below against the unpacked directory.
    res = await runChild('tar', ['-xzf', tgz, '-C', into, '--no-same-owner', '--no-same-permissions'], { what: `tar -x ${shownAs}`, maxBuffer: 1 << 20 });
  } catch (err) {
    if (err instanceof ChildStartError) throw new ChartRefused(`packaged chart ${shownAs} cannot be unpacked: tar is not available`);
    throw err;
  }
  if (res.code !== 0) throw new ChartRefused(`packaged chart ${shownAs} cannot be unpacked: ${res.stderr.split('\n')[0] || `tar exited with ${res.code}`}`);
  const tops = readdirSync(into, { withFileTypes: true }).filter((e) => e.isDirectory());
  if (tops.length !== 1) throw new ChartRefused(`packaged chart ${shownAs} does not hold one chart directory`);
  const inner: Walk = { ...walk, root: safeRealpath(into) ?? into };
  const base = path.relative(walk.top, dest).split(path.sep).join('/');
  await copyDir(inner, path.join(inner.root, tops[0].name), dest, base, { chartRoot: true, chartsDir: false }, 0);
  walk.bytes = inner.bytes;
  walk.files = inner.files;
}

function shown(rel: string): string {
  return rel === '' ? '.' : rel;
}

function chartMeta(dir: string): Record<string, unknown> {
  try {
    const meta: unknown = parseYaml(readFileSync(path.join(dir, 'Chart.yaml'), 'utf8'));
    return typeof meta === 'object' && meta !== null ? (meta as Record<string, unknown>) : {};
  } catch {
    return {};
  }
}

/** `type: library` in a chart's Chart.yaml: helm renders none of its templates. */
export function isLibraryChart(dir: string): boolean {
  return chartMeta(dir).type === 'library';
}

/** `app`, or `sub (charts/sub)` for a subchart: the chart's name from its Chart.yaml, for messages. */
export function chartLabel(s: ChartSchema): string {
  const name = chartMeta(s.dir).name;
  const shownName = typeof name === 'string' && /^[\w.-]{1,63}$/.test(name) ? name : undefined;
  if (s.chart === '.') return shownName ?? 'at the top';
  return shownName ? `${shownName} (${s.chart})` : s.chart;
}
