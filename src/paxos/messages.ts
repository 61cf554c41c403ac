import type { Ballot } from "./ballot.ts";

/**
 * What a slot holds: a command of the layer above, or a no-op that a new
 * leader uses to fill a hole. `id` names the proposal uniquely, so checkers can
 * compare values without comparing commands.
 */
export interface Value<Cmd> {
  readonly id: string;
  readonly cmd: Cmd | null;
}

/** An accepted (ballot, value) for one slot, as reported in a promise. */
export interface AcceptedEntry<Cmd> {
  readonly slot: number;
  readonly ballot: Ballot;
  readonly value: Value<Cmd>;
}

/** A chosen (slot, value), as sent to a replica that is catching up. */
export interface ChosenEntry<Cmd> {
  readonly slot: number;
  readonly value: Value<Cmd>;
}

/**
 * The protocol's messages, under the names the Paxos papers use.
 *
 * Phase 1: prepare (1a) and promise (1b). Phase 2: accept (2a) and accepted (2b).
 * A `reject` tells a proposer its ballot is below what the acceptor promised.
 * Heartbeats carry the leader's commit index; their acks confirm leadership
 * for read barriers. `fetch`, `entries` and `snapshot` bring a lagging replica
 * up to date. `read-index` asks the leader for a read barrier on behalf of a
 * follower.
 */
export type PaxosMsg<Cmd> =
  | { readonly type: "prepare"; readonly ballot: Ballot; readonly fromSlot: number }
  | {
      readonly type: "promise";
      readonly ballot: Ballot;
      readonly fromSlot: number;
      readonly accepted: readonly AcceptedEntry<Cmd>[];
      /** Every slot below this one is chosen and compacted into the acceptor's snapshot. */
      readonly snapshotSlot: number;
    }
  | { readonly type: "reject"; readonly ballot: Ballot; readonly promised: Ballot }
  | { readonly type: "accept"; readonly ballot: Ballot; readonly slot: number; readonly value: Value<Cmd>; readonly commit: number }
  | { readonly type: "accepted"; readonly ballot: Ballot; readonly slot: number }
  | { readonly type: "heartbeat"; readonly ballot: Ballot; readonly commit: number; readonly probe: number }
  | { readonly type: "heartbeat-ack"; readonly ballot: Ballot; readonly probe: number; readonly applied: number }
  | { readonly type: "fetch"; readonly fromSlot: number }
  | { readonly type: "entries"; readonly entries: readonly ChosenEntry<Cmd>[]; readonly commit: number }
  | {
      readonly type: "snapshot";
      /** The snapshot covers every slot below this one. */
      readonly slot: number;
      readonly chunkIndex: number;
      readonly chunkCount: number;
      readonly data: string;
    }
  /** Single-decree mode: the proposer announces the decided value to every learner. */
  | { readonly type: "decided"; readonly slot: number; readonly value: Value<Cmd> }
  | { readonly type: "read-index"; readonly request: number }
  | { readonly type: "read-index-reply"; readonly request: number; readonly slot: number | null };

export type PaxosMsgType = PaxosMsg<unknown>["type"];

/** Every message type of the protocol, once (the compiler checks the list against the union). */
const PAXOS_MSG_TYPES: Readonly<Record<PaxosMsgType, true>> = {
  prepare: true,
  promise: true,
  reject: true,
  accept: true,
  accepted: true,
  heartbeat: true,
  "heartbeat-ack": true,
  fetch: true,
  entries: true,
  snapshot: true,
  decided: true,
  "read-index": true,
  "read-index-reply": true,
};

/**
 * Whether a message of a host's union is one of the replica's: what a host
 * dispatches on before its own exhaustive switch, so that only Paxos messages
 * reach the replica (no cast).
 */
export function isPaxosMsg<Cmd>(msg: PaxosMsg<Cmd> | { readonly type: string }): msg is PaxosMsg<Cmd> {
  return Object.hasOwn(PAXOS_MSG_TYPES, msg.type);
}

/** Timer tags of the proposer: elections, heartbeats, and a candidate's retry after a random backoff. */
export type ProposerTimer =
  | { readonly owner: "paxos"; readonly kind: "election" }
  | { readonly owner: "paxos"; readonly kind: "heartbeat" }
  | { readonly owner: "paxos"; readonly kind: "retry-prepare" };

/** Timer tags of a replica; `owner` lets the hosting node route them. */
export type PaxosTimer =
  | ProposerTimer
  /** Catch-up: a fetch that got no answer may be asked again. */
  | { readonly owner: "paxos"; readonly kind: "fetch" }
  /** A follower's read barrier that the leader did not answer in time fails. */
  | { readonly owner: "paxos"; readonly kind: "read-timeout"; readonly request: number };

/**
 * The tags of the timers a replica sets again and again, made once: a timer
 * needs no new object each time it is armed (the engine freezes what it is
 * given, and takes a frozen object as already done).
 */
export const PAXOS_TIMERS = Object.freeze({
  election: Object.freeze({ owner: "paxos", kind: "election" }),
  heartbeat: Object.freeze({ owner: "paxos", kind: "heartbeat" }),
  retryPrepare: Object.freeze({ owner: "paxos", kind: "retry-prepare" }),
  fetch: Object.freeze({ owner: "paxos", kind: "fetch" }),
} as const satisfies Record<string, PaxosTimer>);

/** Whether a timer tag of a host's union is the replica's (its `owner` is "paxos"). */
export function isPaxosTimer(tag: unknown): tag is PaxosTimer {
  return typeof tag === "object" && tag !== null && (tag as { owner?: unknown }).owner === "paxos";
}
