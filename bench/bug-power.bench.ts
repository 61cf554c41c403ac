/**
 * How good `zksim explore zookeeper` is at finding bugs: for each planted
 * bug, the search is run from several search seeds until its first failure,
 * with swarm testing and with the fixed mix, each with the fault points
 * (buggify) on and off. Printed per bug and configuration: the
 * median runs and wall time to the first failure (shrinking included), how
 * many search seeds found it within the cap, and the size of the shrunk
 * case (scheduled faults, clients, operations). The last row is the lock
 * of examples/ with its planted bug, found by zkProperty (the API users
 * property-test their own recipes with). A benchmark, not a test:
 * the figures are measured, not asserted.
 *
 *   node --import tsx bench/bug-power.bench.ts [--seeds 1000,2000,3000] [--cap 60]
 *     [--bugs a,b] [--configs swarm+points,swarm,fixed+points,fixed] [--workers 2] [--no-recipe] [--quick]
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parse } from "yaml";
import { checkZkProperty } from "zksim/property";
import { oneHolderAtATime, options as myLockOptions } from "../examples/my-lock-property.ts";
import { runSweep } from "../src/cli/sweep.ts";
import { SERVICE_BUGS, ZK_SEARCH_TIMING, type ServiceBug, type SweepRecordConfig, type ZkMix } from "../src/explore/index.ts";

const args = process.argv.slice(2);
const quick = args.includes("--quick");

function flag(name: string): string | null {
  const i = args.indexOf(name);
  return i < 0 ? null : (args[i + 1] ?? null);
}

function listFlag(name: string, fallback: readonly string[]): string[] {
  const text = flag(name);
  return text === null ? [...fallback] : text.split(",").filter((s) => s.length > 0);
}

function intFlag(name: string, fallback: number): number {
  const text = flag(name);
  if (text === null) return fallback;
  const value = Number(text);
  if (!Number.isInteger(value) || value < 1) {
    console.error(`${name}: expected a whole number of at least 1, got '${text}'`);
    process.exit(2);
  }
  return value;
}

const seeds = listFlag("--seeds", quick ? ["1000"] : ["1000", "2000", "3000"]).map((text) => {
  const seed = Number(text);
  if (!Number.isInteger(seed) || seed < 0) {
    console.error(`--seeds: expected whole numbers of at least 0, separated by commas, got '${text}'`);
    process.exit(2);
  }
  return seed;
});
const cap = intFlag("--cap", quick ? 20 : 60);
const workers = intFlag("--workers", 2);
/** A search configuration: the mix, and the fault points on or off. */
interface SearchConfig {
  readonly name: string;
  readonly mix: ZkMix;
  readonly buggify: boolean;
}
const CONFIGS: readonly SearchConfig[] = [
  { name: "swarm+points", mix: "swarm", buggify: true },
  { name: "swarm", mix: "swarm", buggify: false },
  { name: "fixed+points", mix: "fixed", buggify: true },
  { name: "fixed", mix: "fixed", buggify: false },
];
const configs = listFlag("--configs", CONFIGS.map((c) => c.name)).map((name) => {
  const config = CONFIGS.find((c) => c.name === name);
  if (config === undefined) {
    console.error(`--configs: expected names from ${CONFIGS.map((c) => c.name).join(", ")}, got '${name}'`);
    process.exit(2);
  }
  return config;
});
/** "none" is the correct service: a search that finds something there found a false alarm or a real bug in zksim. */
const bugs = listFlag("--bugs", ["none", ...SERVICE_BUGS]);
for (const bug of bugs) {
  if (bug !== "none" && !(SERVICE_BUGS as readonly string[]).includes(bug)) {
    console.error(`--bugs: expected none or names from ${SERVICE_BUGS.join(", ")}, got '${bug}'`);
    process.exit(2);
  }
}
/** One search from one seed: runs until the first failure, or the cap. */
interface Hunt {
  readonly found: boolean;
  /** Runs up to and including the first failing one (the cap when none failed). */
  readonly runs: number;
  readonly wallMs: number;
  /** The shrunk case: faults scheduled before the calm point, clients, operations. */
  readonly size: { faults: number; clients: number; ops: number } | null;
}

