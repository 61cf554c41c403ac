import { fail, unreachable, type NodeId, type TimerId } from "../sim/index.ts";
import { ballotsEqual, type Ballot } from "./ballot.ts";
import type { PaxosMsg, ProposerTimer, Value } from "./messages.ts";
import { Proposer, type Done, type ProposeRefusal, type ProposerParts } from "./proposer.ts";
import type { ReadBarrier, ReadReply } from "./read-barrier.ts";

/**
 * The Multi-Paxos leader (the "distinguished proposer"): one stable leader
 * drives the log, and the others follow it.
 *
 * A follower that hears no leader for a random election timeout becomes a
 * candidate. Once elected, the leader proposes one no-op of its own after
 * the slots it recovered (reads wait for it: it proves the leader's log is
 * current), and sends heartbeats that carry its commit index and a probe for
 * read barriers, retransmitting accepts to acceptors that stay silent. It
 * steps down when it sees a higher ballot, or when a quorum has not answered
 * for an election timeout.
 */
export class Leader<Cmd> extends Proposer<Cmd> {
  protected readonly slotEndMax = Number.POSITIVE_INFINITY;
  protected readonly queueSlack = 0;
  private electionTimer: TimerId | null = null;
  private heartbeatTimer: TimerId | null = null;
  /** The leader's own first no-op: reads wait until it is applied. */
  private barrierSlot = -1;
  /** The commit index followers were last told (on a heartbeat). */
  private commitAnnounced = 0;
  /** Local time each peer last answered this leader (accepted, heartbeat-ack). */
  private readonly lastAckUs = new Map<NodeId, number>();

  constructor(
    parts: ProposerParts<Cmd>,
    private readonly reads: ReadBarrier<Cmd>,
  ) {
    super(parts);
  }

  override start(): void {
    super.start();
    this.commitAnnounced = this.learner.appliedEnd;
    this.resetElectionTimer();
  }

  propose(cmd: Cmd, done: Done): "proposed" | ProposeRefusal {
    if (this.roleValue !== "leader") return { type: "not-leader", leader: this.leaderHint };
    const result = this.enqueue(cmd, done);
    if (result === "proposed") this.pump();
    return result;
  }

  timer(tag: ProposerTimer): void {
    switch (tag.kind) {
      case "election":
        this.electionTimer = null;
        if (this.roleValue === "follower") this.becomeCandidate();
        return;
      case "retry-prepare":
        this.retryTimer = null;
        if (this.roleValue === "candidate") this.becomeCandidate();
        return;
      case "heartbeat":
        this.heartbeatTimer = null;
        if (this.roleValue === "leader") this.leaderTick();
        return;
      default:
        return unreachable(tag, "proposer timer");
    }
  }

  /** A replica that promised another's candidacy gives it a full election timeout to win. */
  override promisedTo(from: NodeId): void {
    if (from !== this.outbox.self) this.resetElectionTimer();
  }

  onHeartbeatAck(from: NodeId, ballot: Ballot, probe: number): void {
    if (this.roleValue !== "leader" || !ballotsEqual(ballot, this.ballot)) return;
    this.lastAckUs.set(from, this.outbox.now());
    this.reads.acked(from, probe);
  }

  /** A read barrier at the leader: the slot that covers everything committed, once a quorum confirms the leadership. */
  read(reply: ReadReply): void {
    const probe = this.reads.beginAtLeader(Math.max(this.learner.appliedEnd, this.barrierSlot + 1), reply);
    if (probe !== null) this.sendHeartbeat(probe);
  }

  /** A follower asks for a read barrier: a leader answers once confirmed; anyone else answers null at once. */
  onReadIndex(from: NodeId, request: number): void {
    if (this.roleValue !== "leader") return this.outbox.send(from, { type: "read-index-reply", request, slot: null });
    this.read((slot) => this.outbox.send(from, { type: "read-index-reply", request, slot }));
  }

  /** After a handler: tells the followers at once about a commit index that moved. True when it sent a heartbeat. */
  announceCommit(): boolean {
    if (this.roleValue !== "leader" || this.learner.appliedEnd <= this.commitAnnounced) return false;
    this.sendHeartbeat(0);
    return true;
  }

