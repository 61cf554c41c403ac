import { describe, expect, test } from "vitest";
import type { Stat, ZkOp, ZkReply } from "../../../src/zk/types.ts";
import { compareTraces } from "./compare.ts";
import type { ObservedEvent } from "./executor.ts";
import { generateSequences, type OpSequence } from "./sequence.ts";
import { normalizeTrace, type RawTrace, type TraceStep } from "./trace.ts";
import { accountForEvents, type LedgerStep } from "./watch-ledger.ts";

/**
 * The harness's pure parts, without a server: generated sequences are fixed
 * by their seed, normalization renames exactly what may differ between two
 * correct runs (and keeps zxid gaps), the watch ledger accounts for every
 * event, and a comparison names the first step that differs.
 */

const ROOT = "/conformance-7";
/** Session 0's createSession in the raw traces below: normalized zxids count from the one before it. */
const BASE_ZXID = 0x40;

type RawStep = Omit<TraceStep, "index">;

function stat(fields: Partial<Stat>): Stat {
  return { czxid: 0, mzxid: 0, pzxid: 0, ctime: 0, mtime: 0, version: 0, cversion: 0, aversion: 0, ephemeralOwner: 0, dataLength: 0, numChildren: 0, ...fields };
}

function rawTrace(steps: readonly RawStep[], options: { sessionIds?: readonly number[]; root?: string; firstZxid?: number } = {}): RawTrace {
  const first = options.firstZxid ?? BASE_ZXID;
  return {
    name: "hand",
    root: options.root ?? ROOT,
    sessionIds: options.sessionIds ?? [4_000_001],
    setupZxids: [first, first + 1, first + 2, first + 2],
    steps: steps.map((s, index) => ({ index, ...s })),
    tree: [],
    anomalies: [],
  };
}

function opStep(op: ZkOp, reply: ZkReply, zxid: number | null, events: readonly ObservedEvent[] = [], session = 0): RawStep {
  return { step: { kind: "op", session, op }, events: events.length === 0 ? [] : [{ session, events }], reply, zxid, barriers: [] };
}

/** A create of ROOT/a by session 0 whose Stat and reply header use the given raw zxid and time. */
function createStep(zxid: number, timeMs: number, owner = 0, root = ROOT): RawStep {
  const op: ZkOp = { op: "create", path: "/a", data: null, acl: [], mode: "PERSISTENT" };
  const reply: ZkReply = {
    ok: true,
    result: { op: "create", path: `${root}/a`, stat: stat({ czxid: zxid, mzxid: zxid, pzxid: zxid, ctime: timeMs, mtime: timeMs, ephemeralOwner: owner }) },
  };
  return opStep(op, reply, zxid);
}

