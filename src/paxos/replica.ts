import { assert, unreachable, type Context, type NodeId, type SyncId, type TimerId } from "../sim/index.ts";
import { Acceptor } from "./acceptor.ts";
import { ballotsEqual, BALLOT_ZERO, compareBallots, formatBallot, type Ballot } from "./ballot.ts";
import type { PaxosBug, PaxosConfig } from "./config.ts";
import { Learner, type LearnerMachine } from "./learner.ts";
import type { AcceptedEntry, PaxosMsg, PaxosTimer, Value } from "./messages.ts";

export type Role = "follower" | "candidate" | "leader";

/** How a proposal ended. `unknown` is what a real client gets when leadership is lost mid-flight. */
export type ProposeOutcome = { type: "chosen"; slot: number } | { type: "unknown" } | { type: "not-chosen" };
/** Why a proposal was not even started. */
export type ProposeRefusal = { type: "not-leader"; leader: NodeId | null } | { type: "busy" };

/** What the replica needs from the layer above: the state machine, and (optionally) role changes. */
export interface ReplicaMachine<Cmd> extends LearnerMachine<Cmd> {
  roleChanged?(role: Role, ballot: Ballot): void;
}

type Ctx<Cmd> = Context<PaxosMsg<Cmd>>;
type Done = (outcome: ProposeOutcome) => void;

interface Inflight<Cmd> {
  readonly value: Value<Cmd>;
  readonly acceptedBy: Set<NodeId>;
  /** Local time of the last send, to retransmit to silent acceptors. */
  sentUs: number;
}

/** A read barrier waiting for a quorum to confirm leadership (probe) and for the log to reach `slot`. */
interface PendingRead {
  readonly probe: number;
  readonly slot: number;
  readonly reply: (slot: number | null) => void;
}

const READS_MAX = 10_000;

/**
 * One server's Multi-Paxos replica: proposer, acceptor and learner in one
 * sans-IO component, generic over the command type. The hosting node passes
 * it its messages, timers and sync reports, and gives it a state machine.
 *
 * Leadership: a follower that hears no leader for a random election timeout
 * becomes a candidate and runs phase 1 (prepare/promise) once for every slot
 * from the first one it does not know to be chosen. With promises from a
 * quorum it leads: it re-proposes, in every slot the promises reported, the
 * value with the highest accepted ballot, fills holes with no-ops, and then
 * runs phase 2 (accept/accepted) per slot, several at a time. Anyone who sees
 * a higher ballot steps down.
 *
 * Learning: a slot is chosen when a quorum accepted it at one ballot. The
 * leader learns this from `accepted` replies and tells the others through the
 * commit index on accepts and heartbeats; a replica missing chosen entries
 * fetches them (or a snapshot) from a peer.
 */
export class Replica<Cmd> {
  private acceptor!: Acceptor<Cmd>;
  private learner!: Learner<Cmd>;
  private roleValue: Role = "follower";
  /** This replica's own ballot while it is a candidate or leader. */
  private ballot: Ballot = BALLOT_ZERO;
  private roundSeen = 0;
  private leaderHint: NodeId | null = null;
  private readonly quorum: number;
  private readonly bugs: ReadonlySet<PaxosBug>;

  private electionTimer: TimerId | null = null;
  private heartbeatTimer: TimerId | null = null;
  private retryTimer: TimerId | null = null;
  private fetchPending = false;

  // candidate
  private readonly promises = new Map<NodeId, { accepted: readonly AcceptedEntry<Cmd>[] }>();
  private candidateFromSlot = 0;

  // leader
  private readonly inflight = new Map<number, Inflight<Cmd>>();
  /** Proposals of the layer above in flight, by slot: settled when the slot is applied. */
  private readonly awaiting = new Map<number, { value: Value<Cmd>; done: Done }>();
  private readonly queue: { value: Value<Cmd>; done: Done }[] = [];
  private nextSlot = 0;
  /** The leader's first own no-op: reads wait until it is applied (it proves the log is current). */
  private barrierSlot = -1;
  /** Local time this replica became leader: peers count as answering from then on. */
  private leaderSinceUs = 0;
  private probeSeq = 0;
  private readonly probeAcked = new Map<NodeId, number>();
  private readonly lastAckUs = new Map<NodeId, number>();
  private readonly reads: PendingRead[] = [];

