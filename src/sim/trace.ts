import { InputError, problemsFromZod, type InputProblem } from "./config.ts";
import { ByteDigest, Digest } from "./digest.ts";
import { TraceLineBytes } from "./trace-bytes.ts";
import { TRACE_FORMAT, TRACE_VERSION, traceEventSchema, traceHeaderSchema, traceSummarySchema, type RunStats, type TraceEvent, type TraceHeader, type TraceLevel, type TraceSummary } from "./trace-format.ts";
export { TRACE_FORMAT, TRACE_VERSION, TRACE_VERSIONS_READ, dropReasonSchema, faultSourceSchema, runStatsSchema, traceEventSchema, traceHeaderSchema, traceLevelSchema, traceSummarySchema } from "./trace-format.ts";
export type { DropReason, FaultSource, RunStats, TraceEvent, TraceHeader, TraceLevel, TraceSummary } from "./trace-format.ts";

/** What digests a trace's event lines, one at a time. */
export interface LineDigest {
  updateLine(text: string): void;
  hex(): string;
}

/** The digest a trace of `version` was written with: its bytes from version 4 on, its text before. */
export function traceDigest(version: number): LineDigest {
  return version >= 4 ? new ByteDigest() : new Digest();
}


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
