import { fileURLToPath } from 'node:url';
import { configDefaults, defineConfig, type UserWorkspaceConfig } from 'vitest/config';

/**
 * Test files that change what lives once per process and cannot be undone: they run last, each in a fresh process.
 * worker-metrics installs the Temporal Runtime (once per process) with a Prometheus exporter.
 */
const OWN_PROCESS = ['test/workflows/worker-metrics.test.ts'];

// What both projects below need: they are inline projects without `extends`, so that the root's globalSetup runs
// once for the whole run (vitest runs the root project's, and would run it again for each project extending it).
const resolve: UserWorkspaceConfig['resolve'] = {
  // graphql ships CJS (main) and ESM (module). Node loads graphql-yoga's copy as CJS; without this alias
  // Vite would hand our resolvers the ESM copy, and yoga would not recognise their GraphQLErrors.
  alias: [
    { find: /^graphql$/, replacement: fileURLToPath(new URL('./node_modules/graphql/index.js', import.meta.url)) },
  ],
};
const common: UserWorkspaceConfig['test'] = {
  // Temporal's native bridge needs real processes, and the files share one PostgreSQL and one Temporal dev server
  // (test/global-setup.ts) on two cores: one file at a time.
  pool: 'forks',
  fileParallelism: false,
  // Before each file: what must differ between files, and the environment as the run started (test/file-setup.ts).
  setupFiles: ['test/file-setup.ts'],
  testTimeout: 60_000,
  hookTimeout: 180_000,
};

export default defineConfig({
  resolve,
  test: {
    globalSetup: ['test/global-setup.ts'],
    // The JSON report lets .ci/run print one plain "N passed, N failed" line.
    reporters: ['default', ['json', { outputFile: 'test-results/vitest.json' }]],
    projects: [
      {
        resolve,
        test: {
          ...common,
          name: 'suite',
          include: ['test/**/*.test.ts'],
          // test/cluster runs as its own CI step on a real Temporal cluster (test/cluster/vitest.config.ts).
          exclude: [...configDefaults.exclude, 'test/cluster/**', ...OWN_PROCESS],
          // One process and one module graph for every file: loading the stack's modules again for each file cost
          // about 1 s a file (170 s a run). Each file still builds its own stack, companies and workers.
          isolate: false,
          sequence: { groupOrder: 0 },
        },
      },
      {
        resolve,
        test: { ...common, name: 'own-process', include: OWN_PROCESS, isolate: true, sequence: { groupOrder: 1 } },
      },
    ],
  },
});
