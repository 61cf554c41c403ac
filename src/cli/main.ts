import { closeSync, writeSync } from "node:fs";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { GOSSIP_DEMO_DESCRIPTION, runGossipDemo } from "../examples/index.ts";
import { PAXOS_BUGS, type PaxosBug } from "../paxos/index.ts";
import { searchZk } from "../explore/index.ts";
import { defaultWorkers, formatSweep, parseBug, sweepPaxos } from "./explore.ts";
import { badInputOf, describeInternal, EXIT_BAD_INPUT, EXIT_CHECK_FAILED, EXIT_INTERNAL, EXIT_OK, InternalFailure, shellWord } from "./failure.ts";
import { FileSink, openOutput } from "./file-sink.ts";
import { fsReason, UsageError } from "./input.ts";
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

const EXPLORE_HELP = `Usage: zksim explore paxos [--runs N] [--seed N] [--bug NAME] [--workers N]
       zksim explore scenario SCENARIO [--runs N] [--seed N]
       zksim explore zookeeper [--runs N] [--seed N] [--bug NAME]

explore scenario runs a scenario (a file or a bundled name) with the seeds
seed, seed+1, ... and reports every seed whose checks do not come out as
the scenario's expect says, with the command that replays it.

explore zookeeper generates random fault schedules (crashes, restarts,
pauses, isolation of servers, the leader and clients, clock steps, loss)
against the whole service with clients, and checks Paxos safety, replica
agreement and every ZooKeeper guarantee. A failure is shrunk and written as a
scenario file that zksim run replays (traces/found-by-explore-SEED.yaml).

explore paxos:

Runs randomized fault schedules (crashes, restarts, pauses, partitions,
one-way cuts, clock drift, loss, duplication, slow disks, then calm) against
a Paxos cluster and checks safety in every run, and liveness after calm for
the correct replica. A failure is shrunk and printed with its seeds.

Options:
  --runs N       how many runs in all (default 1000)
  --seed N       the first fast-check seed; worker k uses seed+k (default 1)
  --bug NAME     turn on a bug of the zoo: ${PAXOS_BUGS.join(", ")}
  --workers N    worker threads (default and most: the number of CPUs available)
  -h, --help     this text

Exit status: 0 when no violation was found (explore scenario: every seed
came out as expected), 1 when one was, 2 on bad input, 4 when a run met an
internal failure (a bug in zksim). explore scenario goes on after an
internal failure and lists those seeds apart, each with its replay command.
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
      throw new UsageError(`unknown command '${command}'; expected one of: run, replay, view, list, lessons, schema, check, explore, demo (see zksim --help)`);
  }
}

async function explore(args: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    options: {
      runs: { type: "string" },
      seed: { type: "string" },
      bug: { type: "string" },
      workers: { type: "string" },
      help: { type: "boolean", short: "h" },
    },
    strict: true,
    allowPositionals: true,
  });
  if (values.help === true) {
    process.stdout.write(EXPLORE_HELP);
    return 0;
  }
  if (positionals[0] === "zookeeper") {
    if (positionals.length !== 1) throw new UsageError("explore zookeeper: expected no other argument");
    if (values.workers !== undefined) throw new UsageError("explore zookeeper: runs in one thread (--workers is for explore paxos)");
    let bugs: PaxosBug[] = [];
    try {
      bugs = values.bug === undefined ? [] : [parseBug(values.bug)];
    } catch (error) {
      throw new UsageError((error as Error).message);
    }
    return exploreZookeeper(parseCount("--runs", values.runs ?? "100"), parseSeed(values.seed ?? "1"), bugs);
  }
  if (positionals[0] === "scenario") {
    if (positionals.length !== 2) throw new UsageError("explore scenario: expected one scenario (a file or a bundled name)");
    if (values.bug !== undefined || values.workers !== undefined) throw new UsageError("explore scenario: --bug and --workers are for explore paxos (a scenario names its bugs)");
    return exploreScenario(positionals[1] as string, parseCount("--runs", values.runs ?? "100"), parseSeed(values.seed ?? "1"));
  }
  if (positionals.length !== 1 || positionals[0] !== "paxos") {
    throw new UsageError(`explore: expected the target 'paxos', 'zookeeper' or 'scenario NAME', got ${positionals.length === 0 ? "nothing" : `'${positionals.join(" ")}'`}`);
  }
  const runs = parseCount("--runs", values.runs ?? "1000");
  const seed = parseSeed(values.seed ?? "1");
  const workers = capWorkers(parseCount("--workers", values.workers ?? String(defaultWorkers())));
  let bugs: PaxosBug[] = [];
  try {
    bugs = values.bug === undefined ? [] : [parseBug(values.bug)];
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
  const outcome = await sweepPaxos(bugs, runs, seed, workers);
  process.stdout.write(formatSweep(outcome, bugs) + "\n");
  if (outcome.failures.some((f) => f.result.internal)) return EXIT_INTERNAL;
  return outcome.failures.length === 0 ? EXIT_OK : EXIT_CHECK_FAILED;
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

async function exploreZookeeper(runs: number, seed: number, bugs: PaxosBug[]): Promise<number> {
  const started = Date.now();
  const result = await searchZk({ seed, numRuns: runs, bugs });
  const wallMs = Date.now() - started;
  const what = `${bugs.length === 0 ? "the correct service" : `bug ${bugs.join(", ")}`}, fast-check seed ${seed}`;
  if (!result.failed || result.yaml === null) {
    process.stdout.write(`explore zookeeper (${what}): ${result.numRuns} runs in ${wallMs} ms, every check held\n`);
    return 0;
  }
  const file = join("traces", `found-by-explore-${seed}.yaml`);
  writeOutputFile(file, result.yaml, "the found case's file");
  const how = result.internal ? "met an internal failure (a bug in zksim)" : "failed";
  process.stdout.write(
    `explore zookeeper (${what}): run ${result.numRuns} ${how} (shrunk in ${result.numShrinks} steps, ${wallMs} ms)\n  ${result.failure ?? ""}\n` +
      `  the case, as a scenario: ${file}\n  replay: npx zksim run ${file}\n  view: npx zksim view ${file}\n`,
  );
  return result.internal ? EXIT_INTERNAL : EXIT_CHECK_FAILED;
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
