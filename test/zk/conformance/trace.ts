/**
 * Runs an OpSequence on a ZkExecutor and turns what it observed into a
 * normalized trace: the parts that differ between two correct runs (absolute
 * zxids, wall-clock times, session ids, the root prefix, child order) are
 * renamed consistently, so that two traces can be compared field by field.
 *
 * Renaming rules (normalizeTrace):
 * - zxids, in Stats and in reply headers alike, become their distance from
 *   the run's base: the zxid just before session 0's creation, so that
 *   session 0's createSession is 1, and every transaction after it (each
 *   createSession, closeSession and write, failed writes included) adds one.
 *   Differences keep the gaps that a failed write leaves between the zxids
 *   Stats show, and a reply header that carries a stale zxid shows. zxid 0
 *   (the server's own nodes) stays 0.
 * - Epochs: a zxid is epoch * 2^32 + counter. The real standalone server
 *   stays in one epoch; zksim's epoch comes from the leader's ballot (so it
 *   differs with three servers) and its counter restarts with each leader.
 *   Differences are taken only within the epoch of session 0's creation,
 *   where they count transactions exactly; a zxid from another epoch is an
 *   anomaly and becomes -1. (The suite injects no faults, so the leader does
 *   not change during a run.)
 * - Reply header zxids that a real client never reads from the server are
 *   not compared (null): addAuth (the auth reply carries zxid 0, and the
 *   real executor does not wait for it), and removeWatches answered
 *   NoWatcher (the Java client and zksim's answer it from their own tables
 *   without asking; the real executor asks the server).
 * - Times: ctime is the time of the txn czxid, mtime that of mzxid, so a time
 *   becomes its zxid's normalized value. Two raw runs differ in milliseconds
 *   (and two txns may share one), so the times themselves would not be stable.
 *   Every time is still checked: one zxid must always show the same time, and
 *   times must not decrease as zxids grow; a violation is an anomaly, and the
 *   field becomes -1.
 * - ephemeralOwner: 0 stays 0; the id of sequence session k becomes k + 1;
 *   anything else becomes -1 (an anomaly).
 * - Paths: the root prefix is removed ("/" is the root); /zookeeper stays.
 * - Children and getEphemerals paths are sorted (the server returns them in
 *   hash order).
 * - Watch events are the notifications that arrived on the wire, attributed
 *   to the step that caused them (see TraceStep). Within a session close they
 *   are sorted: the server deletes a session's ephemerals in the iteration
 *   order of a HashSet of their full paths, so that order changes with the
 *   root prefix.
 *
 * Normalization also checks, as anomalies: that every event is accounted for
 * by a watch its session held (watch-ledger.ts: a one-shot watch accounts
 * for one event), and, for zksim, that its client handed its watchers exactly
 * the events that arrived.
 */
import { OPEN_ACL, type MultiOp, type MultiResult, type Stat, type ZkErrorCode, type ZkOp, type ZkReply, type ZkResult, type ZnodeData } from "../../../src/zk/types.ts";
import type { Executed, ObservedEvent, ZkExecutor } from "./executor.ts";
import type { OpSequence, SequenceStep } from "./sequence.ts";
import { accountForEvents } from "./watch-ledger.ts";

/** The watch events one session received because of one step. */
export interface SessionEvents {
  readonly session: number;
  readonly events: readonly ObservedEvent[];
}

/** The zxid in the header of a barrier sync's reply. */
export interface BarrierZxid {
  readonly session: number;
  readonly zxid: number | null;
}

/**
 * What one step did: the reply (null for a close), the zxid in its reply's
 * header, and the watch events it caused, for each session that received
 * any, in session order. The acting session's events are those that arrived
 * before its reply; every other open session sends a `sync` right after the
 * step (a barrier, whose reply header zxid is kept too), and its events are
 * those that arrived before the sync's reply. (ZooKeeper queues a
 * notification before the reply to any later request of that connection,
 * and a sync completes only after the server applied everything committed
 * before it.)
 */
