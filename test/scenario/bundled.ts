import { readdirSync, readFileSync } from "node:fs";
import { expect, test } from "vitest";
import { parseScenario, runScenario } from "../../src/scenario/index.ts";

const DIR = new URL("../../scenarios/", import.meta.url);

/** The bundled scenario files, sorted by name. */
export function bundledFiles(): string[] {
  return readdirSync(DIR)
    .filter((f) => f.endsWith(".yaml"))
    .sort();
}

/** Defines one test per file: it meets its `expect`, and a second run gives the same digest. */
export function defineBundledTests(files: readonly string[]): void {
  for (const file of files) {
    test(`${file} meets its expect, and runs twice with the same digest`, async () => {
      const scenario = parseScenario(readFileSync(new URL(file, DIR), "utf8"), file);
      const first = await runScenario(scenario);
      const failed = first.checks.filter((c) => !c.holds).map((c) => `${c.name}: ${c.detail ?? ""}`);
      expect(first.matched, `seed ${first.seed}, expect ${first.expect}; failed: ${failed.join("; ") || "none"}`).toBe(true);
      const second = await runScenario(scenario);
      expect(second.digest).toBe(first.digest);
      expect(first.digest).toMatch(/^[0-9a-f]{16}$/);
    }, 120_000);
  }
}
