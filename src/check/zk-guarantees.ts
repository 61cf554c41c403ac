import type { Json, Operation } from "./history.ts";
import { counterexamplePicture, type CounterexamplePicture } from "./counterexample.ts";
import { checkLinearizable, type CheckResult } from "./linearizability.ts";
import { makeModel } from "./models.ts";
import { Found, siteOf, type ViolationSite } from "./violations.ts";
import { checkWatchesFireOnce } from "./zk-watches.ts";
import type { ZkChange, ZkHistory, ZkHistoryOp, ZkNotification } from "./zk-history.ts";

export type { ZkChange, ZkHistory, ZkHistoryOp, ZkNotification } from "./zk-history.ts";

/**
 * ZooKeeper's promises, each checked on its own and reported by name
 * (zk-semantics.md §9). ZooKeeper does not promise linearizable reads: reads
 * are served by the server a client is connected to and may be stale. What
 * it promises is checked here from a history of what clients did and saw.
 *
 * The history is plain data, in one order: `invoke`, `complete` and `at` are
 * positions in the run (one simulation has one order of events), so "before"
 * means before in that order.
 */

export interface GuaranteeResult {
  readonly name: GuaranteeName;
  readonly description: string;
  readonly holds: boolean;
  /** How many cases the check looked at (so a check that saw nothing is visible). */
  readonly checked: number;
  /** The first violations, in words. */
  readonly violations: readonly string[];
  /** When the check was first broken, and by which operations (null when it holds, or the site is not known). */
  readonly first: ViolationSite | null;
  /** For the linearizability checks: the checker's result. */
  readonly linearizability?: CheckResult;
  /** For a linearizability check that failed: its counterexample, to draw. */
  readonly picture?: CounterexamplePicture;
}

export type GuaranteeName =
  | "writes-linearizable"
  | "reads-linearizable"
  | "session-order"
  | "monotonic-reads"
  | "read-after-sync"
  | "watch-before-change"
  | "watches-fire-once"
  | "write-zxids"
  | "sync-reads-linearizable"
  | "ephemerals-gone-after-expiry"
  | "sequential-names";

export interface GuaranteeOptions {
  /** Also demand linearizable reads (stronger than ZooKeeper): a stale read is then a violation. */
  readonly linearizableReads?: boolean;
  readonly stepsMax?: number;
}

const VIOLATIONS_MAX = 5;

export function checkZkGuarantees(history: ZkHistory, options: GuaranteeOptions = {}): GuaranteeResult[] {
  const results = [
    writesLinearizable(history, false, options),
    sessionOrder(history),
    monotonicReads(history),
    readAfterSync(history),
    syncReadsLinearizable(history, options),
    watchBeforeChange(history),
    watchesFireOnce(history),
    writeZxids(history),
    ephemeralsGone(history),
    sequentialNames(history),
  ];
  if (options.linearizableReads === true) results.splice(1, 0, writesLinearizable(history, true, options));
  return results;
}

function result(name: GuaranteeName, description: string, checked: number, found: Found): GuaranteeResult {
  return { name, description, holds: found.length === 0, checked, violations: found.texts.slice(0, VIOLATIONS_MAX), first: found.site };
}

function describeOp(op: ZkHistoryOp): string {
  return `${op.client} xid ${op.xid} ${op.f}${op.path === null ? "" : ` ${op.path}`}`;
}

/**
 * Writes (and, when asked, reads) against a model of each znode. Paths whose
 * nodes something other than a client request may delete (ephemerals at
 * session end, containers and TTL nodes when reaped) and paths a multi
 * touches (atomic across paths) are left out, as are sequential creates
 * (their path is known only from the reply; `sequential-names` checks them).
 */
