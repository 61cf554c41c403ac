/**
 * Runs an OpSequence on a ZkExecutor and turns what it observed into a
 * normalized trace: the parts that differ between two correct runs (absolute
 * zxids, wall-clock times, session ids, the root prefix, child order) are
 * renamed consistently, so that two traces can be compared field by field.
 *
 * Renaming rules (normalizeTrace):
 * - zxid 0 stays 0; every other zxid becomes its rank (1, 2, …) among the
 *   distinct non-zero zxids that appear anywhere in the trace, in numeric
 *   order. Ranks keep equality and order and drop the gaps (a failed write
 *   uses a zxid that no Stat shows).
 * - Times: ctime is the time of the txn czxid, mtime that of mzxid, so a time
 *   becomes the rank of its zxid. Two raw runs differ in milliseconds (and two
 *   txns may share one), so ranking the times themselves would not be stable.
 *   Every time is still checked: one zxid must always show the same time, and
 *   times must not decrease as zxids grow; a violation is an anomaly, and the
 *   field becomes -1.
 * - ephemeralOwner: 0 stays 0; the id of sequence session k becomes k + 1;
 *   anything else becomes -1 (an anomaly).
 * - Paths: the root prefix is removed ("/" is the root); /zookeeper stays.
 * - Children and getEphemerals paths are sorted (the server returns them in
 *   hash order).
 * - Watch events are attributed to the step that caused them (see TraceStep).
 *   Within a session close they are sorted: the server deletes a session's
 *   ephemerals in the iteration order of a HashSet of their full paths, so
 *   that order changes with the root prefix.
 */
import { OPEN_ACL, type MultiOp, type MultiResult, type Stat, type ZkErrorCode, type ZkOp, type ZkReply, type ZkResult, type ZnodeData } from "../../../src/zk/types.ts";
import type { ObservedEvent, ZkExecutor } from "./executor.ts";
import type { OpSequence, SequenceStep } from "./sequence.ts";

/** The watch events one session received because of one step. */
export interface SessionEvents {
  readonly session: number;
  readonly events: readonly ObservedEvent[];
}

/**
 * What one step did: the reply (null for a close) and the watch events it
 * caused, for each session that received any, in session order. The acting
 * session's events are those that arrived before its reply; every other open
 * session sends a `sync` right after the step, and its events are those that
 * arrived before the sync's reply. (ZooKeeper queues a notification before
 * the reply to any later request of that connection, and a sync completes
 * only after the server applied everything committed before it.)
 */
export interface TraceStep {
  readonly index: number;
  readonly step: SequenceStep;
  readonly events: readonly SessionEvents[];
  readonly reply: ZkReply | null;
}

/** A node of the tree under the root after the last step (all sessions closed). */
export interface TreeNode {
  readonly path: string;
  /** From exists, which checks no ACL. */
  readonly stat: Stat;
  readonly data: ZnodeData;
  /** Sorted names; its subtree is read too. */
  readonly children: readonly string[];
  /** Why the observer could not read data or children (NoAuth: an ACL without world READ); both are then empty. */
  readonly readError?: ZkErrorCode;
}

/** A run of one sequence. In a normalized trace, Stats, paths and events follow the rules above. */
export interface Trace {
  readonly name: string;
  /** The sequence's steps, then a close for every session still open. */
  readonly steps: readonly TraceStep[];
  readonly tree: readonly TreeNode[];
  /** Things that should never happen in a correct service (see the renaming rules). */
  readonly anomalies: readonly string[];
}

/** A raw trace also says which root it ran under and which ids its sessions had. */
export interface RawTrace extends Trace {
  readonly root: string;
  readonly sessionIds: readonly number[];
}

/** Nodes read back after the run; bounds a runaway tree. */
const TREE_NODES_MAX = 1_000;

/**
 * Runs `sequence` under `root` (a path that must not exist yet) on a fresh
 * executor: opens the sequence's sessions, then one observer session that
 * creates the root and, after every session has closed, reads the tree back.
 */
