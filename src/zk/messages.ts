import type { NodeId } from "../sim/index.ts";
import type { PaxosMsg } from "../paxos/index.ts";
import type { Caller, Txn, WatchEvent, WriteRequest, ZkOp, ZkReply } from "./types.ts";

/**
 * What enters the Paxos log: a transaction, and where its request came from
 * so that the server the client is connected to can answer it when it applies.
 */
export interface ZkCommand {
  readonly txn: Txn;
  readonly origin: RequestOrigin | null;
}

/**
 * One Paxos value: the transactions the leader gathered while its earlier
 * proposals were in flight (group commit), applied in order.
 */
export type ZkBatch = readonly ZkCommand[];

/** The server, session and xid of the request behind a transaction. */
export interface RequestOrigin {
  readonly server: NodeId;
  /** The client connection (for session creation, before the session has an id). */
  readonly client: NodeId;
  readonly connection: number;
  readonly sessionId: number;
  readonly xid: number;
}

/** The watches a client holds, sent again when it reconnects (ZooKeeper's setWatches). */
export interface WatchSet {
  readonly data: readonly string[];
  readonly exist: readonly string[];
  readonly child: readonly string[];
  readonly persistent: readonly string[];
  readonly recursive: readonly string[];
}

/**
 * Client → server. Every message carries the client's connection number
 * (a new one per connection attempt), and stream messages a sequence number
 * within it: the simulated network may drop, duplicate and reorder, and a
 * ZooKeeper connection is an ordered stream (TCP), so each side delivers in
 * order, keeps what it sent until the other side has it, and sends it again
 * when a ping or pong shows it missing. Only a lasting silence breaks a
 * connection.
 */
export type ClientToServer =
  | {
      readonly type: "zk-connect";
      readonly connection: number;
      /** null for a new session. */
      readonly sessionId: number | null;
      readonly timeoutMs: number;
      /** The highest zxid the client has seen: a server behind it refuses the session. */
      readonly lastZxid: number;
      readonly watches: WatchSet;
      readonly auth: readonly string[];
    }
  | { readonly type: "zk-request"; readonly connection: number; readonly seq: number; readonly xid: number; readonly op: ZkOp; readonly prevWriteXid: number }
  /**
   * Not part of the ordered stream: a sign of life that also says which of
   * the server's messages the client has (it expects `next`), so that the
   * server sends again what the network lost. The pong answers in kind.
   */
  | { readonly type: "zk-ping"; readonly connection: number; readonly next: number }
  | { readonly type: "zk-close"; readonly connection: number; readonly seq: number; readonly xid: number; readonly prevWriteXid: number };

/** Server → client, in order within a connection (seq). */
export type ServerToClient =
  | { readonly type: "zk-connected"; readonly connection: number; readonly seq: number; readonly sessionId: number; readonly timeoutMs: number; readonly zxid: number }
  | { readonly type: "zk-refused"; readonly connection: number; readonly reason: "expired" | "behind" | "not-serving" }
  | { readonly type: "zk-reply"; readonly connection: number; readonly seq: number; readonly xid: number; readonly zxid: number; readonly reply: ZkReply }
  | { readonly type: "zk-watch"; readonly connection: number; readonly seq: number; readonly event: WatchEvent }
  | { readonly type: "zk-pong"; readonly connection: number; readonly zxid: number; readonly next: number }
  /** The session expired or was closed: the connection is over. */
  | { readonly type: "zk-expired"; readonly connection: number; readonly seq: number };

/** Server → server (besides Paxos). */
export type ServerToServer =
  | {
      readonly type: "zk-forward";
      readonly origin: RequestOrigin;
      /** The xid of the session's previous write: the leader keeps each session's writes in order. */
      readonly prevWriteXid: number;
      readonly caller: Caller;
      readonly request: WriteRequest;
    }
  | { readonly type: "zk-forward-session"; readonly origin: RequestOrigin; readonly timeoutMs: number }
  | { readonly type: "zk-forward-close"; readonly origin: RequestOrigin; readonly prevWriteXid: number }
  /** Sessions that showed signs of life at this server since the last touch. */
  | { readonly type: "zk-touch"; readonly sessions: readonly number[] };

export type ZkServerMsg = PaxosMsg<ZkBatch> | ClientToServer | ServerToServer | ServerToClient;

/** The requests that change state (they go to the leader and take a zxid); "close" is the session's close. */
export function isWriteOp(op: ZkOp | { readonly op: "close" }): boolean {
  return op.op === "create" || op.op === "delete" || op.op === "setData" || op.op === "setACL" || op.op === "multi" || op.op === "close";
}
