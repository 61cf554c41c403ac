import { assert, fail, type NodeId, type TimerId } from "../sim/index.ts";
import type { Acceptor } from "./acceptor.ts";
import { ballotsEqual, BALLOT_ZERO, compareBallots, formatBallot, type Ballot } from "./ballot.ts";
import type { CatchUp } from "./catch-up.ts";
import type { PaxosBug, PaxosConfig } from "./config.ts";
import type { Learner } from "./learner.ts";
import { PAXOS_TIMERS, type AcceptedEntry, type PaxosTimer, type ProposerTimer, type Value } from "./messages.ts";
import type { Outbox } from "./outbox.ts";

export type Role = "follower" | "candidate" | "leader";

/** How a proposal ended. `unknown` is what a real client gets when leadership is lost mid-flight. */
export type ProposeOutcome = { type: "chosen"; slot: number } | { type: "unknown" } | { type: "not-chosen" };
/** Why a proposal was not even started. */
export type ProposeRefusal = { type: "not-leader"; leader: NodeId | null } | { type: "busy" };
/** Called once with a proposal's outcome. */
export type Done = (outcome: ProposeOutcome) => void;

/** A proposal of the layer above, with the id that names it in the log. */
export interface Proposal<Cmd> {
  readonly value: Value<Cmd>;
  readonly done: Done;
}

/** A slot in phase 2: the value proposed and who accepted it at this ballot. */
interface Inflight<Cmd> {
  readonly value: Value<Cmd>;
  readonly acceptedBy: Set<NodeId>;
  /** Local time of the last send, to retransmit to silent acceptors. */
  sentUs: number;
}

/** The parts of its replica a proposer works with. */
export interface ProposerParts<Cmd> {
  readonly outbox: Outbox<Cmd>;
  readonly config: PaxosConfig;
  readonly bugs: ReadonlySet<PaxosBug>;
  /** Promises or acceptances that make a majority (fewer with the minority-quorum bug). */
  readonly quorum: number;
  readonly acceptor: Acceptor<Cmd>;
  readonly learner: Learner<Cmd>;
  readonly catchUp: CatchUp<Cmd>;
  /** Tells the layer above about a role change. */
  readonly roleChanged: (role: Role, ballot: Ballot) => void;
}

/**
 * The proposer role, as both modes share it. A follower becomes a candidate
 * with a ballot above every round it has seen and runs phase 1
 * (prepare/promise) for every slot from the first one it does not know to be
 * chosen. With promises from a quorum it leads: in every slot the promises
 * reported it re-proposes the value with the highest accepted ballot, and
 * fills holes with no-ops; then it runs phase 2 (accept/accepted) per slot,
 * at most `pipelineWindow` slots at a time, recovered slots first. Anyone who
 * sees a ballot above its own steps down.
 *
 * Subclasses say when to run for leadership and what to do around it:
 * `Leader` (Multi-Paxos, a stable leader over a log) and
 * `SingleDecreeProposer` (Basic Paxos, one value, competing proposers).
 */
/** A proposer as the inspector shows it (plain data). */
export interface ProposerInspection {
  readonly role: Role;
  /** Its own ballot as candidate or leader. */
  readonly ballot: Ballot;
  readonly leader: NodeId | null;
  readonly nextSlot: number;
  /** Proposals waiting for room in the pipeline window. */
  readonly queued: number;
  /** Who promised its ballot (as candidate). */
  readonly promises: readonly NodeId[];
  readonly inflight: readonly { readonly slot: number; readonly vid: string; readonly acceptedBy: readonly NodeId[] }[];
}

export abstract class Proposer<Cmd> {
  protected roleValue: Role = "follower";
  /** This replica's own ballot while it is a candidate or leader. */
  protected ballot: Ballot = BALLOT_ZERO;
  /** The highest round seen in any ballot: a new candidacy goes above it. */
  private roundSeen = 0;
  protected leaderHint: NodeId | null = null;
  protected retryTimer: TimerId | null = null;
  /** Local time this replica became leader. */
  protected leaderSinceUs = 0;

  // candidate
  private readonly promises = new Map<NodeId, readonly AcceptedEntry<Cmd>[]>();
  protected candidateFromSlot = 0;

  // leader
  private readonly inflight = new Map<number, Inflight<Cmd>>();
  /**
   * Slots that already have a value (a new leader's recovered slots, its
   * barrier no-op) waiting for room in the pipeline window, in slot order.
   * They go before any queued proposal.
   */
  private readonly reserved: { readonly slot: number; readonly value: Value<Cmd> }[] = [];
  /** Proposals of the layer above in phase 2 or chosen, by slot: settled when the slot is applied. */
  protected readonly awaiting = new Map<number, Proposal<Cmd>>();
  /** Proposals waiting for a slot. */
  protected readonly queue: Proposal<Cmd>[] = [];
  /** The next slot a proposal of the queue gets. */
  protected nextSlot = 0;
  private proposalSeq = 0;