/** A create of ROOT/a that failed NodeExists; its reply header shows `zxid`. */
function failedCreateStep(zxid: number): RawStep {
  return opStep({ op: "create", path: "/a", data: null, acl: [], mode: "PERSISTENT" }, { ok: false, err: "NodeExists" }, zxid);
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
  test("renames zxids (Stats and reply headers) to their distance from the zxid before session 0's creation, times to their zxid's, owners to session index + 1, and strips the root", () => {
    const trace = normalizeTrace(rawTrace([createStep(BASE_ZXID + 5, 1_700_000_000_123, 4_000_001), createStep(BASE_ZXID + 3, 1_700_000_000_100)]));
    expect(trace.setupZxids).toEqual([1, 2, 3, 3]);
    const [first, second] = trace.steps;
    expect(first?.reply).toEqual({
      ok: true,
      result: { op: "create", path: "/a", stat: stat({ czxid: 6, mzxid: 6, pzxid: 6, ctime: 6, mtime: 6, ephemeralOwner: 1 }) },
    });
    expect(first?.zxid).toBe(6);
    expect(second?.reply).toEqual({ ok: true, result: { op: "create", path: "/a", stat: stat({ czxid: 4, mzxid: 4, pzxid: 4, ctime: 4, mtime: 4 }) } });
    expect(trace.anomalies).toEqual([]);
  });

  test("gives the same trace for two runs that differ only in the base zxid, times, session ids and root", () => {
    const a = normalizeTrace(rawTrace([failedCreateStep(BASE_ZXID + 3), createStep(BASE_ZXID + 4, 5_000, 77)], { sessionIds: [77] }));
    const b = normalizeTrace(
      rawTrace([failedCreateStep(0x900 + 3), createStep(0x900 + 4, 9_001, 88, "/other")], { sessionIds: [88], root: "/other", firstZxid: 0x900 }),
    );
    expect(compareTraces(a, b)).toBeNull();
  });

  test("keeps the gap a failed write leaves: a run whose failed write took no zxid differs in that reply's header zxid", () => {
    const tookOne = normalizeTrace(rawTrace([failedCreateStep(BASE_ZXID + 3), createStep(BASE_ZXID + 4, 5_000)]));
    const tookNone = normalizeTrace(rawTrace([failedCreateStep(BASE_ZXID + 2), createStep(BASE_ZXID + 3, 5_000)]));
    const diff = compareTraces(tookOne, tookNone, ["zookeeper", "zksim"]);
    expect(diff?.stepIndex).toBe(0);
    expect(diff?.message).toContain("step 0 (s0 create /a null PERSISTENT): the zxid in the reply header differs");
    expect(diff?.message).toContain("zookeeper: 4\n  zksim: 3");
  });

  test("catches a reply header that carries a stale zxid even when every Stat agrees", () => {
    const fresh = normalizeTrace(rawTrace([createStep(BASE_ZXID + 3, 5_000)]));
    const stale = normalizeTrace(rawTrace([{ ...createStep(BASE_ZXID + 3, 5_000), zxid: BASE_ZXID + 2 }]));
    expect(compareTraces(fresh, stale)?.message).toContain("the zxid in the reply header differs");
  });

  test("compares the zxids of the setup and of the sync barriers", () => {
    const a = normalizeTrace(rawTrace([{ ...createStep(BASE_ZXID + 3, 5_000), barriers: [{ session: 1, zxid: BASE_ZXID + 3 }] }]));
    const b = normalizeTrace(rawTrace([{ ...createStep(BASE_ZXID + 3, 5_000), barriers: [{ session: 1, zxid: BASE_ZXID + 2 }] }]));
    expect(compareTraces(a, b)?.message).toContain("sync barriers differ");
    const setup = normalizeTrace({ ...rawTrace([]), setupZxids: [BASE_ZXID, BASE_ZXID + 2, BASE_ZXID + 3, BASE_ZXID + 3] });
    expect(compareTraces(normalizeTrace(rawTrace([])), setup)?.message).toContain("before the first step, the reply zxids differ");
  });

  test("does not compare the header zxid of addAuth, nor of a removeWatches that the server answered NoWatcher", () => {
    const steps = (z: number): RawStep[] => [
      opStep({ op: "addAuth", scheme: "digest", auth: "u:p" }, { ok: true, result: { op: "addAuth" } }, z),
      opStep({ op: "removeWatches", path: "/a", type: "Any" }, { ok: false, err: "NoWatcher" }, z),
    ];
    const trace = normalizeTrace(rawTrace(steps(BASE_ZXID + 2)));
    expect(trace.steps.map((s) => s.zxid)).toEqual([null, null]);
    expect(compareTraces(trace, normalizeTrace(rawTrace(steps(0))))).toBeNull();
  });

  test("reports a zxid from another epoch than session 0's creation, whose difference would count nothing", () => {
    const trace = normalizeTrace(rawTrace([createStep(2 ** 32 + 1, 5_000)], { firstZxid: 7 }));
    expect(trace.steps[0]?.zxid).toBe(-1);
    expect(trace.anomalies).toEqual(["zxid 0x100000001 is from another epoch than session 0's creation (0x7): differences across epochs count nothing"]);
    // Within one epoch above 0, differences are plain.
    expect(normalizeTrace(rawTrace([createStep(5 * 2 ** 32 + 9, 5_000)], { firstZxid: 5 * 2 ** 32 + 1 })).steps[0]?.zxid).toBe(9);
  });

  test("reports a zxid that shows two times, and a time that goes backwards", () => {
    const twoTimes = normalizeTrace(rawTrace([createStep(BASE_ZXID + 3, 5_000), createStep(BASE_ZXID + 3, 5_001)]));
    expect(twoTimes.anomalies).toEqual([`zxid ${BASE_ZXID + 3} shows two times, 5000 and 5001`]);
    expect((twoTimes.steps[0]?.reply as { result: { stat: Stat } }).result.stat.ctime).toBe(-1);
    const backwards = normalizeTrace(rawTrace([createStep(BASE_ZXID + 3, 5_000), createStep(BASE_ZXID + 4, 4_999)]));
    expect(backwards.anomalies).toEqual([`time goes backwards: zxid ${BASE_ZXID + 3} at 5000, zxid ${BASE_ZXID + 4} at 4999`]);
  });

  test("reports an ephemeral owner that is none of the sequence's sessions", () => {
    expect(normalizeTrace(rawTrace([createStep(BASE_ZXID + 3, 5_000, 99)])).anomalies).toEqual(["ephemeralOwner 99 is none of the sequence's sessions"]);
  });

  test("sorts the events of a session close, whose order is the server's hash order, and keeps the order of the others", () => {
    const events = [
      { type: "NodeDeleted", path: `${ROOT}/f/1` },
      { type: "NodeChildrenChanged", path: `${ROOT}/f` },
      { type: "NodeDeleted", path: `${ROOT}/e/1` },
    ] as const;
    const trace = normalizeTrace(
      rawTrace([
        { step: { kind: "close", session: 0 }, events: [{ session: 1, events }], reply: null, zxid: null, barriers: [] },
        { step: { kind: "op", session: 0, op: { op: "sync", path: "/" } }, events: [{ session: 1, events }], reply: null, zxid: null, barriers: [] },
      ]),
    );
    expect(trace.steps[0]?.events[0]?.events.map((e) => e.path)).toEqual(["/e/1", "/f", "/f/1"]);
    expect(trace.steps[1]?.events[0]?.events.map((e) => e.path)).toEqual(["/f/1", "/f", "/e/1"]);
  });

  test("sorts children and ephemeral paths, which the server returns in hash order", () => {
    const trace = normalizeTrace(
      rawTrace([
        opStep({ op: "getChildren", path: "/", watch: false, withStat: false }, { ok: true, result: { op: "getChildren", children: ["c", "a", "b"], stat: null } }, BASE_ZXID),
        opStep({ op: "getEphemerals", prefix: "/" }, { ok: true, result: { op: "getEphemerals", paths: [`${ROOT}/e`, `${ROOT}/a`] } }, BASE_ZXID),
      ]),
    );
    expect(trace.steps.map((s) => s.reply)).toEqual([
      { ok: true, result: { op: "getChildren", children: ["a", "b", "c"], stat: null } },
      { ok: true, result: { op: "getEphemerals", paths: ["/a", "/e"] } },
    ]);
  });

  test("reports, as an anomaly, an event that no watch of its session accounts for", () => {
    const getDataWatch = opStep({ op: "getData", path: "/a", watch: true }, { ok: true, result: { op: "getData", data: null, stat: stat({}) } }, BASE_ZXID);
    const changed = (z: number): RawStep => opStep({ op: "setData", path: "/a", data: "x", version: -1 }, { ok: true, result: { op: "setData", stat: stat({ mzxid: z }) } }, z, [{ type: "NodeDataChanged", path: `${ROOT}/a` }]);
    expect(normalizeTrace(rawTrace([getDataWatch, changed(BASE_ZXID + 3)])).anomalies).toEqual([]);
    expect(normalizeTrace(rawTrace([getDataWatch, changed(BASE_ZXID + 3), changed(BASE_ZXID + 4)])).anomalies).toEqual([
      "step 2: session 0 received NodeDataChanged /a, which no watch it holds accounts for (a one-shot watch accounts for one event)",
    ]);
  });
});

