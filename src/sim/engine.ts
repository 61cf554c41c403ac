import { assert, unreachable } from "./assert.ts";
import {
  parseEngineConfig,
  InputError,
  type EngineConfig,
  type EngineConfigInput,
  type Fault,
  type FaultInput,
  type MessageFault,
  faultSchema,
  problemsFromZod,
  formatPath,
  DELAY_US_MAX,
  TIME_US_MAX,
} from "./config.ts";
import { BuggifyPoints, type BuggifyPoint } from "./buggify.ts";
import { freezePlainData } from "./freeze.ts";
import { EventHeap } from "./heap.ts";
import { Host, HostState, Item, ItemKind } from "./host.ts";
import { Nemesis } from "./nemesis.ts";
import { Network } from "./network.ts";
import type { Context, NodeFactory, NodeId, Storage } from "./node.ts";
import { Rng } from "./rng.ts";
import {
  TraceRecorder,
  type DropReason,
  type FaultSource,
  type RunStats,
  type TraceLevel,
  type TraceListener,
  type TraceSink,
  type TraceSummary,
} from "./trace.ts";

export interface TraceOptions {
  level: TraceLevel;
  /** Where lines go; without a sink, `summary` and `full` still build events for listeners and the digest. */
  sink?: TraceSink;
  /** Recorded in the header, for the layer above (scenario name, file...). */
  meta?: Record<string, unknown>;
}

export interface SimulationOptions<Msg> {
  /** Validated here: a bad configuration throws InputError and nothing starts. */
  config: EngineConfigInput;
  createNode: NodeFactory<Msg>;
  trace?: TraceOptions;
}

/** How far to run. Every bound is optional; the run stops at the first one reached. */
export interface RunLimits<Msg> {
  /** Run every event at or before this virtual time, then set the clock to it. */
  untilUs?: number;
  /** Process at most this many events. */
  eventsMax?: number;
  /** Checked after every event. */
  until?: (sim: Simulation<Msg>) => boolean;
}

export type StopReason = "time" | "predicate" | "events" | "idle" | "stopped";

export interface RunOutcome {
  reason: StopReason;
  nowUs: number;
  /** Events processed by this call. */
  events: number;
}

export type NodeStatus = "running" | "paused" | "crashed";

/** A message in the network: its id (as the trace's send names it), its ends, when it will arrive, and the message itself (frozen). */
export interface MessageInFlight<Msg> {
  readonly id: number;
  readonly from: NodeId;
  readonly to: NodeId;
  readonly arrivalUs: number;
  readonly msg: Msg;
}

/** Microtask hops a node may take to settle after an event (an await chain longer than this is a bug). */
const SETTLE_HOPS_MAX = 10_000;

/** Bound on the free list of reusable queue items. */
const FREE_ITEMS_MAX = 4096;
/** Cancelled timers the queue may hold before it is rebuilt without them (and only while they are the majority). */
const CANCELLED_COMPACT_MIN = 256;

function isCancelled(item: Item): boolean {
  return item.kind === ItemKind.Cancelled;
}

/**
 * Something went wrong inside the simulated world: an assertion in protocol
 * code, or a node that threw. It carries the seed and the instant so the run
 * can be replayed to exactly this point.
 */
export class SimulationFailure extends Error {
  override readonly name = "SimulationFailure";
  constructor(
    readonly seed: string | number,
    readonly nowUs: number,
    readonly node: NodeId | undefined,
    override readonly cause: unknown,
  ) {
    const what = cause instanceof Error ? `${cause.name}: ${cause.message}` : String(cause);
    super(`seed ${JSON.stringify(seed)}, at ${nowUs} µs${node === undefined ? "" : ` on node ${node}`}: ${what}`);
  }
}

/** The cause of a SimulationFailure for a run whose clock stopped: too many events at one virtual instant. */
export class StallError extends Error {
  override readonly name = "StallError";
  constructor(
    readonly atUs: number,
    readonly eventsMax: number,
  ) {
    super(
      `more than ${eventsMax} events at virtual time ${atUs} µs without the clock advancing (eventsPerInstantMax): ` +
        "something schedules timers or messages with no delay in a loop",
    );
  }
}

/**
 * The discrete-event engine. It owns virtual time, the event queue, the nodes'
 * machines (lifecycle, disk, clock), the network and fault injection, and the
 * trace. A run is a pure function of (configuration, seed).
 */
export class Simulation<Msg> {
  readonly config: EngineConfig;
  readonly seed: string | number;
  readonly nodeIds: readonly NodeId[];

  private nowUsValue = 0;
  private seqNext = 0;
  private messageSeq = 0;
  /**
   * The index of the event whose handling is under way (a delivery, a timer,
   * a sync report, a start): every message sent meanwhile, and by promise
   * continuations it released, records it as its `cause`.
   */
  private causeIndex = -1;
  private timerSeq = 0;
  private syncSeq = 0;
  private stopRequested = false;
  private finished: TraceSummary | undefined;
  /** The node index the current event is for (-1 for none), to say which node failed. */
  private currentNode = -1;
  /** Inside runAsync: a node may be left unsettled after an event. */
  private settling = false;
  /** The node whose promise continuations must run before the next event. */
  private unsettled: Host<Msg> | null = null;
  /** The virtual instant of the last event, and how many events it has had (bounded by eventsPerInstantMax). */
  private instantUs = -1;
  private instantEvents = 0;
  private readonly eventsPerInstantMax: number;

