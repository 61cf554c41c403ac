import { Worker } from "node:worker_threads";
import {
  addFired,
  buggifyOn,
  exploreRunCounted,
  runIndexLimit,
  shardRunCount,
  shardRunIndex,
  sweepRecord,
  type MergedSweep,
  type RunFailure,
  type RunResult,
  type Shard,
  type SweepRecord,
  type SweepRecordConfig,
  type SweepStop,
  type ZkMix,
} from "../explore/index.ts";
import { UsageError } from "./input.ts";

/**
 * The driver of `zksim explore paxos|zookeeper`: hands a shard's runs out in
 * order to worker threads (or runs them in this thread), stops at the run
 * budget, the wall-clock budget (checked between runs) or the failure
 * budget, and shows progress. Every run handed out is finished, so the runs
 * done are always the shard's first ones, whatever the number of workers.
 */

export interface SweepPlan {
  readonly config: SweepRecordConfig;
  readonly shard: Shard;
  /** Wall-clock budget in milliseconds, or null for none. */
  readonly timeMs: number | null;
  readonly workers: number;
}

export interface SweepProgress {
  readonly runs: number;
  readonly failures: number;
  readonly elapsedMs: number;
  /** Runs the shard has in all, when bounded by a run count. */
  readonly runsTotal: number | null;
  readonly timeMs: number | null;
  readonly shard: Shard;
}

/** Runs one shard of a sweep. `progress` is called after each run. */
export async function runSweep(plan: SweepPlan, progress: (p: SweepProgress) => void): Promise<SweepRecord> {
  const { config, shard, timeMs } = plan;
  const startedMs = Date.now();
  const runsTotal = config.runs === null ? null : shardRunCount(shard, config.runs);
  const failures: RunFailure[] = [];
  let buggifyFired: Record<string, number> = {};
  let handedOut = 0;
  let done = 0;
  let stopped: SweepStop | null = null;

  const next = (): number | null => {
    if (stopped !== null) return null;
    if (runsTotal !== null && handedOut >= runsTotal) stopped = "runs";
    else if (timeMs !== null && Date.now() - startedMs >= timeMs) stopped = "time";
    else if (failures.length >= config.failuresMax) stopped = "failures";
    else if (shardRunIndex(shard, handedOut) >= runIndexLimit(config)) stopped = "seeds";
    return stopped === null ? shardRunIndex(shard, handedOut++) : null;
  };
  const finished = ({ failure, fired }: RunResult): void => {
    done++;
    if (failure !== null) failures.push(failure);
    buggifyFired = addFired(buggifyFired, fired);
    progress({ runs: done, failures: failures.length, elapsedMs: Date.now() - startedMs, runsTotal, timeMs, shard });
  };

  const workers = runsTotal === null ? plan.workers : Math.max(1, Math.min(plan.workers, runsTotal));
  if (workers === 1) {
    for (let runIndex = next(); runIndex !== null; runIndex = next()) finished(await exploreRunCounted(config, runIndex));
  } else {
    const pool = Array.from({ length: workers }, () => new RunWorker(config));
    try {
      await Promise.all(
        pool.map(async (worker) => {
          for (let runIndex = next(); runIndex !== null; runIndex = next()) finished(await worker.run(runIndex));
        }),
      );
    } finally {
      await Promise.all(pool.map((worker) => worker.close()));
    }
  }
  return sweepRecord(config, shard, { runs: done, stopped: stopped ?? "runs", timeMs, workers, wallMs: Date.now() - startedMs, failures, buggifyFired });
}

/** A worker thread that runs one run at a time of a sweep with the given configuration. */
class RunWorker {
  private readonly worker: Worker;
  private pending: { resolve: (result: RunResult) => void; reject: (error: Error) => void } | null = null;
  private exited = false;

  constructor(config: SweepRecordConfig) {
    // Node 20 does not carry the tsx loader into worker threads: each worker registers it first.
    const tsxApi = import.meta.resolve("tsx/esm/api");
    const entry = new URL("./explore-worker.ts", import.meta.url).href;
    const bootstrap = `import(${JSON.stringify(tsxApi)}).then((tsx) => { tsx.register(); return import(${JSON.stringify(entry)}); });`;
    this.worker = new Worker(bootstrap, { eval: true, workerData: config });
    this.worker.on("message", (result: RunResult) => {
      const pending = this.pending;
      this.pending = null;
      pending?.resolve(result);
    });
    this.worker.on("error", (error) => this.fail(error));
    this.worker.on("exit", (code) => {
      this.exited = true;
      this.fail(new Error(`explore worker exited with status ${code}`));
    });
  }

  run(runIndex: number): Promise<RunResult> {
    return new Promise((resolve, reject) => {
      if (this.exited) return reject(new Error("explore worker is gone"));
      this.pending = { resolve, reject };
      this.worker.postMessage(runIndex);
    });
  }

  async close(): Promise<void> {
    if (!this.exited) await this.worker.terminate();
  }

  private fail(error: Error): void {
    const pending = this.pending;
    this.pending = null;
    pending?.reject(error);
  }
}

