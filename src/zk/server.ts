import { assert, unreachable, type Context, type Node, type NodeId, type SyncId } from "../sim/index.ts";
import { isPaxosMsg, Replica, type PaxosConfig, type PaxosMsg, type PaxosTimer, type ReplicaInspection, type Role, type Value } from "../paxos/index.ts";
import { allows, generateDigestId } from "./acl.ts";
import type { ZkBug } from "./bugs.ts";
import { isWriteOp, type ClientToServer, type RequestOrigin, type ServerToClient, type ServerToServer, type WatchSet, type ZkBatch, type ZkCommand, type ZkServerMsg } from "./messages.ts";
import type { z } from "zod";
import type { zkChangeSchema, ZkNote } from "./notes.ts";
import { OrderedStream } from "./stream.ts";
import { SessionTracker } from "./sessions.ts";
import { ZkState } from "./state.ts";
import { PERMS } from "./types.ts";
import type { Caller, Stat, Txn, TxnBody, WatchTrigger, WriteRequest, ZkOp, ZkReply, ZnodeData } from "./types.ts";
import { WatchTable } from "./watches.ts";

export interface ZkServerOptions {
  readonly paxos: PaxosConfig;
  /** Every server, in the same order everywhere. */
  readonly servers: readonly NodeId[];
  /** ZooKeeper's tickTime: sessions are negotiated within [2, 20] ticks and expire on tick boundaries. */
  readonly tickMs: number;
  readonly extendedTypesEnabled: boolean;
  /** How often the leader looks for containers and TTL nodes to reap. */
  readonly reapIntervalMs: number;
  /** Bugs of the service's zoo to plant (ZK_BUGS; none by default). */
  readonly bugs?: readonly ZkBug[];
}

type ZkTimer = { readonly owner: "zk"; readonly kind: "tick" } | { readonly owner: "zk"; readonly kind: "resend" };
/** Every timer a server sets: its replica's and its own. */
export type ZkServerTimer = PaxosTimer | ZkTimer;

/** A request waiting its turn in its session's FIFO. */
interface Pending {
  readonly xid: number;
  readonly op: ZkOp | { readonly op: "close" };
  readonly prevWriteXid: number;
  reply: ZkReply | null;
  /** For writes: when it was last forwarded (local µs); for sync: whether the barrier started. */
  sentUs: number;
}

/** One client's connection to this server: an ordered stream in each direction, and its session's FIFO. */
interface Connection {
  readonly client: NodeId;
  readonly connection: number;
  sessionId: number | null;
  timeoutMs: number;
  auth: string[];
  caller: Caller | null;
  readonly stream: OrderedStream<ServerToClient & { seq: number }, ClientToServer & { seq: number }>;
  readonly pending: Pending[];
}

/** Out-of-order messages a connection may hold before the client is considered broken. */
const IN_BUFFER_MAX = 1_000;
/** Stream messages a connection keeps for sending again; past it the client is gone and the connection is dropped. */
const SENT_MAX = 10_000;
/** Requests a session may have waiting at a server. */
const PENDING_MAX = 10_000;
/** Writes the leader holds per session while an earlier one is missing. */
const CHAIN_BUFFER_MAX = 256;
/** Reap transactions the leader proposes per sweep. */
const REAP_MAX = 100;
/** Transactions in one Paxos value, and Paxos values the leader keeps in flight before it gathers. */
const BATCH_MAX = 256;
const BATCHES_IN_FLIGHT_MAX = 2;
/**
 * Transactions the leader holds for its next batches. Past it a request is
 * refused before it takes a zxid or a place in its session's chain, so that
 * the origin's resend is proposed later rather than ignored as a duplicate.
 */
const WAITING_MAX = 16 * BATCH_MAX;

/**
 * A ZooKeeper server: one Multi-Paxos replica under a znode tree. It answers
 * reads from its own tree (possibly stale), forwards writes to the leader, and
 * answers its clients in the order their requests arrived. The leader turns
 * requests into transactions (zxid, time stamp, session decisions), keeps each
 * session's writes in order, and expires sessions by its own clock.
 */
/** A server as the inspector shows it (see ZkServer.inspect). */
export interface ServerInspection {
  readonly kind: "zk-server";
  readonly lastZxid: number;
  readonly digest: string;
  readonly paxos: ReplicaInspection;
  /** Leader-only state: whether it is ready (its log caught up), and its group-commit batches. */
  readonly leader: { readonly ready: boolean; readonly waiting: number; readonly batchesInFlight: number; readonly deferred: number } | null;
  readonly znodes: readonly { readonly path: string; readonly stat: Stat; readonly data: ZnodeData }[];
  readonly sessions: readonly { readonly sessionId: number; readonly timeoutMs: number; readonly ephemerals: readonly string[] }[];
  readonly connections: readonly {
    readonly client: NodeId;
    readonly connection: number;
    readonly sessionId: number | null;
    readonly timeoutMs: number;
    readonly pending: readonly { readonly xid: number; readonly op: string; readonly answered: boolean }[];
    readonly watches: WatchSet;
  }[];
}

