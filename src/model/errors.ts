// Typed errors: each carries the exit code and, where it concerns one, the file or object.
// Only cli/ turns them into an exit; everything else throws or collects them.

export class PodoError extends Error {
  readonly exitCode: number = 2;
  constructor(message: string) {
    super(message);
    this.name = new.target.name;
  }
}

/** A mistake in the command line: wrong flags, missing arguments. */
export class UsageError extends PodoError {}

/** A file or directory the user pointed at is missing or malformed. */
export class InputError extends PodoError {
  constructor(
    message: string,
    readonly file?: string,
  ) {
    super(message);
  }
}

/** kustomize, the Flux overlay, substitution or decryption failed. */
export class BuildError extends PodoError {
  constructor(
    message: string,
    readonly file?: string,
  ) {
    super(message);
  }
}

/** The cluster could not be reached, refused us, or rejected an object. */
export class ClusterError extends PodoError {
  constructor(
    message: string,
    readonly status?: number,
  ) {
    super(message);
  }
}

/** A Flux Kustomization named on the command line does not exist. */
export class NotFoundError extends PodoError {}

export function errorMessage(err: unknown): string {
  if (err instanceof Error) return err.message;
  return String(err);
}

/** An error as one line: podo's errors are printed one per line, whatever the tool below said. */
export function oneLineMessage(err: unknown): string {
  return errorMessage(err).replace(/\s*\n\s*/g, ' ').trim();
}

/** The first non-empty line of an error or a tool's output, trimmed (for tools whose later lines are usage noise). */
export function firstLine(err: unknown): string {
  const text = typeof err === 'string' ? err : errorMessage(err);
  return text.split('\n').find((l) => l.trim() !== '')?.trim() ?? '';
}
