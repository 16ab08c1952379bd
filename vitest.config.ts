import { defineConfig } from 'vitest/config';

// Two projects: `unit` is pure and fast; `lab` needs root, network namespaces and the real
// Docker/Varnish/registry binaries, and runs one file at a time because the lab is shared state.
export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: 'unit',
          include: ['src/**/*.test.ts', 'web/**/*.test.ts'],
          exclude: ['src/**/*.lab.test.ts'],
        },
      },
      {
        test: {
          name: 'lab',
          include: ['src/**/*.lab.test.ts', 'test/**/*.lab.test.ts'],
          globalSetup: ['test/lab/build.global.ts'],
          // the lab is shared host state (namespaces, ports): one file at a time
          pool: 'forks',
          poolOptions: { forks: { singleFork: true } },
          testTimeout: 300_000,
          hookTimeout: 300_000,
        },
      },
    ],
  },
});