/** Paths a per-znode model cannot follow: transient nodes (deleted by no request) and paths multis touch. */
function unmodelledPaths(history: ZkHistory): { has(path: string): boolean } {
  const excluded = new Set<string>();
  const sequentialPrefixes = new Set<string>();
  for (const op of history.ops) {
    if (op.f === "create" && op.transient && op.path !== null) excluded.add(op.path);
    // A sequential create's node is named only in its reply (unknown if the reply was lost).
    if (op.f === "create" && op.sequential && op.path !== null) sequentialPrefixes.add(op.path);
    for (const path of op.paths) excluded.add(path);
  }
  return {
    has: (path) => {
      if (excluded.has(path)) return true;
      for (const prefix of sequentialPrefixes) if (path.startsWith(prefix) && /^-?\d{9,10}$/.test(path.slice(prefix.length))) return true;
      return false;
    },
  };
}

function writesLinearizable(history: ZkHistory, withReads: boolean, options: GuaranteeOptions): GuaranteeResult {
  const excluded = unmodelledPaths(history);
  const kinds = withReads ? ["create", "setData", "delete", "getData", "exists"] : ["create", "setData", "delete"];
  const processOf = sessionProcesses(history);
  const operations: Operation[] = [];
  for (const op of history.ops) {
    if (!kinds.includes(op.f) || op.path === null || op.sequential || excluded.has(op.path)) continue;
    operations.push({
      id: op.id,
      process: processOf(op),
      f: op.f,
      key: op.path,
      input: op.input,
      output: op.outcome === "ok" ? op.output : null,
      outcome: op.outcome,
      call: op.invoke,
      ret: op.outcome === "info" || op.complete === null ? Number.POSITIVE_INFINITY : op.complete,
    });
  }
  const model = makeModel("znode");
  const check = checkLinearizable(operations, model, options.stepsMax === undefined ? {} : { stepsMax: options.stepsMax });
  const picture = counterexamplePicture(operations, check, model);
  const violations = new Found();
  if (check.verdict === "not-linearizable" && check.counterexample !== undefined) {
    const c = check.counterexample;
    violations.add(`${c.key ?? ""}: after ${c.prefix.map((p) => p.text).join("; ") || "nothing"}, none of these can come next: ${c.stuck.map((p) => p.text).join("; ")}`, stuckSite(history, c.stuck));
  }
  if (check.verdict === "unknown") violations.add(`the checker could not decide: ${check.reason ?? ""}`, { atUs: 0, ops: [] });
  const name = withReads ? "reads-linearizable" : "writes-linearizable";
  const description = withReads
    ? "reads and writes, together, take effect in one order that respects real time (stronger than ZooKeeper promises)"
    : "writes take effect in one order that respects real time";
  return { ...result(name, description, operations.length, violations), linearizability: check, ...(picture === null ? {} : { picture }) };
}

/** Each session's requests complete in the order it issued them, and its writes take zxids in that order. */
function sessionOrder(history: ZkHistory): GuaranteeResult {
  const violations = new Found();
  let checked = 0;
  for (const ops of byClient(history.ops).values()) {
    const done = ops.filter((op) => op.complete !== null && op.outcome !== "info").sort((a, b) => (a.complete as number) - (b.complete as number));
    for (let i = 1; i < done.length; i++) {
      checked++;
      const a = done[i - 1] as ZkHistoryOp;
      const b = done[i] as ZkHistoryOp;
      if (b.xid < a.xid) violations.add(`${describeOp(b)} completed after ${describeOp(a)}, which was issued later`, siteOf(a, b));
    }
    const writes = ops.filter((op) => op.txnZxid !== null).sort((a, b) => a.xid - b.xid);
    for (let i = 1; i < writes.length; i++) {
      const a = writes[i - 1] as ZkHistoryOp;
      const b = writes[i] as ZkHistoryOp;
      if ((b.txnZxid as number) <= (a.txnZxid as number)) violations.add(`${describeOp(b)} took zxid ${b.txnZxid} ≤ ${a.txnZxid} of the earlier ${describeOp(a)}`, siteOf(a, b));
    }
    // A read issued after one of the session's writes (however many requests are in flight) sees it.
    let lastWrite: ZkHistoryOp | null = null;
    for (const op of [...ops].sort((a, b) => a.xid - b.xid)) {
      if (op.txnZxid !== null && op.outcome === "ok") lastWrite = op;
      if (!READS.includes(op.f) || op.outcome === "info" || op.replyZxid === null || lastWrite === null) continue;
      checked++;
      if (op.replyZxid < (lastWrite.txnZxid as number)) violations.add(`${describeOp(op)} was answered at zxid ${op.replyZxid}, before the session's earlier ${describeOp(lastWrite)} (zxid ${lastWrite.txnZxid})`, siteOf(lastWrite, op));
    }
  }
  return result("session-order", "each session's operations take effect and are answered in the order it issued them, and its reads see its earlier writes", checked, violations);
}

