/**
 * The vocabulary of the ZooKeeper service, shared by the data tree, the
 * server, the client, the checkers and the conformance suite. Names and
 * numbers are ZooKeeper's own (KeeperException.Code, CreateMode, OpCode,
 * EventType, Perms), so a reader can look them up.
 */

/** ZooKeeper's error codes (KeeperException.Code), by name. */
export const ZK_ERRORS = {
  OK: 0,
  SystemError: -1,
  RuntimeInconsistency: -2,
  DataInconsistency: -3,
  ConnectionLoss: -4,
  MarshallingError: -5,
  Unimplemented: -6,
  OperationTimeout: -7,
  BadArguments: -8,
  UnknownSession: -12,
  NewConfigNoQuorum: -13,
  ReconfigInProgress: -14,
  APIError: -100,
  NoNode: -101,
  NoAuth: -102,
  BadVersion: -103,
  NoChildrenForEphemerals: -108,
  NodeExists: -110,
  NotEmpty: -111,
  SessionExpired: -112,
  InvalidCallback: -113,
  InvalidACL: -114,
  AuthFailed: -115,
  SessionMoved: -118,
  NotReadOnly: -119,
  EphemeralOnLocalSession: -120,
  NoWatcher: -121,
  RequestTimeout: -122,
  ReconfigDisabled: -123,
  SessionClosedRequireSaslAuth: -124,
  QuotaExceeded: -125,
  Throttled: -127,
} as const;
export type ZkErrorName = keyof typeof ZK_ERRORS;
/** Every error a request can end with (OK is success, not an error). */
export type ZkErrorCode = Exclude<ZkErrorName, "OK">;

/** The name of an error code number, or undefined for a number ZooKeeper does not define. */
export function zkErrorName(code: number): ZkErrorName | undefined {
  for (const [name, value] of Object.entries(ZK_ERRORS)) if (value === code) return name as ZkErrorName;
  return undefined;
}

/** CreateMode flags as numbers on the wire. */
export const CREATE_MODES = {
  PERSISTENT: 0,
  EPHEMERAL: 1,
  PERSISTENT_SEQUENTIAL: 2,
  EPHEMERAL_SEQUENTIAL: 3,
  CONTAINER: 4,
  PERSISTENT_WITH_TTL: 5,
  PERSISTENT_SEQUENTIAL_WITH_TTL: 6,
} as const;
export type CreateMode = keyof typeof CREATE_MODES;

/** Permission bits of an ACL entry. */
export const PERMS = { READ: 1, WRITE: 2, CREATE: 4, DELETE: 8, ADMIN: 16, ALL: 31 } as const;

/** One ACL entry: who (scheme:id) may do what (perms bits). */
export interface Acl {
  readonly perms: number;
  readonly scheme: "world" | "digest" | "auth" | "super" | "ip";
  readonly id: string;
}

/** world:anyone may do everything: ZooDefs.Ids.OPEN_ACL_UNSAFE. */
export const OPEN_ACL: readonly Acl[] = Object.freeze([Object.freeze({ perms: PERMS.ALL, scheme: "world", id: "anyone" } as const)]);
/** world:anyone may read: ZooDefs.Ids.READ_ACL_UNSAFE. */
export const READ_ACL: readonly Acl[] = Object.freeze([Object.freeze({ perms: PERMS.READ, scheme: "world", id: "anyone" } as const)]);

/** A znode's Stat, exactly ZooKeeper's fields. zxids are epoch * 2^32 + counter; times are ms. */
export interface Stat {
  readonly czxid: number;
  readonly mzxid: number;
  readonly pzxid: number;
  readonly ctime: number;
  readonly mtime: number;
  readonly version: number;
  readonly cversion: number;
  readonly aversion: number;
  readonly ephemeralOwner: number;
  readonly dataLength: number;
  readonly numChildren: number;
}

/**
 * Znode data. ZooKeeper stores bytes; zksim stores text, whose byte length is
 * its UTF-8 length (what dataLength reports). null is "no data", as in Java.
 */
export type ZnodeData = string | null;

/** Watch event types (EventType). */
export const EVENT_TYPES = {
  None: -1,
  NodeCreated: 1,
  NodeDeleted: 2,
  NodeDataChanged: 3,
  NodeChildrenChanged: 4,
  DataWatchRemoved: 5,
  ChildWatchRemoved: 6,
  PersistentWatchRemoved: 7,
} as const;
export type EventType = keyof typeof EVENT_TYPES;

/** addWatch modes. */
export type AddWatchMode = "PERSISTENT" | "PERSISTENT_RECURSIVE";
/** removeWatches / checkWatches types. */
export type WatcherType = "Children" | "Data" | "Any";

/**
 * A request a client sends, as plain data. Reads and writes alike; the
 * server turns writes into transactions.
 */
export type ZkOp =
  | { readonly op: "create"; readonly path: string; readonly data: ZnodeData; readonly acl: readonly Acl[]; readonly mode: CreateMode; readonly ttlMs?: number }
  | { readonly op: "delete"; readonly path: string; readonly version: number }
  | { readonly op: "exists"; readonly path: string; readonly watch: boolean }
  | { readonly op: "getData"; readonly path: string; readonly watch: boolean }
  | { readonly op: "setData"; readonly path: string; readonly data: ZnodeData; readonly version: number }
  | { readonly op: "getChildren"; readonly path: string; readonly watch: boolean; readonly withStat: boolean }
  | { readonly op: "getAllChildrenNumber"; readonly path: string }
  | { readonly op: "getEphemerals"; readonly prefix: string }
  | { readonly op: "getACL"; readonly path: string }
  | { readonly op: "setACL"; readonly path: string; readonly acl: readonly Acl[]; readonly version: number }
  | { readonly op: "multi"; readonly ops: readonly MultiOp[] }
  | { readonly op: "sync"; readonly path: string }
  | { readonly op: "addWatch"; readonly path: string; readonly mode: AddWatchMode }
  | { readonly op: "removeWatches"; readonly path: string; readonly type: WatcherType }
  | { readonly op: "addAuth"; readonly scheme: "digest"; readonly auth: string };

