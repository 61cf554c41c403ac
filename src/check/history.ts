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
 */

export type EventType = "invoke" | "ok" | "fail" | "info";

/** JSON values, as histories carry them. */
export type Json = null | boolean | number | string | readonly Json[] | { readonly [key: string]: Json };

export interface HistoryEvent {
  readonly process: number;
  readonly type: EventType;
  readonly f: string;
  readonly key: string | null;
  readonly value: Json;
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
  readonly input: Json;
  /** The completion's value (what a read returned); null for an open or `info` operation. */
  readonly output: Json;
  /** "ok" and "info" operations are checked; "fail" ones took no effect and constrain nothing. */
  readonly outcome: "ok" | "info" | "fail";
  /** Positions in the event sequence: the invocation, and the completion (Infinity when unknown). */
  readonly call: number;
  readonly ret: number;
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
/** Lines a history may hold: a bound against a runaway file. */
const HISTORY_LINES_MAX = 10_000_000;

/** Parses a JSON Lines history; every problem names the file and the line. Blank lines are skipped. */
export function parseJsonlHistory(text: string, file: string): HistoryEvent[] {
  return parseJsonlHistoryWithLines(text, file).events;
}

/** The same, with the 1-based line of each event (for errors found later, such as a completion without an invocation). */
export function parseJsonlHistoryWithLines(text: string, file: string): { events: HistoryEvent[]; lines: number[] } {
  const events: HistoryEvent[] = [];
  const eventLines: number[] = [];
  const lines = text.split("\n");
  if (lines.length > HISTORY_LINES_MAX) throw new HistoryError(file, 0, `more than ${HISTORY_LINES_MAX} lines`);
  for (let i = 0; i < lines.length; i++) {
    const line = (lines[i] as string).trim();
    if (line === "") continue;
    let raw: unknown;
    try {
      raw = JSON.parse(line);
    } catch (error) {
      throw new HistoryError(file, i + 1, `malformed JSON (${error instanceof Error ? error.message : String(error)})`);
    }
    events.push(eventFromObject(raw, file, i + 1));
    eventLines.push(i + 1);
  }
  return { events, lines: eventLines };
}

/** Checks one event object's fields; `line` is where it came from. */
export function eventFromObject(raw: unknown, file: string, line: number): HistoryEvent {
  if (typeof raw !== "object" || raw === null || Array.isArray(raw)) throw new HistoryError(file, line, "expected a JSON object {process, type, f, key, value}");
  const o = raw as Record<string, unknown>;
  const process = o["process"];
  if (typeof process !== "number" || !Number.isInteger(process) || process < 0) throw new HistoryError(file, line, `"process" must be a non-negative integer, got ${show(process)}`);
  const type = o["type"];
  if (typeof type !== "string" || !EVENT_TYPES.includes(type as EventType)) throw new HistoryError(file, line, `unknown "type" ${show(type)}: expected invoke, ok, fail or info`);
  const f = o["f"];
  if (typeof f !== "string" || f === "") throw new HistoryError(file, line, `"f" must be a non-empty string, got ${show(f)}`);
  const key = o["key"] ?? null;
  if (key !== null && typeof key !== "string") throw new HistoryError(file, line, `"key" must be a string or null, got ${show(key)}`);
  if (!("value" in o)) throw new HistoryError(file, line, `missing "value" (use null for none)`);
  const time = o["time"];
  if (time !== undefined && (typeof time !== "number" || !Number.isFinite(time))) throw new HistoryError(file, line, `"time" must be a number, got ${show(time)}`);
  for (const name of Object.keys(o)) {
    if (!["process", "type", "f", "key", "value", "time"].includes(name)) throw new HistoryError(file, line, `unknown field "${name}"`);
  }
  const event: HistoryEvent = { process, type: type as EventType, f, key, value: o["value"] as Json };
  return time === undefined ? event : { ...event, time };
}

/**
 * Pairs invocations with completions, process by process. A completion
 * without an open invocation, a second invocation while one is open, an
 * invocation after `info`, or a completion whose `f` differs are errors
 * (with the event's line: `lines[k]` is the line of event k, when known).
 */
export function toOperations(events: readonly HistoryEvent[], file: string, lines?: readonly number[]): Operation[] {
  const open = new Map<number, { index: number; event: HistoryEvent; position: number }>();
  const crashed = new Set<number>();
  const drafts: { event: HistoryEvent; position: number; completion: { event: HistoryEvent; position: number } | null }[] = [];
  const lineOf = (k: number) => lines?.[k] ?? 0;
  events.forEach((event, position) => {
    if (event.type === "invoke") {
      if (open.has(event.process)) throw new HistoryError(file, lineOf(position), `process ${event.process} invokes ${event.f} while its ${open.get(event.process)?.event.f ?? ""} is still open`);
      if (crashed.has(event.process)) throw new HistoryError(file, lineOf(position), `process ${event.process} invokes ${event.f} after an info completion (its outcome is unknown forever; a new process must take over)`);
      open.set(event.process, { index: drafts.length, event, position });
      drafts.push({ event, position, completion: null });
      return;
    }
    const invocation = open.get(event.process);
    if (invocation === undefined) throw new HistoryError(file, lineOf(position), `a ${event.type} completion of ${event.f} by process ${event.process}, which has no open invocation`);
    if (invocation.event.f !== event.f) throw new HistoryError(file, lineOf(position), `process ${event.process} completes ${event.f} but invoked ${invocation.event.f}`);
    open.delete(event.process);
    (drafts[invocation.index] as (typeof drafts)[number]).completion = { event, position };
    if (event.type === "info") crashed.add(event.process);
  });
  return drafts.map(({ event, position, completion }, id) => {
    const outcome = completion === null || completion.event.type === "info" ? "info" : completion.event.type === "ok" ? "ok" : "fail";
    return {
      id,
      process: event.process,
      f: event.f,
      key: event.key,
      input: event.value,
      output: outcome === "ok" ? (completion?.event.value ?? null) : null,
      outcome,
      call: position,
      ret: outcome === "info" ? Number.POSITIVE_INFINITY : (completion?.position ?? Number.POSITIVE_INFINITY),
    };
  });
}

function show(value: unknown): string {
  const text = JSON.stringify(value);
  return text === undefined ? String(value) : text.length > 60 ? `${text.slice(0, 57)}...` : text;
}
