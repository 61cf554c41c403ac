import { asPaxosNote, isPaxosNoteKind } from "./notes.ts";
import type { NodeId, TraceEvent } from "../sim/index.ts";
import { BALLOT_ZERO, compareBallots, formatBallot, type Ballot } from "./ballot.ts";

/** The safety properties of Paxos, each a separate check with its own name in reports. */
export type PaxosCheckName = "paxos.agreement" | "paxos.stability" | "paxos.prefix" | "paxos.promise";

export interface PaxosViolation {
  readonly check: PaxosCheckName;
  readonly message: string;
  readonly t: number;
  readonly data: Readonly<Record<string, unknown>>;
  /** Indices of the trace events that led to it. */
  readonly causes: readonly number[];
}

interface Acceptance {
  readonly ballot: Ballot;
  readonly vid: string;
  readonly nodes: Set<NodeId>;
  readonly events: number[];
}

interface Chosen {
  readonly vid: string;
  readonly ballot: Ballot;
  readonly events: readonly number[];
}

/** The moment the checker first saw a slot chosen: the acceptance that made a majority at one ballot. */
export interface ChosenSlot {
  readonly slot: number;
  /** The trace event (an acceptor's `accept` note) that completed the majority. */
  readonly ev: number;
  readonly t: number;
  readonly ballot: Ballot;
  readonly vid: string;
  /** The `accept` notes of the majority, in the order they came. */
  readonly acceptEvents: readonly number[];
}

/**
 * Judges a run from the replicas' own reports in the trace (notes `promise`,
 * `accept`, `apply`, `install`, `conflict`), as the run goes, so a violation is
 * known at the event that caused it:
 *
 * - agreement: at most one value is chosen per slot (accepted by a majority of
 *   all replicas at one ballot), and every replica applies that value;
 * - stability: once a value is chosen, no acceptor accepts another value for
 *   the slot at a higher ballot;
 * - prefix: each replica applies slots in order, without gaps (from its
 *   snapshot on), so every applied sequence is a prefix of the longest;
 * - promise: an acceptor never accepts below its promise and its promise
 *   never goes down, across restarts too.
 *
 * The majority is always the true one (floor(N/2)+1), whatever quorum a buggy
 * replica uses, since "chosen" is a property of the acceptors, not of any
 * replica's opinion.
 */
export class PaxosChecker {
  private readonly majority: number;
  private readonly replicaSet: ReadonlySet<NodeId>;
  private readonly promised = new Map<NodeId, { ballot: Ballot; event: number }>();
  private readonly acceptances = new Map<number, Acceptance[]>();
  private readonly chosen = new Map<number, Chosen>();
  /** Every slot's first choice, in the order they were chosen (as bounded as `chosen`: one entry per slot). */
  private readonly chosenInOrder: ChosenSlot[] = [];
  private readonly applied = new Map<number, { vid: string; node: NodeId; event: number }>();
  /** Next slot each replica must apply, per incarnation (reset at a restart). */
  private readonly nextApply = new Map<NodeId, number | undefined>();
  private readonly found: PaxosViolation[] = [];

  constructor(replicas: readonly NodeId[]) {
    this.replicaSet = new Set(replicas);
    this.majority = Math.floor(replicas.length / 2) + 1;
  }

  get violations(): readonly PaxosViolation[] {
    return this.found;
  }

  /**
   * When the checker first saw each slot chosen (a majority of all replicas
   * accepted one value at one ballot), in that order: the omniscient view the
   * viewer's "chosen" marker is held to.
   */
  get chosenSlots(): readonly ChosenSlot[] {
    return this.chosenInOrder;
  }

  /** Slots known chosen so far (for liveness and reports). */
  get chosenCount(): number {
    return this.chosen.size;
  }