export interface TraceStep {
  readonly index: number;
  readonly step: SequenceStep;
  readonly events: readonly SessionEvents[];
  readonly reply: ZkReply | null;
  /** The op's or the close's reply header zxid (see Executed.zxid). */
  readonly zxid: number | null;
  readonly barriers: readonly BarrierZxid[];
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

/** A run of one sequence. In a normalized trace, Stats, zxids, paths and events follow the rules above. */
export interface Trace {
  readonly name: string;
  /**
   * Reply header zxids of the setup: a sync by each sequence session right
   * after it opened (so the zxid of its createSession), the same for the
   * observer, the observer's create of the root, and each session's sync
   * after that.
   */
  readonly setupZxids: readonly (number | null)[];
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
  const setupZxids: (number | null)[] = [];
  const sessionIds: number[] = [];
  // Each session syncs as soon as it is open: the reply's header shows the zxid of its createSession.
  for (let k = 0; k < sequence.sessionCount; k++) {
    const session = await executor.openSession();
    if (session !== k) throw new Error(`executor numbered session ${k} as ${session}`);
    sessionIds.push(executor.sessionId(k));
    setupZxids.push(expectOk(await executor.run(k, { op: "sync", path: "/" }), `the first sync of session ${k}`).zxid);
  }
  const observer = await executor.openSession();
  setupZxids.push(expectOk(await executor.run(observer, { op: "sync", path: "/" }), "the observer's first sync").zxid);
  const created = expectOk(await executor.run(observer, { op: "create", path: root, data: null, acl: OPEN_ACL, mode: "PERSISTENT" }), `creating the root ${root}`);
  setupZxids.push(created.zxid);
  // With several servers a session's server may not have applied the root yet: sync first, as a
  // ZooKeeper client must to read another client's write. (After each step, every other session syncs.)
  for (let k = 0; k < sequence.sessionCount; k++) {
    setupZxids.push(expectOk(await executor.run(k, { op: "sync", path: root }), `the sync of session ${k} after the root's creation`).zxid);
  }

  const closeAtEnd: SequenceStep[] = [];
  for (let k = 0; k < sequence.sessionCount; k++) closeAtEnd.push({ kind: "close", session: k });
  const eventsSeen = new Array<number>(sequence.sessionCount).fill(0);
  const open = new Array<boolean>(sequence.sessionCount).fill(true);
  const steps: TraceStep[] = [];
  for (const step of [...sequence.steps, ...closeAtEnd]) {
    let reply: ZkReply | null = null;
    let zxid: number | null;
    if (step.kind === "close") {
      zxid = await executor.closeSession(step.session);
      open[step.session] = false;
    } else {
      const executed = await executor.run(step.session, mapOpPaths(step.op, (p) => toAbsolute(root, p)));
      reply = executed.reply;
      zxid = executed.zxid;
    }
    const events: SessionEvents[] = [];
    const barriers: BarrierZxid[] = [];
    for (let k = 0; k < sequence.sessionCount; k++) {
      if (k !== step.session && open[k]) {
        barriers.push({ session: k, zxid: expectOk(await executor.run(k, { op: "sync", path: root }), `the sync barrier of session ${k}`).zxid });
      }
      const all = executor.events(k);
      if (all.length > (eventsSeen[k] ?? 0)) events.push({ session: k, events: all.slice(eventsSeen[k]) });
      eventsSeen[k] = all.length;
    }
    steps.push({ index: steps.length, step, events, reply, zxid, barriers });
  }

