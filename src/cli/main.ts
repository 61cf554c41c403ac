import { closeSync, readdirSync, statSync, writeSync } from "node:fs";
import { dirname, join } from "node:path";
import { parseArgs } from "node:util";
import { GOSSIP_DEMO_DESCRIPTION, runGossipDemo } from "../examples/index.ts";
import { PAXOS_BUGS } from "../paxos/index.ts";
import { ZK_BUGS } from "../zk/index.ts";
import { mergeSweepRecords, parseSweepRecord, RUN_SEED_MAX, shardReport, sweepRecordName, WHOLE_SWEEP, type MergedFailure, type MergedSweep, type RunFailure, type ServiceBug, type SweepRecordConfig, type ZkMix } from "../explore/index.ts";
import { defaultWorkers, parseBug } from "./explore.ts";
import { buggifyDefault, formatProgress, formatSweepReport, parseShard, parseTimeBudget, runSweep, ZK_MIX_DEFAULT, type SweepProgress } from "./sweep.ts";
import { badInputOf, describeInternal, EXIT_BAD_INPUT, EXIT_CHECK_FAILED, EXIT_INTERNAL, EXIT_OK, InternalFailure, shellWord } from "./failure.ts";
import { FileSink, openOutput } from "./file-sink.ts";
import { fsReason, readInputFile, UsageError } from "./input.ts";
import { CHECK_HELP, checkFiles, parseDuration, parseModel, parseSize } from "./check.ts";
import { runScenario, scenarioJsonSchema } from "../scenario/index.ts";
import { view } from "./view.ts";
import { lessons } from "./lessons.ts";
import { lessonJsonSchema } from "../lesson/index.ts";
import { bundledScenarios, formatRunReport, LIST_HELP, loadScenario, REPLAY_HELP, replayTrace, RUN_HELP, runLoaded, SCHEMA_HELP } from "./run.ts";

const HELP = `zksim: a deterministic simulator for a ZooKeeper-style service on Multi-Paxos

Usage: zksim <command> [options]

Commands:
  run       run a scenario (a file or a bundled one) and judge it
  replay    re-run the scenario and seed a trace recorded, and compare digests
  view      open a trace, or run a scenario, in the browser viewer
  list      the bundled scenarios
  lessons   the bundled lessons (guided walks through runs)
  schema    the JSON Schema of scenario files
  check     check histories (JSON Lines or Jepsen EDN) for linearizability
  explore   search fault schedules (Paxos alone, the whole service) or sweep a scenario's seeds
  merge     combine the shards of a sweep (explore --shard --out) into one report
  demo      run the engine demo: gossip through a partition, a crash and a restart

Run 'zksim <command> --help' for a command's options.

Exit status:
  0  every check came out as expected
  1  a check did not (a verdict on the system under test; the seed and the
     command that replays the run are printed)
  2  bad input: a flag, a scenario, trace or history file (with the file,
     line and field, and what was expected), or an output file that cannot
     be written
  3  no verdict within the budget (zksim check: unknown)
  4  an internal failure: a bug in zksim itself (an assertion, an exception
     in a node, a run whose virtual clock stalled), printed with the seed
     and the command that replays it
`;

const DEMO_HELP = `Usage: zksim demo [--seed N] [--trace FILE]

${GOSSIP_DEMO_DESCRIPTION}

Options:
  --seed N       the run's seed (default 1); the same seed gives the same run
  --trace FILE   where to write the JSON Lines trace (default traces/gossip-demo.trace.jsonl)
  -h, --help     this text
`;

