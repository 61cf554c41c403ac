import { buildZkCluster, type ZkClientSpec, type ZkCluster } from "../client/index.ts";
import { checkRecipeProgress, checkRecipes, checkRequestsAnswered, checkZkGuarantees, type GuaranteeResult, type NoteRecord, type ZkChange, type ZkHistory } from "../check/index.ts";
import { LogServer, paxosConfigSchema, PaxosChecker, PaxosLiveness, serverIds, type LogServerMsg, type PaxosConfigInput, type PaxosViolation, type ScheduledProposal } from "../paxos/index.ts";
import { Simulation, type EngineConfigInput, type Fault, type NodeId, type ScheduledFault, type TraceEvent, type TraceSink, type TraceLevel } from "../sim/index.ts";
import { ZkServer } from "../zk/index.ts";
import { zkHistoryOf } from "./history.ts";
import type { CheckName, FaultEntry, Scenario } from "./schema.ts";
import { makeWorkload } from "./workloads.ts";

/**
 * Runs a scenario: builds the simulation it describes, runs it with the
 * checkers watching, and reports. The report is a pure function of the
 * scenario and the seed (wall-clock figures are the caller's to add).
 */

export interface RunOptions {
  /** Overrides the scenario's seed. */
  readonly seed?: number;
  /** Where the full trace goes (level full); without it the run keeps a digest only. */
  readonly traceSink?: TraceSink;
  /** Extra trace header fields (the CLI records the scenario file for replay). */
  readonly traceMeta?: Record<string, unknown>;
  /** Receives the clients' history after the run (ZooKeeper scenarios), e.g. to write it for zksim check. */
  readonly onHistory?: (history: ZkHistory) => void;
  /** Called now and then with the virtual time reached and the events so far. */
  readonly progress?: (nowUs: number, events: number) => void;
}

export interface CheckReport {
  /** A check of the scenario (or one guarantee or invariant it expands to). */
  readonly name: string;
  /** The scenario check it belongs to. */
  readonly group: CheckName;
  readonly holds: boolean;
  /** The first violation, in words (with its virtual time when known). */
  readonly detail: string | null;
}

export interface ScenarioReport {
  readonly name: string;
  readonly system: "zookeeper" | "paxos";
  readonly seed: number;
  readonly expect: string;
  /** Whether the checks came out as `expect` says. */
  readonly matched: boolean;
  readonly checks: readonly CheckReport[];
  readonly operations: { readonly ok: number; readonly failed: number; readonly unknown: number };
  /** Virtual latency of completed operations, µs (null when there were none). */
  readonly latencyUs: { readonly p50: number; readonly p90: number; readonly p99: number; readonly max: number } | null;
  readonly messages: Readonly<Record<string, number>>;
  readonly leaderChanges: number;
  /** Client sessions that learned they expired (ZooKeeper scenarios). */
  readonly sessionsExpired: number;
  /** Periods with no leader, after the first election. */
  readonly leaderless: { readonly count: number; readonly totalUs: number; readonly longestUs: number };
  readonly digest: string | null;
  readonly events: number;
  readonly endUs: number;
}

const DEFAULT_CHECKS: Readonly<Record<Scenario["system"], readonly CheckName[]>> = {
  paxos: ["paxos-safety", "paxos-liveness"],
  zookeeper: ["paxos-safety", "replica-agreement", "zk-guarantees", "recipes", "zk-liveness"],
};
const LIVENESS_BOUND_US = 3_000_000;
const PROGRESS_EVERY_US = 1_000_000;

