// The one way out: every byte podo writes to stdout and stderr passes through the secret registry
// (model/secrets.ts). Commands write with `out`/`err`; `installScrubbing` also routes the process's
// own stream writes (console.*, a library's warning) through the scrubber, so nothing gets around it.
import { secrets } from '../model/secrets.js';
import { terminalLines } from '../report/escape-terminal.js';

type Write = typeof process.stdout.write;

const raw: { stdout?: Write; stderr?: Write } = {};

/** Routes process.stdout/stderr.write through the scrubber. Idempotent; called first thing by main. */
export function installScrubbing(): void {
  if (raw.stdout) return;
  raw.stdout = process.stdout.write.bind(process.stdout) as Write;
  raw.stderr = process.stderr.write.bind(process.stderr) as Write;
  process.stdout.write = scrubbingWrite(raw.stdout);
  process.stderr.write = scrubbingWrite(raw.stderr);
}

function scrubbingWrite(write: Write): Write {
  return ((chunk: unknown, encoding?: unknown, cb?: unknown): boolean => {
    const text = typeof chunk === 'string' ? chunk : Buffer.isBuffer(chunk) || chunk instanceof Uint8Array ? Buffer.from(chunk).toString(typeof encoding === 'string' ? (encoding as BufferEncoding) : 'utf8') : String(chunk);
    const callback = typeof encoding === 'function' ? encoding : cb;
    return (write as (s: string, cb?: unknown) => boolean)(secrets.scrub(text), callback);
  }) as Write;
}

/** Writes to stdout, scrubbed. */
export function out(text: string): void {
  installScrubbing();
  process.stdout.write(text);
}

/**
 * Writes to stderr, scrubbed. podo's messages carry names, paths and errors from the repository and
 * the cluster: their control characters are made visible (only the progress line, written elsewhere,
 * drives the terminal).
 */
export function err(text: string): void {
  installScrubbing();
  process.stderr.write(terminalLines(text));
}

/** One line on stderr, `podo: <kind>: <message>`, newlines folded. */
export function errLine(kind: 'error' | 'note' | 'warning', message: string): void {
  err(`podo: ${kind}: ${message.replace(/\s*\n\s*/g, ' ').trim()}\n`);
}

/** Resolves once everything written so far has been handed to the OS (before process.exit). */
export function flushed(): Promise<void> {
  const wait = (s: NodeJS.WriteStream) => new Promise<void>((r) => (s.writableLength === 0 ? r() : s.write('', () => r())));
  return Promise.all([wait(process.stdout), wait(process.stderr)]).then(() => undefined);
}
