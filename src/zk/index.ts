/**
 * The ZooKeeper service: the znode data tree (a pure state machine applied
 * from the log), sessions, watches, and the server node that runs it all on
 * a Multi-Paxos replica.
 */
export { ZkServer } from "./server.ts";
export type { ZkServerOptions, ServerInspection } from "./server.ts";
export { ZkState } from "./state.ts";
export { ZK_BUGS } from "./bugs.ts";
export type { ZkBug } from "./bugs.ts";
export type { ZkSnapshot } from "./state.ts";
export { DataTree, pathProblem, sequenceSuffix, utf8Length } from "./tree.ts";
export type { DataTreeOptions, NodeKind, ZnodeFields, ZnodeRecord, SnapshotNode, SnapshotSession, TreeSnapshot, TreeImage } from "./tree.ts";
export { WatchTable, parentOf } from "./watches.ts";
export { OrderedStream } from "./stream.ts";
export { isWriteOp } from "./messages.ts";
export { SessionTracker } from "./sessions.ts";
export { generateDigestId } from "./acl.ts";
export type { ZkCommand, ZkBatch, RequestOrigin, WatchSet, ClientToServer, ServerToClient, ServerToServer, ZkServerMsg } from "./messages.ts";
export { ZK_ERRORS, CREATE_MODES, PERMS, OPEN_ACL, READ_ACL, EVENT_TYPES, zkErrorName } from "./types.ts";
export type {
  ZkErrorName,
  ZkErrorCode,
  CreateMode,
  Acl,
  Stat,
  ZnodeData,
  EventType,
  AddWatchMode,
  WatcherType,
  ZkOp,
  MultiOp,
  MultiResult,
  ZkResult,
  ZkReply,
  WatchEvent,
  WriteRequest,
  ReadRequest,
  Caller,
  Txn,
  TxnBody,
  WatchTrigger,
  TxnOutcome,
} from "./types.ts";
export { zkNoteSchema, zkChangeSchema, isZkNoteKind, asZkNote, ZK_NOTE_KINDS } from "./notes.ts";
export type { ZkNote, ZkNoteKind } from "./notes.ts";