const EXPLORE_HELP = `Usage: zksim explore paxos|zookeeper [--runs N] [--time T] [--seed N] [--bug NAME]
                      [--workers N] [--shard I/N|auto] [--out DIR] [--failures N] [--json]
                      [--mix swarm|fixed] [--buggify on|off]
       zksim explore scenario SCENARIO [--runs N] [--seed N]

explore zookeeper generates random fault schedules (crashes, restarts,
pauses, isolation of servers, the leader and clients, clock steps, loss)
against the whole service with clients (register, znode, lock and
pipelined ones: many requests in flight at once), each run with its own
subset of the fault kinds (swarm testing; --mix fixed for one mix), and checks Paxos safety, replica agreement and every
ZooKeeper guarantee. A failure is shrunk and written as a scenario file that
zksim run replays (traces/found-by-explore-SEED.yaml, or in --out DIR).

explore paxos runs randomized fault schedules (crashes, restarts, pauses,
partitions, one-way cuts, clock drift, loss, duplication, slow disks, then
calm) against a Paxos cluster and checks safety in every run, and liveness
after calm for the correct replica. A failure is shrunk and printed.

Run k of a sweep draws its case from the seed SEED+k alone, so a sweep can
stop at a time budget, be cut into shards and merged, and one run replays
with --seed SEED+k --runs 1.

explore scenario runs a scenario (a file or a bundled name) with the seeds
seed, seed+1, ... and reports every seed whose checks do not come out as
the scenario's expect says, with the command that replays it.

Options:
  --runs N        runs in the whole sweep (default 1000 for paxos, 100 for
                  zookeeper; with --time alone, as many as the time allows)
  --time T        stop starting runs after this wall-clock time (10m, 90s,
                  2h); each run stays deterministic from its seed
  --seed N        the first run's seed: run k uses seed N+k (default 1)
  --bug NAME      turn on a bug of the zoo: ${PAXOS_BUGS.join(", ")};
                  zookeeper also: ${ZK_BUGS.join(", ")}
  --workers N     worker threads (default and most: the CPUs available)
  --shard I/N     run shard I (0 to N-1) of N: the runs k with k mod N = I,
                  so N machines share one sweep; 'auto' reads I and N from
                  ZKSIM_SHARD_INDEX/ZKSIM_SHARD_COUNT (a CI matrix),
                  JOB_COMPLETION_INDEX/ZKSIM_SHARDS (a Kubernetes indexed
                  Job), SLURM_ARRAY_TASK_ID/SLURM_ARRAY_TASK_COUNT (Slurm) or
                  AWS_BATCH_JOB_ARRAY_INDEX/AWS_BATCH_JOB_ARRAY_SIZE (AWS Batch)
  --out DIR       write DIR/shard-I-of-N.json (the configuration, runs, seeds,
                  failures, runs per second) and each failure's shrunk case;
                  zksim merge DIR... combines the shards
  --failures N    a shard stops after N failures, each shrunk (default 1)
  --mix swarm|fixed
                  explore zookeeper: swarm (the default) switches on a random
                  subset of the fault kinds in each run and draws their rates,
                  the clients' numbers, think time, pipelining and operation
                  mixes; fixed draws every run from one mix of everything
  --buggify on|off
                  explore zookeeper: fault points inside the code (ctx.buggify);
                  on, a swarm run enables a random subset of them and a fixed
                  run all of them (at FoundationDB's rates, 1/4 and 1/4); the
                  report sums how often each fired and lists those that never
                  did (default: on with --mix swarm, off with --mix fixed)
  --json          print a JSON summary on stdout instead of the report
  -h, --help      this text

On a terminal, progress goes to stderr: runs, runs per second, failures,
time elapsed and remaining.

Exit status: 0 when no violation was found (explore scenario: every seed
came out as expected), 1 when one was, 2 on bad input, 4 when a run met an
internal failure (a bug in zksim). explore scenario goes on after an
internal failure and lists those seeds apart, each with its replay command.
`;

const MERGE_HELP = `Usage: zksim merge DIR... [--json]

Combines the shard records that zksim explore --out wrote
(DIR/shard-I-of-N.json, from one or more directories) into one report of
the whole sweep: its runs, runs per second, every failure with its
shrunk case, how often each fault point fired, and the points that never
fired in any shard.

Options:
  --json       print a JSON summary on stdout instead of the report
  -h, --help   this text

Exit status: 0 when no shard found a failure, 1 when one did, 2 when the
records do not make one sweep (a shard missing or given twice, shards run
with another configuration, a file that is not a shard record), 4 when a
run met an internal failure (a bug in zksim).
`;

