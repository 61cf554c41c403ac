/**
 * Runs ZkOps against a real ZooKeeper server through node-zookeeper-client.
 *
 * The library owns each session's connection: handshake, pings, xids and
 * close. It only knows the 3.4 request types, so every request is encoded
 * here (jute.ts) and queued through the library's connection manager, and
 * every reply frame is read here before the library sees it: replies to our
 * requests and watch notifications are decoded by this file; the handshake,
 * ping, auth and close replies go on to the library unchanged (the close
 * reply's header zxid is noted on the way). Every notification that arrives
 * is recorded, whatever the library's own watcher tables would make of it.
 */
import zookeeper from "node-zookeeper-client";
import type { EventEmitter } from "node:events";
import {
  CREATE_MODES,
  EVENT_TYPES,
  zkErrorName,
  type EventType,
  type MultiOp,
  type MultiResult,
  type ZkErrorCode,
  type ZkOp,
  type ZkReply,
  type ZkResult,
} from "../../../src/zk/types.ts";
import type { Executed, ObservedEvent, ZkExecutor } from "./executor.ts";
import { JuteReader, JuteWriter, OP_CODES, REPLY_HEADER_BYTES, XIDS } from "./jute.ts";

/** How long one request, a connect or a close may take before the harness gives up. */
const REQUEST_TIMEOUT_MS = 10_000;
/** Asked of the server; it clamps to [2, 20] ticks. Long enough that no session expires mid-test. */
const SESSION_TIMEOUT_MS = 30_000;

/** The connection manager's states (node-zookeeper-client lib/ConnectionManager.js STATES). */
const LIB_STATES = { CONNECTING: 1, CLOSED: -2 } as const;

/** A reply to one of our requests, before decoding. */
interface RawReply {
  readonly err: number;
  readonly body: JuteReader;
  /** The zxid in the reply header; null when the library failed the request itself (no reply). */
  readonly zxid: number | null;
}

type LibCallback = (error: unknown, response?: unknown) => void;

/** The request object the library queues: it assigns `header.xid`, then calls `toBuffer`. */
class RawRequest {
  readonly header: { type: number; xid: number };
  /** Marks the request as ours, so its reply is decoded here. */
  readonly conformance = true;

  constructor(
    type: number,
    private readonly body: Buffer,
  ) {
    this.header = { type, xid: 0 };
  }

  toBuffer(): Buffer {
    const frame = Buffer.alloc(4 + 8 + this.body.length);
    frame.writeInt32BE(8 + this.body.length, 0);
    frame.writeInt32BE(this.header.xid, 4);
    frame.writeInt32BE(this.header.type, 8);
    this.body.copy(frame, 12);
    return frame;
  }
}

/** The library internals this file relies on (node-zookeeper-client 1.1.3, not in its type definitions). */
interface LibConnectionManager extends EventEmitter {
  state: number;
  pendingQueue: { request: { header: { xid: number; type: number } | null; conformance?: boolean }; callback: LibCallback }[];
  zxid: Buffer;
  onSocketData(buffer: Buffer): void;
  queue(request: object, callback?: LibCallback): void;
}

/** What the frame reader notes for a session besides the replies it decodes. */
interface WireLog {
  /** Every notification that arrived, in order. */
  readonly events: ObservedEvent[];
  /** The zxid in the header of the close reply (the library's own request), once it came. */
  closeZxid: number | null;
}

interface SessionRecord {
  readonly client: zookeeper.Client;
  readonly manager: LibConnectionManager;
  readonly wire: WireLog;
  readonly idNumber: number;
  closed: boolean;
}

/** A real ZooKeeper server at `connectString` ("127.0.0.1:port"), seen through the ZkExecutor interface. */
export class RealZkExecutor implements ZkExecutor {
  private readonly sessions: SessionRecord[] = [];

  constructor(private readonly connectString: string) {}

