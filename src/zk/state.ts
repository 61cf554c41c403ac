import { z } from "zod";
import { AssertionError } from "../sim/index.ts";
import type { ZkBug } from "./bugs.ts";
import type { RequestOrigin } from "./messages.ts";
import { DataTree } from "./tree.ts";
import type { TreeSnapshot } from "./tree.ts";
import type { Txn, TxnOutcome } from "./types.ts";

/** The snapshot format this code writes and reads. */
const ZK_SNAPSHOT_FORMAT = 1;

/** What a snapshot of the service holds (plain data). */
export interface ZkSnapshot {
  readonly formatVersion: typeof ZK_SNAPSHOT_FORMAT;
  /** The tree, with the live sessions (DataTree.fromSnapshot validates it). */
  readonly tree: TreeSnapshot;
  readonly lastZxid: number;
  /** Each session's last applied request, by session id. */
  readonly lastXids: readonly { readonly sessionId: number; readonly xid: number }[];
}

const zkSnapshotSchema = z.strictObject({
  formatVersion: z.literal(ZK_SNAPSHOT_FORMAT),
  tree: z.unknown(),
  lastZxid: z.int().min(0),
  lastXids: z.array(z.strictObject({ sessionId: z.int(), xid: z.int() })),
});

/**
 * The replicated state machine of the service: the znode tree (which also
 * holds the live sessions), plus, per session, the xid of its last applied
 * request (a write forwarded twice, say after a leader change, applies once).
 */
export class ZkState {
  tree: DataTree;
  lastZxid = 0;
  private readonly lastXids = new Map<number, number>();

  constructor(extendedTypesEnabled: boolean, tree?: DataTree, bugs: readonly ZkBug[] = []) {
    this.tree = tree ?? new DataTree(bugs.length === 0 ? { extendedTypesEnabled } : { extendedTypesEnabled, bugs });
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
      formatVersion: ZK_SNAPSHOT_FORMAT,
      tree: this.tree.toSnapshot(),
      lastZxid: this.lastZxid,
      lastXids: [...this.lastXids].sort((a, b) => a[0] - b[0]).map(([sessionId, xid]) => ({ sessionId, xid })),
    };
  }

  /** The state a snapshot describes; an invalid snapshot is a bug in zksim, which wrote it (AssertionError). */
  static fromSnapshot(data: unknown, extendedTypesEnabled: boolean, bugs: readonly ZkBug[] = []): ZkState {
    const parsed = zkSnapshotSchema.safeParse(data);
    if (!parsed.success) {
      throw new AssertionError("not a valid ZooKeeper state snapshot", { problems: parsed.error.issues.slice(0, 10).map((i) => `${i.path.join(".")}: ${i.message}`) });
    }
    const snapshot = parsed.data;
    const state = new ZkState(extendedTypesEnabled, DataTree.fromSnapshot(snapshot.tree, bugs.length === 0 ? { extendedTypesEnabled } : { extendedTypesEnabled, bugs }));
    state.lastZxid = snapshot.lastZxid;
    for (const { sessionId, xid } of snapshot.lastXids) {
      if (state.lastXids.has(sessionId)) throw new AssertionError("not a valid ZooKeeper state snapshot", { problems: [`lastXids: session ${sessionId} twice`] });
      state.lastXids.set(sessionId, xid);
    }
    return state;
  }
}
