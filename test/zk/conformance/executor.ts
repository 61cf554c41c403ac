/**
 * What the conformance suite needs from a ZooKeeper implementation: sessions
 * that run ZkOps one at a time, say which zxid each reply's header carried,
 * and remember the watch notifications that arrived on their connections.
 * The real server (real-executor.ts) is one implementation; zksim's simulated
 * client is the other (sim-executor.ts).
 */
import type { EventType, ZkOp, ZkReply } from "../../../src/zk/types.ts";

/** A watch notification as it arrived on the connection: what happened, where (absolute path). */
export interface ObservedEvent {
  readonly type: EventType;
  readonly path: string;
}

/** What one request came back with. */
export interface Executed {
  readonly reply: ZkReply;
  /**
   * The zxid in the reply's header (the server's last zxid when it answered),
   * or null when no server answered: the client answered by itself (an op on
   * a closed session, an empty multi) or the executor does not wait for the
   * reply (addAuth on the real server).
   */
  readonly zxid: number | null;
}

/**
 * One ZooKeeper service seen through its client connection.
 *
 * Contract, so that two executors produce comparable raw traces:
 * - `run` resolves with the server's reply; protocol errors are values
 *   (`{ ok: false, err }`), never rejections. A rejection means the harness
 *   itself broke (no connection, an undecodable reply).
 * - `events(session)` lists every notification that arrived on the
 *   session's connection so far, in arrival order, before any client-side
 *   watch bookkeeping: a notification that the client would not hand to a
 *   watcher (its one-shot watch already used up) is in the list. By the time
 *   `run` resolves, every event that the server sent before that reply is in
 *   the list (ZooKeeper sends a notification before the reply to any later
 *   request on the same connection).
 * - A Stat's `ephemeralOwner` is 0 or `sessionId(k)` of the owning session.
 * - After `closeSession(k)`, `run(k, …)` resolves `{ ok: false, err: "SessionExpired" }`
 *   with zxid null, as the Java client does.
 * - Sessions are numbered 0, 1, 2, … in the order `openSession` returned them.
 */
export interface ZkExecutor {
  /** Opens a new session and waits until it is connected; returns its index. */
  openSession(): Promise<number>;
  run(session: number, op: ZkOp): Promise<Executed>;
  /**
   * Closes the session (its ephemerals go) and waits until the close is
   * acknowledged; resolves with the zxid in the close reply's header (null
   * when the session was closed already and nothing was sent).
   */
  closeSession(session: number): Promise<number | null>;
  events(session: number): readonly ObservedEvent[];
  /**
   * For an executor whose client keeps its own watch tables (zksim's): the
   * events its watchers were handed, which for a correct client and server
   * are exactly `events(session)`. The real-server executor has no such
   * client layer.
   */
  deliveredEvents?(session: number): readonly ObservedEvent[];
  /** The number that stands for this session in Stat.ephemeralOwner. */
  sessionId(session: number): number;
  /** Closes every session still open. */
  dispose(): Promise<void>;
}
