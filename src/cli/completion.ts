// Shell completion, cobra-style: `podo completion bash|zsh|fish` prints a small script that asks
// `podo __complete WORDS… CURRENT` for candidates, and this module answers from the commander command tree
// (commands, aliases, flags, --output choices), the kubeconfig (contexts, clusters, users) and, with a
// cluster, the Flux Kustomizations in the namespace typed so far. The last output line is a directive:
// `:files` / `:dirs` (let the shell complete paths) or `:none`.
import type { Command, Option } from 'commander';
import { readKubeconfig } from '../cluster/kubeconfig-fast.js';
import { createClusterClient } from '../cluster/client.js';
import { listFromCluster } from '../sources/cluster.js';
import { connectionSettings, defaultNamespace, type ConnectionFlags } from './options.js';
import { flagNamed } from './flags.js';

export type Directive = 'none' | 'files' | 'dirs';

export interface Completion {
  candidates: string[];
  directive: Directive;
}


export interface CompletionSources {
  /** Names of the Flux Kustomizations in `namespace`, or [] when the cluster cannot be asked. */
  kustomizations(flags: ConnectionFlags, namespace: string): Promise<string[]>;
  env: NodeJS.ProcessEnv;
}

function findOption(cmd: Command, flag: string): Option | undefined {
  return cmd.options.find((o) => o.long === flag || o.short === flag);
}

function visibleOptions(cmd: Command): Option[] {
  return cmd.options.filter((o) => !(o as Option & { hidden?: boolean }).hidden);
}

function subcommand(cmd: Command, word: string): Command | undefined {
  return cmd.commands.find((c) => c.name() === word || c.aliases().includes(word));
}

/** Candidates for the last word of `words` (the words after `podo`, the last one being typed). */
export async function complete(program: Command, words: string[], sources: CompletionSources): Promise<Completion> {
  const done = words.slice(0, -1);
  const cur = words.length > 0 ? words[words.length - 1] : '';
  let cmd = program;
  const values = new Map<string, string[]>();
  let positional = 0;
  let expecting: Option | undefined;
  for (const w of done) {
    if (expecting) {
      values.set(expecting.attributeName(), [...(values.get(expecting.attributeName()) ?? []), w]);
      expecting = undefined;
      continue;
    }
    if (w.startsWith('-') && w !== '-') {
      const eq = w.indexOf('=');
      const opt = findOption(cmd, eq > 0 ? w.slice(0, eq) : w);
      if (opt && (opt.required || opt.optional)) {
        if (eq > 0) values.set(opt.attributeName(), [...(values.get(opt.attributeName()) ?? []), w.slice(eq + 1)]);
        else expecting = opt;
      }
      continue;
    }
    const sub = subcommand(cmd, w);
    if (sub && positional === 0) cmd = sub;
    else positional++;
  }
  const filter = (list: string[], prefix = cur) => [...new Set(list)].filter((c) => c.startsWith(prefix)).sort();

  // The value of an option: `--output js`, or `--output=js` in one word.
  let valueOf = expecting;
  let valuePrefix = '';
  let typed = cur;
  if (!valueOf && cur.startsWith('--') && cur.includes('=')) {
    const opt = findOption(cmd, cur.slice(0, cur.indexOf('=')));
    if (opt && (opt.required || opt.optional)) {
      valueOf = opt;
      valuePrefix = cur.slice(0, cur.indexOf('=') + 1);
      typed = cur.slice(valuePrefix.length);
    }
  }
  if (valueOf) {
    const long = valueOf.long ?? '';
    // Options whose value is a path (flags.ts `complete`): the shell completes it.
    const paths = flagNamed(long)?.complete;
    if (paths) return { candidates: [], directive: paths };
    let list: string[] = [];
    if (valueOf.argChoices) list = valueOf.argChoices;
    else if (long === '--context' || long === '--cluster' || long === '--user') {
      list = kubeconfigNames(long, values.get('kubeconfig')?.[0], sources.env);
    }
    return { candidates: filter(list, typed).map((c) => valuePrefix + c), directive: 'none' };
  }
  if (cur.startsWith('-')) {
    const flags = visibleOptions(cmd).flatMap((o) => [o.long, o.short].filter((f): f is string => !!f));
    return { candidates: filter(cmd === program ? [...flags, '--help'] : [...flags, '--help']), directive: 'none' };
  }
  const subs = cmd.commands.filter((c) => !(c as Command & { _hidden?: boolean })._hidden).map((c) => c.name());
  if (subs.length > 0) return { candidates: filter(subs), directive: 'none' };
  const arg = cmd.registeredArguments[positional];
  if (arg?.argChoices) return { candidates: filter(arg.argChoices), directive: 'none' };
  if (arg && arg.name() === 'name' && isKustomizationCommand(cmd)) {
    const one = (k: string) => values.get(k)?.[values.get(k)!.length - 1];
    const flags: ConnectionFlags = {
      kubeconfig: one('kubeconfig'),
      context: one('context'),
      cluster: one('cluster'),
      user: one('user'),
      server: one('server'),
      token: one('token'),
      certificateAuthority: one('certificateAuthority'),
      insecureSkipTlsVerify: done.includes('--insecure-skip-tls-verify') || undefined,
      as: one('as'),
      asGroup: values.get('asGroup'),
    };
    const namespace = one('namespace') ?? defaultNamespace(sources.env).namespace;
    return { candidates: filter(await sources.kustomizations(flags, namespace)), directive: 'none' };
  }
  return { candidates: [], directive: 'none' };
}

