// One registry of what a run must undo when it ends early: temporary copies (which may hold
// decrypted plaintext), git worktrees and child processes. cli/main.ts runs it on SIGINT/SIGTERM
// and when --timeout passes; everything that creates such a thing registers it here.
//
// Cleanups are synchronous on purpose: inside a signal handler nothing asynchronous gets to finish.

export interface RunningChild {
  /** What the user would call it: `kustomize build apps/`, `git worktree add`, `exec plugin aws`. */
  what: string;
  pid: number;
}

const cleanups = new Map<number, () => void>();
let nextId = 1;
const children = new Map<number, RunningChild>();
let deadline = Number.POSITIVE_INFINITY;
let timeoutText = '';

/** Registers an undo step; returns the function that runs it now (once) and unregisters it. */
export function onCleanup(fn: () => void): () => void {
  const id = nextId++;
  cleanups.set(id, fn);
  return () => {
    const f = cleanups.get(id);
    if (!f) return;
    cleanups.delete(id);
    f();
  };
}

/** Kills every child's process group and runs every cleanup, newest first. Never throws. */
export function runAllCleanups(): void {
  for (const c of children.values()) killGroup(c.pid);
  children.clear();
  for (const id of [...cleanups.keys()].reverse()) {
    const f = cleanups.get(id);
    cleanups.delete(id);
    try {
      f?.();
    } catch {
      /* best effort: the next cleanup still runs */
    }
  }
}

export function trackChild(c: RunningChild): () => void {
  children.set(c.pid, c);
  return () => children.delete(c.pid);
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