export class ZkServer implements Node<ZkServerMsg, ZkServerTimer> {
  private readonly replica: Replica<ZkBatch>;
  private state: ZkState;
  private readonly watches = new WatchTable();
  private readonly connections = new Map<NodeId, Connection>();
  private readonly touched = new Set<number>();
  private ctx!: Context<ZkServerMsg, ZkServerTimer>;

  // leader only
  private epoch = 0;
  private counter = 0;
  private tracker: SessionTracker | null = null;
  private readonly chainTail = new Map<number, number>();
  private readonly chainBuffer = new Map<number, Map<number, ServerToServer & { type: "zk-forward" | "zk-forward-close" }>>();
  private lastReapUs = 0;
  /** Transactions waiting for the next batch, in zxid order. */
  private waiting: ZkCommand[] = [];
  private batchesInFlight = 0;
  private leaderTerm = 0;
  /** As leader: whether every slot chosen before this term is applied here, so that the tree and the sessions are current. */
  private leaderReady = false;
  private leaderReadyAsked = false;
  /** Requests that reached the leader before it was ready, in arrival order. */
  private deferred: ServerToServer[] = [];
  private knownLeader: NodeId | null = null;

  /** Whether a connection may be told of a change: READ in the trigger's ACL (ZooKeeper 3.8.4/3.9.2). */
  private readonly mayRead = (client: NodeId, trigger: WatchTrigger): boolean => {
    const conn = this.connections.get(client);
    return conn !== undefined && allows(trigger.acl, this.callerOf(conn), PERMS.READ);
  };

  /** The servers in ballot order (node ids compare as strings). */
  private readonly serverRanks: readonly NodeId[];

  constructor(private readonly options: ZkServerOptions) {
    this.serverRanks = [...options.servers].sort();
    this.state = new ZkState(options.extendedTypesEnabled, undefined, options.bugs);
    this.replica = new Replica<ZkBatch>(options.paxos, options.servers, {
      apply: (_slot, value) => this.apply(value),
      snapshot: () => this.state.toSnapshot(),
      restore: (_slot, snapshot) => {
        this.state = ZkState.fromSnapshot(snapshot, options.extendedTypesEnabled, options.bugs);
        this.closeConnections();
      },
      roleChanged: (role) => this.roleChanged(role),
    });
  }

  // ---------------------------------------------------------------- node entry points

  start(ctx: Context<ZkServerMsg, ZkServerTimer>): void {
    this.ctx = ctx;
    this.replica.start(ctx);
    ctx.setTimer(this.options.tickMs * 1000, { owner: "zk", kind: "tick" } satisfies ZkTimer);
    ctx.setTimer(this.resendUs(), { owner: "zk", kind: "resend" } satisfies ZkTimer);
  }

  receive(ctx: Context<ZkServerMsg, ZkServerTimer>, from: NodeId, msg: ZkServerMsg): void {
    this.ctx = ctx;
    switch (msg.type) {
      case "zk-connect":
      case "zk-request":
      case "zk-ping":
      case "zk-close":
        return this.fromClient(from, msg);
      case "zk-forward":
      case "zk-forward-close":
      case "zk-forward-session":
      case "zk-touch":
        return this.toLeader(msg);
      case "zk-connected":
      case "zk-refused":
      case "zk-reply":
      case "zk-watch":
      case "zk-pong":
      case "zk-expired":
        return; // meant for clients
      default:
        return this.toReplica(from, msg);
    }
  }

  private toReplica(from: NodeId, msg: PaxosMsg<ZkBatch>): void {
    if (!isPaxosMsg<ZkBatch>(msg)) return unreachable(msg, "server message");
    this.replica.receive(this.ctx, from, msg);
    this.noticeLeader();
  }

  timer(ctx: Context<ZkServerMsg, ZkServerTimer>, tag: ZkServerTimer): void {
    this.ctx = ctx;
    if (tag.owner === "paxos") {
      this.replica.timer(ctx, tag);
      this.noticeLeader();
      return;
    }
    switch (tag.kind) {
      case "tick":
        this.tick();
        ctx.setTimer(this.options.tickMs * 1000, tag);
        return;
      case "resend":
        this.resendWrites(false);
        ctx.setTimer(this.resendUs(), tag);
        return;
      default:
        return unreachable(tag, "server timer");
    }
  }

  synced(ctx: Context<ZkServerMsg, ZkServerTimer>, sync: SyncId): void {
    this.ctx = ctx;
    this.replica.synced(ctx, sync);
  }

