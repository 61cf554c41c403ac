/**
 * The service's bug zoo: mistakes in the ZooKeeper layer (the data tree,
 * the server, the client library) that can be turned on one by one, beside
 * the Paxos zoo (PAXOS_BUGS), to prove that the checkers and the fault
 * search find them. Each is off by default and changes nothing when off.
 */
export const ZK_BUGS = [
  /**
   * The sequential suffix is the parent's number of children, not its count
   * of creates ever made under it: after a delete, a create takes a name
   * that was given before (`sequential-names`).
   */
  "sequence-from-child-count",
  /**
   * A server answers sync at once from its own tree, without waiting for the
   * read barrier: a follower behind the leader then lets a read after sync
   * miss a write that completed before the sync began (`read-after-sync`,
   * `sync-reads-linearizable`).
   */
  "sync-skips-barrier",
  /**
   * The client library does not send its one-shot watches when it
   * reconnects (ZooKeeper's setWatches): a change after the move never
   * fires the data, exists and child watches it still holds
   * (`watches-fire-once`).
   */
  "watch-not-rearmed",
] as const;
export type ZkBug = (typeof ZK_BUGS)[number];
