import type { PaxosNote } from "./notes.ts";
import type { ReplicaInspection } from "./replica.ts";
import { Digest, unreachable, type Context, type Node, type NodeId, type SyncId } from "../sim/index.ts";
import type { Ballot } from "./ballot.ts";
import type { PaxosConfig } from "./config.ts";
import { isPaxosMsg, type PaxosMsg, type PaxosTimer, type Value } from "./messages.ts";
import type { Role } from "./proposer.ts";
import { Replica } from "./replica.ts";

/** A command of the log demo: an opaque string, applied by appending it. */
export type LogCmd = string;

/** A client's request to put a command in the log; a follower forwards it to the leader it knows. */
export type SubmitMsg = { readonly type: "submit"; readonly value: LogCmd; readonly hops: number };
export type LogServerMsg = PaxosMsg<LogCmd> | SubmitMsg;

/** Proposals a scenario makes at given local times (teaching: "s1 proposes X at 10 ms"). */
export interface ScheduledProposal {
  readonly node: NodeId;
  readonly atUs: number;
  readonly value: LogCmd;
}

export interface LogServerOptions {
  readonly paxos: PaxosConfig;
  /** The replicas, in the same order everywhere. */
  readonly peers: readonly NodeId[];
  /** While leader, propose a fresh command this often (0: never). */
  readonly proposeEveryUs: number;
  readonly proposals: readonly ScheduledProposal[];
}

/** The log state machine: how many commands were applied, a digest of them, and the last few. */
export interface LogState {
  count: number;
  digest: string;
  recent: LogCmd[];
}

const RECENT_MAX = 8;
const FORWARD_HOPS_MAX = 3;

/** The server's own timers: the proposal tick, and the proposals a scenario schedules. */
type ServerTimer = { readonly owner: "server"; readonly kind: "tick" } | { readonly owner: "server"; readonly kind: "scheduled"; readonly value: LogCmd };
/** Every timer tag of a log server: its replica's and its own. */
export type LogServerTimer = PaxosTimer | ServerTimer;
type Ctx = Context<LogServerMsg, LogServerTimer>;

/**
 * A server whose only job is to run a Multi-Paxos replica over an append-only
 * log of strings: the subject of the Paxos lessons, the bug zoo and the Paxos
 * benchmarks. (The ZooKeeper server runs the same Replica under a znode tree.)
 */
export class LogServer implements Node<LogServerMsg, LogServerTimer> {
  private readonly replica: Replica<LogCmd>;
  private count = 0;
  private recent: LogCmd[] = [];
  /** A running digest of every applied command (restarted from a snapshot's digest on restore). */
  private digest = new Digest();
  private proposedCount = 0;

  constructor(private readonly options: LogServerOptions) {
    this.replica = new Replica<LogCmd>(options.paxos, options.peers, {
      apply: (_slot, value) => this.apply(value),
      snapshot: () => this.log,
      restore: (_slot, state) => {
        const restored = state as LogState;
        this.count = restored.count;
        this.recent = restored.recent.slice();
        // The digest restarts from the snapshot's digest string, so replicas stay comparable.
        this.digest = new Digest();
        this.digest.updateLine(restored.digest);
      },
      roleChanged: (role: Role, _ballot: Ballot) => {
        if (role === "leader") this.proposedCount = 0;
      },
    });
  }

  start(ctx: Ctx): void {
    this.replica.start(ctx);
    if (ctx.incarnation === 1) {
      for (const p of this.options.proposals) {
        if (p.node === ctx.self) ctx.setTimer(p.atUs, { owner: "server", kind: "scheduled", value: p.value } satisfies ServerTimer);
      }
    }
    if (this.options.proposeEveryUs > 0) ctx.setTimer(this.options.proposeEveryUs, { owner: "server", kind: "tick" } satisfies ServerTimer);
  }

  receive(ctx: Ctx, from: NodeId, msg: LogServerMsg): void {
    if (isPaxosMsg<LogCmd>(msg)) return this.replica.receive(ctx, from, msg);
    switch (msg.type) {
      case "submit":
        return this.submit(ctx, msg.value, msg.hops);
      default:
        return unreachable(msg, "log server message");
    }
  }

  timer(ctx: Ctx, tag: LogServerTimer): void {
    switch (tag.owner) {
      case "paxos":
        return this.replica.timer(ctx, tag);
      case "server":
        return this.serverTimer(ctx, tag);
      default:
        return unreachable(tag, "log server timer");
    }
  }

  synced(ctx: Ctx, sync: SyncId): void {
    this.replica.synced(ctx, sync);
  }

  invariants(): void {
    this.replica.invariants();
  }

  /** What the viewer's inspector shows: the replica, and the log this server applied. */
  inspect(): { readonly kind: "log-server"; readonly paxos: ReplicaInspection; readonly log: LogState } {
    return { kind: "log-server", paxos: this.replica.inspect(), log: this.log };
  }

  private serverTimer(ctx: Ctx, tag: ServerTimer): void {
    switch (tag.kind) {
      case "scheduled":
        return this.submit(ctx, tag.value, 0);
      case "tick":
        if (this.replica.role === "leader") this.submit(ctx, `${ctx.self}:${ctx.incarnation}:${++this.proposedCount}`, 0);
        ctx.setTimer(this.options.proposeEveryUs, tag);
        return;
      default:
        return unreachable(tag, "log server timer");
    }
  }

  /** Proposes here if this replica may, else forwards to the leader it knows (a few hops at most). */
  private submit(ctx: Ctx, value: LogCmd, hops: number): void {
    const proposedUs = ctx.now();
    const result = this.replica.propose(ctx, value, (outcome) =>
      writePaxosNote(ctx, { kind: "outcome", data: { value, outcome: outcome.type, latencyUs: ctx.now() - proposedUs } }),
    );
    if (result === "proposed" || result.type === "busy") return;
    if (result.leader !== null && result.leader !== ctx.self && hops < FORWARD_HOPS_MAX) {
      ctx.send(result.leader, { type: "submit", value, hops: hops + 1 });
    }
  }

  private apply(value: Value<LogCmd>): void {
    if (value.cmd === null) return;
    this.digest.updateLine(value.cmd);
    this.count++;
    this.recent.push(value.cmd);
    if (this.recent.length > RECENT_MAX) this.recent.shift();
  }

  /** The log's state: what a snapshot holds, and what tests and the viewer compare. */
  get log(): LogState {
    return { count: this.count, digest: this.digest.hex(), recent: this.recent.slice() };
  }

  get paxos(): Replica<LogCmd> {
    return this.replica;
  }
}

/** A note in the trace, in the shape its schema gives (paxosNoteSchema). */
function writePaxosNote(ctx: { trace(kind: string, data?: unknown): void }, note: PaxosNote): void {
  ctx.trace(note.kind, note.data);
}