  /** What must hold between events (the engine runs it after every handler when checking invariants). */
  invariants(): void {
    this.replica.invariants();
    const leader = this.replica.role === "leader";
    assert(this.waiting.length <= WAITING_MAX, "the leader holds more transactions than it may", { waiting: this.waiting.length });
    assert(this.batchesInFlight >= 0 && this.batchesInFlight <= BATCHES_IN_FLIGHT_MAX, "batches in flight out of bounds", { batchesInFlight: this.batchesInFlight });
    assert(leader || (this.waiting.length === 0 && this.batchesInFlight === 0 && this.deferred.length === 0), "leader-only state at a server that does not lead");
    assert((this.tracker !== null) === (leader && this.leaderReady), "sessions are tracked exactly while this server leads and is ready", { leader, ready: this.leaderReady });
    assert(this.deferred.length <= WAITING_MAX && (this.deferred.length === 0 || !this.leaderReady), "requests deferred past readiness", { deferred: this.deferred.length });
    for (const buffer of this.chainBuffer.values()) assert(buffer.size <= CHAIN_BUFFER_MAX, "a session's chain buffer beyond its bound", { size: buffer.size });
    for (const conn of this.connections.values()) assert(conn.pending.length <= PENDING_MAX, "a session's FIFO beyond its bound", { client: conn.client, pending: conn.pending.length });
  }

  // ---------------------------------------------------------------- what tests, checkers and the viewer read

  /**
   * The server as the viewer's inspector shows it, as plain data: its
   * replica, its znode tree with every node's Stat, the live sessions and
   * their ephemerals, and each connection with its session, the requests
   * waiting in its FIFO and the watches it holds here.
   */
  inspect(): ServerInspection {
    const tree = this.state.tree.inspect();
    const connections = [...this.connections.values()]
      .sort((a, b) => (a.client < b.client ? -1 : a.client > b.client ? 1 : 0))
      .map((conn) => ({
        client: conn.client,
        connection: conn.connection,
        sessionId: conn.sessionId,
        timeoutMs: conn.timeoutMs,
        pending: conn.pending.map((p) => ({ xid: p.xid, op: p.op.op, answered: p.reply !== null })),
        watches: this.watches.watchesOf(conn.client),
      }));
    return {
      kind: "zk-server",
      lastZxid: this.state.lastZxid,
      digest: tree.digest,
      paxos: this.replica.inspect(),
      leader: this.replica.role === "leader" ? { ready: this.leaderReady, waiting: this.waiting.length, batchesInFlight: this.batchesInFlight, deferred: this.deferred.length } : null,
      znodes: tree.nodes.map((n) => ({ path: n.path, stat: n.stat, data: n.record.data })),
      sessions: tree.sessions,
      connections,
    };
  }

  get paxos(): Replica<ZkBatch> {
    return this.replica;
  }

  /** The highest zxid applied here. */
  get lastZxid(): number {
    return this.state.lastZxid;
  }

  /** The digest of this server's tree at lastZxid. */
  get treeDigest(): string {
    return this.state.tree.digest();
  }

  get zkState(): ZkState {
    return this.state;
  }

  // ---------------------------------------------------------------- clients: the ordered stream

  private fromClient(client: NodeId, msg: ClientToServer): void {
    if (msg.type === "zk-connect") return this.connect(client, msg);
    const conn = this.connections.get(client);
    if (conn === undefined || conn.connection !== msg.connection) return; // an old connection's leftovers
    if (msg.type === "zk-ping") return this.ping(conn, msg.next);
    if (!conn.stream.accept(msg)) return this.dropConnection(conn);
    for (let next = conn.stream.take(); next !== undefined; next = conn.stream.take()) this.inOrder(conn, next);
  }

  private inOrder(conn: Connection, msg: ClientToServer & { seq: number }): void {
    if (conn.sessionId !== null) this.touched.add(conn.sessionId);
    if (msg.type === "zk-request") this.enqueue(conn, { xid: msg.xid, op: msg.op, prevWriteXid: msg.prevWriteXid, reply: null, sentUs: -1 });
    else if (msg.type === "zk-close") this.enqueue(conn, { xid: msg.xid, op: { op: "close" }, prevWriteXid: msg.prevWriteXid, reply: null, sentUs: -1 });
  }

  /** A ping: the client is alive, has our messages below `next`; send again what it lacks, and answer with what we have. */
  private ping(conn: Connection, next: number): void {
    if (conn.sessionId !== null) this.touched.add(conn.sessionId);
    conn.stream.acknowledged(next, (lost) => this.ctx.send(conn.client, lost));
    this.ctx.send(conn.client, { type: "zk-pong", connection: conn.connection, zxid: this.state.lastZxid, next: conn.stream.next });
  }

