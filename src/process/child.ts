// Every child process podo starts (kustomize, sops, git, exec credential plugins) runs through
// here: in its own process group, killed with the whole group at the run's deadline or on a signal,
// stdin closed unless input is given, output captured (never inherited: a child must not write to
// podo's stdout or stderr around the secret scrubber).
import { spawn } from 'node:child_process';
import { PodoError } from '../model/errors.js';
import { killGroup, runDeadline, timeoutFlag, trackChild } from './lifecycle.js';

export interface ChildOptions {
  /** For messages: `kustomize build apps/`. */
  what: string;
  cwd?: string;
  env?: NodeJS.ProcessEnv;
  input?: string;
  /** Absolute deadline; the earlier of this and the run's deadline applies. */
  deadline?: number;
  /** Output beyond this many bytes kills the child (a runaway tool): a ChildOutputLimitError. */
  maxBuffer?: number;
}

/**
 * What podo reads from a tool that renders manifests (kustomize, helm): as much as from one input file
 * (render/documents.ts MAX_YAML_BYTES). A chart or kustomization that prints more is refused rather than
 * held in memory: a template can print gigabytes from a one-line file.
 */
export const MAX_TOOL_OUTPUT = 32 << 20;

export interface ChildResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** A child was still running when --timeout passed. */
export class ChildTimeoutError extends PodoError {}

/** A child printed more than its maxBuffer: it was killed, and its output is not used. */
export class ChildOutputLimitError extends PodoError {}

/** `32 MiB`, for messages. */
export function sizeText(bytes: number): string {
  return bytes >= 1 << 20 && bytes % (1 << 20) === 0 ? `${bytes >> 20} MiB` : `${bytes} bytes`;
}

/** The program could not be started at all (ENOENT, EACCES). */
export class ChildStartError extends PodoError {
  constructor(
    message: string,
    readonly code: string | undefined,
  ) {
    super(message);
  }
}

export function runChild(cmd: string, args: string[], opts: ChildOptions): Promise<ChildResult> {
  const at = Math.min(opts.deadline ?? Number.POSITIVE_INFINITY, runDeadline());
  if (at <= Date.now()) return Promise.reject(new ChildTimeoutError(`timed out (${timeoutFlag()}) before ${opts.what} could start`));
  const max = opts.maxBuffer ?? 1 << 30;
  return new Promise((resolve, reject) => {
    let child;
    try {
      child = spawn(cmd, args, { cwd: opts.cwd, env: opts.env ?? process.env, stdio: ['pipe', 'pipe', 'pipe'], detached: true });
    } catch (err) {
      reject(new ChildStartError(`could not start ${opts.what}: ${(err as NodeJS.ErrnoException).code ?? 'error'}`, (err as NodeJS.ErrnoException).code));
      return;
    }
    const pid = child.pid;
    const untrack = pid !== undefined ? trackChild({ what: opts.what, pid }) : () => undefined;
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    let size = 0;
    let timedOut = false;
    let overflow = false;
    let settled = false;
    const kill = () => {
      if (pid !== undefined) killGroup(pid);
    };
    const timer = Number.isFinite(at)
      ? setTimeout(() => {
          timedOut = true;
          kill();
        }, Math.max(0, at - Date.now()))
      : undefined;
    const collect = (into: Buffer[]) => (c: Buffer) => {
      size += c.length;
      if (size > max) {
        overflow = true;
        kill();
        return;
      }
      into.push(c);
    };
    child.stdout.on('data', collect(out));
    child.stderr.on('data', collect(err));
    child.stdin.on('error', () => undefined); // the child may exit before reading its input
    child.on('error', (e: NodeJS.ErrnoException) => {
      if (settled) return;
      settled = true;
      if (timer) clearTimeout(timer);
      untrack();
      reject(new ChildStartError(e.code === 'ENOENT' ? `${cmd} not found` : `could not start ${opts.what}: ${e.code ?? e.message}`, e.code));
    });
    child.on('close', (code, signal) => {
      if (settled) return;
      settled = true;
      if (timer) clearTimeout(timer);
      untrack();
      // The group may hold grandchildren that outlive the leader: end them too.
      kill();
      if (timedOut) return reject(new ChildTimeoutError(`timed out (${timeoutFlag()}) while ${opts.what} was still running`));
      if (overflow) return reject(new ChildOutputLimitError(`${opts.what}: output exceeds ${sizeText(max)}; stopped`));
      resolve({ code, signal, stdout: Buffer.concat(out).toString('utf8'), stderr: Buffer.concat(err).toString('utf8') });
    });
    child.stdin.end(opts.input ?? '');
  });
}
