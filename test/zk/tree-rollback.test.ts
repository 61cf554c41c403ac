import fc from "fast-check";
import { describe, expect, test } from "vitest";
import { DataTree, OPEN_ACL } from "../../src/zk/index.ts";
import type { CreateMode, MultiOp, MultiResult, Txn } from "../../src/zk/index.ts";
import { bareTree, callerOf, Clock, historyArb, multiOpOf, observe, opArb, run, SESSION_IDS } from "./tree-workload.ts";
import type { OpSpec, StepSpec } from "./tree-workload.ts";

/** A history applied to a fresh tree, and the clock after it. */
function replay(history: readonly StepSpec[]): { tree: DataTree; clock: Clock } {
  const target = bareTree();
  const clock = new Clock();
  run(target, history, clock);
  return { tree: target.tree, clock };
}

/**
 * A multi that fails at a chosen op: on a scratch copy of the tree, the
 * candidate ops that succeed there are kept (each runs on what the earlier
 * ones left, as inside the multi), then the failing op: the one asked for if
 * it fails there, else a check with version -2, which always fails. The ops
 * after it never run.
 */
function failingMulti(history: readonly StepSpec[], sessionId: number, candidates: readonly OpSpec[], failing: OpSpec, tail: readonly OpSpec[]) {
  const { tree: scratch, clock } = replay(history);
  const caller = callerOf(sessionId, false);
  const tryOp = (op: MultiOp): boolean => {
    clock.zxid++;
    return scratch.applyTxn({ zxid: clock.zxid, timeMs: clock.timeMs, body: { type: "write", caller, request: { op: "multi", ops: [op] } } }).reply.ok;
  };
  const ops: MultiOp[] = [];
  for (const candidate of candidates) {
    const op = multiOpOf(candidate, scratch);
    if (tryOp(op)) ops.push(op);
  }
  const asked = multiOpOf(failing, scratch);
  const failingOp: MultiOp = tryOp(asked) ? { op: "check", path: asked.path, version: -2 } : asked;
  return { ops: [...ops, failingOp, ...tail.map((op) => multiOpOf(op, scratch))], failedAt: ops.length };
}

