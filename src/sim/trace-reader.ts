import { z } from "zod";
import { problemsFromZod } from "./config.ts";
import { TRACE_VERSION, traceDigest, traceEventSchema, traceHeaderSchema, traceSummarySchema, type LineDigest, type TraceEvent, type TraceHeader, type TraceSummary } from "./trace.ts";

/**
 * An incremental reader of JSON Lines traces. Text arrives in pieces of any
 * size (a file read in slices, a network stream, the lines of a run as it
 * goes) and every line is validated with the trace's schemas as soon as it is
 * whole, so nothing ever holds the whole text. It is pure: no I/O, no host
 * clock; the caller feeds it and reads what it reports.
 *
 * Besides each line's schema it checks what only a stream shows: the header
 * comes first, events are numbered 0, 1, 2... in order and their times never
 * go back, the summary is the last line and counts the events read. Problems
 * name the line (1-based), the field and what was expected. Events of a type
 * the schema does not know (written by a newer zksim) are reported apart, as
 * foreign events, with their place in the stream checked, not refused.
 */

/** An event of a type this version's schema does not know: its number, time and type are checked, the rest kept as read. */
export interface ForeignTraceEvent {
  readonly i: number;
  readonly t: number;
  readonly type: string;
  readonly fields: Readonly<Record<string, unknown>>;
}

/** One problem of a trace: the line (1-based), the field (empty for the whole line) and what was expected. */
export interface TraceLineProblem {
  readonly line: number;
  readonly path: string;
  readonly message: string;
}

/** What the reader reports, line by line, as it validates. */
export interface TraceReaderHandlers {
  readonly header?: (header: TraceHeader, lineNumber: number) => void;
  readonly event?: (event: TraceEvent, lineNumber: number, text: string) => void;
  readonly foreignEvent?: (event: ForeignTraceEvent, lineNumber: number, text: string) => void;
  readonly summary?: (summary: TraceSummary, lineNumber: number) => void;
}

export interface TraceReaderOptions {
  /** Problems kept before the reader stops (the first ones are what a person reads). Default 20. */
  readonly problemsMax?: number;
  /** The longest line accepted, in characters: a file that is no trace may have no line ends at all. Default 64 Mi. */
  readonly lineCharsMax?: number;
}

export interface TraceReadResult {
  readonly header: TraceHeader | undefined;
  readonly summary: TraceSummary | undefined;
  /** Event lines read (known and foreign). */
  readonly events: number;
  /** Foreign event types and how many of each were read. */
  readonly foreignTypes: ReadonlyMap<string, number>;
  /** Lines read, the header and summary included. */
  readonly lines: number;
  /** The digest of every event line as read, with the digest of the header's version, to compare with the summary's. */
  readonly digest: string;
  readonly problems: readonly TraceLineProblem[];
  /** The reader gave up before the end: no valid header, too many problems, or a line past the bound. */
  readonly stopped: boolean;
}

const PROBLEMS_MAX_DEFAULT = 20;
const LINE_CHARS_MAX_DEFAULT = 64 * 1024 * 1024;

/** The event types the schema knows, read from the schema itself. */
const KNOWN_TYPES: ReadonlySet<string> = new Set(traceEventSchema.options.map((option) => option.shape.type.value));

/** What every event line has, whatever its type. */
const eventPlaceSchema = z.looseObject({ i: z.int().min(0), t: z.int().min(0), type: z.string() });

export class TraceReader {
  private readonly problemsMax: number;
  private readonly lineCharsMax: number;
  /** The digest of the header's version (the current one until a header is read). */
  private digest: LineDigest = traceDigest(TRACE_VERSION);
  private readonly problemList: TraceLineProblem[] = [];
  private readonly foreign = new Map<string, number>();
  private tail = "";
  private lineCount = 0;
  private eventCount = 0;
  /** The number the next event must have (after a bad line, the one after its number: one problem per line). */
  private nextIndex = 0;
  private lastUs = 0;
  private headerValue: TraceHeader | undefined;
  private summaryValue: TraceSummary | undefined;
  private summaryLine = 0;
  private stoppedValue = false;
  private ended = false;

