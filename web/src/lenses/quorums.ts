import { compareBallots, formatBallot, type Ballot } from "../../../src/paxos/index.ts";
import { MSG_DELIVERED, type TraceModel } from "../model/trace-model.ts";
import { VOTE_ACCEPTED, VOTE_PROMISE, type PaxosFacts } from "./paxos-facts.ts";

/**
 * Quorum overlays: for the leader at the cursor, the promises that made its
 * phase-1 majority, the accepted replies that made each slot's majority, and
 * how its phase-1 majority meets the previous leader's majorities (the
 * intersection is why a new leader cannot miss a chosen value: some member
 * of its phase-1 quorum accepted that value and reported it in its promise).
 * A majority is "made" by the first replies of distinct senders to arrive at
 * the leader, counted up to floor(N/2)+1.
 */

/** One reply at the leader: the message row, its sender, and the events of its send and delivery. */
export interface Vote {
  readonly m: number;
  readonly from: string;
  readonly sendEv: number;
  readonly deliverEv: number;
  /** For a promise: how many accepted entries it carried. */
  readonly entries: number;
}

export interface LeaderTerm {
  readonly lane: number;
  readonly node: string;
  readonly ballot: Ballot;
  /** The role note that made it leader. */
  readonly startEv: number;
  /** The event that ended the term (-1: it lasts to the end of the trace). */
  readonly endEv: number;
}

export interface SlotQuorum {
  readonly slot: number;
  /** The replies of the majority (fewer while it is still forming). */
  readonly quorum: readonly Vote[];
  /** The delivery that completed the majority; -1 when it never completed. */
  readonly completeEv: number;
  readonly firstEv: number;
}

/** A leader's majorities, whatever the cursor (cached per term). */
export interface TermQuorums {
  readonly term: LeaderTerm;
  readonly phase1: readonly Vote[];
  /** Promises for its ballot that arrived too late to count, or beyond the majority. */
  readonly phase1Others: readonly Vote[];
  /** By slot, in the order each slot's first reply arrived. */
  readonly slots: readonly SlotQuorum[];
}

export interface QuorumView {
  readonly majority: number;
  readonly current: TermQuorums;
  /** Whether the term is on at the cursor (false: the last term before it, already over). */
  readonly active: boolean;
  /** The slots with a reply at the leader by the cursor, most recent last (at most `slotsMax`). */
  readonly slots: readonly SlotQuorum[];
  /** The slot whose majority is drawn: the last one completed by the cursor. */
  readonly focus: SlotQuorum | null;
  readonly previous: PreviousQuorums | null;
}

export interface PreviousQuorums {
  readonly quorums: TermQuorums;
  /** Its last slot majority completed before the current term began. */
  readonly lastSlot: SlotQuorum | null;
  /** Members of the current phase-1 majority that were also in the previous leader's phase-1 majority. */
  readonly withPhase1: readonly string[];
  /** ...and in its last slot's accept majority. */
  readonly withLastSlot: readonly string[];
}

/** Slots listed at the cursor. */
const SLOTS_SHOWN_MAX = 12;

export class QuorumIndex {
  readonly terms: readonly LeaderTerm[];
  readonly majority: number;
  private readonly ballotIndex = new Map<string, number>();
  private readonly votesByBallot = new Map<number, number[]>();
  private readonly cache = new Map<LeaderTerm, TermQuorums>();

  constructor(
    private readonly model: TraceModel,
    private readonly facts: PaxosFacts,
    replicas: readonly string[],
  ) {
    this.majority = Math.floor(replicas.length / 2) + 1;
    facts.ballots.forEach((b, index) => this.ballotIndex.set(formatBallot(b), index));
    for (let k = 0; k < facts.votes.count; k++) {
      const ballot = facts.votes.ballot[k] as number;
      let list = this.votesByBallot.get(ballot);
      if (list === undefined) {
        list = [];
        this.votesByBallot.set(ballot, list);
      }
      list.push(k);
    }
    this.terms = leaderTerms(model);
  }

  /** The quorums of the leader at the cursor (the highest ballot among those leading), or of the last one before it. */
  at(cursor: number): QuorumView | null {
    const index = termIndexAt(this.terms, cursor);
    if (index < 0) return null;
    const term = this.terms[index] as LeaderTerm;
    const current = this.quorumsOf(term);
    const active = term.endEv < 0 || term.endEv > cursor;
    const started = current.slots.filter((s) => s.firstEv <= cursor);
    const slots = started.slice(-SLOTS_SHOWN_MAX).map((s) => clip(s, cursor));
    let focus: SlotQuorum | null = null;
    for (const s of started) if (s.completeEv >= 0 && s.completeEv <= cursor && (focus === null || s.completeEv > focus.completeEv)) focus = s;
    return { majority: this.majority, current, active, slots, focus, previous: this.previousOf(index, current) };
  }

  /** The message rows of a view's majorities: the phase-1 promises, the focused slot's accepted replies, the previous leader's phase-1 promises. */
  messagesOf(view: QuorumView): { readonly phase1: Set<number>; readonly slot: Set<number>; readonly previous: Set<number> } {
    return {
      phase1: new Set(view.current.phase1.map((v) => v.m)),
      slot: new Set((view.focus?.quorum ?? []).map((v) => v.m)),
      previous: new Set((view.previous?.quorums.phase1 ?? []).map((v) => v.m)),
    };
  }