  async openSession(): Promise<number> {
    const client = zookeeper.createClient(this.connectString, { sessionTimeout: SESSION_TIMEOUT_MS, retries: 0 });
    const manager = (client as unknown as { connectionManager: LibConnectionManager }).connectionManager;
    const wire: WireLog = { events: [], closeZxid: null };
    interceptFrames(manager, wire);
    await withTimeout(
      new Promise<void>((resolve) => {
        client.once("connected", () => resolve());
        client.connect();
      }),
      `connecting to ${this.connectString}`,
      () => client.close(),
    );
    const idNumber = sessionIdNumber(client.getSessionId().readBigInt64BE(0));
    this.sessions.push({ client, manager, wire, idNumber, closed: false });
    return this.sessions.length - 1;
  }

  async run(session: number, op: ZkOp): Promise<Executed> {
    const record = this.session(session);
    if (record.closed) return { reply: { ok: false, err: "SessionExpired" }, zxid: null };
    switch (op.op) {
      case "addAuth":
        // The server handles auth packets inline, before any later request of the connection. Its
        // reply (xid -4) carries zxid 0, not the server's last zxid, and the Java client ignores it.
        record.client.addAuthInfo(op.scheme, Buffer.from(op.auth, "utf8"));
        return { reply: { ok: true, result: { op: "addAuth" } }, zxid: null };
      case "multi": {
        if (op.ops.length === 0) return { reply: { ok: true, result: { op: "multi", results: [] } }, zxid: null }; // the Java client sends nothing
        const raw = await send(record.manager, OP_CODES.multi, encodeMulti(op.ops));
        return { reply: decodeMulti(raw), zxid: raw.zxid };
      }
      default: {
        const request = encodeRequest(op);
        const raw = await send(record.manager, request.type, request.body);
        return { reply: decodeReply(op, raw), zxid: raw.zxid };
      }
    }
  }

  async closeSession(session: number): Promise<number | null> {
    const record = this.session(session);
    if (record.closed) return null;
    record.closed = true;
    await withTimeout(
      new Promise<void>((resolve) => {
        record.manager.on("state", (state: number) => {
          if (state === LIB_STATES.CLOSED) resolve();
        });
        record.client.close();
      }),
      `closing session ${session}`,
      () => undefined,
    );
    if (record.wire.closeZxid === null) throw new Error(`session ${session} closed without a close reply`);
    return record.wire.closeZxid;
  }

  events(session: number): readonly ObservedEvent[] {
    return this.session(session).wire.events;
  }

  sessionId(session: number): number {
    return this.session(session).idNumber;
  }

  async dispose(): Promise<void> {
    for (let i = 0; i < this.sessions.length; i++) await this.closeSession(i);
  }

  private session(session: number): SessionRecord {
    const record = this.sessions[session];
    if (record === undefined) throw new Error(`no session ${session} (opened: ${this.sessions.length})`);
    return record;
  }
}

/**
 * A 64-bit session id as a number: its low 52 bits. Ids handed out by one
 * server differ only there ((serverId << 56) | time bits, then +1 each).
 */
function sessionIdNumber(id: bigint): number {
  return id === 0n ? 0 : Number(BigInt.asUintN(52, id));
}

/**
 * Puts a framing layer in front of the library's socket reader (it must run
 * before `connect`, which binds `onSocketData`). Complete frames that answer
 * our requests or carry notifications are handled here; the others go to the
 * library one whole frame at a time.
 */
function interceptFrames(manager: LibConnectionManager, wire: WireLog): void {
  const libraryOnSocketData = manager.onSocketData;
  let pending: Buffer = Buffer.alloc(0);
  manager.on("state", (state: number) => {
    if (state === LIB_STATES.CONNECTING) pending = Buffer.alloc(0); // a new socket starts a new stream
  });
  manager.onSocketData = (chunk: Buffer): void => {
    pending = pending.length === 0 ? chunk : Buffer.concat([pending, chunk]);
    while (pending.length >= 4) {
      const frameBytes = 4 + pending.readInt32BE(0);
      if (pending.length < frameBytes) break;
      const frame = pending.subarray(0, frameBytes);
      pending = pending.subarray(frameBytes);
      if (!handleFrame(manager, frame, wire)) libraryOnSocketData.call(manager, frame);
    }
  };
}

