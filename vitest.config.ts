import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    globalSetup: ['test/helpers/global-setup.ts'],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    // Integration tests spawn podo and kubectl; two cores do not benefit from more workers.
    poolOptions: { forks: { maxForks: 2, minForks: 1 } },
    pool: 'forks',
    // The JSON report is what .ci/run counts: a run that tested nothing shows.
    reporters: ['default', 'json'],
    outputFile: { json: '.vitest-results.json' },
  },
});