/** A session never reads a state older than one it has seen: reply and event zxids do not go back. */
function monotonicReads(history: ZkHistory): GuaranteeResult {
  type Seen = { at: number; zxid: number; what: string; atUs: number; op: ZkHistoryOp | null };
  const perSession = new Map<string, Seen[]>();
  const add = (key: string, seen: Seen): void => {
    let list = perSession.get(key);
    if (list === undefined) {
      list = [];
      perSession.set(key, list);
    }
    list.push(seen);
  };
  for (const op of history.ops) {
    if (op.complete !== null && op.replyZxid !== null && op.outcome !== "info") add(op.client, { at: op.complete, zxid: op.replyZxid, what: describeOp(op), atUs: op.completeUs ?? op.invokeUs, op });
  }
  for (const n of history.notifications) {
    if (n.zxid !== null) add(n.client, { at: n.at, zxid: n.zxid, what: `${n.client} event ${n.type} ${n.path ?? ""}`, atUs: n.atUs, op: null });
  }
  const violations = new Found();
  let checked = 0;
  for (const list of perSession.values()) {
    list.sort((a, b) => a.at - b.at);
    let highest: Seen | null = null;
    for (const seen of list) {
      checked++;
      if (highest !== null && seen.zxid < highest.zxid) {
        const shown = [highest.op, seen.op].filter((op): op is ZkHistoryOp => op !== null).map((op) => op.id);
        violations.add(`${seen.what} saw zxid ${seen.zxid} after ${highest.what} had shown ${highest.zxid}`, { atUs: seen.atUs, ops: shown });
      }
      if (highest === null || seen.zxid > highest.zxid) highest = seen;
    }
  }
  return result("monotonic-reads", "a session never reads a state older than one it has already seen", checked, violations);
}

const READS = ["getData", "exists", "getChildren", "getAllChildrenNumber", "getEphemerals", "getACL"];

/** A read after a completed sync reflects every write that completed before the sync began. */
function readAfterSync(history: ZkHistory): GuaranteeResult {
  // Writes in completion order, with the one of highest zxid so far at each position.
  const writes = history.ops.filter((op) => op.outcome === "ok" && op.txnZxid !== null && op.complete !== null).sort((a, b) => (a.complete as number) - (b.complete as number));
  const completions = writes.map((w) => w.complete as number);
  const highestSoFar: ZkHistoryOp[] = [];
  for (const w of writes) {
    const before = highestSoFar[highestSoFar.length - 1];
    highestSoFar.push(before === undefined || (w.txnZxid as number) > (before.txnZxid as number) ? w : before);
  }
  const violations = new Found();
  let checked = 0;
  for (const ops of byClient(history.ops).values()) {
    const ordered = [...ops].sort((a, b) => a.xid - b.xid);
    const nextRead = nextIndexWhere(ordered, (op) => READS.includes(op.f) && op.outcome !== "info");
    ordered.forEach((sync, i) => {
      if (sync.f !== "sync" || sync.outcome !== "ok") return;
      const read = ordered[nextRead[i + 1] ?? -1];
      if (read === undefined || read.replyZxid === null) return;
      // The writes that completed before the sync began: those before its invocation in the run's order.
      const count = upperBound(completions, sync.invoke - 1);
      const needed = count === 0 ? null : (highestSoFar[count - 1] as ZkHistoryOp);
      if (needed === null) return;
      checked++;
      if (read.replyZxid < (needed.txnZxid as number)) {
        violations.add(`${describeOp(read)} after a sync read the state at zxid ${read.replyZxid}, older than ${describeOp(needed)} (zxid ${needed.txnZxid}), which completed before the sync began`, siteOf(needed, sync, read));
      }
    });
  }
  return result("read-after-sync", "a read after sync sees every write that completed before the sync began", checked, violations);
}