  private connect(client: NodeId, msg: ClientToServer & { type: "zk-connect" }): void {
    const existing = this.connections.get(client);
    if (existing !== undefined && existing.connection === msg.connection) return; // a duplicate connect
    if (existing !== undefined) this.dropConnection(existing);
    if (msg.lastZxid > this.state.lastZxid) {
      // Single system image: never let a client see an older state than it has seen.
      this.ctx.send(client, { type: "zk-refused", connection: msg.connection, reason: "behind" });
      return;
    }
    const conn: Connection = {
      client,
      connection: msg.connection,
      sessionId: msg.sessionId,
      timeoutMs: this.negotiate(msg.timeoutMs),
      auth: msg.auth.map((credentials) => `digest:${generateDigestId(credentials)}`),
      caller: null,
      stream: new OrderedStream(IN_BUFFER_MAX, SENT_MAX),
      pending: [],
    };
    if (msg.sessionId === null) {
      this.connections.set(client, conn);
      const origin = this.originOf(conn, 0);
      this.forward({ type: "zk-forward-session", origin, timeoutMs: conn.timeoutMs });
      return;
    }
    const timeoutMs = this.state.sessionTimeoutMs(msg.sessionId);
    if (timeoutMs === undefined) {
      this.ctx.send(client, { type: "zk-refused", connection: msg.connection, reason: "expired" });
      return;
    }
    conn.timeoutMs = timeoutMs;
    this.connections.set(client, conn);
    this.touched.add(msg.sessionId);
    // The missed events go first, as ZooKeeper's setWatches reply follows the events it fires: the
    // client takes the zxid of zk-connected as seen only once they are all in, so a connection that
    // breaks between them costs no event (the next server, given the old zxid, fires them again).
    this.rearmWatches(conn, msg.watches, msg.lastZxid);
    this.toClient(conn, { type: "zk-connected", connection: conn.connection, seq: 0, sessionId: msg.sessionId, timeoutMs, zxid: this.state.lastZxid });
  }

  /**
   * Re-registers a reconnecting client's watches and fires what it missed,
   * as ZooKeeper's setWatches does with the client's last zxid.
   */
  private rearmWatches(conn: Connection, set: WatchSet, lastZxid: number): void {
    const tree = this.state.tree;
    const events: { type: WatchTrigger["type"]; path: string }[] = [];
    for (const path of set.data) {
      const stat = tree.statOf(path);
      if (stat === null) events.push({ type: "NodeDeleted", path });
      else if (stat.mzxid > lastZxid) events.push({ type: "NodeDataChanged", path });
      else this.watches.register(conn.client, "data", path);
    }
    for (const path of set.exist) {
      if (tree.statOf(path) !== null) events.push({ type: "NodeCreated", path });
      else this.watches.register(conn.client, "data", path);
    }
    for (const path of set.child) {
      const stat = tree.statOf(path);
      if (stat === null) events.push({ type: "NodeDeleted", path });
      else if (stat.pzxid > lastZxid) events.push({ type: "NodeChildrenChanged", path });
      else this.watches.register(conn.client, "child", path);
    }
    for (const path of set.persistent) this.watches.register(conn.client, "persistent", path);
    for (const path of set.recursive) this.watches.register(conn.client, "recursive", path);
    for (const event of events) {
      this.toClient(conn, { type: "zk-watch", connection: conn.connection, seq: 0, event: { ...event, zxid: this.state.lastZxid } });
    }
  }

  /**
   * The tree jumped ahead by a snapshot: the transactions inside it were never
   * applied here one by one, so the requests they answer and the watches they
   * fire are lost to this server's clients. As a ZooKeeper follower that
   * resyncs with its leader does, it closes every client connection: each
   * client fails what was in flight with ConnectionLoss and moves on with its
   * last zxid and its watches, which the next server fires as due.
   */
  private closeConnections(): void {
    for (const conn of [...this.connections.values()]) {
      this.ctx.send(conn.client, { type: "zk-refused", connection: conn.connection, reason: "not-serving" });
      this.dropConnection(conn);
    }
  }

  private negotiate(timeoutMs: number): number {
    const tick = this.options.tickMs;
    return Math.min(20 * tick, Math.max(2 * tick, timeoutMs));
  }

  private dropConnection(conn: Connection): void {
    // A dropped connection is dead, as a closed ServerCnxn is in ZooKeeper: what waits in its FIFO
    // (a sync whose barrier is still out) is never answered. Answered, its reads would register
    // watches, which the table keys by client, for the client's next connection (an event for a
    // watch the client no longer holds), and after a snapshot its replies would carry a zxid whose
    // events this connection never got, while the refusal that closed it may have been lost.
    conn.pending.length = 0;
    if (this.connections.get(conn.client) !== conn) return;
    this.watches.drop(conn.client);
    this.connections.delete(conn.client);
  }

