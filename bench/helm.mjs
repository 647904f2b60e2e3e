// bench --helm: a home-lab shaped repository of N HelmReleases (one Flux Kustomization per app: an
// OCIRepository and a HelmRelease whose chart is in a docker-registry on loopback), timed with podo
// at --base-ref (no cluster):
//   cold      `--base-ref HEAD`, no change, empty --cache-dir: no chart is cached, so every Kustomization
//             is built and every release rendered once (charts pulled from the registry)
//   warm      every release rendered once with the cache filled (the charts, and the kustomize outputs
//             the cold run kept): `--base-ref HEAD~1`, an empty commit below the repository's, so every
//             Kustomization is new
//   no change `--base-ref HEAD`, no change, warm cache: nothing is built (charts pinned and cached)
//   one-change one HelmRelease's values changed in the working tree, warm cache
//   one       `podo diff kustomization` of that one app alone (its release rendered on both sides)
//   floor     `helm template` of every release from charts on disk, all cores busy
// Targets: warm ≤ 1.5× floor, one-change ≤ 3× one.
import { execFileSync, spawn } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { PODO, ROOT, HERE, die, fmtMs, log, median, run } from './lib.mjs';

const TARGETS = { warmOverFloor: 1.5, oneChangeOverOne: 3 };

function findHelm() {
  const base = path.join(process.env.XDG_CACHE_HOME ?? path.join(os.homedir(), '.cache'), 'podo', 'helm');
  const v4 = existsSync(base) ? readdirSync(base).filter((d) => d.startsWith('v4.')).sort().pop() : undefined;
  if (process.env.PODO_HELM) return process.env.PODO_HELM;
  if (!v4) die(`no helm 4 under ${base}: run a podo command with a HelmRelease once (npm ci installs the npm helms), or set PODO_HELM`);
  return path.join(base, v4, 'helm');
}

async function freePort() {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.on('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = s.address().port;
      s.close(() => resolve(port));
    });
  });
}

async function startRegistry(dir) {
  const host = `127.0.0.1:${await freePort()}`;
  writeFileSync(path.join(dir, 'config.yml'), `version: 0.1\nlog:\n  level: error\n  accesslog:\n    disabled: true\nstorage:\n  filesystem:\n    rootdirectory: ${path.join(dir, 'data')}\nhttp:\n  addr: ${host}\n`);
  const child = spawn('docker-registry', ['serve', path.join(dir, 'config.yml')], { stdio: 'ignore' });
  const deadline = Date.now() + 20_000;
  for (;;) {
    try {
      if ((await fetch(`http://${host}/v2/`)).status === 200) break;
    } catch {
      /* not yet */
    }
    if (Date.now() > deadline || child.exitCode !== null) die('docker-registry did not start (scripts/local-cluster install puts it in place)');
    await new Promise((r) => setTimeout(r, 100));
  }
  return { host, close: () => child.kill('SIGTERM') };
}

/** Runs JOBS (functions returning promises) with at most N at a time. */
async function pool(jobs, n) {
  let i = 0;
  await Promise.all(Array.from({ length: Math.min(n, jobs.length) }, async () => {
    while (i < jobs.length) await jobs[i++]();
  }));
}

const fluxKs = (name) =>
  `apiVersion: kustomize.toolkit.fluxcd.io/v1\nkind: Kustomization\nmetadata:\n  name: ${name}\n  namespace: flux-system\nspec:\n  interval: 10m\n  path: ./apps/${name}\n  prune: true\n  sourceRef:\n    kind: GitRepository\n    name: flux-system\n`;

