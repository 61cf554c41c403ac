/**
 * Histories in the model Jepsen uses: each process invokes one operation at a
 * time, and the operation completes `ok` (it took effect), `fail` (it
 * certainly did not) or `info` (unknown: it may take effect at any later
 * time, or never; the process invokes nothing after it). An invocation that
 * never completes counts as `info`.
 *
 * The exchange format is JSON Lines, one event per line:
 *   {"process": 0, "type": "invoke", "f": "cas", "key": null, "value": [1, 2], "time": 12}
 * `read` is invoked with null and completes with the value read; `cas`
 * carries [expected, new]; `key` is null for a single register; `time` is
 * optional (file order is what counts).
 *
 * Values are read exactly, because a verdict rests on telling them apart: an
 * integer keeps every digit (beyond 2^53 it is a bigint), a number written
 * two ways is one value (1, 1.0 and 10e-1), and a fraction that a double
 * cannot hold without merging it with another (0.10000000000000001) is
 * refused at its line rather than rounded.
 */

export type EventType = "invoke" | "ok" | "fail" | "info";

/** JSON values, as programs build them. */
export type Json = null | boolean | number | string | readonly Json[] | { readonly [key: string]: Json };

/**
 * A value in a history: JSON's values, with integers beyond 2^53 as bigints
 * (an integer is a number exactly when it is a safe integer, so that each
 * value has one form), and the EDN values JSON has no form for.
 */
export type Value = null | boolean | number | bigint | string | readonly Value[] | { readonly [key: string]: Value } | EdnValue;

/** The kinds of EDN value that JSON has no form for. */
export type EdnKind = "keyword" | "symbol" | "float" | "decimal" | "set" | "map" | "tagged";

/**
 * An EDN value that JSON has no form for: a keyword, a symbol, a float (EDN
 * tells 1.0 from 1), a big decimal, a set, a map with a key that is not a
 * string, a tagged literal. Each is kept apart from every JSON value (`:a`
 * is not "a") and compared as Clojure's = compares it, through `key`.
 */
export class EdnValue {
  constructor(
    readonly kind: EdnKind,
    /**
     * Canonical: two EDN values have one key exactly when Clojure's = holds
     * between them (a set's items sorted, a float as its double, an #inst as
     * its instant). Its first character is one no other value's key starts
     * with (see `valueKey`).
     */
    readonly key: string,
    /** The value as EDN, for a person. */
    readonly text: string,
  ) {}

  /** In JSON output (zksim check --json), the EDN text. */
  toJSON(): string {
    return this.text;
  }
}

export interface HistoryEvent {
  readonly process: number;
  readonly type: EventType;
  readonly f: string;
  readonly key: string | null;
  readonly value: Value;
  readonly time?: number;
}

/** One operation: an invocation and, unless it is open or `info`, its completion. */
export interface Operation {
  /** Index in the history's operation list (invocation order). */
  readonly id: number;
  readonly process: number;
  readonly f: string;
  readonly key: string | null;
  /** The invocation's value (a write's value, a cas's pair, null for a read). */
  readonly input: Value;
  /** The completion's value (what a read returned); null for an open or `info` operation. */
  readonly output: Value;
  /** "ok" and "info" operations are checked; "fail" ones took no effect and constrain nothing. */
  readonly outcome: "ok" | "info" | "fail";
  /** Positions in the event sequence: the invocation, and the completion (Infinity when unknown). */
  readonly call: number;
  readonly ret: number;
  /** The 1-based line of the invocation in its file, when it came from one. */
  readonly line?: number;
}

/** A problem in a history file: where, and what was expected. */
export class HistoryError extends Error {
  override readonly name = "HistoryError";
  constructor(
    readonly file: string,
    /** 1-based line, or 0 when the problem is not on one line. */
    readonly line: number,
    readonly problem: string,
  ) {
    super(line > 0 ? `${file}:${line}: ${problem}` : `${file}: ${problem}`);
  }
}

