import { assert, unreachable, type Context, type Node, type NodeId, type Rng, type TimerId } from "../sim/index.ts";
import { consoleOp, consoleRequestSchema } from "./console.ts";
import { clientNoteSchema, isClientNoteKind, writeNote, type ClientNote } from "./notes.ts";
import type { StorageMsg } from "./storage.ts";
import {
  isWriteOp,
  OrderedStream,
  parentOf,
  pathProblem,
  type Acl,
  type AddWatchMode,
  type ClientToServer,
  type CreateMode,
  type MultiOp,
  type MultiResult,
  type ServerToClient,
  type Stat,
  type WatcherType,
  type WatchEvent,
  type WatchSet,
  type ZkErrorCode,
  type ZkOp,
  type ZkReply,
  type ZkResult,
  type ZnodeData,
  type ZkBug,
  OPEN_ACL,
} from "../zk/index.ts";

/** A failed request, with ZooKeeper's error name and (for multi) the per-op results. */
export class ZkError extends Error {
  override readonly name = "ZkError";
  constructor(
    readonly code: ZkErrorCode,
    readonly results?: readonly MultiResult[],
    detail?: string,
  ) {
    super(detail === undefined ? code : `${code}: ${detail}`);
  }
}

/** Why a request's path is invalid (PathUtils.validatePath), as the Java client checks before sending; null when it is fine. */
function requestPathProblem(op: ZkOp): string | null {
  const check = (path: string, sequential: boolean): string | null => {
    const problem = pathProblem(sequential ? `${path}1` : path);
    return problem === null ? null : `invalid path ${JSON.stringify(path)}: ${problem}`;
  };
  switch (op.op) {
    case "create":
      return check(op.path, op.mode.includes("SEQUENTIAL"));
    case "multi":
      for (const o of op.ops) {
        const problem = check(o.path, o.op === "create" && o.mode.includes("SEQUENTIAL"));
        if (problem !== null) return problem;
      }
      return null;
    case "getEphemerals":
    case "addAuth":
      return null;
    default:
      return check(op.path, false);
  }
}

/** Connection states as ZooKeeper's client reports them (KeeperState). */
export type KeeperState = "SyncConnected" | "Disconnected" | "Expired" | "Closed";

/** What a watcher callback receives: a node event, or a session event (type None). */
export type ClientEvent =
  | { readonly type: WatchEvent["type"]; readonly state: "SyncConnected"; readonly path: string; readonly zxid: number }
  | { readonly type: "None"; readonly state: KeeperState; readonly path: null };

/** A watcher is a function; its identity is what ZooKeeper's "watcher object" is. */
export type Watcher = (event: ClientEvent) => void;

export interface CreateOptions {
  acl?: readonly Acl[];
  mode?: CreateMode;
  ttlMs?: number;
}

/** The API a workload uses: ZooKeeper's, with promises and typed errors. */
export interface ZooKeeper {
  readonly sessionId: number | null;
  readonly state: KeeperState | "Connecting";
  create(path: string, data: ZnodeData, options?: CreateOptions): Promise<string>;
  createWithStat(path: string, data: ZnodeData, options?: CreateOptions): Promise<{ path: string; stat: Stat }>;
  delete(path: string, version?: number): Promise<void>;
  exists(path: string, watch?: Watcher): Promise<Stat | null>;
  getData(path: string, watch?: Watcher): Promise<{ data: ZnodeData; stat: Stat }>;
  setData(path: string, data: ZnodeData, version?: number): Promise<Stat>;
  getChildren(path: string, watch?: Watcher): Promise<string[]>;
  getChildrenWithStat(path: string, watch?: Watcher): Promise<{ children: string[]; stat: Stat }>;
  getAllChildrenNumber(path: string): Promise<number>;
  getEphemerals(prefix?: string): Promise<string[]>;
  getACL(path: string): Promise<{ acl: readonly Acl[]; stat: Stat }>;
  setACL(path: string, acl: readonly Acl[], version?: number): Promise<Stat>;
  multi(ops: readonly MultiOp[]): Promise<readonly MultiResult[]>;
  sync(path: string): Promise<void>;
  addWatch(path: string, watcher: Watcher, mode: AddWatchMode): Promise<void>;
  removeWatches(path: string, watcher: Watcher, type: WatcherType, local?: boolean): Promise<void>;
  addAuth(scheme: "digest", auth: string): Promise<void>;
  /** Closes the session: its ephemerals go at once. */
  close(): Promise<void>;
  /**
   * Any request as plain data, answered with the server's reply as data
   * (errors included, never a rejection). Paths are not checked here but by
   * the server, as with a raw request. A request that sets a watch
   * (`watch: true`, addWatch) registers `watcher`, or the default watchers
   * (onState) when none is given; removeWatches without a watcher removes
   * every watcher of that type on the path.
   */
  submit(op: ZkOp, watcher?: Watcher): Promise<ZkReply>;
  /** Session events (Disconnected, SyncConnected, Expired, Closed): the default watcher. */
  onState(watcher: Watcher): void;
}

