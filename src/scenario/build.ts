import { buildZkCluster, type Workload, type ZkClientSpec, type ZkCluster } from "../client/index.ts";
import { LogServer, PAXOS_BUGS, paxosConfigSchema, serverIds, type LogServerMsg, type PaxosConfig, type PaxosBug, type PaxosConfigInput, type ScheduledProposal } from "../paxos/index.ts";
import { BUGGIFY_ACTIVATE_PER_MILLION_DEFAULT, BUGGIFY_FIRE_PER_MILLION_DEFAULT, BUGGIFY_POINT_NAMES, InputError, Simulation, type BuggifyConfig, type EngineConfigInput, type Fault, type NodeId, type ScheduledFault, type TraceLevel, type TraceSink } from "../sim/index.ts";
import { ZK_BUGS, ZkServer, type ZkBug } from "../zk/index.ts";
import { lineOf, ScenarioError } from "./parse.ts";
import { ALWAYS_LIVE, type CheckName, type FaultEntry, type Scenario } from "./schema.ts";
import { makeWorkload } from "./workloads.ts";

/**
 * A scenario turned into a simulation, ready to run: the first of the four
 * steps a scenario run takes (build, observe, judge, report), which the
 * command line, the searches and the viewer share. The simulation is not
 * run here; `runTo` runs it, applying live entries (faults aimed at
 * "leader", `live: true`, and the kinds that are always live) when their
 * time comes.
 */
