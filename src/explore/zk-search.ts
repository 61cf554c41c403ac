import fc from "fast-check";
import { stringify } from "yaml";
import { PAXOS_BUGS, type PaxosBug } from "../paxos/index.ts";
import { ZK_BUGS, type ZkBug } from "../zk/index.ts";
import { MIX_OPERATIONS, parseScenario, runScenario, type ScenarioReport } from "../scenario/index.ts";
import { BUGGIFY_POINT_NAMES, type BuggifyPoint } from "../sim/index.ts";
import { NOT_REPEATED } from "./paxos-search.ts";

/**
 * Random fault schedules against the whole ZooKeeper service, with every
 * checker: Paxos safety, replica agreement, ZooKeeper's guarantees and the
 * lock's invariant. A case is a scenario file: a counterexample comes back
 * shrunk, as YAML that `zksim run` replays.
 */

export const ZK_SEARCH_TIMING = {
  /** Faults happen before this point; then everything is healed. */
  faultsEndMs: 3_000,
  durationMs: 7_000,
} as const;

/** Fault kinds a case may switch on. */
export const ZK_FAULT_KINDS = ["crash", "restart", "pause", "isolate-server", "isolate-client", "skew", "loss", "slow-disk"] as const;
export type ZkFaultKind = (typeof ZK_FAULT_KINDS)[number];

/** How the runs of a search draw their faults and workload: one fixed mix, or each run its own (swarm testing). */
export type ZkMix = "fixed" | "swarm";

/** The bugs a search of the service may plant: the Paxos zoo's and the service's own. */
export const SERVICE_BUGS: readonly ServiceBug[] = [...PAXOS_BUGS, ...ZK_BUGS];
export type ServiceBug = PaxosBug | ZkBug;

export interface ZkCaseFault {
  readonly atMs: number;
  readonly fault: Record<string, unknown>;
}

export interface ZkCase {
  readonly seed: number;
  readonly serverCount: number;
  readonly registerClients: number;
  readonly znodeClients: number;
  readonly lockClients: number;
  /** Clients with many requests in flight (ZooKeeper's asynchronous API), and how many each. */
  readonly pipelineClients: number;
  readonly pipelineInflight: number;
  /** Slots between snapshots: small values make lagging replicas catch up by snapshot. */
  readonly snapshotEvery: number;
  readonly lossPercent: number;
  /** Disk sync latency: long syncs widen the window in which a crash loses an acceptor's unsynced writes. */
  readonly syncUs: number;
  readonly schedule: readonly ZkCaseFault[];
  /** The fault kinds the case was drawn with. */
  readonly kinds: readonly ZkFaultKind[];
  /** Swarm cases: the clients' think time and operation mixes (null: the fixed workload, 15 ms and the workloads' own mixes). */
  readonly workload: ZkSwarmWorkload | null;
  /** The fault points (ctx.buggify) the case enables, at FoundationDB's rates; none when absent or empty. */
  readonly buggify?: readonly BuggifyPoint[];
}

/** What a swarm case draws about its clients besides their number. */
export interface ZkSwarmWorkload {
  /** Think time between a client's operations: short times make many requests concurrent. */
  readonly everyMs: number;
  /** Percent weights of the operations, by workload kind (a kind left out keeps its own mix). */
  readonly mixes: Readonly<Partial<Record<"register" | "znode" | "pipeline", Readonly<Record<string, number>>>>>;
}

export interface ZkSearchOptions {
  /** The first run's fast-check seed: run k uses seed + k. */
  readonly seed: number;
  readonly numRuns: number;
  /** Bugs of the zoos to plant: in the servers' Paxos (PAXOS_BUGS) and in the service (ZK_BUGS). */
  readonly bugs?: readonly ServiceBug[];
  /** How runs draw their faults and workload (default: swarm). */
  readonly mix?: ZkMix;
  /** Fault points: a swarm case enables a random subset of them, a fixed one all (default: off). */
  readonly buggify?: boolean;
}

