import { describe, expect, test } from "vitest";
import type { Stat, ZkReply } from "../../../src/zk/types.ts";
import { compareTraces } from "./compare.ts";
import { generateSequences, type OpSequence } from "./sequence.ts";
import { normalizeTrace, type RawTrace, type TraceStep } from "./trace.ts";

/**
 * The harness's pure parts, without a server: generated sequences are fixed
 * by their seed, normalization renames exactly what may differ between two
 * correct runs, and a comparison names the first step that differs.
 */

const ROOT = "/conformance-7";

function stat(fields: Partial<Stat>): Stat {
  return { czxid: 0, mzxid: 0, pzxid: 0, ctime: 0, mtime: 0, version: 0, cversion: 0, aversion: 0, ephemeralOwner: 0, dataLength: 0, numChildren: 0, ...fields };
}

function rawTrace(steps: readonly Omit<TraceStep, "index">[], sessionIds: readonly number[] = [4_000_001], root = ROOT): RawTrace {
  return { name: "hand", root, sessionIds, steps: steps.map((s, index) => ({ index, ...s })), tree: [], anomalies: [] };
}

/** A create of ROOT/a by session 0 whose Stat uses the given raw zxids and times. */
function createStep(zxid: number, timeMs: number, owner = 0, root = ROOT): Omit<TraceStep, "index"> {
  const reply: ZkReply = {
    ok: true,
    result: { op: "create", path: `${root}/a`, stat: stat({ czxid: zxid, mzxid: zxid, pzxid: zxid, ctime: timeMs, mtime: timeMs, ephemeralOwner: owner }) },
  };
  return { step: { kind: "op", session: 0, op: { op: "sync", path: "/a" } }, events: [{ session: 0, events: [{ type: "NodeCreated", path: `${root}/a` }] }], reply };
}

describe("generated sequences", () => {
  test("the same seed gives the same sequences, and another seed different ones", () => {
    const shape = { sessionCount: 3, stepCountMin: 5, stepCountMax: 30 };
    const first = generateSequences(42, 10, shape);
    expect(generateSequences(42, 10, shape)).toEqual(first);
    expect(generateSequences(43, 10, shape)).not.toEqual(first);
  });

  test("use every kind of op (ACLs and addAuth included), every create mode, several sessions and session closes", () => {
    const sequences: OpSequence[] = generateSequences(1, 200, { sessionCount: 3, stepCountMin: 10, stepCountMax: 40 });
    const kinds = new Set<string>();
    const modes = new Set<string>();
    const sessions = new Set<number>();
    for (const s of sequences) {
      for (const step of s.steps) {
        sessions.add(step.session);
        kinds.add(step.kind === "close" ? "close" : step.op.op);
        if (step.kind === "op" && step.op.op === "create") modes.add(step.op.mode);
      }
    }
    expect([...kinds].sort()).toEqual(["addAuth", "addWatch", "close", "create", "delete", "exists", "getACL", "getAllChildrenNumber", "getChildren", "getData", "getEphemerals", "multi", "removeWatches", "setACL", "setData", "sync"]);
    expect([...modes].sort()).toEqual(["CONTAINER", "EPHEMERAL", "EPHEMERAL_SEQUENTIAL", "PERSISTENT", "PERSISTENT_SEQUENTIAL", "PERSISTENT_WITH_TTL"]);
    expect([...sessions].sort()).toEqual([0, 1, 2]);
  });
});

