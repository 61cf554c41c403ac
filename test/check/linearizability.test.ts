import { describe, expect, test } from "vitest";
import { BENCH_HISTORY_DEFAULTS, casRegisterHistory } from "../../bench/histories.ts";
import { checkLinearizable, makeModel, toOperations, type HistoryEvent, type ModelName } from "../../src/check/index.ts";

/**
 * Verdicts the search must not get wrong, each on a small history built by
 * hand, where a wrong verdict once came from.
 */

type V = HistoryEvent["value"];
const invoke = (process: number, f: string, value: V, key: string | null = null): HistoryEvent => ({ process, type: "invoke", f, key, value });
const ok = (process: number, f: string, value: V, key: string | null = null): HistoryEvent => ({ process, type: "ok", f, key, value });
const info = (process: number, f: string, value: V, key: string | null = null): HistoryEvent => ({ process, type: "info", f, key, value });

/** The verdict, which must not change when the cache's hash keeps 1 bit (then only whole-record comparison tells sets and states apart). */
function verdict(model: ModelName, events: readonly HistoryEvent[], initialValue?: V) {
  const ops = toOperations(events, "t");
  const m = makeModel(model, initialValue === undefined ? {} : { initialValue });
  const result = checkLinearizable(ops, m).verdict;
  expect(checkLinearizable(ops, m, { hashBits: 1 }).verdict).toBe(result);
  return result;
}

/**
 * Two concurrent writes of `a` and `b`, then a read of `a`: linearizable
 * (b, a, read). The search first tries a then b (the state b), finds that
 * the read refuses it, and must then try b then a: the same set of
 * operations, a different state. If the two states share a cache key, that
 * order is wrongly taken as explored already.
 */
function writesThenRead(a: V, b: V): HistoryEvent[] {
  return [invoke(0, "write", a), invoke(1, "write", b), ok(0, "write", a), ok(1, "write", b), invoke(2, "read", null), ok(2, "read", a)];
}

describe("states are told apart exactly", () => {
  const pairs: readonly [string, V, V][] = [
    ["arrays whose items hold the separator", ["a", "b"], ["a,sb"]],
    ["objects whose strings hold a field's text", { a: "x", b: "y" }, { a: 'x,"b":sy' }],
    ["a string starting with NUL and an array", "\u0000[sa]", ["a"]],
    ["a string and a number", "1", 1],
    ["null and the string null", null, "null"],
    ["nested arrays and flat ones", [["a"], "b"], ["a", ["b"]]],
  ];
  for (const [what, a, b] of pairs) {
    test(`${what}: ${JSON.stringify(a)} and ${JSON.stringify(b)}`, () => {
      expect(verdict("cas-register", writesThenRead(a, b))).toBe("linearizable");
      expect(verdict("cas-register", writesThenRead(b, a))).toBe("linearizable");
    });
  }

  test("znode states [data, version] whose data collide under a joined key", () => {
    // Two setData of unknown outcome: either order gives version 2, with the other's data.
    const a = ["a", "b"];
    const b = ["a,sb"];
    const events: HistoryEvent[] = [
      invoke(9, "create", null, "/n"),
      ok(9, "create", null, "/n"),
      invoke(0, "setData", [a, -1], "/n"),
      invoke(1, "setData", [b, -1], "/n"),
      info(0, "setData", [a, -1], "/n"),
      info(1, "setData", [b, -1], "/n"),
      invoke(2, "getData", null, "/n"),
      ok(2, "getData", [a, 2], "/n"),
    ];
    expect(verdict("znode", events)).toBe("linearizable");
  });
});

