import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

// The browser flow: real server, real Chromium. Not part of `npm test` (run `npm run test:browser`).
export default defineConfig({
  root: fileURLToPath(new URL('../..', import.meta.url)),
  test: {
    include: ['test/browser/**/*.test.ts'],
    globalSetup: ['test/browser/global-setup.ts'],
    testTimeout: 120_000,
    hookTimeout: 180_000,
    pool: 'forks',
    maxWorkers: 1,
    fileParallelism: false,
  },
});