  /** Sends on the connection's ordered stream. */
  private toClient(conn: Connection, msg: ServerToClient & { seq: number }): void {
    if (!conn.stream.stamp(msg)) return this.dropConnection(conn); // the client stopped acknowledging
    // A fault point: the reply stays in the stream unsent, and goes when the client's probe says it lacks it.
    if (msg.type === "zk-reply" && this.ctx.buggify("zk.reply-delay")) return;
    this.ctx.send(conn.client, msg);
  }

  // ---------------------------------------------------------------- the session FIFO

  private enqueue(conn: Connection, request: Pending): void {
    if (conn.pending.length >= PENDING_MAX) return this.dropConnection(conn);
    conn.pending.push(request);
    if (isWriteOp(request.op)) this.forwardWrite(conn, request);
    this.pump(conn);
  }

  /** Answers the requests at the head of the FIFO that can be answered now. */
  private pump(conn: Connection): void {
    if (this.connections.get(conn.client) !== conn) return; // dropped: nothing more is answered on it
    while (conn.pending.length > 0) {
      const head = conn.pending[0] as Pending;
      if (head.reply === null && !isWriteOp(head.op)) this.answerHead(conn, head);
      if (head.reply === null) return;
      conn.pending.shift();
      this.toClient(conn, { type: "zk-reply", connection: conn.connection, seq: 0, xid: head.xid, zxid: this.state.lastZxid, reply: head.reply });
      if (head.op.op === "close") {
        this.dropConnection(conn);
        return;
      }
    }
  }

  /** A read, sync or watch request at the head of the FIFO: answered from this server's tree. */
  private answerHead(conn: Connection, head: Pending): void {
    const op = head.op as ZkOp;
    const sessionId = conn.sessionId;
    if (sessionId === null || this.state.sessionTimeoutMs(sessionId) === undefined) {
      head.reply = { ok: false, err: "SessionExpired" };
      return;
    }
    switch (op.op) {
      case "sync":
        if (this.options.bugs?.includes("sync-skips-barrier") === true) {
          head.reply = { ok: true, result: { op: "sync", path: op.path } }; // the zoo's bug: no read barrier
          return;
        }
        if (head.sentUs < 0) {
          head.sentUs = this.ctx.now();
          this.replica.readIndex(this.ctx, (slot) => {
            head.reply = slot === null ? { ok: false, err: "ConnectionLoss" } : { ok: true, result: { op: "sync", path: op.path } };
            this.pump(conn);
          });
        }
        return;
      case "addWatch":
        this.watches.register(conn.client, op.mode === "PERSISTENT" ? "persistent" : "recursive", op.path);
        head.reply = { ok: true, result: { op: "addWatch" } };
        return;
      case "removeWatches":
        head.reply = this.watches.remove(conn.client, op.path, op.type) ? { ok: true, result: { op: "removeWatches" } } : { ok: false, err: "NoWatcher" };
        return;
      case "addAuth": {
        const id = `digest:${generateDigestId(op.auth)}`;
        if (!conn.auth.includes(id)) conn.auth.push(id);
        head.reply = { ok: true, result: { op: "addAuth" } };
        return;
      }
      case "exists":
      case "getData":
      case "getChildren":
      case "getAllChildrenNumber":
      case "getEphemerals":
      case "getACL": {
        const reply = this.state.tree.read(op, this.callerOf(conn));
        this.registerReadWatch(conn, op, reply);
        head.reply = reply;
        return;
      }
      default:
        assert(false, "a write reached answerHead", { op: op.op });
    }
  }

  /** Registration is atomic with the read: exists always, getData and getChildren only when the node exists. */
  private registerReadWatch(conn: Connection, op: ZkOp, reply: ZkReply): void {
    if (op.op === "exists" && op.watch && (reply.ok || reply.err === "NoNode")) this.watches.register(conn.client, "data", op.path);
    if (op.op === "getData" && op.watch && reply.ok) this.watches.register(conn.client, "data", op.path);
    if (op.op === "getChildren" && op.watch && reply.ok) this.watches.register(conn.client, "child", op.path);
  }

  // ---------------------------------------------------------------- writes: forward, then apply

  private forwardWrite(conn: Connection, request: Pending): void {
    if (conn.sessionId === null) {
      request.reply = { ok: false, err: "SessionExpired" };
      return;
    }
    request.sentUs = this.ctx.now();
    const origin = this.originOf(conn, request.xid);
    if (request.op.op === "close") {
      this.forward({ type: "zk-forward-close", origin, prevWriteXid: request.prevWriteXid });
    } else {
      this.forward({ type: "zk-forward", origin, prevWriteXid: request.prevWriteXid, caller: this.callerOf(conn), request: request.op as WriteRequest });
    }
  }