/**
 * `--shard i/n`, or `--shard auto` from a batch engine's variables: the
 * index and count from the first of these pairs that is set.
 */
export const SHARD_VARIABLES = [
  { engine: "a CI matrix", index: "ZKSIM_SHARD_INDEX", count: "ZKSIM_SHARD_COUNT" },
  { engine: "a Kubernetes indexed Job", index: "JOB_COMPLETION_INDEX", count: "ZKSIM_SHARDS" },
  { engine: "a Slurm job array", index: "SLURM_ARRAY_TASK_ID", count: "SLURM_ARRAY_TASK_COUNT" },
  { engine: "an AWS Batch array job", index: "AWS_BATCH_JOB_ARRAY_INDEX", count: "AWS_BATCH_JOB_ARRAY_SIZE" },
] as const;

export function parseShard(text: string, env: Readonly<Record<string, string | undefined>>): Shard {
  if (text === "auto") return shardFromEnvironment(env);
  const match = /^(\d{1,9})\/(\d{1,9})$/.exec(text);
  if (match === null) throw new UsageError(`--shard: expected INDEX/COUNT (such as 0/4, the first of four shards) or auto, got '${text}'`);
  return checkedShard(Number(match[1]), Number(match[2]), `--shard ${text}`);
}

function shardFromEnvironment(env: Readonly<Record<string, string | undefined>>): Shard {
  for (const { engine, index, count } of SHARD_VARIABLES) {
    const indexText = env[index];
    if (indexText === undefined) continue;
    const countText = env[count];
    if (countText === undefined) throw new UsageError(`--shard auto: ${index} is set (${engine}) but ${count}, the number of shards, is not; set it to the number of tasks`);
    const where = `--shard auto: ${index}=${indexText}, ${count}=${countText} (${engine})`;
    if (!/^\d{1,9}$/.test(indexText) || !/^\d{1,9}$/.test(countText)) throw new UsageError(`${where}: expected whole numbers`);
    // Slurm numbers tasks as the array was declared (--array=1-8 starts at 1): count from its first.
    const first = index === "SLURM_ARRAY_TASK_ID" && env["SLURM_ARRAY_TASK_MIN"] !== undefined ? Number(env["SLURM_ARRAY_TASK_MIN"]) : 0;
    return checkedShard(Number(indexText) - first, Number(countText), where);
  }
  const pairs = SHARD_VARIABLES.map((v) => `${v.index} and ${v.count} (${v.engine})`).join("; ");
  throw new UsageError(`--shard auto: no shard index in the environment; expected one of: ${pairs}`);
}

function checkedShard(index: number, count: number, where: string): Shard {
  if (count < 1) throw new UsageError(`${where}: expected at least 1 shard, got ${count}`);
  if (!Number.isInteger(index) || index < 0 || index >= count) throw new UsageError(`${where}: expected a shard index from 0 to ${count - 1}, got ${index}`);
  return { index, count };
}

/** A wall-clock budget such as 10m, 90s, 2h or 500ms, in milliseconds. */
export function parseTimeBudget(text: string): number {
  const match = /^(\d+(?:\.\d+)?)(ms|s|m|h)$/.exec(text);
  if (match === null) throw new UsageError(`--time: expected a duration such as 10m, 90s, 2h or 500ms, got '${text}'`);
  const unitMs = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000 }[match[2] as "ms" | "s" | "m" | "h"];
  const ms = Number(match[1]) * unitMs;
  if (ms <= 0 || ms > 30 * 24 * 3_600_000) throw new UsageError(`--time: expected more than zero and at most 30 days, got '${text}'`);
  return ms;
}

/** The mix of explore zookeeper when --mix is not given. */
export const ZK_MIX_DEFAULT: ZkMix = "swarm";

/** One progress line: runs, runs per second, failures, time elapsed and left. */
export function formatProgress(p: SweepProgress): string {
  const rate = p.elapsedMs > 0 ? p.runs / (p.elapsedMs / 1000) : 0;
  const byTime = p.timeMs === null ? null : Math.max(0, p.timeMs - p.elapsedMs);
  const byRuns = p.runsTotal === null || rate === 0 ? null : ((p.runsTotal - p.runs) / rate) * 1000;
  const remainingMs = byTime === null ? byRuns : byRuns === null ? byTime : Math.min(byTime, byRuns);
  const runs = p.runsTotal === null ? `${p.runs} runs` : `${p.runs}/${p.runsTotal} runs`;
  const shard = p.shard.count === 1 ? "" : `shard ${p.shard.index}/${p.shard.count}: `;
  return `${shard}${runs}, ${rate.toFixed(1)} runs/s, ${p.failures} failure${p.failures === 1 ? "" : "s"}, ${formatWall(p.elapsedMs)} elapsed, ${remainingMs === null ? "?" : formatWall(remainingMs)} remaining`;
}

