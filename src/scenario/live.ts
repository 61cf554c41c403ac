import { Document, isCollection, isSeq, parseDocument, YAMLSeq } from "yaml";
import { InputError, type InputProblem, type Simulation, type TraceSink } from "../sim/index.ts";
import { buildScenario, type ScenarioSimulation } from "./build.ts";
import { ScenarioObserver } from "./observe.ts";
import { parseScenario } from "./parse.ts";
import type { ScenarioReport } from "./report.ts";
import { concludeRun } from "./runner.ts";
import { scenarioSchema, type FaultEntry, type FaultEntryInput, type Scenario } from "./schema.ts";

/**
 * A scenario run a person drives: run to an instant, step event by event,
 * intervene (crash a server, drop a message, issue a client's request) at
 * the current instant, and finish with the same report as `runScenario`.
 * Every intervention is recorded as a live entry of the scenario's
 * `faults`, so the exported scenario replays to the same digest with
 * `zksim run`, and a branch's interventions replay it from the start.
 * It is isomorphic: the viewer runs it in a Web Worker.
 */

/** One scenario fault entry without `at`: its time is the run's current instant (durations as text, as in a file: "20ms"). */
export type Intervention = Omit<FaultEntryInput, "at">;

/** Interventions one run records, at most: each is re-validated with the scenario, and a branch's are replayed from the start. */
const INTERVENTIONS_MAX = 10_000;

export interface LiveRunOptions {
  /** Overrides the scenario's seed. */
  readonly seed?: number;
  /** Where the full trace goes; without it the run keeps the digest only. */
  readonly traceSink?: TraceSink;
  /** Entries (with `at`) replayed as the run passes their instants: a branch's history, as `interventions()` returned it. */
  readonly interventions?: readonly FaultEntry[];
}

export class LiveRun {
  /** The scenario as its source says (without the interventions). */
  readonly scenario: Scenario;
  readonly seed: number;
  readonly durationUs: number;

  private readonly run: ScenarioSimulation;
  private readonly observer: ScenarioObserver;
  private readonly recorded: FaultEntry[];
  private report: ScenarioReport | null = null;
  private busy = false;

  private constructor(
    private readonly source: string,
    private readonly file: string,
    scenario: Scenario,
    private readonly data: Record<string, unknown>,
    interventions: readonly FaultEntry[],
    options: LiveRunOptions,
  ) {
    this.scenario = scenario;
    this.durationUs = scenario.duration;
    if (interventions.length > INTERVENTIONS_MAX) throw new InputError("interventions", [{ path: "", message: `at most ${INTERVENTIONS_MAX} interventions in one run, got ${interventions.length}` }]);
    const withInterventions = this.validated(interventions.map((entry) => ({ ...entryInput(entry), live: true })), "interventions");
    this.recorded = (withInterventions.faults ?? []).slice(this.originalFaultCount);
    this.run = buildScenario(withInterventions, {
      ...(options.seed === undefined ? {} : { seed: options.seed }),
      ...(options.traceSink === undefined ? {} : { traceSink: options.traceSink }),
      origin: { file, source: this.exportSource() },
    });
    this.seed = this.run.seed;
    this.observer = new ScenarioObserver(this.run);
  }

  /**
   * Builds (does not run) the scenario from its YAML source. A bad source is
   * a ScenarioError (file, line, what was expected); bad interventions an
   * InputError naming each one.
   */
  static build(source: string, file: string, options: LiveRunOptions = {}): LiveRun {
    const scenario = parseScenario(source, file);
    const data = parseDocument(source).toJS() as Record<string, unknown>;
    return new LiveRun(source, file, scenario, data, options.interventions ?? [], options);
  }

  /** The current virtual instant, µs. */
  get nowUs(): number {
    return this.run.sim.nowUs;
  }

  /** Trace events recorded so far. */
  get events(): number {
    return this.run.sim.recordedCount;
  }

  /** The engine, for inspect() and other read-only use. */
  get simulation(): Simulation<unknown> {
    return this.run.sim;
  }

  /** Whether the run has reached the scenario's duration, with nothing left due at or before it. */
  get finished(): boolean {
    const sim = this.run.sim;
    if (this.report !== null) return true;
    if (sim.nowUs < this.durationUs) return false;
    const nextEventUs = sim.nextEventUs();
    const nextLiveUs = this.run.nextLiveUs();
    return (nextEventUs === undefined || nextEventUs > this.durationUs) && (nextLiveUs === undefined || nextLiveUs > this.durationUs);
  }

