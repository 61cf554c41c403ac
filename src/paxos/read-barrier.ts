import { fail, type NodeId } from "../sim/index.ts";
import type { Learner } from "./learner.ts";
import type { PaxosTimer } from "./messages.ts";
import type { Outbox } from "./outbox.ts";

/** How a read barrier ends: the slot that covers every earlier write, or null when that cannot be established. */
export type ReadReply = (slot: number | null) => void;

/** A read at the leader, waiting for a quorum to acknowledge `probe` (its leadership) before it answers `slot`. */
interface PendingRead {
  readonly probe: number;
  readonly slot: number;
  readonly reply: ReadReply;
}

/** Read barriers of each kind (at the leader, asked of the leader, waiting for apply) held at once; past it one fails at once. */
const READS_MAX = 10_000;

/**
 * Read barriers (read-index): a way to read from a replica's state machine
 * and still see every write that completed before the read began.
 *
 * At the leader, a read remembers the slot that covers everything committed
 * so far and waits until a quorum has acknowledged a heartbeat probe sent
 * after it: then no other leader can have committed anything newer. A
 * follower asks the leader for that slot (with a timeout). Either way the
 * answer is released once the slot is applied here.
 *
 * The leader owns heartbeats; this class owns the probes they carry and what
 * waits on them.
 */
export class ReadBarrier<Cmd> {
  private probeSeq = 0;
  /** The highest probe each peer acknowledged in the current term. */
  private readonly probeAcked = new Map<NodeId, number>();
  /** Reads at the leader, in probe order. */
  private readonly pending: PendingRead[] = [];
  private requestSeq = 0;
  /** Reads asked of the leader, by request number. */
  private readonly remote = new Map<number, ReadReply>();
  private readonly waitingApply: { readonly slot: number; readonly done: ReadReply }[] = [];

  constructor(
    private readonly outbox: Outbox<Cmd>,
    private readonly quorum: number,
    private readonly timeoutUs: number,
    private readonly learner: Learner<Cmd>,
  ) {}

  // ---------------------------------------------------------------- at the leader

  /** A fresh probe for a heartbeat: a quorum's acks of it confirm every read registered before it. */
  nextProbe(): number {
    return ++this.probeSeq;
  }

  /** Reads at the leader wait for a quorum to acknowledge their probes. */
  get waitingAtLeader(): boolean {
    return this.pending.length > 0;
  }

  /** A new term begins: acks of earlier terms' probes prove nothing now. */
  newTerm(): void {
    this.probeAcked.clear();
  }

  /**
   * Registers a read at the leader, to answer `slot` once confirmed. Returns
   * the probe the leader must send in a heartbeat, or null when the read was
   * refused (too many waiting; it has been answered null).
   */
  beginAtLeader(slot: number, reply: ReadReply): number | null {
    if (this.pending.length >= READS_MAX) {
      reply(null);
      return null;
    }
    const probe = this.nextProbe();
    this.pending.push({ probe, slot, reply });
    return probe;
  }

  /** `from` acknowledged heartbeats up to `probe` at the leader's ballot: answers every read that a quorum now confirms. */
  acked(from: NodeId, probe: number): void {
    this.probeAcked.set(from, Math.max(probe, this.probeAcked.get(from) ?? 0));
    while (this.pending.length > 0) {
      const read = this.pending[0] as PendingRead;
      let confirmed = 0;
      for (const peer of this.outbox.peers) {
        if (peer === this.outbox.self || (this.probeAcked.get(peer) ?? 0) >= read.probe) confirmed++;
      }
      if (confirmed < this.quorum) return;
      this.pending.shift();
      read.reply(read.slot);
    }
  }

  /** Leadership is lost: no read waiting for confirmation can be answered. */
  leadershipLost(): void {
    for (const read of this.pending.splice(0)) read.reply(null);
  }

  // ---------------------------------------------------------------- at a follower

  /** Asks `leader` for a read barrier; false when too many are waiting (the caller answers null). */
  ask(leader: NodeId, done: ReadReply): boolean {
    if (this.remote.size >= READS_MAX) return false;
    const request = ++this.requestSeq;
    this.remote.set(request, done);
    this.outbox.send(leader, { type: "read-index", request });
    this.outbox.setTimer(this.timeoutUs, { owner: "paxos", kind: "read-timeout", request } satisfies PaxosTimer);
    return true;
  }

  /** The leader's answer (null: it could not confirm); a late one, after the timeout, is ignored. */
  onReply(request: number, slot: number | null): void {
    const reply = this.remote.get(request);
    this.remote.delete(request);
    reply?.(slot);
  }

  onTimeout(request: number): void {
    const reply = this.remote.get(request);
    this.remote.delete(request);
    reply?.(null);
  }

  // ---------------------------------------------------------------- both

  /** Calls `done(slot)` once `slot` is applied here (at once if it is, or if slot is null). */
  whenApplied(slot: number | null, done: ReadReply): void {
    if (slot === null || slot <= this.learner.appliedEnd) return done(slot);
    if (this.waitingApply.length >= READS_MAX) return done(null);
    this.waitingApply.push({ slot, done });
  }

  /** The applied end moved: releases every read it now covers. */
  applied(): void {
    for (let k = this.waitingApply.length - 1; k >= 0; k--) {
      const read = this.waitingApply[k] as { slot: number; done: ReadReply };
      if (read.slot > this.learner.appliedEnd) continue;
      this.waitingApply.splice(k, 1);
      read.done(read.slot);
    }
  }

  invariants(leading: boolean): void {
    if (!(this.pending.length <= READS_MAX && this.remote.size <= READS_MAX && this.waitingApply.length <= READS_MAX)) {
      fail("read barriers beyond their bound", this.counts());
    }
    if (!(this.pending.length === 0 || leading)) fail("reads wait for a leadership confirmation at a replica that does not lead", this.counts());
    if (this.pending.length > 0) {
      const first = this.pending[0] as PendingRead;
      const last = this.pending[this.pending.length - 1] as PendingRead;
      if (!(first.probe <= last.probe && last.probe <= this.probeSeq)) {
        fail("reads at the leader out of probe order", { first: first.probe, last: last.probe, probeSeq: this.probeSeq });
      }
    }
    if (!(this.probeAcked.size <= this.outbox.peers.length)) fail("probe acks from more replicas than the cluster has", { acked: this.probeAcked.size });
    // Released as soon as the applied end reaches them, by an apply or by a snapshot installed.
    for (let k = 0; k < this.waitingApply.length; k++) {
      const slot = (this.waitingApply[k] as { slot: number }).slot;
      if (slot <= this.learner.appliedEnd) fail("a read waits for a slot already applied", { slot, appliedEnd: this.learner.appliedEnd });
    }
  }

  private counts(): Record<string, number> {
    return { pending: this.pending.length, remote: this.remote.size, waitingApply: this.waitingApply.length };
  }
}
