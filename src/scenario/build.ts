import { buildZkCluster, type ZkClientSpec, type ZkCluster } from "../client/index.ts";
import { LogServer, paxosConfigSchema, serverIds, type LogServerMsg, type PaxosConfig, type PaxosConfigInput, type ScheduledProposal } from "../paxos/index.ts";
import { Simulation, type EngineConfigInput, type Fault, type NodeId, type ScheduledFault, type TraceLevel, type TraceSink } from "../sim/index.ts";
import { ZkServer } from "../zk/index.ts";
import type { CheckName, FaultEntry, Scenario } from "./schema.ts";
import { makeWorkload } from "./workloads.ts";

/**
 * A scenario turned into a simulation, ready to run: the first of the four
 * steps a scenario run takes (build, observe, judge, report), which the
 * command line, the searches and the viewer share. The simulation is not
 * run here; `runTo` runs it, resolving faults aimed at "leader" when their
 * time comes.
 */
export interface ScenarioSimulation {
  readonly scenario: Scenario;
  readonly seed: number;
  readonly servers: readonly NodeId[];
  readonly paxos: PaxosConfig;
  /** The checks to judge: the scenario's (or its system's defaults), with `workloads` for ZooKeeper. */
  readonly checks: readonly CheckName[];
  /** After this point no more faults come: liveness is judged from it. */
  readonly calmUs: number;
  /** How long a request (or a recipe) may wait after the calm point. */
  readonly livenessBoundUs: number;
  readonly sim: Simulation<unknown>;
  /** The ZooKeeper cluster (null for a bare Paxos scenario). */
  readonly cluster: ZkCluster | null;
  /** Runs until `untilUs` (at most the scenario's duration), applying leader-aimed faults at their times. */
  runTo(untilUs: number, progress?: (nowUs: number, events: number) => void): Promise<void>;
  /** The server that leads now, if any. */
  leader(): NodeId | null;
}

export interface BuildOptions {
  /** Overrides the scenario's seed. */
  readonly seed?: number;
  /** Trace level: "full" writes every event to `sink`; "summary" keeps the digest only. */
  readonly traceLevel?: TraceLevel;
  readonly traceSink?: TraceSink;
  /** Extra trace header fields (the CLI records the scenario's file and source for replay). */
  readonly traceMeta?: Record<string, unknown>;
}

const DEFAULT_CHECKS: Readonly<Record<Scenario["system"], readonly CheckName[]>> = {
  paxos: ["paxos-safety", "paxos-liveness"],
  zookeeper: ["paxos-safety", "replica-agreement", "zk-guarantees", "recipes", "zk-liveness"],
};
const PROGRESS_EVERY_US = 1_000_000;

export function buildScenario(scenario: Scenario, options: BuildOptions = {}): ScenarioSimulation {
  const seed = options.seed ?? scenario.seed;
  const servers = serverIds(scenario.servers.count);
  const paxos = paxosConfigSchema.parse(paxosInput(scenario));
  // A workload that threw is a failed run whatever else the scenario asks for.
  const listed = scenario.checks ?? DEFAULT_CHECKS[scenario.system];
  const checks: readonly CheckName[] = scenario.system === "zookeeper" && !listed.includes("workloads") ? [...listed, "workloads"] : listed;
  const { staticFaults, dynamicFaults } = splitFaults(scenario.faults ?? []);
  const lastFaultUs = Math.max(0, ...(scenario.faults ?? []).map((f) => f.at), scenario.nemesis?.until ?? 0);
  const calmUs = scenario.calm ?? lastFaultUs;
  const level: TraceLevel = options.traceLevel ?? (options.traceSink === undefined ? "summary" : "full");
  const trace = { level, ...(options.traceSink === undefined ? {} : { sink: options.traceSink }), meta: { scenario: scenario.name, ...options.traceMeta } };
  const engine: Omit<EngineConfigInput, "nodes"> = {
    seed,
    network: networkOf(scenario),
    disk: { syncLatencyUs: scenario.disk?.sync ?? 100 },
    faults: staticFaults,
    ...(scenario.nemesis === undefined ? {} : { nemesis: nemesisOf(scenario, servers) }),
  };

  let cluster: ZkCluster | null = null;
  let sim: Simulation<unknown>;
  if (scenario.system === "paxos") {
    const proposals: ScheduledProposal[] = (scenario.proposals?.at ?? []).map((p, i) => ({ node: p.node, atUs: p.at, value: `v${i + 1}` }));
    sim = new Simulation<LogServerMsg>({
      config: { ...engine, nodes: servers },
      createNode: () => new LogServer({ paxos, peers: servers, proposeEveryUs: scenario.proposals?.every ?? 0, proposals }),
      trace,
    }) as Simulation<unknown>;
  } else {
    cluster = buildZkCluster({
      engine,
      serverCount: scenario.servers.count,
      clients: clientSpecs(scenario),
      paxos: paxosInput(scenario),
      ...(scenario.servers.tick === undefined ? {} : { tickMs: scenario.servers.tick / 1_000 }),
      extendedTypesEnabled: true,
      ...(scenario.storage === undefined ? {} : { storage: scenario.storage }),
      trace,
    });
    sim = cluster.sim as Simulation<unknown>;
  }

  const leader = (): NodeId | null => servers.find((id) => leaderOf(sim, id)) ?? null;
  let lastProgressUs = 0;
  let nextDynamic = 0;
  const dynamic = [...dynamicFaults].sort((a, b) => a.atUs - b.atUs);
  const runTo = async (untilUs: number, progress?: (nowUs: number, events: number) => void): Promise<void> => {
    for (;;) {
      // Run to the next stop: a leader-aimed fault, or `untilUs`, reporting progress every virtual second.
      const due = dynamic[nextDynamic];
      const stopUs = due !== undefined && due.atUs <= untilUs ? due.atUs : untilUs;
      while (sim.nowUs < stopUs) {
        await sim.runAsync({ untilUs: Math.min(stopUs, sim.nowUs + PROGRESS_EVERY_US) });
        if (progress !== undefined && sim.nowUs - lastProgressUs >= PROGRESS_EVERY_US) {
          lastProgressUs = sim.nowUs;
          progress(sim.nowUs, sim.statsSnapshot().processed);
        }
      }
      if (due === undefined || due.atUs > untilUs) return;
      // Whoever leads when a leader-aimed fault is due takes it.
      for (; nextDynamic < dynamic.length && (dynamic[nextDynamic] as DynamicFault).atUs <= sim.nowUs; nextDynamic++) {
        const target = leader();
        if (target !== null) sim.inject((dynamic[nextDynamic] as DynamicFault).make(target));
      }
    }
  };
  return {
    scenario,
    seed,
    servers,
    paxos,
    checks,
    calmUs,
    livenessBoundUs: zkLivenessBoundUs(scenario, paxos.electionTimeoutUsMax),
    sim,
    cluster,
    runTo,
    leader,
  };
}