function isKustomizationCommand(cmd: Command): boolean {
  return cmd.name() === 'kustomization' && !!cmd.parent && ['diff', 'build'].includes(cmd.parent.name());
}

function kubeconfigNames(flag: string, kubeconfig: string | undefined, env: NodeJS.ProcessEnv): string[] {
  try {
    const raw = readKubeconfig(kubeconfig, env);
    if (!raw) return [];
    const map = flag === '--context' ? raw.contexts : flag === '--cluster' ? raw.clusters : raw.users;
    return [...map.keys()];
  } catch {
    return [];
  }
}

/** The real source: the cluster's Kustomizations, asked within a few seconds (a shell must not hang). */
export function clusterSources(env: NodeJS.ProcessEnv): CompletionSources {
  return {
    env,
    async kustomizations(flags, namespace) {
      let client;
      try {
        client = await createClusterClient({ ...connectionSettings(flags, env), concurrency: 2, deadline: Date.now() + 3000 });
        return (await listFromCluster(client, namespace)).map((k) => k.spec.name);
      } catch {
        return [];
      } finally {
        client?.close();
      }
    },
  };
}

export function formatCompletion(c: Completion): string {
  return [...c.candidates, `:${c.directive}`].join('\n') + '\n';
}

/** `podo completion SHELL`: the script, which calls `podo __complete` on every TAB. */
export function completionScript(shell: string): string {
  switch (shell) {
    case 'bash':
      return BASH;
    case 'zsh':
      return ZSH;
    case 'fish':
      return FISH;
    default:
      throw new Error(`unknown shell ${shell}`);
  }
}

const BASH = `# podo bash completion. Load it with:  source <(podo completion bash)
# or save it as /etc/bash_completion.d/podo (or ~/.local/share/bash-completion/completions/podo).
_podo() {
  local line=\${COMP_LINE:0:COMP_POINT} cur="" words=() out directive=none candidate
  # Split the line ourselves: bash splits --output=json and system:masters at = and :.
  read -r -a words <<< "$line"
  if [[ $line == *[[:space:]] || \${#words[@]} -le 1 ]]; then words+=(""); fi
  cur=\${words[\${#words[@]}-1]}
  out=$(\${PODO_BIN:-podo} __complete "\${words[@]:1}" 2>/dev/null) || return 0
  COMPREPLY=()
  while IFS= read -r candidate; do
    case $candidate in
      :*) directive=\${candidate#:} ;;
      "") ;;
      *)
        # bash replaces only the part after the last = or : (COMP_WORDBREAKS); offer that part.
        if [[ $cur == *[=:]* ]]; then
          local keep=\${cur%[=:]*}
          candidate=\${candidate#"$keep"}
          candidate=\${candidate#[=:]}
        fi
        COMPREPLY+=("$candidate") ;;
    esac
  done <<< "$out"
  case $directive in
    files) compopt -o filenames 2>/dev/null; COMPREPLY=($(compgen -f -- "\${COMP_WORDS[COMP_CWORD]}")) ;;
    dirs) compopt -o filenames 2>/dev/null; COMPREPLY=($(compgen -d -- "\${COMP_WORDS[COMP_CWORD]}")) ;;
  esac
  return 0
}
complete -F _podo podo
`;

const ZSH = `#compdef podo
# podo zsh completion. Load it with:  source <(podo completion zsh)
# or save it as _podo in a directory of $fpath.
_podo() {
  local -a candidates
  local out line directive=none
  out=$(\${PODO_BIN:-podo} __complete "\${(@)words[2,CURRENT]}" 2>/dev/null) || return 1
  for line in "\${(@f)out}"; do
    case $line in
      :*) directive=\${line#:} ;;
      "") ;;
      *) candidates+=("$line") ;;
    esac
  done
  case $directive in
    files) _files ;;
    dirs) _files -/ ;;
    *) compadd -Q -- "\${candidates[@]}" ;;
  esac
}
if [[ $funcstack[1] == _podo ]]; then _podo "$@"; else compdef _podo podo; fi
`;

const FISH = `# podo fish completion. Load it with:  podo completion fish | source
# or save it as ~/.config/fish/completions/podo.fish
function __podo_complete
    set -l args (commandline -opc) (commandline -ct)
    set -e args[1]
    set -l directive none
    set -l bin podo
    set -q PODO_BIN; and set bin $PODO_BIN
    for line in ($bin __complete $args 2>/dev/null)
        if string match -q -- ':*' $line
            set directive (string sub -s 2 -- $line)
        else if test -n "$line"
            echo $line
        end
    end
    switch $directive
        case files
            __fish_complete_path (commandline -ct)
        case dirs
            __fish_complete_directories (commandline -ct)
    end
end
complete -c podo -f -a '(__podo_complete)'
`;

