// Commander wiring: commands, flags and help. No logic: actions hand validated options to runners.
// Flags are spelled as flux (and kubectl, for the connection) spell them, so a script that runs
// `flux diff kustomization …` runs with `podo` in its place.
import { Argument, Command, Option } from 'commander';
import { readFileSync } from 'node:fs';
import { EXIT_CODES_HELP } from './exit.js';
import { FORMAT_NAMES } from '../report/index.js';
import { collectCsv, collectRepeat, defaultNamespace, resolveNamespace } from './options.js';

const collect = collectRepeat;

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
    .argument('[name]', 'name of the Flux Kustomization (with --all: only those matching these globs, e.g. \'apps-*,infra\')')
    .requiredOption('--path <dir>', 'local directory the Kustomization spec.path points at (with --all: the repository root)')
    .option('-n, --namespace <ns>', 'namespace of the Flux Kustomization (with --all: only this namespace; env FLUX_SYSTEM_NAMESPACE)', ns.namespace)
    .option('--all', 'diff every Flux Kustomization in the cluster whose source is mapped to a local directory')
    .option('-r, --recursive', 'also diff the Flux Kustomizations this build produces, with their local specs')
    .option(
      '--local-sources <Kind/ns/name=DIR,...>',
      'serve a Flux source (GitRepository, OCIRepository, Bucket, ExternalArtifact) from a local directory; namespace defaults to the Kustomization\'s (comma-separated, repeatable)',
      collect,
    )
    .addOption(new Option('--source <Kind/ns/name=DIR>', 'alias of --local-sources').argParser(collect).hideHelp())
    .option('--base-ref <ref>', 'no cluster: diff the build at this git ref against the working tree')
    .option('--cluster-path <dir>', 'with --base-ref --all: a cluster directory to follow (repeatable; default: every cluster directory of the repository)', collect)
    .option('--shard <K/N>', 'with --all: evaluate only part K of N (dependsOn groups kept together); `podo report merge` joins the N -o json reports')
    .option('--fail-on-skipped', 'exit 2 when any Kustomization was not evaluated (suspended, remote cluster, unmapped source)')
    .option('--default-service-account <name>', 'dry-run Kustomizations without spec.serviceAccountName as this service account (kustomize-controller --default-service-account)')
    .option('--no-impersonate', 'dry-run as yourself, not as the Kustomization\'s service account')
    .addOption(new Option('-o, --output <format>', 'output format').choices(FORMAT_NAMES).default('text'))
    .option('-v, --verbose', 'show the content of created objects (Secret values masked)')
    .option('--max-comment-bytes <n>', '-o markdown: split the comment into parts (part k/N) of at most this many bytes', '65536')
    .option('--ignore-field <KIND:POINTER>', 'leave a field of existing objects out of the comparison, as Flux spec.ignore paths (e.g. Deployment:/spec/replicas, *:/metadata/annotations/x; repeatable)', collect)
    .option('--ignore-field-file <file>', 'read --ignore-field values from a file, one KIND:POINTER a line (# comments; repeatable)', collect)
    .option('-l, --selector <selector>', 'only objects whose labels match (e.g. app=web,tier!=db)')
    .option('--kind <kinds>', 'only objects of these kinds (comma-separated, repeatable)', collectCsv)
    .option('--skip-kind <kinds>', 'leave out objects of these kinds (comma-separated, repeatable)', collectCsv)
    .option('-U, --diff-context <n>', 'unchanged lines around each change in unified and markdown diffs (default 3)')
    .option('--with-objects', '-o json: also each changed object\'s before/after (masked), so that `podo report merge` renders full diffs')
    .option('--no-color', 'never color the output (also: NO_COLOR; FORCE_COLOR=1 forces it)')
    .option('--no-progress', 'no progress spinner on stderr (it only shows on a terminal, never in CI)')
    .option('--progress-bar', 'flux spelling of the spinner switch: --progress-bar=false is --no-progress')
    .addOption(new Option('--no-progress-bar').hideHelp())
    .option('--fail-on-warnings', 'exit 1 on image-tag warnings even when nothing changes')
    .option('--concurrency <n>', 'dry-runs in flight at once', '16');
  withBuildOptions(ks)
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
    .argument('[name]', 'name of the Flux Kustomization')
    .requiredOption('--path <dir>', 'local directory the Kustomization spec.path points at')
    .option('-n, --namespace <ns>', 'namespace of the Flux Kustomization (env FLUX_SYSTEM_NAMESPACE)', ns.namespace)
    .option('-r, --recursive', 'also build the Flux Kustomizations this build produces, with their local specs')
    .option(
      '--local-sources <Kind/ns/name=DIR,...>',
      'serve a Flux source (GitRepository, OCIRepository, Bucket, ExternalArtifact) from a local directory (with -r; comma-separated, repeatable)',
      collect,
    )
    .addOption(new Option('--source <Kind/ns/name=DIR>', 'alias of --local-sources').argParser(collect).hideHelp())
    .option('--dry-run', 'with --kustomization-file: no cluster at all (substituteFrom is skipped, with a note)')
    .option('--no-charts', "print HelmRelease objects without the objects their charts render");
  withBuildOptions(bks)
    .addHelpText('after', EXIT_CODES_HELP)
    .action(async (name: string | undefined, _opts: unknown, cmd: Command) => {
      const { runBuildKustomization } = await import('./build-command.js');
      setExit(await runBuildKustomization(name, cmd.opts(), cmd));
    });

  const report = program.command('report').description('work with reports podo wrote');
  report
    .command('merge')
    .description('join JSON reports (-o json --with-objects, e.g. of several CI jobs) into one report; the exit code is that of one run over all of them')
    .argument('<files...>', 'JSON reports; CLUSTER=FILE names the cluster of its Kustomizations (one job per cluster)')
    .addOption(new Option('-o, --output <format>', 'output format').choices(FORMAT_NAMES).default('text'))
    .option('-v, --verbose', 'show the content of created objects (Secret values masked)')
    .option('--no-color', 'never color the output (also: NO_COLOR; FORCE_COLOR=1 forces it)')
    .option('--max-comment-bytes <n>', '-o markdown: split the comment into parts (part k/N) of at most this many bytes', '65536')
    .option('-U, --diff-context <n>', 'unchanged lines around each change in unified and markdown diffs (default 3)')
    .option('--with-objects', '-o json: keep each changed object\'s before/after')
    .option('--fail-on-warnings', 'exit 1 on image-tag warnings even when nothing changes')
    .option('--fail-on-skipped', 'exit 2 when any Kustomization was not evaluated')
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