const EVENT_TYPES: readonly EventType[] = ["invoke", "ok", "fail", "info"];
/** The models' operation names, as constants: an event's `f` equal to one is replaced by it (quick to compare). */
const OPERATION_NAMES = new Map(["read", "write", "cas", "append", "create", "setData", "delete", "getData", "exists"].map((name) => [name, name]));
/** Events a history may hold: a bound against a runaway file (a 600 MB file holds about 10 million). */
export const HISTORY_EVENTS_MAX = 50_000_000;
/** Arrays and objects nested in one another, the event's own object included: this bounds every recursion over values. */
export const VALUE_DEPTH_MAX = 100;
/** Digits an integer may have: 1e400 is an integer of 401 digits; 1e1000000 is refused, not expanded. */
export const INTEGER_DIGITS_MAX = 1_000;

/** Parses a JSON Lines history; every problem names the file and the line. Blank lines are skipped. */
export function parseJsonlHistory(text: string, file: string): HistoryEvent[] {
  return parseJsonlHistoryWithLines(text, file).events;
}

/** The same, with the 1-based line of each event (for errors found later, such as a completion without an invocation). */
export function parseJsonlHistoryWithLines(text: string, file: string): { events: HistoryEvent[]; lines: number[] } {
  const events: HistoryEvent[] = [];
  const lines: number[] = [];
  const reader = new JsonlReader(file);
  let start = 0;
  for (let line = 1; start <= text.length; line++) {
    let end = text.indexOf("\n", start);
    if (end < 0) end = text.length;
    const event = reader.event(text.slice(start, end), line);
    if (event !== null) {
      if (events.length >= HISTORY_EVENTS_MAX) throw new HistoryError(file, line, `more than ${HISTORY_EVENTS_MAX} events`);
      events.push(event);
      lines.push(line);
    }
    start = end + 1;
  }
  return { events, lines };
}

/** Text in pieces, as a file is read: each call gives the next piece, and null at the end. */
export type TextSource = () => string | null;

/** The characters one line (or one EDN op) may hold: a bound on what reading holds at once. */
export const LINE_CHARS_MAX = 64 * 1024 * 1024;

/**
 * Reads a JSON Lines history piece by piece, never as one string, pairing
 * its events into operations as they come (the events are not kept).
 */
export function readJsonlOperations(source: TextSource, file: string): Operation[] {
  const reader = new JsonlReader(file);
  const builder = new HistoryBuilder(file);
  let line = 1;
  // The start of a line that the pieces so far have not ended; only each new piece is searched for line ends.
  let rest = "";
  for (let piece = source(); piece !== null; piece = source()) {
    let start = 0;
    for (let end = piece.indexOf("\n"); end >= 0; end = piece.indexOf("\n", start)) {
      const event = reader.event(rest === "" ? piece.slice(start, end) : rest + piece.slice(start, end), line);
      rest = "";
      if (event !== null) builder.add(event, line);
      line++;
      start = end + 1;
    }
    rest += piece.slice(start);
    if (rest.length > LINE_CHARS_MAX) throw new HistoryError(file, line, `a line longer than ${LINE_CHARS_MAX} characters`);
  }
  const event = reader.event(rest, line);
  if (event !== null) builder.add(event, line);
  return builder.finish();
}

/** A JSON value from text (a command-line flag's, say), read as exactly as a history's values; or why it is not one. */
export function parseJsonValue(text: string): { readonly value: Value } | { readonly problem: string } {
  const parser = new JsonText("", 0);
  try {
    return { value: parser.whole(text) };
  } catch (error) {
    if (error instanceof HistoryError) return { problem: error.problem };
    throw error;
  }
}

/**
 * Reads JSON Lines a line at a time, so that a file can be streamed: each
 * line is one event, or blank. Strings that recur (the `f` and `key` of
 * events) are kept once.
 */
class JsonlReader {
  private readonly parser: JsonText;
  private readonly strings = new Map<string, string>();

  constructor(private readonly file: string) {
    this.parser = new JsonText(file, 0);
  }

  /** The event on a line (its 1-based number given for messages), or null for a blank line. */
  event(text: string, line: number): HistoryEvent | null {
    const fields = this.parser.eventFields(text, line);
    if (fields === null) return null;
    return this.validate(fields, line);
  }