/** For each position, the first position at or after it whose item satisfies `wanted` (-1 when none); one more slot at the end. */
function nextIndexWhere<T>(items: readonly T[], wanted: (item: T) => boolean): Int32Array {
  const next = new Int32Array(items.length + 1).fill(-1);
  for (let i = items.length - 1; i >= 0; i--) next[i] = wanted(items[i] as T) ? i : (next[i + 1] as number);
  return next;
}

/**
 * A watch event reaches the client before any reply that reflects the change
 * that fired it: between the read that set the watch and the event, no reply
 * to that session shows a zxid at or past the event's.
 */
function watchBeforeChange(history: ZkHistory): GuaranteeResult {
  const violations = new Found();
  let checked = 0;
  const notificationsByClient = new Map<string, ZkNotification[]>();
  for (const n of history.notifications) {
    if (n.type === "None" || n.zxid === null || n.path === null) continue;
    let list = notificationsByClient.get(n.client);
    if (list === undefined) {
      list = [];
      notificationsByClient.set(n.client, list);
    }
    list.push(n);
  }
  for (const [client, ops] of byClient(history.ops)) {
    const notifications = notificationsByClient.get(client);
    if (notifications === undefined) continue;
    // The client's answered requests in the order their replies came, with a range-maximum table over their zxids.
    const answered = ops.filter((op) => op.complete !== null).sort((a, b) => (a.complete as number) - (b.complete as number));
    const highest = new RangeMax(answered.map((op) => op.replyZxid ?? -1));
    const positions = answered.map((op) => op.complete as number);
    /** The last watch-setting request on `path` answered before `at`. */
    const setterOf = (path: string, at: number): ZkHistoryOp | undefined => {
      for (let i = upperBound(positions, at) - 1; i >= 0; i--) {
        const op = answered[i] as ZkHistoryOp;
        if (op.watch && op.outcome === "ok" && op.path === path) return op;
      }
      return undefined;
    };
    for (const n of notifications) {
      const path = n.path as string;
      const zxid = n.zxid as number;
      const own = setterOf(path, n.at);
      const parent = parentPath(path);
      const viaParent = parent === null ? undefined : setterOf(parent, n.at);
      const setter = own === undefined ? viaParent : viaParent === undefined || (own.complete as number) > (viaParent.complete as number) ? own : viaParent;
      if (setter === undefined || setter.replyZxid === null || setter.replyZxid >= zxid) continue;
      checked++;
      const from = upperBound(positions, setter.complete as number);
      const to = upperBound(positions, n.at - 1);
      const index = highest.indexOfMax(from, to);
      if (index < 0) continue;
      const early = answered[index] as ZkHistoryOp;
      if ((early.replyZxid as number) >= zxid) violations.add(`${describeOp(early)} was answered at zxid ${early.replyZxid} before ${n.client} got ${n.type} ${n.path} (zxid ${zxid})`, siteOf(setter, early));
    }
  }
  return result("watch-before-change", "a watch event reaches the client before the client can observe the change", checked, violations);
}

/** The number of sorted values at or below `value`. */
function upperBound(sorted: readonly number[], value: number): number {
  let low = 0;
  let high = sorted.length;
  while (low < high) {
    const mid = (low + high) >>> 1;
    if ((sorted[mid] as number) <= value) low = mid + 1;
    else high = mid;
  }
  return low;
}

/** Range-maximum queries over a fixed array (a sparse table: O(n log n) to build, O(1) to ask). */
class RangeMax {
  private readonly levels: Int32Array[] = [];

  constructor(private readonly values: readonly number[]) {
    let level = Int32Array.from(values.keys());
    this.levels.push(level);
    for (let width = 1; width * 2 <= values.length; width *= 2) {
      const prev = level;
      level = new Int32Array(values.length - width * 2 + 1);
      for (let i = 0; i < level.length; i++) level[i] = this.better(prev[i] as number, prev[i + width] as number);
      this.levels.push(level);
    }
  }

