// Summarizes a V8 .cpuprofile (from `node --cpu-prof`): self time by function and by file/package.
//
//   node --cpu-prof --cpu-prof-dir=/tmp/prof bin/podo diff kustomization … >/dev/null
//   node bench/cpuprofile-summary.mjs /tmp/prof/*.cpuprofile [top=25]
import { readFileSync } from 'node:fs';

const file = process.argv[2];
const top = Number(process.argv[3] ?? 25);
if (!file) {
  process.stderr.write('usage: node bench/cpuprofile-summary.mjs FILE.cpuprofile [top]\n');
  process.exit(2);
}
const prof = JSON.parse(readFileSync(file, 'utf8'));
const byId = new Map(prof.nodes.map((n) => [n.id, n]));
const selfUs = new Map();
// timeDeltas[i] is the time before samples[i]
for (let i = 0; i < prof.samples.length; i++) {
  const id = prof.samples[i];
  selfUs.set(id, (selfUs.get(id) ?? 0) + (prof.timeDeltas[i] ?? 0));
}
const total = [...selfUs.values()].reduce((a, b) => a + b, 0);

const shortUrl = (url) => {
  if (!url) return '(native)';
  let u = url.replace(/^file:\/\//, '');
  const nm = u.lastIndexOf('node_modules/');
  if (nm >= 0) return u.slice(nm);
  const d = u.indexOf('/dist/');
  if (d >= 0) return u.slice(d + 1);
  return u;
};
const pkgOf = (url) => {
  const u = shortUrl(url);
  const m = u.match(/^node_modules\/((?:@[^/]+\/)?[^/]+)/);
  if (m) return m[1];
  if (u.startsWith('dist/')) return u.split('/').slice(0, 2).join('/');
  if (u.startsWith('node:')) return 'node internals';
  return u;
};

const fnAgg = new Map();
const pkgAgg = new Map();
for (const [id, us] of selfUs) {
  const n = byId.get(id);
  const cf = n.callFrame;
  const key = `${cf.functionName || '(anonymous)'}  ${shortUrl(cf.url)}:${cf.lineNumber + 1}`;
  fnAgg.set(key, (fnAgg.get(key) ?? 0) + us);
  const pk = cf.url ? pkgOf(cf.url) : cf.functionName.startsWith('(') ? cf.functionName : '(native)';
  pkgAgg.set(pk, (pkgAgg.get(pk) ?? 0) + us);
}
const ms = (us) => (us / 1000).toFixed(1).padStart(8);
const print = (title, m) => {
  process.stdout.write(`${title}\n`);
  for (const [k, us] of [...m].sort((a, b) => b[1] - a[1]).slice(0, top)) process.stdout.write(`${ms(us)} ms  ${((100 * us) / total).toFixed(1).padStart(5)}%  ${k}\n`);
};
process.stdout.write(`profile: ${(total / 1000).toFixed(0)} ms sampled\n`);
print('\nself time by package / dist directory:', pkgAgg);
print('\nself time by function:', fnAgg);
