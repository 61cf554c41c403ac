import { assert, fail, type NodeId } from "../sim/index.ts";
import type { Acceptor } from "./acceptor.ts";
import { ballotsEqual, type Ballot } from "./ballot.ts";
import type { PaxosConfig } from "./config.ts";
import type { Learner } from "./learner.ts";
import { PAXOS_TIMERS, type ChosenEntry } from "./messages.ts";
import type { Outbox } from "./outbox.ts";

/** A snapshot arriving in chunks: the parts so far, and how many are still missing. */
interface IncomingSnapshot {
  readonly slot: number;
  readonly parts: (string | undefined)[];
  missing: number;
}

/**
 * Catch-up (state transfer): how a replica gets chosen slots it missed. It
 * learns first from the commit index a leader sends: every slot below it is
 * chosen, and where this replica accepted a value at that leader's ballot,
 * that value is the chosen one. What it still lacks it fetches from a peer,
 * as chosen entries, or as a snapshot in chunks when the peer has compacted
 * those slots away. One fetch is in flight at a time.
 */
export class CatchUp<Cmd> {
  private fetchPending = false;
  private incoming: IncomingSnapshot | null = null;

  constructor(
    private readonly outbox: Outbox<Cmd>,
    private readonly config: PaxosConfig,
    private readonly acceptor: Acceptor<Cmd>,
    private readonly learner: Learner<Cmd>,
    /** Called after a snapshot from a peer is installed: the applied end jumped, perhaps with no slot applied after it. */
    private readonly installed: () => void,
  ) {}

  /** Every slot below `commit` is chosen; what this replica accepted at `ballot` is the chosen value. */
  learnCommit(from: NodeId, ballot: Ballot, commit: number): void {
    if (commit <= this.learner.appliedEnd) return;
    const slotEnd = Math.min(commit, this.learner.appliedEnd + this.config.pipelineWindow + this.config.fetchBatchMax);
    for (let slot = this.learner.appliedEnd; slot < slotEnd; slot++) {
      if (this.learner.isChosen(slot)) continue;
      const accepted = this.acceptor.acceptedIn(slot);
      if (accepted !== undefined && ballotsEqual(accepted.ballot, ballot)) this.learner.choose(slot, accepted.value);
    }
    if (this.learner.appliedEnd < commit) this.request(from);
  }

  /** Asks `from` for what follows the applied end, unless a fetch is already waiting for an answer. */
  request(from: NodeId): void {
    if (this.fetchPending || from === this.outbox.self) return;
    this.fetchPending = true;
    this.outbox.send(from, { type: "fetch", fromSlot: this.learner.appliedEnd });
    this.outbox.setTimer(this.config.heartbeatUs * 2, PAXOS_TIMERS.fetch);
  }

  /** A fetch went unanswered for long enough: the next need may ask again. */
  onFetchTimer(): void {
    this.fetchPending = false;
  }

  /** A peer asks from `fromSlot`: chosen entries, or the snapshot when those slots are compacted away. */
  onFetch(from: NodeId, fromSlot: number): void {
    if (fromSlot < this.learner.snapshotSlot) return this.sendSnapshot(from);
    const entries = this.learner.entriesFrom(fromSlot, this.config.fetchBatchMax);
    if (entries.length > 0) this.outbox.send(from, { type: "entries", entries, commit: this.learner.appliedEnd });
  }

  onEntries(from: NodeId, entries: readonly ChosenEntry<Cmd>[], commit: number): void {
    for (const entry of entries) this.learner.choose(entry.slot, entry.value);
    this.fetchPending = false;
    if (this.learner.appliedEnd < commit) this.request(from);
  }

  onSnapshotChunk(from: NodeId, slot: number, chunkIndex: number, chunkCount: number, data: string): void {
    assert(Number.isInteger(chunkIndex) && chunkIndex >= 0 && chunkIndex < chunkCount, "a snapshot chunk outside its count", { slot, chunkIndex, chunkCount });
    if (slot <= this.learner.appliedEnd) return;
    if (this.incoming === null || this.incoming.slot !== slot || this.incoming.parts.length !== chunkCount) {
      this.incoming = { slot, parts: new Array<string | undefined>(chunkCount).fill(undefined), missing: chunkCount };
    }
    if (this.incoming.parts[chunkIndex] === undefined) this.incoming.missing--;
    this.incoming.parts[chunkIndex] = data;
    if (this.incoming.missing > 0) return;
    const state: unknown = JSON.parse(this.incoming.parts.join(""));
    this.incoming = null;
    // Noted before installing: installing applies the chosen entries that follow the snapshot.
    this.outbox.note({ kind: "install", data: { slot } });
    this.learner.install({ slot, state });
    this.acceptor.truncateBelow(slot);
    this.outbox.storage.sync();
    this.installed();
    this.fetchPending = false;
    this.request(from);
  }

  invariants(): void {
    const incoming = this.incoming;
    if (incoming === null) return;
    // A complete snapshot is installed at once: one that is still held lacks a part.
    if (!(incoming.missing > 0 && incoming.missing <= incoming.parts.length)) {
      fail("a held snapshot is complete or over-counted", { slot: incoming.slot, missing: incoming.missing, chunkCount: incoming.parts.length });
    }
  }

  private sendSnapshot(to: NodeId): void {
    const snapshot = this.learner.storedSnapshot();
    if (snapshot === undefined) return;
    const data = JSON.stringify(snapshot.state);
    // A fault point: the same snapshot in many small chunks (the receiver assembles any chunking).
    const chunkChars = this.outbox.buggify("paxos.snapshot-small-chunks") ? Math.max(16, Math.ceil(this.config.snapshotChunkChars / 8)) : this.config.snapshotChunkChars;
    const chunkCount = Math.max(1, Math.ceil(data.length / chunkChars));
    for (let chunkIndex = 0; chunkIndex < chunkCount; chunkIndex++) {
      const part = data.slice(chunkIndex * chunkChars, (chunkIndex + 1) * chunkChars);
      this.outbox.send(to, { type: "snapshot", slot: snapshot.slot, chunkIndex, chunkCount, data: part });
    }
  }
}