  // follower-side read barriers and snapshot transfer
  private requestSeq = 0;
  private readonly remoteReads = new Map<number, (slot: number | null) => void>();
  private readonly readsWaitingApply: { slot: number; done: (slot: number | null) => void }[] = [];
  private incoming: { slot: number; parts: (string | undefined)[] } | null = null;

  private proposalSeq = 0;
  /** Replies held until the writes they promise are durable. */
  private readonly repliesAfterSync = new Map<SyncId, { to: NodeId; msg: PaxosMsg<Cmd>; note: [string, unknown] | null }[]>();
  /** Messages to self, handled after the current handler returns (never re-entrantly). */
  private readonly local: PaxosMsg<Cmd>[] = [];
  private commitAnnounced = 0;
  private ctx!: Ctx<Cmd>;

  constructor(
    private readonly config: PaxosConfig,
    /** Every replica of the cluster (this one included), in the same order everywhere. */
    readonly peers: readonly NodeId[],
    private readonly machine: ReplicaMachine<Cmd>,
  ) {
    assert(peers.length >= 1 && peers.length <= 9, "a Paxos cluster has 1 to 9 replicas", { count: peers.length });
    this.bugs = new Set(config.bugs);
    const majority = Math.floor(peers.length / 2) + 1;
    this.quorum = this.bugs.has("minority-quorum") ? Math.max(1, majority - 1) : majority;
  }

  // ---------------------------------------------------------------- the host's entry points

  start(ctx: Ctx<Cmd>): void {
    this.ctx = ctx;
    assert(this.peers.includes(ctx.self), "a replica must be one of its peers", { self: ctx.self });
    this.acceptor = new Acceptor(ctx.storage, this.bugs.has("forget-promise"), this.bugs.has("accept-lower-ballot"));
    this.learner = new Learner(ctx.storage, this.machine, (slot, value) => this.onApplied(slot, value), (slot, kept, other) =>
      this.note("conflict", { slot, kept: kept.id, other: other.id }),
    );
    this.acceptor.recover();
    this.learner.recover();
    this.roundSeen = this.acceptor.promised.round;
    this.commitAnnounced = this.learner.appliedEnd;
    if (this.config.mode === "multi") this.resetElectionTimer();
  }

  receive(ctx: Ctx<Cmd>, from: NodeId, msg: PaxosMsg<Cmd>): void {
    this.ctx = ctx;
    this.handle(from, msg);
    this.flush();
  }

  /** Handles a timer tag of this replica; false when the tag is not the replica's. */
  timer(ctx: Ctx<Cmd>, tag: PaxosTimer): void {
    this.ctx = ctx;
    this.onTimer(tag);
    this.flush();
  }

  /** Releases the replies that waited for sync `sync`; false when the sync was not the replica's. */
  synced(ctx: Ctx<Cmd>, sync: SyncId): boolean {
    this.ctx = ctx;
    const replies = this.repliesAfterSync.get(sync);
    if (replies === undefined) return false;
    this.repliesAfterSync.delete(sync);
    for (const reply of replies) {
      if (reply.note !== null) this.note(reply.note[0], reply.note[1]);
      this.sendTo(reply.to, reply.msg);
    }
    this.flush();
    return true;
  }

  /**
   * Proposes a command. At the leader (or at any replica in single-decree
   * mode) it returns "proposed" and calls `done` once: when the command is
   * chosen and applied here, or when its fate becomes unknown (leadership
   * lost after it was sent) or certain not to be chosen.
   */
  propose(ctx: Ctx<Cmd>, cmd: Cmd, done: Done): "proposed" | ProposeRefusal {
    this.ctx = ctx;
    const single = this.config.mode === "single";
    if (!single && this.roleValue !== "leader") return { type: "not-leader", leader: this.leaderHint };
    if (this.queue.length >= this.config.proposalQueueMax) return { type: "busy" };
    const value: Value<Cmd> = { id: `${ctx.self}.${ctx.incarnation}.${++this.proposalSeq}`, cmd };
    this.queue.push({ value, done });
    if (single && this.roleValue === "follower" && !this.learner.isChosen(0)) this.becomeCandidate();
    else this.pump();
    this.flush();
    return "proposed";
  }

