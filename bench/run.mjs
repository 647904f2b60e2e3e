#!/usr/bin/env node
// podo benchmark: podo diff vs kubectl diff vs the floor (kustomize build + bare SSA dry-runs).
//
//   npm run bench                                  # 500 objects, 5 runs
//   npm run bench -- --objects 2000 --runs 3
//   PODO_BENCH_KUBECONFIG=~/.kube/config npm run bench   # any cluster instead of scripts/local-cluster
//   PODO_BENCH_PODO=/other/checkout/bin/podo node bench/run.mjs   # measure another build of podo
//
// See bench/README.md for what is measured and how to read the table.
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseAllDocuments } from 'yaml';
import { desiredObjects, fluxKustomization, liveObjects, toYamlStream, writeKustomizeDir } from './generate.mjs';
import { buildEnvFor, describeEnv, BenchError, FLOOR, HERE, PODO, die, fmtMs, getCluster, kubectlApply, log, median, must, run } from './lib.mjs';

const TARGETS = { kubectlOverPodo: 3, podoOverFloor: 1.3, rssMB: 200, rssAtObjects: 5000 };

// ---------------------------------------------------------------- options

function parseArgs(argv) {
  const opts = {
    objects: Number(process.env.PODO_BENCH_OBJECTS ?? 500),
    runs: Number(process.env.PODO_BENCH_RUNS ?? 5),
    concurrencies: [4, 8, 16],
    warmup: true,
    keep: false,
    fleet: false,
    helm: false,
    releases: 70,
    apps: 50,
    objectsPerApp: 20,
    unrelated: 2000,
  };
  let runsGiven = process.env.PODO_BENCH_RUNS !== undefined;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const val = () => {
      const v = argv[++i];
      if (v === undefined) die(`${a} needs a value`);
      return v;
    };
    if (a === '--objects') opts.objects = Number(val());
    else if (a === '--runs') {
      opts.runs = Number(val());
      runsGiven = true;
    } else if (a === '--fleet') opts.fleet = true;
    else if (a === '--helm') opts.helm = true;
    else if (a === '--releases') opts.releases = Number(val());
    else if (a === '--apps') opts.apps = Number(val());
    else if (a === '--objects-per-app') opts.objectsPerApp = Number(val());
    else if (a === '--unrelated') opts.unrelated = Number(val());
    else if (a === '--concurrencies') opts.concurrencies = val().split(',').map(Number);
    else if (a === '--no-warmup') opts.warmup = false;
    else if (a === '--keep') opts.keep = true;
    else if (a === '-h' || a === '--help') {
      process.stdout.write(
        'usage: node bench/run.mjs [--objects N] [--runs R] [--concurrencies 4,8,16] [--no-warmup] [--keep]\n' +
          '       node bench/run.mjs --helm [--releases 70] [--runs R] [--keep]\n' +
          '       node bench/run.mjs --fleet [--apps 50] [--objects-per-app 20] [--unrelated 2000] [--runs R] [--concurrencies 4,8,16] [--no-warmup] [--keep]\n',
      );
      process.exit(0);
    } else die(`unknown argument ${a}`);
  }
  if (!Number.isInteger(opts.objects) || opts.objects < 4) die('--objects must be an integer >= 4');
  if (!Number.isInteger(opts.runs) || opts.runs < 1) die('--runs must be a positive integer');
  if (opts.concurrencies.some((c) => !Number.isInteger(c) || c < 1)) die('--concurrencies must be positive integers');
  for (const k of ['apps', 'objectsPerApp', 'unrelated']) if (!Number.isInteger(opts[k]) || opts[k] < (k === 'unrelated' ? 0 : 4)) die(`--${k} must be an integer >= 4`);
  // The fleet runs ~100 processes per repetition: fewer repetitions by default.
  if ((opts.fleet || opts.helm) && !runsGiven) opts.runs = 3;
  if (!Number.isInteger(opts.releases) || opts.releases < 2) die('--releases must be an integer >= 2');
  return opts;
}

// ---------------------------------------------------------------- main