  /** Checks one event's fields, in a fixed order, so that a line with several problems always names the same one. */
  private validate(fields: EventFields, line: number): HistoryEvent {
    const file = this.file;
    const process = fields.get("process");
    if (typeof process !== "number" || !Number.isInteger(process) || process < 0) throw new HistoryError(file, line, `"process" must be a non-negative integer below 2^53, got ${showField(process)}`);
    const type = fields.get("type");
    if (typeof type !== "string" || !EVENT_TYPES.includes(type as EventType)) throw new HistoryError(file, line, `unknown "type" ${showField(type)}: expected invoke, ok, fail or info`);
    const f = fields.get("f");
    if (typeof f !== "string" || f === "") throw new HistoryError(file, line, `"f" must be a non-empty string, got ${showField(f)}`);
    const key = fields.get("key") ?? null;
    if (key !== null && typeof key !== "string") throw new HistoryError(file, line, `"key" must be a string or null, got ${showField(key)}`);
    const value = fields.get("value");
    if (value === undefined) throw new HistoryError(file, line, `missing "value" (use null for none)`);
    const time = fields.get("time");
    if (time !== undefined && typeof time !== "number" && typeof time !== "bigint") throw new HistoryError(file, line, `"time" must be a number, got ${showField(time)}`);
    const unknown = fields.unknown[0];
    if (unknown !== undefined) throw new HistoryError(file, line, `unknown field "${unknown}"`);
    // The type as the constant it equals, so that every later comparison with it is quick.
    const event: HistoryEvent = { process, type: EVENT_TYPES[EVENT_TYPES.indexOf(type as EventType)] as EventType, f: this.intern(f), key: key === null ? null : this.intern(key), value };
    // The time is for people: file order is what counts, so a time beyond 2^53 may round.
    return time === undefined ? event : { ...event, time: Number(time) };
  }

  private intern(text: string): string {
    const known = this.strings.get(text) ?? OPERATION_NAMES.get(text);
    if (known !== undefined) return known;
    if (this.strings.size < 100_000) this.strings.set(text, text);
    return text;
  }
}

/**
 * Pairs invocations with completions, process by process. A completion
 * without an open invocation, a second invocation while one is open, an
 * invocation after `info`, or a completion whose `f` differs are errors
 * (with the event's line: `lines[k]` is the line of event k, when known).
 */
export function toOperations(events: readonly HistoryEvent[], file: string, lines?: readonly number[]): Operation[] {
  const builder = new HistoryBuilder(file);
  for (let k = 0; k < events.length; k++) builder.add(events[k] as HistoryEvent, lines?.[k] ?? 0);
  return builder.finish();
}

type Draft = { -readonly [K in keyof Operation]: Operation[K] };

/** Pairs events into operations as they arrive, so that a streamed history never holds its events. */
export class HistoryBuilder {
  /** Each process's open operation. */
  private readonly open = new Map<number, Draft>();
  /** Processes whose last operation completed `info`: they may invoke nothing more. */
  private readonly crashed = new Set<number>();
  private readonly operations: Draft[] = [];
  private position = 0;

  constructor(private readonly file: string) {}

  /** Adds the next event; `line` is where it came from (0 when unknown). */
  add(event: HistoryEvent, line: number): void {
    const file = this.file;
    const position = this.position++;
    if (position >= HISTORY_EVENTS_MAX) throw new HistoryError(file, line, `more than ${HISTORY_EVENTS_MAX} events`);
    const open = this.open.get(event.process);
    if (event.type === "invoke") {
      if (open !== undefined) throw new HistoryError(file, line, `process ${event.process} invokes ${event.f} while its ${open.f} is still open`);
      if (this.crashed.has(event.process)) throw new HistoryError(file, line, `process ${event.process} invokes ${event.f} after an info completion (its outcome is unknown forever; a new process must take over)`);
      // Every draft has the same fields, in the same order (one shape for the engine).
      const draft: Draft = { id: this.operations.length, process: event.process, f: event.f, key: event.key, input: event.value, output: null, outcome: "info", call: position, ret: Number.POSITIVE_INFINITY, line: line > 0 ? line : undefined };
      this.open.set(event.process, draft);
      this.operations.push(draft);
      return;
    }
    if (open === undefined) throw new HistoryError(file, line, `a ${event.type} completion of ${event.f} by process ${event.process}, which has no open invocation`);
    if (open.f !== event.f) throw new HistoryError(file, line, `process ${event.process} completes ${event.f} but invoked ${open.f}`);
    this.open.delete(event.process);
    if (event.type === "info") {
      this.crashed.add(event.process);
      return;
    }
    open.outcome = event.type;
    if (event.type === "ok") open.output = event.value;
    open.ret = position;
  }

