// Exit codes, documented in --help: the only place they are defined.
export const EXIT_NO_CHANGES = 0;
export const EXIT_CHANGES = 1;
export const EXIT_ERROR = 2;

export const EXIT_CODES_HELP = `
Exit codes:
  0  no changes
  1  changes found (or warnings, with --fail-on-warnings)
  2  error: bad usage, bad input, build, cluster or dry-run failure`;
