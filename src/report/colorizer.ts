// Colors are injected into the writers, so a writer never looks at the terminal or the environment:
// cli/ decides (TTY, NO_COLOR, --color) and tests use the plain colorizer.
import { Chalk, type ColorSupportLevel } from 'chalk';

/** Roles, not colors: writers say what a piece of text is, the colorizer decides how it looks. */
export interface Colorizer {
  /** Something that would be added: `+` lines, created objects. */
  added(text: string): string;
  /** Something that would be removed: `-` lines, deleted objects. */
  removed(text: string): string;
  /** Something that would change: `±`/`⇆` lines, drifted and replaced objects. */
  modified(text: string): string;
  /** Section headers, e.g. one per Kustomization. */
  header(text: string): string;
  /** Context that matters less: unchanged lines, skipped objects. */
  dim(text: string): string;
  bold(text: string): string;
  warn(text: string): string;
  error(text: string): string;
}

/** Leaves text untouched; for pipes, files, NO_COLOR and tests. */
export const plainColorizer: Colorizer = {
  added: (t) => t,
  removed: (t) => t,
  modified: (t) => t,
  header: (t) => t,
  dim: (t) => t,
  bold: (t) => t,
  warn: (t) => t,
  error: (t) => t,
};

/** ANSI colors at a fixed level; an own Chalk instance so chalk's global terminal detection is not used. */
export function chalkColorizer(level: ColorSupportLevel = 1): Colorizer {
  const chalk = new Chalk({ level });
  return {
    added: (t) => chalk.green(t),
    removed: (t) => chalk.red(t),
    modified: (t) => chalk.yellow(t),
    header: (t) => chalk.bold.cyan(t),
    dim: (t) => chalk.dim(t),
    bold: (t) => chalk.bold(t),
    warn: (t) => chalk.yellow(t),
    error: (t) => chalk.red(t),
  };
}

/** The colorizer for a decision already made by the caller. */
export function colorizer(enabled: boolean, level: ColorSupportLevel = 1): Colorizer {
  return enabled && level > 0 ? chalkColorizer(level) : plainColorizer;
}