export async function runSequence(executor: ZkExecutor, sequence: OpSequence, root: string): Promise<RawTrace> {
  if (!/^\/[^/]+$/.test(root) || root === "/zookeeper") throw new Error(`the root must be a fresh top-level path, not ${JSON.stringify(root)}`);
  const sessionIds: number[] = [];
  for (let k = 0; k < sequence.sessionCount; k++) {
    const session = await executor.openSession();
    if (session !== k) throw new Error(`executor numbered session ${k} as ${session}`);
    sessionIds.push(executor.sessionId(k));
  }
  const observer = await executor.openSession();
  const created = await executor.run(observer, { op: "create", path: root, data: null, acl: OPEN_ACL, mode: "PERSISTENT" });
  if (!created.ok) throw new Error(`cannot create the root ${root}: ${created.err}`);
  // With several servers a session's server may not have applied the root yet: sync first, as a
  // ZooKeeper client must to read another client's write. (After each step, every other session syncs.)
  for (let k = 0; k < sequence.sessionCount; k++) {
    const barrier = await executor.run(k, { op: "sync", path: root });
    if (!barrier.ok) throw new Error(`the first sync of session ${k} failed: ${barrier.err}`);
  }

  const closeAtEnd: SequenceStep[] = [];
  for (let k = 0; k < sequence.sessionCount; k++) closeAtEnd.push({ kind: "close", session: k });
  const eventsSeen = new Array<number>(sequence.sessionCount).fill(0);
  const open = new Array<boolean>(sequence.sessionCount).fill(true);
  const steps: TraceStep[] = [];
  for (const step of [...sequence.steps, ...closeAtEnd]) {
    let reply: ZkReply | null = null;
    if (step.kind === "close") {
      await executor.closeSession(step.session);
      open[step.session] = false;
    } else {
      reply = await executor.run(step.session, mapOpPaths(step.op, (p) => toAbsolute(root, p)));
    }
    const events: SessionEvents[] = [];
    for (let k = 0; k < sequence.sessionCount; k++) {
      if (k !== step.session && open[k]) {
        const barrier = await executor.run(k, { op: "sync", path: root });
        if (!barrier.ok) throw new Error(`the sync barrier of session ${k} failed: ${barrier.err}`);
      }
      const all = executor.events(k);
      if (all.length > (eventsSeen[k] ?? 0)) events.push({ session: k, events: all.slice(eventsSeen[k]) });
      eventsSeen[k] = all.length;
    }
    steps.push({ index: steps.length, step, events, reply });
  }

  // With several servers the observer's may lag behind the last close: a read after sync is up to date.
  const barrier = await executor.run(observer, { op: "sync", path: root });
  if (!barrier.ok) throw new Error(`the observer's sync failed: ${barrier.err}`);
  const tree = await readTree(executor, observer, root);
  const anomalies = executor.events(observer).map((e) => `the observer session, which set no watch, received ${e.type} ${e.path}`);
  await executor.closeSession(observer);
  return { name: sequence.name, root, sessionIds, steps, tree, anomalies };
}

async function readTree(executor: ZkExecutor, session: number, root: string): Promise<TreeNode[]> {
  const nodes: TreeNode[] = [];
  const queue = [root];
  for (let path = queue.shift(); path !== undefined; path = queue.shift()) {
    if (nodes.length >= TREE_NODES_MAX) throw new Error(`more than ${TREE_NODES_MAX} nodes under ${root}`);
    const node = await readNode(executor, session, path);
    nodes.push(node);
    for (const name of node.children) queue.push(`${path}/${name}`);
  }
  return nodes;
}

async function readNode(executor: ZkExecutor, session: number, path: string): Promise<TreeNode> {
  const exists = await executor.run(session, { op: "exists", path, watch: false });
  if (!exists.ok || exists.result.op !== "exists" || exists.result.stat === null) throw new Error(`reading ${path} back: it is gone (${JSON.stringify(exists)})`);
  const stat = exists.result.stat;
  const data = await executor.run(session, { op: "getData", path, watch: false });
  const children = await executor.run(session, { op: "getChildren", path, watch: false, withStat: false });
  if (!data.ok || !children.ok) {
    const readError = !data.ok ? data.err : children.ok ? undefined : children.err;
    if (readError !== "NoAuth") throw new Error(`reading ${path} back failed: ${JSON.stringify([data, children])}`);
    return { path, stat, data: null, children: [], readError };
  }
  if (data.result.op !== "getData" || children.result.op !== "getChildren") throw new Error(`reading ${path} back: replies to other ops`);
  return { path, stat, data: data.result.data, children: [...children.result.children].sort() };
}

