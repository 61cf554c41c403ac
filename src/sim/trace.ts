import { z } from "zod";
import { faultSchema, InputError, problemsFromZod, type InputProblem } from "./config.ts";
import { ByteDigest, Digest } from "./digest.ts";
import { TraceLineBytes } from "./trace-bytes.ts";

/** The trace format's name and version, written in every header. */
export const TRACE_FORMAT = "zksim-trace";
/**
 * 2: sends carry their cause, and messages a node hands to itself are recorded.
 * 3: faults that act on one message in flight (drop, duplicate, delay) and
 * requests handed to a node from outside (request), and the drop reason
 * "intervention". A version 2 trace is a version 3 trace without them, so
 * both are read.
 * 4: the digest is computed over the UTF-8 bytes of the event lines, 32-bit
 * words at a time (`ByteDigest`), not over their UTF-16 code units: the same
 * lines, another digest. The lines are as in version 3; a trace of version 2
 * or 3 is read with the digest of its version.
 */
export const TRACE_VERSION = 4;
/** The versions this reader reads. */
export const TRACE_VERSIONS_READ = [2, 3, 4] as const;

/** What digests a trace's event lines, one at a time. */
export interface LineDigest {
  updateLine(text: string): void;
  hex(): string;
}

/** The digest a trace of `version` was written with: its bytes from version 4 on, its text before. */
export function traceDigest(version: number): LineDigest {
  return version >= 4 ? new ByteDigest() : new Digest();
}

/**
 * How much of a run is recorded.
 * - off: no event objects are built at all (the fastest; no digest).
 * - observe: events are built and handed to subscribers (checkers), but not serialized or digested.
 * - summary: every event is also folded into the digest, but only the header and summary are written.
 * - full: every event is written to the sink as one JSON line.
 */
export type TraceLevel = "off" | "observe" | "summary" | "full";
export const traceLevelSchema = z.enum(["off", "observe", "summary", "full"]);

/** Why a message was not delivered. */
export const dropReasonSchema = z.enum(["loss", "partition", "crashed", "paused-queue-full", "intervention"]);
export type DropReason = z.infer<typeof dropReasonSchema>;

/** Who applied a fault. */
export const faultSourceSchema = z.enum(["schedule", "api", "nemesis"]);
export type FaultSource = z.infer<typeof faultSourceSchema>;

const base = { i: z.int().min(0), t: z.int().min(0) };
const nodeId = z.string();

/** Every event of the trace. `i` is the event's index in the stream, `t` the virtual time in µs. */
export const traceEventSchema = z.discriminatedUnion("type", [
  z.strictObject({ ...base, type: z.literal("start"), node: nodeId, incarnation: z.int().min(1) }),
  /**
   * A message sent; `cause` is the index of the event whose handling sent it
   * (-1 for none), so a reader can walk back along happens-before. A message
   * a node hands to itself (from = to) is recorded too, with its delivery at the same instant.
   */
  z.strictObject({ ...base, type: z.literal("send"), id: z.int().min(1), from: nodeId, to: nodeId, msg: z.unknown(), cause: z.int().min(-1) }),
  z.strictObject({ ...base, type: z.literal("deliver"), id: z.int().min(1), from: nodeId, to: nodeId }),
  z.strictObject({ ...base, type: z.literal("drop"), id: z.int().min(1), from: nodeId, to: nodeId, reason: dropReasonSchema }),
  /** A copy of message `of`, travelling as message `id`. */
  z.strictObject({ ...base, type: z.literal("duplicate"), id: z.int().min(1), of: z.int().min(1), from: nodeId, to: nodeId }),
  z.strictObject({ ...base, type: z.literal("timer"), node: nodeId, timer: z.int().min(1), tag: z.unknown() }),
  z.strictObject({ ...base, type: z.literal("sync"), node: nodeId, sync: z.int().min(1), keys: z.int().min(0) }),
  z.strictObject({
    ...base,
    type: z.literal("fault"),
    by: faultSourceSchema,
    fault: faultSchema,
    /** For a crash: how many written but unsynced keys it lost. For a resume: how many queued items it released. */
    count: z.int().min(0).optional(),
  }),
  /** Something a node reported about itself through ctx.trace (a role change, a decision...). */
  z.strictObject({ ...base, type: z.literal("note"), node: nodeId, kind: z.string(), data: z.unknown() }),
  /**
   * A checker found a property broken. `causes` are the indices (`i`) of the
   * events that led to it, so a reader (or the viewer) can jump to them. `t`
   * is the instant it was first broken: a check that watches the run as it
   * goes (Paxos safety) reports in place, while the checks judged after the
   * run (linearizability, ZooKeeper's guarantees, recipes, liveness) report
   * at its end, so their `t` may be earlier than the event before them. This
   * is the one event type whose time may go back.
   */
  z.strictObject({
    ...base,
    type: z.literal("violation"),
    check: z.string(),
    message: z.string(),
    data: z.unknown(),
    causes: z.array(z.int().min(0)),
  }),
]);
export type TraceEvent = z.infer<typeof traceEventSchema>;