  protected readonly outbox: Outbox<Cmd>;
  protected readonly config: PaxosConfig;
  protected readonly learner: Learner<Cmd>;

  /** Slots this proposer may fill: every slot (Multi-Paxos) or slot 0 alone (single-decree). */
  protected abstract readonly slotEndMax: number;
  /** Proposals the queue may hold beyond proposalQueueMax (single-decree puts a preempted one back in front). */
  protected abstract readonly queueSlack: number;

  constructor(protected readonly parts: ProposerParts<Cmd>) {
    this.outbox = parts.outbox;
    this.config = parts.config;
    this.learner = parts.learner;
  }

  /** Proposes a command; see `Replica.propose`. */
  abstract propose(cmd: Cmd, done: Done): "proposed" | ProposeRefusal;
  abstract timer(tag: ProposerTimer): void;
  /** Promises from a quorum made this replica leader and reserved its recovered slots: what it does first. */
  protected abstract elected(): void;
  /** Phase 2 chose `value` in `slot` (the learner has it). */
  protected abstract chosen(slot: number, value: Value<Cmd>): void;
  /** The rest of stepping down: role, ballot and phase-2 state are already reset. */
  protected abstract steppedDown(wasLeader: boolean): void;

  // ---------------------------------------------------------------- what the replica reads

  /** The proposer's state, as plain data for the inspector: role, ballot, leader, and the slots in phase 2 with who accepted them. */
  inspect(): ProposerInspection {
    const inflight = [...this.inflight].sort((a, b) => a[0] - b[0]).map(([slot, entry]) => ({ slot, vid: entry.value.id, acceptedBy: [...entry.acceptedBy].sort() }));
    return { role: this.roleValue, ballot: this.ballot, leader: this.leaderHint, nextSlot: this.nextSlot, queued: this.queue.length, promises: [...this.promises.keys()].sort(), inflight };
  }

  get role(): Role {
    return this.roleValue;
  }

  /** The leader this replica believes in (itself when it leads), or null. */
  get leader(): NodeId | null {
    return this.leaderHint;
  }

  get currentBallot(): Ballot {
    return this.roleValue === "follower" ? this.parts.acceptor.promised : this.ballot;
  }

  // ---------------------------------------------------------------- what the replica tells it

  /** After recovery from storage: the next candidacy goes above whatever this acceptor promised. */
  start(): void {
    this.roundSeen = this.parts.acceptor.promised.round;
  }

  /** Anyone who sees a ballot above its own gives up leading. */
  observe(ballot: Ballot): void {
    this.roundSeen = Math.max(this.roundSeen, ballot.round);
    if (this.roleValue !== "follower" && compareBallots(ballot, this.ballot) > 0) this.stepDown(`saw ${formatBallot(ballot)}`);
  }

  /** The acceptor promised `from`'s candidacy. */
  promisedTo(_from: NodeId): void {}

  /** The leader of `ballot` spoke (an accept or heartbeat at the promised ballot). */
  follow(ballot: Ballot): void {
    if (ballot.node === this.outbox.self) return;
    this.leaderHint = ballot.node;
    this.followed();
  }

  /** `slot` was applied here: settles the proposal that waited for it. */
  applied(slot: number, value: Value<Cmd>): void {
    const waiting = this.awaiting.get(slot);
    if (waiting === undefined) return;
    this.awaiting.delete(slot);
    waiting.done(waiting.value.id === value.id ? { type: "chosen", slot } : { type: "not-chosen" });
  }

  onPromise(from: NodeId, ballot: Ballot, accepted: readonly AcceptedEntry<Cmd>[], snapshotSlot: number): void {
    if (this.roleValue !== "candidate" || !ballotsEqual(ballot, this.ballot)) return;
    if (snapshotSlot > this.candidateFromSlot) {
      // The promiser compacted slots we do not know: catch up from it before leading.
      this.stepDown("behind a peer's snapshot");
      this.parts.catchUp.request(from);
      return;
    }
    this.promises.set(from, accepted);
    if (this.promises.size >= this.parts.quorum) this.becomeLeader();
  }

  onAccepted(from: NodeId, ballot: Ballot, slot: number): void {
    if (this.roleValue !== "leader" || !ballotsEqual(ballot, this.ballot)) return;
    this.heardFrom(from);
    const entry = this.inflight.get(slot);
    if (entry === undefined) return;
    entry.acceptedBy.add(from);
    const needed = this.parts.bugs.has("commit-before-quorum") ? 1 : this.parts.quorum;
    if (entry.acceptedBy.size < needed) return;
    this.inflight.delete(slot);
    this.learner.choose(slot, entry.value);
    this.chosen(slot, entry.value);
    this.pump();
  }

