import { describe, expect, test } from "vitest";
import { caseFailure, runPaxosCase, type PaxosCase } from "../../src/explore/index.ts";

/**
 * Cases the fault search once failed on, kept as fixed-seed tests: each must
 * now pass every check, the replicas' own invariants included.
 */
const FOUND: readonly { readonly what: string; readonly c: PaxosCase }[] = [
  {
    // With the recovery window fix undone, the correct-replica search (fast-check
    // seed 20261124) fails its third run on the replicas' invariants and
    // shrinks it to this: s1 takes over with 15 slots to settle (its recovered
    // slots and its no-op) and put them all in phase 2 at once, window 4.
    what: "a leader that recovers more slots than its pipeline window (one-way cut s2 -> s1)",
    c: {
      seed: 0,
      serverCount: 3,
      latencyUsMin: 100,
      latencyUsMax: 2000,
      lossPerMille: 0,
      duplicationPerMille: 0,
      syncLatencyUs: 0,
      schedule: [{ atUs: 0, fault: { type: "cut", from: "s2", to: "s1", oneWay: true } }],
    },
  },
];

describe("cases the Paxos search found", () => {
  for (const { what, c } of FOUND) {
    test(`${what} passes safety, liveness and the invariants (engine seed ${c.seed})`, () => {
      const result = runPaxosCase(c, { bugs: [], liveness: true });
      expect(caseFailure(result)).toBeNull();
      expect(result.chosenCount).toBeGreaterThan(100);
    });
  }
});