  quorumsOf(term: LeaderTerm): TermQuorums {
    const known = this.cache.get(term);
    if (known !== undefined) return known;
    const votes = this.votesFor(term);
    const phase1: Vote[] = [];
    const phase1Others: Vote[] = [];
    const promised = new Set<string>();
    const bySlot = new Map<number, { slot: number; quorum: Vote[]; senders: Set<string>; completeEv: number; firstEv: number }>();
    for (const { vote, type, slot } of votes) {
      if (type === VOTE_PROMISE) {
        if (vote.deliverEv <= term.startEv && !promised.has(vote.from) && promised.size < this.majority) {
          promised.add(vote.from);
          phase1.push(vote);
        } else phase1Others.push(vote);
        continue;
      }
      let entry = bySlot.get(slot);
      if (entry === undefined) {
        entry = { slot, quorum: [], senders: new Set(), completeEv: -1, firstEv: vote.deliverEv };
        bySlot.set(slot, entry);
      }
      if (entry.completeEv >= 0 || entry.senders.has(vote.from)) continue;
      entry.senders.add(vote.from);
      entry.quorum.push(vote);
      if (entry.senders.size === this.majority) entry.completeEv = vote.deliverEv;
    }
    const slots = [...bySlot.values()].map(({ slot, quorum, completeEv, firstEv }) => ({ slot, quorum, completeEv, firstEv }));
    const quorums = { term, phase1, phase1Others, slots };
    this.cache.set(term, quorums);
    return quorums;
  }

  /** The replies to this leader at its ballot that were delivered, by delivery order. */
  private votesFor(term: LeaderTerm): { vote: Vote; type: number; slot: number }[] {
    const ballot = this.ballotIndex.get(formatBallot(term.ballot));
    const rows = ballot === undefined ? [] : (this.votesByBallot.get(ballot) ?? []);
    const { events, messages, lanes } = this.model;
    const out: { vote: Vote; type: number; slot: number }[] = [];
    for (const k of rows) {
      const sendEv = this.facts.votes.ev[k] as number;
      const m = events.msg[sendEv] as number;
      if (m < 0 || messages.to[m] !== term.lane || ((messages.flags[m] as number) & MSG_DELIVERED) === 0) continue;
      const deliverEv = messages.endEv[m] as number;
      if (deliverEv < 0) continue;
      const vote = { m, from: lanes[messages.from[m] as number]?.id ?? "?", sendEv, deliverEv, entries: this.facts.votes.entries[k] as number };
      out.push({ vote, type: this.facts.votes.type[k] as number, slot: this.facts.votes.slot[k] as number });
    }
    out.sort((a, b) => a.vote.deliverEv - b.vote.deliverEv);
    return out;
  }

  private previousOf(index: number, current: TermQuorums): PreviousQuorums | null {
    const term = current.term;
    for (let k = index - 1; k >= 0; k--) {
      const before = this.terms[k] as LeaderTerm;
      if (before.startEv >= term.startEv || compareBallots(before.ballot, term.ballot) >= 0) continue;
      const quorums = this.quorumsOf(before);
      let lastSlot: SlotQuorum | null = null;
      for (const s of quorums.slots) if (s.completeEv >= 0 && s.completeEv < term.startEv && (lastSlot === null || s.completeEv > lastSlot.completeEv)) lastSlot = s;
      const members = new Set(current.phase1.map((v) => v.from));
      const withPhase1 = quorums.phase1.map((v) => v.from).filter((n) => members.has(n)).sort();
      const withLastSlot = (lastSlot?.quorum ?? []).map((v) => v.from).filter((n) => members.has(n)).sort();
      return { quorums, lastSlot, withPhase1, withLastSlot };
    }
    return null;
  }
}

/** The leader terms the trace's role notes give, in order of their start. */
export function leaderTerms(model: TraceModel): LeaderTerm[] {
  const out: LeaderTerm[] = [];
  for (const interval of model.laneIntervals) {
    if (interval.kind !== "leader") continue;
    const ballot = parseBallot(interval.label);
    if (ballot === null) continue;
    out.push({ lane: interval.lane, node: model.lanes[interval.lane]?.id ?? "?", ballot, startEv: interval.startEv, endEv: interval.endEv });
  }
  return out.sort((a, b) => a.startEv - b.startEv || a.lane - b.lane);
}

/**
 * The term at the cursor: among the terms on at the cursor, the one with the
 * highest ballot (a deposed leader may not know it yet); with none on, the
 * last one to start before the cursor. -1 before any leader.
 */
export function termIndexAt(terms: readonly LeaderTerm[], cursor: number): number {
  let best = -1;
  let last = -1;
  terms.forEach((term, index) => {
    if (term.startEv > cursor) return;
    last = index;
    const on = term.endEv < 0 || term.endEv > cursor;
    if (on && (best < 0 || compareBallots(term.ballot, (terms[best] as LeaderTerm).ballot) > 0)) best = index;
  });
  return best >= 0 ? best : last;
}

/** A slot's majority as far as it had formed at the cursor. */
function clip(slot: SlotQuorum, cursor: number): SlotQuorum {
  if (slot.completeEv >= 0 && slot.completeEv <= cursor) return slot;
  return { slot: slot.slot, quorum: slot.quorum.filter((v) => v.deliverEv <= cursor), completeEv: -1, firstEv: slot.firstEv };
}

/** "3.s2" back to a ballot (the model keeps role ballots as labels). */
export function parseBallot(label: string): Ballot | null {
  const match = /^(\d+)\.(.+)$/.exec(label);
  return match === null ? null : { round: Number(match[1]), node: match[2] as string };
}
