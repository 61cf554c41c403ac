import { describe, expect, test } from "vitest";
import { searchZk, SERVICE_BUGS } from "../../src/explore/index.ts";
import { parseScenario, runScenario, ScenarioError } from "../../src/scenario/index.ts";
import { ZK_BUGS, type ZkBug } from "../../src/zk/index.ts";
import { zksim } from "../cli/zksim.ts";

/**
 * The service's bug zoo (ZK_BUGS): the search over the service finds each
 * bug from a fixed seed within a bounded number of runs, shrinks it, and the
 * shrunk case passes on the correct service, so the failure is the bug's.
 * Each bug's directed scenario (scenarios/bug-NAME.yaml) is a bundled
 * scenario, held to its `expect` by test/scenario/bundled-*.test.ts.
 */

// Which check each bug breaks, and the swarm search (seed, runs) that finds it.
const searches: readonly { bug: ZkBug; check: string; seed: number; runs: number }[] = [
  { bug: "sequence-from-child-count", check: "sequential-names", seed: 1000, runs: 10 },
  { bug: "watch-not-rearmed", check: "watches-fire-once", seed: 1000, runs: 15 },
  { bug: "sync-skips-barrier", check: "read-after-sync", seed: 1000, runs: 60 },
];

describe("the service's bug zoo", () => {
  test("every bug of ZK_BUGS has a search here, and the service's search takes them beside the Paxos zoo", () => {
    expect(searches.map((s) => s.bug).sort()).toEqual([...ZK_BUGS].sort());
    for (const bug of ZK_BUGS) expect(SERVICE_BUGS).toContain(bug);
  });

  test("a Paxos scenario cannot plant a bug of the service, and explore paxos refuses one, naming where it belongs", () => {
    const text = "name: p\ndescription: x\nsystem: paxos\nduration: 1s\nservers: { count: 3, bugs: [watch-not-rearmed] }\n";
    expect(() => parseScenario(text, "p.yaml")).toThrow(ScenarioError);
    expect(() => parseScenario(text, "p.yaml")).toThrow(/p\.yaml:5: servers\.bugs\[0\]: watch-not-rearmed is a bug of the ZooKeeper service: it needs system: zookeeper/);
    const r = zksim({ cwd: process.cwd() }, "explore", "paxos", "--bug", "watch-not-rearmed", "--runs", "1");
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/--bug: watch-not-rearmed is a bug of the ZooKeeper service: use it with explore zookeeper/);
  });

  // No wall-clock timeouts (0): each search is bounded by its run count and seed, not by the machine's speed.
  for (const { bug, check, seed, runs } of searches) {
    test(`explore zookeeper finds ${bug} within ${runs} swarm runs from seed ${seed}, by ${check}, and the shrunk case passes without the bug`, async () => {
      const result = await searchZk({ seed, numRuns: runs, bugs: [bug] });
      expect(result.failed, `no failure in ${runs} runs`).toBe(true);
      expect(result.internal).toBe(false);
      console.log(`${bug}: found at run ${result.numRuns} (seed ${result.seed}) with ${result.drawn?.kinds.join(", ")}, shrunk in ${result.numShrinks} steps: ${result.failure}`);
      expect(result.failure).toContain(`${check}:`);
      const scenario = parseScenario(result.yaml ?? "", "found.yaml");
      expect(scenario.servers.bugs).toEqual([bug]);
      const { bugs: _bugs, ...servers } = scenario.servers;
      const correct = await runScenario({ ...scenario, servers });
      expect(correct.checks.filter((c) => !c.holds).map((c) => `${c.name}: ${c.detail ?? ""}`), result.yaml ?? "").toEqual([]);
    }, 0);
  }
});