  private forward(msg: ServerToServer): void {
    const leader = this.replica.leader;
    if (leader === null) return; // resent once a leader is known
    if (leader === this.ctx.self) this.receive(this.ctx, this.ctx.self, msg);
    else this.ctx.send(leader, msg);
  }

  /** Forwards again the writes that have not applied yet (all of them when the leader changed). */
  private resendWrites(all: boolean): void {
    const nowUs = this.ctx.now();
    for (const conn of this.connections.values()) {
      if (conn.sessionId === null) {
        if (all) this.forward({ type: "zk-forward-session", origin: this.originOf(conn, 0), timeoutMs: conn.timeoutMs });
        continue;
      }
      for (const request of conn.pending) {
        if (request.reply !== null || !isWriteOp(request.op)) continue;
        if (all || nowUs - request.sentUs >= this.resendUs()) this.forwardWrite(conn, request);
      }
    }
  }

  private apply(value: Value<ZkBatch>): void {
    if (value.cmd === null) return;
    for (const command of value.cmd) this.applyCommand(command);
  }

  private applyCommand(command: ZkCommand): void {
    const { txn, origin } = command;
    // A transaction of an earlier leader can be chosen in a slot after a later leader's (Paxos
    // recovers each slot on its own). Its zxid would go backwards: every replica skips it alike,
    // and, never answered, the request is forwarded again and gets a fresh zxid.
    if (txn.zxid <= this.state.lastZxid) {
      if (this.ctx.tracing) this.note({ kind: "zk-skip", data: { zxid: txn.zxid, lastZxid: this.state.lastZxid } });
      return;
    }
    const sessionWrite = txn.body.type === "write" || (txn.body.type === "closeSession" && origin !== null);
    if (sessionWrite && origin !== null && origin.xid <= this.state.lastXid(origin.sessionId)) return; // applied already
    const outcome = this.state.apply(txn, origin);
    if (this.ctx.tracing) this.note({ kind: "zk-apply", data: { zxid: txn.zxid, digest: this.state.tree.digest(), ...changesOf(outcome.triggers) } });
    for (const [client, events] of this.watches.fire(outcome.triggers, txn.zxid, this.mayRead)) {
      const conn = this.connections.get(client);
      if (conn === undefined) continue;
      for (const event of events) this.toClient(conn, { type: "zk-watch", connection: conn.connection, seq: 0, event });
    }
    this.afterSessionTxn(txn);
    if (origin !== null && origin.server === this.ctx.self) this.complete(origin, txn, outcome.reply);
  }

  private afterSessionTxn(txn: Txn): void {
    const body = txn.body;
    if (body.type === "createSession") {
      this.tracker?.touch(body.sessionId, body.timeoutMs, this.ctx.now());
    } else if (body.type === "closeSession") {
      this.tracker?.forget(body.sessionId);
      for (const conn of [...this.connections.values()]) {
        if (conn.sessionId !== body.sessionId) continue;
        if (body.reason === "expire") {
          this.toClient(conn, { type: "zk-expired", connection: conn.connection, seq: 0 });
          this.dropConnection(conn);
        }
      }
    }
  }

  /** The transaction of one of this server's requests applied: answer it (in FIFO order). */
  private complete(origin: RequestOrigin, txn: Txn, reply: ZkReply): void {
    const conn = this.connections.get(origin.client);
    if (conn === undefined || conn.connection !== origin.connection) return;
    if (txn.body.type === "createSession") {
      if (conn.sessionId !== null) return;
      conn.sessionId = txn.body.sessionId;
      this.touched.add(conn.sessionId);
      this.toClient(conn, { type: "zk-connected", connection: conn.connection, seq: 0, sessionId: conn.sessionId, timeoutMs: conn.timeoutMs, zxid: this.state.lastZxid });
      return;
    }
    const request = conn.pending.find((p) => p.xid === origin.xid);
    if (request === undefined || request.reply !== null) return;
    request.reply = reply;
    this.pump(conn);
  }

  // ---------------------------------------------------------------- the leader

  private roleChanged(role: Role): void {
    this.waiting = [];
    this.batchesInFlight = 0;
    this.leaderTerm++;
    this.tracker = null;
    this.leaderReady = false;
    this.leaderReadyAsked = false;
    this.deferred = [];
    this.chainTail.clear();
    this.chainBuffer.clear();
    if (role !== "leader") return;
    // Two proposers may share a round (ballots are (round, node)), never a ballot: the epoch numbers
    // ballots in their order, so each leader's zxids are its own and above every earlier leader's.
    const ballot = this.replica.currentBallot;
    this.epoch = ballot.round * this.options.servers.length + this.serverRanks.indexOf(ballot.node);
    this.counter = 0;
    this.awaitCurrentLog();
  }