/** The operations allowed inside a write multi. */
export type MultiOp =
  | { readonly op: "create"; readonly path: string; readonly data: ZnodeData; readonly acl: readonly Acl[]; readonly mode: CreateMode; readonly ttlMs?: number }
  | { readonly op: "delete"; readonly path: string; readonly version: number }
  | { readonly op: "setData"; readonly path: string; readonly data: ZnodeData; readonly version: number }
  | { readonly op: "check"; readonly path: string; readonly version: number };

/** One operation's result inside a multi (ZooKeeper's OpResult). */
export type MultiResult =
  | { readonly type: "create"; readonly path: string; readonly stat: Stat | null }
  | { readonly type: "delete" }
  | { readonly type: "setData"; readonly stat: Stat }
  | { readonly type: "check" }
  | { readonly type: "error"; readonly err: ZkErrorName };

/** What a successful request returns, by operation. */
export type ZkResult =
  | { readonly op: "create"; readonly path: string; readonly stat: Stat }
  | { readonly op: "delete" }
  | { readonly op: "exists"; readonly stat: Stat | null }
  | { readonly op: "getData"; readonly data: ZnodeData; readonly stat: Stat }
  | { readonly op: "setData"; readonly stat: Stat }
  | { readonly op: "getChildren"; readonly children: readonly string[]; readonly stat: Stat | null }
  | { readonly op: "getAllChildrenNumber"; readonly count: number }
  | { readonly op: "getEphemerals"; readonly paths: readonly string[] }
  | { readonly op: "getACL"; readonly acl: readonly Acl[]; readonly stat: Stat }
  | { readonly op: "setACL"; readonly stat: Stat }
  | { readonly op: "multi"; readonly results: readonly MultiResult[] }
  | { readonly op: "sync"; readonly path: string }
  | { readonly op: "addWatch" }
  | { readonly op: "removeWatches" }
  | { readonly op: "addAuth" }
  /** A session's transactions: the id the leader gave a new session; a close. */
  | { readonly op: "createSession"; readonly sessionId: number }
  | { readonly op: "closeSession" };

/** A request's outcome: a result, or an error by name (a failed multi also carries its per-op results). */
export type ZkReply =
  | { readonly ok: true; readonly result: ZkResult }
  | { readonly ok: false; readonly err: ZkErrorCode; readonly results?: readonly MultiResult[] };

/** A watch notification as the client sees it: no data, just what happened where. */
export interface WatchEvent {
  readonly type: Exclude<EventType, "None">;
  readonly path: string;
  /** The zxid of the change (3.9 carries it; useful for checkers). */
  readonly zxid: number;
}

/** The requests that change state: they become transactions. */
export type WriteRequest = Extract<ZkOp, { op: "create" | "delete" | "setData" | "setACL" | "multi" }>;
/** The requests a server answers from its own tree. */
export type ReadRequest = Extract<ZkOp, { op: "exists" | "getData" | "getChildren" | "getAllChildrenNumber" | "getEphemerals" | "getACL" }>;

/** Who is asking: the session and the identities it has authenticated as ("world:anyone", "digest:user:hash"). */
export interface Caller {
  readonly sessionId: number;
  readonly authIds: readonly string[];
}

/**
 * A transaction: what enters the replicated log. The leader fixes everything
 * that is not a function of the log order (zxid, time stamp, session
 * decisions); conditions (versions, existence, ACLs) and sequential names are
 * evaluated when the transaction applies, identically on every replica, so a
 * failed conditional write still takes its zxid and changes nothing.
 */
export interface Txn {
  readonly zxid: number;
  /** The leader's clock, in ms, when it prepared the transaction. */
  readonly timeMs: number;
  readonly body: TxnBody;
}

export type TxnBody =
  | { readonly type: "write"; readonly caller: Caller; readonly request: WriteRequest }
  | { readonly type: "createSession"; readonly sessionId: number; readonly timeoutMs: number }
  | { readonly type: "closeSession"; readonly sessionId: number; readonly reason: "close" | "expire" }
  /** Deletes a container or TTL node that the leader found due (ZooKeeper's deleteContainer). */
  | { readonly type: "reap"; readonly path: string };

/** A change that fires watches, in the order the transaction made them. */
export interface WatchTrigger {
  readonly path: string;
  readonly type: "NodeCreated" | "NodeDeleted" | "NodeDataChanged" | "NodeChildrenChanged";
  /**
   * The ACL a watcher needs READ in to be told (ZooKeeper 3.8.4/3.9.2 and
   * later): the node's own, or the parent's for NodeChildrenChanged. A
   * watcher without it loses its one-shot watch all the same.
   */
  readonly acl: readonly Acl[];
}

/** What applying a transaction did: the reply for the requester, and the watch triggers. */
export interface TxnOutcome {
  readonly reply: ZkReply;
  readonly triggers: readonly WatchTrigger[];
}
