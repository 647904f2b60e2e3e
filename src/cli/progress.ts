// A spinner with what is happening, on stderr, only for a person at a terminal: never in CI, never
// with --no-progress, never on stdout.
export interface Progress {
  update(text: string): void;
  stop(): void;
}

const FRAMES = ['⠋', '⠙', '⠹', '⠸', '⠼', '⠴', '⠦', '⠧', '⠇', '⠏'];

export function progressEnabled(flag: boolean, stream: NodeJS.WriteStream, env: NodeJS.ProcessEnv): boolean {
  return flag && stream.isTTY === true && !env.CI;
}

export function createProgress(enabled: boolean, stream: NodeJS.WriteStream = process.stderr): Progress {
  if (!enabled) return { update: () => undefined, stop: () => undefined };
  let text = 'starting';
  let frame = 0;
  const draw = () => stream.write(`\r\u001b[2K${FRAMES[frame++ % FRAMES.length]} ${text}`);
  const timer = setInterval(draw, 100);
  timer.unref();
  return {
    update(t) {
      text = t;
      draw();
    },
    stop() {
      clearInterval(timer);
      stream.write('\r\u001b[2K');
    },
  };
}
