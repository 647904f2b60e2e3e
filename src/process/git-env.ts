// The one environment every git invocation of podo runs with (process/git.ts, sources/git.ts).
// git finds the repository from its working directory (--path), never from variables a calling hook or
// CI step may have exported: GIT_INDEX_FILE in particular would make a worktree's checkout write into
// the user's index, and GIT_DIR/GIT_WORK_TREE would point podo at another repository. No system config,
// and never a credential prompt.
const REPOSITORY_VARIABLES = /^GIT_(DIR|WORK_TREE|INDEX_FILE|COMMON_DIR|PREFIX|CEILING_DIRECTORIES|DISCOVERY_ACROSS_FILESYSTEM|NAMESPACE|OBJECT_DIRECTORY|ALTERNATE_OBJECT_DIRECTORIES)$/;

export function gitEnv(base: NodeJS.ProcessEnv = process.env): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...base, GIT_CONFIG_NOSYSTEM: '1', GIT_TERMINAL_PROMPT: '0' };
  for (const k of Object.keys(env)) if (REPOSITORY_VARIABLES.test(k)) delete env[k];
  return env;
}

/**
 * The environment of a kustomize build, which may fetch remote resources: an http(s) file with Go's
 * HTTP client, a git repository with `git init/fetch/checkout/submodule update` (kustomize
 * api/internal/git). What a pull request names may be fetched, but it must not make git use this
 * machine's identity or files: no user or system git config (credential helpers, url rewrites,
 * `GIT_CONFIG_*` pairs), no ~/.netrc (HOME points nowhere), no ssh agent, no prompt, and only the http
 * and https transports (GIT_ALLOW_PROTOCOL also covers submodules: a `file://` or local-path submodule
 * is refused by git itself). The user's proxy variables stay: kustomize-controller honours
 * HTTPS_PROXY/NO_PROXY the same way.
 */
export function fetchEnv(base: NodeJS.ProcessEnv = process.env): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(base)) {
    if (/^(GIT_|GCM_|SSH_AUTH_SOCK$|SSH_ASKPASS$|SSH_AGENT_PID$|XDG_CONFIG_HOME$|CURL_HOME$|NETRC$)/.test(k)) continue;
    env[k] = v;
  }
  return {
    ...env,
    HOME: '/nonexistent',
    GIT_CONFIG_NOSYSTEM: '1',
    GIT_CONFIG_GLOBAL: '/dev/null',
    GIT_TERMINAL_PROMPT: '0',
    GIT_ALLOW_PROTOCOL: 'http:https',
    GIT_SSH_COMMAND: 'false',
  };
}