  /** The operations, in invocation order; those still open count as `info`. */
  finish(): Operation[] {
    return this.operations;
  }
}

/** The fields an event may have, in the order they are checked. */
const EVENT_FIELDS = ["process", "type", "f", "key", "value", "time"] as const;
const EVENT_FIELD_INDEX = new Map<string, number>(EVENT_FIELDS.map((name, i) => [name, i]));

/** The index in EVENT_FIELDS of the quoted name at `at` in `text`, or -1 (another name, or one written with escapes). */
function knownFieldAt(text: string, at: number): number {
  for (let i = 0; i < EVENT_FIELDS.length; i++) {
    const name = EVENT_FIELDS[i] as string;
    if (text.charCodeAt(at + 1) === name.charCodeAt(0) && text.charCodeAt(at + 1 + name.length) === CHAR_QUOTE && text.startsWith(name, at + 1)) return i;
  }
  return -1;
}

/** One line's fields, by EVENT_FIELDS index; the names of fields an event does not have. */
class EventFields {
  readonly has = new Uint8Array(EVENT_FIELDS.length);
  readonly values: Value[] = new Array<Value>(EVENT_FIELDS.length).fill(null);
  readonly unknown: string[] = [];

  clear(): void {
    this.has.fill(0);
    this.unknown.length = 0;
  }

  get(name: (typeof EVENT_FIELDS)[number]): Value | undefined {
    const index = EVENT_FIELD_INDEX.get(name) as number;
    return this.has[index] === 1 ? this.values[index] : undefined;
  }
}

/**
 * JSON text read exactly: numbers by their decimal value (see
 * `exactNumber`), a field twice in an object refused, nesting bounded. Every
 * problem is a HistoryError at the line; JSON syntax errors say "malformed
 * JSON" and the column.
 */
class JsonText {
  private text = "";
  private pos = 0;
  /** The fields of the last event read (one object, reused line after line). */
  private readonly fields = new EventFields();

  constructor(
    private readonly file: string,
    private line: number,
  ) {}

  /** The fields of the one object on a line, or null for a blank line. */
  eventFields(text: string, line: number): EventFields | null {
    this.text = text;
    this.line = line;
    this.pos = line === 1 && text.charCodeAt(0) === 0xfeff ? 1 : 0; // a byte order mark is not part of the text
    this.skipSpace();
    if (this.pos >= text.length) return null;
    if (text.charCodeAt(this.pos) !== CHAR_OPEN_BRACE) {
      this.value(1);
      this.end("the value");
      throw new HistoryError(this.file, line, "expected a JSON object {process, type, f, key, value}");
    }
    const fields = this.fields;
    fields.clear();
    for (let at = this.firstMember(); at >= 0; at = this.nextMember()) {
      // The usual names are matched in place; any other (or one with escapes) is read as a string.
      let index = knownFieldAt(text, at);
      const name = index >= 0 ? (EVENT_FIELDS[index] as string) : this.memberName(at);
      if (index >= 0) this.skipName(at, name.length);
      else index = EVENT_FIELD_INDEX.get(name) ?? -1;
      if (index < 0) {
        if (fields.unknown.includes(name)) throw this.syntax(`the field "${name}" twice in one object`, at);
        fields.unknown.push(name);
        this.value(1);
        continue;
      }
      if (fields.has[index] === 1) throw this.syntax(`the field "${name}" twice in one object`, at);
      fields.has[index] = 1;
      fields.values[index] = this.value(1);
    }
    this.end("the object");
    return fields;
  }

  /** All of `text` as one value. */
  whole(text: string): Value {
    this.text = text;
    this.pos = 0;
    this.skipSpace();
    const value = this.value(1);
    this.end("the value");
    return value;
  }

  private end(what: string): void {
    this.skipSpace();
    if (this.pos < this.text.length) throw this.syntax(`unexpected ${this.text[this.pos] ?? ""} after ${what}`);
  }

