import { z } from "zod";
import { PAXOS_BUGS } from "../paxos/index.ts";
import { ZK_BUGS } from "../zk/index.ts";
import { BUGGIFY_POINT_NAMES, formatPath, InputError, isBuggifyPoint, unknownPointMessage } from "../sim/index.ts";
import { buggifyOn, RUN_SEED_MAX, shardRunCount, type RunFailure, type Shard, type SweepConfig } from "./sweep.ts";

/**
 * What one shard of a sweep writes (`--out DIR`), and how shards merge into
 * one report. A record holds the configuration, which of the sweep's runs the
 * shard ran (always the first `runs` of its own: runs are handed out in order
 * and each one started is finished), its failures with their shrunk cases,
 * and its speed.
 */

export const SWEEP_FORMAT = "zksim-sweep/1";

/** The configuration shards must share to merge: what decides which runs there are and how each comes out. */
export interface SweepRecordConfig extends SweepConfig {
  /** Runs in the whole sweep (over every shard), or null for a sweep bounded by time alone. */
  readonly runs: number | null;
  readonly shardCount: number;
  /** A shard stops after this many failures. */
  readonly failuresMax: number;
}

/** Why a shard stopped. */
export type SweepStop = "runs" | "time" | "failures" | "seeds";

export interface SweepRecord {
  readonly format: typeof SWEEP_FORMAT;
  readonly config: SweepRecordConfig;
  readonly shardIndex: number;
  /** Runs done: the shard's run indices shardIndex, shardIndex + shardCount, … (that many of them). */
  readonly runs: number;
  /** Their seeds: seedFirst, seedFirst + seedStep, … */
  readonly seedFirst: number;
  readonly seedStep: number;
  readonly stopped: SweepStop;
  /** The wall-clock budget this shard had (it differs between machines and does not decide any run's outcome). */
  readonly timeMs: number | null;
  readonly workers: number;
  readonly wallMs: number;
  readonly runsPerSecond: number;
  readonly failures: readonly RunFailure[];
  /** How often each fault point fired, summed over the shard's runs (as drawn; empty when fault points were off). */
  readonly buggifyFired: Readonly<Record<string, number>>;
}

/** Adds one run's fault point counts to a sum (kept in the registry's order). */
export function addFired(sum: Readonly<Record<string, number>>, fired: Readonly<Record<string, number | undefined>>): Record<string, number> {
  const out: Record<string, number> = {};
  for (const name of BUGGIFY_POINT_NAMES) {
    const n = (sum[name] ?? 0) + (fired[name] ?? 0);
    if (sum[name] !== undefined || fired[name] !== undefined) out[name] = n;
  }
  return out;
}

/** The points of the registry that never fired, given the counts summed over a sweep. */
export function neverFired(fired: Readonly<Record<string, number>>): string[] {
  return BUGGIFY_POINT_NAMES.filter((name) => (fired[name] ?? 0) === 0);
}

/** The record of a shard that ran its first `runs` runs. */
export function sweepRecord(
  config: SweepRecordConfig,
  shard: Shard,
  done: { runs: number; stopped: SweepStop; timeMs: number | null; workers: number; wallMs: number; failures: readonly RunFailure[]; buggifyFired?: Readonly<Record<string, number>> },
): SweepRecord {
  const failures = [...done.failures].sort((a, b) => a.runIndex - b.runIndex);
  return {
    format: SWEEP_FORMAT,
    config,
    shardIndex: shard.index,
    runs: done.runs,
    seedFirst: config.seed + shard.index,
    seedStep: shard.count,
    stopped: done.stopped,
    timeMs: done.timeMs,
    workers: done.workers,
    wallMs: Math.round(done.wallMs),
    runsPerSecond: done.wallMs > 0 ? Math.round((done.runs / (done.wallMs / 1000)) * 100) / 100 : 0,
    failures,
    buggifyFired: addFired({}, done.buggifyFired ?? {}),
  };
}

/** The file name of a shard's record. */
export function sweepRecordName(shard: Shard): string {
  return `shard-${shard.index}-of-${shard.count}.json`;
}

