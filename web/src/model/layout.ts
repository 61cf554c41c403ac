import { lowerBound, type FilterView } from "./filters.ts";
import type { TraceModel } from "./trace-model.ts";

/**
 * Where things go on the diagram, before any pixel: the vertical coordinate
 * of every event (virtual time, or its row in event order), the stretch each
 * message and operation covers, and an index that finds what overlaps the
 * visible stretch without looking at everything else. Pure: the renderer maps
 * these coordinates to pixels with a d3 scale.
 */

/** Virtual time runs down the page; event order gives each shown event a row of its own. */
export type AxisMode = "time" | "order";

export class Coordinates {
  /** Per message, the coordinate of its send and of its end (delivery, drop, or the end of the run); NaN when hidden. */
  readonly msgStart: Float64Array;
  readonly msgEnd: Float64Array;
  /** The shown messages, overlapping any stretch fast. */
  readonly messages: IntervalIndex;
  /** Per span (client operation), the coordinates of its start and end; NaN when hidden. */
  readonly spanStart: Float64Array;
  readonly spanEnd: Float64Array;
  readonly spans: IntervalIndex;
  /** The whole run: [first, last] coordinate. */
  readonly extent: readonly [number, number];

  constructor(
    readonly model: TraceModel,
    readonly view: FilterView,
    readonly mode: AxisMode,
  ) {
    this.extent = this.computeExtent();
    const msgs = model.messages;
    this.msgStart = new Float64Array(msgs.count).fill(Number.NaN);
    this.msgEnd = new Float64Array(msgs.count).fill(Number.NaN);
    const shownMessages = new Int32Array(msgs.count);
    let shown = 0;
    for (let m = 0; m < msgs.count; m++) {
      if (!view.messageShown(m)) continue;
      this.msgStart[m] = this.y(msgs.sendEv[m] as number);
      const endEv = msgs.endEv[m] as number;
      this.msgEnd[m] = endEv < 0 ? this.extent[1] : this.y(endEv);
      shownMessages[shown++] = m;
    }
    this.messages = new IntervalIndex(shownMessages.subarray(0, shown), this.msgStart, this.msgEnd);

    const spans = model.spans;
    this.spanStart = new Float64Array(spans.count).fill(Number.NaN);
    this.spanEnd = new Float64Array(spans.count).fill(Number.NaN);
    const shownSpans = new Int32Array(spans.count);
    let shownSpanCount = 0;
    for (let s = 0; s < spans.count; s++) {
      if (!view.laneVisible(spans.lane[s] as number)) continue;
      const start = this.y(spans.startEv[s] as number);
      const endEv = spans.endEv[s] as number;
      const end = endEv < 0 ? this.extent[1] : this.y(endEv);
      if (end < this.extent[0] || start > this.extent[1]) continue;
      this.spanStart[s] = start;
      this.spanEnd[s] = end;
      shownSpans[shownSpanCount++] = s;
    }
    this.spans = new IntervalIndex(shownSpans.subarray(0, shownSpanCount), this.spanStart, this.spanEnd);
  }

  /** An event's coordinate: its time in µs, or its row. */
  y(ev: number): number {
    return this.mode === "time" ? (this.model.events.t[ev] as number) : (this.view.rowOf[ev] as number);
  }

  /** The coordinate of an interval's end given as an event (-1: the end of the run). */
  yEnd(ev: number): number {
    return ev < 0 ? this.extent[1] : this.y(ev);
  }

  /** The events whose coordinates fall in [y0, y1], as a range of event indexes [first, last). */
  eventRange(y0: number, y1: number): [number, number] {
    if (this.mode === "time") {
      const t = this.model.events.t;
      return [lowerBound(t, y0), upperBoundFloat(t, y1)];
    }
    const rows = this.view.shownEvents;
    const r0 = Math.max(0, Math.ceil(y0));
    const r1 = Math.min(rows.length - 1, Math.floor(y1));
    if (r1 < r0) return [0, 0];
    return [rows[r0] as number, (rows[r1] as number) + 1];
  }

  /** The event at or just before a coordinate (the cursor's event for a point on the axis); -1 before the first. */
  eventAt(y: number): number {
    if (this.mode === "time") return upperBoundFloat(this.model.events.t, y) - 1;
    const rows = this.view.shownEvents;
    const row = Math.min(rows.length - 1, Math.floor(y + 1e-9));
    return row < 0 ? -1 : (rows[row] as number);
  }

  private computeExtent(): [number, number] {
    if (this.mode === "order") return [-0.5, Math.max(0.5, this.view.shownEvents.length - 0.5)];
    const window = this.view.filters.windowUs;
    if (window !== null) return [window[0], Math.max(window[0] + 1, window[1])];
    return [0, Math.max(1, this.model.endUs)];
  }
}