/** What a workload gets besides the ZooKeeper handle: time, randomness, sleep. */
export interface ClientProcess {
  readonly self: NodeId;
  /** The client's local clock, in µs. */
  now(): number;
  readonly rng: Rng;
  sleep(ms: number): Promise<void>;
  /** A note in the trace (what the viewer shows on this client's line). */
  note(kind: string, data?: unknown): void;
  /**
   * Writes a value to the cluster's shared storage node (outside ZooKeeper)
   * with a fencing token; resends until the storage answers. Rejects when
   * the cluster has no storage node or it never answers.
   */
  store(key: string, value: string, token: number): Promise<{ accepted: boolean; highest: number }>;
}

export type Workload = (zk: ZooKeeper, process: ClientProcess) => Promise<void>;

/** A client as the inspector shows it (plain data, see ZkClient.inspect). */
export interface ClientInspection {
  readonly kind: "zk-client";
  readonly state: KeeperState | "Connecting";
  readonly sessionId: number | null;
  readonly sessionTimeoutMs: number;
  /** The server it is connected, or connecting, to. */
  readonly server: NodeId;
  readonly connection: number;
  readonly lastZxid: number;
  readonly inFlight: readonly { readonly xid: number; readonly op: string; readonly path: string | null; readonly sentUs: number }[];
  readonly queued: readonly { readonly xid: number; readonly op: string }[];
  readonly watches: WatchSet;
  /** Storage writes waiting for their acknowledgement. */
  readonly stores: number;
}

/** Something a client records for checkers: each request's invocation and completion. */
export interface OpRecord {
  readonly client: NodeId;
  readonly sessionId: number | null;
  readonly xid: number;
  readonly op: ZkOp | { readonly op: "close" };
  readonly invokeUs: number;
  completeUs: number | null;
  /** ok, a ZooKeeper error, or ConnectionLoss (outcome unknown). */
  reply: ZkReply | null;
  /** The zxid the server reported with the reply. */
  zxid: number | null;
}

/** A notification as the client received it: a watch event, or a change of its session's state. */
export interface EventRecord {
  readonly client: NodeId;
  readonly sessionId: number | null;
  readonly type: WatchEvent["type"] | "None";
  readonly path: string | null;
  /** The zxid of the change (watch events); for SyncConnected, the zxid of the server's state when it took the session; else null. */
  readonly zxid: number | null;
  readonly state: KeeperState;
}

export interface ZkClientOptions {
  /** The servers, in the order the client tries them. */
  readonly servers: readonly NodeId[];
  /** Index in `servers` of the first one to try. */
  readonly firstServer: number;
  readonly sessionTimeoutMs: number;
  readonly workload: Workload;
  /** Receives every finished request (for the checkers). */
  readonly record?: (record: OpRecord) => void;
  /** Receives every request when it is issued (the same object `record` gets when it finishes). */
  readonly invoked?: (record: OpRecord) => void;
  /** Receives every notification when it arrives, before any watcher runs. */
  readonly notified?: (event: EventRecord) => void;
  /** The shared storage node that `ClientProcess.store` writes to, if the cluster has one. */
  readonly storage?: NodeId;
  /** Bugs of the service's zoo to plant in the client library (ZK_BUGS; none by default). */
  readonly bugs?: readonly ZkBug[];
}

type ClientTimer =
  | { readonly owner: "client"; readonly kind: "store"; readonly id: number }
  | { readonly owner: "client"; readonly kind: "ping"; readonly connection: number }
  | { readonly owner: "client"; readonly kind: "probe"; readonly connection: number }
  | { readonly owner: "client"; readonly kind: "read-timeout"; readonly connection: number }
  | { readonly owner: "client"; readonly kind: "sleep"; readonly id: number };

type Settle = { resolve: (value: ZkResult) => void; reject: (error: ZkError) => void };

interface InFlight {
  readonly record: OpRecord;
  readonly settle: Settle;
  /** Registers the watch when the reply arrives (ZooKeeper registers on success). */
  readonly watch: ((reply: ZkReply) => void) | null;
  /** When it went out on the current connection (local µs). */
  sentUs: number;
}

/**
 * Microtask hops the engine grants after this client released promise
 * continuations; every request, sleep or storage write the workload makes
 * while they run grants as many again, so a chain that keeps acting is never
 * cut short.
 */
const SETTLE_HOPS = 16;
/** Requests a client may have outstanding. */
const IN_FLIGHT_MAX = 10_000;
/** How long a request may wait for its answer before the client pings to learn what the network lost (and how often it looks). */
const PROBE_US = 100_000;
/** How often a storage write is sent again until acknowledged, and how many times. */
const STORE_RESEND_US = 50_000;
const STORE_TRIES_MAX = 200;

type ClientMsg = ClientToServer | ServerToClient | StorageMsg;

/** Out-of-order replies a connection may hold, and unacknowledged requests it keeps, before it is considered broken. */
const STREAM_IN_BUFFER_MAX = 1_000;
const STREAM_SENT_MAX = 10_000;

function newStream(): OrderedStream<ClientToServer & { seq: number }, ServerToClient & { seq: number }> {
  return new OrderedStream(STREAM_IN_BUFFER_MAX, STREAM_SENT_MAX);
}

interface PendingStore {
  readonly msg: StorageMsg & { type: "storage-write" };
  tries: number;
  readonly resolve: (ack: { accepted: boolean; highest: number }) => void;
  readonly reject: (error: Error) => void;
}