  private readonly queue = new EventHeap<Item>();
  /** Delivery items done with, reused by push (the hot path allocates nothing in steady state). */
  private readonly freeItems: Item[] = [];
  /** Cancelled timers still in the queue (about: a dropped or delayed message's old entry is not counted). */
  private cancelledQueued = 0;
  private readonly recycleItem = (item: Item): void => this.recycle(item);
  private readonly hosts: Host<Msg>[];
  private readonly indexOf = new Map<NodeId, number>();
  private readonly network: Network;
  private readonly rng: Rng;
  private readonly netRng: Rng;
  /** The latencies of copies a person asked for (a duplicate fault): its own stream, so the network's draws stay as they were. */
  private interventionRng: Rng | null = null;
  private readonly nemesis: Nemesis | undefined;
  /** The run's fault points; null when the configuration enables none (ctx.buggify then draws nothing). */
  private readonly buggifyPoints: BuggifyPoints | null;
  private readonly createNode: NodeFactory<Msg>;
  private readonly recorder: TraceRecorder;
  private readonly recording: boolean;
  private readonly freeze: boolean;
  private readonly syncLatencyUs: number;
  private readonly stats: RunStats = {
    processed: 0,
    sent: 0,
    delivered: 0,
    duplicated: 0,
    dropped: { loss: 0, partition: 0, crashed: 0, "paused-queue-full": 0, intervention: 0 },
    timers: 0,
    syncs: 0,
    faults: 0,
    violations: 0,
  };

  constructor(options: SimulationOptions<Msg>) {
    this.config = parseEngineConfig(options.config);
    this.seed = this.config.seed;
    this.nodeIds = Object.freeze(this.config.nodes.slice());
    this.createNode = options.createNode;
    this.freeze = this.config.freezeMessages;
    this.syncLatencyUs = this.config.disk.syncLatencyUs;
    this.eventsPerInstantMax = this.config.eventsPerInstantMax;
    this.rng = new Rng(this.seed);
    this.netRng = this.rng.fork("net");
    this.buggifyPoints = this.config.buggify === undefined ? null : new BuggifyPoints(this.config.buggify, this.rng.fork("buggify"));
    this.hosts = this.nodeIds.map((id, index) => {
      this.indexOf.set(id, index);
      return new Host<Msg>(index, id, this.freeze);
    });
    this.network = new Network(this.hosts.length, this.config.network);
    for (const link of this.config.network.links) {
      this.network.setLink(this.indexFor(link.from), this.indexFor(link.to), link, link.oneWay);
    }
    const trace = options.trace ?? { level: "off" };
    this.recorder = new TraceRecorder(trace.level, trace.sink);
    this.recording = this.recorder.recording;
    this.recorder.header({ seed: this.seed, config: this.config, ...(trace.meta === undefined ? {} : { meta: trace.meta }) });

    for (const host of this.hosts) this.push(0, ItemKind.Start, host.index, -1, 0, 0, undefined);
    for (const scheduled of this.config.faults) this.push(scheduled.atUs, ItemKind.Fault, -1, -1, 0, 0, scheduled.fault);
    if (this.config.nemesis !== undefined) {
      this.nemesis = new Nemesis(this.config.nemesis, this.nodeIds, this.rng.fork("nemesis"));
      this.push(this.config.nemesis.startUs, ItemKind.Nemesis, -1, -1, 0, 0, undefined);
    }
  }

  // ---------------------------------------------------------------- running

  /** Current virtual time in µs (true time; nodes read their own skewed clocks). */
  get nowUs(): number {
    return this.nowUsValue;
  }

  /** Events waiting in the queue (cancelled timers included until they surface). */
  get pendingCount(): number {
    return this.queue.size;
  }

  /** The virtual time of the next event, or undefined when nothing is scheduled. */
  nextEventUs(): number | undefined {
    return this.queue.peek()?.timeUs;
  }

  /** Runs until the first limit is reached, the queue is empty, or `stop()` is called. */
  run(limits: RunLimits<Msg> = {}): RunOutcome {
    const untilUs = limits.untilUs ?? Number.POSITIVE_INFINITY;
    const eventsMax = limits.eventsMax ?? Number.POSITIVE_INFINITY;
    const until = limits.until;
    assert(untilUs >= this.nowUsValue, "cannot run backwards in time", { untilUs, nowUs: this.nowUsValue });
    assert(this.finished === undefined, "the run has finished");
    assert(this.unsettled === null, "a node runs async code: use runAsync", { node: this.unsettled?.id });
    this.stopRequested = false;
    let events = 0;
    try {
      for (;;) {
        if (this.stopRequested) return this.outcome("stopped", events);
        if (events >= eventsMax) return this.outcome("events", events);
        const next = this.queue.pop();
        if (next === undefined || next.timeUs > untilUs) {
          if (next !== undefined) this.queue.push(next); // pushed back unchanged: same (time, seq)
          if (untilUs === Number.POSITIVE_INFINITY) return this.outcome("idle", events);
          this.nowUsValue = untilUs;
          return this.outcome("time", events);
        }
        if (next.kind === ItemKind.Cancelled) {
          if (this.cancelledQueued > 0) this.cancelledQueued--;
          this.recycle(next);
          continue;
        }
        this.nowUsValue = next.timeUs;
        this.currentNode = next.node;
        if (next.timeUs !== this.instantUs) {
          this.instantUs = next.timeUs;
          this.instantEvents = 0;
        }
        if (++this.instantEvents > this.eventsPerInstantMax) throw new StallError(next.timeUs, this.eventsPerInstantMax);
        if (next.kind === ItemKind.Deliver) {
          if (this.deliver(next)) this.recycle(next);
        } else if (next.kind === ItemKind.Timer) {
          if (this.fireTimer(next)) this.recycle(next);
        } else if (next.kind === ItemKind.Sync) {
          if (this.completeSync(next)) this.recycle(next);
        } else {
          this.dispatch(next);
        }
        events++;
        const host = this.currentNode >= 0 ? (this.hosts[this.currentNode] as Host<Msg>) : undefined;
        if (host !== undefined && host.async && this.unsettled === null && host.node?.isSettled?.() === false) this.unsettled = host;
        if (this.unsettled !== null) {
          // A node's handler released promise continuations (or a fault restarted or commanded an async node).
          assert(this.settling, "a node runs async code: use runAsync", { node: this.unsettled.id });
          this.stats.processed++;
          return this.outcome("events", events);
        }
        this.stats.processed++;
        if (until !== undefined && until(this)) return this.outcome("predicate", events);
      }
    } catch (error) {
      throw this.failure(error);
    } finally {
      this.currentNode = -1;
    }
  }

