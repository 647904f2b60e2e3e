// Child processes and the run's deadline. Children are registered in the one cleanup registry
// (model/cleanup.ts), next to temporary copies and git worktrees, so that SIGINT/SIGTERM and the
// --timeout watchdog in cli/ end their whole process group; they are also listed here by name, so a
// timeout can say what was still running.
import { registerCleanup } from '../model/cleanup.js';

export interface RunningChild {
  /** What the user would call it: `kustomize build apps/`, `git worktree add`, `exec plugin aws`. */
  what: string;
  pid: number;
}

const children = new Map<number, RunningChild>();
let deadline = Number.POSITIVE_INFINITY;
let timeoutText = '';

/** Tracks a running child; the returned function forgets it and ends what is left of its process group. */
export function trackChild(c: RunningChild): () => void {
  children.set(c.pid, c);
  const end = () => {
    children.delete(c.pid);
    killGroup(c.pid);
  };
  return registerCleanup(end);
}

export function runningChildren(): RunningChild[] {
  return [...children.values()];
}

/** Children run in their own process group (detached), so killing the group also ends their children. */
export function killGroup(pid: number): void {
  try {
    process.kill(-pid, 'SIGKILL');
  } catch {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      /* already gone */
    }
  }
}

const activities: string[] = [];

/**
 * Names what podo itself is doing (`reading the kubeconfig credentials of user x`), so that a timeout
 * with no child running still says what it was waiting for. Returns the function that ends it.
 */
export function beginActivity(what: string): () => void {
  activities.push(what);
  return () => {
    const i = activities.lastIndexOf(what);
    if (i >= 0) activities.splice(i, 1);
  };
}

export function currentActivity(): string | undefined {
  return activities[activities.length - 1];
}

/** The run's absolute deadline (ms since epoch), set once by cli/ from --timeout. */
export function setRunDeadline(at: number, text: string): void {
  deadline = at;
  timeoutText = text;
}

export function runDeadline(): number {
  return deadline;
}

/** `--timeout 5m`, for messages. */
export function timeoutFlag(): string {
  return timeoutText ? `--timeout ${timeoutText}` : '--timeout';
}
