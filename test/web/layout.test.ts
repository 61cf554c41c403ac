import fc from "fast-check";
import { describe, expect, test } from "vitest";
import { defaultFilters, eventMatcher, FilterView, lowerBound, stepTo } from "../../web/src/model/filters.ts";
import { Coordinates, IntervalIndex, laneXs, segmentDistance } from "../../web/src/model/layout.ts";
import { EV, HEARTBEAT_TYPES } from "../../web/src/model/trace-model.ts";
import { modelOf, traceOf } from "./fixtures.ts";

describe("the interval index", () => {
  test("finds exactly the intervals overlapping a stretch, each once (against a scan of all)", () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.integer({ min: 0, max: 10_000 }), fc.integer({ min: 0, max: 3_000 })), { maxLength: 300 }),
        fc.integer({ min: -100, max: 11_000 }),
        fc.integer({ min: 0, max: 4_000 }),
        (pairs, lo, width) => {
          const sorted = pairs.map(([s, d]) => [s, s + (d > 2_500 ? d * 3 : d % 50)] as const).sort((a, b) => a[0] - b[0]);
          const start = Float64Array.from(sorted.map((p) => p[0]));
          const end = Float64Array.from(sorted.map((p) => p[1]));
          const index = new IntervalIndex(Int32Array.from(sorted.map((_, k) => k)), start, end);
          const hi = lo + width;
          const found: number[] = [];
          const count = index.query(lo, hi, (id) => found.push(id));
          const expected = sorted.map((_, k) => k).filter((k) => (start[k] as number) <= hi && (end[k] as number) >= lo);
          expect(found.sort((a, b) => a - b)).toEqual(expected);
          expect(count).toBe(expected.length);
        },
      ),
      { seed: 11, numRuns: 300 },
    );
  });
});

describe("lanes and geometry", () => {
  test("shown lanes spread evenly, hidden ones have no place", () => {
    const xs = laneXs(4, (lane) => lane !== 1, 100, 400);
    expect(Array.from(xs)).toEqual([100, Number.NaN, 250, 400]);
    expect(Array.from(laneXs(1, () => true, 100, 300))).toEqual([200]);
  });

  test("the distance to a segment is to its nearest point, ends included", () => {
    expect(segmentDistance(5, 5, 0, 0, 10, 0)).toBe(5);
    expect(segmentDistance(-3, 4, 0, 0, 10, 0)).toBe(5);
    expect(segmentDistance(1, 1, 1, 1, 1, 1)).toBe(0);
  });
});

describe("filters, rows and steps", async () => {
  const { lines } = await traceOf("default");
  const model = modelOf(lines);

  test("heartbeats are hidden until asked for, one switch away", () => {
    const hidden = new FilterView(model, defaultFilters());
    const shown = new FilterView(model, { ...defaultFilters(), showHeartbeats: true });
    let heartbeats = 0;
    for (let m = 0; m < model.messages.count; m++) {
      const heartbeat = HEARTBEAT_TYPES.has(model.messageTypes[model.messages.type[m] as number] as string);
      if (heartbeat) heartbeats++;
      expect(hidden.messageShown(m)).toBe(!heartbeat);
      expect(shown.messageShown(m)).toBe(true);
    }
    expect(heartbeats).toBeGreaterThan(1000);
  });

  test("event order gives each shown event a row; hidden events sit half a row before the next", () => {
    const view = new FilterView(model, defaultFilters());
    const rows = view.shownEvents;
    for (let r = 0; r < rows.length; r++) expect(view.rowOf[rows[r] as number]).toBe(r);
    const hidden = Array.from({ length: 200 }, (_, i) => i).find((i) => !view.eventShown(i));
    if (hidden === undefined) throw new Error("no hidden event in the first 200");
    const next = lowerBound(rows, hidden);
    expect(view.rowOf[hidden]).toBe(next - 0.5);
    const coords = new Coordinates(model, view, "order");
    expect(coords.extent).toEqual([-0.5, rows.length - 0.5]);
    const r = 40;
    expect(coords.eventAt(r)).toBe(rows[r]);
    expect(coords.eventRange(r, r + 2)).toEqual([rows[r], (rows[r + 2] as number) + 1]);
  });

  test("a hidden lane hides its messages; a time window keeps what overlaps it", () => {
    const s5 = model.lanes.findIndex((l) => l.id === "s5");
    const view = new FilterView(model, { ...defaultFilters(), hiddenLanes: new Set([s5]), windowUs: [2_000_000, 2_500_000] });
    const t = model.events.t;
    for (let m = 0; m < model.messages.count; m++) {
      const touches = model.messages.from[m] === s5 || model.messages.to[m] === s5;
      const start = t[model.messages.sendEv[m] as number] as number;
      const endEv = model.messages.endEv[m] as number;
      const end = endEv < 0 ? model.endUs : (t[endEv] as number);
      const type = model.messageTypes[model.messages.type[m] as number] as string;
      expect(view.messageShown(m)).toBe(!touches && !HEARTBEAT_TYPES.has(type) && start <= 2_500_000 && end >= 2_000_000);
    }
    const coords = new Coordinates(model, view, "time");
    expect(coords.extent).toEqual([2_000_000, 2_500_000]);
  });

  test("stepping goes to the next shown event, or the next one of a kind, type and node", () => {
    const view = new FilterView(model, defaultFilters());
    const first = stepTo(view, -1, 1);
    expect(first).toBe(view.shownEvents[0]);
    const second = stepTo(view, first, 1);
    expect(second).toBe(view.shownEvents[1]);
    expect(stepTo(view, second, -1)).toBe(first);
    const crash = stepTo(view, -1, 1, eventMatcher(model, { kind: EV.fault }));
    expect(model.events.kind[crash]).toBe(EV.fault);
    expect(model.events.t[crash]).toBe(2_000_000);
    const accept = model.messageTypes.indexOf("accept");
    const s3 = model.lanes.findIndex((l) => l.id === "s3");
    const next = stepTo(view, crash, 1, eventMatcher(model, { type: accept, lane: s3 }));
    expect(next).toBeGreaterThan(crash);
    expect(model.messages.type[model.events.msg[next] as number]).toBe(accept);
    expect(model.events.lane[next]).toBe(s3);
    expect(stepTo(view, model.eventCount, 1)).toBe(-1);
  });
});
