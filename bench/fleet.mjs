// The fleet benchmark (`npm run bench -- --fleet`): a monorepo of many Flux Kustomizations sharing a
// kustomize Component, among thousands of unrelated files. Measures, as ratios:
//   - podo diff --all against the floor (the same kustomize builds at full parallelism, then the
//     bare SSA dry-runs of every object) and against a sequential `kubectl diff --server-side -k` loop;
//   - podo --all --base-ref with one app changed against a single-Kustomization --base-ref of that app.
// See bench/README.md.
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseAllDocuments, stringify } from 'yaml';
import { desiredObjects, OWNER_NAMESPACE_LABEL, toYamlStream, writeKustomizeDir } from './generate.mjs';
import { buildEnvFor, describeEnv, FLOOR, HERE, PODO, die, fmtMs, getCluster, kubectlApply, log, median, must, run } from './lib.mjs';

export const FLEET_TARGETS = { podoOverFloor: 1.5, kubectlLoopOverPodo: 3, allBaseRefOverSingle: 3 };

const pad = (i) => String(i).padStart(2, '0');

/** Writes the fleet repository; returns the app directories and Kustomization names. */
export function writeFleet(repo, { apps, objectsPerApp, unrelated, id }) {
  const fluxNs = `benchfleet-${id}`;
  const list = [];
  for (let i = 0; i < apps; i++) {
    const name = `benchfleet-${id}-${pad(i)}`;
    const namespace = `benchfleet-${id}-${pad(i)}`;
    const dir = path.join(repo, 'apps', `app-${pad(i)}`);
    const objects = desiredObjects(objectsPerApp, namespace, name);
    for (const o of objects) o.metadata.labels[OWNER_NAMESPACE_LABEL] = fluxNs;
    writeKustomizeDir(dir, objects, namespace);
    // Every app uses the shared component.
    const kfile = path.join(dir, 'kustomization.yaml');
    const k = parseAllDocuments(readText(kfile))[0].toJS();
    k.components = ['../../components/common'];
    writeFileSync(kfile, stringify(k));
    list.push({ name, namespace, dir, rel: `./apps/app-${pad(i)}` });
  }
  const component = path.join(repo, 'components', 'common');
  mkdirSync(component, { recursive: true });
  writeFileSync(
    path.join(component, 'kustomization.yaml'),
    stringify({ apiVersion: 'kustomize.config.k8s.io/v1alpha1', kind: 'Component', commonAnnotations: { 'fleet.example.com/owner': 'platform-team' } }),
  );
  // The Flux Kustomizations, as a repository keeps them (podo --base-ref discovers them here).
  const clusters = path.join(repo, 'clusters', 'fleet');
  mkdirSync(clusters, { recursive: true });
  writeFileSync(path.join(clusters, 'apps.yaml'), toYamlStream(list.map((a) => fluxKustomization(a, fluxNs))));
  // Unrelated files: docs, tooling, CI configuration.
  for (let i = 0; i < unrelated; i++) {
    const kind = i % 5;
    const dir = path.join(repo, kind < 3 ? 'docs' : 'tools', `section-${i % 40}`);
    mkdirSync(dir, { recursive: true });
    const file = kind < 3 ? `page-${i}.md` : kind === 3 ? `config-${i}.yaml` : `script-${i}.sh`;
    writeFileSync(path.join(dir, file), kind === 3 ? `settings:\n  id: ${i}\n  enabled: true\n` : `# file ${i}\n${'lorem ipsum '.repeat(40)}\n`);
  }
  return { fluxNs, list };
}

function fluxKustomization(app, namespace) {
  return {
    apiVersion: 'kustomize.toolkit.fluxcd.io/v1',
    kind: 'Kustomization',
    metadata: { name: app.name, namespace },
    spec: {
      interval: '10m',
      path: app.rel,
      prune: false,
      // The bootstrap repository, referenced across namespaces.
      sourceRef: { kind: 'GitRepository', name: 'flux-system', namespace: 'flux-system' },
    },
  };
}

