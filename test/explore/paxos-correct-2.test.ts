import { describe, expect, test } from "vitest";
import { formatPaxosCase, searchPaxos } from "../../src/explore/index.ts";

/**
 * The correct replica under randomized fault schedules: crashes, restarts,
 * pauses, partitions of every shape, one-way cuts, clock drift, loss,
 * duplication and slow disks, then calm. Safety must hold in every run, and
 * liveness after calm. Two files of 1,000 runs each (2,000 in CI), so the two
 * test workers share them. On failure the message holds the seeds and the
 * shrunk schedule.
 */
const SEARCH_SEED = 424242;
const RUNS = 1_000;

describe("the correct replica under random faults (part 2 of 2)", () => {
  test(`shows no safety or liveness violation in ${RUNS} runs (fast-check seed ${SEARCH_SEED})`, () => {
    const result = searchPaxos({ bugs: [], liveness: true, seed: SEARCH_SEED, numRuns: RUNS });
    const detail =
      result.counterexample === null
        ? ""
        : `fast-check seed ${result.seed}: ${result.failure}\n${formatPaxosCase(result.counterexample)}`;
    expect(result.failed, detail).toBe(false);
    expect(result.numRuns).toBe(RUNS);
  });
});
