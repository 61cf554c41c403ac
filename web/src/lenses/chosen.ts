import { formatBallot, type Ballot } from "../../../src/paxos/index.ts";
import type { TraceModel } from "../model/trace-model.ts";
import type { PaxosFacts } from "./paxos-facts.ts";

/**
 * The omniscient "chosen" moment of each slot: the event at which a majority
 * of all replicas has accepted one value at one ballot. No node knows it
 * then: the leader learns it when the last of those accepted replies
 * arrives, the others later still. It is read from the acceptors' own
 * `accept` notes (written when the acceptance is durable and the reply is on
 * its way), in trace order, counting each acceptor once per (ballot, value):
 * the majority is the true one, floor(N/2)+1 of the replicas, whatever
 * quorum a buggy replica uses.
 */
export interface ChosenMark {
  readonly slot: number;
  /** The `accept` note that completed the majority. */
  readonly ev: number;
  readonly ballot: Ballot;
  readonly vid: string;
  /** The acceptors of the majority and their `accept` notes, in the order they came. */
  readonly acceptors: readonly string[];
  readonly acceptEvents: readonly number[];
}

/** Every slot's chosen moment, in the order they happened (by event). */
export function chosenMarks(facts: PaxosFacts, replicas: readonly string[]): ChosenMark[] {
  const majority = Math.floor(replicas.length / 2) + 1;
  const replicaSet = new Set(replicas);
  const counted = facts.nodes.map((node) => replicaSet.has(node));
  const chosen = new Set<number>();
  /** Per slot, per (ballot, value): the acceptors so far. */
  const open = new Map<number, Map<string, { nodes: Set<number>; events: number[] }>>();
  const out: ChosenMark[] = [];
  const a = facts.accepts;
  for (let k = 0; k < a.count; k++) {
    const slot = a.slot[k] as number;
    const node = a.node[k] as number;
    if (chosen.has(slot) || counted[node] !== true) continue;
    let bySlot = open.get(slot);
    if (bySlot === undefined) {
      bySlot = new Map();
      open.set(slot, bySlot);
    }
    const key = `${a.ballot[k] as number}/${a.vid[k] as number}`;
    let group = bySlot.get(key);
    if (group === undefined) {
      group = { nodes: new Set(), events: [] };
      bySlot.set(key, group);
    }
    if (group.nodes.has(node)) continue;
    group.nodes.add(node);
    group.events.push(a.ev[k] as number);
    if (group.nodes.size < majority) continue;
    chosen.add(slot);
    open.delete(slot);
    out.push({
      slot,
      ev: a.ev[k] as number,
      ballot: facts.ballots[a.ballot[k] as number] as Ballot,
      vid: facts.vids[a.vid[k] as number] as string,
      acceptors: [...group.nodes].map((n) => facts.nodes[n] as string),
      acceptEvents: group.events.slice(),
    });
  }
  return out;
}

/**
 * The replicas of a trace: its server lanes (a lane that sends Paxos or
 * ZooKeeper server messages, or is named s1, s2...). The majority is counted
 * over them, as the checker counts it over the scenario's servers.
 */
export function replicasOf(model: TraceModel): string[] {
  return model.lanes.filter((lane) => lane.kind === "server").map((lane) => lane.id);
}

/** The marks chosen at or before event `ev` (marks are in event order). */
export function chosenBy(marks: readonly ChosenMark[], ev: number): number {
  let lo = 0;
  let hi = marks.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if ((marks[mid] as ChosenMark).ev <= ev) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

export function describeMark(mark: ChosenMark): string {
  return `slot ${mark.slot}: ${mark.vid} chosen at ballot ${formatBallot(mark.ballot)} by ${mark.acceptors.join(", ")}`;
}