async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  if (command === undefined || command === "--help" || command === "-h" || command === "help") {
    process.stdout.write(HELP);
    return 0;
  }
  switch (command) {
    case "demo":
      return demo(rest);
    case "explore":
      return explore(rest);
    case "merge":
      return merge(rest);
    case "check":
      return check(rest);
    case "run":
      return run(rest);
    case "replay":
      return replay(rest);
    case "list":
      return list(rest);
    case "schema":
      return schema(rest);
    case "lessons":
      return lessons(rest);
    case "view":
      return view(rest);
    default:
      throw new UsageError(`unknown command '${command}'; expected one of: run, replay, view, list, lessons, schema, check, explore, merge, demo (see zksim --help)`);
  }
}

async function explore(args: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    options: {
      runs: { type: "string" },
      time: { type: "string" },
      seed: { type: "string" },
      bug: { type: "string" },
      workers: { type: "string" },
      shard: { type: "string" },
      out: { type: "string" },
      failures: { type: "string" },
      mix: { type: "string" },
      buggify: { type: "string" },
      json: { type: "boolean" },
      help: { type: "boolean", short: "h" },
    },
    strict: true,
    allowPositionals: true,
  });
  if (values.help === true) {
    process.stdout.write(EXPLORE_HELP);
    return 0;
  }
  const target = positionals[0];
  if (target === "scenario") {
    if (positionals.length !== 2) throw new UsageError("explore scenario: expected one scenario (a file or a bundled name)");
    for (const flag of ["bug", "workers", "time", "shard", "out", "failures", "mix", "buggify", "json"] as const) {
      if (values[flag] !== undefined) throw new UsageError(`explore scenario: --${flag} is for explore paxos and explore zookeeper (a scenario names its bugs)`);
    }
    return exploreScenario(positionals[1] as string, parseCount("--runs", values.runs ?? "100"), parseSeed(values.seed ?? "1"));
  }
  if (positionals.length !== 1 || (target !== "paxos" && target !== "zookeeper")) {
    throw new UsageError(`explore: expected the target 'paxos', 'zookeeper' or 'scenario NAME', got ${positionals.length === 0 ? "nothing" : `'${positionals.join(" ")}'`}`);
  }
  let bugs: ServiceBug[] = [];
  try {
    bugs = values.bug === undefined ? [] : [parseBug(values.bug, target)];
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
  const timeMs = values.time === undefined ? null : parseTimeBudget(values.time);
  const runsDefault = target === "paxos" ? "1000" : "100";
  const runs = values.runs === undefined && timeMs !== null ? null : parseCount("--runs", values.runs ?? runsDefault);
  const seed = parseSeed(values.seed ?? "1");
  if (seed > RUN_SEED_MAX) throw new UsageError(`--seed: expected at most ${RUN_SEED_MAX} for explore ${target}, got ${seed}`);
  const shard = values.shard === undefined ? WHOLE_SWEEP : parseShard(values.shard, process.env);
  const mix = parseMix(target, values.mix);
  const config: SweepRecordConfig = { target, bugs, seed, mix, buggify: parseBuggify(target, mix, values.buggify), runs, shardCount: shard.count, failuresMax: parseCount("--failures", values.failures ?? "1") };
  const plan = { config, shard, timeMs, workers: capWorkers(parseCount("--workers", values.workers ?? String(defaultWorkers()))) };
  const json = values.json === true;
  const progress = progressLine(process.stderr.isTTY === true && !json);
  const record = await runSweep(plan, progress.show);
  progress.clear();
  const out = values.out ?? null;
  const source = out === null ? "this sweep" : join(out, sweepRecordName(shard));
  if (out !== null) writeOutputFile(source, `${JSON.stringify(record, null, 2)}\n`, "--out: the shard's record");
  // Without --out, a scenario found goes to traces/ (as zksim run's traces do); a Paxos case is printed.
  const dir = out ?? (target === "zookeeper" ? "traces" : null);
  const fileOf = (failure: RunFailure): string | null => (dir === null ? null : join(dir, failure.fileName));
  for (const failure of record.failures) {
    const file = fileOf(failure);
    if (file !== null) writeOutputFile(file, failure.fileText, "the found case's file");
  }
  const report = shardReport(record, source);
  process.stdout.write(json ? `${JSON.stringify(sweepJson(report, fileOf))}\n` : `${formatSweepReport(report, fileOf)}\n`);
  return sweepStatus(report);
}