/** Options every command that builds a Kustomization takes: cluster access and the Flux build. */
function withBuildOptions(cmd: Command): Command {
  cmd
    .option('--kustomize-bin <path>', 'kustomize (or kubectl) binary to build with (env PODO_KUSTOMIZE)')
    .option('--helm-bin <path>', 'helm binary to render HelmReleases with, `none` to not render charts (env PODO_HELM)')
    .addOption(new Option('--helm-version <major>', "Helm major version to render charts with (default: the cluster's helm-controller's, else 4)").choices(['3', '4']))
    .option('--kustomization-file <file>', 'local Flux Kustomization manifest whose spec replaces the live one')
    .option('--ignore-not-found', 'with --kustomization-file: use the file when the cluster has no such Kustomization')
    .option('--ignore-paths <patterns>', 'gitignore patterns to exclude, on top of .sourceignore (comma-separated, repeatable)', collectCsv)
    .option('--sops-age-key-file <file>', 'age identities to decrypt SOPS files with (also: SOPS_AGE_KEY_FILE, SOPS_AGE_KEY)')
    .option('--strict-substitute', 'fail when a postBuild variable without a default is not set')
    .option('--no-remote-bases', "refuse remote kustomize resources (http(s) files, git repositories) instead of fetching them, as kustomize-controller's flag")
    .option('--in-memory-build', "accepted for flux compatibility: podo always builds in a temporary copy, never in your tree")
    .option('--timeout <duration>', "each Kustomization's time budget when its spec.timeout is unset; given explicitly, also the whole run's (e.g. 90s, 5m)", '5m');
  return withConnectionOptions(cmd);
}

/** kubectl's connection flags, as flux takes them (genericclioptions), plus flux's client rate limits. */
function withConnectionOptions(cmd: Command): Command {
  const group = 'Cluster connection (as kubectl and flux spell them):';
  const opts: Option[] = [
    new Option('--kubeconfig <file>', 'kubeconfig file (default: $KUBECONFIG or ~/.kube/config)'),
    new Option('--context <name>', 'kubeconfig context to use'),
    new Option('--cluster <name>', 'kubeconfig cluster entry to use instead of the context’s'),
    new Option('--user <name>', 'kubeconfig user entry to use instead of the context’s'),
    new Option('--server <url>', 'address of the Kubernetes API server'),
    new Option('--token <token>', 'bearer token for the API server'),
    new Option('--certificate-authority <file>', 'CA certificate file to verify the API server with'),
    new Option('--client-certificate <file>', 'client certificate file for TLS authentication'),
    new Option('--client-key <file>', 'client key file for TLS authentication'),
    new Option('--insecure-skip-tls-verify', "do not verify the API server's certificate (insecure)"),
    new Option('--tls-server-name <name>', "server name to verify the API server's certificate against"),
    new Option('--as <user>', 'user to impersonate'),
    new Option('--as-group <group>', 'group to impersonate (repeatable)').argParser(collectRepeat),
    new Option('--as-uid <uid>', 'UID to impersonate'),
    new Option('--ns-follows-kube-context', 'without -n: use the namespace of the kubeconfig context (env FLUX_NS_FOLLOWS_KUBE_CONTEXT)'),
    new Option('--kube-api-qps <n>', 'client-side limit of requests per second to the API server (default: none; --concurrency bounds podo)'),
    new Option('--kube-api-burst <n>', 'requests allowed at once before --kube-api-qps applies (default: the qps)'),
    // flux's discovery cache directory: podo keeps no discovery cache, but keeps charts and its npm helm there.
    new Option('--cache-dir <dir>', 'where charts and the npm helm are kept across runs (default $XDG_CACHE_HOME/podo or ~/.cache/podo)'),
    new Option('--disable-compression', 'accepted for flux compatibility: podo does not ask for compressed responses'),
  ];
  for (const o of opts) cmd.addOption(o.helpGroup(group));
  return cmd;
}
