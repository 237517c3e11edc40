import { defineConfig } from "vitest/config";

// Three projects: `unit` (renderers, inventory, mock-runtime stack tests; no root, no network), `lab`
// (real hosts; driven by `npm run test:lab`, which brings the lab up first) and `rehearsal` (the refresh).
export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: "unit",
          globalSetup: ["test/setup/prerequisites.ts"],
          include: ["components/**/*.test.ts", "scripts/**/*.test.ts", "ie-podman/**/*.test.ts", "test/unit/**/*.test.ts", "test/stack/**/*.test.ts", "test/engine/**/*.test.ts", "bench/**/*.test.ts"],
          exclude: ["**/*.lab.test.ts", "node_modules/**"],
          testTimeout: 30_000,
          hookTimeout: 60_000,
        },
      },
      {
        test: {
          name: "lab",
          include: ["test/lab/*.lab.test.ts"],
          testTimeout: 600_000,
          hookTimeout: 900_000,
          fileParallelism: false,
          sequence: { concurrent: false },
        },
      },
      {
        // The refresh rehearsal changes the lab's shape (lab4 in, lab3 out): its own phase, after the others.
        test: {
          name: "rehearsal",
          include: ["test/lab/rehearsal/*.lab.test.ts"],
          testTimeout: 1_500_000,
          hookTimeout: 900_000,
          fileParallelism: false,
          sequence: { concurrent: false },
        },
      },
    ],
  },
});
