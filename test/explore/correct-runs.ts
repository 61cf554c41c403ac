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
    // No wall-clock timeout (0): the work is fixed by the run count and the
    // seed, and each run is bounded in virtual time, so the test either
    // finishes or fails on its own. A timeout would only measure how busy the
    // machine is (15 to 28 s on a quiet one, past 60 s on a loaded CI runner).
    // More files would not help either: vitest runs two workers, one per core.
    test(`shows no safety or liveness violation in ${runs} runs (fast-check seed ${seed})`, { timeout: 0 }, () => {
      const result = searchPaxos({ bugs: [], liveness: true, seed, numRuns: runs });
      const detail =
        result.counterexample === null ? "" : `fast-check seed ${result.seed}: ${result.failure}\n${formatPaxosCase(result.counterexample)}`;
      expect(result.failed, detail).toBe(false);
      expect(result.numRuns).toBe(runs);
    });
  });
}