  /**
   * Like `run`, for simulations with nodes that run async/await code: after
   * each event handled by a node that is not settled, it yields to the
   * microtask queue (at the same virtual time) until that node is settled, so
   * the node's promise continuations run before the next event. Microtask
   * order is fixed by the language, so the run stays deterministic.
   */
  async runAsync(limits: RunLimits<Msg> = {}): Promise<RunOutcome> {
    const untilUs = limits.untilUs ?? Number.POSITIVE_INFINITY;
    const eventsMax = limits.eventsMax ?? Number.POSITIVE_INFINITY;
    const until = limits.until;
    let events = 0;
    this.settling = true;
    try {
      // A fault injected between runs (a restart, a request) may have left an async node with continuations to run.
      if (this.unsettled !== null) await this.settle();
      for (;;) {
        // run() returns early, right after the event, when a node is left unsettled.
        const step = this.run({ untilUs, eventsMax: eventsMax - events, ...(until === undefined ? {} : { until }) });
        events += step.events;
        if (this.unsettled === null) return { ...step, events };
        await this.settle();
        if (this.stopRequested) return this.outcome("stopped", events);
        if (until !== undefined && until(this)) return this.outcome("predicate", events);
        if (events >= eventsMax) return this.outcome("events", events);
      }
    } finally {
      this.settling = false;
    }
  }

  /** Lets released promise continuations of the unsettled node run, within a bound of microtask hops. */
  private async settle(): Promise<void> {
    const host = this.unsettled as Host<Msg>;
    this.unsettled = null;
    for (let hop = 0; hop < SETTLE_HOPS_MAX; hop++) {
      if (host.node === null || host.node.isSettled?.() !== false) return;
      await Promise.resolve();
    }
    throw new SimulationFailure(
      this.seed,
      this.nowUsValue,
      host.id,
      new Error(`node did not settle within ${SETTLE_HOPS_MAX} microtask hops: does its code await something outside the simulation?`),
    );
  }

  /** Processes exactly one event (skipping cancelled timers); false when nothing is left. */
  step(): boolean {
    return this.run({ eventsMax: 1 }).events === 1;
  }

  /** Asks a running `run` to return after the current event (for checkers that found a violation). */
  stop(): void {
    this.stopRequested = true;
  }

  /** Ends the run: writes the trace summary (once) and returns it. */
  finish(): TraceSummary {
    if (this.finished === undefined) this.finished = this.recorder.summary(this.nowUsValue, this.statsSnapshot());
    return this.finished;
  }

  /** Hands the trace lines gathered so far to the sink (a full trace to a file gathers 64 KiB of lines per write). */
  flushTrace(): void {
    this.recorder.flush();
  }

  /** The digest of the trace so far (null when the trace is off). */
  digest(): string | null {
    return this.recorder.digestHex();
  }

  /** How often each enabled fault point fired so far (empty when the run enables none). */
  buggifyFired(): Partial<Record<BuggifyPoint, number>> {
    return this.buggifyPoints === null ? {} : this.buggifyPoints.fired();
  }

  statsSnapshot(): RunStats {
    return { ...this.stats, dropped: { ...this.stats.dropped } };
  }

  /** Receives every trace event as it is recorded (needs a trace level other than off). */
  subscribe(listener: TraceListener): () => void {
    assert(this.recording, "subscribing to events needs a trace level other than off");
    return this.recorder.subscribe(listener);
  }

  /**
   * Records that a checker found a property broken (needs a trace level other
   * than off to be recorded; it is counted either way). Checkers live outside
   * the simulated world, so this is their way into the trace. A check judged
   * after the run (a history's linearizability, say) reports with `atUs`, the
   * instant it was first broken: its event comes after the run's last one,
   * stamped with that earlier instant.
   */
  reportViolation(check: string, message: string, data: unknown, causes: readonly number[], atUs: number = this.nowUsValue): void {
    assert(atUs <= this.nowUsValue, "a violation reported in the future", { atUs, nowUs: this.nowUsValue });
    this.stats.violations++;
    if (!this.recording) return;
    if (this.freeze) freezePlainData(data, "violation data");
    this.recorder.record({ i: 0, t: atUs, type: "violation", check, message, data, causes: causes.slice() });
  }