  /** The index of the largest value in [from, to), or -1 for an empty range. */
  indexOfMax(from: number, to: number): number {
    if (from >= to) return -1;
    const k = 31 - Math.clz32(to - from);
    const level = this.levels[k] as Int32Array;
    return this.better(level[from] as number, level[to - (1 << k)] as number);
  }

  private better(a: number, b: number): number {
    return (this.values[b] as number) > (this.values[a] as number) ? b : a;
  }
}

/**
 * Once a client has observed its session expire, its ephemerals are gone for
 * every reader that has caught up: a read after a sync invoked later shows
 * none of them.
 */
function ephemeralsGone(history: ZkHistory): GuaranteeResult {
  const expiries = history.notifications.filter((n) => n.type === "None" && n.state === "Expired" && n.session !== null);
  const violations = new Found();
  let checked = 0;
  if (expiries.length === 0) return result("ephemerals-gone-after-expiry", "once a session's expiry is observed, its ephemerals are gone for every reader", 0, violations);
  for (const ops of byClient(history.ops).values()) {
    const ordered = [...ops].sort((a, b) => a.xid - b.xid);
    ordered.forEach((sync, i) => {
      if (sync.f !== "sync" || sync.outcome !== "ok") return;
      for (let j = i + 1; j < ordered.length; j++) {
        const read = ordered[j] as ZkHistoryOp;
        if (!READS.includes(read.f)) break;
        for (const expiry of expiries) {
          if (expiry.at >= sync.invoke) continue;
          checked++;
          if (read.outcome === "ok" && read.owner !== null && read.owner === expiry.session) {
            violations.add(`${describeOp(read)} (after a sync) still saw an ephemeral of session ${expiry.session}, whose expiry ${expiry.client} had observed`, siteOf(sync, read));
          }
        }
      }
    });
  }
  return result("ephemerals-gone-after-expiry", "once a session's expiry is observed, its ephemerals are gone for every reader", checked, violations);
}

/** Sequential names under a parent are unique, and grow with the zxid of their create. */
function sequentialNames(history: ZkHistory): GuaranteeResult {
  const byParent = new Map<string, { n: number; zxid: number; op: ZkHistoryOp }[]>();
  for (const op of history.ops) {
    if (op.f !== "create" || !op.sequential || op.outcome !== "ok" || typeof op.output !== "string" || op.txnZxid === null) continue;
    const path = op.output;
    const parent = parentPath(path) ?? "/";
    const suffix = path.slice(-10);
    if (!/^-?\d+$/.test(suffix)) continue;
    let list = byParent.get(parent);
    if (list === undefined) {
      list = [];
      byParent.set(parent, list);
    }
    list.push({ n: Number(suffix), zxid: op.txnZxid, op });
  }
  const violations = new Found();
  let checked = 0;
  for (const [parent, list] of byParent) {
    list.sort((a, b) => a.zxid - b.zxid);
    const seen = new Set<number>();
    for (let i = 0; i < list.length; i++) {
      const item = list[i] as (typeof list)[number];
      checked++;
      if (seen.has(item.n)) violations.add(`under ${parent}, the number ${item.n} was given twice (${describeOp(item.op)})`, siteOf(item.op));
      seen.add(item.n);
      const before = list[i - 1];
      if (before !== undefined && item.n <= before.n) violations.add(`under ${parent}, ${describeOp(item.op)} got ${item.n} after ${before.n} was given at an earlier zxid`, siteOf(before.op, item.op));
    }
  }
  return result("sequential-names", "sequential names under a parent are unique and increasing", checked, violations);
}

/**
 * A read that follows a sync (the session's next read, in issue order, even
 * with both in flight) is linearizable with the writes: it takes effect at
 * one point between the sync's invocation and its own completion. This is
 * what sync is for, and what a leader change or a partition must not break.
 */
