import { z } from "zod";
import { ballotSchema, paxosNoteSchema, type Ballot } from "../../../src/paxos/index.ts";
import type { TraceEvent } from "../../../src/sim/index.ts";
import { Column, StringTable } from "../model/growable.ts";

/**
 * What the Paxos lenses need from a trace beyond the model's columns, read
 * in the trace worker as the lines stream in (the page never holds the
 * payloads): every acceptor's `accept` note (slot, ballot, value id), and
 * every promise and accepted reply (ballot, slot, how many accepted entries
 * a promise carried). Columns of typed arrays, moved to the page without a
 * copy. Nothing here judges; chosen.ts and quorums.ts do.
 */

export interface AcceptColumns {
  readonly count: number;
  /** The `accept` note's event. */
  readonly ev: Int32Array;
  /** Index into `nodes`: the acceptor. */
  readonly node: Int16Array;
  readonly slot: Int32Array;
  /** Index into `ballots`. */
  readonly ballot: Int32Array;
  /** Index into `vids`. */
  readonly vid: Int32Array;
}

/** A promise (1b) or accepted (2b) reply, by the event that sent it (a send, or a duplicate). */
export interface VoteColumns {
  readonly count: number;
  readonly ev: Int32Array;
  readonly type: Uint8Array;
  /** The slot of an accepted; -1 for a promise. */
  readonly slot: Int32Array;
  readonly ballot: Int32Array;
  /** For a promise: how many accepted entries it reported to the new leader. */
  readonly entries: Int32Array;
}

export const VOTE_PROMISE = 0;
export const VOTE_ACCEPTED = 1;

export interface PaxosFacts {
  readonly nodes: readonly string[];
  readonly ballots: readonly Ballot[];
  readonly vids: readonly string[];
  readonly accepts: AcceptColumns;
  readonly votes: VoteColumns;
  /** Notes and messages of Paxos kinds whose data did not match their schema: left out, and said so on the page. */
  readonly malformed: number;
}

const promiseSchema = z.object({ type: z.literal("promise"), ballot: ballotSchema, accepted: z.array(z.unknown()) });
const acceptedSchema = z.object({ type: z.literal("accepted"), ballot: ballotSchema, slot: z.int().min(0) });

/** Builds the facts event by event, in trace order; `finish` returns them. */
export class PaxosFactsBuilder {
  private readonly nodes = new StringTable();
  private readonly vids = new StringTable();
  private readonly ballotIndex = new Map<string, number>();
  private readonly ballots: Ballot[] = [];

  private readonly aEv = new Column(Int32Array);
  private readonly aNode = new Column(Int16Array);
  private readonly aSlot = new Column(Int32Array);
  private readonly aBallot = new Column(Int32Array);
  private readonly aVid = new Column(Int32Array);

  private readonly vEv = new Column(Int32Array);
  private readonly vType = new Column(Uint8Array);
  private readonly vSlot = new Column(Int32Array);
  private readonly vBallot = new Column(Int32Array);
  private readonly vEntries = new Column(Int32Array);
  /** A vote's row by its message id, for duplicates of it (votes only: bounded by them). */
  private readonly voteOfMessage = new Map<number, number>();
  private malformed = 0;

  event(event: TraceEvent): void {
    switch (event.type) {
      case "note":
        if (event.kind === "accept") this.acceptNote(event.i, event.node, event.data);
        return;
      case "send":
        this.send(event.i, event.id, event.msg);
        return;
      case "duplicate": {
        const row = this.voteOfMessage.get(event.of);
        if (row !== undefined) this.pushVote(event.i, event.id, this.vType.get(row), this.vSlot.get(row), this.vBallot.get(row), this.vEntries.get(row));
        return;
      }
      default:
        return;
    }
  }

  finish(): PaxosFacts {
    return {
      nodes: this.nodes.values.slice(),
      ballots: this.ballots.slice(),
      vids: this.vids.values.slice(),
      accepts: { count: this.aEv.length, ev: this.aEv.finish(), node: this.aNode.finish(), slot: this.aSlot.finish(), ballot: this.aBallot.finish(), vid: this.aVid.finish() },
      votes: { count: this.vEv.length, ev: this.vEv.finish(), type: this.vType.finish(), slot: this.vSlot.finish(), ballot: this.vBallot.finish(), entries: this.vEntries.finish() },
      malformed: this.malformed,
    };
  }

  private acceptNote(ev: number, node: string, data: unknown): void {
    const parsed = paxosNoteSchema.safeParse({ kind: "accept", data });
    if (!parsed.success || parsed.data.kind !== "accept") {
      this.malformed++;
      return;
    }
    const { slot, ballot, vid } = parsed.data.data;
    this.aEv.push(ev);
    this.aNode.push(this.nodes.intern(node));
    this.aSlot.push(slot);
    this.aBallot.push(this.ballotOf(ballot));
    this.aVid.push(this.vids.intern(vid));
  }

  private send(ev: number, id: number, msg: unknown): void {
    const type = typeof msg === "object" && msg !== null ? (msg as { type?: unknown }).type : undefined;
    if (type === "promise") {
      const parsed = promiseSchema.safeParse(msg);
      if (parsed.success) this.pushVote(ev, id, VOTE_PROMISE, -1, this.ballotOf(parsed.data.ballot), parsed.data.accepted.length);
      else this.malformed++;
    } else if (type === "accepted") {
      const parsed = acceptedSchema.safeParse(msg);
      if (parsed.success) this.pushVote(ev, id, VOTE_ACCEPTED, parsed.data.slot, this.ballotOf(parsed.data.ballot), 0);
      else this.malformed++;
    }
  }

  private pushVote(ev: number, id: number, type: number, slot: number, ballot: number, entries: number): void {
    this.voteOfMessage.set(id, this.vEv.length);
    this.vEv.push(ev);
    this.vType.push(type);
    this.vSlot.push(slot);
    this.vBallot.push(ballot);
    this.vEntries.push(entries);
  }

  private ballotOf(ballot: Ballot): number {
    const key = `${ballot.round}.${ballot.node}`;
    let index = this.ballotIndex.get(key);
    if (index === undefined) {
      index = this.ballots.length;
      this.ballotIndex.set(key, index);
      this.ballots.push({ round: ballot.round, node: ballot.node });
    }
    return index;
  }
}

/** The buffers of the facts, to transfer them to another thread instead of copying. */
export function paxosFactsTransferables(facts: PaxosFacts): ArrayBuffer[] {
  const out: ArrayBuffer[] = [];
  for (const columns of [facts.accepts, facts.votes]) for (const value of Object.values(columns)) if (ArrayBuffer.isView(value)) out.push(value.buffer as ArrayBuffer);
  return out;
}

/** Facts from whole events (tests, and traces read in one piece). */
export function paxosFactsOf(events: Iterable<TraceEvent>): PaxosFacts {
  const builder = new PaxosFactsBuilder();
  for (const event of events) builder.event(event);
  return builder.finish();
}
