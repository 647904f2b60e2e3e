// git for test repositories: the caller's GIT_* variables removed (a hook's GIT_DIR would point elsewhere),
// a fixed identity, no signing; and a writer for a tree of files into a repository.
import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';

const gitEnv: NodeJS.ProcessEnv = { ...process.env };
for (const k of Object.keys(gitEnv)) if (k.startsWith('GIT_')) delete gitEnv[k];

export const git = (repo: string, args: string[]) =>
  execFileSync('git', ['-c', 'commit.gpgsign=false', '-c', 'user.name=t', '-c', 'user.email=t@example.com', ...args], { cwd: repo, env: gitEnv, stdio: 'pipe' });

export function write(repo: string, files: Record<string, string>): void {
  for (const [rel, content] of Object.entries(files)) {
    mkdirSync(path.dirname(path.join(repo, rel)), { recursive: true });
    writeFileSync(path.join(repo, rel), content);
  }
}