/**
 * A simulated client process. Its workload is ordinary async/await code; the
 * replies that settle its promises arrive through the node's handlers, and
 * `Simulation.runAsync` lets the continuations run at the virtual time the
 * reply arrived. The connection is an ordered stream over the lossy network
 * (sequence numbers; what a ping or pong shows lost is sent again, as TCP
 * would); a lasting silence breaks it: requests in flight fail with
 * ConnectionLoss (their outcome is unknown) and the client reconnects to the
 * next server with its session, its last zxid and its watches.
 */
export class ZkClient implements Node<ClientMsg, ClientTimer> {
  private ctx!: Context<ClientMsg, ClientTimer>;
  private state: KeeperState | "Connecting" = "Connecting";
  private sessionId: number | null = null;
  private timeoutMs: number;
  private serverIndex: number;
  private connection = 0;
  /** The current connection's ordered stream (a new one per connection). */
  private stream = newStream();
  private lastZxid = 0;
  private xid = 0;
  private prevWriteXid = -1;
  private readonly inFlight = new Map<number, InFlight>();
  /**
   * The probe for lost messages, armed only while requests are in flight: an
   * idle client has nothing to ask about (its session pings keep it alive),
   * and a timer per client every 100 ms was most of a quiet run's events.
   */
  private probeTimer: TimerId | null = null;
  private readonly queued: { op: ZkOp | { op: "close" }; entry: InFlight }[] = [];
  private readonly auth: string[] = [];
  private hopsLeft = 0;
  private sleepSeq = 0;
  private storeSeq = 0;
  private readonly stores = new Map<number, PendingStore>();
  private readonly sleeps = new Map<number, () => void>();
  private readonly watchers = {
    data: new Map<string, Set<Watcher>>(),
    exist: new Map<string, Set<Watcher>>(),
    child: new Map<string, Set<Watcher>>(),
    persistent: new Map<string, Set<Watcher>>(),
    recursive: new Map<string, Set<Watcher>>(),
  };
  private readonly stateWatchers: Watcher[] = [];
  /** Where node events go for a watch set without a watcher object: the default watchers. */
  private readonly defaultWatcher: Watcher = (event) => {
    for (const watcher of this.stateWatchers) watcher(event);
  };
  private lastHeardUs = 0;
  /**
   * The watcher object of console requests: one object, as one ZooKeeper
   * handle's watcher would be, which notes each node event it receives.
   */
  private readonly consoleWatcher: Watcher = (event) => {
    if (event.type !== "None") this.note({ kind: "console-watch", data: { type: event.type, path: event.path, zxid: event.zxid } });
  };
  /** A console request whose promise failed other than with a ZooKeeper error: a bug, reported by invariants(). */
  private consoleFailure: string | null = null;

  constructor(private readonly options: ZkClientOptions) {
    this.timeoutMs = options.sessionTimeoutMs;
    this.serverIndex = options.firstServer;
  }

  // ---------------------------------------------------------------- node entry points

  start(ctx: Context<ClientMsg, ClientTimer>): void {
    this.ctx = ctx;
    this.connect();
    const api = this.api();
    const proc: ClientProcess = {
      self: ctx.self,
      now: () => this.ctx.now(),
      rng: ctx.rng,
      sleep: (ms) => this.sleep(ms),
      note: (kind, data) => {
        // The kinds the checkers read are reserved: a workload may write them only in their shape.
        if (isClientNoteKind(kind)) clientNoteSchema.parse({ kind, data });
        this.ctx.trace(kind, data);
      },
      store: (key, value, token) => this.store(key, value, token),
    };
    const notes = { note: (kind: string, data?: unknown) => this.ctx.trace(kind, data) };
    this.options.workload(api, proc).then(
      () => writeNote(notes, { kind: "workload-done", data: {} }),
      (error: unknown) => writeNote(notes, { kind: "workload-failed", data: { error: error instanceof Error ? error.message : String(error) } }),
    );
  }

  receive(ctx: Context<ClientMsg, ClientTimer>, from: NodeId, msg: ClientMsg): void {
    this.ctx = ctx;
    switch (msg.type) {
      case "storage-ack":
        return this.storeAcked(msg);
      case "zk-refused":
        if (msg.connection === this.connection) this.refused(msg.reason);
        return;
      case "zk-pong":
        if (msg.connection === this.connection && from === this.server()) this.pong(msg);
        return;
      case "zk-connected":
      case "zk-reply":
      case "zk-watch":
      case "zk-expired":
        if (msg.connection === this.connection && from === this.server()) this.fromStream(msg);
        return;
      case "storage-write":
      case "zk-connect":
      case "zk-request":
      case "zk-ping":
      case "zk-close":
        return; // what clients send, not receive
      default:
        return unreachable(msg, "client message");
    }
  }

  /** A message of the connection's ordered stream: delivered in order, or the connection is broken. */
  private fromStream(msg: ServerToClient & { seq: number }): void {
    if (!this.stream.accept(msg)) return this.disconnect();
    for (let next = this.stream.take(); next !== undefined; next = this.stream.take()) {
      this.lastHeardUs = this.ctx.now();
      this.inOrder(next);
    }
  }

