import type { LessonStep, LocatedStep } from "../../../src/lesson/index.ts";
import { EV, type TraceModel } from "../model/trace-model.ts";

/**
 * What a lesson step points at in the diagram's model, and where a fork
 * parts from the lesson's run. Plain functions of the model (tested in
 * Node on real runs).
 */

/** Messages of a highlighted type drawn per step, nearest to the step's event first. */
const EMPHASIS_MESSAGES_MAX = 24;

export interface StepMarks {
  /** Lanes of the step's nodes (a node the run has no lane for is left out). */
  readonly lanes: ReadonlySet<number>;
  /** Messages of the step's types sent or ended between the previous step's event and the next one's. */
  readonly messages: ReadonlySet<number>;
  /** The events worth having in view: the step's own, and its messages' ends. */
  readonly events: readonly number[];
}

/** The lanes and messages a step highlights, in the run the lesson was located in. */
export function stepMarks(model: TraceModel, step: LessonStep, located: readonly LocatedStep[], index: number): StepMarks {
  const at = located[index]?.event ?? 0;
  const lanes = new Set<number>();
  for (const node of step.highlight?.nodes ?? []) {
    const lane = model.lanes.findIndex((l) => l.id === node);
    if (lane >= 0) lanes.add(lane);
  }
  const types = new Set<number>();
  for (const name of step.highlight?.messages ?? []) {
    const type = model.messageTypes.indexOf(name);
    if (type >= 0) types.add(type);
  }
  const from = index > 0 ? (located[index - 1]?.event ?? -1) + 1 : 0;
  const to = located[index + 1]?.event ?? model.eventCount - 1;
  const msgs = model.messages;
  const near: { m: number; distance: number }[] = [];
  if (types.size > 0) {
    for (let m = 0; m < msgs.count; m++) {
      if (!types.has(msgs.type[m] as number)) continue;
      const send = msgs.sendEv[m] as number;
      const end = msgs.endEv[m] as number;
      const inWindow = (send >= from && send <= to) || (end >= from && end <= to);
      if (inWindow) near.push({ m, distance: Math.min(Math.abs(send - at), end < 0 ? Number.POSITIVE_INFINITY : Math.abs(end - at)) });
    }
  }
  near.sort((a, b) => a.distance - b.distance || a.m - b.m);
  const messages = new Set(near.slice(0, EMPHASIS_MESSAGES_MAX).map((x) => x.m));
  const events = [at];
  for (const m of messages) {
    events.push(msgs.sendEv[m] as number);
    if ((msgs.endEv[m] as number) >= 0) events.push(msgs.endEv[m] as number);
  }
  return { lanes, messages, events };
}

/**
 * The first event where two runs differ (its time, kind, node or message
 * type/note kind), or the shorter run's length when one is the start of the
 * other; -1 when they are the same.
 */
export function firstDifference(a: TraceModel, b: TraceModel): number {
  const n = Math.min(a.eventCount, b.eventCount);
  for (let ev = 0; ev < n; ev++) {
    if (a.events.t[ev] !== b.events.t[ev] || a.events.kind[ev] !== b.events.kind[ev]) return ev;
    if (a.lanes[a.events.lane[ev] as number]?.id !== b.lanes[b.events.lane[ev] as number]?.id) return ev;
    if (eventName(a, ev) !== eventName(b, ev)) return ev;
  }
  return a.eventCount === b.eventCount ? -1 : n;
}

/** An event's message type, note kind or fault type by name (the models' string tables differ from run to run). */
function eventName(model: TraceModel, ev: number): string {
  const m = model.events.msg[ev] as number;
  if (m >= 0) return model.messageTypes[model.messages.type[m] as number] ?? "";
  const code = model.events.code[ev] as number;
  switch (model.events.kind[ev]) {
    case EV.note:
      return model.noteKinds[code] ?? "";
    case EV.fault:
      return model.faultTypes[code] ?? "";
    default:
      return "";
  }
}
