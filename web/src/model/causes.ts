import { EV, type TraceModel } from "./trace-model.ts";

/**
 * Why an event happened, read back through the trace. A delivery or a drop
 * is caused by its message's send; a send by the event its `cause` field
 * names, when the trace has one. Otherwise, an event is caused by the event
 * that started the handler it belongs to: the engine records a handler's
 * events one after the other, at one instant, on one node, starting with
 * the delivery, timer, start or sync that ran it. A disk sync completes a
 * fixed latency after it was asked for (the header's disk.syncLatencyUs), so
 * its cause is taken to be the last handler on its node by then. A violation
 * names its causes itself.
 */

/** Kinds of event that start a handler. */
const HANDLER_STARTS: ReadonlySet<number> = new Set<number>([EV.deliver, EV.timer, EV.start, EV.sync, EV.fault]);

/** The farthest the handler search looks back (a handler's events are contiguous). */
const HANDLER_EVENTS_MAX = 10_000;

/** The event that started the handler `ev` belongs to; -1 when it has none (or is one). */
export function handlerStartOf(model: TraceModel, ev: number): number {
  const { t, lane, kind } = model.events;
  if (HANDLER_STARTS.has(kind[ev] as number)) return -1;
  const at = t[ev] as number;
  const node = lane[ev] as number;
  if (node < 0) return -1;
  for (let j = ev - 1; j >= 0 && ev - j <= HANDLER_EVENTS_MAX; j--) {
    if (t[j] !== at || lane[j] !== node) return -1;
    if (HANDLER_STARTS.has(kind[j] as number)) return j;
  }
  return -1;
}

/** The direct causes of an event, as event indexes. */
export function causesOf(model: TraceModel, ev: number): number[] {
  const { kind, msg } = model.events;
  const k = kind[ev] as number;
  if (k === EV.violation) {
    const violation = model.violations.find((v) => v.ev === ev);
    return violation === undefined ? [] : violation.causes.filter((c) => c >= 0 && c < model.eventCount);
  }
  const m = msg[ev] as number;
  if ((k === EV.deliver || k === EV.drop) && m >= 0) return [model.messages.sendEv[m] as number];
  if (k === EV.duplicate && m >= 0) {
    const original = model.messages.dupOf[m] as number;
    return original >= 0 ? [model.messages.sendEv[original] as number] : [];
  }
  if (k === EV.send && m >= 0) {
    const cause = model.messages.causeEv[m] as number;
    if (cause >= 0 && cause < ev) return [cause];
  }
  if (k === EV.sync) {
    const requester = syncRequester(model, ev);
    return requester >= 0 ? [requester] : [];
  }
  const start = handlerStartOf(model, ev);
  return start >= 0 ? [start] : [];
}

/** The handler that asked for a sync: the last one to start on its node at or before (completion - sync latency). */
function syncRequester(model: TraceModel, ev: number): number {
  const { t, lane, kind } = model.events;
  const node = lane[ev] as number;
  const askedUs = (t[ev] as number) - syncLatencyUs(model);
  for (let j = ev - 1; j >= 0 && ev - j <= HANDLER_EVENTS_MAX * 10; j--) {
    if (lane[j] !== node || (t[j] as number) > askedUs) continue;
    const k = kind[j] as number;
    if (k === EV.deliver || k === EV.timer || k === EV.start || k === EV.sync) return j;
  }
  return -1;
}

function syncLatencyUs(model: TraceModel): number {
  const config = model.header.config;
  const disk = typeof config === "object" && config !== null ? (config as { disk?: unknown }).disk : undefined;
  const latency = typeof disk === "object" && disk !== null ? (disk as { syncLatencyUs?: unknown }).syncLatencyUs : undefined;
  return typeof latency === "number" ? latency : 0;
}

export interface CauseChain {
  /** Every event on the way back, the roots included. */
  readonly events: ReadonlySet<number>;
  /** The messages those events sent or received. */
  readonly messages: ReadonlySet<number>;
  /** Whether the walk stopped at its bound before reaching every cause. */
  readonly cutShort: boolean;
}

/**
 * Walks back from `roots` through their causes, breadth first, up to
 * `depthMax` steps from a root and `eventsMax` events in all (the whole
 * history is, after all, the cause of everything).
 */
export function causeChain(model: TraceModel, roots: readonly number[], depthMax = 16, eventsMax = 400): CauseChain {
  const events = new Set<number>();
  const messages = new Set<number>();
  let frontier = roots.filter((r) => r >= 0 && r < model.eventCount);
  let cutShort = false;
  for (let depth = 0; depth <= depthMax && frontier.length > 0; depth++) {
    const next: number[] = [];
    for (const ev of frontier) {
      if (events.has(ev)) continue;
      if (events.size >= eventsMax) {
        cutShort = true;
        break;
      }
      events.add(ev);
      const m = model.events.msg[ev] as number;
      if (m >= 0) messages.add(m);
      for (const cause of causesOf(model, ev)) if (!events.has(cause)) next.push(cause);
    }
    frontier = next;
    if (depth === depthMax && next.length > 0) cutShort = true;
  }
  return { events, messages, cutShort };
}
