import { closeSync, mkdirSync, openSync, writeSync } from "node:fs";
import { join, relative } from "node:path";
import fc from "fast-check";
import { z } from "zod";
import { CHECK_NAMES, type CheckName, type ScenarioReport } from "../scenario/index.ts";
import type { TraceSink } from "../sim/index.ts";
import { FAULT_SCHEDULE_DEFAULTS, minorityOf, PROPERTY_FAULT_KINDS } from "./arbitraries.ts";
import {
  formatPropertyCase,
  propertyCaseArbitrary,
  PROPERTY_CLIENTS,
  PROPERTY_RUN_DEFAULTS,
  PROPERTY_TICK_MS,
  PropertyUsageError,
  runPropertyCase,
  type PropertyBody,
  type PropertyCase,
  type PropertyCaseOptions,
  type PropertyRunSettings,
} from "./run-case.ts";

/**
 * zkProperty: a property test of the user's own recipe or client, in the
 * simulation. fast-check draws the runs (cluster size, network, fault
 * schedule, engine seed, and the user's own arbitraries), each run is a
 * simulated cluster whose clients run the user's workload, judged by zksim's
 * checks and by the user's assertions; a failure is shrunk, and reported with
 * its seed, its schedule, the command that replays it and the trace to view.
 */

/** zksim's checks a property may ask for (paxos-liveness judges a bare Paxos log, not the service). */
export const PROPERTY_CHECKS = CHECK_NAMES.filter((name) => name !== "paxos-liveness");
/** What a property judges unless told otherwise: safety of the log, the replicas, ZooKeeper's guarantees, zksim's own recipes. */
export const DEFAULT_PROPERTY_CHECKS: readonly CheckName[] = PROPERTY_RUN_DEFAULTS.checks;

/** The environment variable that replays one run: `seed:path`, as a failure prints it. */
export const REPLAY_VARIABLE = "ZKSIM_REPLAY";

export interface ZkPropertyOptions<Args extends unknown[] = []> extends PropertyCaseOptions {
  /** Names the property in reports and its trace's file (default "zk-property"). */
  readonly name?: string;
  /** Runs to try (default 20). */
  readonly runs?: number;
  /** fast-check's seed (default 1: the same runs every time; give another to explore further). */
  readonly seed?: number;
  /** Replays one run (what a failure prints): fast-check's seed and path. Also taken from ZKSIM_REPLAY=seed:path. */
  readonly replay?: { readonly seed: number; readonly path: string };
  /** The clients' session timeout (default 2000 ms; from 400 to 4000 ms, 2 to 20 ticks of 200 ms). */
  readonly sessionTimeoutMs?: number;
  /** Virtual time the workloads have to finish in (default 30000 ms); one still running then fails the run. */
  readonly runMsMax?: number;
  /** zksim's checks (default DEFAULT_PROPERTY_CHECKS); false for none but the workloads' own failures. */
  readonly checks?: readonly CheckName[] | false;
  /** Adds the storage node "store" that `process.store(key, value, token)` writes to (fencing: refuse lower tokens). */
  readonly storage?: { readonly fencing: boolean };
  /** More arbitraries: their values are the body's further arguments. */
  readonly args?: { readonly [K in keyof Args]: fc.Arbitrary<Args[K]> };
  /** Where the failing run's trace goes (default "traces", from the working directory). */
  readonly traceDir?: string;
  /** Called after every run (shrinking steps included): statistics, or a "sometimes" check of your own. */
  readonly onRun?: (run: { readonly case: PropertyCase; readonly report: ScenarioReport | null; readonly failure: string | null }) => void;
}

/** A property that did not hold: everything needed to replay it and look at it. */
export interface ZkPropertyFailure {
  readonly name: string;
  /** fast-check's seed and the path to the shrunk run: with them, that run alone replays. */
  readonly seed: number;
  readonly path: string;
  readonly runs: number;
  readonly shrinks: number;
  /** The shrunk run as drawn, and the user's arguments. */
  readonly case: PropertyCase;
  readonly args: readonly unknown[];
  /** What failed in the shrunk run, in words. */
  readonly failure: string;
  /** The failure is zksim's own (an assertion, an exception in a node): please report it. */
  readonly internal: boolean;
  /** The shrunk run's cluster and faults, as a scenario file writes them. */
  readonly schedule: string;
  /** Shell commands: run the shrunk run again (vitest), and open its trace in the viewer. */
  readonly replayCommand: string;
  readonly viewCommand: string;
  /** The trace file of the shrunk run (null when it could not be written: the reason is in `message`), and its digest. */
  readonly tracePath: string | null;
  readonly digest: string | null;
  /** All of the above, as printed. */
  readonly message: string;
}