  /** Every event at or before `untilUs` (at most the duration), applying the faults and interventions that fall due. */
  runTo(untilUs: number, progress?: (nowUs: number, events: number) => void): Promise<void> {
    return this.exclusive(async () => {
      if (!Number.isInteger(untilUs) || untilUs < this.nowUs) {
        throw new InputError("live run", [{ path: "untilUs", message: `expected an integer time from the current instant (${this.nowUs} µs) on: to go back, build the run again with its interventions` }]);
      }
      await this.run.runTo(Math.min(untilUs, this.durationUs), progress);
    });
  }

  /** At most `count` more events (for stepping), applying every fault and intervention that falls due between them; returns how many ran. */
  runEvents(count: number): Promise<number> {
    return this.exclusive(async () => {
      if (!Number.isInteger(count) || count < 0) throw new InputError("live run", [{ path: "count", message: "expected a whole number of events, 0 or more" }]);
      return this.run.runEvents(count);
    });
  }

  /**
   * Completes the current instant (every event at it, and every fault due
   * at it), then applies the entry now and records it with at = now and
   * live: true. Returns the recorded entry. An entry that is not valid, or
   * cannot apply now (a message not in flight, a crashed client), is an
   * InputError, and nothing is recorded. Since the instant is completed
   * first, a message due at this very instant (after a step stopped within
   * it) is delivered before the entry applies.
   */
  intervene(entry: Intervention): Promise<FaultEntry> {
    return this.exclusive(async () => {
      if (this.recorded.length >= INTERVENTIONS_MAX) throw new InputError("intervention", [{ path: "", message: `at most ${INTERVENTIONS_MAX} interventions in one run` }]);
      const atUs = this.nowUs;
      const input = { ...entry, at: formatDuration(atUs), live: true } as FaultEntryInput;
      const scenario = this.validated([...this.recorded.map(entryInput), input], "intervention");
      const index = (scenario.faults ?? []).length - 1;
      const parsed = (scenario.faults ?? [])[index] as FaultEntry;
      try {
        await this.run.applyNow(parsed, index);
      } catch (error) {
        if (!(error instanceof InputError) || error.source !== "fault") throw error;
        const kind = kindOf(parsed);
        throw new InputError("intervention", error.problems.map((p) => ({ path: kind, message: p.message })));
      }
      this.recorded.push(parsed);
      return parsed;
    });
  }

  /** The interventions so far, with their instants (those the run was built with first). */
  interventions(): readonly FaultEntry[] {
    return this.recorded.slice();
  }

  /**
   * The scenario's YAML source with the interventions appended to `faults`
   * (the original's comments and layout kept), so that `zksim run` of it
   * reaches the same digest.
   */
  exportSource(): string {
    return appendFaults(this.source, this.recorded.map(entryInput));
  }

  /** Runs to the end and judges every check: the same report as runScenario gives for exportSource(). */
  finish(): Promise<ScenarioReport> {
    if (this.report !== null) return Promise.resolve(this.report);
    return this.exclusive(async () => {
      await this.run.runTo(this.durationUs);
      this.report = concludeRun(this.run, this.observer);
      return this.report;
    });
  }

  // ---------------------------------------------------------------- internals

  private get originalFaultCount(): number {
    return this.scenario.faults?.length ?? 0;
  }

  /**
   * The scenario with `entries` after its own faults, validated as a whole
   * (node names, clients, shapes): a problem in an entry is reported as the
   * entry's, under `what`.
   */
  private validated(entries: readonly FaultEntryInput[], what: "intervention" | "interventions"): Scenario {
    const own = Array.isArray(this.data["faults"]) ? (this.data["faults"] as unknown[]) : [];
    const result = scenarioSchema.safeParse({ ...this.data, faults: [...own, ...entries] });
    if (result.success) return result.data;
    const problems: InputProblem[] = result.error.issues.map((issue) => {
      const [top, index, ...rest] = issue.path;
      const entryIndex = top === "faults" && typeof index === "number" ? index - own.length : -1;
      if (entryIndex < 0) return { path: issue.path.join("."), message: issue.message };
      const field = rest.join(".");
      return what === "intervention" ? { path: field, message: issue.message } : { path: `[${entryIndex}]${field === "" ? "" : `.${field}`}`, message: issue.message };
    });
    throw new InputError(what, problems);
  }

  /** One operation at a time: the viewer's worker must await each before the next. */
  private async exclusive<T>(operation: () => Promise<T>): Promise<T> {
    if (this.report !== null) throw new InputError("live run", [{ path: "", message: "the run has finished: build it again (with its interventions) to go on differently" }]);
    if (this.busy) throw new InputError("live run", [{ path: "", message: "another operation is under way: await it first" }]);
    this.busy = true;
    try {
      return await operation();
    } finally {
      this.busy = false;
    }
  }
}