  /**
   * A new leader's tree may lack what earlier leaders committed: the slots it
   * recovers are applied only once its phase 2 completes. Until then it does
   * not take requests (their session chains, read from a stale tree, would
   * propose a write again or wait for one that is done) nor track sessions
   * (one created in a recovered slot would never expire). Its read barrier
   * says when every earlier slot is applied here.
   */
  private awaitCurrentLog(): void {
    const term = this.leaderTerm;
    this.leaderReadyAsked = true;
    this.replica.readIndex(this.ctx, (slot) => {
      if (term !== this.leaderTerm || this.replica.role !== "leader") return;
      this.leaderReadyAsked = false; // on failure, the next tick asks again
      if (slot !== null) this.becomeReady();
    });
  }

  private becomeReady(): void {
    this.leaderReady = true;
    this.tracker = new SessionTracker(this.options.tickMs * 1000);
    const nowUs = this.ctx.now();
    for (const [sessionId, timeoutMs] of this.state.sessions()) this.tracker.touch(sessionId, timeoutMs, nowUs);
    const deferred = this.deferred;
    this.deferred = [];
    for (const msg of deferred) this.toLeader(msg);
  }

  /** A request for the leader: taken at once when it is ready, kept until then (within a bound; its origin resends anyway). */
  private toLeader(msg: ServerToServer): void {
    if (this.replica.role !== "leader") return;
    if (!this.leaderReady) {
      if (msg.type !== "zk-touch" && this.deferred.length < WAITING_MAX) this.deferred.push(msg);
      return;
    }
    switch (msg.type) {
      case "zk-forward":
      case "zk-forward-close":
        return this.leaderChain(msg);
      case "zk-forward-session":
        this.leaderPropose({ type: "createSession", sessionId: 0, timeoutMs: msg.timeoutMs }, msg.origin); // refused, the origin forwards it again
        return;
      case "zk-touch":
        return this.leaderTouch(msg.sessions);
      default: {
        const unknown: never = msg;
        return unknown;
      }
    }
  }

  /** When the leader this server knows changes, its unapplied writes go to the new one. */
  private noticeLeader(): void {
    const leader = this.replica.leader;
    if (leader === this.knownLeader) return;
    this.knownLeader = leader;
    if (leader !== null) this.resendWrites(true);
  }

  /**
   * Keeps each session's writes in the order the client issued them: a write
   * is proposed only after the one before it (prevWriteXid); later ones wait.
   */
  private leaderChain(msg: ServerToServer & { type: "zk-forward" | "zk-forward-close" }): void {
    if (this.replica.role !== "leader") return;
    const sessionId = msg.origin.sessionId;
    const tail = Math.max(this.chainTail.get(sessionId) ?? 0, this.state.lastXid(sessionId));
    if (msg.origin.xid <= tail) return; // proposed already
    if (msg.prevWriteXid > tail) {
      let buffer = this.chainBuffer.get(sessionId);
      if (buffer === undefined) {
        buffer = new Map();
        this.chainBuffer.set(sessionId, buffer);
      }
      if (buffer.size < CHAIN_BUFFER_MAX) buffer.set(msg.prevWriteXid, msg);
      return;
    }
    if (!this.proposeForward(msg)) return;
    const buffer = this.chainBuffer.get(sessionId);
    if (buffer === undefined) return;
    for (let next = buffer.get(msg.origin.xid); next !== undefined; next = buffer.get(next.origin.xid)) {
      if (!this.proposeForward(next)) return; // it stays buffered, and its origin sends it again anyway
      buffer.delete(next.prevWriteXid);
    }
  }

  /** Proposes a session's next write; false when the leader could not take it (the chain does not move). */
  private proposeForward(msg: ServerToServer & { type: "zk-forward" | "zk-forward-close" }): boolean {
    const body: TxnBody =
      msg.type === "zk-forward"
        ? { type: "write", caller: msg.caller, request: msg.request }
        : { type: "closeSession", sessionId: msg.origin.sessionId, reason: "close" };
    if (!this.leaderPropose(body, msg.origin)) return false;
    this.chainTail.set(msg.origin.sessionId, msg.origin.xid);
    return true;
  }

  /**
   * Turns a request into a transaction: the leader fixes the zxid, the time
   * stamp and new session ids. Transactions go to Paxos in batches: at once
   * while few proposals are in flight, otherwise gathered until one of them
   * completes (group commit), so a busy leader spends one Paxos instance on
   * many transactions. Returns false, having decided nothing, when it is not
   * the leader or holds WAITING_MAX transactions already: the caller must
   * then be able to ask again (a forwarded request is resent by its origin,
   * an expiry is found again at the next tick).
   */
  private leaderPropose(body: TxnBody, origin: RequestOrigin | null): boolean {
    if (this.replica.role !== "leader" || this.waiting.length >= WAITING_MAX) return false;
    const zxid = this.epoch * 2 ** 32 + ++this.counter;
    const fixed: TxnBody = body.type === "createSession" ? { ...body, sessionId: zxid } : body;
    const txn: Txn = { zxid, timeMs: Math.floor(this.ctx.now() / 1000), body: fixed };
    this.waiting.push({ txn, origin });
    if (this.batchesInFlight < BATCHES_IN_FLIGHT_MAX) this.proposeBatch();
    return true;
  }