/** What checkZkProperty found: null failure when every run held. */
export interface ZkPropertyResult {
  readonly runs: number;
  readonly failure: ZkPropertyFailure | null;
}

/** Thrown by zkProperty when the property fails; its message is the report. */
export class ZkPropertyError extends Error {
  override readonly name = "ZkPropertyError";
  constructor(readonly failure: ZkPropertyFailure) {
    super(failure.message);
  }
}

/** Options that cannot be used: each problem named by its place (`options.faults.downMax`) and what was expected. */
export class ZkPropertyOptionsError extends Error {
  override readonly name = "ZkPropertyOptionsError";
}

/**
 * Checks the property over `runs` drawn runs and throws ZkPropertyError
 * (with the seed, the shrunk schedule, the replay and view commands) when
 * one fails. Use it inside a vitest (or any) test.
 */
export async function zkProperty<Args extends unknown[] = []>(options: ZkPropertyOptions<Args>, body: PropertyBody<Args>): Promise<void> {
  const result = await checkZkProperty(options, body);
  if (result.failure !== null) throw new ZkPropertyError(result.failure);
}

/** Like zkProperty, but returns the failure instead of throwing it (for a test that expects one). */
export async function checkZkProperty<Args extends unknown[] = []>(options: ZkPropertyOptions<Args>, body: PropertyBody<Args>): Promise<ZkPropertyResult> {
  const settings = validate(options);
  const replay = options.replay ?? replayFromEnvironment();
  const argArbitraries = (options.args ?? []) as readonly fc.Arbitrary<unknown>[];
  const arbitrary = fc.tuple(propertyCaseArbitrary(options), fc.tuple(...argArbitraries));
  let usage: PropertyUsageError | null = null;
  /** Faults of the smallest failing run so far: a shrinking step with more is not a smaller counterexample, and is not run. */
  let failingFaultsMin = Number.POSITIVE_INFINITY;
  const property = fc.asyncProperty(arbitrary, async ([c, args]) => {
    if (usage !== null) return false;
    // Shrinking a drawn episode (shorter, earlier) can let one in that the constraints had left out: never grow the schedule.
    if (c.faults.length > failingFaultsMin) return true;
    try {
      const outcome = await runPropertyCase(c, settings.run, body, args as Args);
      options.onRun?.({ case: c, report: outcome.report, failure: outcome.failure });
      if (outcome.failure !== null) failingFaultsMin = c.faults.length;
      return outcome.failure === null;
    } catch (error) {
      if (!(error instanceof PropertyUsageError)) throw error;
      usage = error; // how the property is written, not what it found: stop at once
      return false;
    }
  });
  const seed = replay?.seed ?? settings.seed;
  const details = await fc.check(property, replay === null ? { seed, numRuns: settings.runs } : { seed, path: replay.path, endOnFailure: true });
  if (usage !== null) throw usage;
  if (!details.failed || details.counterexample === null) return { runs: details.numRuns, failure: null };
  const [c, args] = details.counterexample[0];
  return { runs: details.numRuns, failure: await describeFailure(settings, body, c, args as Args, { seed, path: details.counterexamplePath ?? "", runs: details.numRuns, shrinks: details.numShrinks }) };
}

/** Runs the shrunk case again with its trace written to a file, and words the failure. */
async function describeFailure<Args extends unknown[]>(
  settings: Settings,
  body: PropertyBody<Args>,
  c: PropertyCase,
  args: Args,
  found: { seed: number; path: string; runs: number; shrinks: number },
): Promise<ZkPropertyFailure> {
  const traceFile = join(settings.traceDir, `${settings.run.name}-${found.seed}.trace.jsonl`);
  const meta = { property: settings.run.name, propertySeed: found.seed, propertyPath: found.path, faults: formatPropertyCase(c) };
  let tracePath: string | null = traceFile;
  let traceProblem: string | null = null;
  let outcome;
  try {
    const sink = new TraceFileSink(traceFile);
    try {
      outcome = await runPropertyCase(c, settings.run, body, args, { sink, meta });
    } finally {
      sink.close();
    }
  } catch (error) {
    // The trace is a help, not the verdict: without it the failure is still reported.
    traceProblem = `the trace could not be written to ${traceFile}: ${error instanceof Error ? error.message : String(error)}`;
    tracePath = null;
    outcome = await runPropertyCase(c, settings.run, body, args);
  }
  const failure = outcome.failure ?? "the shrunk run did not fail again when run alone: the property is not deterministic (does it use the host's randomness, clock or timers instead of process.rng, process.now() and process.sleep(), or state kept from one run to the next?)";
  const replayCommand = `${REPLAY_VARIABLE}=${found.seed}:${found.path} npx vitest run ${testFilter()}`.trimEnd();
  const viewCommand = tracePath === null ? "(no trace)" : `npx zksim view ${tracePath}`;
  const schedule = formatPropertyCase(c);
  const argsLine = args.length === 0 ? "" : `\narguments: ${JSON.stringify(args)}`;
  const lines = [
    `zkProperty ${settings.run.name} failed after ${found.runs} run${found.runs === 1 ? "" : "s"} (shrunk in ${found.shrinks} step${found.shrinks === 1 ? "" : "s"})${outcome.internal ? ": an internal failure of zksim (a bug in zksim, not in your code)" : ""}`,
    indent(failure),
    `seed: ${found.seed}, path: "${found.path}"`,
    `${schedule}${argsLine}`,
    `replay: ${replayCommand}`,
    `view:   ${viewCommand}`,
    ...(traceProblem === null ? [] : [traceProblem]),
  ];
  return {
    name: settings.run.name,
    seed: found.seed,
    path: found.path,
    runs: found.runs,
    shrinks: found.shrinks,
    case: c,
    args,
    failure,
    internal: outcome.internal,
    schedule,
    replayCommand,
    viewCommand,
    tracePath,
    digest: outcome.report?.digest ?? null,
    message: lines.join("\n"),
  };
}