function syncReadsLinearizable(history: ZkHistory, options: GuaranteeOptions): GuaranteeResult {
  const excluded = unmodelledPaths(history);
  const operations: Operation[] = [];
  const modelled = (op: ZkHistoryOp): boolean => op.path !== null && !op.sequential && !excluded.has(op.path);
  const processOf = sessionProcesses(history);
  for (const op of history.ops) {
    if (!["create", "setData", "delete"].includes(op.f) || !modelled(op)) continue;
    operations.push({ ...asOperation(op, op.invoke, op.complete), process: processOf(op) });
  }
  let pairs = 0;
  for (const ops of byClient(history.ops).values()) {
    const ordered = [...ops].sort((a, b) => a.xid - b.xid);
    const nextReadOrSync = nextIndexWhere(ordered, (op) => READS.includes(op.f) || op.f === "sync");
    ordered.forEach((sync, i) => {
      if (sync.f !== "sync" || sync.outcome !== "ok") return;
      const read = ordered[nextReadOrSync[i + 1] ?? -1];
      if (read === undefined || (read.f !== "getData" && read.f !== "exists") || read.outcome !== "ok" || !modelled(read)) return;
      pairs++;
      operations.push(asOperation(read, sync.invoke, read.complete));
    });
  }
  const model = makeModel("znode");
  const check = checkLinearizable(operations, model, options.stepsMax === undefined ? {} : { stepsMax: options.stepsMax });
  const picture = counterexamplePicture(operations, check, model);
  const violations = new Found();
  if (check.verdict === "not-linearizable" && check.counterexample !== undefined) {
    const c = check.counterexample;
    violations.add(`${c.key ?? ""}: after ${c.prefix.map((p) => p.text).join("; ") || "nothing"}, none of these can come next: ${c.stuck.map((p) => p.text).join("; ")} (a read after sync is one of them)`, stuckSite(history, c.stuck));
  }
  if (check.verdict === "unknown") violations.add(`the checker could not decide: ${check.reason ?? ""}`, { atUs: 0, ops: [] });
  return { ...result("sync-reads-linearizable", "a read after sync takes effect between the sync's start and its own end, in one order with the writes", pairs, violations), linearizability: check, ...(picture === null ? {} : { picture }) };
}

/**
 * The checker's process of an operation: its session, so that a pipelined
 * session's operations take effect in the order it issued them, as
 * ZooKeeper executes them (session-order checks that on its own), and one of
 * unknown outcome is never placed after a later one of its session. The
 * checker handles such overlapping processes; its search would otherwise
 * try every order of a deep pipeline's writes. An operation outside a
 * session gets a process of its own.
 */
function sessionProcesses(history: ZkHistory): (op: ZkHistoryOp) => number {
  const sessions = new Map<string, number>();
  const alone = history.ops.length;
  return (op) => {
    if (op.session === null) return alone + op.id;
    const key = `${op.client}/${op.session}`;
    let process = sessions.get(key);
    if (process === undefined) {
      process = sessions.size;
      sessions.set(key, process);
    }
    return process;
  };
}

function asOperation(op: ZkHistoryOp, call: number, complete: number | null): Operation {
  return {
    id: op.id,
    process: op.id,
    f: op.f,
    key: op.path,
    input: op.input,
    output: op.outcome === "ok" ? op.output : null,
    outcome: op.outcome,
    call,
    ret: op.outcome === "info" || complete === null ? Number.POSITIVE_INFINITY : complete,
  };
}

function watchesFireOnce(history: ZkHistory): GuaranteeResult {
  const { checked, violations } = checkWatchesFireOnce(history);
  return result("watches-fire-once", "every watch fires exactly once, for the first change after it was set (across reconnects), and never again", checked, violations);
}

/**
 * What the reply header shows: a write is answered from a state that
 * includes it. Failed writes take a zxid too, so every write's reply shows a
 * zxid above every zxid its session had seen before issuing it.
 */