  // ---------------------------------------------------------------- faults

  /**
   * Applies a fault now, as the viewer's buttons do. Returns false when it
   * changes nothing (crashing a crashed node, resuming a running one).
   * Throws InputError for a malformed fault or an unknown node.
   */
  inject(input: FaultInput): boolean {
    const result = faultSchema.safeParse(input);
    if (!result.success) throw new InputError("fault", problemsFromZod(result.error));
    this.checkNodesExist(result.data);
    assert(this.finished === undefined, "the run has finished");
    try {
      return this.apply(result.data, "api");
    } catch (error) {
      // A node that failed in a handler the fault ran (a restart's start, a request) is a failure of the run, as inside run.
      throw this.failure(error);
    } finally {
      this.currentNode = -1;
    }
  }

  /** The trace events recorded so far (0 with the trace off). */
  get recordedCount(): number {
    return this.recorder.lastIndex + 1;
  }

  /** Schedules a fault at a virtual time not in the past. */
  schedule(atUs: number, input: FaultInput): void {
    const result = faultSchema.safeParse(input);
    if (!result.success) throw new InputError("fault", problemsFromZod(result.error));
    this.checkNodesExist(result.data);
    if (!Number.isInteger(atUs) || atUs < this.nowUsValue || atUs > TIME_US_MAX) {
      throw new InputError("fault", [{ path: "atUs", message: `expected an integer time in [${this.nowUsValue}, ${TIME_US_MAX}] µs` }]);
    }
    this.push(atUs, ItemKind.Fault, -1, -1, 0, 0, result.data);
  }

  // ---------------------------------------------------------------- inspection

  status(id: NodeId): NodeStatus {
    const state = this.hostOf(id).state;
    return state === HostState.Running ? "running" : state === HostState.Paused ? "paused" : "crashed";
  }

  /** The node object of a running or paused node (for tests and the viewer: look, do not touch). */
  nodeObject(id: NodeId): unknown {
    return this.hostOf(id).node;
  }

  incarnation(id: NodeId): number {
    return this.hostOf(id).incarnation;
  }

  /** What a node's local clock reads now. */
  localTimeUs(id: NodeId): number {
    return this.hostOf(id).clock.localUs(this.nowUsValue);
  }

  /** A node's durable storage, sorted by key (what a restart would find). */
  durableStorage(id: NodeId): [string, unknown][] {
    return this.hostOf(id).disk.durableEntries();
  }

  /**
   * The messages in the network now (sent, not yet at their receiver), in
   * the order they will arrive: what a drop, duplicate or delay fault may
   * name. A linear scan of the queue, for a person's view, not a hot path.
   */
  messagesInFlight(): MessageInFlight<Msg>[] {
    const items: Item[] = [];
    this.queue.each((item) => {
      if (item.kind === ItemKind.Deliver && !item.arrived) items.push(item);
    });
    items.sort((a, b) => a.timeUs - b.timeUs || a.seq - b.seq);
    return items.map((item) => ({
      id: item.id,
      from: (this.hosts[item.from] as Host<Msg>).id,
      to: (this.hosts[item.node] as Host<Msg>).id,
      arrivalUs: item.timeUs,
      msg: item.payload as Msg,
    }));
  }

  isLinkCut(from: NodeId, to: NodeId): boolean {
    return this.network.isCut(this.hostOf(from).index, this.hostOf(to).index);
  }

  // ---------------------------------------------------------------- internals: dispatch

  private dispatch(item: Item): void {
    switch (item.kind) {
      case ItemKind.Deliver:
        if (this.deliver(item)) this.recycle(item);
        return;
      case ItemKind.Timer:
        if (this.fireTimer(item)) this.recycle(item);
        return;
      case ItemKind.Sync:
        if (this.completeSync(item)) this.recycle(item);
        return;
      case ItemKind.Fault:
        this.apply(item.payload as Fault, "schedule");
        return;
      case ItemKind.Nemesis:
        this.nemesisTick();
        return;
      case ItemKind.Start: {
        const host = this.hosts[item.node] as Host<Msg>;
        if (host.incarnation === 0 && host.state !== HostState.Crashed) this.startHost(host);
        return;
      }
      case ItemKind.Cancelled:
        return;
      default:
        unreachable(item.kind, "queue item kind");
    }
  }

  /** Delivers, drops or holds a message; true when the item is done with (and may be reused). */
  private deliver(item: Item): boolean {
    const host = this.hosts[item.node] as Host<Msg>;
    if (host.state === HostState.Crashed) {
      this.drop(item.id, item.from, item.node, "crashed");
      return true;
    }
    if (!item.arrived && this.network.isCut(item.from, item.node)) {
      this.drop(item.id, item.from, item.node, "partition");
      return true;
    }
    if (host.state === HostState.Paused) return !this.hold(host, item);
    this.stats.delivered++;
    const from = (this.hosts[item.from] as Host<Msg>).id;
    if (this.recording) {
      this.recorder.record({ i: 0, t: this.nowUsValue, type: "deliver", id: item.id, from, to: host.id });
      this.causeIndex = this.recorder.lastIndex;
    }
    const msg = item.payload as Msg;
    this.recycle(item); // before the handler: its sends can reuse this item at once
    (host.node as NonNullable<typeof host.node>).receive(host.ctx as Context<Msg>, from, msg);
    if (host.checked) this.checkInvariants(host);
    return false;
  }

