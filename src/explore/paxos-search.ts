import fc from "fast-check";
import { runPaxosCluster, serverIds, type PaxosBug, type PaxosConfigInput, type PaxosRunResult } from "../paxos/index.ts";
import { type Fault, type NodeId, type ScheduledFault } from "../sim/index.ts";

/**
 * One generated test case for the Paxos search: a cluster, a network, a disk
 * and a fault schedule. The engine seed is part of the case, so a case alone
 * replays the run.
 */
export interface PaxosCase {
  readonly seed: number;
  readonly serverCount: number;
  readonly latencyUsMin: number;
  readonly latencyUsMax: number;
  readonly lossPerMille: number;
  readonly duplicationPerMille: number;
  readonly syncLatencyUs: number;
  readonly schedule: readonly ScheduledFault[];
}

/** Timing of every search run: faults in [0, faultsEndUs), then calm, then the liveness bound. */
export const SEARCH_TIMING = {
  faultsEndUs: 2_000_000,
  /** 20 election timeouts of the search's Paxos settings. */
  livenessBoundUs: 20 * 120_000,
  proposeEveryUs: 10_000,
} as const;

/** Paxos settings of the search: short timeouts so that a few virtual seconds see many elections. */
export const SEARCH_PAXOS: PaxosConfigInput = {
  heartbeatUs: 20_000,
  electionTimeoutUsMin: 60_000,
  electionTimeoutUsMax: 120_000,
  pipelineWindow: 4,
  snapshotEvery: 25,
  snapshotChunkChars: 64,
};

function faultArbitrary(nodes: readonly NodeId[]): fc.Arbitrary<Fault> {
  const node = fc.constantFrom(...nodes);
  return fc.oneof(
    { weight: 4, arbitrary: node.map((n): Fault => ({ type: "crash", node: n })) },
    { weight: 4, arbitrary: node.map((n): Fault => ({ type: "restart", node: n })) },
    { weight: 1, arbitrary: node.map((n): Fault => ({ type: "pause", node: n })) },
    { weight: 1, arbitrary: node.map((n): Fault => ({ type: "resume", node: n })) },
    {
      weight: 2,
      arbitrary: fc.subarray([...nodes], { minLength: 1, maxLength: nodes.length - 1 }).map((group): Fault => ({ type: "partition", groups: [group] })),
    },
    { weight: 1, arbitrary: node.map((n): Fault => ({ type: "isolate", node: n })) },
    {
      weight: 1,
      arbitrary: fc
        .tuple(node, node)
        .filter(([from, to]) => from !== to)
        .map(([from, to]): Fault => ({ type: "cut", from, to, oneWay: true })),
    },
    { weight: 2, arbitrary: fc.constant<Fault>({ type: "heal" }) },
    {
      weight: 1,
      arbitrary: fc.tuple(node, fc.integer({ min: -200_000, max: 200_000 })).map(([n, driftPpm]): Fault => ({ type: "clock", node: n, driftPpm })),
    },
  );
}

/** Generated cases: 3 or 5 servers, a lossy network, a slow disk, up to 16 faults in the first 2 virtual seconds. */
export function paxosCaseArbitrary(): fc.Arbitrary<PaxosCase> {
  return fc.constantFrom(3, 5).chain((serverCount) => {
    const nodes = serverIds(serverCount);
    const scheduled = fc.record({ atUs: fc.integer({ min: 0, max: SEARCH_TIMING.faultsEndUs - 1 }), fault: faultArbitrary(nodes) });
    return fc.record({
      seed: fc.integer({ min: 0, max: 2 ** 31 - 1 }),
      serverCount: fc.constant(serverCount),
      latencyUsMin: fc.integer({ min: 100, max: 2_000 }),
      latencyUsMax: fc.integer({ min: 2_000, max: 15_000 }),
      lossPerMille: fc.integer({ min: 0, max: 200 }),
      duplicationPerMille: fc.integer({ min: 0, max: 100 }),
      syncLatencyUs: fc.integer({ min: 0, max: 20_000 }),
      schedule: fc.array(scheduled, { maxLength: 16 }).map((list) => list.slice().sort((a, b) => a.atUs - b.atUs)),
    });
  });
}