/** Wall time as a person reads it: 950ms, 14s, 3m05s, 2h10m. */
export function formatWall(ms: number): string {
  if (ms < 1_000) return `${Math.round(ms)}ms`;
  const s = Math.round(ms / 1000);
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, "0")}s`;
  return `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, "0")}m`;
}

/**
 * The report of a sweep (one shard's, or the merge of all of them), in
 * words. `fileOf` says where each failure's shrunk case was written, or null
 * when it was not (it is then printed whole).
 */
export function formatSweepReport(merged: MergedSweep, fileOf: (failure: MergedSweep["failures"][number]) => string | null): string {
  const { config } = merged;
  const system = config.target === "paxos" ? "replica" : "service";
  const what = config.bugs.length === 0 ? `the correct ${system}` : `bug ${config.bugs.join(", ")}`;
  const mix = config.target === "zookeeper" ? `, ${config.mix} mix` : "";
  const only = merged.shards.length === 1 && config.shardCount > 1 ? merged.shards[0] : undefined;
  const shards = config.shardCount === 1 ? "" : only !== undefined ? `, shard ${only.index} of ${config.shardCount}` : ` over ${config.shardCount} shards`;
  const internal = merged.failures.filter((f) => f.internal).length;
  const verdict =
    merged.failures.length === 0
      ? "every check held"
      : `${merged.failures.length} failure${merged.failures.length === 1 ? "" : "s"}${internal === 0 ? "" : ` (${internal} internal: bugs in zksim)`}`;
  const lines = [
    `explore ${config.target} (${what}${mix}, seed ${config.seed}${shards}): ${merged.runs} runs in ${formatWall(merged.wallMs)} (${merged.runsPerSecond} runs/s); ${verdict}`,
  ];
  for (const shard of merged.shards) {
    const short = shard.expected !== null && shard.runs < shard.expected;
    if (merged.shards.length > 1 || short || shard.stopped !== "runs") {
      const of = shard.expected === null ? "" : ` of ${shard.expected}`;
      lines.push(`  shard ${shard.index}: ${shard.runs}${of} runs, ${shard.runsPerSecond} runs/s${short || shard.stopped !== "runs" ? `, stopped by ${STOP_WORDS[shard.stopped]}` : ""}`);
    }
  }
  if (config.target === "zookeeper") lines.push(formatFaultPoints(merged));
  for (const failure of merged.failures) lines.push(...formatFailure(config, failure, fileOf(failure)));
  return lines.join("\n");
}

/** The fault points line: how often each fired over the sweep, and the registry's points that never did. */
function formatFaultPoints(merged: MergedSweep): string {
  if (!merged.buggify) return "  fault points: off";
  const fired = Object.entries(merged.buggifyFired).filter(([, n]) => n > 0);
  const counts = fired.length === 0 ? "none fired" : `fired ${fired.map(([point, n]) => `${point} ${n}`).join(", ")}`;
  const never = merged.buggifyNeverFired.length === 0 ? "" : `; never fired: ${merged.buggifyNeverFired.join(", ")}`;
  return `  fault points: ${counts}${never}`;
}

/** Whether explore zookeeper turns fault points on when --buggify is not given: with the swarm mix, not with the fixed one. */
export function buggifyDefault(mix: ZkMix): boolean {
  return mix === "swarm";
}

const STOP_WORDS: Readonly<Record<SweepStop, string>> = {
  runs: "its run count",
  time: "the time budget",
  failures: "the failure budget (--failures)",
  seeds: "the end of the seeds",
};

function formatFailure(config: SweepRecordConfig, failure: MergedSweep["failures"][number], file: string | null): string[] {
  const how = failure.internal ? "INTERNAL FAILURE (a bug in zksim)" : "FAILED";
  const kinds = config.target === "zookeeper" && config.mix === "swarm" ? ` with ${failure.kinds.join(", ")}` : "";
  const lines = [`${how}: run ${failure.runIndex} (seed ${failure.seed})${kinds}, shrunk in ${failure.numShrinks} steps`, `  ${failure.failure}`];
  const bugs = config.bugs.map((b) => ` --bug ${b}`).join("");
  const mix = config.target === "zookeeper" && config.mix !== ZK_MIX_DEFAULT ? ` --mix ${config.mix}` : "";
  const on = buggifyOn(config);
  const buggify = config.target === "zookeeper" && on !== buggifyDefault(config.mix) ? ` --buggify ${on ? "on" : "off"}` : "";
  const again = `npx zksim explore ${config.target} --seed ${failure.seed} --runs 1${mix}${buggify}${bugs}`;
  if (config.target === "zookeeper" && file !== null) {
    lines.push(`  the case, as a scenario: ${file}`, `  replay: npx zksim run ${file}`, `  view: npx zksim view ${file}`);
  } else if (file !== null) {
    lines.push(`  the case: ${file}`);
  } else {
    // The case's text opens with its failure, printed just above.
    const text = failure.fileText.trimEnd().split("\n");
    lines.push(...(text[0] === failure.failure ? text.slice(1) : text).map((line) => `  ${line}`));
  }
  lines.push(`  run it again (and shrink it): ${again}`);
  return lines;
}
