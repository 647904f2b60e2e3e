// Finding the binaries podo runs (kustomize, kubectl, helm, sops): one lookup, as a shell would do it.
import { accessSync, constants, statSync } from 'node:fs';
import path from 'node:path';

export function isExecutable(p: string): boolean {
  try {
    accessSync(p, constants.X_OK);
    return statSync(p).isFile();
  } catch {
    return false;
  }
}

/**
 * `name` on `env.PATH`, or `name` itself when it is a path (made absolute, since children may run in
 * another working directory); undefined when there is no such executable file.
 */
export function onPath(name: string, env: NodeJS.ProcessEnv = process.env): string | undefined {
  if (name.includes('/')) return isExecutable(name) ? path.resolve(name) : undefined;
  for (const dir of (env.PATH ?? '').split(path.delimiter)) {
    if (!dir) continue;
    const p = path.join(dir, name);
    if (isExecutable(p)) return p;
  }
  return undefined;
}