export async function main(opts) {
  const n = opts.releases;
  const helm = findHelm();
  const tmp = mkdtempSync(path.join(os.tmpdir(), 'podo-bench-helm-'));
  const helmEnv = { HOME: tmp, HELM_CACHE_HOME: path.join(tmp, '.hc'), HELM_CONFIG_HOME: path.join(tmp, '.hcfg'), HELM_DATA_HOME: path.join(tmp, '.hd') };
  const registry = await startRegistry(tmp);
  try {
    // N charts app-0 … app-N-1 (the test fixture chart under another name), pushed to the registry.
    log(`pushing ${n} charts to oci://${registry.host}/charts`);
    const chartsDir = path.join(tmp, 'charts');
    const pkgDir = path.join(tmp, 'pkg');
    mkdirSync(pkgDir, { recursive: true });
    await pool(Array.from({ length: n }, (_, i) => async () => {
      const dir = path.join(chartsDir, `app-${i}`);
      cpSync(path.join(ROOT, 'fixtures/helm/app'), dir, { recursive: true });
      writeFileSync(path.join(dir, 'Chart.yaml'), readFileSync(path.join(dir, 'Chart.yaml'), 'utf8').replace('name: app', `name: app-${i}`));
      // The fixture's CRD is shared: one chart keeps it (as one real chart per CRD would).
      if (i > 0) rmSync(path.join(dir, 'crds'), { recursive: true, force: true });
      const r1 = await run(helm, ['package', dir, '--destination', pkgDir], { env: helmEnv });
      if (r1.code !== 0) die(`helm package: ${r1.stderr}`);
      const r2 = await run(helm, ['push', path.join(pkgDir, `app-${i}-1.0.0.tgz`), `oci://${registry.host}/charts`, '--plain-http'], { env: helmEnv });
      if (r2.code !== 0) die(`helm push: ${r2.stderr}`);
    }), os.cpus().length);

    // The repository: one Flux Kustomization per app.
    const repo = path.join(tmp, 'repo');
    const files = { 'clusters/home/apps.yaml': Array.from({ length: n }, (_, i) => fluxKs(`app-${i}`)).join('---\n') };
    const release = (i, greeting) =>
      `apiVersion: helm.toolkit.fluxcd.io/v2\nkind: HelmRelease\nmetadata:\n  name: app-${i}\n  namespace: apps\nspec:\n  interval: 10m\n  chartRef:\n    kind: OCIRepository\n    name: app-${i}\n  values:\n    greeting: ${greeting}\n    replicas: 2\n`;
    for (let i = 0; i < n; i++) {
      files[`apps/app-${i}/kustomization.yaml`] = 'resources: [source.yaml, release.yaml]\n';
      files[`apps/app-${i}/source.yaml`] = `apiVersion: source.toolkit.fluxcd.io/v1\nkind: OCIRepository\nmetadata:\n  name: app-${i}\n  namespace: apps\nspec:\n  interval: 10m\n  url: oci://${registry.host}/charts/app-${i}\n  insecure: true\n  ref:\n    tag: 1.0.0\n`;
      files[`apps/app-${i}/release.yaml`] = release(i, 'hello');
    }
    for (const [rel, text] of Object.entries(files)) {
      mkdirSync(path.dirname(path.join(repo, rel)), { recursive: true });
      writeFileSync(path.join(repo, rel), text);
    }
    const git = (dir, ...args) => execFileSync('git', ['-c', 'commit.gpgsign=false', '-c', 'user.name=b', '-c', 'user.email=b@e', ...args], { cwd: dir, stdio: 'pipe' });
    git(repo, 'init', '-q');
    // An empty first commit: `--base-ref HEAD~1` makes every Kustomization new (the warm run renders all).
    git(repo, 'commit', '-q', '--allow-empty', '-m', 'empty');
    git(repo, 'add', '-A');
    git(repo, 'commit', '-qm', 'base');
    const changed = path.join(tmp, 'repo-one');
    cpSync(repo, changed, { recursive: true });
    const pick = Math.floor(n / 2);
    writeFileSync(path.join(changed, `apps/app-${pick}/release.yaml`), release(pick, 'bonjour'));

    const cacheDir = path.join(tmp, 'cache');
    // The Kustomizations each run built (those without the `inputs identical at …: not built` note), by run.
    const built = {};
    const podo = (args, expect, label) => async () => {
      const r = await run(process.execPath, [PODO, ...args, '--helm-bin', helm, '--cache-dir', cacheDir, '-o', 'json', '--no-color']);
      if (r.code !== expect) die(`podo ${args.join(' ')} exited ${r.code} (expected ${expect}): ${r.stderr.trim().split('\n').slice(-3).join(' | ')}`);
      const report = JSON.parse(r.stdout);
      const notRendered = report.summary?.helmReleasesNotRendered ?? 0;
      if (notRendered > 0) die(`podo ${args.join(' ')}: ${notRendered} HelmRelease(s) not rendered`);
      if (label) built[label] = report.kustomizations.filter((k) => !k.notes.some((x) => /: not built$/.test(x))).map((k) => k.name);
      return r.ms;
    };
    const all = (dir, expect, ref = 'HEAD', label) => podo(['diff', 'kustomization', '--all', '--path', dir, '--base-ref', ref], expect, label);
    const one = podo(['diff', 'kustomization', `app-${pick}`, '-n', 'flux-system', '--path', path.join(changed, `apps/app-${pick}`), '--base-ref', 'HEAD'], 1);

    // The floor: helm template of each release, charts on disk, every core busy.
    const unpacked = path.join(tmp, 'unpacked');
    mkdirSync(unpacked);
    for (let i = 0; i < n; i++) execFileSync('tar', ['-xzf', path.join(pkgDir, `app-${i}-1.0.0.tgz`), '-C', unpacked]);
    const valuesFile = path.join(tmp, 'values.json');
    writeFileSync(valuesFile, JSON.stringify({ greeting: 'hello', replicas: 2 }));
    const floor = async () => {
      const t0 = performance.now();
      await pool(Array.from({ length: n }, (_, i) => async () => {
        const r = await run(helm, ['template', `app-${i}`, path.join(unpacked, `app-${i}`), '--namespace', 'apps', '-f', valuesFile, '--include-crds', '--no-hooks', '--is-upgrade'], { env: helmEnv });
        if (r.code !== 0) die(`helm template: ${r.stderr}`);
      }), os.cpus().length);
      return performance.now() - t0;
    };

    // Where the time goes: podo with no helm at all (every build, no chart), and the kustomize builds alone.
    const noHelm = async () => {
      // An empty cache of its own: every kustomize build runs (none is served from kept outputs).
      const empty = path.join(tmp, 'cache-none');
      rmSync(empty, { recursive: true, force: true });
      const r = await run(process.execPath, [PODO, 'diff', 'kustomization', '--all', '--path', repo, '--base-ref', 'HEAD~1', '--helm-bin', 'none', '--cache-dir', empty, '-o', 'json', '--no-color']);
      if (r.code !== 1 && r.code !== 2) die(`podo --helm-bin none exited ${r.code}: ${r.stderr.trim().split('\n').slice(-2).join(' | ')}`);
      return r.ms;
    };
    const kustomizeAll = async () => {
      const t0 = performance.now();
      await pool(Array.from({ length: n }, (_, i) => async () => {
        const r = await run('kubectl', ['kustomize', path.join(repo, `apps/app-${i}`)]);
        if (r.code !== 0) die(`kubectl kustomize: ${r.stderr}`);
      }), os.cpus().length);
      return performance.now() - t0;
    };
    const times = { cold: [], warm: [], noChange: [], oneChange: [], one: [], floor: [], noHelm: [], kustomize: [] };
    for (let k = 0; k < opts.runs; k++) {
      log(`repetition ${k + 1}/${opts.runs}`);
      rmSync(cacheDir, { recursive: true, force: true });
      times.cold.push(await all(repo, 0)());
      times.warm.push(await all(repo, 1, 'HEAD~1')());
      times.noChange.push(await all(repo, 0, 'HEAD', 'noChange')());
      times.oneChange.push(await all(changed, 1, 'HEAD', 'oneChange')());
      times.one.push(await one());
      times.floor.push(await floor());
      times.noHelm.push(await noHelm());
      times.kustomize.push(await kustomizeAll());
    }
    const m = Object.fromEntries(Object.entries(times).map(([k, v]) => [k, median(v)]));
    const ratios = { warmOverFloor: m.warm / m.floor, oneChangeOverOne: m.oneChange / m.one };
    const rows = [
      [`cold (${n} releases, empty cache)`, m.cold],
      ['warm: every release rendered once (all new)', m.warm],
      ['no change, warm (nothing built)', m.noChange],
      ['one changed HelmRelease', m.oneChange],
      ['that one release alone', m.one],
      [`floor: helm template × ${n}, ${os.cpus().length} at a time`, m.floor],
      ['profile: podo --helm-bin none (builds, no chart)', m.noHelm],
      [`profile: kubectl kustomize × ${n}, ${os.cpus().length} at a time`, m.kustomize],
    ];
    process.stdout.write(`\npodo --base-ref, ${n} HelmReleases with OCI charts (median of ${opts.runs}, ${os.cpus().length} cores)\n`);
    for (const [label, ms] of rows) process.stdout.write(`  ${label.padEnd(48)} ${fmtMs(ms).padStart(10)}\n`);
    process.stdout.write(`  warm / floor       ${ratios.warmOverFloor.toFixed(2)}× (target ≤ ${TARGETS.warmOverFloor}×)\n`);
    process.stdout.write(`  one-change / one   ${ratios.oneChangeOverOne.toFixed(2)}× (target ≤ ${TARGETS.oneChangeOverOne}×)\n`);
    // app-0's chart carries the CRD (crds/): proven from the cached chart, it is not built either.
    for (const [k, names] of Object.entries(built)) process.stdout.write(`  built in ${k.padEnd(10)} ${names.length === 0 ? 'none' : names.join(', ')}\n`);
    for (const [k, limit] of Object.entries(TARGETS)) if (ratios[k] > limit) process.stdout.write(`*** TARGET MISSED: ${k} ${ratios[k].toFixed(2)}× > ${limit}×\n`);
    mkdirSync(path.join(HERE, 'results'), { recursive: true });
    writeFileSync(
      path.join(HERE, 'results', 'helm-latest.json'),
      `${JSON.stringify({ date: new Date().toISOString(), releases: n, runs: opts.runs, cores: os.cpus().length, helm, medianMs: m, samplesMs: times, built, ratios, targets: TARGETS }, null, 2)}\n`,
    );
  } finally {
    registry.close();
    if (!opts.keep) rmSync(tmp, { recursive: true, force: true });
  }
}
