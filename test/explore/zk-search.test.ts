import { describe, expect, test } from "vitest";
import { parseScenario, runScenario } from "../../src/scenario/index.ts";
import { searchZk } from "../../src/explore/index.ts";

// No wall-clock timeouts (0): each search is bounded by its run count and seed, not by the machine's speed.
describe("the fault-schedule search over the ZooKeeper service", () => {
  test("finds no violation of any check in 60 runs of the correct service (fast-check seed 1)", async () => {
    const result = await searchZk({ seed: 1, numRuns: 60 });
    expect(result.failure, result.yaml ?? "").toBeNull();
    expect(result.numRuns).toBe(60);
  }, 0);

  for (const bug of ["minority-quorum", "commit-before-quorum", "forget-promise", "ignore-accepted", "accept-lower-ballot", "reply-before-sync"] as const) {
    test(`finds ${bug} within 150 runs, shrinks it, and writes it as a scenario that passes without the bug (fast-check seed 1)`, async () => {
      const result = await searchZk({ seed: 1, numRuns: 150, bugs: [bug] });
      expect(result.failed).toBe(true);
      expect(result.internal).toBe(false);
      const scenario = parseScenario(result.yaml ?? "", "found.yaml");
      expect(scenario.servers.bugs).toEqual([bug]);
      // The failure is the bug's: the same schedule on the correct service keeps every check.
      const { bugs: _bugs, ...servers } = scenario.servers;
      const correct = await runScenario({ ...scenario, servers });
      expect(correct.checks.filter((c) => !c.holds).map((c) => `${c.name}: ${c.detail ?? ""}`), result.yaml ?? "").toEqual([]);
    }, 0);
  }
});