  /** Returns a finished item (a delivery, a fired timer, a sync report, a cancelled timer) to the free list (bounded), dropping its payload reference. */
  private recycle(item: Item): void {
    if (this.freeItems.length >= FREE_ITEMS_MAX) return;
    item.payload = undefined;
    this.freeItems.push(item);
  }

  /** Fires a timer, or holds it for a paused node; true when the item is done with (and may be reused). */
  private fireTimer(item: Item): boolean {
    const host = this.hosts[item.node] as Host<Msg>;
    assert(item.incarnation === host.incarnation && host.state !== HostState.Crashed, "a timer outlived its incarnation", {
      node: host.id,
    });
    if (host.state === HostState.Paused) {
      this.hold(host, item);
      return false;
    }
    host.timers.delete(item.id);
    this.stats.timers++;
    if (this.recording) {
      this.recorder.record({ i: 0, t: this.nowUsValue, type: "timer", node: host.id, timer: item.id, tag: item.payload });
      this.causeIndex = this.recorder.lastIndex;
    }
    (host.node as NonNullable<typeof host.node>).timer(host.ctx as Context<Msg>, item.payload);
    if (host.checked) this.checkInvariants(host);
    return true;
  }

  /**
   * Runs a node's own invariants after one of its handlers. A broken one is a
   * bug in zksim: the failure names the seed, the time and the node (even for
   * a start caused by a restart fault, which belongs to no node's event).
   */
  private checkInvariants(host: Host<Msg>): void {
    const node = host.node;
    if (node === null || node.invariants === undefined) return;
    try {
      node.invariants();
    } catch (error) {
      throw new SimulationFailure(this.seed, this.nowUsValue, host.id, error);
    }
  }

  /** Makes a sync durable and reports it, or holds the report for a paused node; true when the item is done with. */
  private completeSync(item: Item): boolean {
    const host = this.hosts[item.node] as Host<Msg>;
    if (item.incarnation !== host.incarnation || host.state === HostState.Crashed) return true; // lost in a crash
    if (!item.arrived) {
      const keys = host.disk.completeSync(item.id);
      this.stats.syncs++;
      if (this.recording) {
        this.recorder.record({ i: 0, t: this.nowUsValue, type: "sync", node: host.id, sync: item.id, keys });
        this.causeIndex = this.recorder.lastIndex;
      }
      item.arrived = true; // durable now; only the report to the node remains
    }
    if (host.state === HostState.Paused) {
      this.hold(host, item);
      return false;
    }
    host.node?.synced?.(host.ctx as Context<Msg>, item.id);
    if (host.checked) this.checkInvariants(host);
    return true;
  }

  /** Keeps a delivery, timer or sync report for a paused node; false when the queue is full and a delivery was dropped. */
  private hold(host: Host<Msg>, item: Item): boolean {
    if (item.kind === ItemKind.Deliver && host.pausedQueue.length >= this.config.pausedQueueMax) {
      this.drop(item.id, item.from, item.node, "paused-queue-full");
      return false;
    }
    item.arrived = true;
    host.pausedQueue.push(item);
    return true;
  }

  private drop(id: number, from: number, to: number, reason: DropReason): void {
    this.stats.dropped[reason]++;
    if (this.recording) {
      this.recorder.record({
        i: 0,
        t: this.nowUsValue,
        type: "drop",
        id,
        from: (this.hosts[from] as Host<Msg>).id,
        to: (this.hosts[to] as Host<Msg>).id,
        reason,
      });
    }
  }

  // ---------------------------------------------------------------- internals: what nodes do

  private send(sender: Host<Msg>, to: NodeId, msg: Msg): void {
    const toIndex = this.indexOf.get(to);
    assert(toIndex !== undefined, "send to an unknown node", { from: sender.id, to });
    if (this.freeze) freezePlainData(msg, "a message");
    const id = ++this.messageSeq;
    const now = this.nowUsValue;
    this.stats.sent++;
    if (this.recording) this.recorder.record({ i: 0, t: now, type: "send", id, from: sender.id, to, msg, cause: this.causeIndex });
    const from = sender.index;
    const network = this.network;
    const link = from * this.hosts.length + toIndex;
    if (network.isCut(from, toIndex)) return this.drop(id, from, toIndex, "partition");
    const lossPerMillion = network.lossPerMillion[link] as number;
    if (lossPerMillion > 0 && this.netRng.chancePerMillion(lossPerMillion)) return this.drop(id, from, toIndex, "loss");
    const sampler = network.samplers[link] as (rng: Rng) => number;
    this.push(now + sampler(this.netRng), ItemKind.Deliver, toIndex, from, id, 0, msg);
    const duplicationPerMillion = network.duplicationPerMillion[link] as number;
    if (duplicationPerMillion > 0 && this.netRng.chancePerMillion(duplicationPerMillion)) {
      const copyId = ++this.messageSeq;
      this.stats.duplicated++;
      if (this.recording) this.recorder.record({ i: 0, t: now, type: "duplicate", id: copyId, of: id, from: sender.id, to });
      this.push(now + sampler(this.netRng), ItemKind.Deliver, toIndex, from, copyId, 0, msg);
    }
  }

