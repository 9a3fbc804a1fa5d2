import { fileURLToPath } from 'node:url';
import { configDefaults, defineConfig } from 'vitest/config';

export default defineConfig({
  resolve: {
    // graphql ships CJS (main) and ESM (module). Node loads graphql-yoga's copy as CJS; without this alias
    // Vite would hand our resolvers the ESM copy, and yoga would not recognise their GraphQLErrors.
    alias: [
      { find: /^graphql$/, replacement: fileURLToPath(new URL('./node_modules/graphql/index.js', import.meta.url)) },
    ],
  },
  test: {
    include: ['test/**/*.test.ts'],
    // test/cluster runs as its own CI step on a real Temporal cluster (test/cluster/vitest.config.ts).
    exclude: [...configDefaults.exclude, 'test/cluster/**'],
    // Temporal's native bridge needs real processes, and time-skipping servers share one clock: run files one at a time.
    pool: 'forks',
    fileParallelism: false,
    globalSetup: ['test/global-setup.ts'],
    testTimeout: 60_000,
    hookTimeout: 180_000,
    // The JSON report lets .ci/run print one plain "N passed, N failed" line.
    reporters: ['default', ['json', { outputFile: 'test-results/vitest.json' }]],
  },
});
