// A spinner with what is happening, on stderr, only for a person at a terminal: never in CI, never
// with --no-progress, never on stdout.
import { isCI } from './options.js';

export interface Progress {
  update(text: string): void;
  stop(): void;
}

const FRAMES = ['⠋', '⠙', '⠹', '⠸', '⠼', '⠴', '⠦', '⠧', '⠇', '⠏'];

/**
 * The spinner needs a person at a terminal: stderr is a TTY, TERM is not "dumb" and this is not CI by
 * ci-info's rules (CI=false is not CI). FORCE_COLOR does not force it: it is about color, and a spinner
 * in a log file is noise.
 */
export function progressEnabled(flag: boolean, stream: { isTTY?: boolean }, env: NodeJS.ProcessEnv): boolean {
  return flag && stream.isTTY === true && env.TERM !== 'dumb' && !isCI(env);
}

export function createProgress(enabled: boolean, stream: NodeJS.WriteStream = process.stderr): Progress {
  if (!enabled) return { update: () => undefined, stop: () => undefined };
  let text = 'starting';
  let frame = 0;
  const draw = () => stream.write(`\r\u001b[2K${FRAMES[frame++ % FRAMES.length]} ${text}`);
  const timer = setInterval(draw, 100);
  timer.unref();
  let stopped = false;
  return {
    update(t) {
      text = t;
      if (!stopped) draw();
    },
    stop() {
      if (stopped) return;
      stopped = true;
      clearInterval(timer);
      stream.write('\r\u001b[2K');
    },
  };
}