export const traceHeaderSchema = z.strictObject({
  type: z.literal("header"),
  format: z.literal(TRACE_FORMAT),
  version: z.literal(TRACE_VERSIONS_READ, { error: `expected a trace version this zksim reads: ${TRACE_VERSIONS_READ.join(" or ")}` }),
  seed: z.union([z.int(), z.string()]),
  level: traceLevelSchema,
  /** The engine configuration the run used (as validated). */
  config: z.unknown(),
  /** Whatever the layer above wants to record to replay the run (a scenario name and file, say). */
  meta: z.record(z.string(), z.unknown()).optional(),
});
export type TraceHeader = z.infer<typeof traceHeaderSchema>;

export const runStatsSchema = z.strictObject({
  /** Queue entries processed (deliveries, timers, syncs, faults, starts). */
  processed: z.int().min(0),
  sent: z.int().min(0),
  delivered: z.int().min(0),
  duplicated: z.int().min(0),
  /** By reason; traces of version 2 have no "intervention" (read as 0). */
  dropped: z.strictObject({
    loss: z.int().min(0),
    partition: z.int().min(0),
    crashed: z.int().min(0),
    "paused-queue-full": z.int().min(0),
    intervention: z.int().min(0).default(0),
  }),
  timers: z.int().min(0),
  syncs: z.int().min(0),
  faults: z.int().min(0),
  /** Properties found broken by checkers (see the `violation` events). */
  violations: z.int().min(0),
});
export type RunStats = z.infer<typeof runStatsSchema>;

export const traceSummarySchema = z.strictObject({
  type: z.literal("summary"),
  /** Trace events recorded (all of them, also at level summary where they are not written). */
  events: z.int().min(0),
  endUs: z.int().min(0),
  /** Digest of every event line, in order; null when the level was off or observe. */
  digest: z.string().regex(/^[0-9a-f]{16}$/).nullable(),
  stats: runStatsSchema,
});
export type TraceSummary = z.infer<typeof traceSummarySchema>;

/** Where trace lines go. The CLI streams to a file; tests and the viewer keep them in memory. */
export interface TraceSink {
  write(line: string): void;
  /**
   * Optional: takes whole lines as UTF-8 bytes, each ended by "\n", many at
   * a time (bytes[start, end), valid only during the call). A full trace to
   * a sink that has it is written this way only, header and summary
   * included, and no line is ever a string: a file.
   */
  writeBytes?(bytes: Uint8Array, start: number, end: number): void;
}

/** Keeps trace lines in memory, up to a bound (past it the run fails: stream to a file instead). */
export class MemorySink implements TraceSink {
  readonly lines: string[] = [];
  constructor(readonly linesMax = 5_000_000) {}
  write(line: string): void {
    if (this.lines.length >= this.linesMax) {
      throw new Error(`the in-memory trace holds at most ${this.linesMax} lines; stream the trace to a file instead`);
    }
    this.lines.push(line);
  }
  text(): string {
    return this.lines.join("\n") + "\n";
  }
}

/** Receives every recorded event object (when the level is not off): checkers and the viewer. */
export type TraceListener = (event: TraceEvent) => void;

/** Bytes of event lines gathered before they are digested and, in a full trace to a file, written: large writes, few calls. */
const CHUNK_BYTES = 64 * 1024;

/**
 * Numbers, serializes, digests and writes trace events. The engine asks
 * `recording` before it builds an event, so with the trace off no event object
 * is ever made.
 *
 * At level summary, and for a full trace to a sink that takes bytes (a
 * file), each event is serialized once, as bytes into one reused buffer
 * (`TraceLineBytes`); every 64 KiB the buffer is digested in one pass and,
 * for the file, handed over in one write. A sink that takes strings (memory,
 * a replay's comparison, the viewer) gets each line as a string and the
 * digest its bytes.
 */
