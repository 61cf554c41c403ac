import type { RequestOrigin } from "./messages.ts";
import { DataTree } from "./tree.ts";
import type { Txn, TxnOutcome } from "./types.ts";

/** What a snapshot of the service holds (plain data). */
interface ZkSnapshot {
  readonly tree: unknown;
  readonly lastZxid: number;
  readonly lastXids: readonly (readonly [number, number])[];
}

/**
 * The replicated state machine of the service: the znode tree (which also
 * holds the live sessions), plus, per session, the xid of its last applied
 * request (a write forwarded twice, say after a leader change, applies once).
 */
export class ZkState {
  tree: DataTree;
  lastZxid = 0;
  private readonly lastXids = new Map<number, number>();

  constructor(extendedTypesEnabled: boolean, tree?: DataTree) {
    this.tree = tree ?? new DataTree({ extendedTypesEnabled });
  }

  apply(txn: Txn, origin: RequestOrigin | null): TxnOutcome {
    const outcome = this.tree.applyTxn(txn);
    this.lastZxid = txn.zxid;
    const body = txn.body;
    if (origin !== null && (body.type === "write" || body.type === "closeSession")) this.lastXids.set(origin.sessionId, origin.xid);
    if (body.type === "closeSession") this.lastXids.delete(body.sessionId);
    return outcome;
  }

  /** The xid of the session's last applied request (0 before any). */
  lastXid(sessionId: number): number {
    return this.lastXids.get(sessionId) ?? 0;
  }

  /** The session's negotiated timeout, or undefined once it is closed or expired (or never was). */
  sessionTimeoutMs(sessionId: number): number | undefined {
    return this.tree.sessionTimeoutMs(sessionId);
  }

  /** Live sessions and their timeouts, by id. */
  sessions(): [number, number][] {
    return this.tree.liveSessions();
  }

  toSnapshot(): ZkSnapshot {
    return {
      tree: this.tree.toSnapshot(),
      lastZxid: this.lastZxid,
      lastXids: [...this.lastXids].sort((a, b) => a[0] - b[0]),
    };
  }

  static fromSnapshot(data: unknown, extendedTypesEnabled: boolean): ZkState {
    const snapshot = data as ZkSnapshot;
    const state = new ZkState(extendedTypesEnabled, DataTree.fromSnapshot(snapshot.tree, { extendedTypesEnabled }));
    state.lastZxid = snapshot.lastZxid;
    for (const [sessionId, xid] of snapshot.lastXids) state.lastXids.set(sessionId, xid);
    return state;
  }
}
