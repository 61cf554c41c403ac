import { formatBallot, type ReplicaInspection } from "../../../src/paxos/index.ts";
import type { NodeStatus } from "../../../src/sim/index.ts";
import type { Inspection } from "../resim/inspect-nodes.ts";
import type { ChosenMark } from "./chosen.ts";

/**
 * The Paxos slot table at the cursor: per slot, what each acceptor has
 * accepted at which ballot, from the replicas' own inspect() in a re-run
 * stopped there; per replica its promise, its commit (chosen) end and its
 * applied end. A cell that differs from the previous inspection shown is
 * marked changed; a slot chosen by the cursor names the event it happened at,
 * and the cells of its majority are marked.
 */

export interface AcceptorColumn {
  readonly node: string;
  readonly status: NodeStatus;
  /** False when the node has no replica, or is crashed (nothing to read). */
  readonly known: boolean;
  readonly role: string;
  readonly promised: string;
  /** Slots below this are chosen (the learner's chosen end), and below `applied` applied. */
  readonly commit: number;
  readonly applied: number;
  readonly snapshotSlot: number;
  readonly commitChanged: boolean;
  readonly appliedChanged: boolean;
}

export interface SlotCell {
  readonly ballot: string;
  readonly vid: string;
  readonly changed: boolean;
  /** The cell holds the chosen (ballot, value) of its slot. */
  readonly chosen: boolean;
}

export interface SlotRow {
  readonly slot: number;
  /** One per acceptor column; null: nothing accepted there (or compacted, or unknown). */
  readonly cells: readonly (SlotCell | null)[];
  /** The slot's chosen moment, when it is at or before the cursor. */
  readonly chosen: ChosenMark | null;
}

export interface SlotTable {
  readonly acceptors: readonly AcceptorColumn[];
  readonly rows: readonly SlotRow[];
  /** Slots with entries below the rows shown. */
  readonly slotsBelow: number;
}

/** Rows shown: the highest slots (a long run holds thousands). */
export const SLOT_ROWS_MAX = 24;

/** The replica inside a node's inspection (a ZooKeeper server's, a log server's, or a bare replica), or null. */
export function replicaOf(state: unknown): ReplicaInspection | null {
  if (typeof state !== "object" || state === null) return null;
  const record = state as { kind?: unknown; paxos?: unknown };
  if (record.kind === "paxos-replica") return state as ReplicaInspection;
  if ((record.kind === "zk-server" || record.kind === "log-server") && typeof record.paxos === "object" && record.paxos !== null) return record.paxos as ReplicaInspection;
  return null;
}

/**
 * The table after `inspection`; `previous` is the inspection shown before
 * (null: nothing to compare with); `marks` are the chosen marks at or before
 * the cursor, in event order.
 */
export function slotTable(inspection: Inspection, previous: Inspection | null, marks: readonly ChosenMark[], rowsMax = SLOT_ROWS_MAX): SlotTable {
  const replicas = inspection.nodes.map((node) => ({ node, replica: node.status === "crashed" ? null : replicaOf(node.state) })).filter((r) => r.replica !== null || (r.node.status === "crashed" && isServerName(r.node.id, inspection)));
  const before = new Map<string, ReplicaInspection>();
  for (const node of previous?.nodes ?? []) {
    const replica = node.status === "crashed" ? null : replicaOf(node.state);
    if (replica !== null) before.set(node.id, replica);
  }
  const acceptors: AcceptorColumn[] = replicas.map(({ node, replica }) => {
    const old = before.get(node.id);
    const commit = replica?.learner.chosenEnd ?? 0;
    const applied = replica?.learner.appliedEnd ?? 0;
    return {
      node: node.id,
      status: node.status,
      known: replica !== null,
      role: replica?.proposer.role ?? "",
      promised: replica === null ? "" : formatBallot(replica.acceptor.promised),
      commit,
      applied,
      snapshotSlot: replica?.learner.snapshotSlot ?? 0,
      commitChanged: previous !== null && old !== undefined && old.learner.chosenEnd !== commit,
      appliedChanged: previous !== null && old !== undefined && old.learner.appliedEnd !== applied,
    };
  });
  const chosenBySlot = new Map<number, ChosenMark>();
  for (const mark of marks) chosenBySlot.set(mark.slot, mark);
  const slots = new Set<number>();
  for (const { replica } of replicas) for (const entry of replica?.acceptor.accepted ?? []) slots.add(entry.slot);
  const ordered = [...slots].sort((a, b) => b - a);
  const shown = ordered.slice(0, rowsMax);
  const rows = shown.map((slot) => {
    const chosen = chosenBySlot.get(slot) ?? null;
    const cells = replicas.map(({ node, replica }) => {
      const entry = replica?.acceptor.accepted.find((e) => e.slot === slot);
      if (entry === undefined) return null;
      const ballot = formatBallot(entry.ballot);
      const old = before.get(node.id)?.acceptor.accepted.find((e) => e.slot === slot);
      const changed = previous !== null && before.has(node.id) && (old === undefined || formatBallot(old.ballot) !== ballot || old.vid !== entry.vid);
      return { ballot, vid: entry.vid, changed, chosen: chosen !== null && chosen.vid === entry.vid && formatBallot(chosen.ballot) === ballot };
    });
    return { slot, cells, chosen };
  });
  return { acceptors, rows, slotsBelow: ordered.length - shown.length };
}

/** A crashed node gets a column when the other servers are replicas too (it has no inspection to say so itself). */
function isServerName(id: string, inspection: Inspection): boolean {
  return /^s\d+$/.test(id) && inspection.nodes.some((n) => n.status !== "crashed" && replicaOf(n.state) !== null);
}