  constructor(
    private readonly handlers: TraceReaderHandlers = {},
    options: TraceReaderOptions = {},
  ) {
    this.problemsMax = options.problemsMax ?? PROBLEMS_MAX_DEFAULT;
    this.lineCharsMax = options.lineCharsMax ?? LINE_CHARS_MAX_DEFAULT;
  }

  /** Whether reading stopped early: more input is ignored. */
  get stopped(): boolean {
    return this.stoppedValue;
  }

  /** Feeds a piece of text; lines may be split anywhere between pieces. */
  push(chunk: string): void {
    if (this.stoppedValue) return;
    let start = 0;
    for (;;) {
      const end = chunk.indexOf("\n", start);
      if (end < 0) break;
      const text = this.tail === "" ? chunk.slice(start, end) : this.tail + chunk.slice(start, end);
      this.tail = "";
      this.line(text);
      if (this.stoppedValue) return;
      start = end + 1;
    }
    this.tail += chunk.slice(start);
    if (this.tail.length > this.lineCharsMax) {
      this.problem(this.lineCount + 1, "", `expected a line of at most ${this.lineCharsMax} characters (one JSON object); this file does not look like a trace`);
      this.stoppedValue = true;
    }
  }

  /** Feeds one whole line, without its line end. */
  line(text: string): void {
    if (this.stoppedValue) return;
    const lineNumber = ++this.lineCount;
    if (text.length > this.lineCharsMax) {
      this.problem(lineNumber, "", `expected a line of at most ${this.lineCharsMax} characters (one JSON object), found ${text.length}`);
      this.stoppedValue = true;
      return;
    }
    if (lineNumber === 1) {
      this.readHeader(text);
      return;
    }
    if (this.summaryValue !== undefined) {
      this.problem(lineNumber, "", `expected nothing after the summary (line ${this.summaryLine}), found another line`);
      return;
    }
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch {
      this.problem(lineNumber, "", text.trim() === "" ? "expected one JSON object per line, found an empty line" : "expected one JSON object per line, found text that is not JSON");
      return;
    }
    const type = typeof value === "object" && value !== null ? (value as { type?: unknown }).type : undefined;
    if (type === "summary") this.readSummary(value, lineNumber);
    else if (type === "header") this.problem(lineNumber, "type", "expected an event or the summary, found a second header (two traces joined into one file?)");
    else if (typeof type === "string" && !KNOWN_TYPES.has(type)) this.readForeign(value, lineNumber, text);
    else this.readEvent(value, lineNumber, text);
  }

  /** Ends the input: the last piece without a line end is the last line. */
  end(): TraceReadResult {
    if (!this.ended) {
      this.ended = true;
      if (this.tail !== "") this.line(this.tail);
      this.tail = "";
      this.finalChecks();
    }
    return {
      header: this.headerValue,
      summary: this.summaryValue,
      events: this.eventCount,
      foreignTypes: this.foreign,
      lines: this.lineCount,
      digest: this.digest.hex(),
      problems: this.problemList,
      stopped: this.stoppedValue,
    };
  }

  private readHeader(text: string): void {
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch {
      this.problem(1, "", 'expected a zksim trace header (a JSON object with "type":"header" and "format":"zksim-trace"), found text that is not JSON');
      this.stoppedValue = true;
      return;
    }
    const result = traceHeaderSchema.safeParse(value);
    if (!result.success) {
      const format = typeof value === "object" && value !== null ? (value as { format?: unknown }).format : undefined;
      if (format !== "zksim-trace") {
        this.problem(1, "", 'expected a zksim trace header (a JSON object with "type":"header" and "format":"zksim-trace"); this file is something else');
      }
      for (const p of problemsFromZod(result.error)) this.problem(1, p.path, p.message);
      this.stoppedValue = true;
      return;
    }
    this.headerValue = result.data;
    this.digest = traceDigest(result.data.version);
    this.handlers.header?.(result.data, 1);
  }