  private setTimer(host: Host<Msg>, delayUs: number, tag: unknown): number {
    assert(Number.isInteger(delayUs) && delayUs >= 0 && delayUs <= DELAY_US_MAX, "a timer delay is an integer in [0, 1 hour] µs", {
      node: host.id,
      delayUs,
    });
    if (this.freeze) freezePlainData(tag, "a timer tag");
    const id = ++this.timerSeq;
    const item = this.push(this.nowUsValue + host.clock.globalDelayUs(delayUs), ItemKind.Timer, host.index, -1, id, host.incarnation, tag);
    host.timers.set(id, item);
    return id;
  }

  private cancelTimer(host: Host<Msg>, id: number): void {
    const item = host.timers.get(id);
    if (item === undefined) return; // already fired or cancelled: cancelling is idempotent
    host.timers.delete(id);
    this.discardTimer(item);
  }

  /**
   * A timer that must not fire: marked, so that the queue skips it when it
   * surfaces (or a paused node's resume does, for one held). A node that
   * re-arms a timer on every message (a follower's election timer) leaves
   * one dead entry per message until its time, so once the dead entries
   * outnumber the live ones the queue is rebuilt without them, O(n): the
   * queue stays within about twice its live events.
   */
  private discardTimer(item: Item): void {
    item.kind = ItemKind.Cancelled;
    if (item.arrived) return; // held for a paused node: not in the queue
    this.cancelledQueued++;
    if (this.cancelledQueued > CANCELLED_COMPACT_MIN && 2 * this.cancelledQueued > this.queue.size) {
      this.queue.removeWhere(isCancelled, this.recycleItem);
      this.cancelledQueued = 0;
    }
  }

  private requestSync(host: Host<Msg>): number {
    const id = ++this.syncSeq;
    host.disk.beginSync(id);
    this.push(this.nowUsValue + this.syncLatencyUs, ItemKind.Sync, host.index, -1, id, host.incarnation, undefined);
    return id;
  }

  /** A fault point reached on `host`: whether it fires, noted in the trace when it does. */
  private buggify(host: Host<Msg>, point: BuggifyPoint): boolean {
    if (this.buggifyPoints === null || !this.buggifyPoints.reached(point)) return false;
    this.note(host, "buggify", { point });
    return true;
  }

  private note(host: Host<Msg>, kind: string, data: unknown): void {
    if (!this.recording) return;
    if (this.freeze) freezePlainData(data, "trace note data");
    this.recorder.record({ i: 0, t: this.nowUsValue, type: "note", node: host.id, kind, data });
  }

  // ---------------------------------------------------------------- internals: lifecycle

  private startHost(host: Host<Msg>): void {
    host.incarnation++;
    host.state = HostState.Running;
    host.rng = this.rng.fork(`node-${host.id}`).fork(`incarnation-${host.incarnation}`);
    host.ctx = this.makeContext(host);
    host.node = this.createNode(host.id);
    host.async = typeof host.node.isSettled === "function";
    host.checked = this.config.checkInvariants && typeof host.node.invariants === "function";
    if (this.recording) {
      this.recorder.record({ i: 0, t: this.nowUsValue, type: "start", node: host.id, incarnation: host.incarnation });
      this.causeIndex = this.recorder.lastIndex;
    }
    host.node.start(host.ctx);
    if (host.checked) this.checkInvariants(host);
  }

  /** Throws the node object away with all volatile state: timers, held messages, unsynced writes. */
  private crashHost(host: Host<Msg>): void {
    host.state = HostState.Crashed;
    host.disk.crash();
    for (const item of host.timers.values()) this.discardTimer(item);
    host.timers.clear();
    for (const item of host.pausedQueue) {
      if (item.kind === ItemKind.Deliver) this.drop(item.id, item.from, item.node, "crashed");
    }
    host.pausedQueue.length = 0;
    host.node = null;
    host.ctx = null;
    host.rng = null;
  }

  private resumeHost(host: Host<Msg>): void {
    host.state = HostState.Running;
    const held = host.pausedQueue.splice(0);
    for (const item of held) {
      if (item.kind === ItemKind.Cancelled) continue;
      item.timeUs = this.nowUsValue;
      item.seq = this.seqNext++;
      this.queue.push(item);
    }
  }

  private makeContext(host: Host<Msg>): Context<Msg> {
    const incarnation = host.incarnation;
    const live = () => {
      assert(host.incarnation === incarnation && host.state !== HostState.Crashed, "a crashed node's context was used", {
        node: host.id,
        incarnation,
      });
    };
    const storage: Storage = {
      read: (key) => host.disk.read(key),
      write: (key, value) => {
        live();
        host.disk.write(key, value);
      },
      delete: (key) => {
        live();
        host.disk.delete(key);
      },
      keys: () => host.disk.keys(),
      sync: () => {
        live();
        return this.requestSync(host);
      },
      get unsyncedCount() {
        return host.disk.unsyncedCount;
      },
    };
    return {
      self: host.id,
      nodes: this.nodeIds,
      incarnation,
      rng: host.rng as Rng,
      storage,
      tracing: this.recording,
      send: (to, msg) => {
        live();
        this.send(host, to, msg);
      },
      setTimer: (delayUs, tag) => {
        live();
        return this.setTimer(host, delayUs, tag);
      },
      cancelTimer: (timer) => this.cancelTimer(host, timer),
      now: () => host.clock.localUs(this.nowUsValue),
      trace: (kind, data) => this.note(host, kind, data),
      buggify: (point) => this.buggify(host, point),
      sentToSelf: (msg) => {
        live();
        return this.sendToSelf(host, msg);
      },
      deliveredToSelf: (id) => {
        live();
        this.deliverToSelf(host, id);
      },
    };
  }