  override invariants(): void {
    super.invariants();
    const role = this.roleValue;
    const election = this.electionTimer !== null;
    const retry = this.retryTimer !== null;
    const heartbeat = this.heartbeatTimer !== null;
    // Exactly one timer drives each role: a follower waits for an election, a candidate retries, a leader beats.
    if (!(election === (role === "follower") && retry === (role === "candidate") && heartbeat === (role === "leader"))) {
      fail("the timers armed do not match the role", { role, election, retry, heartbeat });
    }
    if (!(this.commitAnnounced <= this.learner.appliedEnd)) {
      fail("a commit index announced beyond what is applied here", { commitAnnounced: this.commitAnnounced, appliedEnd: this.learner.appliedEnd });
    }
    if (role === "leader" && !(this.barrierSlot >= this.candidateFromSlot && this.barrierSlot < this.nextSlot)) {
      fail("the leader's barrier no-op is outside its slots", { barrierSlot: this.barrierSlot, fromSlot: this.candidateFromSlot, nextSlot: this.nextSlot });
    }
    if (!(this.lastAckUs.size <= this.outbox.peers.length)) fail("acks from more replicas than the cluster has", { acked: this.lastAckUs.size });
    this.reads.invariants(role === "leader");
  }

  // ---------------------------------------------------------------- hooks of the proposer

  protected override becomeCandidate(): void {
    this.cancelTimer(this.heartbeatTimer);
    this.heartbeatTimer = null;
    this.cancelTimer(this.electionTimer);
    this.electionTimer = null;
    super.becomeCandidate();
  }

  protected override stepDown(reason: string): void {
    this.cancelTimer(this.heartbeatTimer);
    this.heartbeatTimer = null;
    super.stepDown(reason);
  }

  protected elected(): void {
    this.reads.newTerm();
    this.lastAckUs.clear();
    this.barrierSlot = this.nextSlot++;
    this.reserve(this.barrierSlot, this.noop(this.barrierSlot));
    this.startReserved();
    this.leaderTick();
  }

  protected chosen(_slot: number, _value: Value<Cmd>): void {}

  protected steppedDown(wasLeader: boolean): void {
    for (const [slot, waiting] of this.awaiting) {
      this.awaiting.delete(slot);
      waiting.done({ type: "unknown" });
    }
    this.settleQueue({ type: "not-chosen" });
    if (wasLeader) this.reads.leadershipLost();
    this.resetElectionTimer();
  }

  protected override heardFrom(from: NodeId): void {
    this.lastAckUs.set(from, this.outbox.now());
  }

  protected override followed(): void {
    this.resetElectionTimer();
  }

  // ---------------------------------------------------------------- leader upkeep

  /** Heartbeat with a fresh probe, retransmission of silent accepts, and the check that a quorum still answers. */
  private leaderTick(): void {
    const nowUs = this.outbox.now();
    const silentSinceUs = nowUs - this.config.electionTimeoutUsMax;
    let answering = 1;
    for (const peer of this.outbox.peers) {
      if (peer !== this.outbox.self && (this.lastAckUs.get(peer) ?? this.leaderSinceUs) >= silentSinceUs) answering++;
    }
    if (answering < this.parts.quorum) return this.stepDown("lost contact with a quorum");
    if (!this.outbox.buggify("paxos.heartbeat-skip")) this.sendHeartbeat(this.reads.nextProbe()); // skipped: as if lost on every link
    for (const [slot, entry] of this.inflightSlots()) {
      if (nowUs - entry.sentUs < this.config.heartbeatUs) continue;
      entry.sentUs = nowUs;
      const accept: PaxosMsg<Cmd> = { type: "accept", ballot: this.ballot, slot, value: entry.value, commit: this.learner.appliedEnd };
      for (const peer of this.outbox.peers) if (!entry.acceptedBy.has(peer)) this.outbox.send(peer, accept);
    }
    this.heartbeatTimer = this.outbox.setTimer(this.config.heartbeatUs, { owner: "paxos", kind: "heartbeat" });
  }

  private sendHeartbeat(probe: number): void {
    this.commitAnnounced = this.learner.appliedEnd;
    this.outbox.broadcast({ type: "heartbeat", ballot: this.ballot, commit: this.learner.appliedEnd, probe });
  }

  private resetElectionTimer(): void {
    this.electionTimer = this.randomTimer(this.electionTimer, { owner: "paxos", kind: "election" });
  }
}
