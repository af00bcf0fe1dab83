import { defineConfig } from 'vitest/config';

// Tests by level: `unit` tests pure code in a few seconds (npm run test:unit); `threads` starts
// real worker-thread CPUs; `cli` runs the commands as a user would; `conformance` proves every
// answer's declaration (npm run test:conformance). `npm test` runs all four.
export default defineConfig({
  test: {
    testTimeout: 60_000,
    hookTimeout: 60_000,
    // Most tests start real threads; on a 2-core host, files running side by side only starve
    // them, so files run one at a time.
    fileParallelism: false,
    projects: [
      // Pure code, no threads, no shared state between files: they may share the cores and one
      // module registry (no isolation), which halves the project's time.
      { extends: true, test: { name: 'unit', include: ['test/unit/**/*.test.ts'], fileParallelism: true, pool: 'threads', isolate: false } },
      { extends: true, test: { name: 'threads', include: ['test/threads/**/*.test.ts'] } },
      { extends: true, test: { name: 'cli', include: ['test/cli/**/*.test.ts'] } },
      // Every answer's declaration proved on real threads (coordinator/conformance.ts).
      { extends: true, test: { name: 'conformance', include: ['test/conformance/**/*.test.ts'] } },
    ],
  },
});
