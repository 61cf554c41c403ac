import fc from "fast-check";
import { describe, expect, test } from "vitest";
import { AssertionError } from "../../src/sim/index.ts";
import { DataTree, OPEN_ACL, ZkState } from "../../src/zk/index.ts";
import { bareTree, Clock, historyArb, observe, run, SESSION_IDS, stepArb, txnOf } from "./tree-workload.ts";
import type { Target } from "./tree-workload.ts";

/** A snapshot as it travels: through JSON, as the Paxos layer sends it to a lagging replica. */
function throughJson(snapshot: unknown): unknown {
  return JSON.parse(JSON.stringify(snapshot));
}

/** Every session id a workload can name, and a few it cannot. */
const ALL_SESSION_IDS = [...SESSION_IDS, 0, 4, 7];

/**
 * Applies the same transactions to the original and the restored copy, and
 * demands the same outcome, digest and (for ZkState) last xids after each.
 */
function sameFuture(original: Target, restored: Target, future: Parameters<typeof run>[1], clock: Clock, lastXids?: (t: Target) => number[]): void {
  for (const step of future) {
    const { txn, origin } = txnOf(step, original.tree, clock);
    expect(restored.apply(txn, origin)).toStrictEqual(original.apply(txn, origin));
    expect(restored.tree.digest()).toBe(original.tree.digest());
    if (lastXids !== undefined) expect(lastXids(restored)).toEqual(lastXids(original));
  }
  expect(restored.tree.inspect()).toStrictEqual(original.tree.inspect());
  expect(observe(restored.tree, clock.timeMs)).toStrictEqual(observe(original.tree, clock.timeMs));
}