/** A sequence path under the root; /zookeeper and its children are the server's own. */
export function toAbsolute(root: string, path: string): string {
  if (path === "/zookeeper" || path.startsWith("/zookeeper/")) return path;
  return path === "/" ? root : root + path;
}

export function toRelative(root: string, path: string): string {
  if (path === root) return "/";
  return path.startsWith(`${root}/`) ? path.slice(root.length) : path;
}

export function mapOpPaths(op: ZkOp, f: (path: string) => string): ZkOp {
  switch (op.op) {
    case "getEphemerals":
      return { ...op, prefix: f(op.prefix) };
    case "multi":
      return { ...op, ops: op.ops.map((o): MultiOp => ({ ...o, path: f(o.path) })) };
    case "addAuth":
      return op;
    default:
      return { ...op, path: f(op.path) };
  }
}

/** Applies the renaming rules (see the top of this file). Pure: the same raw trace always gives the same result. */
export function normalizeTrace(raw: RawTrace): Trace {
  const stats = collectStats(raw);
  const anomalies = [...raw.anomalies];
  const zxidRank = rankZxids(stats);
  const timeOk = checkTimes(stats, anomalies);
  const ownerIndex = new Map(raw.sessionIds.map((id, k) => [id, k + 1]));
  const renamer: Renamer = {
    stat: (s) => normalizeStat(s, zxidRank, timeOk, ownerIndex, anomalies),
    path: (p) => toRelative(raw.root, p),
  };
  const steps = raw.steps.map((s) => ({
    index: s.index,
    step: s.step,
    events: s.events.map((e) => normalizeEvents(e, s.step.kind === "close", renamer)),
    reply: s.reply === null ? null : normalizeReply(s.reply, renamer),
  }));
  const tree = raw.tree.map((n) => ({ ...n, path: renamer.path(n.path), stat: renamer.stat(n.stat) }));
  return { name: raw.name, steps, tree, anomalies: [...new Set(anomalies)] };
}

interface Renamer {
  stat(stat: Stat): Stat;
  path(path: string): string;
}

function normalizeEvents(e: SessionEvents, unordered: boolean, n: Renamer): SessionEvents {
  const events = e.events.map((x) => ({ type: x.type, path: n.path(x.path) }));
  if (unordered) events.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : a.type < b.type ? -1 : a.type > b.type ? 1 : 0));
  return { session: e.session, events };
}

function collectStats(raw: Trace): Stat[] {
  const stats: Stat[] = raw.tree.map((n) => n.stat);
  for (const s of raw.steps) {
    if (s.reply === null) continue;
    const results: readonly (ZkResult | MultiResult)[] = s.reply.ok
      ? s.reply.result.op === "multi"
        ? s.reply.result.results
        : [s.reply.result]
      : (s.reply.results ?? []);
    for (const r of results) if ("stat" in r && r.stat !== null && r.stat !== undefined) stats.push(r.stat);
  }
  return stats;
}

function rankZxids(stats: readonly Stat[]): Map<number, number> {
  const zxids = new Set<number>();
  for (const s of stats) for (const z of [s.czxid, s.mzxid, s.pzxid]) if (z !== 0) zxids.add(z);
  const sorted = [...zxids].sort((a, b) => a - b);
  const rank = new Map<number, number>([[0, 0]]);
  sorted.forEach((z, i) => rank.set(z, i + 1));
  return rank;
}

