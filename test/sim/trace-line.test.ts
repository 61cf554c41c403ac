import { describe, expect, test } from "vitest";
import { eventLine, frozenJsonCache, Rng, type TraceEvent } from "../../src/sim/index.ts";

describe("eventLine", () => {
  test("writes every event kind exactly as JSON.stringify does (2,000 random events, seed 11)", () => {
    const rng = new Rng(11);
    const ids = ["s1", "c-2", "node_3", "Z"];
    const values: unknown[] = [undefined, null, 0, -5, 1.5, "x", 'quote " and \\ and \n', [1, [2, { a: "b" }]], { type: "ping", n: 3 }, true];
    values.push(Object.freeze({ type: "heartbeat", n: 1 }));
    const reasons = ["loss", "partition", "crashed", "paused-queue-full"] as const;
    const json = frozenJsonCache();
    for (let k = 0; k < 2000; k++) {
      const base = { i: rng.below(1e6), t: rng.below(2 ** 31) * 1000 };
      const from = rng.pick(ids);
      const to = rng.pick(ids);
      const events: TraceEvent[] = [
        { ...base, type: "deliver", id: 1 + rng.below(1e6), from, to },
        { ...base, type: "send", id: 1 + rng.below(1e6), from, to, msg: rng.pick(values), cause: rng.below(1e6) - 1 },
        { ...base, type: "drop", id: 1 + rng.below(1e6), from, to, reason: rng.pick(reasons) },
        { ...base, type: "timer", node: from, timer: 1 + rng.below(1e6), tag: rng.pick(values) },
        { ...base, type: "note", node: from, kind: rng.pick(["k", 'odd "kind"']), data: rng.pick(values) },
        { ...base, type: "sync", node: from, sync: 1 + rng.below(1e6), keys: rng.below(100) },
      ];
      for (const event of events) {
        expect(eventLine(event)).toBe(JSON.stringify(event));
        expect(eventLine(event, json)).toBe(JSON.stringify(event));
      }
    }
  });

  test("a frozen payload is serialized once and its text reused; an unfrozen one every time", () => {
    const json = frozenJsonCache();
    const frozen = Object.freeze({ type: "accept", slot: 7 });
    expect(json(frozen)).toBe('{"type":"accept","slot":7}');
    expect(json(frozen)).toBe(json(frozen));
    const open: { type: string; slot: number } = { type: "accept", slot: 7 };
    expect(json(open)).toBe('{"type":"accept","slot":7}');
    open.slot = 8;
    expect(json(open)).toBe('{"type":"accept","slot":8}');
  });
});