function writeZxids(history: ZkHistory): GuaranteeResult {
  const violations = new Found();
  let checked = 0;
  const seen = new Map<string, { at: number; zxid: number }[]>();
  const add = (client: string, at: number, zxid: number): void => {
    let list = seen.get(client);
    if (list === undefined) {
      list = [];
      seen.set(client, list);
    }
    list.push({ at, zxid });
  };
  for (const op of history.ops) if (op.complete !== null && op.replyZxid !== null) add(op.client, op.complete, op.replyZxid);
  for (const n of history.notifications) if (n.zxid !== null) add(n.client, n.at, n.zxid);
  const writes = ["create", "delete", "setData", "setACL", "multi"];
  for (const [client, ops] of byClient(history.ops)) {
    const observed = (seen.get(client) ?? []).sort((a, b) => a.at - b.at);
    const sorted = ops.filter((op) => writes.includes(op.f) && op.outcome !== "info" && op.replyZxid !== null).sort((a, b) => a.invoke - b.invoke);
    let index = 0;
    let highest = 0;
    for (const op of sorted) {
      while (index < observed.length && (observed[index] as { at: number }).at < op.invoke) highest = Math.max(highest, (observed[index++] as { zxid: number }).zxid);
      checked++;
      const replyZxid = op.replyZxid as number;
      if (replyZxid <= highest) violations.add(`${describeOp(op)} (${op.outcome === "ok" ? "ok" : op.error ?? "failed"}) was answered at zxid ${replyZxid}, though the session had seen zxid ${highest} before issuing it: the write took no zxid, or the reply hid it`, siteOf(op));
      else if (op.txnZxid !== null && replyZxid < op.txnZxid) violations.add(`${describeOp(op)} took zxid ${op.txnZxid} but was answered at zxid ${replyZxid}, from a state without it`, siteOf(op));
    }
  }
  return result("write-zxids", "a write's reply shows a state that includes it: above every zxid its session had seen", checked, violations);
}

/** Operations by client: a client has one session at a time, which it keeps across reconnects. */
function byClient(ops: readonly ZkHistoryOp[]): Map<string, ZkHistoryOp[]> {
  const out = new Map<string, ZkHistoryOp[]>();
  for (const op of ops) {
    const key = op.client;
    let list = out.get(key);
    if (list === undefined) {
      list = [];
      out.set(key, list);
    }
    list.push(op);
  }
  return out;
}

function parentPath(path: string): string | null {
  if (path === "/") return null;
  const cut = path.lastIndexOf("/");
  return cut === 0 ? "/" : path.slice(0, cut);
}

/**
 * The znode operations of a history as Jepsen-style events (key = path; the
 * paths a per-znode model cannot follow are left out, as for
 * `writes-linearizable`), so
 * that a run can be written out and checked with `zksim check --model znode`,
 * or by any other tool that reads the format. `time` is virtual µs.
 */
export function zkHistoryToEvents(history: ZkHistory): { process: number; type: "invoke" | "ok" | "fail" | "info"; f: string; key: string; value: Json; time: number }[] {
  const kinds = ["create", "setData", "delete", "getData", "exists"];
  const excluded = unmodelledPaths(history);
  const moments: { at: number; event: ReturnType<typeof zkHistoryToEvents>[number] }[] = [];
  for (const op of history.ops) {
    if (!kinds.includes(op.f) || op.path === null || op.sequential || excluded.has(op.path)) continue;
    // One process per operation: a client may pipeline requests, and Jepsen's processes have one open operation each.
    const process = op.id;
    moments.push({ at: op.invoke, event: { process, type: "invoke", f: op.f, key: op.path, value: op.input, time: op.invokeUs } });
    if (op.outcome === "info" || op.complete === null) continue;
    moments.push({ at: op.complete, event: { process, type: op.outcome, f: op.f, key: op.path, value: op.outcome === "ok" ? op.output : op.input, time: op.completeUs ?? op.invokeUs } });
  }
  return moments.sort((a, b) => a.at - b.at).map((m) => m.event);
}

/** The site of a linearizability counterexample: the operations that could not come next. */
function stuckSite(history: ZkHistory, stuck: readonly { readonly id: number }[]): ViolationSite {
  const ops = stuck.map((c) => history.ops[c.id]).filter((op): op is ZkHistoryOp => op !== undefined);
  return siteOf(...ops);
}