export interface ScenarioSimulation {
  readonly scenario: Scenario;
  readonly seed: number;
  readonly servers: readonly NodeId[];
  readonly paxos: PaxosConfig;
  /** The checks to judge: the scenario's (or its system's defaults), with `workloads` for ZooKeeper. */
  readonly checks: readonly CheckName[];
  /** After this point no more faults come: liveness is judged from it (an entry applied now moves it, unless the scenario sets `calm`). */
  readonly calmUs: number;
  /** How long a request (or a recipe) may wait after the calm point. */
  readonly livenessBoundUs: number;
  readonly sim: Simulation<unknown>;
  /** The ZooKeeper cluster (null for a bare Paxos scenario). */
  readonly cluster: ZkCluster | null;
  /**
   * Runs every event at or before `untilUs` (at most the scenario's
   * duration), and each live entry once every event due at its instant has
   * run (those the entries before it at that instant caused included).
   */
  runTo(untilUs: number, progress?: (nowUs: number, events: number) => void): Promise<void>;
  /** Runs at most `count` events (to the scenario's duration), applying live entries as they fall due between them; returns how many ran. */
  runEvents(count: number): Promise<number>;
  /**
   * Applies an entry now, as a live entry at this instant would be: every
   * event due now, and every live entry due, runs first. `index` is its
   * place among the scenario's faults, for errors. Throws InputError (and
   * changes nothing) when it cannot apply: a message not in flight, say.
   */
  applyNow(entry: FaultEntry, index: number): Promise<void>;
  /** The instant of the next live entry not applied yet, if any. */
  nextLiveUs(): number | undefined;
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
  /** The scenario's file and text: a live entry that cannot apply is then reported at its line. */
  readonly origin?: { readonly file: string; readonly source: string };
  /** The clients' workloads in place of the scenario's, c1 first (a property test's own code): one per client. */
  readonly workloads?: readonly Workload[];
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
  let calmUs = scenario.calm ?? lastFaultUs;
  const level: TraceLevel = options.traceLevel ?? (options.traceSink === undefined ? "summary" : "full");
  const trace = { level, ...(options.traceSink === undefined ? {} : { sink: options.traceSink }), meta: { scenario: scenario.name, ...options.traceMeta } };
  const engine: Omit<EngineConfigInput, "nodes"> = {
    seed,
    network: networkOf(scenario),
    disk: { syncLatencyUs: scenario.disk?.sync ?? 100 },
    faults: staticFaults,
    ...(scenario.nemesis === undefined ? {} : { nemesis: nemesisOf(scenario, servers) }),
    ...(scenario.buggify === undefined ? {} : { buggify: buggifyOf(scenario.buggify) }),
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
      clients: clientSpecs(scenario, options.workloads),
      paxos: paxosInput(scenario),
      ...(scenario.servers.tick === undefined ? {} : { tickMs: scenario.servers.tick / 1_000 }),
      extendedTypesEnabled: true,
      ...(scenario.storage === undefined ? {} : { storage: scenario.storage }),
      ...zkBugsOf(scenario),
      trace,
    });
    sim = cluster.sim as Simulation<unknown>;
  }

  const leader = (): NodeId | null => servers.find((id) => leaderOf(sim, id)) ?? null;
  const durationUs = scenario.duration;
  let lastProgressUs = 0;
  let nextLive = 0;
  const live = [...dynamicFaults].sort((a, b) => a.atUs - b.atUs); // stable: entries at one instant keep their order
  /** Applies one live entry now; whoever leads now takes a leader-aimed one (none when no one leads). */
  const apply = (entry: LiveFault): void => {
    const target = leader();
    if (entry.aimsAtLeader && target === null) return;
    sim.inject(entry.make(target ?? ""));
  };
  /** Applies a due live entry, naming its place in the scenario when it cannot apply. */
  const applyDue = (entry: LiveFault): void => {
    try {
      apply(entry);
    } catch (error) {
      throw error instanceof InputError ? entryError(error, entry, sim.nowUs, options.origin) : error;
    }
  };
  /** Every event at or before `stopUs`, reporting progress every virtual second. */
  const runEventsTo = async (stopUs: number, progress?: (nowUs: number, events: number) => void): Promise<void> => {
    do {
      await sim.runAsync({ untilUs: Math.min(stopUs, sim.nowUs + PROGRESS_EVERY_US) });
      if (progress !== undefined && sim.nowUs - lastProgressUs >= PROGRESS_EVERY_US) {
        lastProgressUs = sim.nowUs;
        progress(sim.nowUs, sim.statsSnapshot().processed);
      }
    } while (sim.nowUs < stopUs);
  };
  const runTo = async (untilUs: number, progress?: (nowUs: number, events: number) => void): Promise<void> => {
    const endUs = Math.min(untilUs, durationUs);
    for (;;) {
      // Run to the next stop: a live entry, or the end; then apply the entry, and go on.
      const due = live[nextLive];
      if (due === undefined || due.atUs > endUs) return runEventsTo(Math.max(endUs, sim.nowUs), progress);
      await runEventsTo(Math.max(due.atUs, sim.nowUs), progress);
      nextLive++;
      applyDue(due);
    }
  };
  const runEvents = async (count: number): Promise<number> => {
    let ran = 0;
    while (ran < count) {
      const due = live[nextLive];
      const stopUs = Math.max(sim.nowUs, due === undefined ? durationUs : Math.min(due.atUs, durationUs));
      const step = await sim.runAsync({ untilUs: stopUs, eventsMax: count - ran });
      ran += step.events;
      if (step.reason !== "time") return ran; // `count` events ran
      if (due === undefined || due.atUs > stopUs) return ran; // the end of the scenario
      nextLive++;
      applyDue(due);
    }
    return ran;
  };
  const applyNow = async (entry: FaultEntry, index: number): Promise<void> => {
    await runTo(sim.nowUs);
    apply(liveFault(entry, index));
    if (scenario.calm === undefined) calmUs = Math.max(calmUs, sim.nowUs);
  };
  return {
    scenario,
    seed,
    servers,
    paxos,
    checks,
    get calmUs() {
      return calmUs;
    },
    livenessBoundUs: zkLivenessBoundUs(scenario, paxos.electionTimeoutUsMax),
    sim,
    cluster,
    runTo,
    runEvents,
    applyNow,
    nextLiveUs: () => live[nextLive]?.atUs,
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
    ...(s.bugs === undefined ? {} : { bugs: s.bugs.filter(isPaxosBug) }),
  };
}

function isPaxosBug(bug: string): bug is PaxosBug {
  return (PAXOS_BUGS as readonly string[]).includes(bug);
}

