import { describe, expect, test } from "vitest";
import { checkLinearizable, makeModel, toOperations, type HistoryEvent, type ModelName } from "../../src/check/index.ts";

/**
 * Verdicts the search must not get wrong, each on a small history built by
 * hand, where a wrong verdict once came from.
 */

type V = HistoryEvent["value"];
const invoke = (process: number, f: string, value: V, key: string | null = null): HistoryEvent => ({ process, type: "invoke", f, key, value });
const ok = (process: number, f: string, value: V, key: string | null = null): HistoryEvent => ({ process, type: "ok", f, key, value });
const info = (process: number, f: string, value: V, key: string | null = null): HistoryEvent => ({ process, type: "info", f, key, value });

function verdict(model: ModelName, events: readonly HistoryEvent[], initialValue?: V) {
  return checkLinearizable(toOperations(events, "t"), makeModel(model, initialValue === undefined ? {} : { initialValue })).verdict;
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
