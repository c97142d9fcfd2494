import { existsSync } from 'node:fs';
import { defineConfig } from 'vitest/config';

// The teachers are resolved from a mirror during development and CI (never copied into the repository).
const sharedModels = new URL('../shared/models', import.meta.url).pathname;
const mirror = process.env.DEEPPHOTO_MODELS_MIRROR ?? (existsSync(sharedModels) ? sharedModels : undefined);

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // Model sessions and real browsers are heavy on a 2-core machine: run files one at a time.
    fileParallelism: false,
    testTimeout: 60_000,
    hookTimeout: 120_000,
    env: mirror ? { DEEPPHOTO_MODELS_MIRROR: mirror } : {},
  },
});
