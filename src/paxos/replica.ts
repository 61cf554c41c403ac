import type { PaxosNote } from "./notes.ts";
import { assert, fail, unreachable, type NodeId, type SyncId } from "../sim/index.ts";
import { Acceptor } from "./acceptor.ts";
import { ballotsEqual, compareBallots, type Ballot } from "./ballot.ts";
import { CatchUp } from "./catch-up.ts";
import type { PaxosBug, PaxosConfig } from "./config.ts";
import { Leader } from "./leader.ts";
import { Learner, type LearnerMachine } from "./learner.ts";
import type { PaxosMsg, PaxosTimer, Value } from "./messages.ts";
import { Outbox, type ReplicaContext } from "./outbox.ts";
import type { Done, Proposer, ProposerInspection, ProposeRefusal, Role } from "./proposer.ts";
import { ReadBarrier } from "./read-barrier.ts";
import { SingleDecreeProposer } from "./single-decree.ts";

/** What the replica needs from the layer above: the state machine, and (optionally) role changes. */
export interface ReplicaMachine<Cmd> extends LearnerMachine<Cmd> {
  roleChanged?(role: Role, ballot: Ballot): void;
}

/** A reply that waits for the writes it promises to be durable, with the trace note that goes with it. */
interface HeldReply<Cmd> {
  readonly to: NodeId;
  readonly msg: PaxosMsg<Cmd>;
  readonly note: PaxosNote | null;
}

/**
 * One server's Paxos replica, as a sans-IO component generic over the
 * command type: the roles of the papers, one class each, and the wiring
 * between them. The hosting node passes it its messages, timers and sync
 * reports, and gives it a state machine.
 *
 * - `Acceptor`: the durable promise and accepted values; this class answers
 *   prepares, accepts and heartbeats for it, each reply only after its sync.
 * - `Learner`: the chosen log, applied in slot order, and snapshots.
 * - `Leader` (Multi-Paxos) or `SingleDecreeProposer` (`mode: "single"`):
 *   the proposer, both built on `Proposer` (phase 1, then phase 2 within
 *   the pipeline window).
 * - `CatchUp`: chosen entries and snapshots fetched from peers.
 * - `ReadBarrier` (Multi-Paxos): reads that see every earlier write.
 *
 * Messages to self (a replica is one of its own acceptors) are handled after
 * the current handler returns, never re-entrantly.
 */
/** A replica as the inspector shows it (see Replica.inspect). */
export interface ReplicaInspection {
  readonly kind: "paxos-replica";
  readonly proposer: ProposerInspection;
  readonly acceptor: ReturnType<Acceptor<unknown>["inspect"]>;
  readonly learner: ReturnType<Learner<unknown>["inspect"]>;
}

