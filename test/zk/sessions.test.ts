import { expect, test } from "vitest";
import { SessionTracker } from "../../src/zk/sessions.ts";

test("an expired session is reported at every tick until the leader could propose its expiry", () => {
  // A leader whose batches are full cannot take an expiry at once: dropped, it must come back.
  const tracker = new SessionTracker(100_000);
  tracker.touch(7, 400, 0);
  expect(tracker.expired(400_000)).toEqual([]);
  expect(tracker.expired(500_000)).toEqual([7]);
  expect(tracker.expired(600_000)).toEqual([7]); // not proposed: reported again
  tracker.markClosing(7);
  expect(tracker.expired(700_000)).toEqual([]);
  tracker.touch(7, 400, 700_000); // a late sign of life does not revive a closing session
  expect(tracker.expired(2_000_000)).toEqual([]);
  expect(tracker.has(7)).toBe(true);
  tracker.forget(7);
  expect(tracker.has(7)).toBe(false);
});