  /** A message a node hands to itself (no network): recorded as a send and, when handled, a delivery, at the same instant. */
  private sendToSelf(host: Host<Msg>, msg: Msg): number {
    if (this.freeze) freezePlainData(msg, "a message");
    const id = ++this.messageSeq;
    if (this.recording) this.recorder.record({ i: 0, t: this.nowUsValue, type: "send", id, from: host.id, to: host.id, msg, cause: this.causeIndex });
    return id;
  }

  private deliverToSelf(host: Host<Msg>, id: number): void {
    if (!this.recording) return;
    this.recorder.record({ i: 0, t: this.nowUsValue, type: "deliver", id, from: host.id, to: host.id });
    this.causeIndex = this.recorder.lastIndex;
  }

  // ---------------------------------------------------------------- internals: faults

  private apply(fault: Fault, by: FaultSource): boolean {
    const changed = this.applyEffect(fault, by);
    if (changed) this.stats.faults++;
    return changed;
  }

  /** Records the fault, then applies it; false when it would change nothing (and nothing is recorded). */
  private applyEffect(fault: Fault, by: FaultSource): boolean {
    switch (fault.type) {
      case "crash": {
        const host = this.hostOf(fault.node);
        if (host.state === HostState.Crashed) return false;
        this.recordFault(fault, by, host.disk.unsyncedCount);
        this.crashHost(host);
        return true;
      }
      case "restart": {
        // Restarting a live node is a kill -9 and a start: the crash is recorded on its own.
        const host = this.hostOf(fault.node);
        if (host.state !== HostState.Crashed) {
          this.recordFault({ type: "crash", node: fault.node }, by, host.disk.unsyncedCount);
          this.crashHost(host);
        }
        this.recordFault(fault, by, undefined);
        this.startHost(host);
        this.settleLater(host);
        return true;
      }
      case "pause": {
        const host = this.hostOf(fault.node);
        if (host.state !== HostState.Running) return false;
        this.recordFault(fault, by, undefined);
        host.state = HostState.Paused;
        return true;
      }
      case "resume": {
        const host = this.hostOf(fault.node);
        if (host.state !== HostState.Paused) return false;
        this.recordFault(fault, by, host.pausedQueue.length);
        this.resumeHost(host);
        return true;
      }
      case "partition":
        this.recordFault(fault, by, undefined);
        this.network.partition(fault.groups.map((group) => group.map((id) => this.indexFor(id))));
        return true;
      case "isolate":
        this.recordFault(fault, by, undefined);
        this.network.isolate(this.indexFor(fault.node));
        return true;
      case "cut":
        this.recordFault(fault, by, undefined);
        this.network.cutLink(this.indexFor(fault.from), this.indexFor(fault.to), fault.oneWay);
        return true;
      case "heal":
        this.recordFault(fault, by, undefined);
        this.network.heal();
        return true;
      case "clock":
        this.recordFault(fault, by, undefined);
        this.hostOf(fault.node).clock.set(this.nowUsValue, fault.skewUs, fault.driftPpm);
        return true;
      case "network":
        this.recordFault(fault, by, undefined);
        this.network.setDefaults({
          ...(fault.latency === undefined ? {} : { latency: fault.latency }),
          ...(fault.loss === undefined ? {} : { loss: fault.loss }),
          ...(fault.duplication === undefined ? {} : { duplication: fault.duplication }),
        });
        return true;
      case "link":
        this.recordFault(fault, by, undefined);
        this.network.setLink(this.indexFor(fault.from), this.indexFor(fault.to), fault, fault.oneWay);
        return true;
      case "drop":
      case "duplicate":
      case "delay":
        this.applyToMessage(fault, by);
        return true;
      case "request":
        this.command(this.hostOf(fault.node), fault.request, fault, by);
        return true;
      default:
        return unreachable(fault, "fault");
    }
  }

  /** Drops, copies or delays one message in the network; InputError (before anything is recorded) when it is not there. */
  private applyToMessage(fault: MessageFault, by: FaultSource): void {
    const item = this.messageInFlight(fault.message);
    this.recordFault(fault, by, undefined);
    switch (fault.type) {
      case "drop":
        item.kind = ItemKind.Cancelled;
        item.payload = undefined;
        this.drop(item.id, item.from, item.node, "intervention");
        return;
      case "duplicate": {
        const copyId = ++this.messageSeq;
        this.stats.duplicated++;
        const from = this.hosts[item.from] as Host<Msg>;
        const to = this.hosts[item.node] as Host<Msg>;
        if (this.recording) this.recorder.record({ i: 0, t: this.nowUsValue, type: "duplicate", id: copyId, of: item.id, from: from.id, to: to.id });
        this.interventionRng ??= this.rng.fork("intervention");
        const sampler = this.network.samplers[item.from * this.hosts.length + item.node] as (rng: Rng) => number;
        this.push(this.nowUsValue + sampler(this.interventionRng), ItemKind.Deliver, item.node, item.from, copyId, 0, item.payload);
        return;
      }
      case "delay": {
        // The heap cannot move an item: the old one is skipped and the message travels on in a new one.
        const atUs = Math.min(TIME_US_MAX, item.timeUs + fault.byUs);
        item.kind = ItemKind.Cancelled;
        const payload = item.payload;
        item.payload = undefined;
        this.push(atUs, ItemKind.Deliver, item.node, item.from, item.id, 0, payload);
        return;
      }
      default:
        unreachable(fault, "message fault");
    }
  }

