import { pointRadial } from "d3";
import type { Coordinates } from "../model/layout.ts";
import type { LaneKind, TraceModel } from "../model/trace-model.ts";

/**
 * The ring view's geometry, before any pixel is drawn: the servers evenly on
 * a circle (the first at the top, clockwise), the clients and other nodes on
 * a wider circle outside it, and every message in flight at the cursor as a
 * point on its way from sender to receiver, at the same fraction of its
 * flight as the diagram's dot (so the two pictures always agree).
 */

export interface RingNode {
  readonly lane: number;
  readonly id: string;
  readonly kind: LaneKind;
  readonly x: number;
  readonly y: number;
}

export interface Flight {
  /** The message's row in the model. */
  readonly m: number;
  readonly from: number;
  readonly to: number;
  /** How far along its way, 0 at the send, 1 at the delivery (or drop). */
  readonly along: number;
  readonly type: string;
}

/** Radii as parts of half the view's size: the servers' ring, and the outer one for clients. */
const SERVER_RADIUS = 0.52;
const CLIENT_RADIUS = 0.86;

/** Places the lanes in a square view of side `size`, centred. */
export function ringLayout(model: TraceModel, size: number): RingNode[] {
  const half = size / 2;
  const servers = model.lanes.map((lane, index) => ({ lane, index })).filter(({ lane }) => lane.kind === "server");
  const others = model.lanes.map((lane, index) => ({ lane, index })).filter(({ lane }) => lane.kind !== "server");
  const place = (list: typeof servers, radius: number, offset: number) =>
    list.map(({ lane, index }, k) => {
      const [x, y] = pointRadial((2 * Math.PI * (k + offset)) / Math.max(1, list.length), radius * half);
      return { lane: index, id: lane.id, kind: lane.kind, x: half + x, y: half + y };
    });
  // Clients between the servers' angles, so that their arrows do not run along the ring.
  return [...place(servers, SERVER_RADIUS, 0), ...place(others, CLIENT_RADIUS, 0.5)];
}

/** The shown messages in flight at the cursor: sent at or before it, delivered (or dropped) after it. */
export function flightsAt(model: TraceModel, coords: Coordinates, cursor: number): Flight[] {
  if (cursor < 0) return [];
  const c = coords.y(cursor);
  const out: Flight[] = [];
  const msgs = model.messages;
  coords.messages.query(c, c, (m) => {
    const s = coords.msgStart[m] as number;
    const e = coords.msgEnd[m] as number;
    if (!(s <= c && c < e)) return;
    out.push({ m, from: msgs.from[m] as number, to: msgs.to[m] as number, along: e === s ? 0 : (c - s) / (e - s), type: model.messageTypes[msgs.type[m] as number] ?? "?" });
  });
  return out.sort((a, b) => a.m - b.m);
}
