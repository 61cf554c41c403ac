import { readFileSync } from "node:fs";
import { expect, test } from "vitest";
import { parseScenario, runScenario } from "../../src/scenario/index.ts";
import { MemorySink, parseTrace, type TraceEvent } from "../../src/sim/index.ts";

const load = (name: string) => parseScenario(readFileSync(new URL(`../../scenarios/${name}.yaml`, import.meta.url), "utf8"), name);

async function traceOf(name: string) {
  const sink = new MemorySink();
  const report = await runScenario(load(name), { traceSink: sink });
  const trace = parseTrace(sink.lines.join("\n"), `${name}.jsonl`);
  return { report, events: trace.events, byIndex: new Map(trace.events.map((e) => [e.i, e])) };
}

/** The node whose handling an event is: a delivery's receiver, or the node of a timer, a sync report or a start. */
function nodeOf(event: TraceEvent): string | null {
  if (event.type === "deliver") return event.to;
  if (event.type === "timer" || event.type === "sync" || event.type === "start") return event.node;
  return null;
}

test("every send names its cause: an earlier event handled by the sender; a leader's own votes are messages too (basic-paxos, default)", async () => {
  for (const name of ["basic-paxos", "default"]) {
    const { events, byIndex } = await traceOf(name);
    const sends = events.filter((e): e is Extract<TraceEvent, { type: "send" }> => e.type === "send");
    expect(sends.length).toBeGreaterThan(0);
    for (const send of sends) {
      const cause = byIndex.get(send.cause);
      expect(cause, `${name}: send ${send.id} names no event`).toBeDefined();
      expect(send.cause).toBeLessThan(send.i);
      expect(nodeOf(cause as TraceEvent), `${name}: send ${send.id} from ${send.from} caused by ${JSON.stringify(cause)}`).toBe(send.from);
    }
    // Messages to self: a send and its delivery, at the same instant.
    const own = sends.filter((s) => s.from === s.to);
    expect(own.length).toBeGreaterThan(0);
    const delivered = new Map(events.filter((e) => e.type === "deliver").map((e) => [(e as { id: number }).id, e]));
    for (const send of own) expect(delivered.get(send.id)?.t).toBe(send.t);
  }
});

test("every broken check is a violation event at the instant it was first broken, with the events that show it (lock-pause)", async () => {
  const { report, events, byIndex } = await traceOf("lock-pause");
  const broken = report.checks.filter((c) => !c.holds).map((c) => c.name).sort();
  expect(broken).toEqual(["fencing", "lock-exclusive"]);
  const violations = events.filter((e): e is Extract<TraceEvent, { type: "violation" }> => e.type === "violation");
  expect(violations.map((v) => v.check).sort()).toEqual(broken);
  const fencing = violations.find((v) => v.check === "fencing") as Extract<TraceEvent, { type: "violation" }>;
  // The stale write's note, at the instant the storage took it.
  const cause = byIndex.get(fencing.causes[0] as number);
  expect(cause).toMatchObject({ type: "note", kind: "storage-write", t: fencing.t, data: { accepted: true, from: "c1" } });
});