  timer(ctx: Context<ClientMsg, ClientTimer>, t: ClientTimer): void {
    this.ctx = ctx;
    switch (t.kind) {
      case "store":
        return this.storeResend(t.id);
      case "sleep": {
        const wake = this.sleeps.get(t.id);
        this.sleeps.delete(t.id);
        this.release();
        wake?.();
        return;
      }
      case "ping":
        if (t.connection !== this.connection || this.state !== "SyncConnected") return;
        if (this.ctx.buggify("client.reconnect")) return this.disconnect(); // a fault point: move to the next server for no reason
        this.ping();
        ctx.setTimer(Math.floor((this.timeoutMs * 1000) / 3), t);
        return;
      case "probe":
        if (t.connection !== this.connection) return;
        this.probeTimer = null;
        if (this.isClosed()) return;
        // A request unanswered for a while: ask the server what it has, so that lost messages go again.
        if (this.state === "SyncConnected" && this.oldestInFlightUs() <= this.ctx.now() - PROBE_US) this.ping();
        if (this.inFlight.size > 0) this.probeTimer = ctx.setTimer(PROBE_US, t);
        return;
      case "read-timeout": {
        if (t.connection !== this.connection || this.isClosed()) return;
        const readTimeoutUs = Math.floor((this.timeoutMs * 1000 * 2) / 3);
        const silentUs = this.ctx.now() - this.lastHeardUs;
        if (silentUs >= readTimeoutUs) return this.disconnect();
        ctx.setTimer(readTimeoutUs - silentUs, t);
        return;
      }
      default:
        return unreachable(t, "client timer");
    }
  }

  /**
   * A request from outside (the viewer's console, a scenario's request
   * entry), issued like the workload's own: it is recorded, traced with its
   * zk-invoke and zk-complete notes, and judged with them. A watch it sets
   * goes to the console's watcher, which notes what fires.
   */
  command(ctx: Context<ClientMsg, ClientTimer>, request: unknown): void {
    this.ctx = ctx;
    const parsed = consoleRequestSchema.safeParse(request);
    // The layer that takes the request from a person validates it (the scenario schema): a bad one here is a bug.
    assert(parsed.success, "a console request the scenario layer should have refused", { request, problems: parsed.error?.issues.map((i) => i.message) });
    this.submit(consoleOp(parsed.data), this.consoleWatcher).then(
      () => undefined,
      (error: unknown) => {
        this.consoleFailure = error instanceof Error ? error.message : String(error);
      },
    );
  }

  /** What must hold between events (the engine runs it after every handler when checking invariants). */
  invariants(): void {
    assert(this.consoleFailure === null, "a console request failed outside ZooKeeper's errors", { error: this.consoleFailure });
    assert(this.inFlight.size + this.queued.length <= IN_FLIGHT_MAX, "more requests outstanding than a client may have", { inFlight: this.inFlight.size, queued: this.queued.length });
    assert(this.state === "SyncConnected" || this.inFlight.size === 0, "requests in flight without a connection", { state: this.state, inFlight: this.inFlight.size });
    assert(this.inFlight.size === 0 || this.probeTimer !== null, "requests in flight with no probe armed to learn of lost messages", { inFlight: this.inFlight.size });
    assert(!this.isClosed() || this.queued.length === 0, "requests queued on a closed session", { state: this.state });
    assert(this.stores.size <= IN_FLIGHT_MAX && this.sleeps.size <= IN_FLIGHT_MAX, "storage writes or sleeps beyond their bound");
  }

  /**
   * What the viewer's inspector shows of this client, as plain data: its
   * session, connection, the requests in flight and queued, and the watches
   * it would carry to another server.
   */
  inspect(): ClientInspection {
    const requests = [...this.inFlight.values()].map((entry) => ({ xid: entry.record.xid, op: entry.record.op.op, path: "path" in entry.record.op ? entry.record.op.path : null, sentUs: entry.sentUs }));
    return {
      kind: "zk-client",
      state: this.state,
      sessionId: this.sessionId,
      sessionTimeoutMs: this.timeoutMs,
      server: this.server(),
      connection: this.connection,
      lastZxid: this.lastZxid,
      inFlight: requests.sort((a, b) => a.xid - b.xid),
      queued: this.queued.map(({ op, entry }) => ({ xid: entry.record.xid, op: op.op })),
      watches: this.watchSet(),
      stores: this.stores.size,
    };
  }

  isSettled(): boolean {
    if (this.hopsLeft === 0) return true;
    this.hopsLeft--;
    return false;
  }

  // ---------------------------------------------------------------- connection

  private server(): NodeId {
    return this.options.servers[this.serverIndex % this.options.servers.length] as NodeId;
  }

  private connect(): void {
    this.connection++;
    this.stream = newStream();
    this.stopProbe();
    this.lastHeardUs = this.ctx.now();
    this.prevWriteXid = -1; // the leader need not wait for writes of an earlier connection
    this.ctx.send(this.server(), {
      type: "zk-connect",
      connection: this.connection,
      sessionId: this.sessionId,
      timeoutMs: this.timeoutMs,
      lastZxid: this.lastZxid,
      watches: this.watchesToCarry(),
      auth: this.auth.slice(),
    });
    const readTimeoutUs = Math.floor((this.timeoutMs * 1000 * 2) / 3);
    this.ctx.setTimer(readTimeoutUs, { owner: "client", kind: "read-timeout", connection: this.connection } satisfies ClientTimer);
  }