const readText = (file) => readFileSync(file, 'utf8');

/** Runs TASKS (functions returning promises) at most LIMIT at a time. */
async function pool(tasks, limit) {
  const out = new Array(tasks.length);
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(limit, tasks.length) }, async () => {
      while (next < tasks.length) {
        const i = next++;
        out[i] = await tasks[i]();
      }
    }),
  );
  return out;
}

const git = (repo, ...args) => must('git', ['-C', repo, '-c', 'user.name=bench', '-c', 'user.email=bench@example.com', ...args]);

export async function main(opts) {
  const kubeconfig = await getCluster();
  const id = `${Date.now().toString(36)}${Math.random().toString(36).slice(2, 5)}`;
  const tmp = mkdtempSync(path.join(os.tmpdir(), 'podo-fleet-'));
  const repo = path.join(tmp, 'repo');
  const cores = os.availableParallelism();
  try {
    // 1. the repository, committed (the base ref of the --base-ref runs)
    const { fluxNs, list } = writeFleet(repo, { apps: opts.apps, objectsPerApp: opts.objectsPerApp, unrelated: opts.unrelated, id });
    await git(repo, 'init', '-q');
    await git(repo, 'add', '-A');
    await git(repo, 'commit', '-qm', 'fleet');
    log(`generated ${opts.apps} apps × ${opts.objectsPerApp} objects, ${opts.unrelated} unrelated files in ${repo}`);

    // 2. cluster state: namespaces, the Flux Kustomizations, the live objects (= the builds, one drifted ConfigMap)
    const nsDoc = (name) => ({ apiVersion: 'v1', kind: 'Namespace', metadata: { name } });
    const setup = path.join(tmp, 'setup.yaml');
    writeFileSync(setup, toYamlStream([nsDoc('flux-system'), nsDoc(fluxNs), ...list.map((a) => nsDoc(a.namespace))]));
    await must('kubectl', ['apply', '--server-side', '-f', setup, '--kubeconfig', kubeconfig]);
    await must('kubectl', ['apply', '--server-side', '-f', path.join(repo, 'clusters', 'fleet', 'apps.yaml'), '--kubeconfig', kubeconfig]);
    const builds = await pool(list.map((a) => () => must('kubectl', ['kustomize', a.dir])), cores);
    const objects = builds.flatMap((b) => parseAllDocuments(b.stdout).map((d) => d.toJS()).filter(Boolean));
    const live = structuredClone(objects);
    const drifted = live.find((o) => o.kind === 'ConfigMap');
    drifted.data[Object.keys(drifted.data)[0]] = 'drifted-by-hand';
    for (let i = 0; i < live.length; i += 400) {
      const f = path.join(tmp, `live-${i}.yaml`);
      writeFileSync(f, toYamlStream(live.slice(i, i + 400)));
      await kubectlApply(kubeconfig, f);
    }
    const objectsFile = path.join(tmp, 'objects.json');
    writeFileSync(objectsFile, JSON.stringify(objects));
    log(`applied ${live.length} live objects (1 drifted)`);

    // 3. the contenders of the --all comparison
    const podoAll = () => run(process.execPath, [PODO, 'diff', 'kustomization', '--all', '-n', fluxNs, '--path', repo, '--kubeconfig', kubeconfig, '--no-color']);
    const kubectlLoop = async () => {
      const t0 = performance.now();
      let code = 0;
      for (const a of list) {
        const r = await run('kubectl', ['diff', '--server-side', '--force-conflicts', '--field-manager=kustomize-controller', '-k', a.dir, '--kubeconfig', kubeconfig]);
        if (r.code > 1) die(`kubectl diff -k ${a.dir} exited ${r.code}: ${r.stderr.trim().split('\n').pop()}`);
        code = Math.max(code, r.code);
      }
      return { ms: performance.now() - t0, code };
    };
    const buildsParallel = async () => {
      const t0 = performance.now();
      await pool(list.map((a) => () => must('kubectl', ['kustomize', a.dir], { env: buildEnvFor(a.dir) })), cores);
      return { ms: performance.now() - t0, code: 0 };
    };
    const dryRuns = opts.concurrencies.map((c) => [`dryrun-c${c}`, () => run(process.execPath, [FLOOR, '--kubeconfig', kubeconfig, '--objects', objectsFile, '--concurrency', String(c)])]);
    const contenders = { podo: podoAll, kubectlLoop, builds: buildsParallel, ...Object.fromEntries(dryRuns) };
    const expect = { podo: 1, kubectlLoop: 1 };
    const check = (name, r) => {
      if (r.code !== (expect[name] ?? 0)) die(`${name} exited ${r.code} (expected ${expect[name] ?? 0})${r.stderr ? ': ' + r.stderr.trim().split('\n').slice(-3).join(' | ') : ''}`);
    };

    // 4. the --base-ref contenders: one app changed in the working tree
    const changed = list[Math.floor(list.length / 3)];
    const cmFile = path.join(changed.dir, 'configmaps.yaml');
    writeFileSync(cmFile, readText(cmFile).replace('CACHE_TTL: "300"', 'CACHE_TTL: "600"'));
    if (!readText(cmFile).includes('CACHE_TTL: "600"')) die(`could not change ${cmFile}`);
    const baseAll = () => run(process.execPath, [PODO, 'diff', 'kustomization', '--all', '--path', repo, '--base-ref', 'HEAD', '--no-color']);
    const baseSingle = () =>
      run(process.execPath, [PODO, 'diff', 'kustomization', changed.name, '-n', fluxNs, '--path', changed.dir, '--base-ref', 'HEAD', '--no-color']);
    Object.assign(contenders, { baseRefAll: baseAll, baseRefSingle: baseSingle });
    Object.assign(expect, { baseRefAll: 1, baseRefSingle: 1 });

    if (opts.warmup) {
      log('warm-up: one untimed run of each');
      for (const [name, fn] of Object.entries(contenders)) check(name, await fn());
    }
    const samples = Object.fromEntries(Object.keys(contenders).map((k) => [k, []]));
    const outputs = {};
    for (let rep = 1; rep <= opts.runs; rep++) {
      for (const [name, fn] of Object.entries(contenders)) {
        const r = await fn();
        check(name, r);
        samples[name].push(r.ms);
        outputs[name] = r;
      }
      log(`run ${rep}/${opts.runs}: ` + Object.entries(samples).map(([k, v]) => `${k} ${fmtMs(v[v.length - 1])}`).join(', '));
    }

    // 5. results
    const med = Object.fromEntries(Object.entries(samples).map(([k, v]) => [k, median(v)]));
    const dryKeys = dryRuns.map(([k]) => k);
    const bestDry = dryKeys.reduce((a, b) => (med[b] < med[a] ? b : a));
    const floor = med.builds + med[bestDry];
    const ratios = {
      podoOverFloor: med.podo / floor,
      kubectlLoopOverPodo: med.kubectlLoop / med.podo,
      allBaseRefOverSingle: med.baseRefAll / med.baseRefSingle,
    };
    const summaryOf = (r) => (r?.stdout ?? '').trim().split('\n').filter((l) => /\d+ created, \d+ drifted/.test(l)).pop() ?? '(no summary line)';
    const rows = [
      [`podo diff --all (${list.length} Kustomizations)`, med.podo, samples.podo],
      ['kubectl diff --server-side -k, sequential loop', med.kubectlLoop, samples.kubectlLoop],
      [`kustomize builds, ${cores} at a time (${describeEnv(buildEnvFor(list[0].dir))})`, med.builds, samples.builds],
      ...dryKeys.map((k) => [`bare SSA dry-runs of ${objects.length} objects, concurrency ${k.slice(8)}${k === bestDry ? ' (best)' : ''}`, med[k], samples[k]]),
      ['floor = builds + best dry-runs', floor, null],
      [`podo --all --base-ref HEAD (${changed.name} changed)`, med.baseRefAll, samples.baseRefAll],
      [`podo ${changed.name} --base-ref HEAD (single)`, med.baseRefSingle, samples.baseRefSingle],
    ];
    const w = Math.max(...rows.map((r) => r[0].length));
    const lines = ['', `podo fleet benchmark: ${list.length} Kustomizations × ${opts.objectsPerApp} objects, 1 shared component, ${opts.unrelated} unrelated files; median of ${opts.runs} run(s)`];
    lines.push(`  podo ${PODO}`, `  node ${process.version}, ${os.cpus().length} CPU(s) (availableParallelism ${cores}), load average ${os.loadavg().map((l) => l.toFixed(1)).join(' ')}`, '');
    for (const [name, ms, xs] of rows) lines.push(`  ${name.padEnd(w)}  ${fmtMs(ms).padStart(8)}${xs ? '   [' + xs.map(fmtMs).join(', ') + ']' : ''}`);
    lines.push('');
    lines.push(`  ${'podo/floor'.padEnd(w)}  ${ratios.podoOverFloor.toFixed(2).padStart(7)}x   target <= ${FLEET_TARGETS.podoOverFloor}x`);
    lines.push(`  ${'kubectl loop/podo'.padEnd(w)}  ${ratios.kubectlLoopOverPodo.toFixed(2).padStart(7)}x   target >= ${FLEET_TARGETS.kubectlLoopOverPodo}x`);
    lines.push(`  ${'--all --base-ref / single --base-ref'.padEnd(w)}  ${ratios.allBaseRefOverSingle.toFixed(2).padStart(7)}x   target <= ${FLEET_TARGETS.allBaseRefOverSingle}x`);
    lines.push('');
    lines.push(`  podo --all said:            ${summaryOf(outputs.podo)}`);
    lines.push(`  podo --all --base-ref said: ${summaryOf(outputs.baseRefAll)}`);
    lines.push(`  podo single --base-ref:     ${summaryOf(outputs.baseRefSingle)}`);
    lines.push('');
    const missed = [];
    if (ratios.podoOverFloor > FLEET_TARGETS.podoOverFloor) missed.push(`podo/floor = ${ratios.podoOverFloor.toFixed(2)}x > ${FLEET_TARGETS.podoOverFloor}x`);
    if (ratios.kubectlLoopOverPodo < FLEET_TARGETS.kubectlLoopOverPodo) missed.push(`kubectl loop/podo = ${ratios.kubectlLoopOverPodo.toFixed(2)}x < ${FLEET_TARGETS.kubectlLoopOverPodo}x`);
    if (ratios.allBaseRefOverSingle > FLEET_TARGETS.allBaseRefOverSingle) missed.push(`--all --base-ref / single = ${ratios.allBaseRefOverSingle.toFixed(2)}x > ${FLEET_TARGETS.allBaseRefOverSingle}x`);
    for (const m of missed) lines.push(`  *** TARGET MISSED: ${m}`);
    if (missed.length === 0) lines.push('  all targets met');
    lines.push('');
    process.stdout.write(lines.join('\n') + '\n');

    const resultsDir = path.join(HERE, 'results');
    mkdirSync(resultsDir, { recursive: true });
    writeFileSync(path.join(resultsDir, '.gitignore'), '*.json\n');
    writeFileSync(
      path.join(resultsDir, 'fleet-latest.json'),
      JSON.stringify({ date: new Date().toISOString(), podo: PODO, node: process.version, cpus: os.cpus().length, loadavg: os.loadavg(), opts, medianMs: med, floor, samplesMs: samples, ratios, targets: FLEET_TARGETS, targetsMissed: missed }, null, 2) + '\n',
    );
    log(`results written to bench/results/fleet-latest.json; namespaces ${fluxNs}* are left in the cluster`);
  } finally {
    if (opts.keep) log(`kept ${tmp}`);
    else rmSync(tmp, { recursive: true, force: true });
  }
}