describe("normalizeTrace", () => {
  test("renames zxids to their rank, times to their zxid's rank, owners to session index + 1, and strips the root", () => {
    const trace = normalizeTrace(rawTrace([createStep(0x500, 1_700_000_000_123, 4_000_001), createStep(0x2ff, 1_700_000_000_100)]));
    const [first, second] = trace.steps;
    expect(first?.reply).toEqual({
      ok: true,
      result: { op: "create", path: "/a", stat: stat({ czxid: 2, mzxid: 2, pzxid: 2, ctime: 2, mtime: 2, ephemeralOwner: 1 }) },
    });
    expect(first?.events).toEqual([{ session: 0, events: [{ type: "NodeCreated", path: "/a" }] }]);
    expect(second?.reply).toEqual({ ok: true, result: { op: "create", path: "/a", stat: stat({ czxid: 1, mzxid: 1, pzxid: 1, ctime: 1, mtime: 1 }) } });
    expect(trace.anomalies).toEqual([]);
  });

  test("gives the same trace for two runs that differ only in zxid gaps, times, session ids and root", () => {
    const a = normalizeTrace(rawTrace([createStep(10, 5_000, 77), createStep(11, 5_000)], [77]));
    const b = normalizeTrace(rawTrace([createStep(20, 9_001, 88, "/other"), createStep(25, 9_002, 0, "/other")], [88], "/other"));
    expect(compareTraces(a, b)).toBeNull();
  });

  test("reports a zxid that shows two times, and a time that goes backwards", () => {
    const twoTimes = normalizeTrace(rawTrace([createStep(10, 5_000), createStep(10, 5_001)]));
    expect(twoTimes.anomalies).toEqual(["zxid 10 shows two times, 5000 and 5001"]);
    expect((twoTimes.steps[0]?.reply as { result: { stat: Stat } }).result.stat.ctime).toBe(-1);
    const backwards = normalizeTrace(rawTrace([createStep(10, 5_000), createStep(11, 4_999)]));
    expect(backwards.anomalies).toEqual(["time goes backwards: zxid 10 at 5000, zxid 11 at 4999"]);
  });

  test("reports an ephemeral owner that is none of the sequence's sessions", () => {
    expect(normalizeTrace(rawTrace([createStep(10, 5_000, 99)])).anomalies).toEqual(["ephemeralOwner 99 is none of the sequence's sessions"]);
  });

  test("sorts the events of a session close, whose order is the server's hash order, and keeps the order of the others", () => {
    const events = [
      { type: "NodeDeleted", path: `${ROOT}/f/1` },
      { type: "NodeChildrenChanged", path: `${ROOT}/f` },
      { type: "NodeDeleted", path: `${ROOT}/e/1` },
    ] as const;
    const trace = normalizeTrace(
      rawTrace([
        { step: { kind: "close", session: 0 }, events: [{ session: 1, events }], reply: null },
        { step: { kind: "op", session: 0, op: { op: "sync", path: "/" } }, events: [{ session: 1, events }], reply: null },
      ]),
    );
    expect(trace.steps[0]?.events[0]?.events.map((e) => e.path)).toEqual(["/e/1", "/f", "/f/1"]);
    expect(trace.steps[1]?.events[0]?.events.map((e) => e.path)).toEqual(["/f/1", "/f", "/e/1"]);
  });

  test("sorts children and ephemeral paths, which the server returns in hash order", () => {
    const trace = normalizeTrace(
      rawTrace([
        { step: { kind: "op", session: 0, op: { op: "getChildren", path: "/", watch: false, withStat: false } }, events: [], reply: { ok: true, result: { op: "getChildren", children: ["c", "a", "b"], stat: null } } },
        { step: { kind: "op", session: 0, op: { op: "getEphemerals", prefix: "/" } }, events: [], reply: { ok: true, result: { op: "getEphemerals", paths: [`${ROOT}/e`, `${ROOT}/a`] } } },
      ]),
    );
    expect(trace.steps.map((s) => s.reply)).toEqual([
      { ok: true, result: { op: "getChildren", children: ["a", "b", "c"], stat: null } },
      { ok: true, result: { op: "getEphemerals", paths: ["/a", "/e"] } },
    ]);
  });
});

describe("compareTraces", () => {
  test("names the first step whose reply differs, with its op and both replies", () => {
    const a = normalizeTrace(rawTrace([createStep(10, 5_000), createStep(11, 5_000)]));
    const failed: Omit<TraceStep, "index"> = { ...createStep(12, 5_000), reply: { ok: false, err: "NodeExists" } };
    const b = normalizeTrace(rawTrace([createStep(10, 5_000), failed]));
    const diff = compareTraces(a, b, ["zookeeper", "zksim"]);
    expect(diff?.stepIndex).toBe(1);
    expect(diff?.message).toContain("step 1 (s0 sync /a): the replies differ");
    expect(diff?.message).toContain('zksim: {"err":"NodeExists","ok":false}');
  });

  test("compares watch events before replies", () => {
    const a = normalizeTrace(rawTrace([createStep(10, 5_000)]));
    const b = normalizeTrace(rawTrace([{ ...createStep(10, 5_000), events: [] }]));
    expect(compareTraces(a, b)?.message).toContain("the watch events it caused differ");
  });

  test("does not care about key order", () => {
    const a = normalizeTrace(rawTrace([createStep(10, 5_000)]));
    const reordered = JSON.parse(JSON.stringify(a, (_k, v: unknown) => (v !== null && typeof v === "object" && !Array.isArray(v) ? Object.fromEntries(Object.entries(v).reverse()) : v)));
    expect(compareTraces(a, reordered)).toBeNull();
  });
});