describe("an operation of unknown outcome may never have happened", () => {
  test("kv-append: an append that cannot apply (the value is not a string) may simply not have happened", () => {
    const events = [invoke(0, "write", 5, "k"), ok(0, "write", 5, "k"), invoke(1, "append", "x", "k"), info(1, "append", "x", "k"), invoke(2, "read", null, "k"), ok(2, "read", 5, "k")];
    expect(verdict("kv-append", events)).toBe("linearizable");
    expect(verdict("kv-append", [invoke(1, "append", "x", "k"), info(1, "append", "x", "k")], null)).toBe("linearizable");
  });

  test("kv-append: an append of unknown outcome that a read saw must still fit", () => {
    const events = [invoke(1, "append", "x", "k"), info(1, "append", "x", "k"), invoke(2, "read", null, "k"), ok(2, "read", "xx", "k")];
    expect(verdict("kv-append", events)).toBe("not-linearizable");
    expect(verdict("kv-append", [...events.slice(0, 3), ok(2, "read", "x", "k")])).toBe("linearizable");
  });

  test("znode: a create of unknown outcome under a node that exists, and a delete of one that does not", () => {
    const events = [
      invoke(0, "create", "a", "/n"),
      ok(0, "create", "a", "/n"),
      invoke(1, "create", "b", "/n"),
      info(1, "create", "b", "/n"),
      invoke(2, "getData", null, "/n"),
      ok(2, "getData", ["a", 0], "/n"),
    ];
    expect(verdict("znode", events)).toBe("linearizable");
  });
});

describe("long histories", () => {
  // The benchmark's generator: 8 processes against one register (the good history with a few operations of
  // unknown outcome, 2 in 1,000); the bad history has one read, 70% of the way in, of a value nothing wrote.
  const long = (operations: number, linearizable: boolean, infoPerMillion: number) => toOperations(casRegisterHistory({ ...BENCH_HISTORY_DEFAULTS, operations, seed: 1, linearizable, infoPerMillion }), "generated");
  const good = long(40_000, true, 2_000);
  const bad = long(40_000, false, 0);

  test("40,000 operations of 8 processes: linearizable, in seconds and a few MB (it took 20 s and more, and GBs)", () => {
    const started = performance.now();
    const result = checkLinearizable(good, makeModel("cas-register"));
    expect(result.verdict).toBe("linearizable");
    expect(performance.now() - started).toBeLessThan(10_000);
    expect(result.memoryBytes).toBeLessThan(50e6);
  });

  test("40,000 operations with one impossible read: not linearizable, and the counterexample ends at that read", () => {
    const started = performance.now();
    const result = checkLinearizable(bad, makeModel("cas-register"));
    expect(result.verdict).toBe("not-linearizable");
    expect(performance.now() - started).toBeLessThan(20_000);
    expect(result.memoryBytes).toBeLessThan(100e6);
    const c = result.counterexample;
    expect(c?.stuck.some((op) => op.text.endsWith("read → 5"))).toBe(true);
    // The longest order reaches the read: it holds everything that completed before the read was invoked.
    const read = bad.find((op) => op.output === 5);
    const before = bad.filter((op) => op.outcome === "ok" && read !== undefined && op.ret < read.call).length;
    expect(c?.prefix.length).toBeGreaterThanOrEqual(before);
  });

  test("the memory budget ends the search with unknown, and the tables never pass it", () => {
    const limit = 5e6;
    const result = checkLinearizable(bad, makeModel("cas-register"), { memoryBytesMax: limit });
    expect(result.verdict).toBe("unknown");
    expect(result.reason).toBe("the search's tables reached the memory limit of 5 MB");
    expect(result.memoryBytes).toBeLessThanOrEqual(limit);
  });

  test("the stop callback ends the search with unknown, asked every few thousand steps", () => {
    let asked = 0;
    const result = checkLinearizable(bad, makeModel("cas-register"), { stop: () => ++asked === 3 });
    expect(result.verdict).toBe("unknown");
    expect(result.reason).toBe("the time budget ran out");
    expect(result.steps).toBeLessThan(3 * 5_000);
  });
});

describe("budgets over many parts", () => {
  test("once the time budget runs out, no other part is searched (each would take thousands of steps to notice)", () => {
    // 200 keys, each with a history that needs backtracking.
    const events: HistoryEvent[] = [];
    for (let k = 0; k < 200; k++) events.push(...casRegisterHistory({ ...BENCH_HISTORY_DEFAULTS, operations: 400, seed: k + 1, linearizable: true, infoPerMillion: 0 }).map((e) => ({ ...e, process: e.process + 1_000 * k, key: `k${k}` })));
    let asked = 0;
    const result = checkLinearizable(toOperations(events, "t"), makeModel("kv"), { stop: () => ++asked > 1 });
    expect(result.verdict).toBe("unknown");
    expect(result.limit).toBe("time");
    expect(asked).toBe(2);
  });
});