/** Records the time each zxid shows; returns the zxids whose times are consistent. */
function checkTimes(stats: readonly Stat[], anomalies: string[]): Set<number> {
  const timeOf = new Map<number, number>();
  const bad = new Set<number>();
  for (const s of stats) {
    for (const [z, t] of [
      [s.czxid, s.ctime],
      [s.mzxid, s.mtime],
    ] as const) {
      const seen = timeOf.get(z);
      if (seen === undefined) timeOf.set(z, t);
      else if (seen !== t) {
        bad.add(z);
        anomalies.push(`zxid ${z} shows two times, ${seen} and ${t}`);
      }
    }
  }
  const byZxid = [...timeOf.entries()].sort((a, b) => a[0] - b[0]);
  for (let i = 1; i < byZxid.length; i++) {
    const [zPrev, tPrev] = byZxid[i - 1] as [number, number];
    const [z, t] = byZxid[i] as [number, number];
    if (t < tPrev) {
      bad.add(z);
      anomalies.push(`time goes backwards: zxid ${zPrev} at ${tPrev}, zxid ${z} at ${t}`);
    }
  }
  return new Set([...timeOf.keys()].filter((z) => !bad.has(z)));
}

function normalizeStat(s: Stat, rank: Map<number, number>, timeOk: Set<number>, ownerIndex: Map<number, number>, anomalies: string[]): Stat {
  const r = (z: number): number => rank.get(z) ?? -1;
  let ephemeralOwner = 0;
  if (s.ephemeralOwner !== 0) {
    ephemeralOwner = ownerIndex.get(s.ephemeralOwner) ?? -1;
    if (ephemeralOwner === -1) anomalies.push(`ephemeralOwner ${s.ephemeralOwner} is none of the sequence's sessions`);
  }
  return {
    czxid: r(s.czxid),
    mzxid: r(s.mzxid),
    pzxid: r(s.pzxid),
    ctime: timeOk.has(s.czxid) ? r(s.czxid) : -1,
    mtime: timeOk.has(s.mzxid) ? r(s.mzxid) : -1,
    version: s.version,
    cversion: s.cversion,
    aversion: s.aversion,
    ephemeralOwner,
    dataLength: s.dataLength,
    numChildren: s.numChildren,
  };
}

function normalizeReply(reply: ZkReply, n: Renamer): ZkReply {
  if (!reply.ok) return reply.results === undefined ? reply : { ok: false, err: reply.err, results: reply.results.map((r) => normalizeMultiResult(r, n)) };
  return { ok: true, result: normalizeResult(reply.result, n) };
}

function normalizeResult(r: ZkResult, n: Renamer): ZkResult {
  switch (r.op) {
    case "create":
      return { op: "create", path: n.path(r.path), stat: n.stat(r.stat) };
    case "exists":
      return { op: "exists", stat: r.stat === null ? null : n.stat(r.stat) };
    case "getData":
      return { op: "getData", data: r.data, stat: n.stat(r.stat) };
    case "setData":
    case "setACL":
      return { ...r, stat: n.stat(r.stat) };
    case "getACL":
      return { op: "getACL", acl: r.acl, stat: n.stat(r.stat) };
    case "getChildren":
      return { op: "getChildren", children: [...r.children].sort(), stat: r.stat === null ? null : n.stat(r.stat) };
    case "getEphemerals":
      return { op: "getEphemerals", paths: r.paths.map((p) => n.path(p)).sort() };
    case "sync":
      return { op: "sync", path: n.path(r.path) };
    case "multi":
      return { op: "multi", results: r.results.map((x) => normalizeMultiResult(x, n)) };
    case "delete":
    case "getAllChildrenNumber":
    case "addWatch":
    case "removeWatches":
    case "addAuth":
    case "createSession":
    case "closeSession":
      return r;
    default: {
      const unreachable: never = r;
      return unreachable;
    }
  }
}

function normalizeMultiResult(r: MultiResult, n: Renamer): MultiResult {
  switch (r.type) {
    case "create":
      return { type: "create", path: n.path(r.path), stat: r.stat === null ? null : n.stat(r.stat) };
    case "setData":
      return { type: "setData", stat: n.stat(r.stat) };
    default:
      return r;
  }
}

/** How many ops (not closes) a trace ran. */
export function opCount(trace: Trace): number {
  return trace.steps.filter((s) => s.step.kind === "op").length;
}