  /** The connection broke: what was in flight has an unknown outcome; try the next server. */
  private disconnect(): void {
    const wasConnected = this.state === "SyncConnected";
    this.state = "Connecting";
    this.failInFlight("ConnectionLoss");
    if (wasConnected) this.sessionEvent("Disconnected");
    this.serverIndex++;
    this.connect();
  }

  /** The server refused the connection, or stopped serving it: expired, or try the next server. */
  private refused(reason: "expired" | "behind" | "not-serving"): void {
    if (reason === "expired") return this.expire();
    if (this.state === "SyncConnected") return this.disconnect(); // what was in flight has an unknown outcome
    this.serverIndex++;
    this.connect();
  }

  private expire(): void {
    this.state = "Expired";
    this.failInFlight("SessionExpired");
    for (const { entry } of this.queued.splice(0)) this.finish(entry, { ok: false, err: "SessionExpired" }, null);
    this.sessionEvent("Expired");
    this.clearWatchers();
  }

  private inOrder(msg: ServerToClient & { seq: number }): void {
    switch (msg.type) {
      case "zk-connected":
        this.state = "SyncConnected";
        this.sessionId = msg.sessionId;
        this.timeoutMs = msg.timeoutMs;
        this.lastZxid = Math.max(this.lastZxid, msg.zxid);
        this.ctx.setTimer(Math.floor((this.timeoutMs * 1000) / 3), { owner: "client", kind: "ping", connection: this.connection } satisfies ClientTimer);
        this.sessionEvent("SyncConnected", msg.zxid);
        for (const { op, entry } of this.queued.splice(0)) this.transmit(op, entry);
        return;
      case "zk-reply": {
        this.lastZxid = Math.max(this.lastZxid, msg.zxid);
        const entry = this.inFlight.get(msg.xid);
        if (entry === undefined) return;
        this.inFlight.delete(msg.xid);
        if (this.inFlight.size === 0) this.stopProbe();
        // As ZooKeeper's client does, exists turns the server's NoNode into a null Stat.
        const reply: ZkReply =
          entry.record.op.op === "exists" && !msg.reply.ok && msg.reply.err === "NoNode" ? { ok: true, result: { op: "exists", stat: null } } : msg.reply;
        entry.watch?.(reply);
        this.finish(entry, reply, msg.zxid);
        if (entry.record.op.op === "close" && msg.reply.ok) this.closed();
        return;
      }
      case "zk-watch":
        // The events a reconnect owes come before zk-connected; their zxid (the server's) counts as seen
        // only with zk-connected, so that a connection lost among them gets them again from the next server.
        if (this.state === "SyncConnected") this.lastZxid = Math.max(this.lastZxid, msg.event.zxid);
        return this.deliverEvent(msg.event);
      case "zk-expired":
        return this.expire();
    }
  }

  private closed(): void {
    this.state = "Closed";
    // Requests issued after the close (with it still in flight) find the session gone, as later ones do.
    this.failInFlight("SessionExpired");
    for (const { entry } of this.queued.splice(0)) this.finish(entry, { ok: false, err: "SessionExpired" }, null);
    this.sessionEvent("Closed");
    this.clearWatchers();
  }

  /** Sends on the connection's ordered stream; a server that stopped acknowledging breaks the connection. */
  private send(msg: ClientToServer & { seq: number }): void {
    if (!this.stream.stamp(msg)) return this.disconnect();
    this.ctx.send(this.server(), msg);
  }

  private stopProbe(): void {
    if (this.probeTimer !== null) this.ctx.cancelTimer(this.probeTimer);
    this.probeTimer = null;
  }

  /** When the longest-waiting request went out (Infinity when none waits). */
  private oldestInFlightUs(): number {
    let oldest = Number.POSITIVE_INFINITY;
    for (const entry of this.inFlight.values()) if (entry.sentUs < oldest) oldest = entry.sentUs;
    return oldest;
  }

  /** Tells the server which of its messages arrived (and so what to send again). */
  private ping(): void {
    this.ctx.send(this.server(), { type: "zk-ping", connection: this.connection, next: this.stream.next });
  }

  /**
   * A pong: the server is alive and has our messages below `next`; send again
   * what it lacks. Its zxid does not count as seen: a pong is outside the
   * ordered stream and may overtake watch events the network lost and the
   * server is about to send again, and a last zxid past them would make the
   * next server think those events were delivered (ZooKeeper's client, over
   * TCP, takes lastZxid from in-order replies only).
   */
  private pong(msg: ServerToClient & { type: "zk-pong" }): void {
    this.lastHeardUs = this.ctx.now();
    this.stream.acknowledged(msg.next, (lost) => this.ctx.send(this.server(), lost));
  }

  private isClosed(): boolean {
    return this.state === "Expired" || this.state === "Closed";
  }

  // ---------------------------------------------------------------- requests

