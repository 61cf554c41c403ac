/**
 * The ZooKeeper client, as a simulated process with an async API, and the
 * recipes built on it.
 */
export { ZkClient, ZkError } from "./client.ts";
export type { ZooKeeper, ClientProcess, Workload, Watcher, ClientEvent, KeeperState, CreateOptions, OpRecord, EventRecord, ZkClientOptions, ClientInspection } from "./client.ts";
export { Lock, Election, Barrier, ConfigWatcher, ensurePath } from "./recipes.ts";
export { buildZkCluster, ZK_PAXOS_DEFAULTS, STORAGE_NODE } from "./cluster.ts";
export type { ZkCluster, ZkClusterOptions, ZkClientSpec, ClusterMsg, ClientHistoryEntry } from "./cluster.ts";
export { StorageNode } from "./storage.ts";
export type { StorageMsg, StorageOptions } from "./storage.ts";
export { consoleRequestSchema, consoleRequestShapes, consoleOp, CONSOLE_OPERATIONS } from "./console.ts";
export type { ConsoleRequest, ConsoleRequestInput } from "./console.ts";
export { clientNoteSchema, isClientNoteKind, asClientNote, writeNote, CLIENT_NOTE_KINDS } from "./notes.ts";
export type { ClientNote, ClientNoteKind } from "./notes.ts";
