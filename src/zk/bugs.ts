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
   * A create does not check, when it applies, that its session is still
   * live (ZOOKEEPER-1208): a create held by a cut-off server and sent again
   * after its session was closed or expired makes an ephemeral node that
   * nothing will ever delete.
   */
  "ephemeral-after-close",
  /**
   * The client library does not send its one-shot watches when it
   * reconnects (ZooKeeper's setWatches): a change after the move never
   * fires the data, exists and child watches it still holds
   * (`watches-fire-once`).
   */
  "watch-not-rearmed",
] as const;
export type ZkBug = (typeof ZK_BUGS)[number];