/** The service's bugs (ZK_BUGS) among the scenario's `servers.bugs`; the rest are the Paxos zoo's. */
function zkBugsOf(scenario: Scenario): { bugs?: ZkBug[] } {
  const bugs = (scenario.servers.bugs ?? []).filter((bug): bug is ZkBug => (ZK_BUGS as readonly string[]).includes(bug));
  return bugs.length === 0 ? {} : { bugs };
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

/** An entry applied when the run reaches its instant, after every event due then. */
interface LiveFault {
  readonly atUs: number;
  /** Its place among the scenario's faults (for errors). */
  readonly index: number;
  readonly entry: FaultEntry;
  readonly aimsAtLeader: boolean;
  readonly make: (leader: NodeId) => Fault;
}

/** Faults at fixed nodes go to the engine's schedule; live ones (aimed at "leader", `live: true`, or always live) are applied when their time comes. */
function splitFaults(entries: readonly FaultEntry[]): { staticFaults: ScheduledFault[]; dynamicFaults: LiveFault[] } {
  const staticFaults: ScheduledFault[] = [];
  const dynamicFaults: LiveFault[] = [];
  entries.forEach((e, index) => {
    const fault = liveFault(e, index);
    if (fault.aimsAtLeader || e.live === true || ALWAYS_LIVE.some((kind) => e[kind as keyof FaultEntry] !== undefined)) dynamicFaults.push(fault);
    else staticFaults.push({ atUs: e.at, fault: fault.make("") });
  });
  return { staticFaults, dynamicFaults };
}

function liveFault(entry: FaultEntry, index: number): LiveFault {
  const target = entry.crash ?? entry.restart ?? entry.pause ?? entry.resume ?? entry.isolate ?? entry.skew?.node;
  return { atUs: entry.at, index, entry, aimsAtLeader: target === "leader", make: faultMaker(entry) };
}

/** A live entry that could not apply, at its place in the scenario (its line, when the file is known). */
function entryError(error: InputError, entry: LiveFault, nowUs: number, origin: BuildOptions["origin"]): Error {
  const why = error.problems.map((p) => p.message).join("; ");
  const message = `cannot apply this fault at ${formatInstant(nowUs)}: ${why}`;
  const path = `faults[${entry.index}]`;
  if (origin === undefined) return new InputError("scenario", [{ path, message }]);
  return new ScenarioError(origin.file, [{ line: lineOf(origin.source, ["faults", entry.index]), path, message }]);
}

/** An instant as a person reads it, and as a scenario file writes it: "2.419449s". */
function formatInstant(us: number): string {
  return `${us / 1_000_000}s`;
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
  if (e.drop !== undefined) return () => ({ type: "drop", message: e.drop as number });
  if (e.duplicate !== undefined) return () => ({ type: "duplicate", message: e.duplicate as number });
  if (e.delay !== undefined) {
    const delay = e.delay;
    return () => ({ type: "delay", message: delay.message, byUs: delay.by });
  }
  if (e.request !== undefined) {
    const { client, ...request } = e.request;
    return () => ({ type: "request", node: client, request });
  }
  const network = e.network ?? {};
  return () => ({
    type: "network",
    ...(network.latency === undefined ? {} : { latency: latencyOf(network.latency) }),
    ...(network.loss === undefined ? {} : { loss: network.loss }),
    ...(network.duplication === undefined ? {} : { duplication: network.duplication }),
  });
}

function clientSpecs(scenario: Scenario, workloads: readonly Workload[] | undefined): ZkClientSpec[] {
  const specs: ZkClientSpec[] = [];
  for (const group of scenario.clients ?? []) {
    for (let index = 0; index < group.count; index++) {
      specs.push({
        ...(group.server === undefined ? {} : { server: group.server % scenario.servers.count }),
        ...(group.sessionTimeout === undefined ? {} : { sessionTimeoutMs: group.sessionTimeout / 1_000 }),
        workload: workloads?.[specs.length] ?? makeWorkload(group.workload, { index, count: group.count }),
      });
    }
  }
  if (workloads !== undefined && workloads.length !== specs.length) throw new Error(`${workloads.length} workloads given for ${specs.length} clients`);
  return specs;
}


/** A scenario's fault points as the engine takes them: the names, and the rates in parts per million. */
function buggifyOf(buggify: NonNullable<Scenario["buggify"]>): BuggifyConfig {
  const perMillion = (rate: number | undefined, otherwise: number) => (rate === undefined ? otherwise : Math.round(rate * 1_000_000));
  return {
    points: buggify.points === "all" ? [...BUGGIFY_POINT_NAMES] : [...buggify.points],
    activatePerMillion: perMillion(buggify.activate, BUGGIFY_ACTIVATE_PER_MILLION_DEFAULT),
    firePerMillion: perMillion(buggify.fire, BUGGIFY_FIRE_PER_MILLION_DEFAULT),
  };
}