export class TraceRecorder {
  readonly recording: boolean;
  private readonly digesting: boolean;
  /** Events become bytes in `lines`: level summary, or a full trace to a byte sink. */
  private readonly serializing: boolean;
  /** Events become strings for a sink that takes strings. */
  private readonly writingStrings: boolean;
  private readonly byteSink: Required<TraceSink> | null;
  private readonly digest = new ByteDigest();
  private readonly lines = new TraceLineBytes(CHUNK_BYTES + 4096);
  /** lines[0, digestedLength) are digested, or are the header (which the digest does not cover). */
  private digestedLength = 0;
  private readonly listeners: TraceListener[] = [];
  private count = 0;
  /** Payloads as JSON, each frozen one serialized once: a broadcast, or a timer tag set again and again. */
  private readonly json = frozenJsonCache();

  constructor(
    readonly level: TraceLevel,
    private readonly sink: TraceSink | undefined,
  ) {
    this.recording = level !== "off";
    this.digesting = level === "summary" || level === "full";
    const full = level === "full" && sink !== undefined;
    this.byteSink = full && sink.writeBytes !== undefined ? (sink as Required<TraceSink>) : null;
    this.writingStrings = full && this.byteSink === null;
    this.serializing = this.digesting && !this.writingStrings;
  }

  header(header: Omit<TraceHeader, "type" | "format" | "version" | "level">): void {
    const text = JSON.stringify({ type: "header", format: TRACE_FORMAT, version: TRACE_VERSION, level: this.level, ...header });
    if (this.byteSink === null) return this.sink?.write(text);
    this.lines.line(text);
    this.digestedLength = this.lines.length;
  }

  /** Records one event; `event.i` is assigned here. */
  /** The index of the last event recorded (-1 before any). */
  get lastIndex(): number {
    return this.count - 1;
  }

  record(event: TraceEvent): void {
    event.i = this.count++;
    if (this.serializing) {
      this.lines.event(event);
      if (this.lines.length >= CHUNK_BYTES) this.flush();
    } else if (this.writingStrings) {
      const line = eventLine(event, this.json);
      this.digest.updateLine(line);
      (this.sink as TraceSink).write(line);
    }
    for (let k = 0; k < this.listeners.length; k++) (this.listeners[k] as TraceListener)(event);
  }

  /** Digests the lines gathered and hands them to the byte sink, if there is one (also when a run fails, to keep its trace so far). */
  flush(): void {
    const lines = this.lines;
    if (lines.length > this.digestedLength) this.digest.updateBytes(lines.bytes, this.digestedLength, lines.length);
    if (this.byteSink !== null && lines.length > 0) this.byteSink.writeBytes(lines.bytes, 0, lines.length);
    lines.clear();
    this.digestedLength = 0;
  }

  subscribe(listener: TraceListener): () => void {
    this.listeners.push(listener);
    return () => {
      const index = this.listeners.indexOf(listener);
      if (index >= 0) this.listeners.splice(index, 1);
    };
  }

  digestHex(): string | null {
    if (!this.digesting) return null;
    const lines = this.lines;
    if (lines.length > this.digestedLength) {
      this.digest.updateBytes(lines.bytes, this.digestedLength, lines.length);
      this.digestedLength = lines.length;
    }
    return this.digest.hex();
  }

  summary(endUs: number, stats: RunStats): TraceSummary {
    const summary: TraceSummary = { type: "summary", events: this.count, endUs, digest: this.digestHex(), stats };
    const text = JSON.stringify(summary);
    if (this.byteSink === null) {
      this.sink?.write(text);
      return summary;
    }
    // Every event is digested (above); the summary line is not.
    this.lines.line(text);
    this.digestedLength = this.lines.length;
    this.flush();
    return summary;
  }
}

/** A trace read back from JSON Lines and validated. */
export interface ParsedTrace {
  readonly header: TraceHeader;
  readonly events: TraceEvent[];
  /** Absent when the run did not finish (the trace was cut off). */
  readonly summary: TraceSummary | undefined;
  /** The digest recomputed from the event lines as read (compare with summary.digest). */
  readonly digest: string;
}

/**
 * Parses and validates a trace. Every problem names the line and the field;
 * throws InputError (exit status 2 in the CLI) on the first bad lines, up to 20.
 */
