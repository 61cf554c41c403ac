import { describe, expect, test } from "vitest";
import { EV, MSG_DELIVERED, MSG_DROPPED, OUTCOME, type TraceModel } from "../../web/src/model/trace-model.ts";
import { modelOf, traceOf } from "./fixtures.ts";

const HEADER = '{"type":"header","format":"zksim-trace","version":2,"seed":1,"level":"full","config":{"nodes":["s1","c1"]}}';

function typeOf(model: TraceModel, m: number): string {
  return model.messageTypes[model.messages.type[m] as number] as string;
}

describe("the trace model", () => {
  test("the default scenario: a lane per node, every message from its send to its delivery or drop", async () => {
    const { lines } = await traceOf("default");
    const model = modelOf(lines);
    const header = JSON.parse(lines[0] as string) as { config: { nodes: string[] } };
    expect(model.lanes.map((l) => l.id)).toEqual(header.config.nodes);
    expect(model.lanes.filter((l) => l.kind === "server").map((l) => l.id)).toEqual(["s1", "s2", "s3", "s4", "s5"]);
    expect(model.lanes.filter((l) => l.kind === "client")).toHaveLength(6);

    const events = lines.slice(1, -1).map((l) => JSON.parse(l) as { type: string; id?: number });
    expect(model.eventCount).toBe(events.length);
    expect(model.messages.count).toBe(events.filter((e) => e.type === "send" || e.type === "duplicate").length);
    const ends = new Map<number, string>();
    for (const e of events) if ((e.type === "deliver" || e.type === "drop") && e.id !== undefined) ends.set(e.id, e.type);
    const { messages, events: ev } = model;
    for (let m = 0; m < messages.count; m++) {
      const send = messages.sendEv[m] as number;
      expect(ev.kind[send] === EV.send || ev.kind[send] === EV.duplicate).toBe(true);
      expect(ev.msg[send]).toBe(m);
      const end = messages.endEv[m] as number;
      const expected = ends.get(messages.id[m] as number);
      if (expected === undefined) {
        expect(end).toBe(-1);
        continue;
      }
      expect(ev.kind[end]).toBe(expected === "deliver" ? EV.deliver : EV.drop);
      expect(ev.t[end]).toBeGreaterThanOrEqual(ev.t[send] as number);
      expect((messages.flags[m] as number) & (expected === "deliver" ? MSG_DELIVERED : MSG_DROPPED)).not.toBe(0);
    }
  });

  test("client operations are the clients' zk-invoke and zk-complete notes, each outcome as the client saw it", async () => {
    const { lines } = await traceOf("default");
    const model = modelOf(lines);
    expect(model.spanSource).toBe("invoke-complete");
    // Counted straight from the lines: one operation per zk-invoke, its outcome from the zk-complete of the same client and xid.
    const open = new Map<string, number>();
    const outcomes: string[] = [];
    for (const line of lines.slice(1, -1)) {
      const e = JSON.parse(line) as { type: string; i: number; node?: string; kind?: string; data?: { xid: number; outcome?: string } };
      if (e.type !== "note" || (e.kind !== "zk-invoke" && e.kind !== "zk-complete") || e.data === undefined) continue;
      const key = `${e.node}:${e.data.xid}`;
      if (e.kind === "zk-invoke") {
        open.set(key, outcomes.length);
        outcomes.push("pending");
      } else {
        const at = open.get(key);
        expect(at, `a completion at event ${e.i} with no invocation`).toBeDefined();
        outcomes[at as number] = e.data.outcome as string;
        open.delete(key);
      }
    }
    expect(model.spans.count).toBe(outcomes.length);
    expect(outcomes.length).toBeGreaterThan(500);
    const word = { [OUTCOME.ok]: "ok", [OUTCOME.failed]: "fail", [OUTCOME.unknown]: "unknown", [OUTCOME.pending]: "pending" } as Record<number, string>;
    const spans = [...Array(model.spans.count).keys()].sort((a, b) => (model.spans.startEv[a] as number) - (model.spans.startEv[b] as number));
    // A client that crashed leaves its open operations unknown in the diagram (nothing will answer them).
    const seen = spans.map((s) => word[model.spans.outcome[s] as number]);
    const expected = outcomes.map((o, k) => (o === "pending" && seen[k] === "unknown" ? "unknown" : o));
    expect(seen).toEqual(expected);
  });

  test("without invoke notes (an older or foreign trace), each request is paired with the reply delivered to its client", async () => {
    const { lines: all } = await traceOf("default");
    // The notes renamed, so that the events keep their numbers.
    const lines = all.map((line) => line.replace('"kind":"zk-invoke"', '"kind":"x-invoke"').replace('"kind":"zk-complete"', '"kind":"x-complete"'));
    const model = modelOf(lines);
    const { spans, events, messages } = model;
    // Counted straight from the lines: the first reply delivered for each (client, xid), ok or not.
    const sent = new Map<number, { xid?: number; type: string; reply?: { ok: boolean; err?: string } }>();
    const answered = new Map<string, boolean>();
    for (const line of lines.slice(1, -1)) {
      const e = JSON.parse(line) as { type: string; id: number; to: string; msg?: { type: string; xid?: number; reply?: { ok: boolean; err?: string } } };
      if (e.type === "send" && e.msg !== undefined) sent.set(e.id, e.msg);
      const msg = sent.get(e.id);
      if (e.type !== "deliver" || msg?.type !== "zk-reply") continue;
      const key = `${e.to}:${msg.xid}`;
      if (!answered.has(key) && msg.reply !== undefined && (msg.reply.ok || (msg.reply.err !== "ConnectionLoss" && msg.reply.err !== "SessionExpired"))) answered.set(key, msg.reply.ok);
    }
    expect(model.spanSource).toBe("request-reply");
    expect(spans.count).toBeGreaterThan(500);
    let ok = 0;
    let failed = 0;
    for (let s = 0; s < spans.count; s++) {
      const start = spans.startEv[s] as number;
      const m = events.msg[start] as number;
      expect(["zk-request", "zk-close"]).toContain(typeOf(model, m));
      expect(messages.from[m]).toBe(spans.lane[s]);
      const end = spans.endEv[s] as number;
      if (end < 0) continue;
      if (events.kind[end] === EV.deliver) {
        const reply = events.msg[end] as number;
        expect(typeOf(model, reply)).toBe("zk-reply");
        expect(messages.to[reply]).toBe(spans.lane[s]);
        expect(messages.xid[reply]).toBe(spans.xid[s]);
      }
      if (spans.outcome[s] === OUTCOME.ok) ok++;
      if (spans.outcome[s] === OUTCOME.failed) failed++;
    }
    expect(ok).toBe([...answered.values()].filter((v) => v).length);
    expect(failed).toBe([...answered.values()].filter((v) => !v).length);
  });

  test("crashes, restarts, the partition and leader terms become intervals", async () => {
    const { lines } = await traceOf("default");
    const model = modelOf(lines);
    const lane = (id: string) => model.lanes.findIndex((l) => l.id === id);
    const crashed = model.laneIntervals.filter((i) => i.kind === "crashed");
    // At 2 s the leader (s5) crashes; at 6 s every server restarts (the four running ones crash first).
    expect(crashed.length).toBe(5);
    for (const interval of crashed) {
      expect(model.events.kind[interval.startEv]).toBe(EV.fault);
      if (interval.endEv >= 0) {
        expect(model.events.kind[interval.endEv]).toBe(EV.start);
        expect(model.events.lane[interval.endEv]).toBe(interval.lane);
      }
    }
    const leaders = model.laneIntervals.filter((i) => i.kind === "leader");
    expect(leaders.length).toBeGreaterThanOrEqual(2);
    for (const interval of leaders) {
      expect(model.events.kind[interval.startEv]).toBe(EV.note);
      expect(interval.label).toMatch(/^\d+\.s\d$/);
    }
    expect(model.network).toHaveLength(1);
    const partition = model.network[0];
    if (partition === undefined) throw new Error("no partition");
    expect(model.events.t[partition.startEv]).toBe(4_000_000);
    expect(model.events.t[partition.endEv]).toBe(6_000_000);
    const group = (id: string) => partition.groupOf[lane(id)];
    expect(group("s1")).toBe(group("s2"));
    expect(group("s3")).toBe(group("s4"));
    expect(group("s3")).toBe(group("s5"));
    expect(group("s1")).not.toBe(group("s3"));
  });

  test("invoke and complete events, when a trace has them, make the operations (and requests are no longer paired)", () => {
    const lines = [
      HEADER,
      '{"i":0,"t":0,"type":"start","node":"c1","incarnation":1}',
      '{"i":1,"t":5,"type":"invoke","node":"c1","op":{"id":7,"f":"write"}}',
      '{"i":2,"t":6,"type":"send","id":1,"from":"c1","to":"s1","msg":{"type":"zk-request","connection":1,"seq":1,"xid":1,"op":{"op":"setData","path":"/a"},"prevWriteXid":-1},"cause":-1}',
      '{"i":3,"t":9,"type":"complete","node":"c1","op":{"id":7},"outcome":"fail"}',
      '{"i":4,"t":10,"type":"invoke","node":"c1","op":{"id":8},"f":"read"}',
    ];
    const model = modelOf(lines);
    expect(model.spanSource).toBe("invoke-complete");
    expect(model.spans.count).toBe(2);
    expect(model.spans.outcome[0]).toBe(OUTCOME.failed);
    expect(model.spans.endEv[0]).toBe(3);
    expect(model.spans.outcome[1]).toBe(OUTCOME.pending);
    expect(model.opNames[model.spans.op[1] as number]).toBe("read");
    expect(model.events.kind[1]).toBe(EV.invoke);
    expect(model.messages.path[0]).toBe(model.paths.indexOf("/a"));
  });

  test("a check judged after the run is anchored where it was first broken: at its latest cause, or the last event by its instant", async () => {
    const { lines } = await traceOf("lock-pause");
    const model = modelOf(lines);
    const fencing = model.violations.find((v) => v.check === "fencing");
    expect(fencing, "lock-pause breaks fencing").toBeDefined();
    const v = fencing as NonNullable<typeof fencing>;
    expect(v.ev).toBe(model.eventCount - model.violations.length + model.violations.indexOf(v));
    expect(v.atUs).toBeLessThan(model.events.t[v.ev] as number);
    expect(v.causes.length).toBeGreaterThan(0);
    expect(v.anchorEv).toBe(Math.max(...v.causes));
    expect(model.events.t[v.anchorEv]).toBeLessThanOrEqual(v.atUs);
    // Times in the model never go back, so the diagram's time axis stays ordered.
    for (let i = 1; i < model.eventCount; i++) expect(model.events.t[i] as number).toBeGreaterThanOrEqual(model.events.t[i - 1] as number);
    // With no causes, the last event at or before its instant.
    const header = lines[0] as string;
    const bare = modelOf([
      header,
      '{"i":0,"t":5,"type":"timer","node":"s1","timer":1,"tag":null}',
      '{"i":1,"t":9,"type":"timer","node":"s1","timer":2,"tag":null}',
      '{"i":2,"t":20,"type":"timer","node":"s1","timer":3,"tag":null}',
      '{"i":3,"t":12,"type":"violation","check":"x","message":"m","data":null,"causes":[]}',
    ]);
    expect(bare.violations[0]?.anchorEv).toBe(1);
  });

  test("an event type nobody knows becomes a mark on its node, and the rest of the trace still reads", () => {
    const model = modelOf([HEADER, '{"i":0,"t":3,"type":"hologram","node":"s1","what":"?"}', '{"i":1,"t":4,"type":"timer","node":"s1","timer":1,"tag":null}']);
    expect(model.eventCount).toBe(2);
    expect(model.events.kind[0]).toBe(EV.foreign);
    expect(model.events.lane[0]).toBe(0);
    expect(model.foreignTypes).toEqual(["hologram"]);
  });

  test("a drop at a partition and a duplicate are flagged on their messages", async () => {
    const { lines } = await traceOf("lossy-network");
    const model = modelOf(lines);
    const { flags, dupOf } = model.messages;
    let dropped = 0;
    let duplicates = 0;
    for (let m = 0; m < model.messages.count; m++) {
      if (((flags[m] as number) & MSG_DROPPED) !== 0) dropped++;
      if ((dupOf[m] as number) >= 0) {
        duplicates++;
        expect(model.messages.type[m]).toBe(model.messages.type[dupOf[m] as number]);
      }
    }
    const stats = (JSON.parse(lines[lines.length - 1] as string) as { stats: { duplicated: number; dropped: Record<string, number> } }).stats;
    expect(duplicates).toBe(stats.duplicated);
    expect(dropped).toBe(Object.values(stats.dropped).reduce((a, b) => a + b, 0));
  });
});
