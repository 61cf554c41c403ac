import { Found } from "./violations.ts";
import type { ZkChange, ZkHistory, ZkHistoryOp, ZkNotification } from "./zk-history.ts";

/**
 * watches-fire-once: every one-shot watch a client set fires exactly once,
 * for the first change after the state it was set on, and never again; a
 * client that moves to another server gets, at once, the events its last
 * zxid shows it missed (ZooKeeper's setWatches). Judged against the
 * committed log's changes (`ZkHistory.changes`), which say which events each
 * client was owed, and from what reached the client on the wire: every event
 * that arrived, before the client's own bookkeeping could hide an extra one.
 */

/** The client-side kinds of a one-shot watch: getData (data), exists of a missing node (exist), getChildren (child). */
type OneShot = "data" | "exist" | "child";

interface Armed {
  readonly kind: OneShot;
  readonly path: string;
  /** The zxid of the state the watch was set on: it fires for the first triggering change after it. */
  readonly baseline: number;
  /** The first triggering change after the baseline (Infinity when none ever came). */
  readonly due: number;
  readonly setBy: string;
  /** The request that set it (its id in the history), when a request did. */
  readonly setter: number | null;
}

/** A client's watches as the server it is connected to holds them. */
interface ClientWatches {
  readonly armed: Map<string, Armed>;
  readonly persistent: Set<string>;
  readonly recursive: Set<string>;
  /** One-shot watches that fired (kind:path → the event's zxid), to tell a second event from a stray one. */
  readonly fired: Map<string, number>;
  /** The highest zxid the client has seen on its connections (what it sends when it reconnects). */
  seenZxid: number;
  /** Between Disconnected and the next SyncConnected. */
  disconnected: boolean;
}

type Step = { readonly at: number; readonly op: ZkHistoryOp; readonly n?: undefined } | { readonly at: number; readonly n: ZkNotification; readonly op?: undefined };

const VIOLATIONS_MAX = 5;

/** What one-shot kinds a change fires: the server's data table takes every change to the node, its child table child changes and deletion. */
function fires(kind: OneShot, type: string): boolean {
  if (kind === "child") return type === "NodeChildrenChanged" || type === "NodeDeleted";
  return type !== "NodeChildrenChanged";
}

/** The committed changes by path, in zxid order. */
function changesByPath(changes: readonly ZkChange[]): Map<string, ZkChange[]> {
  const out = new Map<string, ZkChange[]>();
  for (const change of changes) {
    let list = out.get(change.path);
    if (list === undefined) {
      list = [];
      out.set(change.path, list);
    }
    list.push(change);
  }
  return out;
}