/** --mix: swarm (explore zookeeper's default) or fixed; explore paxos has one mix. */
function parseMix(target: "paxos" | "zookeeper", text: string | undefined): ZkMix {
  if (target === "paxos") {
    if (text !== undefined) throw new UsageError("--mix: explore paxos has one mix of faults; --mix is for explore zookeeper");
    return "fixed";
  }
  if (text === undefined) return ZK_MIX_DEFAULT;
  if (text !== "swarm" && text !== "fixed") throw new UsageError(`--mix: expected swarm or fixed, got '${text}'`);
  return text;
}

/** --buggify: fault points on or off (explore zookeeper; the default follows the mix); explore paxos has none. */
function parseBuggify(target: "paxos" | "zookeeper", mix: ZkMix, text: string | undefined): boolean {
  if (target === "paxos") {
    if (text !== undefined) throw new UsageError("--buggify: explore paxos runs no fault points; --buggify is for explore zookeeper");
    return false;
  }
  if (text === undefined) return buggifyDefault(mix);
  if (text !== "on" && text !== "off") throw new UsageError(`--buggify: expected on or off, got '${text}'`);
  return text === "on";
}

/** Combines the shard records of a sweep into one report. */
function merge(args: string[]): number {
  const { values, positionals } = parseArgs({ args, options: { json: { type: "boolean" }, help: { type: "boolean", short: "h" } }, strict: true, allowPositionals: true });
  if (values.help === true) {
    process.stdout.write(MERGE_HELP);
    return 0;
  }
  if (positionals.length === 0) throw new UsageError("merge: expected at least one directory of shard records (zksim explore --out DIR)");
  const inputs = positionals.flatMap((path) => shardRecordFiles(path)).map((source) => ({ source, record: parseSweepRecord(readInputFile(source), source) }));
  const { merged, problems } = mergeSweepRecords(inputs);
  if (merged === null) throw new UsageError(`merge: the records do not make one sweep:\n${problems.map((p) => `  ${p}`).join("\n")}`);
  const fileOf = (failure: MergedFailure): string => join(dirname(failure.source), failure.fileName);
  process.stdout.write(values.json === true ? `${JSON.stringify(sweepJson(merged, fileOf))}\n` : `${formatSweepReport(merged, fileOf)}\n`);
  return sweepStatus(merged);
}

/** The shard records in a directory (or the file itself, when a record is named). */
function shardRecordFiles(path: string): string[] {
  let names: string[];
  try {
    if (!statSync(path).isDirectory()) return [path];
    names = readdirSync(path);
  } catch (error) {
    throw new UsageError(`merge: ${path}: cannot read it: ${fsReason(error)}`);
  }
  const records = names.filter((name) => /^shard-\d+-of-\d+\.json$/.test(name)).sort();
  if (records.length === 0) throw new UsageError(`merge: ${path}: no shard record in it (expected files shard-I-of-N.json written by zksim explore --out)`);
  return records.map((name) => join(path, name));
}

function sweepStatus(report: MergedSweep): number {
  if (report.failures.some((f) => f.internal)) return EXIT_INTERNAL;
  return report.failures.length === 0 ? EXIT_OK : EXIT_CHECK_FAILED;
}