export class Replica<Cmd> {
  private readonly quorum: number;
  private readonly bugs: ReadonlySet<PaxosBug>;
  private readonly outbox: Outbox<Cmd>;
  private acceptor!: Acceptor<Cmd>;
  private learner!: Learner<Cmd>;
  private catchUp!: CatchUp<Cmd>;
  private proposer!: Proposer<Cmd>;
  /** The Multi-Paxos leader and read barriers; null in single-decree mode, which has neither. */
  private multi: { readonly leader: Leader<Cmd>; readonly reads: ReadBarrier<Cmd> } | null = null;
  /** Replies held until the writes they promise are durable. */
  private readonly repliesAfterSync = new Map<SyncId, HeldReply<Cmd>[]>();
  private readonly handleLocal = (msg: PaxosMsg<Cmd>): void => this.handle(this.outbox.self, msg);

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
    this.outbox = new Outbox(peers);
  }

  // ---------------------------------------------------------------- the host's entry points

  start(ctx: ReplicaContext<Cmd>): void {
    this.outbox.use(ctx);
    assert(this.peers.includes(ctx.self), "a replica must be one of its peers", { self: ctx.self });
    this.acceptor = new Acceptor(ctx.storage, this.bugs.has("forget-promise"), this.bugs.has("accept-lower-ballot"));
    this.learner = new Learner(ctx.storage, this.machine, (slot, value) => this.onApplied(slot, value), (slot, kept, other) =>
      this.outbox.note({ kind: "conflict", data: { slot, kept: kept.id, other: other.id } }),
    );
    // A snapshot can carry the applied end past reads waiting for a slot with no apply after it: release them then too.
    this.catchUp = new CatchUp(this.outbox, this.config, this.acceptor, this.learner, () => this.multi?.reads.applied());
    const parts = {
      outbox: this.outbox,
      config: this.config,
      bugs: this.bugs,
      quorum: this.quorum,
      acceptor: this.acceptor,
      learner: this.learner,
      catchUp: this.catchUp,
      roleChanged: (role: Role, ballot: Ballot) => this.machine.roleChanged?.(role, ballot),
    };
    if (this.config.mode === "multi") {
      const reads = new ReadBarrier(this.outbox, this.quorum, this.config.readIndexTimeoutUs, this.learner);
      const leader = new Leader(parts, reads);
      this.multi = { leader, reads };
      this.proposer = leader;
    } else {
      this.proposer = new SingleDecreeProposer(parts);
    }
    this.acceptor.recover();
    this.learner.recover();
    this.proposer.start();
  }

  receive(ctx: ReplicaContext<Cmd>, from: NodeId, msg: PaxosMsg<Cmd>): void {
    this.outbox.use(ctx);
    this.handle(from, msg);
    this.flush();
  }

  timer(ctx: ReplicaContext<Cmd>, tag: PaxosTimer): void {
    this.outbox.use(ctx);
    switch (tag.kind) {
      case "election":
      case "heartbeat":
      case "retry-prepare":
        this.proposer.timer(tag);
        break;
      case "fetch":
        this.catchUp.onFetchTimer();
        break;
      case "read-timeout":
        this.multiPaxos(tag.kind).reads.onTimeout(tag.request);
        break;
      default:
        unreachable(tag, "paxos timer");
    }
    this.flush();
  }

  /** Releases the replies that waited for sync `sync`; false when the sync was not the replica's. */
  synced(ctx: ReplicaContext<Cmd>, sync: SyncId): boolean {
    this.outbox.use(ctx);
    const replies = this.repliesAfterSync.get(sync);
    if (replies === undefined) return false;
    this.repliesAfterSync.delete(sync);
    for (const reply of replies) {
      if (reply.note !== null) this.outbox.note(reply.note);
      this.outbox.send(reply.to, reply.msg);
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
  propose(ctx: ReplicaContext<Cmd>, cmd: Cmd, done: Done): "proposed" | ProposeRefusal {
    this.outbox.use(ctx);
    const result = this.proposer.propose(cmd, done);
    if (result === "proposed") this.flush();
    return result;
  }

  /**
   * A read barrier (read-index): `done(slot)` is called once every write that
   * completed before this call is applied here (slot is the log position that
   * guarantees it), or `done(null)` if that cannot be established (no leader,
   * leadership lost, timeout, single-decree mode). The layer above uses it to
   * make `sync` linearizable.
   */
  readIndex(ctx: ReplicaContext<Cmd>, done: (slot: number | null) => void): void {
    this.outbox.use(ctx);
    if (this.multi === null) return done(null);
    const { leader, reads } = this.multi;
    const whenApplied = (slot: number | null) => reads.whenApplied(slot, done);
    const hint = leader.leader;
    if (leader.role === "leader") leader.read(whenApplied);
    else if (hint === null || hint === ctx.self || !reads.ask(hint, whenApplied)) done(null);
    this.flush();
  }

  /**
   * Asserts what must hold between events (see `Node.invariants`): each role's
   * own bookkeeping. Protocol safety across replicas is `PaxosChecker`'s.
   */
  invariants(): void {
    if (this.outbox.localCount !== 0) fail("messages to self left after a handler", { pending: this.outbox.localCount });
    this.learner.invariants();
    this.proposer.invariants();
    this.catchUp.invariants();
  }

  // ---------------------------------------------------------------- what the host may read

  /**
   * The replica as the viewer's inspector shows it, as plain data: its role
   * and ballot, its acceptor's promise and accepted entries per slot, the
   * chosen entries it holds, and its commit (chosen) and applied ends.
   */
  inspect(): ReplicaInspection {
    return { kind: "paxos-replica", proposer: this.proposer.inspect(), acceptor: this.acceptor.inspect(), learner: this.learner.inspect() };
  }

  get role(): Role {
    return this.proposer.role;
  }

  /** The leader this replica believes in (itself when it leads), or null. */
  get leader(): NodeId | null {
    return this.proposer.leader;
  }

  get currentBallot(): Ballot {
    return this.proposer.currentBallot;
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
        return this.proposer.onPromise(from, msg.ballot, msg.accepted, msg.snapshotSlot);
      case "reject":
        return this.proposer.onReject(msg.ballot, msg.promised);
      case "accept":
        return this.onAccept(from, msg.ballot, msg.slot, msg.value, msg.commit);
      case "accepted":
        return this.proposer.onAccepted(from, msg.ballot, msg.slot);
      case "heartbeat":
        return this.onHeartbeat(from, msg.ballot, msg.commit, msg.probe);
      case "heartbeat-ack":
        return this.multiPaxos(msg.type).leader.onHeartbeatAck(from, msg.ballot, msg.probe);
      case "fetch":
        return this.catchUp.onFetch(from, msg.fromSlot);
      case "entries":
        return this.catchUp.onEntries(from, msg.entries, msg.commit);
      case "snapshot":
        return this.catchUp.onSnapshotChunk(from, msg.slot, msg.chunkIndex, msg.chunkCount, msg.data);
      case "decided":
        return this.learner.choose(msg.slot, msg.value);
      case "read-index":
        return this.multiPaxos(msg.type).leader.onReadIndex(from, msg.request);
      case "read-index-reply":
        return this.multiPaxos(msg.type).reads.onReply(msg.request, msg.slot);
      default:
        return unreachable(msg, "paxos message");
    }
  }

  /** The Multi-Paxos parts, for what only Multi-Paxos sends (every replica of a cluster runs one mode). */
  private multiPaxos(what: string): { readonly leader: Leader<Cmd>; readonly reads: ReadBarrier<Cmd> } {
    assert(this.multi !== null, "a Multi-Paxos message or timer in single-decree mode", { what });
    return this.multi;
  }

  // ---------------------------------------------------------------- acceptor side

  private onPrepare(from: NodeId, ballot: Ballot, fromSlot: number): void {
    this.proposer.observe(ballot);
    const accepted = this.acceptor.prepare(ballot, fromSlot);
    if (accepted === null) return this.outbox.send(from, { type: "reject", ballot, promised: this.acceptor.promised });
    this.proposer.promisedTo(from);
    const promise: PaxosMsg<Cmd> = { type: "promise", ballot, fromSlot, accepted, snapshotSlot: this.learner.snapshotSlot };
    this.replyAfterSync(from, promise, { kind: "promise", data: { ballot, to: from } });
  }

  private onAccept(from: NodeId, ballot: Ballot, slot: number, value: Value<Cmd>, commit: number): void {
    this.proposer.observe(ballot);
    if (!this.acceptor.accept(ballot, slot, value)) {
      return this.outbox.send(from, { type: "reject", ballot, promised: this.acceptor.promised });
    }
    if (ballotsEqual(ballot, this.acceptor.promised)) this.proposer.follow(ballot);
    this.replyAfterSync(from, { type: "accepted", ballot, slot }, { kind: "accept", data: { slot, ballot, vid: value.id } });
    this.catchUp.learnCommit(from, ballot, commit);
  }

  private onHeartbeat(from: NodeId, ballot: Ballot, commit: number, probe: number): void {
    this.proposer.observe(ballot);
    if (compareBallots(ballot, this.acceptor.promised) < 0) {
      return this.outbox.send(from, { type: "reject", ballot, promised: this.acceptor.promised });
    }
    this.proposer.follow(ballot);
    this.catchUp.learnCommit(from, ballot, commit);
    if (probe > 0) this.outbox.send(from, { type: "heartbeat-ack", ballot, probe, applied: this.learner.appliedEnd });
  }

  /** Sends a reply once the writes before it are durable (at once with the reply-before-sync bug). */
  private replyAfterSync(to: NodeId, msg: PaxosMsg<Cmd>, note: PaxosNote): void {
    const sync = this.outbox.storage.sync();
    if (this.bugs.has("reply-before-sync")) {
      this.outbox.note(note);
      return this.outbox.send(to, msg);
    }
    const waiting = this.repliesAfterSync.get(sync);
    if (waiting === undefined) this.repliesAfterSync.set(sync, [{ to, msg, note }]);
    else waiting.push({ to, msg, note });
  }

  // ---------------------------------------------------------------- learner side

  private onApplied(slot: number, value: Value<Cmd>): void {
    this.outbox.note({ kind: "apply", data: { slot, vid: value.id } });
    this.proposer.applied(slot, value);
    this.multi?.reads.applied();
    const every = this.config.snapshotEvery;
    if (every > 0 && this.learner.appliedEnd - this.learner.snapshotSlot >= every) this.compact();
  }

  private compact(): void {
    const snapshot = this.learner.compact();
    this.acceptor.truncateBelow(snapshot.slot);
    this.outbox.storage.sync();
    this.outbox.note({ kind: "snapshot", data: { slot: snapshot.slot } });
  }

  // ---------------------------------------------------------------- plumbing

  /** Handles messages to self, then tells followers about a commit index that moved (which sends nothing to self). */
  private flush(): void {
    this.outbox.drainLocal(this.handleLocal);
    this.multi?.leader.announceCommit();
  }
}