async function main() {
  const opts = parseArgs(process.argv.slice(2));
  if (opts.fleet) return (await import('./fleet.mjs')).main(opts);
  if (opts.helm) return (await import('./helm.mjs')).main(opts);
  const kubeconfig = await getCluster();

  const id = `${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 6)}`;
  const namespace = `bench-${id}`;
  const ksName = `bench-${id}`;
  const tmp = mkdtempSync(path.join(os.tmpdir(), 'podo-bench-'));
  const dir = path.join(tmp, 'repo');
  try {
    // 1. desired state on disk
    const desired = desiredObjects(opts.objects, namespace, ksName);
    writeKustomizeDir(dir, desired, namespace);
    const { live, drifted, missing } = liveObjects(desired, opts.objects * 7 + 1);
    log(`generated ${desired.length} objects in ${dir} (namespace ${namespace}); live state: ${drifted} drifted, ${missing} missing`);

    // 2. cluster state: namespaces, the Flux Kustomization, the drifted live objects (chunked)
    const nsDoc = (name) => ({ apiVersion: 'v1', kind: 'Namespace', metadata: { name } });
    const setup = path.join(tmp, 'setup.yaml');
    writeFileSync(setup, toYamlStream([nsDoc('flux-system'), nsDoc(namespace)]));
    await must('kubectl', ['apply', '--server-side', '-f', setup, '--kubeconfig', kubeconfig]);
    const ksFile = path.join(tmp, 'flux-kustomization.yaml');
    writeFileSync(ksFile, toYamlStream([fluxKustomization(ksName)]));
    await must('kubectl', ['apply', '--server-side', '-f', ksFile, '--kubeconfig', kubeconfig]);
    const CHUNK = 400;
    for (let i = 0; i < live.length; i += CHUNK) {
      const f = path.join(tmp, `live-${i}.yaml`);
      writeFileSync(f, toYamlStream(live.slice(i, i + CHUNK)));
      await kubectlApply(kubeconfig, f);
    }
    log(`applied ${live.length} live objects`);

    // 3. the floor's input: the same build, parsed once outside any timing
    const built = await must('kubectl', ['kustomize', dir]);
    const builtObjects = parseAllDocuments(built.stdout).map((d) => d.toJS()).filter(Boolean);
    const objectsFile = path.join(tmp, 'objects.json');
    writeFileSync(objectsFile, JSON.stringify(builtObjects));

    // 4. the contenders
    const podoArgs = [PODO, 'diff', 'kustomization', ksName, '--path', dir, '--kubeconfig', kubeconfig, '--no-color'];
    const contenders = {
      podo: () => run(process.execPath, podoArgs),
      kubectl: () =>
        run('kubectl', ['diff', '--server-side', '--force-conflicts', '--field-manager=kustomize-controller', '-k', dir, '--kubeconfig', kubeconfig]),
      build: () => run('kubectl', ['kustomize', dir], { env: buildEnvFor(dir) }),
    };
    for (const c of opts.concurrencies) {
      contenders[`dryrun-c${c}`] = () => run(process.execPath, [FLOOR, '--kubeconfig', kubeconfig, '--objects', objectsFile, '--concurrency', String(c)]);
    }
    const expectCode = { podo: 1, kubectl: 1, build: 0 };
    const check = (name, r) => {
      const want = expectCode[name] ?? 0;
      if (r.code !== want) die(`${name} exited ${r.code} (expected ${want}): ${(r.stderr || r.stdout).trim().split('\n').slice(-5).join(' | ')}`);
    };

    if (opts.warmup) {
      log('warm-up: one untimed run of each');
      for (const [name, fn] of Object.entries(contenders)) check(name, await fn());
    }

    const samples = Object.fromEntries(Object.keys(contenders).map((k) => [k, []]));
    const patchMs = Object.fromEntries(opts.concurrencies.map((c) => [`dryrun-c${c}`, []]));
    let podoOut = '';
    let kubectlOut = '';
    for (let rep = 1; rep <= opts.runs; rep++) {
      for (const [name, fn] of Object.entries(contenders)) {
        const r = await fn();
        check(name, r);
        samples[name].push(r.ms);
        if (name === 'podo') podoOut = r.stdout;
        if (name === 'kubectl') kubectlOut = r.stdout;
        if (name in patchMs) patchMs[name].push(JSON.parse(r.stdout).patchMs);
      }
      log(`run ${rep}/${opts.runs}: ` + Object.entries(samples).map(([k, v]) => `${k} ${fmtMs(v[v.length - 1])}`).join(', '));
    }

    // 5. peak memory of podo (the node process itself), and start-up costs
    const rssRun = await run(process.execPath, podoArgs, { pollRss: true });
    check('podo', rssRun);
    let timeMaxRssKB;
    if (existsSync('/usr/bin/time')) {
      const t = await run('/usr/bin/time', ['-v', process.execPath, ...podoArgs]);
      const m = t.stderr.match(/Maximum resident set size \(kbytes\):\s*(\d+)/);
      if (m) timeMaxRssKB = Number(m[1]);
    }
    const startup = { nodeBare: [], podoVersion: [] };
    for (let i = 0; i < 5; i++) {
      startup.nodeBare.push((await run(process.execPath, ['-e', ''])).ms);
      startup.podoVersion.push((await run(process.execPath, [PODO, '--version'])).ms);
    }

    // 6. results
    const med = Object.fromEntries(Object.entries(samples).map(([k, v]) => [k, median(v)]));
    const dryKeys = opts.concurrencies.map((c) => `dryrun-c${c}`);
    const bestDry = dryKeys.reduce((a, b) => (med[b] < med[a] ? b : a));
    const floor = med.build + med[bestDry];
    const ratioKubectl = med.kubectl / med.podo;
    const ratioFloor = med.podo / floor;
    const rssMB = rssRun.hwmKB / 1024;

    const summaryLine = podoOut.trim().split('\n').filter((l) => /\d+ created, \d+ drifted/.test(l)).pop() ?? '(no summary line)';
    const kubectlChanged = (kubectlOut.match(/^diff -u -N /gm) ?? []).length;

    const rows = [
      ['podo diff', fmtMs(med.podo), samples.podo],
      ['kubectl diff --server-side', fmtMs(med.kubectl), samples.kubectl],
      [`kustomize build (kubectl kustomize, ${describeEnv(buildEnvFor(dir))})`, fmtMs(med.build), samples.build],
      ...dryKeys.map((k) => [
        `bare SSA dry-runs, concurrency ${k.slice(8)}${k === bestDry ? ' (best)' : ''}`,
        `${fmtMs(med[k])}  (in-process ${fmtMs(median(patchMs[k]))})`,
        samples[k],
      ]),
      ['floor = build + best dry-runs', fmtMs(floor), null],
    ];
    const w = Math.max(...rows.map((r) => r[0].length));
    const lines = [];
    lines.push('');
    lines.push(`podo benchmark: ${opts.objects} objects (${drifted} drifted, ${missing} missing live), median of ${opts.runs} run(s)`);
    lines.push(`  podo ${PODO}`);
    lines.push(`  node ${process.version}, ${os.cpus().length} CPU(s), kubeconfig ${kubeconfig}`);
    lines.push('');
    for (const [name, m, xs] of rows) {
      lines.push(`  ${name.padEnd(w)}  ${m.padStart(8)}${xs ? '   [' + xs.map((x) => fmtMs(x)).join(', ') + ']' : ''}`);
    }
    lines.push('');
    lines.push(`  ${'kubectl/podo (podo speed-up)'.padEnd(w)}  ${ratioKubectl.toFixed(2).padStart(7)}x   target >= ${TARGETS.kubectlOverPodo}x`);
    lines.push(`  ${'podo/floor (overhead over floor)'.padEnd(w)}  ${ratioFloor.toFixed(2).padStart(7)}x   target <= ${TARGETS.podoOverFloor}x`);
    lines.push(
      `  ${'podo peak RSS (node VmHWM)'.padEnd(w)}  ${(rssMB.toFixed(0) + ' MB').padStart(8)}` +
        `   target < ${TARGETS.rssMB} MB at ${TARGETS.rssAtObjects} objects` +
        (timeMaxRssKB ? `; /usr/bin/time max RSS ${(timeMaxRssKB / 1024).toFixed(0)} MB (max of node and its kustomize child)` : ''),
    );
    lines.push(`  ${'start-up: node -e "" / podo --version'.padEnd(w)}  ${fmtMs(median(startup.nodeBare)).padStart(8)} / ${fmtMs(median(startup.podoVersion))}`);
    lines.push('');
    lines.push(`  podo said:    ${summaryLine}`);
    lines.push(`  expected:     ${missing} created, ${drifted} drifted; kubectl diff showed ${kubectlChanged} changed object(s)`);
    lines.push('');
    const missed = [];
    if (ratioKubectl < TARGETS.kubectlOverPodo) missed.push(`kubectl/podo = ${ratioKubectl.toFixed(2)}x < ${TARGETS.kubectlOverPodo}x`);
    if (ratioFloor > TARGETS.podoOverFloor) missed.push(`podo/floor = ${ratioFloor.toFixed(2)}x > ${TARGETS.podoOverFloor}x`);
    if (opts.objects >= TARGETS.rssAtObjects && rssMB >= TARGETS.rssMB) missed.push(`peak RSS = ${rssMB.toFixed(0)} MB >= ${TARGETS.rssMB} MB`);
    else if (opts.objects < TARGETS.rssAtObjects && rssMB >= TARGETS.rssMB) missed.push(`peak RSS = ${rssMB.toFixed(0)} MB >= ${TARGETS.rssMB} MB already at ${opts.objects} objects`);
    for (const m of missed) lines.push(`  *** TARGET MISSED: ${m}`);
    if (missed.length === 0) lines.push('  all targets met');
    lines.push('');
    process.stdout.write(lines.join('\n') + '\n');

    const results = {
      date: new Date().toISOString(),
      podo: PODO,
      node: process.version,
      cpus: os.cpus().length,
      objects: opts.objects,
      runs: opts.runs,
      drifted,
      missing,
      medianMs: { podo: med.podo, kubectlDiff: med.kubectl, build: med.build, dryRuns: med[bestDry], floor },
      bestConcurrency: Number(bestDry.slice(8)),
      dryRunsByConcurrency: Object.fromEntries(
        dryKeys.map((k) => [k.slice(8), { medianMs: med[k], inProcessMedianMs: median(patchMs[k]), samplesMs: samples[k] }]),
      ),
      samplesMs: { podo: samples.podo, kubectlDiff: samples.kubectl, build: samples.build },
      ratios: { kubectlOverPodo: ratioKubectl, podoOverFloor: ratioFloor },
      podoPeakRssMB: rssMB,
      timeMaxRssMB: timeMaxRssKB ? timeMaxRssKB / 1024 : undefined,
      startupMs: { nodeBare: median(startup.nodeBare), podoVersion: median(startup.podoVersion) },
      podoSummary: summaryLine,
      kubectlChangedObjects: kubectlChanged,
      targets: TARGETS,
      targetsMissed: missed,
    };
    const resultsDir = path.join(HERE, 'results');
    mkdirSync(resultsDir, { recursive: true });
    if (!existsSync(path.join(resultsDir, '.gitignore'))) writeFileSync(path.join(resultsDir, '.gitignore'), '*.json\n');
    writeFileSync(path.join(resultsDir, 'latest.json'), JSON.stringify(results, null, 2) + '\n');
    log(`results written to ${path.relative(process.cwd(), path.join(resultsDir, 'latest.json'))}`);
    log(`namespace ${namespace} and Kustomization flux-system/${ksName} are left in the cluster (no controller-manager to finalize a namespace deletion)`);
  } finally {
    if (opts.keep) log(`kept ${tmp}`);
    else rmSync(tmp, { recursive: true, force: true });
  }
}

main().catch((err) => {
  process.stderr.write(`bench: error: ${err instanceof BenchError ? err.message : (err.stack ?? err)}\n`);
  process.exitCode = 2;
});