/** The JSON summary of a sweep: the report's data, each failure with its file in place of its text. */
function sweepJson(report: MergedSweep, fileOf: (failure: MergedFailure) => string | null): unknown {
  return {
    ...report,
    failures: report.failures.map((failure) => {
      const { fileText, ...rest } = failure;
      const file = fileOf(failure);
      return { ...rest, file, ...(file === null ? { case: fileText } : {}) };
    }),
  };
}

/** Progress on stderr, at most five times a second, when it is a terminal; cleared before the report. */
function progressLine(enabled: boolean): { show: (p: SweepProgress) => void; clear: () => void } {
  if (!enabled) return { show: () => {}, clear: () => {} };
  let shownMs = 0;
  return {
    show: (p) => {
      const now = Date.now();
      if (now - shownMs < 200) return;
      shownMs = now;
      process.stderr.write(`\r  ${formatProgress(p)}\u001b[K`);
    },
    clear: () => process.stderr.write("\r\u001b[K"),
  };
}

/** More worker threads than CPUs only cost memory (each holds its own copy of the code): cap them, and say so. */
function capWorkers(workers: number): number {
  const cpus = defaultWorkers();
  if (workers <= cpus) return workers;
  process.stderr.write(`zksim: --workers ${workers}: using ${cpus}, the number of CPUs available (more threads would not run faster)\n`);
  return cpus;
}

async function run(args: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    options: { seed: { type: "string" }, trace: { type: "string" }, history: { type: "string" }, json: { type: "boolean" }, quiet: { type: "boolean" }, help: { type: "boolean", short: "h" } },
    strict: true,
    allowPositionals: true,
  });
  if (values.help === true) {
    process.stdout.write(RUN_HELP);
    return 0;
  }
  if (positionals.length !== 1) throw new UsageError(`run: expected one scenario (a file or a bundled name), got ${positionals.length === 0 ? "none" : positionals.join(" ")}`);
  const scenarioArg = positionals[0] as string;
  const loaded = loadScenario(scenarioArg);
  const seed = values.seed === undefined ? loaded.scenario.seed : parseSeed(values.seed);
  const { report, tracePath, wallMs } = await asInternalFailure(
    () =>
      runLoaded(loaded, {
        seed,
        ...(values.trace === undefined ? {} : { tracePath: values.trace }),
        ...(values.history === undefined ? {} : { historyPath: values.history }),
        progress: process.stderr.isTTY === true && values.quiet !== true && values.json !== true,
      }),
    `npx zksim run ${shellWord(scenarioArg)} --seed ${seed}`,
  );
  if (values.json === true) process.stdout.write(`${JSON.stringify({ ...report, trace: tracePath, wallMs })}\n`);
  else if (values.quiet !== true) process.stdout.write(`${formatRunReport(report, tracePath, wallMs, scenarioArg)}\n`);
  return report.matched ? EXIT_OK : EXIT_CHECK_FAILED;
}

async function replay(args: string[]): Promise<number> {
  const { values, positionals } = parseArgs({ args, options: { help: { type: "boolean", short: "h" } }, strict: true, allowPositionals: true });
  if (values.help === true) {
    process.stdout.write(REPLAY_HELP);
    return 0;
  }
  if (positionals.length !== 1) throw new UsageError("replay: expected one trace file");
  const tracePath = positionals[0] as string;
  const outcome = await asInternalFailure(() => replayTrace(tracePath), `npx zksim replay ${shellWord(tracePath)}`);
  process.stdout.write(`${outcome.message}\n`);
  return outcome.matched ? EXIT_OK : EXIT_CHECK_FAILED;
}

/** Runs `work`; a failure that is not bad input is a bug in zksim, reported with the command that replays it. */
async function asInternalFailure<T>(work: () => Promise<T>, replay: string): Promise<T> {
  try {
    return await work();
  } catch (error) {
    if (badInputOf(error) !== null) throw error;
    throw new InternalFailure(error, replay);
  }
}

