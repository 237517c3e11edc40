/**
 * Golden files: the Slurm files rendered from the shipped stacks, checked by content. After an intended
 * change, regenerate them with `UPDATE_GOLDEN=1 npx vitest run --project unit components/slurm` and review
 * the diff like any other change to the department's configuration.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { renderCgroupConf, renderGresConf, renderSlurmConf, slurmLayout } from "./render";
import type { SlurmLayout } from "./render";
import { stackInventory } from "./testdata/stack-inventory";

const UPDATE = process.env.UPDATE_GOLDEN === "1";

const RENDERERS: readonly (readonly [string, (layout: SlurmLayout) => string])[] = [
  ["slurm.conf", renderSlurmConf],
  ["gres.conf", renderGresConf],
  ["cgroup.conf", renderCgroupConf],
];

describe.each(["ie", "lab"])("Slurm files of stack %s", (stack) => {
  const layout = slurmLayout(stackInventory(stack));

  it.each(RENDERERS)("%s matches its golden file", (file, render) => {
    const golden = join(__dirname, "testdata", stack, file);
    const text = render(layout);
    if (UPDATE) {
      mkdirSync(join(__dirname, "testdata", stack), { recursive: true });
      writeFileSync(golden, text);
    }
    expect(existsSync(golden), `${golden} is missing: run with UPDATE_GOLDEN=1 to create it`).toBe(true);
    expect(text).toBe(readFileSync(golden, "utf8"));
  });
});