  onReject(ballot: Ballot, promised: Ballot): void {
    this.roundSeen = Math.max(this.roundSeen, promised.round);
    if (this.roleValue !== "follower" && ballotsEqual(ballot, this.ballot)) this.stepDown(`rejected: promised ${formatBallot(promised)}`);
  }

  // ---------------------------------------------------------------- for the subclasses

  /** Heard from a live acceptor at this leader's ballot. */
  protected heardFrom(_from: NodeId): void {}

  /** Remembered a leader other than this replica. */
  protected followed(): void {}

  /** An accept for a new slot went to every replica, carrying `commit`. */
  protected acceptBroadcast(_commit: number): void {}

  /** Queues a proposal under a fresh id; busy when the queue is full. */
  protected enqueue(cmd: Cmd, done: Done): "proposed" | ProposeRefusal {
    if (this.queue.length >= this.config.proposalQueueMax) return { type: "busy" };
    const value: Value<Cmd> = { id: `${this.outbox.self}.${this.outbox.incarnation}.${++this.proposalSeq}`, cmd };
    this.queue.push({ value, done });
    return "proposed";
  }

  protected becomeCandidate(): void {
    this.roundSeen = Math.max(this.roundSeen, this.parts.acceptor.promised.round) + 1;
    this.ballot = { round: this.roundSeen, node: this.outbox.self };
    this.setRole("candidate");
    this.promises.clear();
    this.candidateFromSlot = this.learner.appliedEnd;
    this.outbox.broadcast({ type: "prepare", ballot: this.ballot, fromSlot: this.candidateFromSlot });
    this.setRetryTimer();
  }

  protected stepDown(reason: string): void {
    const wasLeader = this.roleValue === "leader";
    this.cancelTimer(this.retryTimer);
    this.retryTimer = null;
    this.setRole("follower", reason);
    if (this.leaderHint === this.outbox.self) this.leaderHint = null;
    this.inflight.clear();
    this.reserved.length = 0;
    this.promises.clear();
    this.steppedDown(wasLeader);
  }

  /** Starts phase 2 while the pipeline window has room: reserved slots first, then queued proposals. */
  protected pump(): void {
    if (this.roleValue !== "leader") return;
    this.startReserved();
    while (this.queue.length > 0 && this.inflight.size < this.config.pipelineWindow && this.nextSlot < this.slotEndMax) {
      const proposal = this.queue.shift() as Proposal<Cmd>;
      const slot = this.nextSlot++;
      this.awaiting.set(slot, proposal);
      this.startPhase2(slot, proposal.value);
    }
  }

  /** Gives `slot` (below nextSlot) its value, to go through phase 2 as soon as the window has room, in slot order. */
  protected reserve(slot: number, value: Value<Cmd>): void {
    const last = this.reserved.length === 0 ? undefined : this.reserved[this.reserved.length - 1];
    assert(slot < this.nextSlot && (last === undefined || last.slot < slot), "a reserved slot is new and below the next free one", {
      slot,
      last: last?.slot,
      nextSlot: this.nextSlot,
    });
    this.reserved.push({ slot, value });
  }

  /** Starts phase 2 for reserved slots while the window has room. */
  protected startReserved(): void {
    while (this.reserved.length > 0 && this.inflight.size < this.config.pipelineWindow) {
      const { slot, value } = this.reserved.shift() as { slot: number; value: Value<Cmd> };
      this.startPhase2(slot, value);
    }
  }

  /** Slots in phase 2 now: what a leader retransmits to acceptors that stay silent. */
  protected inflightSlots(): IterableIterator<[number, Inflight<Cmd>]> {
    return this.inflight.entries();
  }

  protected noop(slot: number): Value<Cmd> {
    return { id: `noop.${formatBallot(this.ballot)}.${slot}`, cmd: null };
  }

  protected settleQueue(outcome: ProposeOutcome): void {
    for (const { done } of this.queue.splice(0)) done(outcome);
  }

  protected setRetryTimer(): void {
    this.retryTimer = this.randomTimer(this.retryTimer, PAXOS_TIMERS.retryPrepare);
  }

  /** Replaces `current` with a timer after a random election timeout, drawn from this node's stream. */
  protected randomTimer(current: TimerId | null, tag: PaxosTimer): TimerId {
    this.cancelTimer(current);
    const timeoutUs = this.outbox.between(this.config.electionTimeoutUsMin, this.config.electionTimeoutUsMax);
    return this.outbox.setTimer(timeoutUs, tag);
  }

