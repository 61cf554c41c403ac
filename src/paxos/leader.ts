import { fail, unreachable, type NodeId, type TimerId } from "../sim/index.ts";
import { ballotsEqual, type Ballot } from "./ballot.ts";
import { PAXOS_TIMERS, type PaxosMsg, type ProposerTimer, type Value } from "./messages.ts";
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
 *
 * It sends what a follower needs and no more: a commit index that an accept
 * of the same handler already carried is not announced again, a commit
 * announcement does not go to itself (it applied the slot), and the periodic
 * heartbeat skips a follower that got an accept or a heartbeat recently
 * (that message reset its election timer and carried the commit index; its
 * reply tells the leader the follower is alive), unless reads wait for a
 * quorum's acknowledgement. "Recently" is within `contactSkipUs` (see
 * there), so no follower hears nothing for longer than its shortest election
 * timeout less a heartbeat period.
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
  /** Local time this leader last sent each peer (by its index in `outbox.peers`) an accept or a heartbeat. */
  private readonly contactUs: number[];
  /**
   * The periodic heartbeat skips a peer sent an accept or a heartbeat less
   * than this long ago. The next tick comes a period later, so a follower's
   * longest silence is a period plus this: at most a period (as the issue's
   * "within the period"), and never more than the shortest election timeout
   * less a period (0, so no skipping, when the timing leaves no such room).
   */
  private readonly contactSkipUs: number;

  constructor(
    parts: ProposerParts<Cmd>,
    private readonly reads: ReadBarrier<Cmd>,
  ) {
    super(parts);
    this.contactUs = parts.outbox.peers.map(() => Number.NEGATIVE_INFINITY);
    const { heartbeatUs, electionTimeoutUsMin } = parts.config;
    this.contactSkipUs = Math.max(0, Math.min(heartbeatUs, electionTimeoutUsMin - 2 * heartbeatUs));
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
    if (probe !== null) this.broadcastHeartbeat(probe);
  }

  /** A follower asks for a read barrier: a leader answers once confirmed; anyone else answers null at once. */
  onReadIndex(from: NodeId, request: number): void {
    if (this.roleValue !== "leader") return this.outbox.send(from, { type: "read-index-reply", request, slot: null });
    this.read((slot) => this.outbox.send(from, { type: "read-index-reply", request, slot }));
  }

  /**
   * After a handler: tells the followers at once about a commit index that
   * moved, unless an accept of the handler carried it. The heartbeat does not
   * go to the leader itself, which applied what it announces.
   */
  announceCommit(): void {
    if (this.roleValue !== "leader" || this.learner.appliedEnd <= this.commitAnnounced) return;
    const commit = this.learner.appliedEnd;
    this.commitAnnounced = commit;
    const heartbeat: PaxosMsg<Cmd> = { type: "heartbeat", ballot: this.ballot, commit, probe: 0 };
    const nowUs = this.outbox.now();
    const peers = this.outbox.peers;
    for (let k = 0; k < peers.length; k++) {
      const peer = peers[k] as NodeId;
      if (peer === this.outbox.self) continue;
      this.contactUs[k] = nowUs;
      this.outbox.send(peer, heartbeat);
    }
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
    this.contactUs.fill(Number.NEGATIVE_INFINITY);
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

  protected override acceptBroadcast(commit: number): void {
    this.commitAnnounced = commit;
    this.contactUs.fill(this.outbox.now());
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
    // A skipped heartbeat (fault point) is as if lost on every link. Reads waiting for a quorum's
    // acknowledgement get a fresh probe from everyone, as each tick did before.
    if (!this.outbox.buggify("paxos.heartbeat-skip")) {
      if (this.reads.waitingAtLeader) this.broadcastHeartbeat(this.reads.nextProbe());
      else this.heartbeatQuiet(nowUs);
    }
    const peers = this.outbox.peers;
    for (const [slot, entry] of this.inflightSlots()) {
      if (nowUs - entry.sentUs < this.config.heartbeatUs) continue;
      entry.sentUs = nowUs;
      const accept: PaxosMsg<Cmd> = { type: "accept", ballot: this.ballot, slot, value: entry.value, commit: this.learner.appliedEnd };
      for (let k = 0; k < peers.length; k++) {
        const peer = peers[k] as NodeId;
        if (entry.acceptedBy.has(peer)) continue;
        this.contactUs[k] = nowUs;
        this.outbox.send(peer, accept);
      }
    }
    this.heartbeatTimer = this.outbox.setTimer(this.config.heartbeatUs, PAXOS_TIMERS.heartbeat);
  }

  /** The periodic heartbeat with no read waiting: to each follower not sent an accept or a heartbeat within `contactSkipUs`. */
  private heartbeatQuiet(nowUs: number): void {
    const peers = this.outbox.peers;
    let heartbeat: PaxosMsg<Cmd> | null = null;
    for (let k = 0; k < peers.length; k++) {
      const peer = peers[k] as NodeId;
      if (peer === this.outbox.self || nowUs - (this.contactUs[k] as number) < this.contactSkipUs) continue;
      heartbeat ??= { type: "heartbeat", ballot: this.ballot, commit: this.learner.appliedEnd, probe: this.reads.nextProbe() };
      this.contactUs[k] = nowUs;
      this.outbox.send(peer, heartbeat);
    }
  }

  /** A heartbeat to every replica, itself included (its own acknowledgement counts towards a read's quorum). */
  private broadcastHeartbeat(probe: number): void {
    this.commitAnnounced = this.learner.appliedEnd;
    this.contactUs.fill(this.outbox.now());
    this.outbox.broadcast({ type: "heartbeat", ballot: this.ballot, commit: this.learner.appliedEnd, probe });
  }

  private resetElectionTimer(): void {
    this.electionTimer = this.randomTimer(this.electionTimer, PAXOS_TIMERS.election);
  }
}
