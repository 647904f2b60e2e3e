// Whole-run guarantees that no single step can forget: SIGINT/SIGTERM end every child (process
// group), remove temporary copies and worktrees and exit 130/143; --timeout bounds the whole run,
// whatever is still going on; an exception nobody caught is one scrubbed line, exit 2.
import { currentActivity, runningChildren, setRunDeadline, timeoutFlag } from '../process/lifecycle.js';
import { runAllCleanups } from '../model/cleanup.js';
import { errLine } from './output.js';
import { EXIT_ERROR } from './exit.js';
import { oneLineMessage } from '../model/errors.js';

const SIGNAL_EXIT: Record<string, number> = { SIGINT: 130, SIGTERM: 143 };
let installed = false;

export function installGuards(): void {
  if (installed) return;
  installed = true;
  for (const [signal, code] of Object.entries(SIGNAL_EXIT)) {
    process.on(signal, () => {
      runAllCleanups();
      process.exit(code);
    });
  }
  const fatal = (e: unknown) => {
    errLine('error', oneLineMessage(e));
    runAllCleanups();
    process.exit(EXIT_ERROR);
  };
  process.on('uncaughtException', fatal);
  process.on('unhandledRejection', fatal);
  process.on('exit', () => runAllCleanups());
}

/**
 * Sets the run's deadline from --timeout. Every child and request stops at it with its own message;
 * if the run is somehow still going a moment later, it ends here naming what was still running.
 */
export function startDeadline(timeoutMs: number, text: string): number {
  const at = Date.now() + timeoutMs;
  setRunDeadline(at, text);
  watchdog = setTimeout(() => {
    const running = runningChildren().map((c) => c.what);
    const activity = currentActivity();
    const what = running.length > 0 ? `${running.join(', ')} ${running.length === 1 ? 'was' : 'were'} still running` : activity ? `${activity}` : 'podo was still working';
    errLine('error', `timed out (${timeoutFlag()}) while ${what}`);
    runAllCleanups();
    process.exit(EXIT_ERROR);
  }, timeoutMs + 2000);
  watchdog.unref();
  return at;
}

let watchdog: NodeJS.Timeout | undefined;

/** The run is over (its result decided): the --timeout watchdog has nothing left to stop. */
export function stopDeadline(): void {
  if (watchdog) clearTimeout(watchdog);
  watchdog = undefined;
}
