import { describe, expect, test } from "vitest";
import { controls, follows, placement } from "../../../web/src/live/session.ts";
import type { LiveStatus } from "../../../web/src/protocol.ts";
import { eventMatches, MessageTypes } from "../../../web/src/live/step-match.ts";
import type { TraceEvent } from "../../../src/sim/index.ts";

const status = (over: Partial<LiveStatus>): LiveStatus => ({
  branch: 0,
  name: "default",
  seed: 1,
  nowUs: 1_000,
  durationUs: 10_000,
  events: 10,
  finished: false,
  playing: false,
  digest: null,
  source: "",
  report: null,
  built: null,
  checkpoints: 0,
  ...over,
});

describe("the live view's decisions", () => {
  test("an intervention in the last instant acts on the run; at an earlier instant it forks after the cursor's event", () => {
    const times = [0, 10, 10, 20, 30, 30, 30];
    expect(placement(6, times, 7)).toEqual({ kind: "edge" });
    expect(placement(-1, [], 0)).toEqual({ kind: "edge" });
    // The last instant is finished before an intervention applies: any of its events is the edge.
    expect(placement(4, times, 7)).toEqual({ kind: "edge" });
    expect(placement(3, times, 7)).toEqual({ kind: "fork", ev: 3 });
    expect(placement(1, times, 7)).toEqual({ kind: "fork", ev: 1 });
  });

  test("the cursor follows the growing run only from the edge", () => {
    expect(follows(9, 10)).toBe(true);
    expect(follows(-1, 0)).toBe(true);
    expect(follows(3, 10)).toBe(false);
  });

  test("controls: play or pause, never both; nothing but pause while busy; nothing runs past the end", () => {
    expect(controls(null, false).play).toBe(false);
    expect(controls(status({}), false)).toEqual({ play: true, pause: false, step: true, intervene: true, finish: true, fork: true });
    expect(controls(status({ playing: true }), false)).toMatchObject({ play: false, pause: true });
    expect(controls(status({ playing: true }), true)).toEqual({ play: false, pause: true, step: false, intervene: false, finish: false, fork: false });
    expect(controls(status({ finished: true, nowUs: 10_000 }), false)).toEqual({ play: false, pause: false, step: false, intervene: false, finish: false, fork: true });
  });
});

describe("stepping to the next event of a type", () => {
  const send = (id: number, type: string): TraceEvent => ({ i: id, t: 1, type: "send", id, from: "s1", to: "s2", msg: { type }, cause: -1 }) as unknown as TraceEvent;
  const deliver = (id: number): TraceEvent => ({ i: 100 + id, t: 2, type: "deliver", id, from: "s1", to: "s2" }) as unknown as TraceEvent;

  test("a delivery is matched by the type its send had; a kind alone matches any type", () => {
    const types = new MessageTypes();
    const a = send(1, "accept");
    const b = send(2, "prepare");
    expect(eventMatches(a, types.read(a), { kind: "send", messageType: "accept" })).toBe(true);
    expect(eventMatches(b, types.read(b), { kind: "send", messageType: "accept" })).toBe(false);
    const d1 = deliver(1);
    const d2 = deliver(2);
    expect(eventMatches(d1, types.read(d1), { kind: "deliver", messageType: "accept" })).toBe(true);
    expect(eventMatches(d2, types.read(d2), { kind: "deliver", messageType: "accept" })).toBe(false);
    expect(eventMatches(d2, types.read(d2), { kind: "deliver", messageType: null })).toBe(true);
    expect(eventMatches(d2, types.read(d2), { kind: null, messageType: "prepare" })).toBe(true);
    expect(eventMatches(d2, types.read(d2), null)).toBe(true);
  });
});
