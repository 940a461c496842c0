import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

/**
 * `npm run test:reliability`: the long checks (claim histories, kill -9, fuzzing, isolation,
 * filter injection) on PostgreSQL, in a fresh database per run. Not part of `npm test`.
 */
export default defineConfig({
  root: fileURLToPath(new URL('../..', import.meta.url)),
  test: {
    include: ['test/reliability/**/*.test.ts'],
    globalSetup: ['test/reliability/global-setup.ts'],
    testTimeout: 600_000,
    hookTimeout: 180_000,
    pool: 'forks',
    // Two cores: the files that load the database run one at a time so their figures mean something.
    maxWorkers: 1,
    fileParallelism: false,
  },
});