const count = z.int().min(0).max(Number.MAX_SAFE_INTEGER);
const runFailureSchema = z.strictObject({
  runIndex: count,
  seed: z.int().min(0).max(RUN_SEED_MAX),
  failure: z.string(),
  internal: z.boolean(),
  numShrinks: count,
  kinds: z.array(z.string()),
  fileName: z.string().regex(/^[\w.-]+$/, "expected a plain file name"),
  fileText: z.string(),
});

const sweepRecordSchema = z
  .strictObject({
    format: z.literal(SWEEP_FORMAT, { error: `expected "${SWEEP_FORMAT}" (a file written by zksim explore --out)` }),
    config: z.strictObject({
      target: z.enum(["paxos", "zookeeper"]),
      bugs: z.array(z.enum([...PAXOS_BUGS, ...ZK_BUGS])),
      seed: z.int().min(0).max(RUN_SEED_MAX),
      mix: z.enum(["fixed", "swarm"]),
      // Records written before fault points existed had none.
      buggify: z.boolean().default(false),
      runs: z.int().min(1).nullable(),
      shardCount: z.int().min(1),
      failuresMax: z.int().min(1),
    }),
    shardIndex: count,
    runs: count,
    seedFirst: z.int().min(0),
    seedStep: z.int().min(1),
    stopped: z.enum(["runs", "time", "failures", "seeds"]),
    timeMs: z.number().min(0).nullable(),
    workers: z.int().min(1),
    wallMs: z.number().min(0),
    runsPerSecond: z.number().min(0),
    failures: z.array(runFailureSchema),
    buggifyFired: z
      .record(z.string(), count)
      .default({})
      .superRefine((fired, ctx) => {
        for (const name of Object.keys(fired)) if (!isBuggifyPoint(name)) ctx.addIssue({ code: "custom", path: [name], message: unknownPointMessage(name) });
      }),
  })
  .superRefine((r, ctx) => {
    if (r.shardIndex >= r.config.shardCount) ctx.addIssue({ code: "custom", path: ["shardIndex"], message: `expected less than config.shardCount (${r.config.shardCount})` });
    if (r.seedFirst !== r.config.seed + r.shardIndex) ctx.addIssue({ code: "custom", path: ["seedFirst"], message: `expected config.seed + shardIndex (${r.config.seed + r.shardIndex})` });
    if (r.seedStep !== r.config.shardCount) ctx.addIssue({ code: "custom", path: ["seedStep"], message: `expected config.shardCount (${r.config.shardCount})` });
  });

/** A record read from a file; bad JSON or a field out of place is an InputError naming the file and the field. */
export function parseSweepRecord(text: string, source: string): SweepRecord {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new InputError(source, [{ path: "", message: `expected JSON written by zksim explore --out: ${error instanceof Error ? error.message : String(error)}` }]);
  }
  const parsed = sweepRecordSchema.safeParse(json);
  if (!parsed.success) throw new InputError(source, parsed.error.issues.map((issue) => ({ path: formatPath(issue.path), message: issue.message })));
  return parsed.data as SweepRecord;
}

/** A failure in a merged report, with the shard (and its file) that found it. */
export interface MergedFailure extends RunFailure {
  readonly shardIndex: number;
  readonly source: string;
}

export interface MergedSweep {
  readonly config: SweepRecordConfig;
  /** Runs done over every shard, and per shard. */
  readonly runs: number;
  readonly shards: readonly { readonly index: number; readonly runs: number; readonly expected: number | null; readonly stopped: SweepStop; readonly wallMs: number; readonly runsPerSecond: number; readonly source: string }[];
  /** The longest shard's wall time: the sweep's, when the shards ran side by side. */
  readonly wallMs: number;
  /** The shards' speeds added up. */
  readonly runsPerSecond: number;
  readonly failures: readonly MergedFailure[];
  /** Whether the runs enabled fault points; how often each fired over every shard; the registry's points that never did (empty when off). */
  readonly buggify: boolean;
  readonly buggifyFired: Readonly<Record<string, number>>;
  readonly buggifyNeverFired: readonly string[];
}

