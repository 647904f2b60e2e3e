// The only place podo exits. Commander errors (usage) map to exit 2, never 1.
import { CommanderError } from 'commander';
import { buildProgram } from './program.js';
import { EXIT_ERROR } from './exit.js';
import { PodoError, oneLineMessage } from '../model/errors.js';
import { runAllCleanups } from '../model/cleanup.js';

const SIGNALS = ['SIGINT', 'SIGTERM'] as const;

/**
 * Temporary build copies (which may hold decrypted SOPS plaintext) and git worktrees are registered in
 * model/cleanup.ts; on a signal they are removed, then the signal is raised again with its default
 * action, so the exit status still says which signal ended the run.
 */
function onSignal(signal: NodeJS.Signals): void {
  runAllCleanups();
  for (const s of SIGNALS) process.removeListener(s, onSignal);
  process.kill(process.pid, signal);
}
for (const s of SIGNALS) process.on(s, onSignal);

async function main(argv: string[]): Promise<number> {
  let code = 0;
  const program = buildProgram((c) => {
    code = c;
  });
  try {
    await program.parseAsync(argv);
    return code;
  } catch (err) {
    if (err instanceof CommanderError) {
      // help and --version exit 0; every parser complaint is a usage error: 2.
      if (err.exitCode === 0 || err.code === 'commander.helpDisplayed' || err.code === 'commander.version' || err.code === 'commander.help') return 0;
      return EXIT_ERROR;
    }
    if (err instanceof PodoError) {
      process.stderr.write(`podo: error: ${oneLineMessage(err)}\n`);
      return err.exitCode;
    }
    process.stderr.write(`podo: internal error: ${oneLineMessage(err)} (please report this at the podo issue tracker)\n`);
    if (process.env.PODO_DEBUG) process.stderr.write(`${(err as Error).stack ?? ''}\n`);
    return EXIT_ERROR;
  }
}

main(process.argv).then(
  (code) => {
    process.exitCode = code;
  },
  () => {
    process.exitCode = EXIT_ERROR;
  },
);
