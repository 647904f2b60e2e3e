import { defineConfig } from 'vitest/config';

// Two projects: `unit` runs on plain objects with no cluster at all (no global setup);
// `integration` starts (or uses PODO_TEST_KUBECONFIG) the real local kube-apiserver first.
// `npm test` runs both; `npx vitest run --project unit` needs nothing but Node.
export default defineConfig({
  test: {
    testTimeout: 60_000,
    hookTimeout: 120_000,
    // Integration tests spawn podo and kubectl; two cores do not benefit from more workers.
    poolOptions: { forks: { maxForks: 2, minForks: 1 } },
    pool: 'forks',
    // The JSON report is what .ci/run counts: a run that tested nothing shows.
    reporters: ['default', 'json'],
    outputFile: { json: '.vitest-results.json' },
    projects: [
      // tmp-setup first: its teardown (removing the run's temporary directory) then runs last.
      { extends: true, test: { name: 'unit', include: ['test/unit/**/*.test.ts'], globalSetup: ['test/helpers/tmp-setup.ts'] } },
      {
        extends: true,
        test: {
          name: 'integration',
          include: ['test/integration/**/*.test.ts', 'test/security/**/*.test.ts'],
          globalSetup: ['test/helpers/tmp-setup.ts', 'test/helpers/global-setup.ts'],
        },
      },
    ],
  },
});