async function hunt(bug: string, search: SearchConfig, seed: number): Promise<Hunt> {
  const config: SweepRecordConfig = { target: "zookeeper", bugs: bug === "none" ? [] : [bug as ServiceBug], seed, mix: search.mix, buggify: search.buggify, runs: cap, shardCount: 1, failuresMax: 1 };
  const started = process.hrtime.bigint();
  const record = await runSweep({ config, shard: { index: 0, count: 1 }, timeMs: null, workers }, () => {});
  const wallMs = Number(process.hrtime.bigint() - started) / 1e6;
  const first = record.failures[0];
  if (first === undefined) return { found: false, runs: cap, wallMs, size: null };
  return { found: true, runs: first.runIndex + 1, wallMs, size: shrunkSize(first.fileText) };
}

/** The size of a shrunk case's scenario: the faults it schedules before the calm point, its clients and their operations. */
function shrunkSize(yaml: string): { faults: number; clients: number; ops: number } {
  const scenario = parse(yaml) as { faults?: { at: string }[]; clients?: { count: number; workload: { ops?: number } }[] };
  const calmMs = ZK_SEARCH_TIMING.faultsEndMs;
  const faults = (scenario.faults ?? []).filter((f) => Number.parseInt(f.at, 10) < calmMs).length;
  const clients = (scenario.clients ?? []).reduce((sum, g) => sum + g.count, 0);
  const ops = (scenario.clients ?? []).reduce((sum, g) => sum + g.count * (g.workload.ops ?? 0), 0);
  return { faults, clients, ops };
}

/** The lock of examples/ with its planted bug, through zkProperty from one seed (one thread: the property runs in this one). */
async function huntRecipe(seed: number, traceDir: string): Promise<Hunt> {
  const started = process.hrtime.bigint();
  const { failure } = await checkZkProperty({ ...myLockOptions, seed, runs: cap, traceDir }, oneHolderAtATime(true));
  const wallMs = Number(process.hrtime.bigint() - started) / 1e6;
  if (failure === null) return { found: false, runs: cap, wallMs, size: null };
  return { found: true, runs: failure.runs, wallMs, size: { faults: failure.case.faults.length, clients: failure.case.clients, ops: 0 } };
}

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? (sorted[mid] as number) : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
}

function row(name: string, mix: string, hunts: readonly Hunt[], ops: (size: { faults: number; clients: number; ops: number }[]) => string): string {
  const found = hunts.filter((h) => h.found);
  // A seed that did not find the bug counts as the cap: the median is then a lower bound.
  const runs = median(hunts.map((h) => h.runs));
  const bound = found.length < hunts.length && runs >= cap ? ">" : "";
  const wall = median(hunts.map((h) => h.wallMs)) / 1000;
  const sizes = found.map((h) => h.size).filter((s) => s !== null);
  const size = sizes.length === 0 ? "–" : `${median(sizes.map((s) => s.faults))} / ${median(sizes.map((s) => s.clients))} / ${ops(sizes)}`;
  return `| ${name} | ${mix} | ${found.length}/${hunts.length} | ${bound}${runs} | ${bound}${wall.toFixed(1)} | ${size} |`;
}

async function main(): Promise<void> {
  console.log(`bug-finding power of explore zookeeper: search seeds ${seeds.join(", ")}, at most ${cap} runs each, ${workers} worker${workers === 1 ? "" : "s"}`);
  console.log("runs and wall time are to the first failure, shrinking included; size is the shrunk case's faults / clients / operations (median over the seeds that found it)\n");
  console.log("| bug | search | found | median runs | median wall s | shrunk faults / clients / ops |");
  console.log("|---|---|---|---|---|---|");
  for (const bug of bugs) {
    for (const search of configs) {
      const hunts: Hunt[] = [];
      for (const seed of seeds) hunts.push(await hunt(bug, search, seed));
      console.log(row(bug, search.name, hunts, (sizes) => String(median(sizes.map((s) => s.ops)))));
    }
  }
  if (!args.includes("--no-recipe")) {
    const traceDir = mkdtempSync(join(tmpdir(), "zksim-bug-power-"));
    const hunts: Hunt[] = [];
    for (const seed of seeds) hunts.push(await huntRecipe(seed, traceDir));
    rmSync(traceDir, { recursive: true, force: true });
    console.log(row("my-lock trustWatch (examples/, zkProperty)", "its own schedules", hunts, () => "6 rounds each"));
  }
}

await main();
