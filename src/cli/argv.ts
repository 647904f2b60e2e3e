// pflag (flux, kubectl) lets every boolean flag take `=true` / `=false`: `--progress-bar=false` is in
// every flux CI script. commander's boolean options take no value, so such arguments are rewritten
// before parsing: `--flag=true` → `--flag`, `--flag=false` → `--no-flag` (or nothing, when the flag is
// off by default). Only `--name=value` is rewritten: pflag too never takes a boolean's value from the
// next argument.
import type { Command } from 'commander';
import { UsageError } from '../model/errors.js';

interface BooleanFlag {
  /** `--no-name` is declared somewhere, so `=false` can say it. */
  negatable: boolean;
}

/** Every boolean long option in the command tree, by `--name`; negations under their positive name. */
function booleanFlags(root: Command): Map<string, BooleanFlag> {
  const out = new Map<string, BooleanFlag>();
  const visit = (cmd: Command) => {
    for (const o of cmd.options) {
      if (o.required || o.optional || !o.long) continue;
      const negate = o.long.startsWith('--no-');
      const name = negate ? `--${o.long.slice(5)}` : o.long;
      const prev = out.get(name) ?? { negatable: false };
      out.set(name, { negatable: prev.negatable || negate });
    }
    for (const c of cmd.commands) visit(c);
  };
  visit(root);
  return out;
}

/** strconv.ParseBool, as pflag reads boolean values. */
export function parseGoBool(flag: string, value: string): boolean {
  if (['1', 't', 'T', 'TRUE', 'true', 'True'].includes(value)) return true;
  if (['0', 'f', 'F', 'FALSE', 'false', 'False'].includes(value)) return false;
  throw new UsageError(`${flag} takes true or false, got "${value}"`);
}

/** argv with Go-style boolean assignments rewritten for commander. The first two entries (node, script) are kept. */
export function normalizeBooleanFlags(argv: string[], program: Command): string[] {
  const flags = booleanFlags(program);
  const out = argv.slice(0, 2);
  let passthrough = false;
  for (const arg of argv.slice(2)) {
    if (passthrough || !arg.startsWith('--') || !arg.includes('=')) {
      if (arg === '--') passthrough = true;
      out.push(arg);
      continue;
    }
    const eq = arg.indexOf('=');
    const name = arg.slice(0, eq);
    const flag = flags.get(name);
    if (!flag) {
      // A flag whose own name starts with no- (flux's --no-remote-bases=true): declared as a negation.
      const positive = name.startsWith('--no-') ? flags.get(`--${name.slice(5)}`) : undefined;
      if (positive?.negatable && parseGoBool(name, arg.slice(eq + 1))) out.push(name);
      else if (!positive?.negatable) out.push(arg);
      continue;
    }
    if (parseGoBool(name, arg.slice(eq + 1))) out.push(name);
    else if (flag.negatable) out.push(`--no-${name.slice(2)}`);
    // else: off is the default; nothing to say.
  }
  return out;
}