describe("a failed multi", () => {
  test("property: leaves the tree exactly as it was: every record and Stat, the digest, each session's ephemerals, the indexes, every answer (fast-check seed 5, 200 runs)", () => {
    let opsRolledBack = 0;
    fc.assert(
      fc.property(
        historyArb,
        fc.constantFrom(...SESSION_IDS, 1, 2, 3),
        fc.array(opArb, { maxLength: 10 }),
        opArb,
        fc.array(opArb, { maxLength: 2 }),
        (history, sessionId, candidates, failing, tail) => {
          const { ops, failedAt } = failingMulti(history, sessionId, candidates, failing, tail);
          const { tree, clock } = replay(history);
          const before = tree.inspect();
          const answers = observe(tree, clock.timeMs);
          const txn: Txn = { zxid: clock.zxid + 1, timeMs: clock.timeMs, body: { type: "write", caller: callerOf(sessionId, false), request: { op: "multi", ops } } };
          const outcome = tree.applyTxn(txn);

          expect(outcome.triggers).toEqual([]);
          expect(outcome.reply.ok).toBe(false);
          const results = outcome.reply.ok ? [] : (outcome.reply.results ?? []);
          const shape = results.map((r: MultiResult) => (r.type !== "error" ? "?" : r.err === "OK" ? "OK" : r.err === "RuntimeInconsistency" ? "RI" : "E"));
          expect(shape).toEqual(ops.map((_, i) => (i < failedAt ? "OK" : i === failedAt ? "E" : "RI")));
          expect(tree.inspect()).toStrictEqual(before);
          expect(tree.consistencyProblems()).toEqual([]);
          expect(observe(tree, clock.timeMs)).toStrictEqual(answers);
          // The tree goes on as if the multi had never been: the same history on a fresh tree ends with the same records.
          expect(tree.inspect()).toStrictEqual(replay(history).tree.inspect());
          opsRolledBack += failedAt;
        },
      ),
      { seed: 5, numRuns: 200 },
    );
    // Not vacuous: many multis changed a good deal before they failed.
    expect(opsRolledBack).toBeGreaterThan(200);
  });

  test("the comparison above sees every own field of a record, so a field added later is compared too", () => {
    const a = bareTree();
    const b = bareTree();
    for (const target of [a, b]) target.apply({ zxid: 1, timeMs: 1, body: { type: "createSession", sessionId: 1, timeoutMs: 4_000 } }, null);
    expect(a.tree.inspect()).toStrictEqual(b.tree.inspect());
    Object.assign(a.tree.nodeRecord("/zookeeper") ?? {}, { addedLater: undefined });
    expect(a.tree.inspect()).not.toStrictEqual(b.tree.inspect());
  });

  test("a field the undo code has never heard of, changed in the middle of a multi, is put back: records are restored whole", () => {
    const { tree } = replay([{ kind: "createSession", sessionId: 1, timeoutMs: 4_000, advanceMs: 1 }]);
    const caller = callerOf(1, false);
    tree.applyTxn({ zxid: 2, timeMs: 2, body: { type: "write", caller, request: { op: "create", path: "/m", data: "v", acl: OPEN_ACL, mode: "PERSISTENT" } } });
    const fieldsOf = (path: string) => tree.nodeRecord(path) as unknown as Record<string, unknown>;
    fieldsOf("/m").addedLater = "before";
    const before = tree.inspect();
    // Reading this op's path stands for a write that changes the new field, after the multi first touched /m.
    const changesTheField: MultiOp = {
      op: "check",
      version: -1,
      get path() {
        fieldsOf("/m").addedLater = "changed";
        return "/m";
      },
    };
    const ops: MultiOp[] = [{ op: "setData", path: "/m", data: "w", version: -1 }, changesTheField, { op: "check", path: "/m", version: 99 }];
    const outcome = tree.applyTxn({ zxid: 3, timeMs: 3, body: { type: "write", caller, request: { op: "multi", ops } } });
    expect(outcome.reply).toMatchObject({ ok: false, err: "BadVersion" });
    expect(fieldsOf("/m").addedLater).toBe("before");
    expect(tree.inspect()).toStrictEqual(before);
  });

  test("a rollback puts back what the multi did to other sessions' ephemerals, containers, TTL nodes and sequence counters", () => {
    const history: StepSpec[] = [1, 2].map((sessionId): StepSpec => ({ kind: "createSession", sessionId, timeoutMs: 4_000, advanceMs: 1 }));
    const { tree, clock } = replay(history);
    const write = (sessionId: number, ops: MultiOp[]) => {
      clock.zxid++;
      return tree.applyTxn({ zxid: clock.zxid, timeMs: clock.timeMs, body: { type: "write", caller: callerOf(sessionId, false), request: { op: "multi", ops } } });
    };
    const create = (path: string, mode: CreateMode, ttlMs?: number): MultiOp => ({ op: "create", path, data: null, acl: OPEN_ACL, mode, ...(ttlMs === undefined ? {} : { ttlMs }) });
    expect(write(2, [create("/e2", "EPHEMERAL"), create("/box", "CONTAINER"), create("/box/x", "PERSISTENT"), create("/t", "PERSISTENT_WITH_TTL", 10)]).reply.ok).toBe(true);
    const before = tree.inspect();
    const outcome = write(1, [
      { op: "delete", path: "/e2", version: -1 }, // session 2's ephemeral, deleted by session 1
      { op: "delete", path: "/box/x", version: -1 }, // the container becomes due
      { op: "delete", path: "/t", version: -1 },
      create("/box/s", "EPHEMERAL_SEQUENTIAL"),
      create("/c2", "CONTAINER"),
      create("/t2", "PERSISTENT_SEQUENTIAL_WITH_TTL", 5),
      { op: "setData", path: "/box", data: "changed", version: -1 },
      { op: "check", path: "/box", version: 0 },
    ]);
    expect(outcome.reply).toMatchObject({ ok: false, err: "BadVersion" });
    expect(tree.inspect()).toStrictEqual(before);
    expect(tree.consistencyProblems()).toEqual([]);
    expect(tree.read({ op: "getEphemerals", prefix: "/" }, callerOf(2, false))).toMatchObject({ result: { paths: ["/e2"] } });
    expect(tree.reapCandidates(clock.timeMs + 1_000)).toEqual(["/t"]);
  });
});