function upperBoundFloat(values: Float64Array, value: number): number {
  let lo = 0;
  let hi = values.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if ((values[mid] as number) <= value) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/**
 * Intervals sorted by start, found by overlap with a stretch [lo, hi]. Most
 * intervals are short, so a scan from (lo - the usual length) finds them;
 * the few long ones (a message queued at a paused node, an operation that
 * never completed) are kept apart and checked every time.
 */
export class IntervalIndex {
  /** Starts of the items, in order (a copy, for binary search). */
  private readonly starts: Float64Array;
  /** Items longer than `lengthShort`, checked on every query. */
  private readonly longItems: Int32Array;
  readonly lengthShort: number;

  constructor(
    /** Item ids (message or span rows), ascending by start. */
    readonly items: Int32Array,
    private readonly start: Float64Array,
    private readonly end: Float64Array,
  ) {
    const n = items.length;
    this.starts = new Float64Array(n);
    for (let k = 0; k < n; k++) this.starts[k] = start[items[k] as number] as number;
    this.lengthShort = shortLength(items, start, end);
    const long: number[] = [];
    for (let k = 0; k < n; k++) {
      const id = items[k] as number;
      if ((end[id] as number) - (start[id] as number) > this.lengthShort) long.push(id);
    }
    this.longItems = Int32Array.from(long);
  }

  get size(): number {
    return this.items.length;
  }

  /** Calls `visit` for every item overlapping [lo, hi], each once; returns how many. */
  query(lo: number, hi: number, visit: (id: number) => void): number {
    let count = 0;
    const from = lowerBound(this.starts, lo - this.lengthShort);
    const n = this.items.length;
    for (let k = from; k < n; k++) {
      if ((this.starts[k] as number) > hi) break;
      const id = this.items[k] as number;
      if ((this.end[id] as number) >= lo) {
        visit(id);
        count++;
      }
    }
    const before = lo - this.lengthShort;
    for (let k = 0; k < this.longItems.length; k++) {
      const id = this.longItems[k] as number;
      const s = this.start[id] as number;
      if (s < before && (this.end[id] as number) >= lo && s <= hi) {
        visit(id);
        count++;
      }
    }
    return count;
  }

  /** How many items overlap [lo, hi] (without visiting them). */
  count(lo: number, hi: number): number {
    return this.query(lo, hi, noop);
  }
}

function noop(): void {}

/** Long items at most this share of all: the scan window is the length below which the rest fall. */
const LONG_SHARE = 0.01;
const SAMPLE_MAX = 4096;

/** The length that all but about 1% of the items stay within (from an even sample). */
function shortLength(items: Int32Array, start: Float64Array, end: Float64Array): number {
  const n = items.length;
  if (n === 0) return 0;
  const step = Math.max(1, Math.floor(n / SAMPLE_MAX));
  const lengths: number[] = [];
  for (let k = 0; k < n; k += step) {
    const id = items[k] as number;
    lengths.push((end[id] as number) - (start[id] as number));
  }
  lengths.sort((a, b) => a - b);
  return lengths[Math.min(lengths.length - 1, Math.floor((1 - LONG_SHARE) * lengths.length))] as number;
}

/** The x of each lane's axis: shown lanes spread evenly over [left, right]; hidden lanes NaN. */
export function laneXs(laneCount: number, shown: (lane: number) => boolean, left: number, right: number): Float64Array {
  const xs = new Float64Array(laneCount).fill(Number.NaN);
  let count = 0;
  for (let lane = 0; lane < laneCount; lane++) if (shown(lane)) count++;
  if (count === 0) return xs;
  const gap = count === 1 ? 0 : (right - left) / (count - 1);
  let k = 0;
  for (let lane = 0; lane < laneCount; lane++) {
    if (!shown(lane)) continue;
    xs[lane] = count === 1 ? (left + right) / 2 : left + gap * k;
    k++;
  }
  return xs;
}

/** The distance from point (px, py) to the segment (x0, y0)–(x1, y1). */
export function segmentDistance(px: number, py: number, x0: number, y0: number, x1: number, y1: number): number {
  const dx = x1 - x0;
  const dy = y1 - y0;
  const length2 = dx * dx + dy * dy;
  const along = length2 === 0 ? 0 : Math.max(0, Math.min(1, ((px - x0) * dx + (py - y0) * dy) / length2));
  const cx = x0 + along * dx - px;
  const cy = y0 + along * dy - py;
  return Math.sqrt(cx * cx + cy * cy);
}
