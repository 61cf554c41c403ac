import { EV, HEARTBEAT_TYPES, type EventKind, type TraceModel } from "./trace-model.ts";

/**
 * What the person chose to see: lanes, message types, heartbeats, the kinds
 * of bookkeeping events that get a mark (and a row in event order), and a
 * window of virtual time. A FilterView applies a choice to a model once, so
 * drawing a frame only reads arrays.
 */
export interface Filters {
  readonly hiddenLanes: ReadonlySet<number>;
  /** Message types (indexes into model.messageTypes) hidden by choice. */
  readonly hiddenTypes: ReadonlySet<number>;
  /** Heartbeats and their acks, pings and pongs: hidden unless asked for. */
  readonly showHeartbeats: boolean;
  /** Kinds of events without a message that get a mark and a row: faults, violations and operations always do. */
  readonly markedKinds: ReadonlySet<EventKind>;
  /** Only this stretch of virtual time, [from, to] in µs; null for the whole run. */
  readonly windowUs: readonly [number, number] | null;
}

/** What a trace shows when it opens: everything but heartbeats and the engine's bookkeeping (timers, syncs, notes). */
export function defaultFilters(): Filters {
  return { hiddenLanes: new Set(), hiddenTypes: new Set(), showHeartbeats: false, markedKinds: new Set<EventKind>([EV.start]), windowUs: null };
}

/** Kinds that always get a mark when their lane is shown. */
const ALWAYS_MARKED: ReadonlySet<number> = new Set<number>([EV.fault, EV.violation, EV.invoke, EV.complete, EV.foreign]);

export class FilterView {
  /** Per message type: 1 when shown. */
  readonly typeShown: Uint8Array;
  /** Per lane: 1 when shown. */
  readonly laneShown: Uint8Array;
  /** The shown events, in order: row r of the event-order view is event shownEvents[r]. */
  readonly shownEvents: Int32Array;
  /**
   * Per event, its row in event order; an event not shown sits half a row
   * before the next shown one, so intervals that start or end on it still
   * have a place.
   */
  readonly rowOf: Float64Array;
  /** The shown events that always get a mark (faults, findings, foreign events), in order: drawn at any zoom. */
  readonly markedEvents: Int32Array;

  constructor(
    readonly model: TraceModel,
    readonly filters: Filters,
  ) {
    this.typeShown = new Uint8Array(model.messageTypes.length);
    model.messageTypes.forEach((name, type) => {
      const heartbeat = HEARTBEAT_TYPES.has(name);
      this.typeShown[type] = !filters.hiddenTypes.has(type) && (filters.showHeartbeats || !heartbeat) ? 1 : 0;
    });
    this.laneShown = new Uint8Array(model.lanes.length);
    for (let lane = 0; lane < model.lanes.length; lane++) this.laneShown[lane] = filters.hiddenLanes.has(lane) ? 0 : 1;
    const { shown, rowOf, marked } = this.rows();
    this.shownEvents = shown;
    this.rowOf = rowOf;
    this.markedEvents = marked;
  }

  /** Whether a message is drawn: both lanes and its type shown, and it overlaps the window. */
  messageShown(m: number): boolean {
    const msgs = this.model.messages;
    if (this.typeShown[msgs.type[m] as number] !== 1) return false;
    if (this.laneShown[msgs.from[m] as number] !== 1 || this.laneShown[msgs.to[m] as number] !== 1) return false;
    const window = this.filters.windowUs;
    if (window === null) return true;
    const t = this.model.events.t;
    const startUs = t[msgs.sendEv[m] as number] as number;
    const endEv = msgs.endEv[m] as number;
    const endUs = endEv < 0 ? this.model.endUs : (t[endEv] as number);
    return startUs <= window[1] && endUs >= window[0];
  }

  /** Whether an event gets a mark (and a row in event order). */
  eventShown(i: number): boolean {
    const ev = this.model.events;
    const t = ev.t[i] as number;
    const window = this.filters.windowUs;
    if (window !== null && (t < window[0] || t > window[1])) return false;
    const m = ev.msg[i] as number;
    if (m >= 0) return this.messageShown(m);
    const lane = ev.lane[i] as number;
    if (lane >= 0 && this.laneShown[lane] !== 1) return false;
    const kind = ev.kind[i] as number;
    if (ALWAYS_MARKED.has(kind)) return true;
    if (kind === EV.send || kind === EV.deliver || kind === EV.drop || kind === EV.duplicate) return false;
    return this.filters.markedKinds.has(kind as EventKind);
  }

  /** Whether a lane is drawn. */
  laneVisible(lane: number): boolean {
    return this.laneShown[lane] === 1;
  }

  private rows(): { shown: Int32Array; rowOf: Float64Array; marked: Int32Array } {
    const n = this.model.eventCount;
    const kind = this.model.events.kind;
    const rowOf = new Float64Array(n);
    const shownAll = new Int32Array(n);
    const marked: number[] = [];
    let rows = 0;
    for (let i = 0; i < n; i++) {
      if (this.eventShown(i)) {
        shownAll[rows] = i;
        rowOf[i] = rows++;
        if (kind[i] === EV.fault || kind[i] === EV.violation || kind[i] === EV.foreign) marked.push(i);
      } else {
        rowOf[i] = rows - 0.5;
      }
    }
    return { shown: shownAll.slice(0, rows), rowOf, marked: Int32Array.from(marked) };
  }
}

/** The first shown event after `from` (or before it, going back) that matches; -1 when there is none. */
export function stepTo(view: FilterView, from: number, direction: 1 | -1, matches: (i: number) => boolean = () => true): number {
  const shown = view.shownEvents;
  if (shown.length === 0) return -1;
  // The row of `from` if shown, else the rows around it.
  let row = direction > 0 ? lowerBound(shown, from + 1) : lowerBound(shown, from) - 1;
  for (; row >= 0 && row < shown.length; row += direction) {
    const i = shown[row] as number;
    if (matches(i)) return i;
  }
  return -1;
}

/** The first index whose value is at least `value`, in an ascending array. */
export function lowerBound(values: ArrayLike<number>, value: number): number {
  let lo = 0;
  let hi = values.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if ((values[mid] as number) < value) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** The first index whose value is above `value`, in an ascending array. */
export function upperBound(values: ArrayLike<number>, value: number): number {
  let lo = 0;
  let hi = values.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if ((values[mid] as number) <= value) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** A matcher for "next event of this kind, message type and node" (any part may be left open). */
export function eventMatcher(model: TraceModel, what: { kind?: number; type?: number; lane?: number }): (i: number) => boolean {
  const ev = model.events;
  const msgs = model.messages;
  return (i) => {
    if (what.kind !== undefined && ev.kind[i] !== what.kind) return false;
    if (what.type !== undefined) {
      const m = ev.msg[i] as number;
      if (m < 0 || msgs.type[m] !== what.type) return false;
    }
    // An event belongs to the node it happens on: the sender for a send, the receiver for a delivery.
    return what.lane === undefined || ev.lane[i] === what.lane;
  };
}
