import type { BuggifyPoint } from "./buggify.ts";
import type { Rng } from "./rng.ts";

/** A node's name, as written in configurations and traces (for example "s1" or "c2"). */
export type NodeId = string;
/** Names a pending timer so it can be cancelled; unique within a run. */
export type TimerId = number;
/** Names a sync request; `synced` reports it when its writes are durable. */
export type SyncId = number;

/**
 * A node's durable storage: a key–value store of plain data. `write` and
 * `delete` take effect for reads at once, but survive a crash only once a
 * `sync` issued after them has completed (the node learns this through
 * `Node.synced`). A crash loses every write that was not synced.
 */
export interface Storage {
  read(key: string): unknown;
  write(key: string, value: unknown): void;
  delete(key: string): void;
  /** Every key that reads would see, sorted. */
  keys(): string[];
  /** Asks for everything written so far to become durable; returns the id `synced` will report. */
  sync(): SyncId;
  /** Writes and deletes not yet covered by a completed sync. */
  readonly unsyncedCount: number;
}

/**
 * Everything a node can do to the world. A node never touches a socket, a
 * file, a global clock or Math.random; it acts only through this context,
 * which is what lets the same code run under the engine and in a browser.
 * `Timer` is the union of the node's timer tags: what it may set, and so
 * what its `timer` handler receives.
 */
export interface Context<Msg, Timer = unknown> {
  /** This node's id. */
  readonly self: NodeId;
  /** Every node of the simulation, in configuration order. */
  readonly nodes: readonly NodeId[];
  /** 1 for the first start, then one more for each restart. */
  readonly incarnation: number;
  /** Sends a message. It must be plain data; it is frozen and must not be changed afterwards. */
  send(to: NodeId, msg: Msg): void;
  /** Calls `Node.timer(ctx, tag)` after `delayUs` of this node's local time. The tag must be plain data (the trace records it). */
  setTimer(delayUs: number, tag: Timer): TimerId;
  cancelTimer(timer: TimerId): void;
  /** This node's local clock in µs: true virtual time plus its skew and drift. */
  now(): number;
  /** This node's own random stream (forked per node and per incarnation). */
  readonly rng: Rng;
  readonly storage: Storage;
  /** True when the trace records events; guard expensive `trace` arguments with it. */
  readonly tracing: boolean;
  /** Records a note in the trace: a role change, a decision, anything a reader of the run should see. */
  trace(kind: string, data?: unknown): void;
  /**
   * Whether fault point `point` fires now (FoundationDB's BUGGIFY): true
   * only in a run that enables the point, as its own random stream decides;
   * the engine then records a `buggify` note and counts it. In a run that
   * does not enable it, false, and nothing is drawn. The code at a point
   * must stay correct either way: a point only picks a rare, legal path.
   */
  buggify(point: BuggifyPoint): boolean;
  /**
   * A message to itself that the node hands to itself without the network
   * (a replica's own promise and vote): the trace records its send now and
   * returns its message id, so that a reader sees the arrow. Call
   * `deliveredToSelf(id)` when the node handles it, at the same instant.
   */
  sentToSelf(msg: Msg): number;
  deliveredToSelf(id: number): void;
}

/**
 * A sans-IO state machine: it reacts to its start, to messages and to timers,
 * and acts only through its context. A crash throws the object away; a restart
 * builds a new one, which must recover from `ctx.storage` alone.
 *
 * A node is typed by its messages and by its timer tags: `timer` receives
 * only tags this node set through its own context (the engine hands each
 * tag back to the node that set it, unchanged), so a node dispatches on its
 * own `Timer` union with an exhaustive switch, never a cast.
 */
export interface Node<Msg, Timer = unknown> {
  start(ctx: Context<Msg, Timer>): void;
  receive(ctx: Context<Msg, Timer>, from: NodeId, msg: Msg): void;
  timer(ctx: Context<Msg, Timer>, tag: Timer): void;
  /** The writes before sync `sync` are durable now. */
  synced?(ctx: Context<Msg, Timer>, sync: SyncId): void;
  /**
   * A request from outside the simulated world (a person at the viewer's
   * console, a scenario's request entry), handed over by a `request` fault
   * and handled like an event, in the node's own context. It is plain data
   * that the node validates. A node without this handler takes no requests.
   */
  command?(ctx: Context<Msg, Timer>, request: unknown): void;
  /**
   * Asserts what must hold of the node's own state between events (TigerBeetle
   * style): with the engine's `checkInvariants` on, it runs after every
   * handler (start, receive, timer, synced). It throws an AssertionError when
   * something is broken, which is a bug in zksim: the run stops with a
   * SimulationFailure naming the seed, the time and the node. Protocol
   * properties that the bug zoo breaks on purpose belong to the checkers, not here.
   */
  invariants?(): void;
  /**
   * For nodes that run async/await code (simulated client processes): false
   * while promise continuations the node has released still have to run.
   * `Simulation.runAsync` lets them run, at the same virtual time, before the
   * next event; `run` refuses to go on.
   */
  isSettled?(): boolean;
}

/**
 * Builds a fresh node object: at the start of a run and at every restart.
 * The nodes of one simulation may each have their own timer union: the engine
 * treats tags as opaque data and returns each one to the node that set it.
 */
export type NodeFactory<Msg> = (id: NodeId) => Node<Msg>;