  private request(op: ZkOp | { op: "close" }, watch: ((reply: ZkReply) => void) | null = null): Promise<ZkResult> {
    this.release();
    return new Promise<ZkResult>((resolve, reject) => {
      const xid = ++this.xid;
      const record: OpRecord = { client: this.ctx.self, sessionId: this.sessionId, xid, op, invokeUs: this.ctx.now(), completeUs: null, reply: null, zxid: null };
      const entry: InFlight = { record, settle: { resolve, reject }, watch, sentUs: 0 };
      this.options.invoked?.(record);
      if (this.ctx.tracing) this.note({ kind: "zk-invoke", data: { xid, op: op.op, path: "path" in op ? op.path : null, session: this.sessionId } });
      if (this.state === "Expired" || this.state === "Closed") return this.finish(entry, { ok: false, err: "SessionExpired" }, null);
      if (this.inFlight.size + this.queued.length >= IN_FLIGHT_MAX) return this.finish(entry, { ok: false, err: "Throttled" }, null);
      if (this.state === "SyncConnected") this.transmit(op, entry);
      else this.queued.push({ op, entry });
    });
  }

  private transmit(op: ZkOp | { op: "close" }, entry: InFlight): void {
    const xid = entry.record.xid;
    entry.sentUs = this.ctx.now();
    this.inFlight.set(xid, entry);
    if (this.probeTimer === null) this.probeTimer = this.ctx.setTimer(PROBE_US, { owner: "client", kind: "probe", connection: this.connection } satisfies ClientTimer);
    const isWrite = isWriteOp(op);
    const prevWriteXid = this.prevWriteXid;
    if (isWrite) this.prevWriteXid = xid;
    if (op.op === "close") this.send({ type: "zk-close", connection: this.connection, seq: 0, xid, prevWriteXid });
    else this.send({ type: "zk-request", connection: this.connection, seq: 0, xid, op, prevWriteXid: isWrite ? prevWriteXid : 0 });
  }

  private failInFlight(err: ZkErrorCode): void {
    const entries = [...this.inFlight.values()].sort((a, b) => a.record.xid - b.record.xid);
    this.inFlight.clear();
    this.stopProbe();
    for (const entry of entries) this.finish(entry, { ok: false, err }, null);
    if (err === "ConnectionLoss") {
      for (const { entry } of this.queued.splice(0)) this.finish(entry, { ok: false, err }, null);
    }
  }

  private finish(entry: InFlight, reply: ZkReply, zxid: number | null): void {
    entry.record.completeUs = this.ctx.now();
    entry.record.reply = reply;
    entry.record.zxid = zxid;
    if (this.ctx.tracing) {
      const outcome = reply.ok ? "ok" : reply.err === "ConnectionLoss" || reply.err === "SessionExpired" ? "unknown" : "fail";
      this.note({ kind: "zk-complete", data: { xid: entry.record.xid, outcome, err: reply.ok ? null : reply.err, zxid } });
    }
    this.options.record?.(entry.record);
    this.release();
    if (reply.ok) entry.settle.resolve(reply.result);
    else entry.settle.reject(new ZkError(reply.err, reply.results));
  }

  /** A note about this client in the trace, in the shape its schema gives (clientNoteSchema). */
  private note(note: ClientNote): void {
    this.ctx.trace(note.kind, note.data);
  }

  /** A promise of the workload was settled: its continuation must run before the next event. */
  private release(): void {
    this.hopsLeft = SETTLE_HOPS;
  }

  private store(key: string, value: string, token: number): Promise<{ accepted: boolean; highest: number }> {
    return new Promise((resolve, reject) => {
      if (this.options.storage === undefined) return reject(new Error("this cluster has no storage node"));
      const id = ++this.storeSeq;
      const msg = { type: "storage-write", id, key, value, token } as const;
      this.stores.set(id, { msg, tries: 1, resolve, reject });
      this.ctx.send(this.options.storage, msg);
      this.ctx.setTimer(STORE_RESEND_US, { owner: "client", kind: "store", id } satisfies ClientTimer);
    });
  }

  private storeResend(id: number): void {
    const pending = this.stores.get(id);
    if (pending === undefined || this.options.storage === undefined) return;
    if (pending.tries >= STORE_TRIES_MAX) {
      this.stores.delete(id);
      this.release();
      return pending.reject(new Error(`the storage node did not answer ${STORE_TRIES_MAX} tries`));
    }
    pending.tries++;
    this.ctx.send(this.options.storage, pending.msg);
    this.ctx.setTimer(STORE_RESEND_US, { owner: "client", kind: "store", id } satisfies ClientTimer);
  }

  private storeAcked(ack: StorageMsg & { type: "storage-ack" }): void {
    const pending = this.stores.get(ack.id);
    if (pending === undefined) return;
    this.stores.delete(ack.id);
    this.release();
    pending.resolve({ accepted: ack.accepted, highest: ack.highest });
  }

  private sleep(ms: number): Promise<void> {
    this.release();
    return new Promise<void>((resolve) => {
      const id = ++this.sleepSeq;
      this.sleeps.set(id, resolve);
      this.ctx.setTimer(Math.max(0, Math.round(ms * 1000)), { owner: "client", kind: "sleep", id } satisfies ClientTimer);
    });
  }