export interface ZkSearchResult {
  readonly failed: boolean;
  /** Runs until the first failure (or all of them). */
  readonly numRuns: number;
  readonly numShrinks: number;
  /** The failing run's fast-check seed (the first run's when none failed). */
  readonly seed: number;
  /** The failing run's case as drawn, and shrunk. */
  readonly drawn: ZkCase | null;
  readonly counterexample: ZkCase | null;
  /** The failing checks of the shrunk case, in words. */
  readonly failure: string | null;
  /** The shrunk case as a scenario file. */
  readonly yaml: string | null;
  /** The counterexample's run threw (an assertion, an exception in a node): a bug in zksim, not a verdict on the service. */
  readonly internal: boolean;
}

/** How often each fault point a run enabled fired. */
export type ZkFired = Readonly<Partial<Record<BuggifyPoint, number>>>;

export interface ZkRunOptions {
  /** Enable fault points (see zkCaseArbitrary); default off. */
  readonly buggify?: boolean;
  /** Told how often the run's fault points fired, for the run as drawn (not its shrinking steps). */
  readonly fired?: (fired: ZkFired) => void;
}

/** A run that failed: the case as drawn, shrunk, and what the shrunk case breaks. */
export interface ZkRunFailure {
  readonly drawn: ZkCase;
  readonly counterexample: ZkCase;
  readonly failure: string;
  readonly internal: boolean;
  readonly numShrinks: number;
}

/**
 * Cases of a search: one fixed mix of faults and workloads, or (swarm) each
 * case its own. With `buggify`, a swarm case also enables a random subset of
 * the fault points (drawn after everything else, so the rest of the case is
 * the one drawn without them) and a fixed case enables all of them.
 */
export function zkCaseArbitrary(mix: ZkMix = "fixed", buggify = false): fc.Arbitrary<ZkCase> {
  const cases = mix === "fixed" ? fixedCaseArbitrary() : swarmCaseArbitrary();
  if (!buggify) return cases;
  if (mix === "fixed") return cases.map((c): ZkCase => ({ ...c, buggify: BUGGIFY_POINT_NAMES }));
  return cases.chain((c) => fc.subarray([...BUGGIFY_POINT_NAMES]).map((points): ZkCase => ({ ...c, buggify: points })));
}

/**
 * Swarm testing (Groce et al., as FoundationDB and TigerBeetle use it): each
 * case switches on a random subset of the fault kinds and draws each one's
 * weight, the number of faults, the loss and disk latency, and the clients'
 * numbers, think time, pipelining depth and operation mixes. A run with few
 * kinds goes deep into what they do together, where one fixed mix would
 * dilute each kind with all the others.
 */
function swarmCaseArbitrary(): fc.Arbitrary<ZkCase> {
  return fc
    .record({
      kinds: fc.subarray([...ZK_FAULT_KINDS]),
      weights: fc.array(fc.integer({ min: 1, max: 5 }), { minLength: ZK_FAULT_KINDS.length, maxLength: ZK_FAULT_KINDS.length }),
      faultCount: fc.integer({ min: 1, max: 16 }),
      seed: fc.nat(2 ** 31 - 1),
      serverCount: fc.constantFrom(3, 5),
      registerClients: fc.integer({ min: 0, max: 3 }),
      znodeClients: fc.integer({ min: 0, max: 3 }),
      lockClients: fc.integer({ min: 0, max: 3 }),
      pipelineClients: fc.integer({ min: 0, max: 3 }),
      pipelineInflight: fc.integer({ min: 1, max: 32 }),
      snapshotEvery: fc.constantFrom(2_000, 50, 15),
      lossPercent: fc.integer({ min: 1, max: 10 }),
      syncUs: fc.integer({ min: 1_000, max: 30_000 }),
      everyMs: fc.constantFrom(3, 8, 15, 40),
      mixes: fc.record(
        { register: mixArbitrary(MIX_OPERATIONS["register"] ?? []), znode: mixArbitrary(MIX_OPERATIONS["znode"] ?? []), pipeline: mixArbitrary(MIX_OPERATIONS["pipeline"] ?? []) },
        { requiredKeys: [] },
      ),
    })
    .chain(({ kinds, weights, faultCount, everyMs, mixes, ...base }) => {
      // At least one client: a case without any judges nothing about the service.
      const registerClients = base.registerClients + base.znodeClients + base.lockClients + base.pipelineClients === 0 ? 1 : base.registerClients;
      const clientCount = registerClients + base.znodeClients + base.lockClients + base.pipelineClients;
      const on = (kind: ZkFaultKind) => kinds.includes(kind);
      const faults = faultArbitraries(base.serverCount, clientCount).filter((f) => on(f.kind));
      const weighted = faults.map((f) => ({ weight: weights[ZK_FAULT_KINDS.indexOf(f.kind)] ?? 1, arbitrary: f.arbitrary }));
      const scheduled = weighted.length === 0 ? null : fc.record({ atMs: fc.integer({ min: 100, max: ZK_SEARCH_TIMING.faultsEndMs - 1 }), fault: fc.oneof(...weighted) });
      const schedule = scheduled === null ? fc.constant([]) : fc.array(scheduled, { maxLength: faultCount });
      return schedule.map(
        (list): ZkCase => ({
          ...base,
          registerClients,
          lossPercent: on("loss") ? base.lossPercent : 0,
          syncUs: on("slow-disk") ? base.syncUs : 100,
          schedule: [...list].sort((a, b) => a.atMs - b.atMs),
          kinds,
          workload: { everyMs, mixes },
        }),
      );
    });
}