  /** Feeds one trace event; returns the violations it revealed (usually none). */
  observe(event: TraceEvent): PaxosViolation[] {
    if (event.type === "start" && this.replicaSet.has(event.node)) {
      this.nextApply.set(event.node, undefined);
      return [];
    }
    if (event.type !== "note" || !this.replicaSet.has(event.node) || !isPaxosNoteKind(event.kind)) return [];
    const before = this.found.length;
    const note = asPaxosNote(event.kind, event.data);
    switch (note.kind) {
      case "promise":
        this.onPromise(event, note.data.ballot);
        break;
      case "accept":
        this.onAccept(event, note.data.slot, note.data.ballot, note.data.vid);
        break;
      case "apply":
        this.onApply(event, note.data.slot, note.data.vid);
        break;
      case "install":
        this.nextApply.set(event.node, note.data.slot);
        break;
      case "conflict":
        this.report("paxos.agreement", `${event.node} learned two values for slot ${note.data.slot}`, event, note.data, [event.i]);
        break;
      case "snapshot":
      case "role":
      case "outcome":
        break;
      default: {
        const unknown: never = note;
        return unknown;
      }
    }
    return this.found.slice(before);
  }

  private onPromise(event: TraceEvent & { type: "note" }, ballot: Ballot): void {
    const known = this.promised.get(event.node);
    if (known !== undefined && compareBallots(ballot, known.ballot) < 0) {
      this.report(
        "paxos.promise",
        `${event.node} promised ${formatBallot(ballot)} after promising ${formatBallot(known.ballot)}: its promise went down`,
        event,
        { node: event.node, ballot, promisedBefore: known.ballot },
        [known.event, event.i],
      );
      return;
    }
    this.promised.set(event.node, { ballot, event: event.i });
  }

  private onAccept(event: TraceEvent & { type: "note" }, slot: number, ballot: Ballot, vid: string): void {
    const known = this.promised.get(event.node) ?? { ballot: BALLOT_ZERO, event: -1 };
    if (compareBallots(ballot, known.ballot) < 0) {
      this.report(
        "paxos.promise",
        `${event.node} accepted ${formatBallot(ballot)} in slot ${slot} below its promise ${formatBallot(known.ballot)}`,
        event,
        { node: event.node, slot, ballot, promised: known.ballot },
        known.event >= 0 ? [known.event, event.i] : [event.i],
      );
    } else if (compareBallots(ballot, known.ballot) > 0) {
      this.promised.set(event.node, { ballot, event: event.i });
    }
    const chosen = this.chosen.get(slot);
    if (chosen !== undefined && chosen.vid !== vid && compareBallots(ballot, chosen.ballot) > 0) {
      this.report(
        "paxos.stability",
        `${event.node} accepted ${vid} at ${formatBallot(ballot)} in slot ${slot}, where ${chosen.vid} was chosen at ${formatBallot(chosen.ballot)}`,
        event,
        { slot, chosen: chosen.vid, chosenBallot: chosen.ballot, accepted: vid, ballot, node: event.node },
        [...chosen.events, event.i],
      );
    }
    // Re-acceptances of the chosen value change nothing; recording only other values keeps memory bounded.
    if (chosen !== undefined && chosen.vid === vid) return;
    const acceptance = this.recordAcceptance(slot, ballot, vid, event);
    if (acceptance.nodes.size === this.majority) this.onChosen(event, slot, acceptance);
  }

  private recordAcceptance(slot: number, ballot: Ballot, vid: string, event: TraceEvent & { type: "note" }): Acceptance {
    let list = this.acceptances.get(slot);
    if (list === undefined) {
      list = [];
      this.acceptances.set(slot, list);
    }
    let acceptance = list.find((a) => a.vid === vid && compareBallots(a.ballot, ballot) === 0);
    if (acceptance === undefined) {
      acceptance = { ballot, vid, nodes: new Set(), events: [] };
      list.push(acceptance);
    }
    if (!acceptance.nodes.has(event.node)) {
      acceptance.nodes.add(event.node);
      acceptance.events.push(event.i);
    }
    return acceptance;
  }

