// `npm run test:cluster`, CI's step after `npm test`: the multi-process layout on a real Temporal server. Apart from
// the main suite (vitest.config.ts leaves test/cluster out), as it starts its own PostgreSQL, Temporal server and six
// processes rather than the shared ones of test/global-setup.ts, and needs the Go binaries (setup-tools cluster).
import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/cluster/**/*.test.ts'],
    pool: 'forks',
    fileParallelism: false,
    testTimeout: 900_000,
    hookTimeout: 400_000,
    reporters: ['default', ['json', { outputFile: 'test-results/vitest-cluster.json' }]],
  },
});