/** The scheduled faults of each kind (loss and slow-disk are not scheduled: they are the case's network and disk). */
function faultArbitraries(serverCount: number, clientCount: number): { kind: ZkFaultKind; arbitrary: fc.Arbitrary<Record<string, unknown>> }[] {
  const server = fc.integer({ min: 1, max: serverCount }).map((i) => `s${i}`);
  const client = fc.integer({ min: 1, max: clientCount }).map((i) => `c${i}`);
  const serverOrLeader = fc.oneof(server, fc.constant("leader"));
  return [
    { kind: "crash", arbitrary: serverOrLeader.map((node) => ({ crash: node })) },
    { kind: "restart", arbitrary: server.map((node) => ({ restart: node })) },
    { kind: "pause", arbitrary: fc.oneof(server.map((node) => ({ pause: node })), server.map((node) => ({ resume: node }))) },
    { kind: "isolate-server", arbitrary: fc.oneof(serverOrLeader.map((node) => ({ isolate: node })), fc.constant({ heal: true })) },
    { kind: "isolate-client", arbitrary: fc.oneof(client.map((node) => ({ isolate: node })), fc.constant({ heal: true })) },
    { kind: "skew", arbitrary: fc.tuple(server, fc.integer({ min: -2_000, max: 2_000 })).map(([node, ms]) => ({ skew: { node, by: `${ms}ms` } })) },
  ];
}

/** An operation mix: a percent weight for each operation, at least one above zero. */
function mixArbitrary(operations: readonly string[]): fc.Arbitrary<Record<string, number>> {
  return fc
    .array(fc.integer({ min: 0, max: 100 }), { minLength: operations.length, maxLength: operations.length })
    .map((weights) => Object.fromEntries(operations.map((op, i) => [op, i === 0 && weights.every((w) => w === 0) ? 1 : (weights[i] ?? 0)])));
}