  /**
   * A read barrier (read-index): `done(slot)` is called once every write that
   * completed before this call is applied here (slot is the log position that
   * guarantees it), or `done(null)` if that cannot be established (no leader,
   * leadership lost, timeout). The layer above uses it to make `sync` linearizable.
   */
  readIndex(ctx: Ctx<Cmd>, done: (slot: number | null) => void): void {
    this.ctx = ctx;
    if (this.config.mode !== "multi") return done(null);
    if (this.roleValue === "leader") {
      this.leaderRead((slot) => this.whenApplied(slot, done));
    } else if (this.leaderHint !== null && this.leaderHint !== ctx.self && this.remoteReads.size < READS_MAX) {
      const request = ++this.requestSeq;
      this.remoteReads.set(request, (slot) => this.whenApplied(slot, done));
      this.sendTo(this.leaderHint, { type: "read-index", request });
      ctx.setTimer(this.config.readIndexTimeoutUs, { owner: "paxos", kind: "read-timeout", request } satisfies PaxosTimer);
    } else {
      done(null);
    }
    this.flush();
  }

  // ---------------------------------------------------------------- what the host may read

  get role(): Role {
    return this.roleValue;
  }

  /** The leader this replica believes in (itself when it leads), or null. */
  get leader(): NodeId | null {
    return this.leaderHint;
  }

  get currentBallot(): Ballot {
    return this.roleValue === "follower" ? this.acceptor.promised : this.ballot;
  }

  /** Every slot below this one is applied here. */
  get appliedEnd(): number {
    return this.learner.appliedEnd;
  }

  get snapshotSlot(): number {
    return this.learner.snapshotSlot;
  }

  // ---------------------------------------------------------------- dispatch

  private handle(from: NodeId, msg: PaxosMsg<Cmd>): void {
    switch (msg.type) {
      case "prepare":
        return this.onPrepare(from, msg.ballot, msg.fromSlot);
      case "promise":
        return this.onPromise(from, msg.ballot, msg.accepted, msg.snapshotSlot);
      case "reject":
        return this.onReject(msg.ballot, msg.promised);
      case "accept":
        return this.onAccept(from, msg.ballot, msg.slot, msg.value, msg.commit);
      case "accepted":
        return this.onAccepted(from, msg.ballot, msg.slot);
      case "heartbeat":
        return this.onHeartbeat(from, msg.ballot, msg.commit, msg.probe);
      case "heartbeat-ack":
        return this.onHeartbeatAck(from, msg.ballot, msg.probe);
      case "fetch":
        return this.onFetch(from, msg.fromSlot);
      case "entries":
        return this.onEntries(from, msg.entries, msg.commit);
      case "snapshot":
        return this.onSnapshotChunk(from, msg.slot, msg.chunkIndex, msg.chunkCount, msg.data);
      case "decided":
        return this.learner.choose(msg.slot, msg.value);
      case "read-index":
        return this.onReadIndex(from, msg.request);
      case "read-index-reply": {
        const reply = this.remoteReads.get(msg.request);
        this.remoteReads.delete(msg.request);
        return reply?.(msg.slot);
      }
      default:
        return unreachable(msg, "paxos message");
    }
  }

  private onTimer(tag: PaxosTimer): void {
    switch (tag.kind) {
      case "election":
        this.electionTimer = null;
        if (this.roleValue === "follower") this.becomeCandidate();
        return;
      case "retry-prepare":
        this.retryTimer = null;
        if (this.roleValue === "candidate" || (this.config.mode === "single" && this.roleValue === "follower" && this.queue.length > 0)) {
          this.becomeCandidate();
        }
        return;
      case "heartbeat":
        this.heartbeatTimer = null;
        if (this.roleValue === "leader") this.leaderTick();
        return;
      case "fetch":
        this.fetchPending = false;
        return;
      case "read-timeout": {
        const reply = this.remoteReads.get(tag.request);
        this.remoteReads.delete(tag.request);
        return reply?.(null);
      }
      default:
        return unreachable(tag, "paxos timer");
    }
  }