  private proposeBatch(): void {
    if (this.waiting.length === 0 || this.replica.role !== "leader") return;
    let batch = this.waiting.length <= BATCH_MAX ? this.waiting : this.waiting.slice(0, BATCH_MAX);
    // A fault point: a batch cut short; the rest waits for a later one.
    if (batch.length > 1 && this.ctx.buggify("zk.batch-short")) batch = batch.slice(0, 1 + this.ctx.rng.below(batch.length - 1));
    const term = this.leaderTerm;
    const outcome = this.replica.propose(this.ctx, batch, () => {
      if (term !== this.leaderTerm) return; // an earlier term's proposal
      this.batchesInFlight--;
      this.proposeBatch();
    });
    if (outcome !== "proposed") return; // kept: it goes with the next completion (or is dropped with the leadership)
    this.batchesInFlight++;
    this.waiting = batch === this.waiting ? [] : this.waiting.slice(batch.length);
  }

  private leaderTouch(sessions: readonly number[]): void {
    const tracker = this.tracker;
    if (tracker === null) return;
    const nowUs = this.ctx.now();
    for (const sessionId of sessions) {
      const timeoutMs = this.state.sessionTimeoutMs(sessionId);
      if (timeoutMs !== undefined) tracker.touch(sessionId, timeoutMs, nowUs);
    }
  }

  /** Every tick: report live sessions to the leader; as leader, expire the silent ones and reap. */
  private tick(): void {
    if (this.touched.size > 0) {
      const sessions = [...this.touched].sort((a, b) => a - b);
      this.touched.clear();
      if (!this.ctx.buggify("zk.touch-lost")) this.forward({ type: "zk-touch", sessions });
    }
    if (this.replica.role === "leader" && !this.leaderReady && !this.leaderReadyAsked) this.awaitCurrentLog();
    const tracker = this.tracker;
    if (tracker === null || this.replica.role !== "leader") return;
    const nowUs = this.ctx.now();
    for (const sessionId of tracker.expired(nowUs)) {
      // Refused, the session stays expired in the tracker and is proposed again at the next tick.
      if (this.leaderPropose({ type: "closeSession", sessionId, reason: "expire" }, null)) tracker.markClosing(sessionId);
    }
    if (nowUs - this.lastReapUs >= this.options.reapIntervalMs * 1000) {
      this.lastReapUs = nowUs;
      for (const path of this.state.tree.reapCandidates(Math.floor(nowUs / 1000)).slice(0, REAP_MAX)) {
        this.leaderPropose({ type: "reap", path }, null);
      }
    }
  }

  // ---------------------------------------------------------------- plumbing

  /** A note about this server in the trace, in the shape its schema gives (zkNoteSchema). */
  private note(note: ZkNote): void {
    this.ctx.trace(note.kind, note.data);
  }

  /** The connection's caller, built once per session and set of identities (it rides in every forwarded write). */
  private callerOf(conn: Connection): Caller {
    const sessionId = conn.sessionId ?? 0;
    const cached = conn.caller;
    if (cached !== null && cached.sessionId === sessionId && cached.authIds.length === conn.auth.length + 1) return cached;
    conn.caller = { sessionId, authIds: ["world:anyone", ...conn.auth] };
    return conn.caller;
  }

  private originOf(conn: Connection, xid: number): RequestOrigin {
    return { server: this.ctx.self, client: conn.client, connection: conn.connection, sessionId: conn.sessionId ?? 0, xid };
  }

  private resendUs(): number {
    return this.options.paxos.heartbeatUs * 4;
  }
}

/** The world's caller: a trigger whose ACL lets it read is one every watcher is told of. */
const WORLD: Caller = { sessionId: 0, authIds: ["world:anyone"] };

/**
 * The watch triggers of a transaction, as the zk-apply note carries them for
 * the checkers ([type, path], or [type, path, "acl"] when only some watchers
 * may be told): the committed log's changes, from which a checker knows which
 * watch events each client was owed.
 */
function changesOf(triggers: readonly WatchTrigger[]): { changes?: z.infer<typeof zkChangeSchema>[] } {
  if (triggers.length === 0) return {};
  return { changes: triggers.map((t): z.infer<typeof zkChangeSchema> => (allows(t.acl, WORLD, PERMS.READ) ? [t.type, t.path] : [t.type, t.path, "acl"])) };
}