/** Every case draws from every fault kind, with the same weights, and from every workload. */
function fixedCaseArbitrary(): fc.Arbitrary<ZkCase> {
  return fc
    .record({
      seed: fc.nat(2 ** 31 - 1),
      serverCount: fc.constantFrom(3, 5),
      registerClients: fc.integer({ min: 1, max: 3 }),
      znodeClients: fc.integer({ min: 0, max: 2 }),
      lockClients: fc.integer({ min: 0, max: 2 }),
      pipelineClients: fc.integer({ min: 0, max: 2 }),
      pipelineInflight: fc.constantFrom(4, 16),
      snapshotEvery: fc.constantFrom(2_000, 2_000, 50, 15),
      lossPercent: fc.constantFrom(0, 0, 1, 5),
      syncUs: fc.constantFrom(100, 100, 2_000, 20_000),
    })
    .chain((base) => {
      const clientCount = base.registerClients + base.znodeClients + base.lockClients + base.pipelineClients;
      const server = fc.integer({ min: 1, max: base.serverCount }).map((i) => `s${i}`);
      const client = fc.integer({ min: 1, max: clientCount }).map((i) => `c${i}`);
      const fault: fc.Arbitrary<Record<string, unknown>> = fc.oneof(
        { weight: 3, arbitrary: fc.oneof(server, fc.constant("leader")).map((node) => ({ crash: node })) },
        { weight: 3, arbitrary: server.map((node) => ({ restart: node })) },
        { weight: 1, arbitrary: server.map((node) => ({ pause: node })) },
        { weight: 1, arbitrary: server.map((node) => ({ resume: node })) },
        { weight: 2, arbitrary: fc.oneof(server, fc.constant("leader")).map((node) => ({ isolate: node })) },
        { weight: 1, arbitrary: client.map((node) => ({ isolate: node })) },
        { weight: 2, arbitrary: fc.constant({ heal: true }) },
        { weight: 1, arbitrary: fc.tuple(server, fc.integer({ min: -2_000, max: 2_000 })).map(([node, ms]) => ({ skew: { node, by: `${ms}ms` } })) },
      );
      const scheduled = fc.record({ atMs: fc.integer({ min: 100, max: ZK_SEARCH_TIMING.faultsEndMs - 1 }), fault });
      return fc
        .array(scheduled, { maxLength: 10 })
        .map((schedule): ZkCase => ({ ...base, schedule: [...schedule].sort((a, b) => a.atMs - b.atMs), kinds: ZK_FAULT_KINDS, workload: null }));
    });
}

/** The case as a scenario file (YAML text). */
export function zkCaseYaml(c: ZkCase, bugs: readonly ServiceBug[] = []): string {
  const servers = Array.from({ length: c.serverCount }, (_, i) => `s${i + 1}`);
  const calm = [{ at: `${ZK_SEARCH_TIMING.faultsEndMs}ms`, heal: true }, ...servers.flatMap((s) => [{ at: `${ZK_SEARCH_TIMING.faultsEndMs}ms`, resume: s }])];
  const crashed = new Set<string>();
  for (const { fault } of c.schedule) {
    if (typeof fault["crash"] === "string") crashed.add(fault["crash"]);
    if (typeof fault["restart"] === "string") crashed.delete(fault["restart"]);
  }
  // Whatever is still down at the calm point is restarted (a crashed "leader" may be any server).
  const restart = crashed.has("leader") ? servers : [...crashed];
  const scenario = {
    name: "found-by-explore",
    description: `A fault schedule found by zksim explore zookeeper (engine seed ${c.seed}).`,
    seed: c.seed,
    duration: `${ZK_SEARCH_TIMING.durationMs}ms`,
    servers: { count: c.serverCount, tick: "200ms", snapshotEvery: c.snapshotEvery, snapshotChunkChars: 1_024, ...(bugs.length > 0 ? { bugs: [...bugs] } : {}) },
    network: { latency: { kind: "uniform", min: "200us", max: "3ms" }, loss: c.lossPercent / 100 },
    disk: { sync: `${c.syncUs}us` },
    clients: clientGroups(c),
    faults: [...c.schedule.map(({ atMs, fault }) => ({ at: `${atMs}ms`, ...fault })), ...calm, ...restart.map((s) => ({ at: `${ZK_SEARCH_TIMING.faultsEndMs}ms`, restart: s }))],
    ...(c.buggify === undefined || c.buggify.length === 0 ? {} : { buggify: { points: [...c.buggify], activate: 0.25, fire: 0.25 } }),
    checks: ["paxos-safety", "replica-agreement", "zk-guarantees", "recipes", "zk-liveness"],
    expect: "pass",
  };
  return stringify(scenario, { lineWidth: 0 });
}