/**
 * The faults that make the system calm at the end of the schedule: heal the
 * network, resume what is paused, restart what is crashed, and stop clock drift.
 * Computed from the schedule alone, so the case stays a pure value.
 */
export function calmFaults(schedule: readonly ScheduledFault[], nodes: readonly NodeId[]): Fault[] {
  const status = new Map<NodeId, "running" | "paused" | "crashed">(nodes.map((n) => [n, "running"]));
  const drifted = new Set<NodeId>();
  for (const { fault } of schedule) {
    if (fault.type === "crash") status.set(fault.node, "crashed");
    else if (fault.type === "restart") status.set(fault.node, "running");
    else if (fault.type === "pause" && status.get(fault.node) === "running") status.set(fault.node, "paused");
    else if (fault.type === "resume" && status.get(fault.node) === "paused") status.set(fault.node, "running");
    else if (fault.type === "clock") drifted.add(fault.node);
  }
  const faults: Fault[] = [{ type: "heal" }];
  for (const node of nodes) {
    if (status.get(node) === "paused") faults.push({ type: "resume", node });
    if (status.get(node) === "crashed") faults.push({ type: "restart", node });
    if (drifted.has(node)) faults.push({ type: "clock", node, driftPpm: 0 });
  }
  return faults;
}

export interface PaxosCaseOptions {
  readonly bugs: readonly PaxosBug[];
  /** Judge liveness after the calm point as well as safety. */
  readonly liveness: boolean;
  readonly trace?: Parameters<typeof runPaxosCluster>[0]["trace"];
}

/** Runs one case to the end of its liveness bound (or to its first safety violation). */
export function runPaxosCase(c: PaxosCase, options: PaxosCaseOptions): PaxosRunResult {
  const nodes = serverIds(c.serverCount);
  const calmUs = SEARCH_TIMING.faultsEndUs;
  const faults = [...c.schedule, ...calmFaults(c.schedule, nodes).map((fault) => ({ atUs: calmUs, fault }))];
  return runPaxosCluster({
    engine: {
      seed: c.seed,
      network: {
        latency: { kind: "uniform", minUs: c.latencyUsMin, maxUs: Math.max(c.latencyUsMin, c.latencyUsMax) },
        loss: c.lossPerMille / 1000,
        duplication: c.duplicationPerMille / 1000,
      },
      disk: { syncLatencyUs: c.syncLatencyUs },
      faults,
      // Every replica's own invariants after every event: a broken one fails the case as a bug, with its seed.
      checkInvariants: true,
    },
    serverCount: c.serverCount,
    paxos: { ...SEARCH_PAXOS, bugs: [...options.bugs] },
    durationUs: calmUs + SEARCH_TIMING.livenessBoundUs + 100_000,
    proposeEveryUs: SEARCH_TIMING.proposeEveryUs,
    stopOnViolation: true,
    ...(options.liveness ? { liveness: { calmUs, boundUs: SEARCH_TIMING.livenessBoundUs } } : {}),
    trace: options.trace ?? { level: "observe" },
  });
}

/** What went wrong in a run, in one line (null when nothing did). */
export function caseFailure(result: PaxosRunResult): string | null {
  const violation = result.violations[0];
  if (violation !== undefined) return `${violation.check}: ${violation.message} (at ${violation.t} µs)`;
  if (result.liveness !== undefined && !result.liveness.held) return `paxos.liveness: ${result.liveness.message}`;
  return null;
}

export interface PaxosSearchOptions extends PaxosCaseOptions {
  /** The first run's fast-check seed: run k uses seed + k. */
  readonly seed: number;
  readonly numRuns: number;
}

export interface PaxosSearchResult {
  readonly failed: boolean;
  /** Runs until the first failure (or all of them). */
  readonly numRuns: number;
  readonly numShrinks: number;
  /** The failing run's fast-check seed (the first run's when none failed). */
  readonly seed: number;
  /** The shrunk counterexample and what it breaks. */
  readonly counterexample: PaxosCase | null;
  readonly failure: string | null;
  /** The counterexample's run threw (an assertion, an exception in a node): a bug in zksim, not a verdict on Paxos. */
  readonly internal: boolean;
}