function list(args: string[]): number {
  const { values } = parseArgs({ args, options: { help: { type: "boolean", short: "h" } }, strict: true, allowPositionals: false });
  if (values.help === true) {
    process.stdout.write(LIST_HELP);
    return 0;
  }
  const scenarios = bundledScenarios();
  const width = Math.max(...scenarios.map((s) => s.scenario.name.length));
  for (const { scenario } of scenarios) {
    const first = scenario.description.split("\n")[0] ?? "";
    process.stdout.write(`${scenario.name.padEnd(width)}  ${first}\n`);
  }
  return 0;
}

function schema(args: string[]): number {
  const { values } = parseArgs({ args, options: { lesson: { type: "boolean" }, help: { type: "boolean", short: "h" } }, strict: true, allowPositionals: false });
  if (values.help === true) {
    process.stdout.write(SCHEMA_HELP);
    return 0;
  }
  process.stdout.write(`${JSON.stringify(values.lesson === true ? lessonJsonSchema() : scenarioJsonSchema(), null, 2)}\n`);
  return 0;
}

function check(args: string[]): number {
  const { values, positionals } = parseArgs({
    args,
    options: { model: { type: "string" }, initial: { type: "string" }, json: { type: "boolean" }, timeout: { type: "string" }, memory: { type: "string" }, help: { type: "boolean", short: "h" } },
    strict: true,
    allowPositionals: true,
  });
  if (values.help === true) {
    process.stdout.write(CHECK_HELP);
    return 0;
  }
  if (positionals.length === 0) throw new UsageError("check: expected at least one history file (see zksim check --help)");
  const options = {
    model: parseModel(values.model),
    initial: values.initial,
    timeoutMs: parseDuration(values.timeout ?? "30s"),
    memoryBytes: parseSize(values.memory ?? "2GB"),
    nowMs: () => Date.now(),
    memoryInUse: () => process.memoryUsage.rss(),
  };
  return checkFiles(positionals, options, values.json === true, { out: (text) => process.stdout.write(text), err: (text) => process.stderr.write(text) });
}

/** Writes a whole file, or a UsageError naming it and why not. */
function writeOutputFile(path: string, text: string, what: string): void {
  const fd = openOutput(path, what);
  try {
    writeSync(fd, text);
  } catch (error) {
    throw new UsageError(`${what} ${path}: cannot write the file: ${fsReason(error)}`);
  } finally {
    closeSync(fd);
  }
}

/**
 * Runs a scenario over seeds. A seed whose run meets an internal failure (a
 * bug in zksim) is recorded and the sweep goes on; those are listed apart at
 * the end, and make the exit status 4.
 */
async function exploreScenario(scenarioArg: string, runs: number, firstSeed: number): Promise<number> {
  const loaded = loadScenario(scenarioArg);
  const tty = process.stderr.isTTY === true;
  const started = Date.now();
  const misses: string[] = [];
  const internal: string[] = [];
  for (let k = 0; k < runs; k++) {
    const seed = firstSeed + k;
    const replay = `  replay: npx zksim run ${shellWord(scenarioArg)} --seed ${seed}\n  view: npx zksim view ${shellWord(scenarioArg)} --seed ${seed}`;
    try {
      const report = await runScenario(loaded.scenario, { seed });
      if (!report.matched) {
        const failed = report.checks.filter((c) => !c.holds).map((c) => `${c.name}: ${c.detail ?? ""}`);
        misses.push(`seed ${seed}: ${failed.length === 0 ? `every check held, but the scenario expects ${report.expect} to fail` : failed.join("; ")}\n${replay}`);
      }
    } catch (error) {
      if (badInputOf(error) !== null) throw error;
      internal.push(`seed ${seed}: ${describeInternal(error)}\n${replay}`);
    }
    if (tty) process.stderr.write(`\r  ${k + 1}/${runs} seeds, ${misses.length} not as expected, ${internal.length} internal failures   `);
  }
  if (tty) process.stderr.write("\r\u001b[K");
  const out = [
    `${loaded.scenario.name}: ${runs} seeds (${firstSeed}..${firstSeed + runs - 1}) in ${Date.now() - started} ms; ${misses.length} not as expected (expect: ${loaded.scenario.expect})` +
      (internal.length === 0 ? "" : `; ${internal.length} internal failure${internal.length === 1 ? "" : "s"}`),
    ...misses,
  ];
  if (internal.length > 0) out.push(`internal failures (bugs in zksim, not verdicts on the scenario):`, ...internal);
  process.stdout.write(`${out.join("\n")}\n`);
  if (internal.length > 0) return EXIT_INTERNAL;
  return misses.length === 0 ? EXIT_OK : EXIT_CHECK_FAILED;
}

