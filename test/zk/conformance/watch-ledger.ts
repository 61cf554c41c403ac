/**
 * Events per registration: follows each session's watches through a
 * normalized trace and accounts for every notification that arrived on the
 * wire. A standard (one-shot) watch accounts for one event and is then used
 * up; a server that never uses one up sends an event for every later change,
 * which a client's own watch tables silently drop, but which arrives here
 * with no watch to account for it.
 *
 * The ledger errs on the side of holding a watch: it arms a watch whenever
 * the server said it registered one (the reply), and disarms it only when
 * the server certainly used it up (an event for it arrived) or removed it (a
 * successful removeWatches, the session's close). A watch that the server
 * used up without sending anything (the watcher lacked READ) stays armed
 * here, so such a case can hide a later extra event from the ledger, never
 * invent one; the comparison against the real server still sees it.
 *
 * The rules are ZooKeeper's (zk-semantics.md §7): exists arms a data watch
 * whether or not the node exists, getData and getChildren only on success;
 * NodeCreated and NodeDataChanged use up the data watch on their path,
 * NodeChildrenChanged the child watch, NodeDeleted both. A persistent watch
 * accounts for any number of events on its path; a recursive one for any
 * number of events on its path and below.
 */
import type { EventType, ZkReply } from "../../../src/zk/types.ts";
import type { SequenceStep } from "./sequence.ts";
import type { ObservedEvent } from "./executor.ts";

/** The part of a trace step the ledger reads (normalized: sequence-relative paths). */
export interface LedgerStep {
  readonly index: number;
  readonly step: SequenceStep;
  readonly events: readonly { readonly session: number; readonly events: readonly ObservedEvent[] }[];
  readonly reply: ZkReply | null;
}

export interface LedgerOutcome {
  /** One line per event that no watch of its session accounts for. */
  readonly unaccounted: string[];
  /** Events a standard watch accounted for (each used one up). */
  readonly oneShot: number;
  /** Events a persistent or recursive watch accounted for. */
  readonly persistent: number;
}

/** The watches one session holds, by table and path. */
interface Held {
  readonly data: Set<string>;
  readonly child: Set<string>;
  readonly persistent: Set<string>;
  readonly recursive: Set<string>;
}

/** Goes through the steps in order, accounting for each step's events before the step's own registration. */
export function accountForEvents(steps: readonly LedgerStep[]): LedgerOutcome {
  const held = new Map<number, Held>();
  const of = (session: number): Held => {
    let h = held.get(session);
    if (h === undefined) {
      h = { data: new Set(), child: new Set(), persistent: new Set(), recursive: new Set() };
      held.set(session, h);
    }
    return h;
  };
  const unaccounted: string[] = [];
  let oneShot = 0;
  let persistent = 0;
  for (const s of steps) {
    // A step's events come from changes after earlier registrations: account for them first.
    for (const { session, events } of s.events) {
      const h = of(session);
      for (const event of events) {
        if (useUp(h, event.type, event.path)) oneShot++;
        else if (coveredByPersistent(h, event.path)) persistent++;
        else unaccounted.push(`step ${s.index}: session ${session} received ${event.type} ${event.path}, which no watch it holds accounts for (a one-shot watch accounts for one event)`);
      }
    }
    const h = of(s.step.session);
    if (s.step.kind === "close") {
      for (const table of [h.data, h.child, h.persistent, h.recursive]) table.clear();
    } else if (s.reply !== null) {
      register(h, s.step.op, s.reply);
    }
  }
  return { unaccounted, oneShot, persistent };
}

/** Uses up the standard watches the event fires; false when there was none. */
function useUp(h: Held, type: EventType, path: string): boolean {
  switch (type) {
    case "NodeCreated":
    case "NodeDataChanged":
      return h.data.delete(path);
    case "NodeChildrenChanged":
      return h.child.delete(path);
    case "NodeDeleted": {
      const data = h.data.delete(path);
      const child = h.child.delete(path);
      return data || child;
    }
    default:
      return false;
  }
}

function coveredByPersistent(h: Held, path: string): boolean {
  if (h.persistent.has(path)) return true;
  for (const root of h.recursive) if (path === root || root === "/" || path.startsWith(`${root}/`)) return true;
  return false;
}

function register(h: Held, op: Extract<SequenceStep, { kind: "op" }>["op"], reply: ZkReply): void {
  if (!reply.ok) return;
  switch (op.op) {
    case "exists":
    case "getData":
      if (op.watch) h.data.add(op.path);
      return;
    case "getChildren":
      if (op.watch) h.child.add(op.path);
      return;
    case "addWatch":
      (op.mode === "PERSISTENT" ? h.persistent : h.recursive).add(op.path);
      return;
    case "removeWatches":
      if (op.type !== "Children") h.data.delete(op.path);
      if (op.type !== "Data") h.child.delete(op.path);
      if (op.type === "Any") {
        h.persistent.delete(op.path);
        h.recursive.delete(op.path);
      }
      return;
    default:
      return;
  }
}