  // ---------------------------------------------------------------- acceptor side

  private onPrepare(from: NodeId, ballot: Ballot, fromSlot: number): void {
    this.observe(ballot);
    const accepted = this.acceptor.prepare(ballot, fromSlot);
    if (accepted === null) return this.sendTo(from, { type: "reject", ballot, promised: this.acceptor.promised });
    if (from !== this.ctx.self && this.config.mode === "multi") this.resetElectionTimer();
    const promise: PaxosMsg<Cmd> = { type: "promise", ballot, fromSlot, accepted, snapshotSlot: this.learner.snapshotSlot };
    this.replyAfterSync(from, promise, ["promise", { ballot, to: from }]);
  }

  private onAccept(from: NodeId, ballot: Ballot, slot: number, value: Value<Cmd>, commit: number): void {
    this.observe(ballot);
    if (!this.acceptor.accept(ballot, slot, value)) {
      return this.sendTo(from, { type: "reject", ballot, promised: this.acceptor.promised });
    }
    if (ballotsEqual(ballot, this.acceptor.promised)) this.follow(ballot);
    this.replyAfterSync(from, { type: "accepted", ballot, slot }, ["accept", { slot, ballot, vid: value.id }]);
    this.learnCommit(from, ballot, commit);
  }

  private onHeartbeat(from: NodeId, ballot: Ballot, commit: number, probe: number): void {
    this.observe(ballot);
    if (compareBallots(ballot, this.acceptor.promised) < 0) {
      return this.sendTo(from, { type: "reject", ballot, promised: this.acceptor.promised });
    }
    this.follow(ballot);
    this.learnCommit(from, ballot, commit);
    if (probe > 0) this.sendTo(from, { type: "heartbeat-ack", ballot, probe, applied: this.learner.appliedEnd });
  }

  /** Sends a reply once the writes before it are durable (at once with the reply-before-sync bug). */
  private replyAfterSync(to: NodeId, msg: PaxosMsg<Cmd>, note: [string, unknown]): void {
    const sync = this.ctx.storage.sync();
    if (this.bugs.has("reply-before-sync")) {
      this.note(note[0], note[1]);
      return this.sendTo(to, msg);
    }
    const waiting = this.repliesAfterSync.get(sync);
    if (waiting === undefined) this.repliesAfterSync.set(sync, [{ to, msg, note }]);
    else waiting.push({ to, msg, note });
  }

  // ---------------------------------------------------------------- learner side

  /** Every slot below `commit` is chosen; what this replica accepted at `ballot` is the chosen value. */
  private learnCommit(from: NodeId, ballot: Ballot, commit: number): void {
    if (commit <= this.learner.appliedEnd) return;
    const slotEnd = Math.min(commit, this.learner.appliedEnd + this.config.pipelineWindow + this.config.fetchBatchMax);
    for (let slot = this.learner.appliedEnd; slot < slotEnd; slot++) {
      if (this.learner.isChosen(slot)) continue;
      const accepted = this.acceptor.acceptedIn(slot);
      if (accepted !== undefined && ballotsEqual(accepted.ballot, ballot)) this.learner.choose(slot, accepted.value);
    }
    if (this.learner.appliedEnd < commit) this.requestFetch(from);
  }

  private requestFetch(from: NodeId): void {
    if (this.fetchPending || from === this.ctx.self) return;
    this.fetchPending = true;
    this.sendTo(from, { type: "fetch", fromSlot: this.learner.appliedEnd });
    this.ctx.setTimer(this.config.heartbeatUs * 2, { owner: "paxos", kind: "fetch" } satisfies PaxosTimer);
  }

  private onFetch(from: NodeId, fromSlot: number): void {
    if (fromSlot < this.learner.snapshotSlot) return this.sendSnapshot(from);
    const entries = this.learner.entriesFrom(fromSlot, this.config.fetchBatchMax);
    if (entries.length > 0) this.sendTo(from, { type: "entries", entries, commit: this.learner.appliedEnd });
  }