/** Returns false when the frame is the library's business. */
function handleFrame(manager: LibConnectionManager, frame: Buffer, wire: WireLog): boolean {
  if (manager.state === LIB_STATES.CONNECTING) return false; // the handshake reply has no reply header
  const xid = frame.readInt32BE(4);
  const zxid = new JuteReader(frame.subarray(8, 16)).long();
  const err = frame.readInt32BE(16);
  const body = new JuteReader(frame.subarray(4 + REPLY_HEADER_BYTES));
  if (xid === XIDS.notification) {
    // 3.8 puts zxid -1 in a notification's header (3.9 puts the change's zxid there).
    const type = body.int();
    body.int(); // keeper state: always SyncConnected for node events
    wire.events.push({ type: eventTypeName(type), path: body.string() });
    return true;
  }
  if (xid === XIDS.ping || xid === XIDS.auth) return false;
  const packet = manager.pendingQueue[0];
  if (packet?.request.header?.type === OP_CODES.closeSession && packet.request.header.xid === xid) wire.closeZxid = zxid;
  if (packet === undefined || packet.request.conformance !== true) return false;
  manager.pendingQueue.shift();
  if (packet.request.header?.xid !== xid) {
    packet.callback(new Error(`reply xid ${xid} does not match request xid ${packet.request.header?.xid}: the harness lost track of the connection`));
    return true;
  }
  manager.zxid = frame.subarray(8, 16); // the client's lastZxid, which a reconnect would present
  packet.callback(null, { err, body, zxid } satisfies RawReply);
  return true;
}

function eventTypeName(code: number): EventType {
  for (const [name, value] of Object.entries(EVENT_TYPES)) if (value === code) return name as EventType;
  throw new Error(`unknown watch event type ${code}`);
}

/**
 * Queues one request on the session's connection and waits for its reply.
 * When the library fails a request itself (ConnectionLoss when the socket
 * drops, SessionExpired), its code becomes the reply's error, as the Java
 * client reports it.
 */
function send(manager: LibConnectionManager, type: number, body: Buffer): Promise<RawReply> {
  const request = new RawRequest(type, body);
  return withTimeout(
    new Promise<RawReply>((resolve, reject) => {
      manager.queue(request, (error, response) => {
        if (error === null || error === undefined) resolve(response as RawReply);
        else if (isLibraryException(error)) resolve({ err: error.getCode(), body: new JuteReader(Buffer.alloc(0)), zxid: null });
        else reject(error instanceof Error ? error : new Error(String(error)));
      });
    }),
    `waiting for the reply to request type ${type}`,
    () => undefined,
  );
}

/** node-zookeeper-client's Exception: an Error with a ZooKeeper error code. */
function isLibraryException(error: unknown): error is { getCode(): number } {
  return typeof error === "object" && error !== null && typeof (error as { getCode?: unknown }).getCode === "function";
}

