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
  process.env.TMPDIR = root;
  return () => {
    if (before === undefined) delete process.env.TMPDIR;
    else process.env.TMPDIR = before;
    rmSync(root, { recursive: true, force: true });
  };
}