/**
 * How long a request may wait once the faults stopped (and a recipe for
 * progress): the scenario's `liveness`, or the longest negotiated session
 * timeout (a client learns of a broken connection within it), two election
 * timeouts and a second.
 */
function zkLivenessBoundUs(scenario: Scenario, electionTimeoutUsMax: number): number {
  if (scenario.liveness !== undefined) return scenario.liveness;
  const tickUs = scenario.servers.tick ?? 500_000;
  let sessionUs = 0;
  for (const group of scenario.clients ?? []) {
    const requestedUs = group.sessionTimeout ?? 4 * tickUs;
    sessionUs = Math.max(sessionUs, Math.min(20 * tickUs, Math.max(2 * tickUs, requestedUs)));
  }
  return sessionUs + 2 * electionTimeoutUsMax + 1_000_000;
}

function leaderOf(sim: Simulation<unknown>, id: NodeId): boolean {
  if (sim.status(id) !== "running") return false;
  const node = sim.nodeObject(id);
  if (node instanceof ZkServer) return node.paxos.role === "leader";
  if (node instanceof LogServer) return node.paxos.role === "leader";
  return false;
}

function paxosInput(scenario: Scenario): PaxosConfigInput {
  const s = scenario.servers;
  const zk = scenario.system === "zookeeper";
  return {
    ...(zk ? { heartbeatUs: 50_000, electionTimeoutUsMin: 300_000, electionTimeoutUsMax: 600_000, pipelineWindow: 64, snapshotEvery: 2_000 } : {}),
    ...(s.mode === undefined ? {} : { mode: s.mode }),
    ...(s.heartbeat === undefined ? {} : { heartbeatUs: s.heartbeat }),
    ...(s.electionTimeout === undefined ? {} : { electionTimeoutUsMin: s.electionTimeout[0], electionTimeoutUsMax: s.electionTimeout[1] }),
    ...(s.snapshotEvery === undefined ? {} : { snapshotEvery: s.snapshotEvery }),
    ...(s.snapshotChunkChars === undefined ? {} : { snapshotChunkChars: s.snapshotChunkChars }),
    ...(s.pipelineWindow === undefined ? {} : { pipelineWindow: s.pipelineWindow }),
    ...(s.bugs === undefined ? {} : { bugs: s.bugs }),
  };
}

function networkOf(scenario: Scenario): NonNullable<EngineConfigInput["network"]> {
  const n = scenario.network ?? {};
  const latency = latencyOf(n.latency ?? { kind: "uniform" as const, min: 200, max: 2_000 });
  return { latency, loss: n.loss ?? 0, duplication: n.duplication ?? 0 };
}