export function parseTrace(text: string, source: string): ParsedTrace {
  const lines = text.split("\n");
  if (lines.length > 0 && lines[lines.length - 1] === "") lines.pop();
  const problems: InputProblem[] = [];
  const fail = (lineIndex: number, path: string, message: string) => {
    problems.push({ path: `line ${lineIndex + 1}${path === "" ? "" : ` ${path}`}`, message });
  };
  const parseLine = (lineIndex: number): unknown => {
    try {
      return JSON.parse(lines[lineIndex] as string);
    } catch {
      fail(lineIndex, "", "expected one JSON object per line");
      return undefined;
    }
  };

  if (lines.length === 0) throw new InputError(source, [{ path: "line 1", message: "expected a trace header, found an empty file" }]);
  const headerResult = traceHeaderSchema.safeParse(parseLine(0));
  if (!headerResult.success) {
    for (const p of problemsFromZod(headerResult.error)) fail(0, p.path, p.message);
    throw new InputError(source, problems);
  }

  const events: TraceEvent[] = [];
  const digest = traceDigest(headerResult.data.version);
  let summary: TraceSummary | undefined;
  for (let lineIndex = 1; lineIndex < lines.length && problems.length < 20; lineIndex++) {
    const value = parseLine(lineIndex);
    if (value === undefined) continue;
    const isSummary = typeof value === "object" && value !== null && (value as { type?: unknown }).type === "summary";
    if (isSummary) {
      const result = traceSummarySchema.safeParse(value);
      if (!result.success) for (const p of problemsFromZod(result.error)) fail(lineIndex, p.path, p.message);
      else if (lineIndex !== lines.length - 1) fail(lineIndex, "", "the summary must be the last line");
      else summary = result.data;
      continue;
    }
    const result = traceEventSchema.safeParse(value);
    if (!result.success) {
      for (const p of problemsFromZod(result.error)) fail(lineIndex, p.path, p.message);
      continue;
    }
    digest.updateLine(lines[lineIndex] as string);
    events.push(result.data);
  }
  if (problems.length > 0) throw new InputError(source, problems);
  return { header: headerResult.data, events, summary, digest: digest.hex() };
}

/** Serializes a payload (a message, a timer tag, a note's data) as JSON.stringify does. */
export type PayloadJson = (value: unknown) => string;

/**
 * JSON.stringify that remembers the text of each frozen object it wrote: a
 * frozen payload cannot change (messages are immutable once sent, and frozen
 * when the engine checks it), and the same object goes out many times (a
 * broadcast to every peer, a timer tag set again on every firing).
 */
export function frozenJsonCache(): PayloadJson {
  const texts = new WeakMap<object, string>();
  return (value) => {
    if (typeof value !== "object" || value === null || !Object.isFrozen(value)) return JSON.stringify(value);
    let text = texts.get(value);
    if (text === undefined) {
      text = JSON.stringify(value);
      texts.set(value, text);
    }
    return text;
  };
}

/**
 * One event as a JSON line, exactly as JSON.stringify would write it. The
 * frequent kinds are written directly: their fields are integers and node ids
 * (which the config schema limits to characters JSON never escapes), and this
 * is most of the cost of a full trace. Everything else goes to JSON.stringify.
 */
export function eventLine(event: TraceEvent, json: PayloadJson = JSON.stringify): string {
  switch (event.type) {
    case "deliver":
      return `{"i":${event.i},"t":${event.t},"type":"deliver","id":${event.id},"from":"${event.from}","to":"${event.to}"}`;
    case "send":
      if (event.msg === undefined) break;
      return `{"i":${event.i},"t":${event.t},"type":"send","id":${event.id},"from":"${event.from}","to":"${event.to}","msg":${json(event.msg)},"cause":${event.cause}}`;
    case "drop":
      return `{"i":${event.i},"t":${event.t},"type":"drop","id":${event.id},"from":"${event.from}","to":"${event.to}","reason":"${event.reason}"}`;
    case "timer":
      if (event.tag === undefined) break;
      return `{"i":${event.i},"t":${event.t},"type":"timer","node":"${event.node}","timer":${event.timer},"tag":${json(event.tag)}}`;
    case "sync":
      return `{"i":${event.i},"t":${event.t},"type":"sync","node":"${event.node}","sync":${event.sync},"keys":${event.keys}}`;
    case "note":
      if (event.data === undefined) break;
      return `{"i":${event.i},"t":${event.t},"type":"note","node":"${event.node}","kind":${JSON.stringify(event.kind)},"data":${json(event.data)}}`;
    default:
      break;
  }
  return JSON.stringify(event);
}