  protected cancelTimer(timer: TimerId | null): void {
    if (timer !== null) this.outbox.cancelTimer(timer);
  }

  invariants(): void {
    const role = this.roleValue;
    const window = this.config.pipelineWindow;
    if (!(this.inflight.size <= window)) fail("phase 2 beyond the pipeline window", { inflight: this.inflight.size, window });
    if (!(role === "leader" || (this.inflight.size === 0 && this.reserved.length === 0))) {
      fail("phase 2 at a replica that does not lead", { role, inflight: this.inflight.size, reserved: this.reserved.length });
    }
    if (!(role !== "follower" || this.promises.size === 0)) fail("a follower holds promises", { promises: this.promises.size });
    if (!(this.promises.size <= this.outbox.peers.length)) fail("promises from more replicas than the cluster has", { promises: this.promises.size });
    if ((role === "leader") !== (this.leaderHint === this.outbox.self)) {
      fail("a replica names itself leader exactly while it leads", { role, leader: this.leaderHint });
    }
    // A candidate's own prepare reached its own acceptor first, and a higher ballot seen since would have made it step down.
    if (role !== "follower" && !ballotsEqual(this.ballot, this.parts.acceptor.promised)) {
      fail("a candidate's or leader's ballot is not its own acceptor's promise", {
        role,
        ballot: formatBallot(this.ballot),
        promised: formatBallot(this.parts.acceptor.promised),
      });
    }
    if (role !== "follower" && !(this.ballot.node === this.outbox.self && this.ballot.round <= this.roundSeen)) {
      fail("a ballot that is not this replica's own", { ballot: formatBallot(this.ballot), roundSeen: this.roundSeen });
    }
    if (!(this.queue.length <= this.config.proposalQueueMax + this.queueSlack)) {
      fail("the proposal queue is over its bound", { queued: this.queue.length, queueMax: this.config.proposalQueueMax + this.queueSlack });
    }
    if (!(this.nextSlot <= this.slotEndMax)) fail("a slot beyond what this mode may fill", { nextSlot: this.nextSlot, slotEndMax: this.slotEndMax });
    if (this.reserved.length > 0) {
      const first = (this.reserved[0] as { slot: number }).slot;
      const last = (this.reserved[this.reserved.length - 1] as { slot: number }).slot;
      if (!(first >= this.candidateFromSlot && last < this.nextSlot)) {
        fail("reserved slots outside the leader's", { first, last, fromSlot: this.candidateFromSlot, nextSlot: this.nextSlot });
      }
    }
  }

  // ---------------------------------------------------------------- phase 1 to phase 2

  private becomeLeader(): void {
    this.cancelTimer(this.retryTimer);
    this.retryTimer = null;
    this.setRole("leader");
    this.leaderHint = this.outbox.self;
    const highest = this.highestAccepted();
    let slotEnd = Math.max(this.candidateFromSlot, this.learner.chosenEnd);
    for (const slot of highest.keys()) slotEnd = Math.max(slotEnd, slot + 1);
    slotEnd = Math.min(slotEnd, this.slotEndMax);
    this.nextSlot = slotEnd;
    // Every open slot goes through phase 2 again, but within the window like any other: those beyond it wait their turn.
    for (let slot = this.candidateFromSlot; slot < slotEnd; slot++) this.reserve(slot, this.recoveryValue(slot, highest.get(slot)));
    this.elected();
    this.pump();
  }

  /** For every slot reported in the promises, the entry with the highest accepted ballot. */
  private highestAccepted(): Map<number, AcceptedEntry<Cmd>> {
    const highest = new Map<number, AcceptedEntry<Cmd>>();
    for (const accepted of this.promises.values()) {
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
    if (highest !== undefined && !this.parts.bugs.has("ignore-accepted")) return highest.value;
    if (this.parts.bugs.has("ignore-accepted") && highest !== undefined) {
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

  private startPhase2(slot: number, value: Value<Cmd>): void {
    assert(this.inflight.size < this.config.pipelineWindow, "phase 2 beyond the pipeline window", { slot, window: this.config.pipelineWindow });
    this.inflight.set(slot, { value, acceptedBy: new Set(), sentUs: this.outbox.now() });
    const commit = this.learner.appliedEnd;
    this.outbox.broadcast({ type: "accept", ballot: this.ballot, slot, value, commit });
    this.acceptBroadcast(commit);
  }

  private setRole(role: Role, reason?: string): void {
    if (role === "leader") this.leaderSinceUs = this.outbox.now();
    this.roleValue = role;
    this.outbox.note({ kind: "role", data: { role, ballot: this.currentBallot, ...(reason === undefined ? {} : { reason }) } });
    this.parts.roleChanged(role, this.currentBallot);
  }
}
