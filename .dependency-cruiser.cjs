// podo's import rules, as data. Enforced by test/unit/import-rules.test.ts (and `npx depcruise src`).
// One pipeline: cli/ → pipeline/ → sources/, render/, cluster/, diff/ → model/; report/ renders model/ only.
/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    {
      name: 'cluster-only-talks-http',
      comment: 'cluster/ is the only code that talks to the API server, and does nothing else: no builds, no processes, no orchestration.',
      severity: 'error',
      from: { path: '^src/cluster/' },
      to: { path: ['^src/(render|pipeline|sources|diff|report|flux|cli)/', '^(node:)?child_process$'] },
    },
    {
      name: 'diff-and-report-do-no-io',
      comment: 'diff/ and report/ are pure: no file system, no processes, no cluster, no builds, no orchestration.',
      severity: 'error',
      from: { path: '^src/(diff|report)/' },
      to: { path: ['^src/(cluster|render|pipeline|sources|cli)/', '^(node:)?(fs|fs/promises|child_process|net|http|https|os)$'] },
    },
    {
      name: 'report-sees-only-model',
      comment: 'report/ renders the hand-off types of model/ and nothing else.',
      severity: 'error',
      from: { path: '^src/report/' },
      to: { path: '^src/', pathNot: '^src/(model|report)/' },
    },
    {
      name: 'nothing-imports-cli',
      comment: 'cli/ is the top: flags, exit codes, stdout/stderr. Nothing below may reach up into it.',
      severity: 'error',
      from: { pathNot: '^src/cli/' },
      to: { path: '^src/cli/' },
    },
    {
      name: 'render-is-not-cluster-or-pipeline',
      comment: 'render/ builds from files; cluster inputs arrive as callbacks, and it knows nothing of the run.',
      severity: 'error',
      from: { path: '^src/render/' },
      to: { path: '^src/(cluster|pipeline|sources|diff|report)/' },
    },
    {
      name: 'sources-are-below-the-pipeline',
      comment: 'sources/ finds specs and source trees (cluster reads, the checkout, git); it knows nothing of the run that uses them, its comparison or its report.',
      severity: 'error',
      from: { path: '^src/sources/' },
      to: { path: '^src/(pipeline|diff|report|cli)/' },
    },
    {
      name: 'pipeline-does-not-print',
      comment: 'pipeline/ turns RunOptions into a DiffReport; rendering it and the exit code are cli/\'s (with report/).',
      severity: 'error',
      from: { path: '^src/pipeline/' },
      to: { path: '^src/(report|cli)/' },
    },
    {
      name: 'model-and-flux-stand-alone',
      comment: 'model/ (hand-off types) and flux/ (Flux rules as data) import only model/ and themselves.',
      severity: 'error',
      from: { path: '^src/(model|flux)/' },
      to: { path: '^src/', pathNot: ['^src/model/', '^src/flux/'] },
    },
    {
      name: 'process-stands-alone',
      comment: 'process/ (child processes, their lifecycle, the git environment) serves every layer and imports only model/.',
      severity: 'error',
      from: { path: '^src/process/' },
      to: { path: '^src/', pathNot: ['^src/model/', '^src/process/'] },
    },
    {
      name: 'model-does-not-import-flux',
      severity: 'error',
      from: { path: '^src/model/' },
      to: { path: '^src/flux/' },
    },
    {
      name: 'no-circular',
      comment: 'folders depend one way.',
      severity: 'error',
      from: { path: '^src/' },
      to: { circular: true },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    tsConfig: { fileName: 'tsconfig.json' },
    tsPreCompilationDeps: true,
    enhancedResolveOptions: { extensions: ['.ts', '.js'] },
  },
};
