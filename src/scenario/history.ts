import type { ClientHistoryEntry, OpRecord } from "../client/index.ts";
import type { Json, ZkChange, ZkHistory, ZkHistoryOp, ZkNotification } from "../check/index.ts";
import type { Stat, ZkOp } from "../zk/index.ts";

/**
 * Turns what a simulated cluster's clients did and saw into the checkers'
 * history: positions in the run's one order, outcomes in Jepsen's terms, and
 * the values a model needs.
 *
 * Outcomes: a reply is `ok`; a ZooKeeper error is `fail` (it did not
 * happen); ConnectionLoss, a request never answered, and SessionExpired are
 * `info` (unknown: a request in flight when the session expired may have
 * applied before the close).
 */
export function zkHistoryOf(entries: readonly ClientHistoryEntry[], changes?: readonly ZkChange[]): ZkHistory {
  const invokeAt = new Map<OpRecord, number>();
  const completeAt = new Map<OpRecord, number>();
  const timeAt: number[] = entries.map((e) => e.atUs);
  const notifications: ZkNotification[] = [];
  entries.forEach((entry, at) => {
    if (entry.kind === "invoke") invokeAt.set(entry.record, at);
    else if (entry.kind === "complete") completeAt.set(entry.record, at);
    else notifications.push({ client: entry.event.client, session: entry.event.sessionId, type: entry.event.type, path: entry.event.path, zxid: entry.event.zxid, state: entry.event.state, at, atUs: entry.atUs });
  });
  const ops: ZkHistoryOp[] = [];
  for (const [record, invoke] of invokeAt) {
    const complete = completeAt.get(record) ?? null;
    ops.push(toOp(record, ops.length, invoke, complete, timeAt[invoke] ?? 0, complete === null ? null : (timeAt[complete] ?? 0)));
  }
  return changes === undefined ? { ops, notifications } : { ops, notifications, changes };
}

function toOp(record: OpRecord, id: number, invoke: number, complete: number | null, invokeUs: number, completeUs: number | null): ZkHistoryOp {
  const op = record.op;
  const reply = record.reply;
  const outcome: ZkHistoryOp["outcome"] =
    complete === null || reply === null ? "info" : reply.ok ? "ok" : reply.err === "ConnectionLoss" || reply.err === "SessionExpired" ? "info" : "fail";
  const result = reply !== null && reply.ok ? reply.result : null;
  const stat: Stat | null = result !== null && "stat" in result ? (result.stat as Stat | null) : null;
  const base = {
    id,
    client: record.client,
    session: record.sessionId,
    xid: record.xid,
    f: op.op,
    path: "path" in op ? op.path : null,
    paths: op.op === "multi" ? op.ops.map((o) => o.path) : [],
    sequential: op.op === "create" && op.mode.includes("SEQUENTIAL"),
    transient: op.op === "create" && op.mode !== "PERSISTENT" && op.mode !== "PERSISTENT_SEQUENTIAL",
    watch: "watch" in op ? op.watch : op.op === "addWatch",
    invoke,
    complete,
    invokeUs,
    completeUs,
    outcome,
    error: reply !== null && !reply.ok ? reply.err : null,
    replyZxid: record.zxid,
  };
  return { ...base, input: inputOf(op), txnZxid: txnZxidOf(op, stat), output: outputOf(result, stat), owner: stat === null ? null : stat.ephemeralOwner };
}

function inputOf(op: ZkOp | { readonly op: "close" }): Json {
  switch (op.op) {
    case "create":
      return op.data;
    case "setData":
      return [op.data, op.version];
    case "delete":
      return op.version;
    case "addWatch":
      return op.mode;
    case "removeWatches":
      return op.type;
    default:
      return null;
  }
}

function txnZxidOf(op: ZkOp | { readonly op: "close" }, stat: Stat | null): number | null {
  if (stat === null) return null;
  if (op.op === "create") return stat.czxid;
  if (op.op === "setData") return stat.mzxid;
  return null;
}

function outputOf(result: unknown, stat: Stat | null): Json {
  if (result === null || typeof result !== "object") return null;
  const r = result as { op: string; path?: string; data?: Json };
  switch (r.op) {
    case "create":
      return r.path ?? null;
    case "setData":
      return stat === null ? null : stat.version;
    case "getData":
      return stat === null ? null : [r.data ?? null, stat.version];
    case "exists":
      return stat === null ? null : stat.version;
    default:
      return null;
  }
}
