import type { TraceEvent } from "../sim/index.ts";
import type { EventFilter, Lesson } from "./schema.ts";

/**
 * Finding a lesson's steps in a run: each step's filter is matched against
 * the trace's events, from just after the previous step's event. A filter
 * that matches nothing is an error naming the step, so that a protocol
 * change that moves a lesson's ground shows up as a failing test.
 */

/** Where each step stops, by trace index. */
export interface LocatedStep {
  readonly step: number;
  readonly event: number;
  readonly atUs: number;
}

/** A step (or a question's answer) whose filter matches no event of the run. */
export class LessonStepError extends Error {
  override readonly name = "LessonStepError";
  constructor(
    readonly lesson: string,
    readonly step: number,
    readonly what: string,
  ) {
    super(`${lesson}: step ${step + 1}: ${what}`);
  }
}

/** Values of an event's fields by dotted path; a delivery, drop or duplicate also sees its message as `msg`. */
function fieldOf(event: TraceEvent, sent: ReadonlyMap<number, unknown>, path: string): unknown {
  let value: unknown = event;
  if (path.startsWith("msg") && (event.type === "deliver" || event.type === "drop")) value = { ...event, msg: sent.get(event.id) };
  if (path.startsWith("msg") && event.type === "duplicate") value = { ...event, msg: sent.get(event.of) };
  for (const part of path.split(".")) {
    if (typeof value !== "object" || value === null) return undefined;
    value = (value as Record<string, unknown>)[part];
  }
  return value;
}

/** The node an event happens on. */
function nodeOf(event: TraceEvent): string | undefined {
  switch (event.type) {
    case "send":
      return event.from;
    case "deliver":
    case "drop":
    case "duplicate":
      return event.to;
    case "start":
    case "timer":
    case "sync":
    case "note":
      return event.node;
    case "fault":
      return "node" in event.fault ? event.fault.node : undefined;
    default:
      return undefined;
  }
}

/** Whether an event has every field the filter gives. */
export function matchesFilter(event: TraceEvent, filter: EventFilter, sent: ReadonlyMap<number, unknown>): boolean {
  if (filter.type !== undefined && event.type !== filter.type) return false;
  if (filter.msg !== undefined) {
    const msg = event.type === "send" ? event.msg : event.type === "deliver" || event.type === "drop" ? sent.get(event.id) : event.type === "duplicate" ? sent.get(event.of) : undefined;
    if (typeof msg !== "object" || msg === null || (msg as { type?: unknown }).type !== filter.msg) return false;
  }
  if (filter.from !== undefined && !("from" in event && event.from === filter.from)) return false;
  if (filter.to !== undefined && !("to" in event && event.to === filter.to)) return false;
  if (filter.node !== undefined && nodeOf(event) !== filter.node) return false;
  if (filter.kind !== undefined && !(event.type === "note" && event.kind === filter.kind)) return false;
  if (filter.fault !== undefined && !(event.type === "fault" && event.fault.type === filter.fault)) return false;
  if (filter.check !== undefined && !(event.type === "violation" && event.check === filter.check)) return false;
  for (const [path, value] of Object.entries(filter.where ?? {})) {
    if (fieldOf(event, sent, path) !== value) return false;
  }
  return true;
}

/** The messages sent in a run, by id (deliveries and drops name only the id). */
export function sentMessages(events: readonly TraceEvent[]): Map<number, unknown> {
  const sent = new Map<number, unknown>();
  for (const e of events) if (e.type === "send") sent.set(e.id, e.msg);
  return sent;
}

/** The index (in `events`) of the filter's match searching from `from`, or -1. */
export function findEvent(events: readonly TraceEvent[], filter: EventFilter, from: number, sent: ReadonlyMap<number, unknown>): number {
  let seen = 0;
  for (let k = Math.max(0, from); k < events.length; k++) {
    if (!matchesFilter(events[k] as TraceEvent, filter, sent)) continue;
    if (++seen === filter.nth) return k;
  }
  return -1;
}

/** Describes a filter in words, for errors. */
export function describeFilter(filter: EventFilter): string {
  const parts = Object.entries(filter)
    .filter(([key, value]) => value !== undefined && !(key === "nth" && value === 1) && !(key === "since" && value === "previous"))
    .map(([key, value]) => `${key}: ${JSON.stringify(value)}`);
  return `{ ${parts.join(", ")} }`;
}

/** Every step's event, in order; throws LessonStepError for the first step that matches nothing. */
export function locateSteps(lesson: Lesson, events: readonly TraceEvent[]): LocatedStep[] {
  const sent = sentMessages(events);
  const located: LocatedStep[] = [];
  let previous = -1;
  lesson.steps.forEach((step, index) => {
    const from = step.at.since === "start" ? 0 : previous + 1;
    const k = findEvent(events, step.at, from, sent);
    if (k < 0) throw new LessonStepError(lesson.name, index, `no event matches ${describeFilter(step.at)} ${step.at.since === "start" ? "in the run" : "after the previous step"}`);
    const event = events[k] as TraceEvent;
    located.push({ step: index, event: event.i, atUs: event.t });
    previous = k;
  });
  return located;
}

/** A question's answer as the run gives it: the field of the first matching event after the step's (as text). */
export function answerOf(lesson: Lesson, stepIndex: number, events: readonly TraceEvent[], located: readonly LocatedStep[]): string {
  const question = lesson.steps[stepIndex]?.question;
  if (question === undefined) throw new LessonStepError(lesson.name, stepIndex, "has no question");
  const sent = sentMessages(events);
  const at = located[stepIndex]?.event ?? -1;
  const from = question.answer.at.since === "start" ? 0 : events.findIndex((e) => e.i === at) + 1;
  const k = findEvent(events, question.answer.at, from, sent);
  if (k < 0) throw new LessonStepError(lesson.name, stepIndex, `the question's answer: no event matches ${describeFilter(question.answer.at)}`);
  const value = fieldOf(events[k] as TraceEvent, sent, question.answer.field);
  if (value === undefined) throw new LessonStepError(lesson.name, stepIndex, `the question's answer: the event has no field ${question.answer.field}`);
  return typeof value === "string" ? value : JSON.stringify(value);
}
