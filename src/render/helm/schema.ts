// values.schema.json, validated by podo instead of helm. helm validates a chart's values against its
// schema (and each subchart's values against the subchart's) with a JSON-schema library that resolves
// `$ref: file:///…` and `$ref: https://…` by itself: a chart in a pull request could probe which files
// exist on the runner, read /dev/zero until memory runs out, or make the runner request any URL. So the
// copy helm gets has no schema files (chart-copy.ts), and podo validates the same values against them:
// - the values are helm's own: each chart with a schema gets one more template in the copy, printing
//   its `.Values` (what helm validates: the coalesced values, a subchart's scoped with its globals), and
//   the rendered documents of these templates are taken out of helm's output before anything else;
// - references resolve only to `#…` and to other files inside the same chart; anything else, and any
//   reference that cannot be resolved, fails the HelmRelease with the reason. Nothing is fetched.
// - validation (ajv) runs in a worker thread with a time and memory bound, since a schema's `pattern`
//   is a JavaScript regular expression (helm's Go ones run in linear time; these may not).
import { mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { Worker } from 'node:worker_threads';
import { randomBytes } from 'node:crypto';
import { isWithin } from '../tree/containment.js';
import { isVcsPath } from '../tree/vcs.js';
import { chartLabel, isLibraryChart, type ChartSchema } from './chart-copy.js';

/** A chart's schema cannot be used, or the values do not meet it: the HelmRelease is not rendered, with this reason. */
export class SchemaFailure extends Error {}

const MAX_REF_FILES = 64;
const MAX_REF_BYTES = 4 << 20;
const VALIDATE_MS = 10_000;
const VALIDATE_HEAP_MB = 256;

export interface ValuesProbes {
  nonce: string;
  schemas: ChartSchema[];
  /** Per schema: its referenced files (key: path relative to the chart, `/`-separated) and the draft. */
  prepared: PreparedSchema[];
}

interface PreparedSchema {
  schema: unknown;
  extra: Array<[string, unknown]>;
  draft: 'draft-07' | '2019' | '2020';
}

/**
 * Checks every schema's references and writes one values-printing template into each chart that has a
 * schema. Throws a SchemaFailure for a schema podo will not use.
 */
export function addValuesProbes(schemas: ChartSchema[]): ValuesProbes {
  const nonce = randomBytes(8).toString('hex');
  const prepared: PreparedSchema[] = [];
  schemas.forEach((s, i) => {
    const where = `values.schema.json of chart ${chartLabel(s)}`;
    if (isLibraryChart(s.dir)) throw new SchemaFailure(`${where}: a library chart's schema cannot be validated by podo (its templates are not rendered)`);
    const schema = parseJson(s.text, where);
    prepared.push({ schema, extra: referencedFiles(s.dir, schema, where), draft: draftOf(schema) });
    mkdirSync(path.join(s.dir, 'templates'), { recursive: true });
    writeFileSync(path.join(s.dir, 'templates', `${probeName(nonce, i)}.yaml`), `${probeKey(nonce)}: {{ toJson .Values | b64enc | quote }}\n`);
  });
  return { nonce, schemas, prepared };
}

const probeName = (nonce: string, i: number) => `podo-values-${nonce}-${i}`;
const probeKey = (nonce: string) => `podoValues${nonce}`;

/**
 * Takes the probes' documents out of helm's output: the output without them, and the values each
 * rendered probe printed (a subchart that is disabled renders none, and helm does not validate it).
 */
export function takeProbes(out: string, probes: ValuesProbes): { out: string; values: Array<{ index: number; values: unknown }> } {
  const docs = out.split(/^---[ \t]*$/m);
  const keep: string[] = [];
  const values: Array<{ index: number; values: unknown }> = [];
  const source = new RegExp(`^# Source: .*/${probeName(probes.nonce, 0).slice(0, -1)}(\\d+)\\.yaml$`, 'm');
  const line = new RegExp(`^${probeKey(probes.nonce)}: "([A-Za-z0-9+/=]*)"$`, 'm');
  for (const doc of docs) {
    const m = source.exec(doc);
    const v = m ? line.exec(doc) : null;
    if (!m || !v) {
      keep.push(doc);
      continue;
    }
    const index = Number(m[1]);
    if (index >= probes.schemas.length) continue;
    values.push({ index, values: JSON.parse(Buffer.from(v[1], 'base64').toString('utf8')) as unknown });
  }
  return { out: keep.join('---'), values };
}

/** Validates each probe's values against its chart's schema; throws a SchemaFailure naming the chart and the first problems. */
export async function validateProbes(probes: ValuesProbes, rendered: Array<{ index: number; values: unknown }>, deadline: number): Promise<void> {
  if (rendered.length === 0) return;
  const jobs = rendered.map((r) => ({ ...probes.prepared[r.index], values: r.values, chart: chartLabel(probes.schemas[r.index]) }));
  const results = await inWorker(jobs, Math.max(1, Math.min(VALIDATE_MS, deadline - Date.now())));
  for (const [i, res] of results.entries()) {
    if (res === null) continue;
    throw new SchemaFailure(`values do not meet values.schema.json of chart ${jobs[i].chart}: ${res}`);
  }
}

function parseJson(text: string, where: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch (err) {
    throw new SchemaFailure(`${where}: not valid JSON (${err instanceof Error ? err.message.split('\n')[0] : 'parse error'})`);
  }
}

function draftOf(schema: unknown): PreparedSchema['draft'] {
  const id = isRecord(schema) && typeof schema.$schema === 'string' ? schema.$schema : '';
  if (id.includes('2020-12')) return '2020';
  if (id.includes('2019-09')) return '2019';
  return 'draft-07';
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/**
 * The chart files the schema refers to, transitively, keyed as ajv resolves relative references from a
 * schema without `$id` (the path relative to the chart root). Refuses any other reference.
 */
function referencedFiles(chartDir: string, root: unknown, where: string): Array<[string, unknown]> {
  const loaded = new Map<string, unknown>();
  const queue: Array<{ doc: unknown; file: string }> = [{ doc: root, file: '' }];
  while (queue.length > 0) {
    const { doc, file } = queue.shift()!;
    for (const ref of refsIn(doc, where)) {
      const target = ref.split('#')[0];
      if (target === '') continue;
      if (/^[a-z][a-z0-9+.-]*:/i.test(target) || target.startsWith('/') || target.startsWith('\\')) {
        throw new SchemaFailure(`${where}: $ref ${ref} is outside the chart; podo resolves schema references only inside the chart and fetches nothing`);
      }
      const rel = path.posix.normalize(path.posix.join(path.posix.dirname(file || 'values.schema.json'), decodeURIComponentSafe(target)));
      const abs = path.join(chartDir, ...rel.split('/'));
      if (rel.startsWith('../') || rel === '..' || !isWithin(abs, chartDir) || isVcsPath(rel)) {
        throw new SchemaFailure(`${where}: $ref ${ref} is outside the chart; podo resolves schema references only inside the chart`);
      }
      if (loaded.has(rel)) continue;
      if (loaded.size >= MAX_REF_FILES) throw new SchemaFailure(`${where}: refers to more than ${MAX_REF_FILES} files`);
      let size: number;
      try {
        const st = statSync(abs);
        if (!st.isFile()) throw new Error('not a file');
        size = st.size;
      } catch {
        throw new SchemaFailure(`${where}: $ref ${ref} is not a file in the chart`);
      }
      if (size > MAX_REF_BYTES) throw new SchemaFailure(`${where}: $ref ${ref} is larger than ${MAX_REF_BYTES >> 20} MiB`);
      const parsed = parseJson(readFileSync(abs, 'utf8'), `${where}: $ref ${ref}`);
      loaded.set(rel, parsed);
      queue.push({ doc: parsed, file: rel });
    }
  }
  return [...loaded];
}

function decodeURIComponentSafe(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}

/** Every `$ref` string in a schema document (iteratively: a deeply nested document is no stack overflow). */
function refsIn(doc: unknown, where: string): string[] {
  const out: string[] = [];
  const stack: unknown[] = [doc];
  let seen = 0;
  while (stack.length > 0) {
    const v = stack.pop();
    if (++seen > 1_000_000) throw new SchemaFailure(`${where}: too large`);
    if (Array.isArray(v)) stack.push(...v);
    else if (isRecord(v)) {
      for (const [k, x] of Object.entries(v)) {
        if ((k === '$ref' || k === '$dynamicRef' || k === '$recursiveRef') && typeof x === 'string') out.push(x);
        else stack.push(x);
      }
    }
  }
  return out;
}

interface Job extends PreparedSchema {
  values: unknown;
}

/**
 * ajv in a worker thread: killed at TIMEOUTMS or when its heap passes VALIDATE_HEAP_MB. The worker's code
 * is inline (CommonJS) so that it runs the same from the compiled CLI and from the sources under test.
 */
function inWorker(jobs: Job[], timeoutMs: number): Promise<Array<string | null>> {
  const require = createRequire(import.meta.url);
  const ajvPaths = { 'draft-07': require.resolve('ajv'), '2019': require.resolve('ajv/dist/2019'), '2020': require.resolve('ajv/dist/2020') };
  return new Promise((resolve, reject) => {
    const worker = new Worker(WORKER_CODE, {
      eval: true,
      workerData: { jobs, ajvPaths },
      resourceLimits: { maxOldGenerationSizeMb: VALIDATE_HEAP_MB, maxYoungGenerationSizeMb: 32 },
      stdout: true,
      stderr: true,
    });
    let done = false;
    const finish = (f: () => void) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      void worker.terminate();
      f();
    };
    const timer = setTimeout(() => finish(() => reject(new SchemaFailure(`validating values against values.schema.json took longer than ${Math.round(timeoutMs / 1000)}s (a pattern that backtracks?)`))), timeoutMs);
    worker.on('message', (m: { results?: Array<string | null>; failure?: string }) => {
      finish(() => (m.failure !== undefined ? reject(new SchemaFailure(m.failure)) : resolve(m.results ?? [])));
    });
    worker.on('error', (err: Error & { code?: string }) => {
      finish(() => reject(new SchemaFailure(err.code === 'ERR_WORKER_OUT_OF_MEMORY' ? `validating values against values.schema.json needed more than ${VALIDATE_HEAP_MB} MiB` : `values.schema.json could not be used: ${err.message.split('\n')[0]}`)));
    });
    worker.on('exit', () => finish(() => reject(new SchemaFailure('values.schema.json validation stopped'))));
  });
}

const WORKER_CODE = `(function main() {
const { parentPort, workerData } = require('node:worker_threads');
const { jobs, ajvPaths } = workerData;
const results = [];
for (const job of jobs) {
  const mod = require(ajvPaths[job.draft]);
  const Ajv = mod.default || mod;
  // No loadSchema: ajv resolves nothing it was not given. validateSchema off: helm does not check the
  // schema against its meta-schema either; strict off: unknown keywords are ignored, as helm does.
  const ajv = new Ajv({ strict: false, validateSchema: false, allErrors: true, verbose: false, logger: false });
  let validate;
  try {
    for (const [key, doc] of job.extra) ajv.addSchema(doc, key);
    validate = ajv.compile(job.schema);
  } catch (e) {
    const msg = e && e.missingRef !== undefined
      ? 'values.schema.json: $ref ' + e.missingRef + ' cannot be resolved inside the chart'
      : 'values.schema.json cannot be compiled: ' + String(e && e.message || e).split('\\n')[0];
    parentPort.postMessage({ failure: msg });
    return;
  }
  if (validate(job.values)) { results.push(null); continue; }
  // Paths and keywords only, never the values (a value may come from a Secret).
  const errs = (validate.errors || []).slice(0, 3).map((e) => (e.instancePath || '/') + ' ' + e.message);
  results.push(errs.join('; '));
}
parentPort.postMessage({ results });
})();
`;