/** The case's client groups: the fixed workload, or the swarm case's think time and mixes. */
function clientGroups(c: ZkCase): Record<string, unknown>[] {
  const everyMs = c.workload?.everyMs ?? 15;
  const mix = (kind: "register" | "znode" | "pipeline") => {
    const weights = c.workload?.mixes[kind];
    return weights === undefined ? {} : { mix: { ...weights } };
  };
  const group = (count: number, workload: Record<string, unknown>) => (count > 0 ? [{ count, sessionTimeout: "1200ms", workload }] : []);
  return [
    ...group(c.registerClients, { kind: "register", keys: 2, ops: 80, every: `${everyMs}ms`, ...mix("register") }),
    ...group(c.znodeClients, { kind: "znode", keys: 3, ops: 80, every: `${everyMs}ms`, ...mix("znode") }),
    ...group(c.lockClients, { kind: "lock", ops: 10, hold: "20ms", every: `${c.workload === null ? 20 : everyMs}ms` }),
    ...group(c.pipelineClients, { kind: "pipeline", keys: 3, ops: 300, inflight: c.pipelineInflight, every: `${c.workload === null ? 10 : everyMs}ms`, ...mix("pipeline") }),
  ];
}

/** Runs one case; null when every check held, else the failures in words. */
export async function runZkCase(c: ZkCase, bugs: readonly ServiceBug[] = []): Promise<{ failure: string | null; report: ScenarioReport }> {
  const scenario = parseScenario(zkCaseYaml(c, bugs), "explore case");
  const report = await runScenario(scenario);
  const failed = report.checks.filter((check) => !check.holds);
  return { failure: failed.length === 0 ? null : failed.map((check) => `${check.name}: ${check.detail ?? ""}`).join("; "), report };
}

/**
 * Searches fault schedules for a run of the service that breaks one of its
 * checks (the runs with seeds seed, seed+1, … until the first failure), and
 * shrinks the one it finds.
 */
export async function searchZk(options: ZkSearchOptions): Promise<ZkSearchResult> {
  const bugs = options.bugs ?? [];
  for (const bug of bugs) if (!SERVICE_BUGS.includes(bug)) throw new Error(`unknown bug ${bug}`);
  for (let k = 0; k < options.numRuns; k++) {
    const found = await checkZkRun(options.seed + k, bugs, options.mix ?? "swarm", { buggify: options.buggify ?? false });
    if (found === null) continue;
    const { drawn, counterexample, failure, internal, numShrinks } = found;
    return { failed: true, numRuns: k + 1, numShrinks, seed: options.seed + k, drawn, counterexample, failure, yaml: zkCaseYaml(counterexample, bugs), internal };
  }
  return { failed: false, numRuns: options.numRuns, numShrinks: 0, seed: options.seed, drawn: null, counterexample: null, failure: null, yaml: null, internal: false };
}

/**
 * One run of a search: the case fast-check draws from `seed` (its first
 * draw, so the run depends on its seed alone), run, and shrunk when it
 * fails. Null when every check held.
 */
export async function checkZkRun(seed: number, bugs: readonly ServiceBug[], mix: ZkMix, options: ZkRunOptions = {}): Promise<ZkRunFailure | null> {
  let drawn: ZkCase | null = null;
  const property = fc.asyncProperty(zkCaseArbitrary(mix, options.buggify ?? false), async (c) => {
    // The predicate's first call is the run as drawn; later ones are shrinking steps.
    const first = drawn === null;
    drawn ??= c;
    const outcome = await failureOf(c, bugs);
    if (first) options.fired?.(outcome.fired);
    return outcome.failure === null;
  });
  const details = await fc.check(property, { seed, numRuns: 1 });
  const counterexample = details.counterexample?.[0];
  if (!details.failed || counterexample === undefined || drawn === null) return null;
  const { failure, internal } = await failureOf(counterexample, bugs);
  if (failure === null) return { drawn, counterexample, failure: NOT_REPEATED, internal: true, numShrinks: details.numShrinks };
  return { drawn, counterexample, failure, internal, numShrinks: details.numShrinks };
}

/** What a case breaks, in words, and how often its fault points fired; a run that throws is an internal failure, which the search shrinks like any other. */
async function failureOf(c: ZkCase, bugs: readonly ServiceBug[]): Promise<{ failure: string | null; internal: boolean; fired: ZkFired }> {
  try {
    const { failure, report } = await runZkCase(c, bugs);
    return { failure, internal: false, fired: report.buggify ?? {} };
  } catch (error) {
    return { failure: `internal failure (a bug in zksim): ${error instanceof Error ? error.message : String(error)}`, internal: true, fired: {} };
  }
}
