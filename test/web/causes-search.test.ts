import { describe, expect, test } from "vitest";
import { causeChain, causesOf, handlerStartOf } from "../../web/src/model/causes.ts";
import { changesBetween } from "../../web/src/model/property-diff.ts";
import { parseSearch, searchMessages } from "../../web/src/model/search.ts";
import { EV, TraceModelBuilder } from "../../web/src/model/trace-model.ts";
import type { TraceEvent, TraceHeader } from "../../src/sim/index.ts";
import { modelOf, traceOf } from "./fixtures.ts";

const HEADER = '{"type":"header","format":"zksim-trace","version":2,"seed":1,"level":"full","config":{"nodes":["a","b"]}}';

describe("causes", () => {
  test("a send's cause is the start of its handler: a delivery or timer on the same node at the same instant", async () => {
    const model = modelOf((await traceOf("default")).lines);
    const { kind, lane, t } = model.events;
    let checked = 0;
    for (let i = 0; i < model.eventCount && checked < 2000; i++) {
      if (kind[i] !== EV.send) continue;
      const start = handlerStartOf(model, i);
      if (start < 0) continue;
      expect([EV.deliver, EV.timer, EV.start, EV.sync, EV.fault]).toContain(kind[start]);
      expect(lane[start]).toBe(lane[i]);
      expect(t[start]).toBe(t[i]);
      for (let j = start + 1; j < i; j++) expect(lane[j]).toBe(lane[i]);
      checked++;
    }
    expect(checked).toBe(2000);
  });

  test("a delivery is caused by its send, and a violation by the events it names; the chain reaches the messages before", async () => {
    const model = modelOf((await traceOf("bug-accept-lower-ballot")).lines);
    const violation = model.violations[0];
    if (violation === undefined) throw new Error("the bug scenario has no violation");
    expect(causesOf(model, violation.ev)).toEqual(violation.causes);
    const chain = causeChain(model, [violation.ev]);
    for (const cause of violation.causes) expect(chain.events.has(cause)).toBe(true);
    // The accepts that broke the promise arrived as messages: the chain reaches them and their sends.
    expect(chain.messages.size).toBeGreaterThan(0);
    for (const m of chain.messages) {
      const end = model.messages.endEv[m] as number;
      if (end >= 0 && chain.events.has(end)) expect(chain.events.has(model.messages.sendEv[m] as number)).toBe(true);
    }
    const deliver = Array.from({ length: model.eventCount }, (_, i) => i).find((i) => model.events.kind[i] === EV.deliver) as number;
    expect(causesOf(model, deliver)).toEqual([model.messages.sendEv[model.events.msg[deliver] as number]]);
  });

  test("a send that names its cause (the core's coming `cause` field) is traced through it, across handlers", () => {
    // Today's schema refuses unknown fields on a send, so these events go to the builder directly.
    const builder = new TraceModelBuilder();
    builder.header(JSON.parse(HEADER) as TraceHeader);
    const events: TraceEvent[] = [
      { i: 0, t: 1, type: "timer", node: "a", timer: 1, tag: null },
      { i: 1, t: 1, type: "note", node: "a", kind: "tick", data: null },
      { i: 2, t: 5, type: "timer", node: "b", timer: 2, tag: null },
    ];
    for (const event of events) builder.event(event);
    const send = { i: 3, t: 5, type: "send" as const, id: 1, from: "b", to: "a", msg: { type: "ping" }, cause: 1 };
    builder.event(send);
    builder.event({ i: 4, t: 9, type: "deliver", id: 1, from: "b", to: "a" });
    const model = builder.finish();
    expect(causesOf(model, 3)).toEqual([1]);
    expect(handlerStartOf(model, 3)).toBe(2);
    const chain = causeChain(model, [4]);
    expect([...chain.events].sort()).toEqual([0, 1, 3, 4]);
    expect([...chain.messages]).toEqual([0]);
  });
});

describe("search", () => {
  test("queries: #id, id:, session:, /path, a bare number; anything else says what to type", () => {
    expect(parseSearch("#42")).toEqual({ kind: "message", id: 42 });
    expect(parseSearch("id: 7")).toEqual({ kind: "message", id: 7 });
    expect(parseSearch("session:0x10")).toEqual({ kind: "session", id: 16 });
    expect(parseSearch("/locks/x")).toEqual({ kind: "path", text: "/locks/x" });
    expect(parseSearch("12")).toEqual({ kind: "number", value: 12 });
    expect(parseSearch("  ")).toEqual({ kind: "empty" });
    expect(parseSearch("leader?").kind).toBe("invalid");
  });

  test("finds messages by id, znode path and session", async () => {
    const model = modelOf((await traceOf("default")).lines);
    const byId = searchMessages(model, { kind: "message", id: 82 });
    expect(byId).toHaveLength(1);
    expect(model.messages.id[model.events.msg[byId[0] as number] as number]).toBe(82);
    const lock = searchMessages(model, parseSearch("/lock"));
    expect(lock.length).toBeGreaterThan(10);
    for (const ev of lock) expect(model.paths[model.messages.path[model.events.msg[ev] as number] as number]).toContain("/lock");
    const connected = model.messageTypes.indexOf("zk-connected");
    const first = model.messages.type.findIndex((type) => type === connected);
    const session = model.messages.session[first];
    if (session === undefined) throw new Error("no session in the default trace");
    const bySession = searchMessages(model, { kind: "session", id: session });
    expect(bySession.length).toBeGreaterThan(3);
    const types = new Set(bySession.map((ev) => model.messageTypes[model.messages.type[model.events.msg[ev] as number] as number]));
    expect(types.has("zk-request")).toBe(true);
    expect(bySession).toEqual([...bySession].sort((a, b) => a - b));
  });
});

describe("what changed between two inspections", () => {
  test("changed, added and removed values are named, with every branch above them", () => {
    const before = { role: "follower", log: [{ slot: 1 }, { slot: 2 }], tree: { "/a": { version: 1 } } };
    const after = { role: "leader", log: [{ slot: 1 }, { slot: 3 }, { slot: 4 }], tree: { "/a": { version: 1 }, "/b": { version: 0 } } };
    const changes = changesBetween(before, after);
    expect([...changes.changed].sort()).toEqual(["log[1].slot", "log[2]", "role", "tree./b"]);
    expect(changes.containsChange.has("log")).toBe(true);
    expect(changes.containsChange.has("log[1]")).toBe(true);
    expect(changes.containsChange.has("tree")).toBe(true);
    expect(changes.containsChange.has("tree./a")).toBe(false);
    expect(changesBetween(before, structuredClone(before)).changed.size).toBe(0);
  });
});
