// The one environment every git invocation of podo runs with (sources/git.ts, render/tree/containment.ts).
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
