import fc from "fast-check";
import { describe, expect, test } from "vitest";
import { checkLinearizable, makeModel, toOperations, type HistoryEvent, type Json, type Model, type ModelName, type Operation, type Value } from "../../src/check/index.ts";

/**
 * The checker against a brute-force one on small random histories: try every
 * order of the operations that respects real time, with every subset of the
 * `info` operations left out, and see whether the model accepts one.
 */

function bruteForce(ops: readonly Operation[], model: Model): boolean {
  const keys = new Set(ops.map((op) => (model.partitionByKey ? op.key : null)));
  for (const key of keys) {
    const part = ops.filter((op) => op.outcome !== "fail" && (model.partitionByKey ? op.key : null) === key);
    if (!partLinearizable(part, model, key)) return false;
  }
  return true;
}

function partLinearizable(ops: readonly Operation[], model: Model, key: string | null): boolean {
  const search = (done: ReadonlySet<number>, state: Value): boolean => {
    const required = ops.filter((op) => op.outcome === "ok" && !done.has(op.id));
    if (required.length === 0) return true;
    for (const op of ops) {
      if (done.has(op.id)) continue;
      // Real time: op can go next only if no undone op returned before op was called.
      if (ops.some((other) => other !== op && !done.has(other.id) && other.ret < op.call)) continue;
      const next = model.step(state, op);
      if (next === undefined) continue;
      if (search(new Set([...done, op.id]), next)) return true;
    }
    // Unknown operations may also never happen: drop one that is blocking nothing in particular.
    for (const op of ops) {
      if (op.outcome !== "info" || done.has(op.id)) continue;
      if (search(new Set([...done, op.id]), state)) return true;
    }
    return false;
  };
  return search(new Set(), model.init(key));
}

/** A random well-formed history: each step a process invokes, or completes its open operation. */
function historyArbitrary(model: ModelName): fc.Arbitrary<HistoryEvent[]> {
  const append = model === "kv-append";
  // kv-append: strings that appends extend, and a number that a write may store (an append to it cannot apply).
  const value = append ? fc.constantFrom<Json>("", "a", "b", "ab", 1) : fc.constantFrom<Json>(null, 0, 1, 2);
  const key = model === "kv" || append ? fc.constantFrom("x", "y") : fc.constant(null);
  const fs = model === "register" ? (["read", "write"] as const) : append ? (["read", "write", "append", "append"] as const) : (["read", "write", "cas"] as const);
  const step = fc.record({ process: fc.integer({ min: 0, max: 2 }), f: fc.constantFrom(...fs), key, value, other: value, outcome: fc.constantFrom("ok", "ok", "ok", "fail", "info") });
  return fc.array(step, { minLength: 1, maxLength: 14 }).map((steps) => {
    const events: HistoryEvent[] = [];
    const open = new Map<number, HistoryEvent>();
    const crashed = new Set<number>();
    for (const s of steps) {
      if (crashed.has(s.process)) continue;
      const invocation = open.get(s.process);
      if (invocation === undefined) {
        const input: Json = s.f === "read" ? null : s.f === "cas" ? [s.value, s.other] : s.f === "append" ? (s.value === 1 ? "b" : s.value) : s.value;
        const event: HistoryEvent = { process: s.process, type: "invoke", f: s.f, key: s.key, value: input };
        open.set(s.process, event);
        events.push(event);
      } else {
        const type = s.outcome as "ok" | "fail" | "info";
        events.push({ process: s.process, type, f: invocation.f, key: invocation.key, value: invocation.f === "read" ? (type === "ok" ? s.value : null) : invocation.value });
        open.delete(s.process);
        if (type === "info") crashed.add(s.process);
      }
    }
    return events;
  });
}

describe("the linearizability checker against brute force", () => {
  for (const [name, seed] of [["register", 101], ["cas-register", 102], ["kv", 103], ["kv-append", 104]] as const) {
    test(`${name}: same verdict on 1,500 random histories (fast-check seed ${seed})`, () => {
      const model = makeModel(name);
      let linearizable = 0;
      fc.assert(
        fc.property(historyArbitrary(name), (events) => {
          const ops = toOperations(events, "generated");
          const expected = bruteForce(ops, model);
          const result = checkLinearizable(ops, model);
          expect(result.verdict).toBe(expected ? "linearizable" : "not-linearizable");
          if (expected) linearizable++;
        }),
        { seed, numRuns: 1_500 },
      );
      // Both verdicts occur often enough for the comparison to mean something.
      expect(linearizable).toBeGreaterThan(150);
      expect(linearizable).toBeLessThan(1_350);
    });
  }

  test("a counterexample names the longest linearizable prefix and the operations that cannot follow it", () => {
    const events: HistoryEvent[] = [
      { process: 0, type: "invoke", f: "write", key: null, value: 1 },
      { process: 0, type: "ok", f: "write", key: null, value: 1 },
      { process: 1, type: "invoke", f: "read", key: null, value: null },
      { process: 1, type: "ok", f: "read", key: null, value: 2 },
    ];
    const result = checkLinearizable(toOperations(events, "t"), makeModel("register"));
    expect(result.verdict).toBe("not-linearizable");
    expect(result.counterexample).toMatchObject({ key: null, prefix: [{ text: "p0 write 1" }], state: 1, stuck: [{ text: "p1 read → 2" }] });
  });

  test("a step budget gives unknown, never a hang", () => {
    const events: HistoryEvent[] = [];
    for (let p = 0; p < 12; p++) events.push({ process: p, type: "invoke", f: "write", key: null, value: p });
    for (let p = 0; p < 12; p++) events.push({ process: p, type: "ok", f: "write", key: null, value: p });
    events.push({ process: 99, type: "invoke", f: "read", key: null, value: null }, { process: 99, type: "ok", f: "read", key: null, value: 42 });
    const result = checkLinearizable(toOperations(events, "t"), makeModel("register"), { stepsMax: 1_000 });
    expect(result.verdict).toBe("unknown");
    expect(result.reason).toMatch(/steps/);
  });
});
