/**
 * Runs ZkOps against zksim: a simulated cluster (1 or more servers on the
 * Multi-Paxos log) with one simulated client per session, driven from here.
 * Each call submits a request through the client's public API (`submit`,
 * which takes a request as data and resolves with the reply as data) and
 * runs the simulation until it completes.
 *
 * What the wire shows comes from the cluster's client history, which the
 * client fills below its own bookkeeping: the zxid of each reply (OpRecord),
 * and every notification as it arrives, before the client's watch tables
 * decide which watchers get it (its `notified` hook). What the watchers got
 * is kept too, for `deliveredEvents`.
 *
 * Session k's client connects to server k mod serverCount, so with several
 * servers the sequence's sessions read from different replicas and their
 * writes are forwarded to the leader. A client process starts only when its
 * session is opened (the cluster builds every client at time 0; each is held
 * down until then), so that sessions are created one after another, each
 * with its own createSession transaction in between, as on the real server.
 */
import { buildZkCluster, type ClientEvent, type OpRecord, type ZkCluster, type ZooKeeper } from "../../../src/client/index.ts";
import type { ZkOp } from "../../../src/zk/types.ts";
import type { Executed, ObservedEvent, ZkExecutor } from "./executor.ts";

export interface SimExecutorOptions {
  readonly serverCount: number;
  /** Sessions the executor can open (the sequence's and the observer). */
  readonly sessionCountMax: number;
  readonly seed: number;
}

/** Virtual time one request may take before the harness gives up. */
const REQUEST_TIMEOUT_US = 120_000_000;
/** Asked of the servers: long enough that no session expires during a sequence. */
const SESSION_TIMEOUT_MS = 10_000;

/** A request that finished since the history was last read, and whose session made it. */
interface Completion {
  readonly session: number;
  readonly record: OpRecord;
}

export class SimZkExecutor implements ZkExecutor {
  private readonly cluster: ZkCluster;
  private readonly handles: (ZooKeeper | undefined)[] = [];
  /** Per session: notifications as they arrived (from the history), and as the watchers got them. */
  private readonly arrived: ObservedEvent[][] = [];
  private readonly delivered: ObservedEvent[][] = [];
  private readonly watchers: ((event: ClientEvent) => void)[] = [];
  /** How much of the cluster's history has been read. */
  private historyRead = 0;
  private opened = 0;

  constructor(private readonly options: SimExecutorOptions) {
    const clients = Array.from({ length: options.sessionCountMax }, (_, k) => {
      const delivered: ObservedEvent[] = [];
      this.arrived.push([]);
      this.delivered.push(delivered);
      this.watchers.push((event) => {
        if (event.type !== "None") delivered.push({ type: event.type, path: event.path });
      });
      return {
        server: k % options.serverCount,
        sessionTimeoutMs: SESSION_TIMEOUT_MS,
        workload: async (zk: ZooKeeper) => {
          this.handles[k] = zk;
        },
      };
    });
    this.cluster = buildZkCluster({
      engine: { seed: options.seed, network: { latency: { kind: "uniform", minUs: 100, maxUs: 1_000 } } },
      serverCount: options.serverCount,
      clients,
      tickMs: 2_000,
      extendedTypesEnabled: true,
      // As on the real server in this suite: containers and TTL nodes are never swept during a test.
      reapIntervalMs: 3_600_000,
    });
    // Before anything runs: a client held down never started, and starts (connects) at its restart.
    for (const client of this.cluster.clients) this.cluster.sim.inject({ type: "crash", node: client });
  }

  async openSession(): Promise<number> {
    const k = this.opened;
    const client = this.cluster.clients[k];
    if (client === undefined) throw new Error(`the simulated cluster has room for ${this.options.sessionCountMax} sessions`);
    this.opened++;
    this.cluster.sim.inject({ type: "restart", node: client });
    await this.runUntil(() => this.handles[k]?.state === "SyncConnected", `session ${k} to connect`);
    return k;
  }

  async run(session: number, op: ZkOp): Promise<Executed> {
    this.readHistory();
    const reply = await this.drive(this.handle(session).submit(op, this.watchers[session]), `${op.op} on session ${session}`);
    return { reply, zxid: this.zxidOfCompletion(session, `${op.op} on session ${session}`) };
  }

  async closeSession(session: number): Promise<number | null> {
    this.readHistory();
    await this.drive(this.handle(session).close(), `session ${session} to close`);
    return this.zxidOfCompletion(session, `the close of session ${session}`);
  }

  events(session: number): readonly ObservedEvent[] {
    this.readHistory();
    return this.arrived[session] ?? [];
  }

  deliveredEvents(session: number): readonly ObservedEvent[] {
    return this.delivered[session] ?? [];
  }

  sessionId(session: number): number {
    const id = this.handle(session).sessionId;
    if (id === null) throw new Error(`session ${session} has no id yet`);
    return id;
  }

  async dispose(): Promise<void> {
    // The simulation is garbage once dropped: nothing runs outside it.
  }

  /** The cluster, for tests that look inside (digests, the Paxos log). */
  get simulated(): ZkCluster {
    return this.cluster;
  }

  private handle(session: number): ZooKeeper {
    const zk = this.handles[session];
    if (zk === undefined || session >= this.opened) throw new Error(`session ${session} is not open`);
    return zk;
  }

  /**
   * The reply zxid of the one request `session` just finished, or null when
   * its client answered without sending anything (no record: removeWatches
   * that the client's own tables refuse, an empty multi; or a record without
   * a zxid: an op on a closed session).
   */
  private zxidOfCompletion(session: number, what: string): number | null {
    const finished = this.readHistory().filter((c) => c.session === session);
    if (finished.length > 1) throw new Error(`zksim: ${what} finished ${finished.length} requests`);
    return finished[0]?.record.zxid ?? null;
  }

  /** Reads the history written since the last call: notifications go to their session's list; completions are returned. */
  private readHistory(): Completion[] {
    const history = this.cluster.history;
    const completions: Completion[] = [];
    for (; this.historyRead < history.length; this.historyRead++) {
      const entry = history[this.historyRead];
      if (entry === undefined || entry.kind === "invoke") continue;
      const client = entry.kind === "event" ? entry.event.client : entry.record.client;
      const session = this.cluster.clients.indexOf(client);
      if (session < 0) throw new Error(`zksim: history entry of an unknown client ${client}`);
      if (entry.kind === "complete") completions.push({ session, record: entry.record });
      else if (entry.event.type !== "None") {
        if (entry.event.path === null) throw new Error(`zksim: a ${entry.event.type} notification without a path`);
        this.arrived[session]?.push({ type: entry.event.type, path: entry.event.path });
      }
    }
    return completions;
  }

  private async drive<T>(work: Promise<T>, what: string): Promise<T> {
    let outcome: { value: T } | { error: unknown } | undefined;
    work.then(
      (value) => (outcome = { value }),
      (error: unknown) => (outcome = { error }),
    );
    await this.runUntil(() => outcome !== undefined, what);
    const settled = outcome as { value: T } | { error: unknown };
    if ("error" in settled) throw settled.error;
    return settled.value;
  }

  private async runUntil(done: () => boolean, what: string): Promise<void> {
    for (let hop = 0; hop < 16 && !done(); hop++) await Promise.resolve();
    if (done()) return;
    const sim = this.cluster.sim;
    await sim.runAsync({ until: done, untilUs: sim.nowUs + REQUEST_TIMEOUT_US });
    if (!done()) throw new Error(`zksim (seed ${this.options.seed}): waited ${REQUEST_TIMEOUT_US / 1e6} virtual s for ${what}`);
  }
}