export function checkWatchesFireOnce(history: ZkHistory): { checked: number; violations: Found } {
  const changes = history.changes;
  const violations = new Found();
  if (changes === undefined) return { checked: 0, violations };
  const byPath = changesByPath(changes);
  /** Where the check stands: the step under judgement (its time, and its request if it is one). */
  let current = { atUs: 0, ops: [] as number[] };
  let checked = 0;
  const report = (text: string, setter: number | null = null): void => {
    if (violations.length < VIOLATIONS_MAX) violations.add(text, { atUs: current.atUs, ops: setter === null ? current.ops : [setter, ...current.ops] });
  };

  /** The first change after `baseline` that fires a `kind` watch on `path`; a restricted one (ACL) makes the watch unknowable. */
  const dueOf = (kind: OneShot, path: string, baseline: number): { due: number; restricted: boolean } => {
    for (const change of byPath.get(path) ?? []) {
      if (change.zxid <= baseline || !fires(kind, change.type)) continue;
      return { due: change.zxid, restricted: change.restricted };
    }
    return { due: Number.POSITIVE_INFINITY, restricted: false };
  };

  /**
   * The node at `zxid` as far as the changes tell, from what the watch knew
   * at its baseline (that the node existed, or not; its mzxid and pzxid were
   * at most the baseline): whether it exists, its mzxid and pzxid.
   */
  const nodeAt = (armed: Armed, zxid: number): { exists: boolean; mzxid: number; pzxid: number } => {
    let state = { exists: armed.kind !== "exist", mzxid: 0, pzxid: 0 };
    for (const change of byPath.get(armed.path) ?? []) {
      if (change.zxid <= armed.baseline) continue;
      if (change.zxid > zxid) break;
      if (change.type === "NodeCreated") state = { exists: true, mzxid: change.zxid, pzxid: change.zxid };
      else if (change.type === "NodeDeleted") state = { ...state, exists: false };
      else if (change.type === "NodeDataChanged") state = { ...state, mzxid: change.zxid };
      else state = { ...state, pzxid: change.zxid };
    }
    return state;
  };

  const arm = (w: ClientWatches, kind: OneShot, path: string, baseline: number, setBy: string, setter: number | null): void => {
    const key = `${kind}:${path}`;
    if (w.armed.has(key)) return; // the server holds one watch per connection and path
    const { due, restricted } = dueOf(kind, path, baseline);
    if (restricted) return; // only watchers with READ are told: this one may never hear of it
    w.armed.set(key, { kind, path, baseline, due, setBy, setter });
    w.fired.delete(key);
  };

  /**
   * A zxid reached the client in order on its connection: every watch due
   * before it must have fired already, and at a reply, every watch due at it
   * too (a transaction's events all come before any reply that shows it; an
   * event may be followed by others of the same transaction).
   */
  const observe = (w: ClientWatches, client: string, zxid: number, what: string, isEvent = false): void => {
    for (const [key, armed] of w.armed) {
      if (armed.due > zxid || (isEvent && armed.due === zxid)) continue;
      checked++;
      report(`${client}'s ${armed.kind} watch on ${armed.path} (set by ${armed.setBy} at zxid ${armed.baseline}) never fired for the change at zxid ${armed.due}, though ${what} showed zxid ${zxid}`, armed.setter);
      w.armed.delete(key);
    }
    if (zxid > w.seenZxid) w.seenZxid = zxid;
  };

  /** The event a server at `serverZxid` owes for a watch the client carries with `lastZxid` (ZooKeeper's setWatches), or null: it re-arms it. */
  const owedEvent = (armed: Armed, serverZxid: number, lastZxid: number): string | null => {
    const node = nodeAt(armed, serverZxid);
    if (armed.kind === "exist") return node.exists ? "NodeCreated" : null;
    if (!node.exists) return "NodeDeleted";
    if (armed.kind === "data" && node.mzxid > lastZxid) return "NodeDataChanged";
    if (armed.kind === "child" && node.pzxid > lastZxid) return "NodeChildrenChanged";
    return null;
  };

  /**
   * An event while the client reconnects: a server that took its watches
   * fires, before it confirms the connection, what the client's last zxid
   * shows it missed, with its own zxid. The watch it fires must have been
   * owed that event there.
   */
  const missedEvent = (w: ClientWatches, client: string, n: ZkNotification): void => {
    const serverZxid = n.zxid as number;
    const path = n.path as string;
    checked++;
    for (const [key, armed] of w.armed) {
      if (armed.path !== path || owedEvent(armed, serverZxid, w.seenZxid) !== n.type) continue;
      w.armed.delete(key);
      w.fired.set(key, serverZxid);
      return;
    }
    report(`${client} got ${n.type} ${path} (zxid ${serverZxid}) while reconnecting, but held no watch that a server at that zxid owed it`);
  };

  /**
   * The connection is confirmed: the server fired first every event the
   * client's last zxid showed it missed, so a watch still owed one lost it;
   * the others are re-armed there from now on.
   */
  const reconnected = (w: ClientWatches, client: string, serverZxid: number): void => {
    for (const [key, armed] of [...w.armed]) {
      const owed = owedEvent(armed, serverZxid, w.seenZxid);
      w.armed.delete(key);
      if (owed === null) {
        arm(w, armed.kind, armed.path, serverZxid, `the reconnect at zxid ${serverZxid}`, armed.setter);
        continue;
      }
      checked++;
      report(`${client} reconnected at zxid ${serverZxid} holding a watch (${key}) that its last zxid shows had missed a change, but got no ${owed} for it`);
    }
    if (serverZxid > w.seenZxid) w.seenZxid = serverZxid;
  };

  const event = (w: ClientWatches, client: string, n: ZkNotification): void => {
    if (w.disconnected) return missedEvent(w, client, n);
    const zxid = n.zxid as number;
    const path = n.path as string;
    const change = (byPath.get(path) ?? []).find((c) => c.zxid === zxid && c.type === n.type);
    checked++;
    if (change === undefined) {
      report(`${client} got ${n.type} ${path} at zxid ${zxid}, but no change at that zxid fires it`);
      return;
    }
    // One event per change and connection, whatever number of watches it meets.
    let covered = w.persistent.has(path) || (n.type !== "NodeChildrenChanged" && [...w.recursive].some((p) => p === path || p === "/" || path.startsWith(`${p}/`)));
    for (const [key, armed] of [...w.armed]) {
      if (armed.path !== path || !fires(armed.kind, n.type)) continue;
      covered = true;
      w.armed.delete(key);
      w.fired.set(key, zxid);
      if (armed.due < zxid) report(`${client}'s ${armed.kind} watch on ${path} (set by ${armed.setBy} at zxid ${armed.baseline}) fired for the change at zxid ${zxid}, not for the first one, at zxid ${armed.due}`, armed.setter);
    }
    if (!covered) {
      const again = [...w.fired].find(([key]) => key.endsWith(`:${path}`));
      report(
        again === undefined
          ? `${client} got ${n.type} ${path} (zxid ${zxid}) with no watch set on it`
          : `${client} got ${n.type} ${path} (zxid ${zxid}) from a one-shot watch that had already fired at zxid ${again[1]}`,
      );
    }
    observe(w, client, zxid, `the event ${n.type} ${path}`, true);
  };

  const completion = (w: ClientWatches, client: string, op: ZkHistoryOp): void => {
    if (op.replyZxid === null) return; // answered by the client itself (ConnectionLoss, a bad path): nothing came on the wire
    observe(w, client, op.replyZxid, `the reply to ${op.client} xid ${op.xid} ${op.f}`);
    if (op.outcome !== "ok" || op.path === null) return;
    const setBy = `${op.f} xid ${op.xid}`;
    if (op.watch && op.f === "getData") arm(w, "data", op.path, op.replyZxid, setBy, op.id);
    else if (op.watch && op.f === "exists") arm(w, op.output === null ? "exist" : "data", op.path, op.replyZxid, setBy, op.id);
    else if (op.watch && op.f === "getChildren") arm(w, "child", op.path, op.replyZxid, setBy, op.id);
    else if (op.f === "addWatch") (op.input === "PERSISTENT_RECURSIVE" ? w.recursive : w.persistent).add(op.path);
    else if (op.f === "removeWatches") removeWatches(w, op.path, op.input);
  };

  const steps = new Map<string, Step[]>();
  const stepsOf = (client: string): Step[] => {
    let list = steps.get(client);
    if (list === undefined) {
      list = [];
      steps.set(client, list);
    }
    return list;
  };
  for (const op of history.ops) if (op.complete !== null) stepsOf(op.client).push({ at: op.complete, op });
  for (const n of history.notifications) stepsOf(n.client).push({ at: n.at, n });

  for (const [client, list] of steps) {
    list.sort((a, b) => a.at - b.at);
    const w: ClientWatches = { armed: new Map(), persistent: new Set(), recursive: new Set(), fired: new Map(), seenZxid: 0, disconnected: false };
    for (const step of list) {
      current = step.op !== undefined ? { atUs: step.op.completeUs ?? step.op.invokeUs, ops: [step.op.id] } : { atUs: step.n.atUs, ops: [] };
      if (step.op !== undefined) {
        completion(w, client, step.op);
        continue;
      }
      const n = step.n;
      if (n.type !== "None") {
        if (n.zxid !== null && n.path !== null) event(w, client, n);
        continue;
      }
      if (n.state === "Disconnected") {
        w.disconnected = true;
      } else if (n.state === "SyncConnected" && n.zxid !== null) {
        if (w.disconnected) reconnected(w, client, n.zxid);
        else observe(w, client, n.zxid, "the session's first connection");
        w.disconnected = false;
      } else if (n.state === "Expired" || n.state === "Closed") {
        w.armed.clear();
        w.persistent.clear();
        w.recursive.clear();
      }
    }
  }
  return { checked, violations };
}

function removeWatches(w: ClientWatches, path: string, type: unknown): void {
  const kinds: OneShot[] = type === "Data" ? ["data", "exist"] : type === "Children" ? ["child"] : ["data", "exist", "child"];
  for (const kind of kinds) w.armed.delete(`${kind}:${path}`);
  if (type === "Any") {
    w.persistent.delete(path);
    w.recursive.delete(path);
  }
}