describe("tree snapshots", () => {
  test("property: a restored tree is the same tree: every record, query, digest, each session's ephemerals and timeout, the indexes, and the same future (fast-check seed 21, 150 runs)", () => {
    fc.assert(
      fc.property(historyArb, fc.array(stepArb, { maxLength: 40 }), (history, future) => {
        const original = bareTree();
        const clock = new Clock();
        run(original, history, clock);
        const restored = bareTree(DataTree.fromSnapshot(throughJson(original.tree.toSnapshot()), { extendedTypesEnabled: true }));

        expect(restored.tree.inspect()).toStrictEqual(original.tree.inspect());
        expect(restored.tree.consistencyProblems()).toEqual([]);
        expect(observe(restored.tree, clock.timeMs)).toStrictEqual(observe(original.tree, clock.timeMs));
        expect(throughJson(restored.tree.toSnapshot())).toStrictEqual(throughJson(original.tree.toSnapshot()));
        // Every session closes or expires, then the future: ephemerals, containers and TTL nodes go as they would have.
        const ending = ALL_SESSION_IDS.map((sessionId, i) => ({ kind: "closeSession" as const, sessionId, reason: i % 2 === 0 ? ("expire" as const) : ("close" as const), advanceMs: 0 }));
        sameFuture(original, restored, [...future, ...ending, { kind: "reap", pick: 0, advanceMs: 5_000 }, { kind: "reap", pick: 1, advanceMs: 0 }], clock);
      }),
      { seed: 21, numRuns: 150 },
    );
  });

  test("property: a restored ZkState keeps lastZxid and every session's last xid, and goes on as the original does (fast-check seed 22, 100 runs)", () => {
    fc.assert(
      fc.property(historyArb, fc.array(stepArb, { maxLength: 30 }), (history, future) => {
        const original = new ZkState(true);
        const clock = new Clock();
        run(original, history, clock);
        const restored = ZkState.fromSnapshot(throughJson(original.toSnapshot()), true);
        const lastXids = (state: Target) => ALL_SESSION_IDS.map((id) => (state as ZkState).lastXid(id));

        expect(restored.lastZxid).toBe(original.lastZxid);
        expect(lastXids(restored)).toEqual(lastXids(original));
        expect(restored.sessions()).toEqual(original.sessions());
        expect(restored.tree.inspect()).toStrictEqual(original.tree.inspect());
        expect(throughJson(restored.toSnapshot())).toStrictEqual(throughJson(original.toSnapshot()));
        sameFuture(original, restored, future, clock, lastXids);
        expect(restored.lastZxid).toBe(original.lastZxid);
      }),
      { seed: 22, numRuns: 100 },
    );
  });

  test("a snapshot names its fields and its format version, and carries sessions with their timeouts and ephemerals", () => {
    const { tree } = bareTree();
    const caller = { sessionId: 5, authIds: ["world:anyone"] };
    tree.applyTxn({ zxid: 1, timeMs: 10, body: { type: "createSession", sessionId: 5, timeoutMs: 6_000 } });
    tree.applyTxn({ zxid: 2, timeMs: 20, body: { type: "write", caller, request: { op: "create", path: "/e", data: "d", acl: OPEN_ACL, mode: "EPHEMERAL" } } });
    const snapshot = tree.toSnapshot();
    expect(snapshot.formatVersion).toBe(1);
    expect(snapshot.sessions).toEqual([{ sessionId: 5, timeoutMs: 6_000, ephemerals: ["/e"] }]);
    expect(snapshot.nodes.find((n) => n.path === "/e")).toEqual({
      path: "/e",
      data: "d",
      acl: OPEN_ACL,
      czxid: 2,
      mzxid: 2,
      pzxid: 2,
      ctime: 20,
      mtime: 20,
      version: 0,
      childCreates: 0,
      aversion: 0,
      ephemeralOwner: 5,
      kind: "ephemeral",
      ttlMs: 0,
    });
  });

  describe("a snapshot that is not one this code could have written is refused with the reason", () => {
    const valid = () => {
      const { tree } = bareTree();
      const caller = { sessionId: 5, authIds: ["world:anyone"] };
      tree.applyTxn({ zxid: 1, timeMs: 10, body: { type: "createSession", sessionId: 5, timeoutMs: 6_000 } });
      tree.applyTxn({ zxid: 2, timeMs: 20, body: { type: "write", caller, request: { op: "create", path: "/p", data: null, acl: OPEN_ACL, mode: "PERSISTENT" } } });
      tree.applyTxn({ zxid: 3, timeMs: 30, body: { type: "write", caller, request: { op: "create", path: "/p/e", data: null, acl: OPEN_ACL, mode: "EPHEMERAL" } } });
      return throughJson(tree.toSnapshot()) as { formatVersion: number; nodes: Record<string, unknown>[]; sessions: Record<string, unknown>[] };
    };
    const refusal = (snapshot: unknown): string => {
      try {
        DataTree.fromSnapshot(snapshot, { extendedTypesEnabled: true });
      } catch (error) {
        expect(error).toBeInstanceOf(AssertionError);
        return (error as Error).message;
      }
      return "accepted";
    };
    const nodeAt = (s: ReturnType<typeof valid>, path: string) => s.nodes.find((n) => n.path === path) as Record<string, unknown>;

    test("the valid one is accepted", () => expect(refusal(valid())).toBe("accepted"));
    test("another format version", () => expect(refusal({ ...valid(), formatVersion: 2 })).toMatch(/formatVersion/));
    test("the old 14-element tuples", () => expect(refusal({ ...valid(), nodes: [["/", "", OPEN_ACL, 0, 0, 0, 0, 0, 0, 0, 0, 0, "persistent", 0]] })).toMatch(/nodes\.0/));
    test("a node without its ephemeralOwner", () => {
      const s = valid();
      delete nodeAt(s, "/p/e").ephemeralOwner;
      expect(refusal(s)).toMatch(/ephemeralOwner/);
    });
    test("an ephemeral whose owner is not a live session", () => {
      const s = valid();
      nodeAt(s, "/p/e").ephemeralOwner = 6;
      expect(refusal(s)).toMatch(/owned by session 6, which is not live/);
    });
    test("a session that does not list its ephemerals", () => {
      const s = valid();
      (s.sessions[0] as Record<string, unknown>).ephemerals = [];
      expect(refusal(s)).toMatch(/session 5: lists ephemerals \[\], owns \[\/p\/e\]/);
    });
    test("a session without its timeout", () => {
      const s = valid();
      delete (s.sessions[0] as Record<string, unknown>).timeoutMs;
      expect(refusal(s)).toMatch(/timeoutMs/);
    });
    test("a node without its parent, or out of order", () => {
      const s = valid();
      expect(refusal({ ...s, nodes: s.nodes.filter((n) => n.path !== "/p") })).toMatch(/\/p\/e: no parent/);
      expect(refusal({ ...s, nodes: [...s.nodes].reverse() })).toMatch(/not in path order/);
    });
    test("a persistent node with an owner, a TTL node without a TTL, a missing server node", () => {
      const s = valid();
      nodeAt(s, "/p").ephemeralOwner = 5;
      expect(refusal(s)).toMatch(/a persistent node with ephemeralOwner 5/);
      const t = valid();
      nodeAt(t, "/p").kind = "ttl";
      expect(refusal(t)).toMatch(/a ttl node with ttlMs 0/);
      const u = valid();
      expect(refusal({ ...u, nodes: u.nodes.filter((n) => n.path !== "/zookeeper/quota") })).toMatch(/\/zookeeper\/quota is missing/);
    });
    test("a ZkState snapshot without lastZxid or with a malformed last xid", () => {
      const state = new ZkState(true);
      state.apply({ zxid: 1, timeMs: 1, body: { type: "createSession", sessionId: 5, timeoutMs: 6_000 } }, null);
      const snapshot = throughJson(state.toSnapshot()) as Record<string, unknown>;
      expect(() => ZkState.fromSnapshot({ ...snapshot, lastZxid: undefined }, true)).toThrow(/lastZxid/);
      expect(() => ZkState.fromSnapshot({ ...snapshot, lastXids: [[5, 1]] }, true)).toThrow(/lastXids/);
      expect(() => ZkState.fromSnapshot({ ...snapshot, formatVersion: 0 }, true)).toThrow(/formatVersion/);
    });
  });
});