  private onEntries(from: NodeId, entries: readonly { slot: number; value: Value<Cmd> }[], commit: number): void {
    for (const entry of entries) this.learner.choose(entry.slot, entry.value);
    this.fetchPending = false;
    if (this.learner.appliedEnd < commit) this.requestFetch(from);
  }

  private sendSnapshot(to: NodeId): void {
    const snapshot = this.learner.storedSnapshot();
    if (snapshot === undefined) return;
    const data = JSON.stringify(snapshot.state);
    const chunkChars = this.config.snapshotChunkChars;
    const chunkCount = Math.max(1, Math.ceil(data.length / chunkChars));
    for (let chunkIndex = 0; chunkIndex < chunkCount; chunkIndex++) {
      const part = data.slice(chunkIndex * chunkChars, (chunkIndex + 1) * chunkChars);
      this.sendTo(to, { type: "snapshot", slot: snapshot.slot, chunkIndex, chunkCount, data: part });
    }
  }

  private onSnapshotChunk(from: NodeId, slot: number, chunkIndex: number, chunkCount: number, data: string): void {
    if (slot <= this.learner.appliedEnd) return;
    if (this.incoming === null || this.incoming.slot !== slot || this.incoming.parts.length !== chunkCount) {
      this.incoming = { slot, parts: new Array<string | undefined>(chunkCount).fill(undefined) };
    }
    this.incoming.parts[chunkIndex] = data;
    if (this.incoming.parts.some((part) => part === undefined)) return;
    const state: unknown = JSON.parse(this.incoming.parts.join(""));
    this.incoming = null;
    // Noted before installing: installing applies the chosen entries that follow the snapshot.
    this.note("install", { slot });
    this.learner.install({ slot, state });
    this.acceptor.truncateBelow(slot);
    this.ctx.storage.sync();
    this.fetchPending = false;
    this.requestFetch(from);
  }

  private onApplied(slot: number, value: Value<Cmd>): void {
    this.note("apply", { slot, vid: value.id });
    const waiting = this.awaiting.get(slot);
    if (waiting !== undefined) {
      this.awaiting.delete(slot);
      waiting.done(waiting.value.id === value.id ? { type: "chosen", slot } : { type: "not-chosen" });
    }
    if (this.config.mode === "single") {
      // One value is decided: every other proposal is certain not to be chosen.
      this.cancelTimer("retryTimer");
      this.settleQueue({ type: "not-chosen" });
    }
    for (let k = this.readsWaitingApply.length - 1; k >= 0; k--) {
      const read = this.readsWaitingApply[k] as { slot: number; done: (slot: number | null) => void };
      if (read.slot > this.learner.appliedEnd) continue;
      this.readsWaitingApply.splice(k, 1);
      read.done(read.slot);
    }
    const every = this.config.snapshotEvery;
    if (every > 0 && this.learner.appliedEnd - this.learner.snapshotSlot >= every) this.compact();
  }

  private compact(): void {
    const snapshot = this.learner.compact();
    this.acceptor.truncateBelow(snapshot.slot);
    this.ctx.storage.sync();
    this.note("snapshot", { slot: snapshot.slot });
  }

  private whenApplied(slot: number | null, done: (slot: number | null) => void): void {
    if (slot === null || slot <= this.learner.appliedEnd) return done(slot);
    if (this.readsWaitingApply.length >= READS_MAX) return done(null);
    this.readsWaitingApply.push({ slot, done });
  }

  // ---------------------------------------------------------------- proposer side: leadership

  private becomeCandidate(): void {
    this.cancelTimer("heartbeatTimer");
    this.cancelTimer("electionTimer");
    this.roundSeen = Math.max(this.roundSeen, this.acceptor.promised.round) + 1;
    this.ballot = { round: this.roundSeen, node: this.ctx.self };
    this.setRole("candidate");
    this.promises.clear();
    this.candidateFromSlot = this.learner.appliedEnd;
    this.broadcast({ type: "prepare", ballot: this.ballot, fromSlot: this.candidateFromSlot });
    this.setRetryTimer();
  }

