// One temporary directory per test run: the tests' repositories, kubeconfigs and fake binaries, and
// the temporary files of the podo, git, kustomize and helm processes they start (TMPDIR is inherited),
// all go under it, and it is removed when the run ends. A run used to leave thousands of directories
// in /tmp.
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

export default function setup(): () => void {
  const root = mkdtempSync(path.join(os.tmpdir(), 'podo-tests-'));
  const before = process.env.TMPDIR;
  const beforeCache = process.env.XDG_CACHE_HOME;
  process.env.TMPDIR = root;
  // podo's cache (charts, the extracted npm helm) is the run's own: a chart repository on a loopback port
  // a later run reuses must not be served from an earlier run's cache.
  process.env.XDG_CACHE_HOME = path.join(root, 'xdg-cache');
  return () => {
    if (before === undefined) delete process.env.TMPDIR;
    else process.env.TMPDIR = before;
    if (beforeCache === undefined) delete process.env.XDG_CACHE_HOME;
    else process.env.XDG_CACHE_HOME = beforeCache;
    rmSync(root, { recursive: true, force: true });
  };
}