export async function runScenario(scenario: Scenario, options: RunOptions = {}): Promise<ScenarioReport> {
  const seed = options.seed ?? scenario.seed;
  const servers = serverIds(scenario.servers.count);
  const paxos = paxosConfigSchema.parse(paxosInput(scenario));
  // A workload that threw is a failed run whatever else the scenario asks for.
  const listed = scenario.checks ?? DEFAULT_CHECKS[scenario.system];
  const checks: readonly CheckName[] = scenario.system === "zookeeper" && !listed.includes("workloads") ? [...listed, "workloads"] : listed;
  const { staticFaults, dynamicFaults } = splitFaults(scenario.faults ?? []);
  const lastFaultUs = Math.max(0, ...(scenario.faults ?? []).map((f) => f.at), scenario.nemesis?.until ?? 0);
  const calmUs = scenario.calm ?? lastFaultUs;
  const level: TraceLevel = options.traceSink === undefined ? "summary" : "full";
  const trace = { level, ...(options.traceSink === undefined ? {} : { sink: options.traceSink }), meta: { scenario: scenario.name, ...options.traceMeta } };
  const engine: Omit<EngineConfigInput, "nodes"> = {
    seed,
    network: networkOf(scenario),
    disk: { syncLatencyUs: scenario.disk?.sync ?? 100 },
    faults: staticFaults,
    ...(scenario.nemesis === undefined ? {} : { nemesis: nemesisOf(scenario, servers) }),
  };

  // What the observers collect while the run goes.
  const checker = new PaxosChecker(servers);
  const paxosViolations: PaxosViolation[] = [];
  // Progress is due within 20 election timeouts of the calm point (at most 3 s).
  const livenessBoundUs = Math.min(LIVENESS_BOUND_US, 20 * paxos.electionTimeoutUsMax);
  const liveness = new PaxosLiveness(servers, calmUs, livenessBoundUs);
  const messages = new Map<string, number>();
  const notes: NoteRecord[] = [];
  const digests = new Map<number, string>();
  /** The committed log's watch triggers, from the first replica to apply each zxid. */
  const changes: ZkChange[] = [];
  let agreement: string | null = null;
  const leaders = new Set<NodeId>();
  /** Nodes crashed or paused, since when; and the spans they were away (liveness does not judge a client's requests then). */
  const awaySince = new Map<NodeId, number>();
  const absences: { node: NodeId; fromUs: number; toUs: number }[] = [];
  let leaderChanges = 0;
  let leaderlessSince: number | null = null;
  const leaderless = { count: 0, totalUs: 0, longestUs: 0 };
  let everLed = false;
  const endLeaderless = (t: number) => {
    if (leaderlessSince === null) return;
    const span = t - leaderlessSince;
    leaderless.count++;
    leaderless.totalUs += span;
    leaderless.longestUs = Math.max(leaderless.longestUs, span);
    leaderlessSince = null;
  };
  const observe = (event: TraceEvent, report: (v: PaxosViolation) => void): void => {
    if (event.type === "send") {
      const type = typeof event.msg === "object" && event.msg !== null && "type" in event.msg ? String((event.msg as { type: unknown }).type) : "?";
      messages.set(type, (messages.get(type) ?? 0) + 1);
      return;
    }
    if (event.type === "violation") return;
    if (event.type === "note") {
      notes.push({ node: event.node, t: event.t, kind: event.kind, data: event.data });
      if (event.kind === "role") {
        const role = (event.data as { role: string }).role;
        if (role === "leader") {
          leaders.add(event.node);
          leaderChanges++;
          everLed = true;
          endLeaderless(event.t);
        } else if (leaders.delete(event.node) && leaders.size === 0) leaderlessSince = event.t;
      }
      if (event.kind === "zk-apply") {
        const { zxid, digest, changes: triggers } = event.data as { zxid: number; digest: string; changes?: readonly (readonly string[])[] };
        const known = digests.get(zxid);
        if (known === undefined) {
          digests.set(zxid, digest);
          for (const [type, path, acl] of triggers ?? []) changes.push({ zxid, type: type as ZkChange["type"], path: path as string, restricted: acl !== undefined });
        }
        else if (known !== digest && agreement === null) agreement = `at ${event.t} µs ${event.node} applied zxid ${zxid} with tree digest ${digest}; another replica had ${known}`;
      }
    }
    if (event.type === "fault" && (event.fault.type === "crash" || event.fault.type === "pause")) {
      if (leaders.delete(event.fault.node) && leaders.size === 0 && everLed) leaderlessSince = event.t;
      if (!awaySince.has(event.fault.node)) awaySince.set(event.fault.node, event.t);
    }
    if (event.type === "fault" && (event.fault.type === "restart" || event.fault.type === "resume")) {
      const since = awaySince.get(event.fault.node);
      awaySince.delete(event.fault.node);
      if (since !== undefined) absences.push({ node: event.fault.node, fromUs: since, toUs: event.t });
    }
    liveness.observe(event);
    for (const v of checker.observe(event)) report(v);
  };

  let cluster: ZkCluster | null = null;
  let sim: Simulation<LogServerMsg> | ZkCluster["sim"];
  if (scenario.system === "paxos") {
    const proposals: ScheduledProposal[] = (scenario.proposals?.at ?? []).map((p, i) => ({ node: p.node, atUs: p.at, value: `v${i + 1}` }));
    const paxosSim = new Simulation<LogServerMsg>({
      config: { ...engine, nodes: servers },
      createNode: () => new LogServer({ paxos, peers: servers, proposeEveryUs: scenario.proposals?.every ?? 0, proposals }),
      trace,
    });
    sim = paxosSim;
  } else {
    const clients = clientSpecs(scenario);
    cluster = buildZkCluster({
      engine,
      serverCount: scenario.servers.count,
      clients,
      paxos: paxosInput(scenario),
      ...(scenario.servers.tick === undefined ? {} : { tickMs: scenario.servers.tick / 1_000 }),
      extendedTypesEnabled: true,
      ...(scenario.storage === undefined ? {} : { storage: scenario.storage }),
      trace,
    });
    sim = cluster.sim;
  }
  const theSim = sim as Simulation<unknown>;
  theSim.subscribe((event) =>
    observe(event, (v) => {
      paxosViolations.push(v);
      theSim.reportViolation(v.check, v.message, v.data, v.causes);
    }),
  );

  // Run, stopping at each fault aimed at "leader" to find who leads then.
  const stops = [...dynamicFaults.map((f) => f.atUs), scenario.duration].sort((a, b) => a - b);
  let lastProgressUs = 0;
  for (const untilUs of stops) {
    while (theSim.nowUs < untilUs) {
      const stepUs = Math.min(untilUs, theSim.nowUs + PROGRESS_EVERY_US);
      await theSim.runAsync({ untilUs: stepUs });
      if (options.progress !== undefined && theSim.nowUs - lastProgressUs >= PROGRESS_EVERY_US) {
        lastProgressUs = theSim.nowUs;
        options.progress(theSim.nowUs, theSim.statsSnapshot().processed);
      }
    }
    for (const dynamic of dynamicFaults.filter((f) => f.atUs === untilUs)) {
      const leader = servers.find((id) => leaderOf(theSim, id));
      if (leader !== undefined) theSim.inject(dynamic.make(leader));
    }
  }
  if (leaderlessSince !== null) endLeaderless(theSim.nowUs);
  // The clients' history, converted once for the guarantees and the caller.
  const zkHistory = cluster === null ? null : zkHistoryOf(cluster.history, [...changes].sort((a, b) => a.zxid - b.zxid));
  if (zkHistory !== null && options.onHistory !== undefined) options.onHistory(zkHistory);

  // Judge.
  const reports: CheckReport[] = [];
  let guarantees: GuaranteeResult[] | undefined;
  for (const group of checks) {
    switch (group) {
      case "paxos-safety": {
        const first = paxosViolations[0];
        reports.push({ name: "paxos-safety", group, holds: first === undefined, detail: first === undefined ? null : `${first.check}: ${first.message} (at ${first.t} µs)` });
        break;
      }
      case "paxos-liveness": {
        const verdict = liveness.verdict(theSim.nowUs, (id) => theSim.status(id) === "running");
        reports.push({ name: "paxos-liveness", group, holds: verdict.held, detail: verdict.held ? null : verdict.message });
        break;
      }
      case "replica-agreement":
        reports.push({ name: "replica-agreement", group, holds: agreement === null, detail: agreement });
        break;
      case "zk-guarantees":
      case "linearizable-reads": {
        if (zkHistory === null) break;
        // One pass over the history serves both checks: reads-linearizable belongs to linearizable-reads.
        guarantees ??= checkZkGuarantees(zkHistory, { linearizableReads: checks.includes("linearizable-reads"), stepsMax: 20_000_000 });
        for (const r of guarantees) {
          if ((r.name === "reads-linearizable") !== (group === "linearizable-reads")) continue;
          reports.push({ name: r.name, group, holds: r.holds, detail: r.violations[0] ?? null });
        }
        break;
      }
      case "recipes":
        for (const r of checkRecipes(notes)) reports.push({ name: r.name, group, holds: r.holds, detail: r.violations[0] ?? null });
        break;
      case "zk-liveness": {
        if (zkHistory === null) break;
        const away = [...absences, ...[...awaySince].map(([node, fromUs]) => ({ node, fromUs, toUs: theSim.nowUs }))];
        const progress = { calmUs, boundUs: zkLivenessBoundUs(scenario, paxos.electionTimeoutUsMax), endUs: theSim.nowUs, absences: away };
        const answered = checkRequestsAnswered(zkHistory, progress);
        reports.push({ name: answered.name, group, holds: answered.holds, detail: answered.violations[0] ?? null });
        for (const r of checkRecipeProgress(notes, progress)) reports.push({ name: r.name, group, holds: r.holds, detail: r.violations[0] ?? null });
        break;
      }
      case "workloads": {
        const failed = notes.filter((n) => n.kind === "workload-failed");
        const first = failed[0];
        const detail = first === undefined ? null : `${first.node}'s workload failed at ${first.t} µs: ${String((first.data as { error?: unknown }).error)}${failed.length > 1 ? ` (and ${failed.length - 1} more)` : ""}`;
        reports.push({ name: "workloads", group, holds: first === undefined, detail });
        break;
      }
      default: {
        const unknown: never = group;
        throw new Error(`unknown check ${String(unknown)}`);
      }
    }
  }
  const summary = theSim.finish();
  const failed = (name: string) => reports.some((r) => !r.holds && (r.name === name || r.group === name));
  const matched = scenario.expect === "pass" ? reports.every((r) => r.holds) : failed(scenario.expect);
  const { operations, latencyUs } = cluster === null ? paxosFigures(notes) : clientFigures(cluster);
  return {
    name: scenario.name,
    system: scenario.system,
    seed,
    expect: scenario.expect,
    matched,
    checks: reports,
    operations,
    latencyUs,
    messages: Object.fromEntries([...messages].sort((a, b) => b[1] - a[1])),
    leaderChanges,
    sessionsExpired: cluster === null ? 0 : cluster.history.filter((e) => e.kind === "event" && e.event.state === "Expired").length,
    leaderless,
    digest: summary.digest,
    events: summary.events,
    endUs: summary.endUs,
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

function clientFigures(cluster: ZkCluster): Pick<ScenarioReport, "operations" | "latencyUs"> {
  const operations = { ok: 0, failed: 0, unknown: 0 };
  const latencies: number[] = [];
  const invoked = new Map<object, number>();
  for (const entry of cluster.history) {
    if (entry.kind === "invoke") invoked.set(entry.record, entry.atUs);
    if (entry.kind !== "complete") continue;
    const reply = entry.record.reply;
    if (reply === null || (!reply.ok && (reply.err === "ConnectionLoss" || reply.err === "SessionExpired"))) operations.unknown++;
    else if (reply.ok) operations.ok++;
    else operations.failed++;
    const start = invoked.get(entry.record);
    if (start !== undefined) latencies.push(entry.atUs - start);
  }
  for (const record of invoked.keys()) if ((record as { reply: unknown }).reply === null) operations.unknown++;
  return { operations, latencyUs: percentiles(latencies) };
}

/** A Paxos scenario's operations are its log commands: chosen ones are ok. */
function paxosFigures(notes: readonly NoteRecord[]): Pick<ScenarioReport, "operations" | "latencyUs"> {
  const outcomes = notes.filter((n) => n.kind === "outcome");
  const chosen = outcomes.filter((n) => (n.data as { outcome?: string }).outcome === "chosen");
  const latencies = chosen.map((n) => (n.data as { latencyUs?: number }).latencyUs ?? 0);
  return { operations: { ok: chosen.length, failed: 0, unknown: outcomes.length - chosen.length }, latencyUs: percentiles(latencies) };
}

function percentiles(values: number[]): ScenarioReport["latencyUs"] {
  if (values.length === 0) return null;
  values.sort((a, b) => a - b);
  const at = (q: number) => values[Math.min(values.length - 1, Math.floor(q * values.length))] as number;
  return { p50: at(0.5), p90: at(0.9), p99: at(0.99), max: values[values.length - 1] as number };
}