function parseCount(flag: string, text: string): number {
  if (!/^\d{1,9}$/.test(text) || Number(text) < 1) throw new UsageError(`${flag}: expected a whole number of at least 1, got '${text}'`);
  return Number(text);
}

function demo(args: string[]): number {
  const { values } = parseArgs({
    args,
    options: { seed: { type: "string" }, trace: { type: "string" }, help: { type: "boolean", short: "h" } },
    strict: true,
    allowPositionals: false,
  });
  if (values.help === true) {
    process.stdout.write(DEMO_HELP);
    return 0;
  }
  const seed = parseSeed(values.seed ?? "1");
  const tracePath = values.trace ?? "traces/gossip-demo.trace.jsonl";
  const sink = new FileSink(tracePath, { what: values.trace === undefined ? "the trace file (choose another with --trace FILE)" : "--trace" });
  let result: ReturnType<typeof runGossipDemo>;
  try {
    result = runGossipDemo(seed, sink);
  } catch (error) {
    if (badInputOf(error) !== null) throw error;
    throw new InternalFailure(error, `npx zksim demo --seed ${seed}`);
  } finally {
    sink.close();
  }

  const out: string[] = [];
  out.push(`zksim demo (seed ${seed}): ${GOSSIP_DEMO_DESCRIPTION}`, "");
  for (const h of result.highlights) out.push(`  ${formatUs(h.t).padStart(9)}  ${h.text}`);
  out.push("", "At the end:");
  for (const [id, rumors] of Object.entries(result.finalRumors)) out.push(`  ${id} knows ${rumors.join(", ") || "nothing"}`);
  const s = result.summary.stats;
  const dropped = Object.entries(s.dropped).filter(([, n]) => n > 0).map(([why, n]) => `${n} ${why}`).join(", ");
  out.push(
    "",
    `${s.sent} messages sent, ${s.delivered} delivered, dropped: ${dropped || "none"}; ${s.timers} timers; ${s.syncs} disk syncs; ${s.faults} faults`,
    `${result.summary.events} trace events, digest ${result.summary.digest}; trace written to ${tracePath}`,
  );
  const converged = Object.values(result.finalRumors).every((r) => r.length === 2);
  out.push(converged ? "Every node knows every rumor." : "Not every node learned every rumor in time.");
  process.stdout.write(out.join("\n") + "\n");
  return converged ? 0 : 1;
}

function parseSeed(text: string): number {
  if (!/^\d{1,15}$/.test(text)) throw new UsageError(`--seed: expected a whole number (0 to 999999999999999), got '${text}'`);
  return Number(text);
}

function formatUs(us: number): string {
  return `${(us / 1_000_000).toFixed(3)} s`;
}

try {
  process.exitCode = await main(process.argv.slice(2));
} catch (error) {
  const badInput = badInputOf(error);
  if (badInput !== null) {
    process.stderr.write(`zksim: ${badInput.message}\n`);
    process.exitCode = EXIT_BAD_INPUT;
  } else if (error instanceof InternalFailure) {
    const view = error.replay.startsWith("npx zksim run ") ? `  view: npx zksim view ${error.replay.slice("npx zksim run ".length)}\n` : "";
    process.stderr.write(`zksim: ${error.message}\n  replay: ${error.replay}\n${view}`);
    process.exitCode = EXIT_INTERNAL;
  } else {
    process.stderr.write(`zksim: ${describeInternal(error)}\n`);
    process.exitCode = EXIT_INTERNAL;
  }
}
