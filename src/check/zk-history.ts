import type { Json } from "./history.ts";

/**
 * A ZooKeeper client history as the checkers read it: what clients did and
 * saw (operations, watch notifications) and the committed log's changes.
 */

export interface ZkHistoryOp {
  readonly id: number;
  readonly client: string;
  readonly session: number | null;
  readonly xid: number;
  /** create, delete, setData, getData, exists, getChildren, sync, multi, close, ... */
  readonly f: string;
  readonly path: string | null;
  /** Paths a multi touches (empty for other ops). */
  readonly paths: readonly string[];
  readonly sequential: boolean;
  /** A create of an ephemeral, container or TTL node: something other than a client's request may delete it. */
  readonly transient: boolean;
  readonly watch: boolean;
  /** create: the data; setData: [data, expected version]; delete: the expected version; else null. */
  readonly input: Json;
  readonly invoke: number;
  readonly complete: number | null;
  /** The same moments in virtual time (µs), for people and the viewer. */
  readonly invokeUs: number;
  readonly completeUs: number | null;
  /** ok; fail (a ZooKeeper error: it did not happen); info (ConnectionLoss: unknown). */
  readonly outcome: "ok" | "fail" | "info";
  readonly error: string | null;
  /** The zxid the server stated with the reply: the state it answered from. */
  readonly replyZxid: number | null;
  /** The write's own zxid, when the reply shows it (czxid of a create, mzxid of a setData). */
  readonly txnZxid: number | null;
  /** create: the path made; setData: the new version; getData: [data, version] or null; exists: version or null. */
  readonly output: Json;
  /** The ephemeralOwner of the node a read returned (0 for none, null when no node). */
  readonly owner: number | null;
}

export interface ZkNotification {
  readonly client: string;
  readonly session: number | null;
  /** A watch event type, or "None" for a session state change. */
  readonly type: string;
  readonly path: string | null;
  /** A watch event's zxid; for SyncConnected, the zxid of the state of the server that took the session. */
  readonly zxid: number | null;
  readonly state: string;
  readonly at: number;
  /** The same moment in virtual time (µs). */
  readonly atUs: number;
}

/** A change in the committed log that fires watches (one transaction may make several, in order). */
export interface ZkChange {
  readonly zxid: number;
  readonly type: "NodeCreated" | "NodeDeleted" | "NodeDataChanged" | "NodeChildrenChanged";
  readonly path: string;
  /** Only watchers with READ in the node's ACL are told of it. */
  readonly restricted: boolean;
}

export interface ZkHistory {
  readonly ops: readonly ZkHistoryOp[];
  readonly notifications: readonly ZkNotification[];
  /** The committed log's changes in zxid order, when known (a simulated run knows them): watches-fire-once needs them. */
  readonly changes?: readonly ZkChange[];
}