function indent(text: string): string {
  return text
    .split("\n")
    .map((line) => `  ${line}`)
    .join("\n");
}

/**
 * The running test's file and name, for the replay command: the test
 * runner's expect state (vitest's and jest's, read without importing a test
 * runner), or nothing outside a test.
 */
function testFilter(): string {
  const holder = (globalThis as Record<symbol, unknown>)[Symbol.for("$$jest-matchers-object")] as { state?: { testPath?: unknown; currentTestName?: unknown } } | undefined;
  const state = holder?.state;
  const file = typeof state?.testPath === "string" ? relative(process.cwd(), state.testPath) : "";
  const fullName = typeof state?.currentTestName === "string" ? state.currentTestName : "";
  const title = fullName.split(" > ").pop() ?? "";
  return `${file}${title === "" ? "" : ` -t ${shellQuote(escapeRegExp(title))}`}`;
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

function shellQuote(text: string): string {
  return `'${text.replace(/'/g, `'\\''`)}'`;
}

/** ZKSIM_REPLAY=seed:path (path: fast-check's, numbers joined by ":"), or null when unset. */
function replayFromEnvironment(): { seed: number; path: string } | null {
  const value = process.env[REPLAY_VARIABLE];
  if (value === undefined || value === "") return null;
  const match = /^(-?\d+):(\d+(?::\d+)*)$/.exec(value.trim());
  if (match === null) throw new ZkPropertyOptionsError(`${REPLAY_VARIABLE}=${value}: expected seed:path as a failure prints it, such as ${REPLAY_VARIABLE}=42:3:0:1`);
  return { seed: Number(match[1]), path: match[2] as string };
}

/** Streams a trace to a file, bytes as the recorder hands them over. */
class TraceFileSink implements TraceSink {
  private readonly fd: number;
  constructor(path: string) {
    mkdirSync(join(path, ".."), { recursive: true });
    this.fd = openSync(path, "w");
  }
  write(line: string): void {
    writeSync(this.fd, `${line}\n`);
  }
  writeBytes(bytes: Uint8Array, start: number, end: number): void {
    for (let at = start; at < end; ) at += writeSync(this.fd, bytes, at, end - at);
  }
  close(): void {
    closeSync(this.fd);
  }
}

// ---------------------------------------------------------------- options

interface Settings {
  readonly run: PropertyRunSettings;
  readonly runs: number;
  readonly seed: number;
  readonly traceDir: string;
}

const wholeNumber = (min: number, max: number) => z.int(`expected a whole number from ${min} to ${max}`).min(min, `expected a whole number from ${min} to ${max}`).max(max, `expected a whole number from ${min} to ${max}`);

/** The options a person writes, checked before any run (args and onRun are functions and arbitraries: checked by their types). */
const optionsSchema = z
  .object({
    name: z.string().regex(/^[a-z0-9][a-z0-9-]*$/, "expected a lower-case name with dashes, such as my-lock (it names the trace's file)").max(80).optional(),
    runs: wholeNumber(1, 1_000_000).optional(),
    seed: z.int("expected a whole number").optional(),
    replay: z.strictObject({ seed: z.int("expected a whole number"), path: z.string().regex(/^\d+(:\d+)*$/, 'expected fast-check\'s path, such as "3:0:1"') }).optional(),
    clients: wholeNumber(1, 200).optional(),
    servers: z.array(wholeNumber(1, 9)).min(1, "expected at least one cluster size").optional(),
    faults: z
      .strictObject({
        kinds: z.array(z.enum(PROPERTY_FAULT_KINDS, `expected one of ${PROPERTY_FAULT_KINDS.join(", ")}`)).optional(),
        downMax: wholeNumber(0, 9).optional(),
        durationMs: wholeNumber(1, 3_600_000).optional(),
        faultsMax: wholeNumber(0, 1_000).optional(),
        episodeMsMin: wholeNumber(1, 3_600_000).optional(),
        episodeMsMax: wholeNumber(1, 3_600_000).optional(),
        skewMsMax: wholeNumber(0, 3_600_000).optional(),
      })
      .optional(),
    network: z
      .strictObject({
        lossPercentMax: wholeNumber(0, 50).optional(),
        latencyUsMin: wholeNumber(0, 10_000_000).optional(),
        latencyUsMax: wholeNumber(0, 10_000_000).optional(),
      })
      .optional(),
    sessionTimeoutMs: wholeNumber(2 * PROPERTY_TICK_MS, 20 * PROPERTY_TICK_MS).optional(),
    runMsMax: wholeNumber(1, 3_600_000).optional(),
    checks: z.union([z.literal(false), z.array(z.enum(PROPERTY_CHECKS))], `expected false, or a list of zksim's checks among ${PROPERTY_CHECKS.join(", ")}`).optional(),
    storage: z.strictObject({ fencing: z.boolean() }).optional(),
    traceDir: z.string().min(1, "expected a directory").optional(),
    args: z.array(z.unknown()).optional(),
    onRun: z.function().optional(),
  })
  .strict()
  .superRefine((o, ctx) => {
    const sizes = o.servers ?? [3, 5];
    const smallest = Math.min(...sizes);
    if (o.faults?.downMax !== undefined && o.faults.downMax > smallest) {
      ctx.addIssue({ code: "custom", path: ["faults", "downMax"], message: `${o.faults.downMax} servers down at once, but the smallest cluster drawn has ${smallest} (a majority of it is ${minorityOf(smallest)} down at most)` });
    }
    const durationMs = o.faults?.durationMs ?? FAULT_SCHEDULE_DEFAULTS.durationMs;
    const episodeMsMin = o.faults?.episodeMsMin ?? FAULT_SCHEDULE_DEFAULTS.episodeMsMin;
    const episodeMsMax = o.faults?.episodeMsMax ?? FAULT_SCHEDULE_DEFAULTS.episodeMsMax;
    if (episodeMsMin > durationMs) ctx.addIssue({ code: "custom", path: ["faults", "episodeMsMin"], message: `${episodeMsMin} ms is longer than durationMs (${durationMs} ms): no episode would fit` });
    if (episodeMsMax < episodeMsMin) ctx.addIssue({ code: "custom", path: ["faults", "episodeMsMax"], message: `expected at least episodeMsMin (${episodeMsMin} ms), got ${episodeMsMax}` });
    const latencyUsMin = o.network?.latencyUsMin ?? 200;
    if (o.network?.latencyUsMax !== undefined && o.network.latencyUsMax < latencyUsMin) ctx.addIssue({ code: "custom", path: ["network", "latencyUsMax"], message: `expected at least latencyUsMin (${latencyUsMin} µs), got ${o.network.latencyUsMax}` });
    const runMsMax = o.runMsMax ?? PROPERTY_RUN_DEFAULTS.runMsMax;
    if (runMsMax <= durationMs) ctx.addIssue({ code: "custom", path: ["runMsMax"], message: `${runMsMax} ms leaves no time after the faults (faults.durationMs is ${durationMs} ms): expected more` });
    if ((o.clients ?? PROPERTY_CLIENTS) + Math.max(...sizes) > 255) ctx.addIssue({ code: "custom", path: ["clients"], message: "a run simulates at most 256 nodes: fewer clients" });
  });

/** The options with their defaults, or a ZkPropertyOptionsError naming every problem. */
function validate<Args extends unknown[]>(options: ZkPropertyOptions<Args>): Settings {
  const parsed = optionsSchema.safeParse(options);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((issue) => `options.${issue.path.join(".")}: ${issue.message}`);
    throw new ZkPropertyOptionsError(`zkProperty: ${problems.join("; ")}`);
  }
  const checks = options.checks === false ? [] : (options.checks ?? DEFAULT_PROPERTY_CHECKS);
  return {
    run: {
      name: options.name ?? PROPERTY_RUN_DEFAULTS.name,
      sessionTimeoutMs: options.sessionTimeoutMs ?? PROPERTY_RUN_DEFAULTS.sessionTimeoutMs,
      runMsMax: options.runMsMax ?? PROPERTY_RUN_DEFAULTS.runMsMax,
      checks,
      storage: options.storage ?? null,
    },
    runs: options.runs ?? 20,
    seed: options.seed ?? 1,
    traceDir: options.traceDir ?? "traces",
  };
}
