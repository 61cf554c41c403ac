import { describe, expect, test } from "vitest";
import { eventLine, Rng, type TraceEvent } from "../../src/sim/index.ts";

describe("eventLine", () => {
  test("writes every event kind exactly as JSON.stringify does (2,000 random events, seed 11)", () => {
    const rng = new Rng(11);
    const ids = ["s1", "c-2", "node_3", "Z"];
    const values: unknown[] = [undefined, null, 0, -5, 1.5, "x", 'quote " and \\ and \n', [1, [2, { a: "b" }]], { type: "ping", n: 3 }, true];
    const reasons = ["loss", "partition", "crashed", "paused-queue-full"] as const;
    for (let k = 0; k < 2000; k++) {
      const base = { i: rng.below(1e6), t: rng.below(2 ** 31) * 1000 };
      const from = rng.pick(ids);
      const to = rng.pick(ids);
      const events: TraceEvent[] = [
        { ...base, type: "deliver", id: 1 + rng.below(1e6), from, to },
        { ...base, type: "send", id: 1 + rng.below(1e6), from, to, msg: rng.pick(values), cause: rng.below(1e6) - 1 },
        { ...base, type: "drop", id: 1 + rng.below(1e6), from, to, reason: rng.pick(reasons) },
        { ...base, type: "timer", node: from, timer: 1 + rng.below(1e6), tag: rng.pick(values) },
        { ...base, type: "note", node: from, kind: "k", data: rng.pick(values) },
      ];
      for (const event of events) expect(eventLine(event)).toBe(JSON.stringify(event));
    }
  });
});