  private onPromise(from: NodeId, ballot: Ballot, accepted: readonly AcceptedEntry<Cmd>[], snapshotSlot: number): void {
    if (this.roleValue !== "candidate" || !ballotsEqual(ballot, this.ballot)) return;
    if (snapshotSlot > this.candidateFromSlot) {
      // The promiser compacted slots we do not know: catch up from it before leading.
      this.stepDown("behind a peer's snapshot");
      this.requestFetch(from);
      return;
    }
    this.promises.set(from, { accepted });
    if (this.promises.size >= this.quorum) this.becomeLeader();
  }

  private becomeLeader(): void {
    this.cancelTimer("retryTimer");
    this.setRole("leader");
    this.leaderHint = this.ctx.self;
    this.probeAcked.clear();
    this.lastAckUs.clear();
    const highest = this.highestAccepted();
    let slotEnd = Math.max(this.candidateFromSlot, this.learner.chosenEnd);
    for (const slot of highest.keys()) slotEnd = Math.max(slotEnd, slot + 1);
    if (this.config.mode === "single") slotEnd = Math.min(slotEnd, 1);
    for (let slot = this.candidateFromSlot; slot < slotEnd; slot++) {
      this.startPhase2(slot, this.recoveryValue(slot, highest.get(slot)));
    }
    this.nextSlot = slotEnd;
    if (this.config.mode === "multi") {
      this.barrierSlot = this.nextSlot++;
      this.startPhase2(this.barrierSlot, this.noop(this.barrierSlot));
      this.leaderTick();
    }
    this.pump();
  }

  /** For every slot reported in the promises, the entry with the highest accepted ballot. */
  private highestAccepted(): Map<number, AcceptedEntry<Cmd>> {
    const highest = new Map<number, AcceptedEntry<Cmd>>();
    for (const { accepted } of this.promises.values()) {
      for (const entry of accepted) {
        const known = highest.get(entry.slot);
        if (known === undefined || compareBallots(entry.ballot, known.ballot) > 0) highest.set(entry.slot, entry);
      }
    }
    return highest;
  }

  /**
   * The value a new leader must propose in a slot it found open. If any promise
   * reported an accepted value, the one with the highest ballot: it may have
   * been chosen, and proposing anything else could change a chosen value.
   */
  private recoveryValue(slot: number, highest: AcceptedEntry<Cmd> | undefined): Value<Cmd> {
    const chosen = this.learner.chosenValue(slot);
    if (chosen !== undefined) return chosen;
    if (highest !== undefined && !this.bugs.has("ignore-accepted")) return highest.value;
    if (this.bugs.has("ignore-accepted") && highest !== undefined) {
      // The classic mistake: the new leader pushes its own value.
      const own = this.queue.shift();
      if (own !== undefined) {
        this.awaiting.set(slot, own);
        return own.value;
      }
      return { id: `own.${formatBallot(this.ballot)}.${slot}`, cmd: null };
    }
    return this.noop(slot);
  }

  private noop(slot: number): Value<Cmd> {
    return { id: `noop.${formatBallot(this.ballot)}.${slot}`, cmd: null };
  }

  /** Starts queued proposals while the pipeline window has room. */
  private pump(): void {
    if (this.roleValue !== "leader") return;
    const single = this.config.mode === "single";
    while (this.queue.length > 0 && this.inflight.size < this.config.pipelineWindow) {
      if (single && this.nextSlot >= 1) break;
      const { value, done } = this.queue.shift() as { value: Value<Cmd>; done: Done };
      const slot = this.nextSlot++;
      this.awaiting.set(slot, { value, done });
      this.startPhase2(slot, value);
    }
    if (single && this.learner.isChosen(0)) this.settleQueue({ type: "not-chosen" });
  }

  private startPhase2(slot: number, value: Value<Cmd>): void {
    this.inflight.set(slot, { value, acceptedBy: new Set(), sentUs: this.ctx.now() });
    this.broadcast({ type: "accept", ballot: this.ballot, slot, value, commit: this.learner.appliedEnd });
  }

