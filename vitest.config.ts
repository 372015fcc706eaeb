import { defineConfig } from 'vitest/config';

/** Unit and integration tests alike: Node, one process per file. */
const NODE_TESTS = {
  environment: 'node',
  pool: 'forks',
  // Two cores here: more workers only make the training tests fight for them.
  maxWorkers: 2,
  // Two test files already fill both cores; wasm threads on top only oversubscribe them.
  env: { FER_WASM_THREADS: '1' },
  testTimeout: 120_000,
  hookTimeout: 120_000,
} as const;

export default defineConfig({
  test: {
    projects: [
      {
        test: { name: 'unit', include: ['test/unit/**/*.test.ts'], ...NODE_TESTS },
      },
      {
        // The tests that start processes: the CLI (bin/fer.mjs), the trainer and evaluation children, SIGKILLed
        // imports, the trainer children of the determinism runs. Each file pays seconds of process start-up (tsx,
        // tfjs), so they sit apart from the unit tests: `npm run test:unit` stays quick. The same settings as unit.
        test: { name: 'integration', include: ['test/integration/**/*.test.ts'], ...NODE_TESTS },
      },
      {
        test: {
          name: 'e2e',
          include: ['test/e2e/**/*.test.ts'],
          environment: 'node',
          pool: 'forks',
          fileParallelism: false,
          testTimeout: 300_000,
          hookTimeout: 180_000,
        },
      },
    ],
  },
});