/** A run that failed: its case shrunk, and what that breaks. */
export interface PaxosRunFailure {
  readonly counterexample: PaxosCase;
  readonly failure: string;
  readonly internal: boolean;
  readonly numShrinks: number;
}

/**
 * Searches fault schedules for a run that breaks Paxos safety (and liveness,
 * when asked): the runs with seeds seed, seed+1, … until the first failure.
 * A failure comes back shrunk: the smallest schedule fast-check found that
 * still breaks the property, with its engine seed.
 */
export function searchPaxos(options: PaxosSearchOptions): PaxosSearchResult {
  for (let k = 0; k < options.numRuns; k++) {
    const found = checkPaxosRun(options.seed + k, options);
    if (found !== null) return { failed: true, numRuns: k + 1, seed: options.seed + k, ...found };
  }
  return { failed: false, numRuns: options.numRuns, numShrinks: 0, seed: options.seed, counterexample: null, failure: null, internal: false };
}

/**
 * One run of a search: the case fast-check draws from `seed` (its first
 * draw, so the run depends on its seed alone), run, and shrunk when it fails.
 * Null when every check held.
 */
export function checkPaxosRun(seed: number, options: PaxosCaseOptions): PaxosRunFailure | null {
  // A run that throws (a bug in zksim) fails the property too: it is shrunk and reported as internal.
  const property = fc.property(paxosCaseArbitrary(), (c) => failureOf(c, options).failure === null);
  const details = fc.check(property, { seed, numRuns: 1 });
  const counterexample = details.counterexample?.[0];
  if (!details.failed || counterexample === undefined) return null;
  const { failure, internal } = failureOf(counterexample, options);
  if (failure === null) return { counterexample, failure: NOT_REPEATED, internal: true, numShrinks: details.numShrinks };
  return { counterexample, failure, internal, numShrinks: details.numShrinks };
}

/** What a shrunk case that passes when run again says: the same case gave two outcomes. */
export const NOT_REPEATED = "internal failure (a bug in zksim): the shrunk case passed when run again (a run that is not deterministic)";

/**
 * Runs a case and says what went wrong (null when nothing did): a violation,
 * a liveness failure, or a bug in zksim itself (an assertion or a broken
 * invariant, reported with its seed, time and node), which the search
 * shrinks too instead of stopping at the first throw.
 */
function failureOf(c: PaxosCase, options: PaxosCaseOptions): { failure: string | null; internal: boolean } {
  try {
    return { failure: caseFailure(runPaxosCase(c, options)), internal: false };
  } catch (error) {
    return { failure: `internal failure (a bug in zksim): ${error instanceof Error ? error.message : String(error)}`, internal: true };
  }
}

/** A counterexample as a person reads it, ending with the case as JSON to replay it. */
export function formatPaxosCase(c: PaxosCase): string {
  const lines = [
    `${c.serverCount} servers, engine seed ${c.seed}, latency ${c.latencyUsMin}-${c.latencyUsMax} µs, ` +
      `loss ${c.lossPerMille / 10}%, duplication ${c.duplicationPerMille / 10}%, sync ${c.syncLatencyUs} µs`,
  ];
  for (const { atUs, fault } of c.schedule) lines.push(`  at ${(atUs / 1000).toFixed(1)} ms: ${describeFault(fault)}`);
  lines.push(`  at ${SEARCH_TIMING.faultsEndUs / 1000} ms: calm (heal, resume and restart everything)`);
  lines.push(`case: ${JSON.stringify(c)}`);
  return lines.join("\n");
}

function describeFault(fault: Fault): string {
  switch (fault.type) {
    case "partition":
      return `partition {${fault.groups.map((g) => g.join(",")).join("} {")}} from the rest`;
    case "cut":
      return `cut ${fault.from} -> ${fault.to}${fault.oneWay ? " (one way)" : ""}`;
    case "clock":
      return `clock of ${fault.node}: drift ${fault.driftPpm ?? 0} ppm`;
    default:
      return "node" in fault ? `${fault.type} ${fault.node}` : fault.type;
  }
}
