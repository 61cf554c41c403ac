import { describe, expect, test } from "vitest";
import { formatPaxosCase, searchPaxos } from "../../src/explore/index.ts";

/**
 * The correct replica under randomized fault schedules: crashes, restarts,
 * pauses, partitions of every shape, one-way cuts, clock drift, loss,
 * duplication and slow disks, then calm. Safety must hold in every run, and
 * liveness after calm. CI runs two parts of 1,000 runs each (2,000 in all), one
 * per file, so the two test workers share them. On failure the message holds
 * the seeds and the shrunk schedule.
 */
export function describeCorrectRuns(part: number, seed: number, runs: number): void {
  describe(`the correct replica under random faults (part ${part})`, () => {
    test(`shows no safety or liveness violation in ${runs} runs (fast-check seed ${seed})`, () => {
      const result = searchPaxos({ bugs: [], liveness: true, seed, numRuns: runs });
      const detail =
        result.counterexample === null ? "" : `fast-check seed ${result.seed}: ${result.failure}\n${formatPaxosCase(result.counterexample)}`;
      expect(result.failed, detail).toBe(false);
      expect(result.numRuns).toBe(runs);
    });
  });
}
