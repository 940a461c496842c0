import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

/**
 * `npm run test:reliability`: the long checks (claim histories, kill -9, fuzzing, isolation,
 * filter injection) on PostgreSQL, in a fresh database per run. Not part of `npm test`.
 *
 * The script runs claim-history.test.ts first, in a run (and database) of its own, then the rest.
 * Run after crash-safety.test.ts on the same database, the claim history collapsed: status writes
 * fell to about 2/s, slower than the test's leases (0.4 s of wall time), so nearly every write was
 * refused as `changed` and the run passed its 1,500 s limit (CI, 2026-12-03; the code before and
 * after that day's changes alike). Alone it takes 3.5 min. Why the first file's leftovers tip it
 * over is not known yet (docs/benchmarks.md, seventeenth pass).
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
