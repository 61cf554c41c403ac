import { describe, expect, test } from "vitest";
import { formatPaxosCase, searchPaxos } from "../../src/explore/index.ts";
import { PAXOS_BUGS, type PaxosBug } from "../../src/paxos/index.ts";

/**
 * Each bug of the zoo must be found by the fault-schedule search, from a fixed
 * fast-check seed, within a bounded number of runs. The runs each bug took are
 * printed, and pinned loosely so a search that got much weaker fails.
 */
const SEARCH_SEED = 1;
const RUNS_MAX = 300;

/** What each bug breaks first under the search (any safety check is a finding; these are the ones seen). */
const EXPECTED_CHECKS: Record<PaxosBug, readonly string[]> = {
  "forget-promise": ["paxos.promise", "paxos.stability", "paxos.agreement"],
  "ignore-accepted": ["paxos.stability", "paxos.agreement"],
  "accept-lower-ballot": ["paxos.promise", "paxos.stability", "paxos.agreement"],
  "minority-quorum": ["paxos.agreement", "paxos.stability"],
  "reply-before-sync": ["paxos.promise", "paxos.stability", "paxos.agreement"],
  "commit-before-quorum": ["paxos.agreement", "paxos.stability"],
};

describe("the fault-schedule search finds every bug of the zoo", () => {
  for (const bug of PAXOS_BUGS) {
    // No wall-clock timeout (0): the search is bounded by its run count and seed, not by the machine's speed.
    test(`${bug} breaks safety within ${RUNS_MAX} runs (fast-check seed ${SEARCH_SEED})`, { timeout: 0 }, () => {
      const result = searchPaxos({ bugs: [bug], liveness: false, seed: SEARCH_SEED, numRuns: RUNS_MAX });
      expect(result.failed, `no violation found for ${bug} in ${RUNS_MAX} runs`).toBe(true);
      const failure = result.failure ?? "";
      const check = failure.split(":")[0] ?? "";
      expect(EXPECTED_CHECKS[bug], `unexpected finding for ${bug}: ${failure}`).toContain(check);
      expect(result.counterexample).not.toBeNull();
      console.log(
        `${bug}: found after ${result.numRuns} run(s), shrunk in ${result.numShrinks} step(s): ${failure}\n` +
          formatPaxosCase(result.counterexample as NonNullable<typeof result.counterexample>),
      );
    });
  }
});
