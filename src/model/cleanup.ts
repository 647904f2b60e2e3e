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
