import type { PaxosNote } from "./notes.ts";
import { assert, type BuggifyPoint, type Context, type NodeId, type Storage, type TimerId } from "../sim/index.ts";
import type { PaxosMsg, PaxosTimer } from "./messages.ts";

/** The context a replica runs in: its messages and its timer tags. */
export type ReplicaContext<Cmd> = Context<PaxosMsg<Cmd>, PaxosTimer>;

/** Messages to self handled after one handler, at most: a loop between the roles of one replica is a bug. */
const LOCAL_MAX = 10_000;

/**
 * How the roles of one replica act on the world: through the host's context,
 * except that a message to self waits in a local queue until the current
 * handler is done (never handled re-entrantly), as if it came over a network
 * with no delay. One outbox serves every role of the replica.
 */
export class Outbox<Cmd> {
  private ctx!: ReplicaContext<Cmd>;
  private selfId: NodeId = "";
  private readonly local: { readonly msg: PaxosMsg<Cmd>; readonly id: number }[] = [];

  constructor(
    /** Every replica of the cluster (this one included), in the same order everywhere. */
    readonly peers: readonly NodeId[],
  ) {}

  /** The host's context for the handler that is running (the same object for a whole incarnation). */
  use(ctx: ReplicaContext<Cmd>): void {
    this.ctx = ctx;
    this.selfId = ctx.self;
  }

  get self(): NodeId {
    return this.selfId;
  }

  get incarnation(): number {
    return this.ctx.incarnation;
  }

  get storage(): Storage {
    return this.ctx.storage;
  }

  /** This node's local clock, µs. */
  now(): number {
    return this.ctx.now();
  }

  send(to: NodeId, msg: PaxosMsg<Cmd>): void {
    if (to === this.selfId) this.local.push({ msg, id: this.ctx.sentToSelf(msg) });
    else this.ctx.send(to, msg);
  }

  /** To every replica, this one included (its own copy waits in the local queue). */
  broadcast(msg: PaxosMsg<Cmd>): void {
    for (const peer of this.peers) this.send(peer, msg);
  }

  setTimer(delayUs: number, tag: PaxosTimer): TimerId {
    return this.ctx.setTimer(delayUs, tag);
  }

  cancelTimer(timer: TimerId): void {
    this.ctx.cancelTimer(timer);
  }

  /** A uniform draw in [min, max] from this node's own stream (election timeouts, backoff). */
  between(min: number, max: number): number {
    return this.ctx.rng.between(min, max);
  }

  /** A note about this replica in the trace, in the shape its schema gives (paxosNoteSchema). */
  note(note: PaxosNote): void {
    if (this.ctx.tracing) this.ctx.trace(note.kind, note.data);
  }

  /** Whether fault point `point` fires now (see Context.buggify). */
  buggify(point: BuggifyPoint): boolean {
    return this.ctx.buggify(point);
  }

  /** Messages to self not yet handled. */
  get localCount(): number {
    return this.local.length;
  }

  /** Hands every message to self to `handle`, in the order sent, including those it sends meanwhile. */
  drainLocal(handle: (msg: PaxosMsg<Cmd>) => void): void {
    for (let k = 0; k < LOCAL_MAX && this.local.length > 0; k++) {
      const { msg, id } = this.local.shift() as { msg: PaxosMsg<Cmd>; id: number };
      this.ctx.deliveredToSelf(id);
      handle(msg);
    }
    assert(this.local.length === 0, "messages to self did not settle", { pending: this.local.length });
  }
}