/** A scenario's latency distribution in the engine's terms. */
function latencyOf(l: NonNullable<NonNullable<Scenario["network"]>["latency"]>): NonNullable<NonNullable<EngineConfigInput["network"]>["latency"]> {
  return l.kind === "constant"
      ? { kind: "constant" as const, us: l.value }
      : l.kind === "uniform"
        ? { kind: "uniform" as const, minUs: l.min, maxUs: l.max }
        : l.kind === "normal"
          ? { kind: "normal" as const, meanUs: l.mean, stddevUs: l.stddev, minUs: l.min ?? 0, maxUs: l.max ?? l.mean * 4 }
          : { kind: "exponential" as const, minUs: 0, meanUs: Math.max(1, l.mean), capUs: l.max ?? l.mean * 10 };
}

function nemesisOf(scenario: Scenario, servers: readonly NodeId[]): NonNullable<EngineConfigInput["nemesis"]> {
  const n = scenario.nemesis as NonNullable<Scenario["nemesis"]>;
  const kinds = new Set(n.kinds ?? ["crash", "partition"]);
  const on = (kind: string) => (kinds.has(kind as "crash") ? 1 : 0);
  return {
    startUs: 0,
    stopUs: n.until,
    intervalUsMin: Math.max(1, Math.floor(n.every / 2)),
    intervalUsMax: Math.max(1, n.every * 2),
    weights: { crash: on("crash"), restart: on("crash"), pause: on("pause"), resume: on("pause"), partition: on("partition") + on("isolate"), heal: on("partition") + on("isolate"), clock: on("clock") },
    targets: [...servers],
    downMax: Math.floor((servers.length - 1) / 2),
    skewUsMax: kinds.has("clock") ? 2_000_000 : 0,
    driftPpmMax: kinds.has("clock") ? 200_000 : 0,
  };
}

interface DynamicFault {
  readonly atUs: number;
  readonly make: (leader: NodeId) => Fault;
}

/** Faults at fixed nodes go to the engine's schedule; faults aimed at "leader" are resolved when their time comes. */
function splitFaults(entries: readonly FaultEntry[]): { staticFaults: ScheduledFault[]; dynamicFaults: DynamicFault[] } {
  const staticFaults: ScheduledFault[] = [];
  const dynamicFaults: DynamicFault[] = [];
  for (const e of entries) {
    const make = faultMaker(e);
    const target = e.crash ?? e.restart ?? e.pause ?? e.resume ?? e.isolate ?? e.skew?.node;
    if (target === "leader") dynamicFaults.push({ atUs: e.at, make });
    else staticFaults.push({ atUs: e.at, fault: make("") });
  }
  return { staticFaults, dynamicFaults };
}

function faultMaker(e: FaultEntry): (leader: NodeId) => Fault {
  const node = (id: string, leader: NodeId) => (id === "leader" ? leader : id);
  if (e.crash !== undefined) return (l) => ({ type: "crash", node: node(e.crash as string, l) });
  if (e.restart !== undefined) return (l) => ({ type: "restart", node: node(e.restart as string, l) });
  if (e.pause !== undefined) return (l) => ({ type: "pause", node: node(e.pause as string, l) });
  if (e.resume !== undefined) return (l) => ({ type: "resume", node: node(e.resume as string, l) });
  if (e.isolate !== undefined) return (l) => ({ type: "isolate", node: node(e.isolate as string, l) });
  if (e.partition !== undefined) return () => ({ type: "partition", groups: e.partition as string[][] });
  if (e.cut !== undefined) return () => ({ type: "cut", from: e.cut?.from as string, to: e.cut?.to as string, oneWay: e.cut?.oneWay ?? false });
  if (e.heal !== undefined) return () => ({ type: "heal" });
  if (e.skew !== undefined) {
    const skew = e.skew;
    return (l) => ({ type: "clock", node: node(skew.node, l), ...(skew.by === undefined ? {} : { skewUs: skew.by }), ...(skew.driftPpm === undefined ? {} : { driftPpm: skew.driftPpm }) });
  }
  const network = e.network ?? {};
  return () => ({
    type: "network",
    ...(network.latency === undefined ? {} : { latency: latencyOf(network.latency) }),
    ...(network.loss === undefined ? {} : { loss: network.loss }),
    ...(network.duplication === undefined ? {} : { duplication: network.duplication }),
  });
}

function clientSpecs(scenario: Scenario): ZkClientSpec[] {
  const specs: ZkClientSpec[] = [];
  for (const group of scenario.clients ?? []) {
    for (let index = 0; index < group.count; index++) {
      specs.push({
        ...(group.server === undefined ? {} : { server: group.server % scenario.servers.count }),
        ...(group.sessionTimeout === undefined ? {} : { sessionTimeoutMs: group.sessionTimeout / 1_000 }),
        workload: makeWorkload(group.workload, { index, count: group.count }),
      });
    }
  }
  return specs;
}