async function withTimeout<T>(work: Promise<T>, what: string, onTimeout: () => void): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      onTimeout();
      reject(new Error(`timed out after ${REQUEST_TIMEOUT_MS} ms ${what}`));
    }, REQUEST_TIMEOUT_MS);
  });
  try {
    return await Promise.race([work, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

type SingleOp = Exclude<ZkOp, { op: "multi" | "addAuth" }>;

const WATCH_MODES = { PERSISTENT: 0, PERSISTENT_RECURSIVE: 1 } as const;
const WATCHER_TYPES = { Children: 1, Data: 2, Any: 3 } as const;

/** The request type and body for one op, as the Java client would send it. */
function encodeRequest(op: SingleOp): { type: number; body: Buffer } {
  const w = new JuteWriter();
  switch (op.op) {
    case "create":
      return encodeCreate(op, true);
    case "delete":
      return { type: OP_CODES.delete, body: w.string(op.path).int(op.version).toBuffer() };
    case "exists":
      return { type: OP_CODES.exists, body: w.string(op.path).bool(op.watch).toBuffer() };
    case "getData":
      return { type: OP_CODES.getData, body: w.string(op.path).bool(op.watch).toBuffer() };
    case "setData":
      return { type: OP_CODES.setData, body: w.string(op.path).data(op.data).int(op.version).toBuffer() };
    case "getChildren":
      return { type: op.withStat ? OP_CODES.getChildren2 : OP_CODES.getChildren, body: w.string(op.path).bool(op.watch).toBuffer() };
    case "getAllChildrenNumber":
      return { type: OP_CODES.getAllChildrenNumber, body: w.string(op.path).toBuffer() };
    case "getEphemerals":
      return { type: OP_CODES.getEphemerals, body: w.string(op.prefix).toBuffer() };
    case "getACL":
      return { type: OP_CODES.getACL, body: w.string(op.path).toBuffer() };
    case "setACL":
      return { type: OP_CODES.setACL, body: w.string(op.path).acl(op.acl).int(op.version).toBuffer() };
    case "sync":
      return { type: OP_CODES.sync, body: w.string(op.path).toBuffer() };
    case "addWatch":
      return { type: OP_CODES.addWatch, body: w.string(op.path).int(WATCH_MODES[op.mode]).toBuffer() };
    case "removeWatches":
      return { type: OP_CODES.removeWatches, body: w.string(op.path).int(WATCHER_TYPES[op.type]).toBuffer() };
    default: {
      const unreachable: never = op;
      throw new Error(`unknown op ${JSON.stringify(unreachable)}`);
    }
  }
}

/**
 * A create, by the opcode the Java client picks: createContainer for
 * CONTAINER, createTTL for the TTL modes (or when a ttl is given), otherwise
 * create2 for a single request (it returns the Stat) and plain create inside
 * a multi (whose result then carries no Stat).
 */
function encodeCreate(op: Extract<ZkOp, { op: "create" }>, single: boolean): { type: number; body: Buffer } {
  const w = new JuteWriter().string(op.path).data(op.data).acl(op.acl).int(CREATE_MODES[op.mode]);
  const ttl = op.mode === "PERSISTENT_WITH_TTL" || op.mode === "PERSISTENT_SEQUENTIAL_WITH_TTL" || op.ttlMs !== undefined;
  if (ttl) return { type: OP_CODES.createTTL, body: w.long(op.ttlMs ?? -1).toBuffer() };
  if (op.mode === "CONTAINER") return { type: OP_CODES.createContainer, body: w.toBuffer() };
  return { type: single ? OP_CODES.create2 : OP_CODES.create, body: w.toBuffer() };
}

function encodeMulti(ops: readonly MultiOp[]): Buffer {
  const w = new JuteWriter();
  for (const op of ops) {
    const part = encodeMultiOp(op);
    w.int(part.type).bool(false).int(-1).raw(part.body);
  }
  return w.int(-1).bool(true).int(-1).toBuffer();
}

function encodeMultiOp(op: MultiOp): { type: number; body: Buffer } {
  const w = new JuteWriter();
  switch (op.op) {
    case "create":
      return encodeCreate(op, false);
    case "delete":
      return { type: OP_CODES.delete, body: w.string(op.path).int(op.version).toBuffer() };
    case "setData":
      return { type: OP_CODES.setData, body: w.string(op.path).data(op.data).int(op.version).toBuffer() };
    case "check":
      return { type: OP_CODES.check, body: w.string(op.path).int(op.version).toBuffer() };
    default: {
      const unreachable: never = op;
      throw new Error(`unknown multi op ${JSON.stringify(unreachable)}`);
    }
  }
}

function errorName(code: number): ZkErrorCode {
  const name = zkErrorName(code);
  if (name === undefined || name === "OK") throw new Error(`the server answered with error code ${code}, which is not an error ZooKeeper defines`);
  return name;
}

/** The owner in a Stat as the same number `sessionId()` gives for that session. */
const statOwner = sessionIdNumber;

function decodeReply(op: SingleOp, reply: RawReply): ZkReply {
  if (reply.err !== 0) {
    // The Java client turns exists' NoNode into a null Stat.
    if (op.op === "exists" && zkErrorName(reply.err) === "NoNode") return { ok: true, result: { op: "exists", stat: null } };
    return { ok: false, err: errorName(reply.err) };
  }
  const r = reply.body;
  return { ok: true, result: decodeResult(op, r) };
}

function decodeResult(op: SingleOp, r: JuteReader): ZkResult {
  switch (op.op) {
    case "create":
      return { op: "create", path: r.string(), stat: r.stat(statOwner) };
    case "delete":
      return { op: "delete" };
    case "exists":
      return { op: "exists", stat: r.stat(statOwner) };
    case "getData":
      return { op: "getData", data: r.data(), stat: r.stat(statOwner) };
    case "setData":
      return { op: "setData", stat: r.stat(statOwner) };
    case "getChildren":
      return { op: "getChildren", children: r.strings(), stat: op.withStat ? r.stat(statOwner) : null };
    case "getAllChildrenNumber":
      return { op: "getAllChildrenNumber", count: r.int() };
    case "getEphemerals":
      return { op: "getEphemerals", paths: r.strings() };
    case "getACL":
      return { op: "getACL", acl: r.acl(), stat: r.stat(statOwner) };
    case "setACL":
      return { op: "setACL", stat: r.stat(statOwner) };
    case "sync":
      return { op: "sync", path: r.string() };
    case "addWatch":
      return { op: "addWatch" };
    case "removeWatches":
      return { op: "removeWatches" };
    default: {
      const unreachable: never = op;
      throw new Error(`unknown op ${JSON.stringify(unreachable)}`);
    }
  }
}

/**
 * A multi's reply: one result per op. On failure the reply header may carry
 * no error, so the outcome is read from the results: the first non-zero
 * code is the error, as the Java client reports it.
 */
function decodeMulti(reply: RawReply): ZkReply {
  if (reply.body.remaining === 0) return { ok: false, err: errorName(reply.err) };
  const results: MultiResult[] = [];
  for (;;) {
    const type = reply.body.int();
    const done = reply.body.bool();
    reply.body.int(); // err in the header; an error result repeats it in its body
    if (done) break;
    results.push(decodeMultiResult(type, reply.body));
  }
  for (const result of results) {
    if (result.type === "error" && result.err !== "OK") return { ok: false, err: result.err, results };
  }
  if (reply.err !== 0) return { ok: false, err: errorName(reply.err), results };
  return { ok: true, result: { op: "multi", results } };
}

function decodeMultiResult(type: number, r: JuteReader): MultiResult {
  switch (type) {
    case OP_CODES.create:
      return { type: "create", path: r.string(), stat: null };
    case OP_CODES.create2:
    case OP_CODES.createContainer:
    case OP_CODES.createTTL:
      return { type: "create", path: r.string(), stat: r.stat(statOwner) };
    case OP_CODES.delete:
      return { type: "delete" };
    case OP_CODES.setData:
      return { type: "setData", stat: r.stat(statOwner) };
    case OP_CODES.check:
      return { type: "check" };
    case OP_CODES.error: {
      const code = r.int();
      const name = zkErrorName(code);
      if (name === undefined) throw new Error(`multi: unknown error code ${code}`);
      return { type: "error", err: name };
    }
    default:
      throw new Error(`multi: unknown result type ${type}`);
  }
}
