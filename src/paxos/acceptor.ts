import type { Storage } from "../sim/index.ts";
import { BALLOT_ZERO, compareBallots, type Ballot } from "./ballot.ts";
import type { AcceptedEntry, Value } from "./messages.ts";

const PROMISED_KEY = "paxos/promised";
const ACCEPTED_PREFIX = "paxos/accepted/";

/** Storage keys sort in slot order: slots are written with a fixed width. */
export function slotKey(prefix: string, slot: number): string {
  return prefix + String(slot).padStart(12, "0");
}

/**
 * The acceptor role: the durable memory of Paxos. It promises not to accept
 * ballots below the highest prepare it answered, and remembers, per slot, the
 * last (ballot, value) it accepted. Both live on disk; the replica syncs them
 * before it lets any reply go out (that is what makes a promise a promise).
 */
export class Acceptor<Cmd> {
  private promisedBallot: Ballot = BALLOT_ZERO;
  private readonly accepted = new Map<number, { ballot: Ballot; value: Value<Cmd> }>();

  constructor(
    private readonly storage: Storage,
    /** The forget-promise bug: the promise is never written to disk. */
    private readonly forgetPromise: boolean,
    /** The accept-lower-ballot bug: accept whatever ballot comes. */
    private readonly acceptLowerBallot: boolean,
  ) {}

  /** Rebuilds the acceptor from disk alone (after a restart). */
  recover(): void {
    const promised = this.storage.read(PROMISED_KEY) as Ballot | undefined;
    this.promisedBallot = promised ?? BALLOT_ZERO;
    for (const key of this.storage.keys()) {
      if (!key.startsWith(ACCEPTED_PREFIX)) continue;
      const entry = this.storage.read(key) as { ballot: Ballot; value: Value<Cmd> };
      this.accepted.set(Number(key.slice(ACCEPTED_PREFIX.length)), entry);
    }
  }

  /** The acceptor's durable state, as plain data for the inspector: its promise, and what it accepted per slot. */
  inspect(): { readonly promised: Ballot; readonly accepted: readonly { readonly slot: number; readonly ballot: Ballot; readonly vid: string }[] } {
    const accepted = [...this.accepted].sort((a, b) => a[0] - b[0]).map(([slot, entry]) => ({ slot, ballot: entry.ballot, vid: entry.value.id }));
    return { promised: this.promisedBallot, accepted };
  }

  get promised(): Ballot {
    return this.promisedBallot;
  }

  /**
   * Phase 1b. Promises `ballot` if it is at least the current promise, and
   * reports every value accepted in a slot at or above `fromSlot`. Returns null
   * when the ballot is too low (the caller sends a reject).
   */
  prepare(ballot: Ballot, fromSlot: number): AcceptedEntry<Cmd>[] | null {
    if (compareBallots(ballot, this.promisedBallot) < 0) return null;
    this.raisePromise(ballot);
    const entries: AcceptedEntry<Cmd>[] = [];
    for (const [slot, entry] of this.accepted) {
      if (slot >= fromSlot) entries.push({ slot, ballot: entry.ballot, value: entry.value });
    }
    entries.sort((a, b) => a.slot - b.slot);
    return entries;
  }

  /** Phase 2b. Accepts (ballot, value) for `slot` unless it promised a higher ballot; false when it refuses. */
  accept(ballot: Ballot, slot: number, value: Value<Cmd>): boolean {
    if (compareBallots(ballot, this.promisedBallot) < 0 && !this.acceptLowerBallot) return false;
    if (compareBallots(ballot, this.promisedBallot) > 0) this.raisePromise(ballot);
    const entry = { ballot, value };
    this.accepted.set(slot, entry);
    this.storage.write(slotKey(ACCEPTED_PREFIX, slot), entry);
    return true;
  }

  /** What this acceptor accepted for `slot`, if anything. */
  acceptedIn(slot: number): { ballot: Ballot; value: Value<Cmd> } | undefined {
    return this.accepted.get(slot);
  }

  /** Forgets every slot below `slot`: they are chosen and compacted into a snapshot. */
  truncateBelow(slot: number): void {
    for (const s of [...this.accepted.keys()]) {
      if (s >= slot) continue;
      this.accepted.delete(s);
      this.storage.delete(slotKey(ACCEPTED_PREFIX, s));
    }
  }

  /** Accepted slots held (bounded by compaction). */
  get acceptedCount(): number {
    return this.accepted.size;
  }

  private raisePromise(ballot: Ballot): void {
    this.promisedBallot = ballot;
    if (!this.forgetPromise) this.storage.write(PROMISED_KEY, ballot);
  }
}