/** The fault point figures of a report from the records it covers. */
function buggifyFigures(config: SweepRecordConfig, records: readonly SweepRecord[]): Pick<MergedSweep, "buggify" | "buggifyFired" | "buggifyNeverFired"> {
  const on = buggifyOn(config);
  const fired = records.reduce<Record<string, number>>((sum, record) => addFired(sum, record.buggifyFired), {});
  return { buggify: on, buggifyFired: fired, buggifyNeverFired: on ? neverFired(fired) : [] };
}

/**
 * Merges the records of every shard of one sweep. Refused, with each problem
 * in words: records of different configurations, a shard missing, a shard
 * given twice.
 */
export function mergeSweepRecords(inputs: readonly { readonly source: string; readonly record: SweepRecord }[]): { merged: MergedSweep; problems: [] } | { merged: null; problems: string[] } {
  const first = inputs[0];
  if (first === undefined) return { merged: null, problems: ["no shard records (shard-I-of-N.json) to merge"] };
  const problems: string[] = [];
  for (const { source, record } of inputs.slice(1)) {
    const fields = differingFields(first.record.config, record.config);
    if (fields.length > 0) {
      problems.push(`${source} was run with another configuration than ${first.source}: ${fields.map((f) => `${f} ${show(record.config, f)} against ${show(first.record.config, f)}`).join(", ")}`);
    }
  }
  if (problems.length > 0) return { merged: null, problems };
  const config = first.record.config;
  const byIndex = new Map<number, { source: string; record: SweepRecord }>();
  for (const input of inputs) {
    const twice = byIndex.get(input.record.shardIndex);
    if (twice !== undefined) problems.push(`shard ${input.record.shardIndex} of ${config.shardCount} is given twice: ${twice.source} and ${input.source}`);
    else byIndex.set(input.record.shardIndex, input);
  }
  for (let index = 0; index < config.shardCount; index++) {
    if (!byIndex.has(index)) problems.push(`shard ${index} of ${config.shardCount} is missing (no shard-${index}-of-${config.shardCount}.json among the files given)`);
  }
  if (problems.length > 0) return { merged: null, problems };
  const ordered = [...byIndex.values()].sort((a, b) => a.record.shardIndex - b.record.shardIndex);
  return { merged: reportOf(config, ordered), problems: [] };
}

/** One shard's record as a report of its own (its part of the sweep). */
export function shardReport(record: SweepRecord, source: string): MergedSweep {
  return reportOf(record.config, [{ source, record }]);
}

/** The report of shards of one sweep, in shard order. */
function reportOf(config: SweepRecordConfig, ordered: readonly { readonly source: string; readonly record: SweepRecord }[]): MergedSweep {
  return {
    config,
    runs: ordered.reduce((sum, { record }) => sum + record.runs, 0),
    shards: ordered.map(({ source, record }) => ({
      index: record.shardIndex,
      runs: record.runs,
      expected: config.runs === null ? null : shardRunCount({ index: record.shardIndex, count: config.shardCount }, config.runs),
      stopped: record.stopped,
      wallMs: record.wallMs,
      runsPerSecond: record.runsPerSecond,
      source,
    })),
    wallMs: Math.max(...ordered.map(({ record }) => record.wallMs)),
    runsPerSecond: Math.round(ordered.reduce((sum, { record }) => sum + record.runsPerSecond, 0) * 100) / 100,
    failures: ordered
      .flatMap(({ source, record }) => record.failures.map((f) => ({ ...f, shardIndex: record.shardIndex, source })))
      .sort((a, b) => a.runIndex - b.runIndex),
    ...buggifyFigures(config, ordered.map(({ record }) => record)),
  };
}

const CONFIG_FIELDS = ["target", "bugs", "seed", "mix", "buggify", "runs", "shardCount", "failuresMax"] as const satisfies readonly (keyof SweepRecordConfig)[];

function differingFields(a: SweepRecordConfig, b: SweepRecordConfig): (typeof CONFIG_FIELDS)[number][] {
  return CONFIG_FIELDS.filter((field) => show(a, field) !== show(b, field));
}

function show(config: SweepRecordConfig, field: (typeof CONFIG_FIELDS)[number]): string {
  return JSON.stringify(field === "buggify" ? buggifyOn(config) : config[field]);
}