  private onAccepted(from: NodeId, ballot: Ballot, slot: number): void {
    if (this.roleValue !== "leader" || !ballotsEqual(ballot, this.ballot)) return;
    this.lastAckUs.set(from, this.ctx.now());
    const entry = this.inflight.get(slot);
    if (entry === undefined) return;
    entry.acceptedBy.add(from);
    const needed = this.bugs.has("commit-before-quorum") ? 1 : this.quorum;
    if (entry.acceptedBy.size < needed) return;
    this.inflight.delete(slot);
    this.learner.choose(slot, entry.value);
    if (this.config.mode === "single") this.broadcast({ type: "decided", slot, value: entry.value });
    this.pump();
  }

  private onReject(ballot: Ballot, promised: Ballot): void {
    this.roundSeen = Math.max(this.roundSeen, promised.round);
    if (this.roleValue !== "follower" && ballotsEqual(ballot, this.ballot)) this.stepDown(`rejected: promised ${formatBallot(promised)}`);
  }

  /** Anyone who sees a ballot above its own gives up leading. */
  private observe(ballot: Ballot): void {
    this.roundSeen = Math.max(this.roundSeen, ballot.round);
    if (this.roleValue !== "follower" && compareBallots(ballot, this.ballot) > 0) this.stepDown(`saw ${formatBallot(ballot)}`);
  }

  private follow(ballot: Ballot): void {
    if (ballot.node === this.ctx.self) return;
    this.leaderHint = ballot.node;
    if (this.config.mode === "multi") this.resetElectionTimer();
  }

  private stepDown(reason: string): void {
    const wasLeader = this.roleValue === "leader";
    this.cancelTimer("heartbeatTimer");
    this.cancelTimer("retryTimer");
    this.setRole("follower", reason);
    if (this.leaderHint === this.ctx.self) this.leaderHint = null;
    this.inflight.clear();
    this.promises.clear();
    if (this.config.mode === "single") {
      // Basic Paxos: the proposer backs off and tries again with a higher ballot.
      for (const [slot, waiting] of this.awaiting) {
        this.awaiting.delete(slot);
        if (!this.learner.isChosen(slot)) this.queue.unshift(waiting);
      }
      if (this.queue.length > 0 && !this.learner.isChosen(0)) this.setRetryTimer();
      return;
    }
    for (const [slot, waiting] of this.awaiting) {
      this.awaiting.delete(slot);
      waiting.done({ type: "unknown" });
    }
    this.settleQueue({ type: "not-chosen" });
    if (wasLeader) {
      for (const read of this.reads.splice(0)) read.reply(null);
    }
    this.resetElectionTimer();
  }

  private settleQueue(outcome: ProposeOutcome): void {
    for (const { done } of this.queue.splice(0)) done(outcome);
  }

  // ---------------------------------------------------------------- leader upkeep and read barriers

  /** Heartbeat with a fresh probe, retransmission of silent accepts, and the check that a quorum still answers. */
  private leaderTick(): void {
    const nowUs = this.ctx.now();
    const silentSinceUs = nowUs - this.config.electionTimeoutUsMax;
    let answering = 1;
    for (const peer of this.peers) {
      if (peer !== this.ctx.self && (this.lastAckUs.get(peer) ?? this.leaderSinceUs) >= silentSinceUs) answering++;
    }
    if (answering < this.quorum) return this.stepDown("lost contact with a quorum");
    this.sendHeartbeat(++this.probeSeq);
    for (const [slot, entry] of this.inflight) {
      if (nowUs - entry.sentUs < this.config.heartbeatUs) continue;
      entry.sentUs = nowUs;
      const accept: PaxosMsg<Cmd> = { type: "accept", ballot: this.ballot, slot, value: entry.value, commit: this.learner.appliedEnd };
      for (const peer of this.peers) if (!entry.acceptedBy.has(peer)) this.sendTo(peer, accept);
    }
    this.heartbeatTimer = this.ctx.setTimer(this.config.heartbeatUs, { owner: "paxos", kind: "heartbeat" } satisfies PaxosTimer);
  }

  private sendHeartbeat(probe: number): void {
    this.commitAnnounced = this.learner.appliedEnd;
    this.broadcast({ type: "heartbeat", ballot: this.ballot, commit: this.learner.appliedEnd, probe });
  }