  /** A value at `depth` (the arrays and objects around it, the event's object counted). */
  private value(depth: number): Value {
    const c = this.text.charCodeAt(this.pos);
    switch (c) {
      case CHAR_QUOTE:
        return this.string();
      case CHAR_OPEN_BRACE:
        return this.object(depth);
      case CHAR_OPEN_BRACKET:
        return this.array(depth);
      case 116: // t
        return this.literal("true", true);
      case 102: // f
        return this.literal("false", false);
      case 110: // n
        return this.literal("null", null);
      default:
        if (c === CHAR_MINUS || (c >= CHAR_0 && c <= CHAR_9)) return this.number();
        throw this.unexpected("where a value should be");
    }
  }

  private literal<T extends Value>(word: string, value: T): T {
    if (!this.text.startsWith(word, this.pos)) throw this.unexpected("where a value should be");
    this.pos += word.length;
    return value;
  }

  private object(depth: number): Value {
    this.nest(depth);
    const entries: [string, Value][] = [];
    const names = new Set<string>();
    for (let at = this.firstMember(); at >= 0; at = this.nextMember()) {
      const name = this.memberName(at);
      if (names.has(name)) throw this.syntax(`the field "${name}" twice in one object`, at);
      names.add(name);
      entries.push([name, this.value(depth + 1)]);
    }
    // fromEntries defines own properties, so a "__proto__" field stays data.
    return Object.fromEntries(entries);
  }

  /**
   * An object's members, `{ "name": value, ... }`: firstMember from the
   * opening brace, nextMember after each value; each gives the position of
   * the next member's name, or -1 after the closing brace. The caller reads
   * the name with memberName, then the value.
   */
  private firstMember(): number {
    this.pos++;
    this.skipSpace();
    if (this.text.charCodeAt(this.pos) === CHAR_CLOSE_BRACE) {
      this.pos++;
      return -1;
    }
    return this.memberAt();
  }

  private nextMember(): number {
    this.skipSpace();
    const c = this.text.charCodeAt(this.pos);
    if (c === CHAR_CLOSE_BRACE) {
      this.pos++;
      return -1;
    }
    if (c !== CHAR_COMMA) throw this.unexpected("inside an object", ", or }");
    this.pos++;
    this.skipSpace();
    return this.memberAt();
  }

  private memberAt(): number {
    if (this.text.charCodeAt(this.pos) !== CHAR_QUOTE) throw this.unexpected("inside an object", "a field name in quotes");
    return this.pos;
  }

  /** Past a name of `length` characters known to be at `at` (in quotes, without escapes), and the colon after it. */
  private skipName(at: number, length: number): void {
    this.pos = at + length + 2;
    this.skipSpace();
    if (this.text.charCodeAt(this.pos) !== CHAR_COLON) throw this.unexpected("inside an object", ": after a field name");
    this.pos++;
    this.skipSpace();
  }

  /** The name at `at`, and the colon after it; pos is left at the value. */
  private memberName(at: number): string {
    this.pos = at;
    const name = this.string();
    this.skipSpace();
    if (this.text.charCodeAt(this.pos) !== CHAR_COLON) throw this.unexpected("inside an object", ": after a field name");
    this.pos++;
    this.skipSpace();
    return name;
  }

  private array(depth: number): Value {
    this.nest(depth);
    const items: Value[] = [];
    this.pos++;
    this.skipSpace();
    if (this.text.charCodeAt(this.pos) === CHAR_CLOSE_BRACKET) {
      this.pos++;
      return items;
    }
    for (;;) {
      if (this.pos >= this.text.length) throw this.unexpected("inside an array");
      items.push(this.value(depth + 1));
      this.skipSpace();
      const c = this.text.charCodeAt(this.pos);
      this.pos++;
      if (c === CHAR_CLOSE_BRACKET) return items;
      if (c !== CHAR_COMMA) {
        this.pos--;
        throw this.unexpected("inside an array", ", or ]");
      }
      this.skipSpace();
    }
  }

  private nest(depth: number): void {
    if (depth >= VALUE_DEPTH_MAX) throw new HistoryError(this.file, this.line, `arrays and objects nested more than ${VALUE_DEPTH_MAX} deep`);
  }