/**
 * The source with `entries` appended to its faults, one flow mapping a
 * line. The original text is kept byte for byte: the lines go in after the
 * last entry of a block sequence of faults, with its indentation, or in a
 * new `faults:` at the end. Only a flow sequence of faults (`faults: []`) is
 * written out again through the yaml library's Document (its comments kept).
 */
function appendFaults(source: string, entries: readonly FaultEntryInput[]): string {
  if (entries.length === 0) return source;
  const doc = parseDocument(source);
  const faults = doc.get("faults", true);
  const lines = (prefix: string) => entries.map((entry) => `${prefix}${flowLine(entry)}\n`).join("");
  if (faults === undefined) return `${source}${source.endsWith("\n") || source === "" ? "" : "\n"}faults:\n${lines("  - ")}`;
  const items = isSeq(faults) && !faults.flow ? faults.items : [];
  const first = items[0];
  const last = items[items.length - 1];
  if (isCollection(first) || isNodeWithRange(first)) {
    const firstStart = (first as { range: [number, number, number] }).range[0];
    const lineStart = source.lastIndexOf("\n", firstStart - 1) + 1;
    const prefix = source.slice(lineStart, firstStart);
    let end = (last as { range: [number, number, number] }).range[1];
    while (end > 0 && /\s/.test(source.charAt(end - 1))) end--;
    const newline = source.indexOf("\n", end);
    if (/^\s*-\s*$/.test(prefix)) {
      if (newline < 0) return `${source}\n${lines(prefix)}`;
      return `${source.slice(0, newline + 1)}${lines(prefix)}${source.slice(newline + 1)}`;
    }
  }
  // A flow sequence, or one laid out in a way the lines above do not fit: through the Document.
  const seq = isSeq(faults) ? faults : new YAMLSeq();
  if (!isSeq(faults)) doc.set("faults", seq);
  for (const entry of entries) {
    const node = doc.createNode(entry);
    if (isCollection(node)) node.flow = true;
    seq.items.push(node);
  }
  return doc.toString({ lineWidth: 0 });
}

function isNodeWithRange(node: unknown): boolean {
  return typeof node === "object" && node !== null && "range" in node && Array.isArray((node as { range: unknown }).range);
}

/** One entry as a flow mapping on one line: { at: 2419449us, live: true, drop: 1234 }. */
function flowLine(entry: FaultEntryInput): string {
  const doc = new Document(entry);
  if (isCollection(doc.contents)) doc.contents.flow = true;
  return doc.toString({ lineWidth: 0 }).trimEnd();
}

/** The kind of fault an entry holds (its one field besides at and live). */
function kindOf(entry: FaultEntry): string {
  return Object.keys(entry).find((key) => key !== "at" && key !== "live") ?? "";
}

/** A fault entry as a file writes it: durations as text that parses back to the same µs. */
export function entryInput(entry: FaultEntry): FaultEntryInput {
  const out: Record<string, unknown> = { at: formatDuration(entry.at) };
  if (entry.live !== undefined) out["live"] = entry.live;
  for (const [key, value] of Object.entries(entry)) {
    if (key === "at" || key === "live" || value === undefined) continue;
    if (key === "skew") {
      const skew = entry.skew as NonNullable<FaultEntry["skew"]>;
      out[key] = { node: skew.node, ...(skew.by === undefined ? {} : { by: formatSignedDuration(skew.by) }), ...(skew.driftPpm === undefined ? {} : { driftPpm: skew.driftPpm }) };
    } else if (key === "delay") {
      const delay = entry.delay as NonNullable<FaultEntry["delay"]>;
      out[key] = { message: delay.message, by: formatDuration(delay.by) };
    } else if (key === "network") {
      const network = entry.network as NonNullable<FaultEntry["network"]>;
      out[key] = { ...network, ...(network.latency === undefined ? {} : { latency: latencyInput(network.latency) }) };
    } else {
      out[key] = value;
    }
  }
  return out as FaultEntryInput;
}

type LatencyEntry = NonNullable<NonNullable<FaultEntry["network"]>["latency"]>;

function latencyInput(latency: LatencyEntry): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(latency)) out[key] = key === "kind" || value === undefined ? value : formatDuration(value as number);
  return out;
}

/** µs as a duration a scenario file writes, exactly: "2s", "250ms" or "2419449us". */
export function formatDuration(us: number): string {
  if (us % 1_000_000 === 0) return `${us / 1_000_000}s`;
  if (us % 1_000 === 0) return `${us / 1_000}ms`;
  return `${us}us`;
}

function formatSignedDuration(us: number): string {
  return us < 0 ? `-${formatDuration(-us)}` : formatDuration(us);
}
