/**
 * What the conformance suite needs from a ZooKeeper implementation: sessions
 * that run ZkOps one at a time and remember the watch events they received.
 * The real server (real-executor.ts) is one implementation; zksim's simulated
 * client is meant to be the other.
 */
import type { EventType, ZkOp, ZkReply } from "../../../src/zk/types.ts";

/** A watch notification as a session received it: what happened, where (absolute path). */
export interface ObservedEvent {
  readonly type: EventType;
  readonly path: string;
}

/**
 * One ZooKeeper service seen through its client API.
 *
 * Contract, so that two executors produce comparable raw traces:
 * - `run` resolves with the server's reply; protocol errors are values
 *   (`{ ok: false, err }`), never rejections. A rejection means the harness
 *   itself broke (no connection, an undecodable reply).
 * - `events(session)` lists every notification the session received so far,
 *   in arrival order; by the time `run` resolves, every event that the server
 *   sent before that reply is in the list (ZooKeeper sends a notification
 *   before the reply to any later request on the same connection).
 * - A Stat's `ephemeralOwner` is 0 or `sessionId(k)` of the owning session.
 * - After `closeSession(k)`, `run(k, …)` resolves `{ ok: false, err: "SessionExpired" }`
 *   as the Java client does.
 * - Sessions are numbered 0, 1, 2, … in the order `openSession` returned them.
 */
export interface ZkExecutor {
  /** Opens a new session and waits until it is connected; returns its index. */
  openSession(): Promise<number>;
  run(session: number, op: ZkOp): Promise<ZkReply>;
  /** Closes the session (its ephemerals go) and waits until the close is acknowledged. */
  closeSession(session: number): Promise<void>;
  events(session: number): readonly ObservedEvent[];
  /** The number that stands for this session in Stat.ephemeralOwner. */
  sessionId(session: number): number;
  /** Closes every session still open. */
  dispose(): Promise<void>;
}