  /** A string from its opening quote; most have no escapes and are one slice of the line. */
  private string(): string {
    const text = this.text;
    const start = this.pos + 1;
    let pos = start;
    for (;;) {
      const c = text.charCodeAt(pos);
      if (c === CHAR_QUOTE) {
        this.pos = pos + 1;
        return text.slice(start, pos);
      }
      if (c === CHAR_BACKSLASH || c < 32 || c !== c) break;
      pos++;
    }
    let value = text.slice(start, pos);
    for (;;) {
      const c = text.charCodeAt(pos);
      if (c === CHAR_QUOTE) {
        this.pos = pos + 1;
        return value;
      }
      if (c !== c) {
        this.pos = pos;
        throw this.unexpected("inside a string");
      }
      if (c < 32) throw this.syntax("a control character in a string", pos);
      if (c !== CHAR_BACKSLASH) {
        value += text[pos] as string;
        pos++;
        continue;
      }
      const e = text[pos + 1];
      const simple = e === undefined ? undefined : JSON_ESCAPES[e];
      if (simple !== undefined) {
        value += simple;
        pos += 2;
      } else if (e === "u" && /^[0-9A-Fa-f]{4}$/.test(text.slice(pos + 2, pos + 6))) {
        value += String.fromCharCode(parseInt(text.slice(pos + 2, pos + 6), 16));
        pos += 6;
      } else {
        throw this.syntax(`a malformed escape \\${e ?? ""} in a string`, pos);
      }
    }
  }

  /** A number, to its exact value: most are small integers, read digit by digit. */
  private number(): number | bigint {
    const text = this.text;
    const start = this.pos;
    let pos = start;
    const negative = text.charCodeAt(pos) === CHAR_MINUS;
    if (negative) pos++;
    let c = text.charCodeAt(pos);
    let small = 0;
    if (c === CHAR_0) {
      pos++;
      c = text.charCodeAt(pos);
      if (c >= CHAR_0 && c <= CHAR_9) throw this.syntax("a number has no leading zeros", pos);
    } else if (c >= CHAR_0 && c <= CHAR_9) {
      while (c >= CHAR_0 && c <= CHAR_9) {
        small = small * 10 + (c - CHAR_0);
        c = text.charCodeAt(++pos);
      }
    } else {
      throw this.syntax("a number needs a digit after its -", pos);
    }
    let simple = pos - start <= 15;
    if (c === CHAR_DOT) {
      simple = false;
      pos = this.digits(pos + 1, "after its .");
      c = text.charCodeAt(pos);
    }
    if (c === 101 || c === 69) {
      // e or E
      simple = false;
      pos++;
      c = text.charCodeAt(pos);
      if (c === CHAR_PLUS || c === CHAR_MINUS) pos++;
      pos = this.digits(pos, "in its exponent");
    }
    this.pos = pos;
    if (simple) return negative && small !== 0 ? -small : small;
    const literal = text.slice(start, pos);
    const exact = exactNumber(literal);
    if (typeof exact === "string") throw new HistoryError(this.file, this.line, exact);
    return exact;
  }

  /** At least one digit from `pos`; returns the position after the last. */
  private digits(pos: number, where: string): number {
    const text = this.text;
    let c = text.charCodeAt(pos);
    if (!(c >= CHAR_0 && c <= CHAR_9)) throw this.syntax(`a number needs a digit ${where}`, pos);
    while (c >= CHAR_0 && c <= CHAR_9) c = text.charCodeAt(++pos);
    return pos;
  }

  private skipSpace(): void {
    const text = this.text;
    let pos = this.pos;
    for (;;) {
      const c = text.charCodeAt(pos);
      if (c !== 32 && c !== 9 && c !== 10 && c !== 13) break;
      pos++;
    }
    this.pos = pos;
  }

  /** What is at pos, as a syntax error: a character that does not belong, or the end of the line. */
  private unexpected(where: string, expected?: string): HistoryError {
    if (this.pos >= this.text.length) return this.syntax(`the line ends ${where}`, this.text.length);
    const c = this.text[this.pos] as string;
    return this.syntax(`unexpected ${c}${expected === undefined ? "" : ` (expected ${expected})`}`);
  }