describe("the watch ledger", () => {
  const op = (index: number, session: number, o: ZkOp, reply: ZkReply, events: readonly { session: number; events: readonly ObservedEvent[] }[] = []): LedgerStep => ({
    index,
    step: { kind: "op", session, op: o },
    events,
    reply,
  });
  /** The ledger reads only whether a reply is ok. */
  const OK: ZkReply = { ok: true, result: { op: "addWatch" } };
  const event = (session: number, type: ObservedEvent["type"], path: string) => [{ session, events: [{ type, path }] }];
  const write: ZkOp = { op: "sync", path: "/" }; // what caused the events does not matter to the ledger

  test("a one-shot watch accounts for one event; exists arms one on a missing node; a failed getData arms none", () => {
    const outcome = accountForEvents([
      op(0, 0, { op: "exists", path: "/x", watch: true }, { ok: true, result: { op: "exists", stat: null } }),
      op(1, 0, { op: "getData", path: "/y", watch: true }, { ok: false, err: "NoNode" }),
      op(2, 1, write, OK, event(0, "NodeCreated", "/x")),
      op(3, 1, write, OK, event(0, "NodeCreated", "/y")),
      op(4, 1, write, OK, event(0, "NodeDataChanged", "/x")),
    ]);
    expect(outcome.oneShot).toBe(1);
    expect(outcome.unaccounted).toEqual([
      "step 3: session 0 received NodeCreated /y, which no watch it holds accounts for (a one-shot watch accounts for one event)",
      "step 4: session 0 received NodeDataChanged /x, which no watch it holds accounts for (a one-shot watch accounts for one event)",
    ]);
  });

  test("NodeDeleted uses up the data and the child watch of its path; NodeChildrenChanged only the child watch", () => {
    const outcome = accountForEvents([
      op(0, 0, { op: "getData", path: "/a", watch: true }, OK),
      op(1, 0, { op: "getChildren", path: "/a", watch: true, withStat: false }, OK),
      op(2, 0, { op: "getChildren", path: "/b", watch: true, withStat: false }, OK),
      op(3, 1, write, OK, event(0, "NodeDeleted", "/a")),
      op(4, 1, write, OK, event(0, "NodeChildrenChanged", "/a")),
      op(5, 1, write, OK, event(0, "NodeChildrenChanged", "/b")),
      op(6, 1, write, OK, event(0, "NodeDataChanged", "/b")),
    ]);
    expect(outcome.oneShot).toBe(2);
    expect(outcome.unaccounted.map((line) => line.split(",")[0])).toEqual(["step 4: session 0 received NodeChildrenChanged /a", "step 6: session 0 received NodeDataChanged /b"]);
  });

  test("persistent and recursive watches account for any number of events until removed; a close drops every watch", () => {
    const outcome = accountForEvents([
      op(0, 0, { op: "addWatch", path: "/p", mode: "PERSISTENT" }, OK),
      op(1, 0, { op: "addWatch", path: "/r", mode: "PERSISTENT_RECURSIVE" }, OK),
      op(2, 0, { op: "getData", path: "/d", watch: true }, OK),
      op(3, 1, write, OK, [{ session: 0, events: [{ type: "NodeDataChanged", path: "/p" }, { type: "NodeChildrenChanged", path: "/p" }, { type: "NodeCreated", path: "/r/x/y" }] }]),
      op(4, 1, write, OK, event(0, "NodeDataChanged", "/p")),
      op(5, 0, { op: "removeWatches", path: "/p", type: "Any" }, OK),
      op(6, 1, write, OK, event(0, "NodeDataChanged", "/p")),
      op(7, 1, write, OK, event(0, "NodeDataChanged", "/rx")),
      { index: 8, step: { kind: "close", session: 0 }, events: [], reply: null },
      op(9, 1, write, OK, event(0, "NodeDataChanged", "/d")),
    ]);
    expect(outcome.persistent).toBe(4);
    expect(outcome.unaccounted.map((line) => line.split(",")[0])).toEqual([
      "step 6: session 0 received NodeDataChanged /p",
      "step 7: session 0 received NodeDataChanged /rx",
      "step 9: session 0 received NodeDataChanged /d",
    ]);
  });
});