  /** The delivery of message `id` while it is in the network (not yet at its receiver). */
  private messageInFlight(id: number): Item {
    const item = this.queue.find((it) => it.kind === ItemKind.Deliver && it.id === id && !it.arrived);
    if (item !== undefined) return item;
    throw new InputError("fault", [{ path: "message", message: `message ${id} is not in flight at ${this.nowUsValue} µs: ${this.whyNotInFlight(id)}` }]);
  }

  private whyNotInFlight(id: number): string {
    if (id > this.messageSeq) return this.messageSeq === 0 ? "no message has been sent yet" : `no message has that id yet (the last one sent is ${this.messageSeq})`;
    for (const host of this.hosts) {
      for (const item of host.pausedQueue) {
        if (item.kind === ItemKind.Deliver && item.id === id) return `it reached ${host.id}, which is paused and holds it until it resumes`;
      }
    }
    return "it was delivered or dropped already (or its node handed it to itself, without the network)";
  }

  /**
   * Hands a node a request from outside, in its own context, as an event of
   * its own: the fault's trace event is the cause of what the node sends.
   */
  private command(host: Host<Msg>, request: unknown, fault: Fault, by: FaultSource): void {
    const node = host.node;
    const refuse = (why: string) => new InputError("fault", [{ path: "node", message: `${host.id} ${why}` }]);
    if (host.state === HostState.Crashed || node === null) throw refuse("is crashed: it takes requests again once restarted");
    if (host.state === HostState.Paused) throw refuse("is paused: it takes requests again once resumed");
    if (node.command === undefined) throw refuse("takes no requests (its node has no command handler; clients do)");
    if (this.freeze) freezePlainData(request, "a request");
    this.recordFault(fault, by, undefined);
    if (this.recording) this.causeIndex = this.recorder.lastIndex;
    this.currentNode = host.index;
    node.command(host.ctx as Context<Msg>, request);
    if (host.checked) this.checkInvariants(host);
    this.settleLater(host);
  }

  /**
   * A fault ran an async node's handler outside that node's own event (a
   * restart's start, a request): the continuations it released must run, at
   * this instant, before the next event.
   */
  private settleLater(host: Host<Msg>): void {
    if (host.async && this.unsettled === null && host.node?.isSettled?.() === false) this.unsettled = host;
  }

  private recordFault(fault: Fault, by: FaultSource, count: number | undefined): void {
    if (!this.recording) return;
    this.recorder.record({ i: 0, t: this.nowUsValue, type: "fault", by, fault, ...(count === undefined ? {} : { count }) });
  }

  private nemesisTick(): void {
    const nemesis = this.nemesis as Nemesis;
    const world = {
      nowUs: this.nowUsValue,
      status: (id: NodeId) => this.status(id),
      cutCount: this.network.cutLinks().length,
    };
    for (const fault of nemesis.tick(world)) this.apply(fault, "nemesis");
    const nextUs = nemesis.nextTickUs(this.nowUsValue);
    if (nextUs !== undefined) this.push(nextUs, ItemKind.Nemesis, -1, -1, 0, 0, undefined);
  }

  // ---------------------------------------------------------------- internals: plumbing

  private push(timeUs: number, kind: ItemKind, node: number, from: number, id: number, incarnation: number, payload: unknown): Item {
    const item = this.freeItems.pop();
    if (item === undefined) {
      const fresh = new Item(timeUs, this.seqNext++, kind, node, from, id, incarnation, payload, false);
      this.queue.push(fresh);
      return fresh;
    }
    item.timeUs = timeUs;
    item.seq = this.seqNext++;
    item.kind = kind;
    item.node = node;
    item.from = from;
    item.id = id;
    item.incarnation = incarnation;
    item.payload = payload;
    item.arrived = false;
    this.queue.push(item);
    return item;
  }

  private hostOf(id: NodeId): Host<Msg> {
    return this.hosts[this.indexFor(id)] as Host<Msg>;
  }

  private indexFor(id: NodeId): number {
    const index = this.indexOf.get(id);
    assert(index !== undefined, "unknown node", { id });
    return index;
  }

  private checkNodesExist(fault: Fault): void {
    const ids: [string, (string | number)[]][] = [];
    if ("node" in fault) ids.push([fault.node, ["node"]]);
    if ("from" in fault) ids.push([fault.from, ["from"]], [fault.to, ["to"]]);
    if (fault.type === "partition") fault.groups.forEach((g, gi) => g.forEach((id, i) => ids.push([id, ["groups", gi, i]])));
    const problems = ids
      .filter(([id]) => !this.indexOf.has(id))
      .map(([id, path]) => ({ path: formatPath(path), message: `unknown node "${id}"; expected one of ${this.nodeIds.join(", ")}` }));
    if (problems.length > 0) throw new InputError("fault", problems);
  }

  private outcome(reason: StopReason, events: number): RunOutcome {
    return { reason, nowUs: this.nowUsValue, events };
  }

  private failure(error: unknown): unknown {
    // The trace up to the failure is what explains it: what was gathered goes to the sink now.
    this.recorder.flush();
    if (error instanceof SimulationFailure || error instanceof InputError) return error;
    const node = this.currentNode >= 0 ? this.hosts[this.currentNode]?.id : undefined;
    return new SimulationFailure(this.seed, this.nowUsValue, node, error);
  }
}