  private onChosen(event: TraceEvent & { type: "note" }, slot: number, acceptance: Acceptance): void {
    const chosen = this.chosen.get(slot);
    if (chosen !== undefined) {
      if (chosen.vid !== acceptance.vid) {
        this.report(
          "paxos.agreement",
          `two values chosen in slot ${slot}: ${chosen.vid} at ${formatBallot(chosen.ballot)} and ${acceptance.vid} at ${formatBallot(acceptance.ballot)}`,
          event,
          { slot, first: chosen.vid, firstBallot: chosen.ballot, second: acceptance.vid, secondBallot: acceptance.ballot },
          [...chosen.events, ...acceptance.events],
        );
      }
      return;
    }
    this.chosen.set(slot, { vid: acceptance.vid, ballot: acceptance.ballot, events: acceptance.events.slice() });
    this.chosenInOrder.push({ slot, ev: event.i, t: event.t, ballot: acceptance.ballot, vid: acceptance.vid, acceptEvents: acceptance.events.slice() });
    const others = (this.acceptances.get(slot) ?? []).filter((a) => a.vid !== acceptance.vid);
    // Stability, the other way round: a higher ballot already accepted something else.
    if (others.length === 0) this.acceptances.delete(slot);
    else this.acceptances.set(slot, others);
    for (const other of others) {
      if (compareBallots(other.ballot, acceptance.ballot) > 0) {
        this.report(
          "paxos.stability",
          `${acceptance.vid} was chosen in slot ${slot} at ${formatBallot(acceptance.ballot)} after ${other.vid} was accepted at the higher ${formatBallot(other.ballot)}`,
          event,
          { slot, chosen: acceptance.vid, accepted: other.vid },
          [...acceptance.events, ...other.events],
        );
      }
    }
    const applied = this.applied.get(slot);
    if (applied !== undefined && applied.vid !== acceptance.vid) {
      this.report(
        "paxos.agreement",
        `${applied.node} applied ${applied.vid} in slot ${slot}, but ${acceptance.vid} was chosen`,
        event,
        { slot, applied: applied.vid, chosen: acceptance.vid, node: applied.node },
        [applied.event, ...acceptance.events],
      );
    }
  }

  private onApply(event: TraceEvent & { type: "note" }, slot: number, vid: string): void {
    const expected = this.nextApply.get(event.node);
    if (expected !== undefined && slot !== expected) {
      this.report("paxos.prefix", `${event.node} applied slot ${slot} when slot ${expected} was next`, event, { node: event.node, slot, expected }, [event.i]);
    }
    this.nextApply.set(event.node, slot + 1);
    const first = this.applied.get(slot);
    if (first === undefined) this.applied.set(slot, { vid, node: event.node, event: event.i });
    else if (first.vid !== vid) {
      this.report(
        "paxos.agreement",
        `replicas applied different values in slot ${slot}: ${first.node} applied ${first.vid}, ${event.node} applied ${vid}`,
        event,
        { slot, [first.node]: first.vid, [event.node]: vid },
        [first.event, event.i],
      );
    }
    const chosen = this.chosen.get(slot);
    if (chosen === undefined) {
      this.report(
        "paxos.agreement",
        `${event.node} applied ${vid} in slot ${slot} before a majority accepted any value there`,
        event,
        { slot, applied: vid, node: event.node },
        [event.i],
      );
    } else if (chosen.vid !== vid) {
      this.report(
        "paxos.agreement",
        `${event.node} applied ${vid} in slot ${slot}, but ${chosen.vid} was chosen`,
        event,
        { slot, applied: vid, chosen: chosen.vid },
        [...chosen.events, event.i],
      );
    }
  }

  private report(
    check: PaxosCheckName,
    message: string,
    event: TraceEvent,
    data: Readonly<Record<string, unknown>>,
    causes: readonly number[],
  ): void {
    this.found.push({ check, message, t: event.t, data, causes });
  }
}