  // ---------------------------------------------------------------- watches (ZooKeeper's ZKWatchManager)

  private addWatcher(kind: keyof ZkClient["watchers"], path: string, watcher: Watcher): void {
    let set = this.watchers[kind].get(path);
    if (set === undefined) {
      set = new Set();
      this.watchers[kind].set(path, set);
    }
    set.add(watcher);
  }

  /** Fans a node event out to each distinct watcher at most once, removing one-shot ones. */
  private deliverEvent(event: WatchEvent): void {
    const targets = new Set<Watcher>();
    const take = (kind: "data" | "exist" | "child", path: string) => {
      const set = this.watchers[kind].get(path);
      if (set === undefined) return;
      for (const w of set) targets.add(w);
      this.watchers[kind].delete(path);
    };
    const add = (kind: "persistent" | "recursive", path: string) => {
      for (const w of this.watchers[kind].get(path) ?? []) targets.add(w);
    };
    if (event.type === "NodeChildrenChanged") {
      take("child", event.path);
      add("persistent", event.path);
    } else {
      take("data", event.path);
      take("exist", event.path);
      if (event.type === "NodeDeleted") take("child", event.path);
      add("persistent", event.path);
      for (let p: string | null = event.path; p !== null; p = parentOf(p)) add("recursive", p);
    }
    this.options.notified?.({ client: this.ctx.self, sessionId: this.sessionId, type: event.type, path: event.path, zxid: event.zxid, state: "SyncConnected" });
    const clientEvent: ClientEvent = { type: event.type, state: "SyncConnected", path: event.path, zxid: event.zxid };
    this.release();
    for (const watcher of targets) watcher(clientEvent);
  }

  /** Session events go to the default watchers and every registered watcher object. */
  private sessionEvent(state: KeeperState, serverZxid: number | null = null): void {
    this.options.notified?.({ client: this.ctx.self, sessionId: this.sessionId, type: "None", path: null, zxid: serverZxid, state });
    const event: ClientEvent = { type: "None", state, path: null };
    const targets = new Set<Watcher>(this.stateWatchers);
    for (const table of Object.values(this.watchers)) for (const set of table.values()) for (const w of set) if (w !== this.defaultWatcher) targets.add(w);
    this.release();
    for (const watcher of targets) watcher(event);
  }

  private clearWatchers(): void {
    for (const table of Object.values(this.watchers)) table.clear();
  }

  /** The watches a (re)connect sends; the zoo's "watch-not-rearmed" leaves the one-shot ones behind. */
  private watchesToCarry(): WatchSet {
    const set = this.watchSet();
    return this.options.bugs?.includes("watch-not-rearmed") === true ? { ...set, data: [], exist: [], child: [] } : set;
  }

  private watchSet(): WatchSet {
    const paths = (kind: keyof ZkClient["watchers"]) => [...this.watchers[kind].keys()].sort();
    return { data: paths("data"), exist: paths("exist"), child: paths("child"), persistent: paths("persistent"), recursive: paths("recursive") };
  }

  // ---------------------------------------------------------------- the API object

  private api(): ZooKeeper {
    // As ZooKeeper's client does, bad paths are refused here and never sent.
    const call = async <T>(op: ZkOp, pick: (result: ZkResult) => T, watcher?: Watcher): Promise<T> => {
      const problem = requestPathProblem(op);
      if (problem !== null) throw new ZkError("BadArguments", undefined, problem);
      return pick(await this.request(op, watcher === undefined ? null : this.watchRegistration(op, watcher)));
    };
    const createOp = (path: string, data: ZnodeData, o: CreateOptions): ZkOp => ({
      op: "create",
      path,
      data,
      acl: o.acl ?? OPEN_ACL,
      mode: o.mode ?? "PERSISTENT",
      ...(o.ttlMs === undefined ? {} : { ttlMs: o.ttlMs }),
    });
    const client = this;
    return {
      get sessionId() {
        return client.sessionId;
      },
      get state() {
        return client.state;
      },
      create: (path, data, o = {}) => call(createOp(path, data, o), (r) => (r as ZkResult & { op: "create" }).path),
      createWithStat: (path, data, o = {}) =>
        call(createOp(path, data, o), (r) => {
          const c = r as ZkResult & { op: "create" };
          return { path: c.path, stat: c.stat };
        }),
      delete: (path, version = -1) => call({ op: "delete", path, version }, () => undefined),
      exists: (path, watch) => call({ op: "exists", path, watch: watch !== undefined }, (r) => (r as ZkResult & { op: "exists" }).stat, watch),
      getData: (path, watch) =>
        call({ op: "getData", path, watch: watch !== undefined }, (r) => {
          const g = r as ZkResult & { op: "getData" };
          return { data: g.data, stat: g.stat };
        }, watch),
      setData: (path, data, version = -1) => call({ op: "setData", path, data, version }, (r) => (r as ZkResult & { op: "setData" }).stat),
      getChildren: (path, watch) => call({ op: "getChildren", path, watch: watch !== undefined, withStat: false }, (r) => [...(r as ZkResult & { op: "getChildren" }).children], watch),
      getChildrenWithStat: (path, watch) =>
        call({ op: "getChildren", path, watch: watch !== undefined, withStat: true }, (r) => {
          const g = r as ZkResult & { op: "getChildren" };
          return { children: [...g.children], stat: g.stat as Stat };
        }, watch),
      getAllChildrenNumber: (path) => call({ op: "getAllChildrenNumber", path }, (r) => (r as ZkResult & { op: "getAllChildrenNumber" }).count),
      getEphemerals: (prefix = "/") => call({ op: "getEphemerals", prefix }, (r) => [...(r as ZkResult & { op: "getEphemerals" }).paths]),
      getACL: (path) => call({ op: "getACL", path }, (r) => {
        const g = r as ZkResult & { op: "getACL" };
        return { acl: g.acl, stat: g.stat };
      }),
      setACL: (path, acl, version = -1) => call({ op: "setACL", path, acl, version }, (r) => (r as ZkResult & { op: "setACL" }).stat),
      multi: (ops) => (ops.length === 0 ? Promise.resolve([]) : call({ op: "multi", ops }, (r) => (r as ZkResult & { op: "multi" }).results)),
      sync: (path) => call({ op: "sync", path }, () => undefined),
      addWatch: (path, watcher, mode) => call({ op: "addWatch", path, mode }, () => undefined, watcher),
      removeWatches: (path, watcher, type, local = false) => this.removeWatches(path, watcher, type, local),
      addAuth: (scheme, auth) => {
        this.rememberAuth(auth);
        return call({ op: "addAuth", scheme, auth }, () => undefined);
      },
      close: async () => {
        if (this.isClosed()) return;
        await this.request({ op: "close" });
      },
      onState: (watcher) => {
        this.stateWatchers.push(watcher);
      },
      submit: (op, watcher) => this.submit(op, watcher ?? this.defaultWatcher),
    };
  }

