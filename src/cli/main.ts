// The only place podo exits. Commander errors (usage) map to exit 2, never 1.
import { CommanderError } from 'commander';
import { buildProgram } from './program.js';
import { normalizeBooleanFlags } from './argv.js';
import { EXIT_ERROR } from './exit.js';
import { PodoError, oneLineMessage } from '../model/errors.js';
import { err as writeErr, flushed, installScrubbing } from './output.js';
import { installGuards, stopDeadline } from './guard.js';

async function main(argv: string[]): Promise<number> {
  // First thing: every byte on stdout/stderr passes the secret scrubber; signals and --timeout clean up.
  installScrubbing();
  installGuards();
  let code = 0;
  try {
    // Inside the try: a program that cannot be built (a flag registered twice) is an internal error said
    // on stderr, not a silent exit 2.
    const program = buildProgram((c) => {
      code = c;
    });
    if (argv[2] === '__complete') {
      // Shell completion (completion.ts): the words are a partial command line, never parsed as options.
      const { complete, clusterSources, formatCompletion } = await import('./completion.js');
      process.stdout.write(formatCompletion(await complete(program, argv.slice(3), clusterSources(process.env))));
      return 0;
    }
    if (argv.length === 3 && argv[2] === '--version') {
      const { versionText } = await import('./version.js');
      process.stdout.write(await versionText(process.env));
      return 0;
    }
    await program.parseAsync(normalizeBooleanFlags(argv, program));
    return code;
  } catch (err) {
    if (err instanceof CommanderError) {
      // help and --version exit 0; every parser complaint is a usage error: 2.
      if (err.exitCode === 0 || err.code === 'commander.helpDisplayed' || err.code === 'commander.version' || err.code === 'commander.help') return 0;
      return EXIT_ERROR;
    }
    if (err instanceof PodoError) {
      writeErr(`podo: error: ${oneLineMessage(err)}\n`);
      return err.exitCode;
    }
    // A file podo could not read (permissions, a loop of symlinks, a name too long) is bad input, not a bug.
    const fsProblem = fileSystemProblem(err);
    if (fsProblem) {
      writeErr(`podo: error: ${fsProblem}\n`);
      return EXIT_ERROR;
    }
    writeErr(`podo: internal error: ${oneLineMessage(err)} (please report this at the podo issue tracker)\n`);
    if (process.env.PODO_DEBUG) writeErr(`${(err as Error).stack ?? ''}\n`);
    return EXIT_ERROR;
  }
}

const FS_REASONS: Record<string, string> = {
  EACCES: 'permission denied',
  EPERM: 'operation not permitted',
  ELOOP: 'too many levels of symbolic links',
  ENAMETOOLONG: 'file name too long',
  ENOENT: 'no such file or directory',
  ENOTDIR: 'not a directory',
  EISDIR: 'is a directory',
  EMFILE: 'too many open files',
  ENOSPC: 'no space left on the device',
};

function fileSystemProblem(err: unknown): string | undefined {
  const e = err as NodeJS.ErrnoException;
  if (!e || typeof e.code !== 'string' || !FS_REASONS[e.code]) return undefined;
  return e.path ? `${e.path}: ${FS_REASONS[e.code]}` : FS_REASONS[e.code];
}

// The run is over once main settles: whatever a library left running (a keep-alive socket, a timer)
// must not keep podo alive past its answer. Output is flushed first.
const finish = (code: number) => {
  stopDeadline();
  process.exitCode = code;
  void flushed().then(() => process.exit(code));
};
main(process.argv).then(finish, () => finish(EXIT_ERROR));
