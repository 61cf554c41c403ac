import { describe, expect, test } from "vitest";
import { eventLine, frozenJsonCache, Rng, type TraceEvent } from "../../src/sim/index.ts";
import { TraceLineBytes } from "../../src/sim/trace-bytes.ts";

const text = (lines: TraceLineBytes) => new TextDecoder().decode(lines.bytes.subarray(0, lines.length));

describe("eventLine", () => {
  test("writes every event kind exactly as JSON.stringify does (2,000 random events, seed 11)", () => {
    const rng = new Rng(11);
    const ids = ["s1", "c-2", "node_3", "Z"];
    const values: unknown[] = [undefined, null, 0, -5, 1.5, "x", 'quote " and \\ and \n', [1, [2, { a: "b" }]], { type: "ping", n: 3 }, true, "é ☃ \u{1F600}", "x".repeat(500)];
    values.push(Object.freeze({ type: "heartbeat", n: 1 }));
    const reasons = ["loss", "partition", "crashed", "paused-queue-full"] as const;
    const json = frozenJsonCache();
    const lines = new TraceLineBytes(64);
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
        // The bytes a file and the digest get: the same line, as UTF-8, with its line end.
        lines.clear();
        lines.event(event);
        expect(text(lines)).toBe(`${JSON.stringify(event)}\n`);
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

  test("event numbers counted up in decimal in place, across every carry, after jumps, and the same instant again, give JSON.stringify's lines", () => {
    const lines = new TraceLineBytes(16);
    const expected: string[] = [];
    const numbers = [0, 1, 2, 9, 10, 11, 99, 100, 101, 999, 1000, 5, 6, 7, 2147483647, 2147483648, 2147483649, 1e15, 1e15 + 1, 42];
    for (const start of numbers) {
      for (let i = start; i < start + 3; i++) {
        for (const t of [0, 7, 7, 2 ** 31 - 1, 2 ** 31, 2 ** 31, 123_456_789_012]) {
          const event: TraceEvent = { i, t, type: "sync", node: "s1", sync: i + 1, keys: t % 10 };
          lines.event(event);
          expected.push(JSON.stringify(event));
        }
      }
    }
    // Nines carried through every digit, one by one.
    for (let i = 99_990; i <= 100_010; i++) {
      const event: TraceEvent = { i, t: 1, type: "deliver", id: i + 1, from: "a", to: "b" };
      lines.event(event);
      expected.push(JSON.stringify(event));
    }
    expect(text(lines)).toBe(expected.join("\n") + "\n");
  });

  test("a frozen payload written again is written from the bytes made for it; a changed unfrozen one as it is now", () => {
    const lines = new TraceLineBytes(1024);
    const frozen = Object.freeze({ type: "accept", slot: 7 });
    const open = { type: "accept", slot: 7 };
    const send = (i: number, msg: unknown): TraceEvent => ({ i, t: 5, type: "send", id: i + 1, from: "s1", to: "s2", msg, cause: -1 });
    lines.event(send(0, frozen));
    lines.event(send(1, open));
    open.slot = 8;
    lines.event(send(2, open));
    lines.event(send(3, frozen));
    lines.event(send(4, Object.freeze({ type: "accept", slot: 9 })));
    lines.event(send(5, frozen));
    // A broadcast: the same frozen message four times in a row (its words are made at the third).
    for (let i = 6; i < 10; i++) lines.event(send(i, frozen));
    lines.event(send(10, open));
    const written = text(lines).split("\n").slice(0, -1).map((line) => (JSON.parse(line) as { msg: { slot: number } }).msg.slot);
    expect(written).toEqual([7, 7, 8, 7, 9, 7, 7, 7, 7, 7, 8]);
  });
});
