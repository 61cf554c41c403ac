import { LocalClock } from "./clock.ts";
import { Disk } from "./disk.ts";
import type { Context, Node, NodeId } from "./node.ts";
import type { Rng } from "./rng.ts";

/** What the engine has scheduled: one entry of the event queue. */
export const ItemKind = {
  Deliver: 0,
  Timer: 1,
  Sync: 2,
  Fault: 3,
  Nemesis: 4,
  Start: 5,
  /** A cancelled timer, skipped when it reaches the front. */
  Cancelled: 6,
} as const;
export type ItemKind = (typeof ItemKind)[keyof typeof ItemKind];

/**
 * One queue entry. A single class with fixed fields (rather than a union of
 * object shapes) keeps the heap's property reads monomorphic on the hot path.
 */
export class Item {
  constructor(
    public timeUs: number,
    public seq: number,
    public kind: ItemKind,
    /** Target node index (Deliver, Timer, Sync, Start); -1 otherwise. */
    public node: number,
    /** Sender's node index (Deliver); -1 otherwise. */
    public from: number,
    /** Message id (Deliver), timer id (Timer) or sync id (Sync). */
    public id: number,
    /** The target's incarnation when scheduled (Timer, Sync): stale ones are ignored. */
    public incarnation: number,
    /** The message (Deliver), the tag (Timer), the fault (Fault). */
    public payload: unknown,
    /** A delivery already reached a paused node; a partition made later does not take it back. */
    public arrived: boolean,
  ) {}
}

export const HostState = { Running: 0, Paused: 1, Crashed: 2 } as const;
export type HostState = (typeof HostState)[keyof typeof HostState];

/**
 * The machine a node runs on: its lifecycle, disk, clock and pending timers.
 * The node object and its context live only as long as one incarnation.
 */
export class Host<Msg> {
  state: HostState = HostState.Running;
  incarnation = 0;
  node: Node<Msg> | null = null;
  /** The node runs async code (it has isSettled): checked after its events. Set at each start. */
  async = false;
  /** Its invariants() run after each of its handlers (it has them, and checkInvariants is on). Set at each start. */
  checked = false;
  ctx: Context<Msg> | null = null;
  rng: Rng | null = null;
  readonly clock = new LocalClock();
  readonly disk: Disk;
  /** Live timers of the current incarnation, by id, so cancelTimer and crash can find them. */
  readonly timers = new Map<number, Item>();
  /** Deliveries, timers and sync reports held while paused, in arrival order. */
  readonly pausedQueue: Item[] = [];

  constructor(
    readonly index: number,
    readonly id: NodeId,
    freeze: boolean,
  ) {
    this.disk = new Disk(freeze);
  }
}
