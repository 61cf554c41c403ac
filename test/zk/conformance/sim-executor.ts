/**
 * Runs ZkOps against zksim: a simulated cluster (1 or more servers on the
 * Multi-Paxos log) with one simulated client per session, driven from here.
 * Each call submits a request through the client's public API (`submit`,
 * which takes a request as data and resolves with the reply as data) and
 * runs the simulation until it completes.
 *
 * Session k's client connects to server k mod serverCount, so with several
 * servers the sequence's sessions read from different replicas and their
 * writes are forwarded to the leader.
 */
import { buildZkCluster, type ClientEvent, type ZkCluster, type ZooKeeper } from "../../../src/client/index.ts";
import type { ZkOp, ZkReply } from "../../../src/zk/types.ts";
import type { ObservedEvent, ZkExecutor } from "./executor.ts";

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

export class SimZkExecutor implements ZkExecutor {
  private readonly cluster: ZkCluster;
  private readonly handles: (ZooKeeper | undefined)[] = [];
  private readonly observed: ObservedEvent[][] = [];
  private readonly watchers: ((event: ClientEvent) => void)[] = [];
  private opened = 0;

  constructor(private readonly options: SimExecutorOptions) {
    const clients = Array.from({ length: options.sessionCountMax }, (_, k) => {
      const events: ObservedEvent[] = [];
      this.observed.push(events);
      this.watchers.push((event) => {
        if (event.type !== "None") events.push({ type: event.type, path: event.path });
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
  }

  async openSession(): Promise<number> {
    const k = this.opened;
    if (k >= this.options.sessionCountMax) throw new Error(`the simulated cluster has room for ${this.options.sessionCountMax} sessions`);
    this.opened++;
    await this.runUntil(() => this.handles[k]?.state === "SyncConnected", `session ${k} to connect`);
    return k;
  }

  run(session: number, op: ZkOp): Promise<ZkReply> {
    return this.drive(this.handle(session).submit(op, this.watchers[session]), `${op.op} on session ${session}`);
  }

  async closeSession(session: number): Promise<void> {
    await this.drive(this.handle(session).close(), `session ${session} to close`);
  }

  events(session: number): readonly ObservedEvent[] {
    return this.observed[session] ?? [];
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