  private onHeartbeatAck(from: NodeId, ballot: Ballot, probe: number): void {
    if (this.roleValue !== "leader" || !ballotsEqual(ballot, this.ballot)) return;
    this.lastAckUs.set(from, this.ctx.now());
    this.probeAcked.set(from, Math.max(probe, this.probeAcked.get(from) ?? 0));
    this.confirmReads();
  }

  /** Starts a read barrier at the leader: remember the applied position, confirm leadership with a fresh probe. */
  private leaderRead(reply: (slot: number | null) => void): void {
    if (this.reads.length >= READS_MAX) return reply(null);
    const probe = ++this.probeSeq;
    this.reads.push({ probe, slot: Math.max(this.learner.appliedEnd, this.barrierSlot + 1), reply });
    this.sendHeartbeat(probe);
  }

  private onReadIndex(from: NodeId, request: number): void {
    if (this.roleValue !== "leader") return this.sendTo(from, { type: "read-index-reply", request, slot: null });
    this.leaderRead((slot) => this.sendTo(from, { type: "read-index-reply", request, slot }));
  }

  /** Answers every read whose probe a quorum has acknowledged at this ballot. */
  private confirmReads(): void {
    while (this.reads.length > 0) {
      const read = this.reads[0] as PendingRead;
      let confirmed = 0;
      for (const peer of this.peers) {
        if (peer === this.ctx.self || (this.probeAcked.get(peer) ?? 0) >= read.probe) confirmed++;
      }
      if (confirmed < this.quorum) return;
      this.reads.shift();
      read.reply(read.slot);
    }
  }

  // ---------------------------------------------------------------- plumbing

  private setRole(role: Role, reason?: string): void {
    if (role === "leader") this.leaderSinceUs = this.ctx.now();
    this.roleValue = role;
    this.note("role", { role, ballot: this.currentBallot, ...(reason === undefined ? {} : { reason }) });
    this.machine.roleChanged?.(role, this.currentBallot);
  }

  private broadcast(msg: PaxosMsg<Cmd>): void {
    for (const peer of this.peers) this.sendTo(peer, msg);
  }

  private sendTo(to: NodeId, msg: PaxosMsg<Cmd>): void {
    if (to === this.ctx.self) this.local.push(msg);
    else this.ctx.send(to, msg);
  }

  /** Handles messages to self, then tells followers about a commit index that moved. */
  private flush(): void {
    for (let k = 0; k < 10_000 && this.local.length > 0; k++) {
      this.handle(this.ctx.self, this.local.shift() as PaxosMsg<Cmd>);
    }
    assert(this.local.length === 0, "messages to self did not settle", { pending: this.local.length });
    if (this.roleValue === "leader" && this.config.mode === "multi" && this.learner.appliedEnd > this.commitAnnounced) {
      this.sendHeartbeat(0);
      for (let k = 0; k < 10_000 && this.local.length > 0; k++) this.handle(this.ctx.self, this.local.shift() as PaxosMsg<Cmd>);
    }
  }

  private resetElectionTimer(): void {
    this.electionTimer = this.randomTimeout("electionTimer", "election");
  }

  private setRetryTimer(): void {
    this.retryTimer = this.randomTimeout("retryTimer", "retry-prepare");
  }

  /** Replaces a timer with one after a random election timeout, drawn from this node's stream. */
  private randomTimeout(which: "electionTimer" | "retryTimer", kind: "election" | "retry-prepare"): TimerId {
    this.cancelTimer(which);
    const timeoutUs = this.ctx.rng.between(this.config.electionTimeoutUsMin, this.config.electionTimeoutUsMax);
    return this.ctx.setTimer(timeoutUs, { owner: "paxos", kind } satisfies PaxosTimer);
  }

  private cancelTimer(which: "electionTimer" | "heartbeatTimer" | "retryTimer"): void {
    const timer = this[which];
    if (timer !== null) this.ctx.cancelTimer(timer);
    this[which] = null;
  }

  private note(kind: string, data: unknown): void {
    if (this.ctx.tracing) this.ctx.trace(kind, data);
  }
}