describe("compareTraces", () => {
  test("names the first step whose reply differs, with its op and both replies", () => {
    const a = normalizeTrace(rawTrace([createStep(BASE_ZXID + 3, 5_000), createStep(BASE_ZXID + 4, 5_000)]));
    const failed: RawStep = { ...createStep(BASE_ZXID + 4, 5_000), reply: { ok: false, err: "NodeExists" } };
    const b = normalizeTrace(rawTrace([createStep(BASE_ZXID + 3, 5_000), failed]));
    const diff = compareTraces(a, b, ["zookeeper", "zksim"]);
    expect(diff?.stepIndex).toBe(1);
    expect(diff?.message).toContain("step 1 (s0 create /a null PERSISTENT): the replies differ");
    expect(diff?.message).toContain('zksim: {"err":"NodeExists","ok":false}');
  });

  test("compares watch events before replies, so an extra event names the step it arrived in", () => {
    const a = normalizeTrace(rawTrace([createStep(BASE_ZXID + 3, 5_000)]));
    const b = normalizeTrace(rawTrace([{ ...createStep(BASE_ZXID + 3, 5_000), events: [{ session: 0, events: [{ type: "NodeCreated", path: `${ROOT}/a` }] }] }]));
    expect(compareTraces(a, b)?.message).toContain("the watch events it caused differ");
  });

  test("does not care about key order", () => {
    const a = normalizeTrace(rawTrace([createStep(BASE_ZXID + 3, 5_000)]));
    const reordered = JSON.parse(JSON.stringify(a, (_k, v: unknown) => (v !== null && typeof v === "object" && !Array.isArray(v) ? Object.fromEntries(Object.entries(v).reverse()) : v)));
    expect(compareTraces(a, reordered)).toBeNull();
  });
});
