// Commander wiring: commands and help. No logic: actions hand validated options to runners. The
// flags come from the one table in flags.ts.
import { Argument, Command, Option } from 'commander';
import { readFileSync } from 'node:fs';
import { EXIT_CODES_HELP } from './exit.js';
import { collectCsv, collectRepeat, defaultNamespace, resolveNamespace } from './options.js';
import { CONNECTION_GROUP, flagsOf, helpOf, type CommandId, type FlagDef } from './flags.js';

function version(): string {
  const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };
  return pkg.version;
}

export function buildProgram(setExit: (code: number) => void, env: NodeJS.ProcessEnv = process.env): Command {
  const program = new Command('podo')
    .description('terraform plan for Flux: what exactly changes in the cluster if this merges')
    .version(version(), '--version', 'print the version')
    .exitOverride()
    .configureOutput({ outputError: (str, write) => write(`podo: error: ${str.replace(/^error: /, '').trimEnd()} (see --help)\n`) })
    .addHelpText('after', EXIT_CODES_HELP);
  const ns = defaultNamespace(env);

  const diff = program.command('diff').description('show what applying the local checkout would change in the cluster');
  const ks: Command = diff
    .command('kustomization')
    .alias('ks')
    .description('diff a Flux Kustomization built from a local path against the cluster')
    .argument('[name]', 'name of the Flux Kustomization (with --all: only those matching these globs, e.g. \'apps-*,infra\')');
  withFlags(ks, 'diff', ns.namespace)
    .addHelpText('after', EXIT_CODES_HELP)
    .action(async (name: string | undefined, _opts: unknown, cmd: Command) => {
      const { runDiffKustomization } = await import('./diff-command.js');
      setExit(await runDiffKustomization(name, cmd.opts(), cmd));
    });

  const build = program.command('build').description('print what Flux would apply, built from the local checkout');
  const bks: Command = build
    .command('kustomization')
    .alias('ks')
    .description('build a Flux Kustomization from a local path as kustomize-controller would (Secret values masked)')
    .argument('[name]', 'name of the Flux Kustomization');
  withFlags(bks, 'build', ns.namespace)
    .addHelpText('after', EXIT_CODES_HELP)
    .action(async (name: string | undefined, _opts: unknown, cmd: Command) => {
      const { runBuildKustomization } = await import('./build-command.js');
      setExit(await runBuildKustomization(name, cmd.opts(), cmd));
    });

  const report = program.command('report').description('work with reports podo wrote');
  const merge: Command = report
    .command('merge')
    .description('join JSON reports (-o json --with-objects, e.g. of several CI jobs) into one report; the exit code is that of one run over all of them')
    .argument('<files...>', 'JSON reports; CLUSTER=FILE names the cluster of its Kustomizations (one job per cluster)');
  withFlags(merge, 'merge', ns.namespace)
    .addHelpText('after', EXIT_CODES_HELP)
    .action(async (files: string[], _opts: unknown, cmd: Command) => {
      const { runReportMerge } = await import('./report-command.js');
      setExit(runReportMerge(files, cmd.opts(), cmd));
    });

  program
    .command('completion')
    .description('print a shell completion script: source <(podo completion bash), or zsh, or fish')
    .addArgument(new Argument('<shell>', 'the shell').choices(['bash', 'zsh', 'fish']))
    .action(async (shell: string) => {
      const { completionScript } = await import('./completion.js');
      process.stdout.write(completionScript(shell));
      setExit(0);
    });
  // `podo __complete WORDS…` (what the scripts call) is answered in main.ts before parsing: its words are
  // a partial command line, not options for commander.

  for (const cmd of [ks, bks]) {
    cmd.hook('preAction', (c) => {
      // flux warns about an invalid FLUX_SYSTEM_NAMESPACE and keeps flux-system.
      if (ns.warning) process.stderr.write(`podo: warning: ${ns.warning}\n`);
      resolveNamespace(c, env);
    });
  }
  return program;
}

/** The table's flags of `command` (flags.ts), as commander options, in the table's order. */
function withFlags(cmd: Command, command: CommandId, namespace: string): Command {
  for (const f of flagsOf(command)) cmd.addOption(toOption(f, command, namespace));
  return cmd;
}

function toOption(f: FlagDef, command: CommandId, namespace: string): Option {
  const o = new Option([f.short, `${f.long}${f.value ? ` ${f.value}` : ''}`].filter(Boolean).join(', '), helpOf(f, command));
  if (f.kind === 'repeat') o.argParser(collectRepeat);
  if (f.kind === 'csv') o.argParser(collectCsv);
  if (f.choices) o.choices(f.choices);
  if (f.default !== undefined) o.default(typeof f.default === 'string' ? f.default : namespace);
  if (f.required) o.makeOptionMandatory();
  if (f.hidden) o.hideHelp();
  if (f.group === 'connection') o.helpGroup(CONNECTION_GROUP);
  return o;
}