  // With several servers the observer's may lag behind the last close: a read after sync is up to date.
  expectOk(await executor.run(observer, { op: "sync", path: root }), "the observer's sync");
  const tree = await readTree(executor, observer, root);
  const anomalies = executor.events(observer).map((e) => `the observer session, which set no watch, received ${e.type} ${e.path}`);
  anomalies.push(...deliveryAnomalies(executor, sequence.sessionCount + 1, root));
  await executor.closeSession(observer);
  return { name: sequence.name, root, sessionIds, setupZxids, steps, tree, anomalies };
}

function expectOk(executed: Executed, what: string): Executed {
  if (!executed.reply.ok) throw new Error(`${what} failed: ${executed.reply.err}`);
  return executed;
}

/**
 * For an executor whose client keeps watch tables: every notification that
 * arrived must reach the session's watcher (the harness gives each session
 * one watcher object for all its watches), and nothing else may.
 */
function deliveryAnomalies(executor: ZkExecutor, sessionCount: number, root: string): string[] {
  if (executor.deliveredEvents === undefined) return [];
  const anomalies: string[] = [];
  const line = (events: readonly ObservedEvent[]): string => events.map((e) => `${e.type} ${toRelative(root, e.path)}`).join(", ");
  for (let k = 0; k < sessionCount; k++) {
    const arrived = executor.events(k);
    const delivered = executor.deliveredEvents(k);
    if (line(arrived) !== line(delivered)) anomalies.push(`session ${k}: the client handed its watcher [${line(delivered)}], but [${line(arrived)}] arrived`);
  }
  return anomalies;
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
  const exists = (await executor.run(session, { op: "exists", path, watch: false })).reply;
  if (!exists.ok || exists.result.op !== "exists" || exists.result.stat === null) throw new Error(`reading ${path} back: it is gone (${JSON.stringify(exists)})`);
  const stat = exists.result.stat;
  const data = (await executor.run(session, { op: "getData", path, watch: false })).reply;
  const children = (await executor.run(session, { op: "getChildren", path, watch: false, withStat: false })).reply;
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
  const zxid = zxidNormalizer(raw.setupZxids[0] ?? null, anomalies);
  const timeOk = checkTimes(stats, anomalies);
  const ownerIndex = new Map(raw.sessionIds.map((id, k) => [id, k + 1]));
  const renamer: Renamer = {
    stat: (s) => normalizeStat(s, zxid, timeOk, ownerIndex, anomalies),
    path: (p) => toRelative(raw.root, p),
  };
  const header = (z: number | null): number | null => (z === null ? null : zxid(z));
  const steps: TraceStep[] = raw.steps.map((s) => ({
    index: s.index,
    step: s.step,
    events: s.events.map((e) => normalizeEvents(e, s.step.kind === "close", renamer)),
    reply: s.reply === null ? null : normalizeReply(s.reply, renamer),
    zxid: s.step.kind === "op" && s.reply !== null && !serverAnswerCompared(s.step.op, s.reply) ? null : header(s.zxid),
    barriers: s.barriers.map((b) => ({ session: b.session, zxid: header(b.zxid) })),
  }));
  anomalies.push(...accountForEvents(steps).unaccounted);
  const tree = raw.tree.map((n) => ({ ...n, path: renamer.path(n.path), stat: renamer.stat(n.stat) }));
  return { name: raw.name, setupZxids: raw.setupZxids.map(header), steps, tree, anomalies: [...new Set(anomalies)] };
}

/** Whether a reply's header zxid is compared: not when a real client would not ask the server (see the rules). */
function serverAnswerCompared(op: ZkOp, reply: ZkReply): boolean {
  if (op.op === "addAuth") return false;
  if (op.op === "removeWatches" && !reply.ok && reply.err === "NoWatcher") return false;
  return true;
}

const EPOCH_SPAN = 2 ** 32;

/**
 * The distance of a zxid from the base, the zxid just before `first`
 * (session 0's createSession); 0 stays 0. A zxid from another epoch than
 * `first`, or a missing base, is an anomaly and becomes -1.
 */
function zxidNormalizer(first: number | null, anomalies: string[]): (zxid: number) => number {
  if (first === null || first <= 0) {
    anomalies.push(`no base zxid: session 0's first sync showed ${first}`);
    return (z) => (z === 0 ? 0 : -1);
  }
  const epoch = Math.floor(first / EPOCH_SPAN);
  return (z) => {
    if (z === 0) return 0;
    if (Math.floor(z / EPOCH_SPAN) !== epoch) {
      anomalies.push(`zxid 0x${z.toString(16)} is from another epoch than session 0's creation (0x${first.toString(16)}): differences across epochs count nothing`);
      return -1;
    }
    return z - first + 1;
  };
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

function normalizeStat(s: Stat, r: (zxid: number) => number, timeOk: Set<number>, ownerIndex: Map<number, number>, anomalies: string[]): Stat {
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

/** How many watch events arrived in a trace, over all sessions. */
export function eventCount(trace: Trace): number {
  let count = 0;
  for (const s of trace.steps) for (const e of s.events) count += e.events.length;
  return count;
}

/** How many reply header zxids a trace holds (setup, steps and barriers; the ones not compared are null). */
export function replyZxidCount(trace: Trace): number {
  let count = trace.setupZxids.filter((z) => z !== null).length;
  for (const s of trace.steps) {
    if (s.zxid !== null) count++;
    count += s.barriers.filter((b) => b.zxid !== null).length;
  }
  return count;
}
