import { paxosConfigSchema, type PaxosConfigInput } from "../paxos/index.ts";
import { Simulation, type EngineConfigInput, type NodeId, type TraceOptions } from "../sim/index.ts";
import { ZkServer, type ZkBug, type ZkServerMsg } from "../zk/index.ts";
import { ZkClient, type EventRecord, type OpRecord, type Workload } from "./client.ts";
import { StorageNode, type StorageMsg, type StorageOptions } from "./storage.ts";

export interface ZkClientSpec {
  /** Index of the server it connects to first (default: spread round-robin). */
  readonly server?: number;
  readonly sessionTimeoutMs?: number;
  readonly workload: Workload;
}

export interface ZkClusterOptions {
  /** Engine settings; the nodes are s1..sN then c1..cM. */
  readonly engine: Omit<EngineConfigInput, "nodes">;
  readonly serverCount: number;
  readonly clients: readonly ZkClientSpec[];
  readonly paxos?: PaxosConfigInput;
  readonly tickMs?: number;
  readonly extendedTypesEnabled?: boolean;
  readonly reapIntervalMs?: number;
  readonly trace?: TraceOptions;
  /** Keep `records` and `history` (default true; benchmarks turn it off: the checkers need it). */
  readonly history?: boolean;
  /** Adds a shared storage node, "store", that clients write with `ClientProcess.store` (fencing: refuse lower tokens). */
  readonly storage?: StorageOptions;
  /** Bugs of the service's zoo (ZK_BUGS) to plant in the servers and the clients; none by default. */
  readonly bugs?: readonly ZkBug[];
}

/** A built, not yet run, ZooKeeper cluster: the simulation, its node ids, and the clients' request records. */
export interface ZkCluster {
  readonly sim: Simulation<ClusterMsg>;
  readonly servers: readonly NodeId[];
  readonly clients: readonly NodeId[];
  /** Every finished request, in completion order (for the checkers): derived from `history`. */
  readonly records: readonly OpRecord[];
  /**
   * Everything the clients did and saw, in the order it happened (one
   * simulation, one order): invocations, completions and notifications.
   * An invocation and its completion share the record object.
   */
  readonly history: ClientHistoryEntry[];
  server(id: NodeId): ZkServer | null;
  /** The storage node, when the cluster has one. */
  storage(): StorageNode | null;
}

/** One thing a client did or saw; `atUs` is the true virtual time (clients only know their own clocks). */
export type ClientHistoryEntry =
  | { readonly kind: "invoke"; readonly atUs: number; readonly record: OpRecord }
  | { readonly kind: "complete"; readonly atUs: number; readonly record: OpRecord }
  | { readonly kind: "event"; readonly atUs: number; readonly event: EventRecord };

/** Entries the cluster keeps in `history`; past it the oldest half goes (a bound for very long runs). */
const HISTORY_MAX = 5_000_000;

/** Every message of a cluster: the service's, and the storage node's. */
export type ClusterMsg = ZkServerMsg | StorageMsg;

/** The node id of the storage node. */
export const STORAGE_NODE = "store";

/** Paxos settings for the service: ZooKeeper-like timing (tick 2 s is ZooKeeper's default; ours is shorter). */
export const ZK_PAXOS_DEFAULTS: PaxosConfigInput = {
  heartbeatUs: 50_000,
  electionTimeoutUsMin: 300_000,
  electionTimeoutUsMax: 600_000,
  pipelineWindow: 64,
  snapshotEvery: 2_000,
};

export function buildZkCluster(options: ZkClusterOptions): ZkCluster {
  const servers = Array.from({ length: options.serverCount }, (_, i) => `s${i + 1}`);
  const clients = options.clients.map((_, i) => `c${i + 1}`);
  const paxos = paxosConfigSchema.parse({ ...ZK_PAXOS_DEFAULTS, ...options.paxos });
  const history: ClientHistoryEntry[] = [];
  let clock: () => number = () => 0;
  const keep = options.history ?? true;
  const remember = (entry: ClientHistoryEntry): void => {
    if (!keep) return;
    if (history.length >= HISTORY_MAX) history.splice(0, HISTORY_MAX / 2);
    history.push(entry);
  };
  const serverOptions = {
    paxos,
    servers,
    tickMs: options.tickMs ?? 500,
    extendedTypesEnabled: options.extendedTypesEnabled ?? false,
    reapIntervalMs: options.reapIntervalMs ?? 5_000,
    ...(options.bugs === undefined || options.bugs.length === 0 ? {} : { bugs: options.bugs }),
  };
  const storage = options.storage;
  const sim = new Simulation<ClusterMsg>({
    config: { ...options.engine, nodes: [...servers, ...clients, ...(storage === undefined ? [] : [STORAGE_NODE])] },
    createNode: (id) => {
      if (storage !== undefined && id === STORAGE_NODE) return new StorageNode(storage);
      const clientIndex = clients.indexOf(id);
      if (clientIndex < 0) return new ZkServer(serverOptions);
      const spec = options.clients[clientIndex] as ZkClientSpec;
      return new ZkClient({
        servers,
        firstServer: spec.server ?? clientIndex % servers.length,
        sessionTimeoutMs: spec.sessionTimeoutMs ?? 4 * serverOptions.tickMs,
        workload: spec.workload,
        record: (record) => remember({ kind: "complete", atUs: clock(), record }),
        invoked: (record) => remember({ kind: "invoke", atUs: clock(), record }),
        notified: (event) => remember({ kind: "event", atUs: clock(), event }),
        ...(storage === undefined ? {} : { storage: STORAGE_NODE }),
        ...(options.bugs === undefined || options.bugs.length === 0 ? {} : { bugs: options.bugs }),
      });
    },
    ...(options.trace === undefined ? {} : { trace: options.trace }),
  });
  clock = () => sim.nowUs;
  return {
    sim,
    servers,
    clients,
    /** The completions of `history`, in order. */
    get records() {
      return history.flatMap((entry) => (entry.kind === "complete" ? [entry.record] : []));
    },
    history,
    server: (id) => {
      const node = sim.nodeObject(id);
      return node instanceof ZkServer ? node : null;
    },
    storage: () => {
      const node = storage === undefined ? null : sim.nodeObject(STORAGE_NODE);
      return node instanceof StorageNode ? node : null;
    },
  };
}
