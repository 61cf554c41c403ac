import { existsSync, readdirSync } from "node:fs";
import { zkHistoryToEvents, type ZkHistory } from "../check/index.ts";
import { basename, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { parseScenario, runScenario, type Scenario, type ScenarioReport } from "../scenario/index.ts";
import { traceHeaderSchema, traceSummarySchema } from "../sim/index.ts";
import { FileSink } from "./file-sink.ts";
import { readInputFile, UsageError } from "./input.ts";
import { CompareSink, formatDifference, lastLineOf, LineReader } from "./trace-compare.ts";

/** Where the bundled scenarios live (scenarios/ at the package root). */
export const SCENARIO_DIR = fileURLToPath(new URL("../../scenarios/", import.meta.url));


export const RUN_HELP = `Usage: zksim run SCENARIO [--seed N] [--trace FILE] [--history FILE] [--json] [--quiet]

Runs a scenario: a file, or the name of a bundled scenario (zksim list).
Prints the checks, the figures and where the trace went.

Options:
  --seed N       run with this seed instead of the scenario's
  --trace FILE   where the full JSON Lines trace goes (default traces/NAME-SEED.trace.jsonl)
  --history FILE write the clients' znode operations as a JSON Lines history
                 (the format of zksim check; check it with --model znode)
  --json         print the report as JSON (seed and trace digest included)
  --quiet        print nothing; the exit status tells
  -h, --help     this text

The trace and history files are created before the run starts.

Exit status: 0 when the checks came out as the scenario's 'expect' says,
1 when they did not (the seed and the commands to replay it are printed),
2 on bad input (the file, line and field, and what was expected; or an
output file that cannot be written), 4 on an internal failure: a bug in
zksim, printed with the seed and the command that replays it.
`;

export const REPLAY_HELP = `Usage: zksim replay TRACE

Runs again the scenario and seed recorded in a trace's header, and compares
the run's trace with the recorded one line by line (header, every event,
summary and its digest). The first line that differs is printed with its
number, as recorded and as replayed.

Exit status: 0 every line the same, 1 a line differs, 2 the trace cannot
be read (or records a scenario that is not valid), 4 an internal failure
(a bug in zksim).
`;

export const LIST_HELP = `Usage: zksim list

The bundled scenarios, each with the first line of its description.
`;

export const SCHEMA_HELP = `Usage: zksim schema [--lesson]

Prints the JSON Schema of scenario files (for editors); with --lesson, the
JSON Schema of lesson files (scenarios/lessons/*.yaml).
`;

export interface LoadedScenario {
  readonly scenario: Scenario;
  readonly file: string;
  readonly source: string;
}

/** A file path, or the name of a bundled scenario. */
export function loadScenario(nameOrFile: string): LoadedScenario {
  const bundled = join(SCENARIO_DIR, `${nameOrFile}.yaml`);
  const file = existsSync(nameOrFile) ? nameOrFile : existsSync(bundled) ? bundled : null;
  if (file === null) throw new UsageError(`${nameOrFile}: no such file, and no bundled scenario of that name (see zksim list)`);
  const source = readInputFile(file);
  return { scenario: parseScenario(source, file), file, source };
}

export function bundledScenarios(): LoadedScenario[] {
  return readdirSync(SCENARIO_DIR)
    .filter((f) => f.endsWith(".yaml"))
    .sort()
    .map((f) => loadScenario(join(SCENARIO_DIR, f)));
}

export interface RunCommandOptions {
  readonly seed?: number;
  readonly tracePath?: string;
  readonly historyPath?: string;
  readonly progress: boolean;
}

/**
 * Runs a loaded scenario with its trace going to a file; returns the report and where the trace went.
 * The output files are created before the run starts: a path that cannot be written is bad input at once.
 */
export async function runLoaded(loaded: LoadedScenario, options: RunCommandOptions): Promise<{ report: ScenarioReport; tracePath: string; wallMs: number }> {
  const seed = options.seed ?? loaded.scenario.seed;
  const tracePath = options.tracePath ?? join("traces", `${loaded.scenario.name}-${seed}.trace.jsonl`);
  const traceWhat = options.tracePath === undefined ? "the trace file (choose another with --trace FILE)" : "--trace";
  checkOutputs(loaded, tracePath, options.historyPath);
  const history = options.historyPath === undefined ? null : new FileSink(options.historyPath, { what: "--history" });
  let sink: FileSink;
  try {
    sink = new FileSink(tracePath, { what: traceWhat });
  } catch (error) {
    history?.close();
    throw error;
  }
  try {
    const started = Date.now();
    const report = await runScenario(loaded.scenario, {
      seed,
      traceSink: sink,
      traceMeta: { scenarioFile: loaded.file, scenarioSource: loaded.source },
      origin: { file: loaded.file, source: loaded.source },
      ...(history === null ? {} : { onHistory: (events: ZkHistory) => zkHistoryToEvents(events).forEach((e) => history.write(JSON.stringify(e))) }),
      // Called every virtual second: a trace or history that stopped being written (a full disk) ends the run there.
      progress: (nowUs: number, events: number) => {
        sink.check();
        history?.check();
        if (options.progress) process.stderr.write(`\r  ${(nowUs / 1e6).toFixed(1)} s virtual, ${events} events, ${Math.round(events / Math.max(0.001, (Date.now() - started) / 1000))} events/s   `);
      },
    });
    if (options.progress) process.stderr.write("\r\u001b[K");
    return { report, tracePath, wallMs: Date.now() - started };
  } finally {
    try {
      history?.close();
    } finally {
      sink.close();
    }
  }
}

/** The trace and the history must be two files, and neither the scenario being run. */
function checkOutputs(loaded: LoadedScenario, tracePath: string, historyPath: string | undefined): void {
  const scenarioFile = resolve(loaded.file);
  if (tracePath !== "" && resolve(tracePath) === scenarioFile) throw new UsageError(`--trace ${tracePath}: this is the scenario file; writing the trace there would overwrite it`);
  if (historyPath === undefined || historyPath === "") return;
  if (resolve(historyPath) === scenarioFile) throw new UsageError(`--history ${historyPath}: this is the scenario file; writing the history there would overwrite it`);
  if (resolve(historyPath) === resolve(tracePath)) throw new UsageError(`--history ${historyPath}: the trace goes to the same file; expected another file`);
}

export function formatRunReport(report: ScenarioReport, tracePath: string, wallMs: number, scenarioArg: string): string {
  const out: string[] = [];
  const outcome = report.matched ? "as expected" : "NOT as expected";
  out.push(`${report.name} (${report.system}, seed ${report.seed}): ${outcome} (expect: ${report.expect})`);
  for (const c of report.checks) out.push(`  ${c.holds ? "held  " : "FAILED"} ${c.name}${c.detail === null ? "" : `: ${c.detail}`}`);
  const o = report.operations;
  out.push(`  operations: ${o.ok} ok, ${o.failed} failed, ${o.unknown} unknown`);
  const l = report.latencyUs;
  if (l !== null) out.push(`  latency (virtual): p50 ${ms(l.p50)}, p90 ${ms(l.p90)}, p99 ${ms(l.p99)}, max ${ms(l.max)}`);
  const top = Object.entries(report.messages).slice(0, 6).map(([type, n]) => `${type} ${n}`).join(", ");
  out.push(`  messages: ${Object.values(report.messages).reduce((a, b) => a + b, 0)} (${top})`);
  if (report.system === "zookeeper") out.push(`  sessions expired: ${report.sessionsExpired}`);
  if (report.buggify !== undefined) out.push(`  fault points fired: ${formatFired(report.buggify)}`);
  out.push(`  leader changes: ${report.leaderChanges}; without a leader: ${report.leaderless.count} time(s), ${ms(report.leaderless.totalUs)} in all, longest ${ms(report.leaderless.longestUs)}`);
  out.push(`  ${report.events} trace events, digest ${report.digest ?? "-"}, ${(report.endUs / 1e6).toFixed(1)} virtual s in ${wallMs} ms`);
  out.push(`  trace: ${tracePath}`);
  if (!report.matched) {
    out.push(`  replay: npx zksim run ${scenarioArg} --seed ${report.seed}`);
    out.push(`          npx zksim replay ${tracePath}`);
  }
  out.push(`  view: npx zksim view ${tracePath}`);
  return out.join("\n");
}

/** Each enabled fault point with how often it fired: "zk.reply-delay 3, client.reconnect 0". */
export function formatFired(fired: Readonly<Record<string, number | undefined>>): string {
  const entries = Object.entries(fired);
  return entries.length === 0 ? "none enabled" : entries.map(([point, n]) => `${point} ${n ?? 0}`).join(", ");
}

function ms(us: number): string {
  return us >= 1_000_000 ? `${(us / 1e6).toFixed(2)} s` : `${(us / 1_000).toFixed(1)} ms`;
}

/**
 * Re-runs the scenario and seed a trace recorded, and compares the replay's
 * trace with the recorded one line by line as it goes (header, every event,
 * summary), streaming both: the first line that differs is reported with
 * its number and the two versions. Bad input (a file that is no zksim trace)
 * throws a UsageError or a ScenarioError.
 */
export async function replayTrace(tracePath: string): Promise<{ matched: boolean; message: string }> {
  const { scenario, seed, meta } = recordedRun(tracePath);
  const recorded = new LineReader(tracePath);
  try {
    const compare = new CompareSink(recorded);
    const report = await runScenario(scenario, { seed, traceSink: compare, traceMeta: meta });
    const { lines, difference } = compare.finish();
    const head = `${scenario.name}, seed ${seed}`;
    if (difference === null) return { matched: true, message: `${head}: replayed, same digest ${report.digest ?? ""} (${report.events} events, all ${lines} lines the same)` };
    return {
      matched: false,
      message: [`${head}: ${tracePath}:${difference.line}: the replay differs from the recorded trace from this line on`, ...formatDifference(difference)].join("\n"),
    };
  } finally {
    recorded.close();
  }
}

/** What a trace's header says was run (the scenario, as recorded, and the seed); its last line must be a summary. */
function recordedRun(tracePath: string): { scenario: Scenario; seed: number; meta: Record<string, unknown> } {
  const reader = new LineReader(tracePath);
  let first: string | undefined;
  try {
    first = reader.read();
  } finally {
    reader.close();
  }
  const parse = (line: string | undefined, place: string, expected: string): unknown => {
    if (line === undefined) throw new UsageError(`${tracePath}:${place}: expected ${expected}, found an empty file`);
    try {
      return JSON.parse(line);
    } catch {
      throw new UsageError(`${tracePath}:${place}: expected ${expected}, found a line that is not JSON`);
    }
  };
  const header = traceHeaderSchema.safeParse(parse(first, "1", "a zksim trace header"));
  if (!header.success) throw new UsageError(`${tracePath}:1: not a zksim trace header (${header.error.issues[0]?.message ?? "invalid"})`);
  const summary = traceSummarySchema.safeParse(parse(lastLineOf(tracePath), "last line", "a trace summary"));
  if (!summary.success) throw new UsageError(`${tracePath}:last line: expected a trace summary: the run did not finish writing it`);
  const meta = header.data.meta ?? {};
  const source = meta["scenarioSource"];
  const file = meta["scenarioFile"];
  if (typeof source !== "string" || typeof file !== "string") throw new UsageError(`${tracePath}:1: the header records no scenario (it was not written by zksim run)`);
  const scenario = parseScenario(source, `${file} (as recorded in ${basename(tracePath)})`);
  const seed = header.data.seed;
  if (typeof seed !== "number") throw new UsageError(`${tracePath}:1: the seed is not a number`);
  return { scenario, seed, meta };
}