  /** A JSON syntax error at the 0-based position `at` (named as a 1-based column). */
  private syntax(problem: string, at: number = this.pos): HistoryError {
    return new HistoryError(this.file, this.line, `malformed JSON (${problem} at column ${at + 1})`);
  }
}

const CHAR_QUOTE = 34;
const CHAR_PLUS = 43;
const CHAR_COMMA = 44;
const CHAR_MINUS = 45;
const CHAR_DOT = 46;
const CHAR_0 = 48;
const CHAR_9 = 57;
const CHAR_COLON = 58;
const CHAR_OPEN_BRACKET = 91;
const CHAR_BACKSLASH = 92;
const CHAR_CLOSE_BRACKET = 93;
const CHAR_OPEN_BRACE = 123;
const CHAR_CLOSE_BRACE = 125;
const JSON_ESCAPES: Readonly<Record<string, string>> = { '"': '"', "\\": "\\", "/": "/", b: "\b", f: "\f", n: "\n", r: "\r", t: "\t" };

/**
 * A JSON number literal's exact value, or why it has none here. Integers
 * (1, 1.0, 1e2, 1e400) are numbers when safe and bigints beyond; a fraction
 * is the double it reads as, if that double's shortest decimal is the
 * literal's value (0.1, 1.5e-7), since then no other literal reads as it;
 * otherwise (0.10000000000000001, 1e-400) it is refused.
 */
export function exactNumber(literal: string): number | bigint | string {
  // Most are small integers, exact as doubles.
  if (literal.length <= 15 && /^-?\d+$/.test(literal)) return Number(literal) + 0;
  const decimal = canonicalDecimal(literal);
  if (decimal === null) return `the number ${literal} has more than ${INTEGER_DIGITS_MAX} digits`;
  const { negative, digits, exponent } = decimal;
  if (digits === "") return 0;
  if (exponent >= 0) {
    if (digits.length + exponent > INTEGER_DIGITS_MAX) return `the number ${literal} has more than ${INTEGER_DIGITS_MAX} digits`;
    const magnitude = BigInt(digits + "0".repeat(exponent));
    const value = negative ? -magnitude : magnitude;
    return value >= BigInt(Number.MIN_SAFE_INTEGER) && value <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(value) : value;
  }
  const value = Number(literal);
  const read = canonicalDecimal(String(value));
  if (read === null || read.negative !== negative || read.digits !== digits || read.exponent !== exponent) {
    return `the number ${literal} cannot be held exactly: it would read as ${String(value)} (write it as a string to compare it exactly)`;
  }
  return value;
}

/**
 * A decimal literal as sign, significant digits (no leading or trailing
 * zeros; empty for zero) and the power of ten they are multiplied by; null
 * when the exponent is beyond any use (more than 1e9 either way).
 */
export function canonicalDecimal(literal: string): { negative: boolean; digits: string; exponent: number } | null {
  const match = /^(-?)(\d*)(?:\.(\d*))?(?:[eE]([+-]?\d+))?$/.exec(literal);
  if (match === null) return null;
  const whole = match[2] ?? "";
  const fraction = match[3] ?? "";
  const exponentText = match[4] ?? "0";
  let digits = (whole + fraction).replace(/^0+/, "");
  if (digits === "") return { negative: false, digits: "", exponent: 0 };
  const exponentDigits = exponentText.replace(/^[+-]?0*/, "");
  if (exponentDigits.length > 9) return exponentText.startsWith("-") ? { negative: match[1] === "-", digits: "1", exponent: -2_000_000_000 } : null;
  let exponent = Number(exponentText) - fraction.length;
  const trimmed = digits.replace(/0+$/, "");
  exponent += digits.length - trimmed.length;
  digits = trimmed;
  return { negative: match[1] === "-", digits, exponent };
}

/** A field's value in a message, shortened. */
function showField(value: Value | undefined): string {
  if (value === undefined) return "undefined";
  const text = typeof value === "bigint" ? value.toString() : (JSON.stringify(value, (_key, v: unknown) => (typeof v === "bigint" ? v.toString() : v)) ?? String(value));
  return text.length > 60 ? `${text.slice(0, 57)}...` : text;
}
