import { PAXOS_BUGS, type PaxosBug } from "../paxos/index.ts";
import { assert } from "../sim/index.ts";
import { checkPaxosRun, formatPaxosCase } from "./paxos-search.ts";
import { checkZkRun, zkCaseYaml, type ServiceBug, type ZkFired, type ZkMix } from "./zk-search.ts";

/**
 * One run of a sweep, by its index. Run k of a sweep with seed S draws its
 * case from the fast-check seed S + k, alone: it does not depend on the runs
 * before it, on the shard or worker that runs it, or on the clock. That is
 * what lets a sweep be cut into shards, stopped at a wall-clock budget and
 * merged, and one run be replayed with `--seed S+k --runs 1`.
 */

/** Everything that decides the outcome of a sweep's runs. Two shards merge only if theirs are equal. */
export interface SweepConfig {
  readonly target: "paxos" | "zookeeper";
  /** Bugs of the zoos turned on: the servers' Paxos (PAXOS_BUGS), and for zookeeper the service's (ZK_BUGS). */
  readonly bugs: readonly ServiceBug[];
  /** Run k uses the fast-check seed seed + k. */
  readonly seed: number;
  /** zookeeper: "swarm" draws the fault kinds, their rates and the workload per run; "fixed" is one mix for every run. paxos: always "fixed". */
  readonly mix: ZkMix;
  /** zookeeper: fault points on (a swarm run enables a random subset, a fixed one all of them); absent means off. paxos: off. */
  readonly buggify?: boolean;
}

/** Whether a sweep's runs enable fault points. */
export function buggifyOn(config: SweepConfig): boolean {
  return config.target === "zookeeper" && config.buggify === true;
}

/** The largest seed a run may have (fast-check seeds are 32-bit integers). */
export const RUN_SEED_MAX = 2 ** 31 - 1;

/** The fast-check seed of run `runIndex`. */
export function runSeed(config: SweepConfig, runIndex: number): number {
  const seed = config.seed + runIndex;
  assert(Number.isSafeInteger(runIndex) && runIndex >= 0 && seed <= RUN_SEED_MAX, "run seed out of range", { seed: config.seed, runIndex });
  return seed;
}

/** How many runs a sweep from `seed` can have before its seeds pass RUN_SEED_MAX. */
export function runIndexLimit(config: SweepConfig): number {
  return RUN_SEED_MAX - config.seed + 1;
}

/** Shard `index` of `count` (0 ≤ index < count) of a sweep. */
export interface Shard {
  readonly index: number;
  readonly count: number;
}

/** The whole sweep on one machine. */
export const WHOLE_SWEEP: Shard = { index: 0, count: 1 };

/** The j-th run of a shard: run k belongs to shard k mod count, so shard i runs i, i+count, i+2·count, … */
export function shardRunIndex(shard: Shard, j: number): number {
  return shard.index + j * shard.count;
}

/** How many of the runs 0 … runs−1 belong to a shard. */
export function shardRunCount(shard: Shard, runs: number): number {
  return runs <= shard.index ? 0 : Math.ceil((runs - shard.index) / shard.count);
}

/** A failing run: what it broke, and its case shrunk. */
export interface RunFailure {
  readonly runIndex: number;
  readonly seed: number;
  /** The failing checks of the shrunk case, in words. */
  readonly failure: string;
  /** The run threw (an assertion, an exception in a node): a bug in zksim, not a verdict on the system. */
  readonly internal: boolean;
  readonly numShrinks: number;
  /** zookeeper: the fault kinds the run switched on (as drawn, before shrinking). */
  readonly kinds: readonly string[];
  /** Where the shrunk case goes (a file name, no directory) and its text: a scenario (zookeeper) or the case in words and JSON (paxos). */
  readonly fileName: string;
  readonly fileText: string;
}

/** Runs run `runIndex` of a sweep: null when every check held, else its failure, shrunk. */
export async function exploreRun(config: SweepConfig, runIndex: number): Promise<RunFailure | null> {
  return (await exploreRunCounted(config, runIndex)).failure;
}

/** A run's outcome and how often each fault point it enabled fired (as drawn, not while shrinking). */
export interface RunResult {
  readonly failure: RunFailure | null;
  readonly fired: ZkFired;
}

/** Runs run `runIndex` of a sweep, with its fault points' counts. */
export async function exploreRunCounted(config: SweepConfig, runIndex: number): Promise<RunResult> {
  const seed = runSeed(config, runIndex);
  if (config.target === "paxos") return { failure: paxosRun(config, runIndex, seed), fired: {} };
  let fired: ZkFired = {};
  const failure = await zkRun(config, runIndex, seed, (counts) => (fired = counts));
  return { failure, fired };
}

function paxosRun(config: SweepConfig, runIndex: number, seed: number): RunFailure | null {
  // Liveness is judged for the correct replica only: a bug may stall as well as break safety.
  const bugs = config.bugs.filter((bug): bug is PaxosBug => (PAXOS_BUGS as readonly string[]).includes(bug));
  assert(bugs.length === config.bugs.length, "a sweep of Paxos with a bug of the service", { bugs: config.bugs });
  const found = checkPaxosRun(seed, { bugs, liveness: bugs.length === 0 });
  if (found === null) return null;
  return {
    runIndex,
    seed,
    failure: found.failure,
    internal: found.internal,
    numShrinks: found.numShrinks,
    kinds: [],
    fileName: `found-by-explore-paxos-${seed}.txt`,
    fileText: `${found.failure}\n${formatPaxosCase(found.counterexample)}\n`,
  };
}

async function zkRun(config: SweepConfig, runIndex: number, seed: number, fired: (counts: ZkFired) => void): Promise<RunFailure | null> {
  const found = await checkZkRun(seed, config.bugs, config.mix, { buggify: buggifyOn(config), fired });
  if (found === null) return null;
  return {
    runIndex,
    seed,
    failure: found.failure,
    internal: found.internal,
    numShrinks: found.numShrinks,
    kinds: found.drawn.kinds,
    fileName: `found-by-explore-${seed}.yaml`,
    fileText: zkCaseYaml(found.counterexample, config.bugs),
  };
}
