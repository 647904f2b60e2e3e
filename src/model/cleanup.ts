// One registry of things to undo when the run is interrupted (temporary build copies that may hold
// decrypted SOPS plaintext, git worktrees). Whoever creates such a thing registers a synchronous undo;
// cli/main.ts, the only code that deals with signals and exits, runs them on SIGINT/SIGTERM.
const pending = new Set<() => void>();

/** Registers `undo`; the returned function runs it (once) and forgets it. */
export function registerCleanup(undo: () => void): () => void {
  let done = false;
  const entry = () => {
    if (done) return;
    done = true;
    pending.delete(entry);
    undo();
  };
  pending.add(entry);
  return entry;
}

/**
 * Like registerCleanup, for an undo with an asynchronous form (removing a directory tree in the
 * thread pool instead of blocking the event loop for every file). `now` runs the synchronous undo;
 * `later` the asynchronous one, and until that has settled an interrupt still runs the synchronous
 * undo (which must tolerate running alongside it: removal does, nothing it deletes comes back).
 * If the asynchronous form fails, the synchronous one runs.
 */
export function registerAsyncCleanup(undo: () => void, asyncUndo: () => Promise<void>): { now: () => void; later: () => Promise<void> } {
  const entry = registerCleanup(undo);
  let running: Promise<void> | undefined;
  const later = () =>
    (running ??= asyncUndo().then(
      () => {
        pending.delete(entry);
      },
      () => entry(),
    ));
  return { now: entry, later };
}

/** Runs every registered undo, synchronously (signal handlers get no second chance). */
export function runAllCleanups(): void {
  for (const undo of [...pending]) {
    try {
      undo();
    } catch {
      /* best effort: the next one still runs */
    }
  }
}