  private readEvent(value: unknown, lineNumber: number, text: string): void {
    const result = traceEventSchema.safeParse(value);
    if (!result.success) {
      for (const p of problemsFromZod(result.error)) this.problem(lineNumber, p.path, p.message);
      const i = (value as { i?: unknown }).i;
      if (Number.isSafeInteger(i) && (i as number) >= this.nextIndex) this.nextIndex = (i as number) + 1;
      return;
    }
    if (!this.place(result.data.i, result.data.t, lineNumber, result.data.type === "violation")) return;
    this.digest.updateLine(text);
    this.handlers.event?.(result.data, lineNumber, text);
  }

  private readForeign(value: unknown, lineNumber: number, text: string): void {
    const result = eventPlaceSchema.safeParse(value);
    if (!result.success) {
      for (const p of problemsFromZod(result.error)) this.problem(lineNumber, p.path, p.message);
      return;
    }
    const { i, t, type, ...fields } = result.data;
    if (!this.place(i, t, lineNumber)) return;
    this.digest.updateLine(text);
    this.foreign.set(type, (this.foreign.get(type) ?? 0) + 1);
    this.handlers.foreignEvent?.({ i, t, type, fields }, lineNumber, text);
  }

  /**
   * Checks an event's number and time against the stream so far; counts it
   * when they fit. A violation may name an earlier instant than the events
   * before it (a check judged after the run is reported at its end, stamped
   * with when the property was first broken); the stream's time stays where
   * it was.
   */
  private place(i: number, t: number, lineNumber: number, violation = false): boolean {
    if (i !== this.nextIndex) {
      this.problem(lineNumber, "i", `expected event number ${this.nextIndex} (events are numbered from 0, in order), found ${i}`);
      this.nextIndex = Math.max(this.nextIndex, i + 1);
      return false;
    }
    this.nextIndex++;
    if (t < this.lastUs && !violation) {
      this.problem(lineNumber, "t", `expected a time of at least ${this.lastUs} µs (the previous event's; time never goes back), found ${t}`);
      return false;
    }
    this.eventCount++;
    if (violation) return true;
    this.lastUs = t;
    return true;
  }

  private readSummary(value: unknown, lineNumber: number): void {
    const result = traceSummarySchema.safeParse(value);
    if (!result.success) {
      for (const p of problemsFromZod(result.error)) this.problem(lineNumber, p.path, p.message);
      return;
    }
    this.summaryValue = result.data;
    this.summaryLine = lineNumber;
    this.handlers.summary?.(result.data, lineNumber);
  }

  private finalChecks(): void {
    if (this.stoppedValue) return;
    if (this.lineCount === 0) {
      this.problem(1, "", "expected a trace header, found an empty file");
      return;
    }
    const summary = this.summaryValue;
    // Only a full trace writes every event; the other levels write the header and the summary.
    if (summary === undefined || this.headerValue?.level !== "full") return;
    if (summary.events !== this.nextIndex) {
      this.problem(this.summaryLine, "events", `expected ${this.nextIndex} (the events in the trace), found ${summary.events}`);
    }
    if (summary.endUs < this.lastUs) {
      this.problem(this.summaryLine, "endUs", `expected at least ${this.lastUs} (the last event's time), found ${summary.endUs}`);
    }
  }

  private problem(line: number, path: string, message: string): void {
    if (this.problemList.length >= this.problemsMax) {
      this.stoppedValue = true;
      return;
    }
    this.problemList.push({ line, path, message });
    if (this.problemList.length >= this.problemsMax) this.stoppedValue = true;
  }
}