  private async submit(op: ZkOp, watcher: Watcher): Promise<ZkReply> {
    const asReply = (result: ZkResult): ZkReply => ({ ok: true, result });
    const asError = (error: unknown): ZkReply => {
      if (!(error instanceof ZkError)) throw error;
      return error.results === undefined ? { ok: false, err: error.code } : { ok: false, err: error.code, results: error.results };
    };
    switch (op.op) {
      case "removeWatches":
        return this.removeWatches(op.path, watcher === this.defaultWatcher ? null : watcher, op.type, false).then(() => asReply({ op: "removeWatches" }), asError);
      case "multi":
        if (op.ops.length === 0) return asReply({ op: "multi", results: [] });
        return this.request(op).then(asReply, asError);
      case "addAuth":
        this.rememberAuth(op.auth);
        return this.request(op).then(asReply, asError);
      default:
        return this.request(op, this.watchRegistration(op, watcher)).then(asReply, asError);
    }
  }

  /** Credentials are kept to authenticate again on every reconnect, as ZooKeeper's client does. */
  private rememberAuth(auth: string): void {
    if (!this.auth.includes(auth)) this.auth.push(auth);
  }

  /**
   * How a request that sets a watch registers `watcher` when its reply comes
   * (null for a request that sets none). ZooKeeper's rules: exists always (a
   * data watch if the node exists, an exists watch if not); getData and
   * getChildren only on success; addWatch as the persistent kind asked for.
   */
  private watchRegistration(op: ZkOp, watcher: Watcher): ((reply: ZkReply) => void) | null {
    switch (op.op) {
      case "exists":
        if (!op.watch) return null;
        return (reply) => {
          const present = reply.ok && reply.result.op === "exists" && reply.result.stat !== null;
          if (reply.ok || reply.err === "NoNode") this.addWatcher(present ? "data" : "exist", op.path, watcher);
        };
      case "getData":
        return op.watch ? (reply) => reply.ok && this.addWatcher("data", op.path, watcher) : null;
      case "getChildren":
        return op.watch ? (reply) => reply.ok && this.addWatcher("child", op.path, watcher) : null;
      case "addWatch":
        return (reply) => reply.ok && this.addWatcher(op.mode === "PERSISTENT" ? "persistent" : "recursive", op.path, watcher);
      default:
        return null;
    }
  }

  /** Removes one watcher object, or (watcher null) every watcher of the type on the path. */
  private async removeWatches(path: string, watcher: Watcher | null, type: WatcherType, local: boolean): Promise<void> {
    // A closed or expired handle answers every call with SessionExpired, before any local check.
    if (this.isClosed()) throw new ZkError("SessionExpired");
    const kinds: (keyof ZkClient["watchers"])[] =
      type === "Data" ? ["data", "exist"] : type === "Children" ? ["child"] : ["data", "exist", "child", "persistent", "recursive"];
    let removed = false;
    for (const kind of kinds) {
      const set = this.watchers[kind].get(path);
      if (set === undefined) continue;
      if (watcher === null) {
        removed = removed || set.size > 0;
        set.clear();
      } else if (set.delete(watcher)) {
        removed = true;
      }
      if (set.size === 0) this.watchers[kind].delete(path);
    }
    if (!removed) throw new ZkError("NoWatcher");
    if (local) return;
    const stillWatched = kinds.some((kind) => (this.watchers[kind].get(path)?.size ?? 0) > 0);
    if (!stillWatched) await this.request({ op: "removeWatches", path, type });
  }
}
