import { describe, expect, test } from "vitest";
import { LiveRun } from "../../src/scenario/index.ts";
import { MemorySink, parseTrace, TRACE_VERSION, TraceReader } from "../../src/sim/index.ts";
import { EV, MSG_DROPPED, MSG_DUPLICATE } from "../../web/src/model/trace-model.ts";
import { modelOf, scenarioSource } from "./fixtures.ts";

/**
 * Trace version 3: a person's interventions (faults on one message in
 * flight, a client's request) and the drop reason "intervention", read by
 * the incremental reader and placed by the viewer's model.
 */

let made: ReturnType<typeof makeTrace> | undefined;
function intervenedTrace(): ReturnType<typeof makeTrace> {
  made ??= makeTrace();
  return made;
}

async function makeTrace(): Promise<{ lines: readonly string[]; ids: { drop: number; duplicate: number; delay: number; dropTo: string; duplicateFrom: string } }> {
  const sink = new MemorySink();
  const live = LiveRun.build(scenarioSource("leader-crash-mid-write"), "leader-crash-mid-write.yaml", { traceSink: sink });
  await live.runTo(1_000_000);
  const inFlight = () => live.simulation.messagesInFlight().filter((m) => m.arrivalUs > live.nowUs);
  while (inFlight().length < 3) await live.runEvents(1);
  const [drop, duplicate, delay] = inFlight();
  if (drop === undefined || duplicate === undefined || delay === undefined) throw new Error("expected three messages in flight");
  await live.intervene({ drop: drop.id });
  await live.intervene({ duplicate: duplicate.id });
  await live.intervene({ delay: { message: delay.id, by: "5ms" } });
  await live.intervene({ request: { client: "c2", op: "getData", path: "/", watch: true } });
  await live.finish();
  return { lines: sink.lines, ids: { drop: drop.id, duplicate: duplicate.id, delay: delay.id, dropTo: drop.to, duplicateFrom: duplicate.from } };
}

describe("a trace with interventions (version 3 on)", () => {
  test("the incremental reader reads it without a problem, with its digest", async () => {
    const { lines } = await intervenedTrace();
    const reader = new TraceReader();
    for (const line of lines) reader.line(line);
    const result = reader.end();
    expect(result.problems).toEqual([]);
    expect(result.header?.version).toBe(TRACE_VERSION);
    expect(result.digest).toBe(result.summary?.digest);
    expect(result.foreignTypes.size).toBe(0);
    expect(result.summary?.stats.dropped.intervention).toBe(1);
  });

  test("the model places each fault: on the message's receiver (the sender for a duplicate), and a request on its client", async () => {
    const { lines, ids } = await intervenedTrace();
    const model = modelOf(lines);
    expect(model.faultTypes).toEqual(expect.arrayContaining(["drop", "duplicate", "delay", "request"]));
    const laneOf = (id: string) => model.lanes.findIndex((l) => l.id === id);
    const faultsOf = (type: string) => {
      const code = model.faultTypes.indexOf(type);
      const found: number[] = [];
      for (let ev = 0; ev < model.eventCount; ev++) if (model.events.kind[ev] === EV.fault && model.events.code[ev] === code) found.push(ev);
      return found;
    };
    expect(faultsOf("drop").map((ev) => model.events.lane[ev])).toEqual([laneOf(ids.dropTo)]);
    expect(faultsOf("duplicate").map((ev) => model.events.lane[ev])).toEqual([laneOf(ids.duplicateFrom)]);
    expect(faultsOf("request").map((ev) => model.events.lane[ev])).toEqual([laneOf("c2")]);
    const rowOf = (id: number) => Array.from(model.messages.id.subarray(0, model.messages.count)).indexOf(id);
    expect((model.messages.flags[rowOf(ids.drop)] as number) & MSG_DROPPED).not.toBe(0);
    const copy = Array.from(model.messages.dupOf.subarray(0, model.messages.count)).indexOf(rowOf(ids.duplicate));
    expect(copy).toBeGreaterThan(rowOf(ids.duplicate));
    expect((model.messages.flags[copy] as number) & MSG_DUPLICATE).not.toBe(0);
    // The console request is one of c2's operations, from its invoke note to its completion.
    const c2 = laneOf("c2");
    const requestEv = faultsOf("request")[0] as number;
    let span = -1;
    for (let s = 0; s < model.spans.count; s++) if (model.spans.lane[s] === c2 && (model.spans.startEv[s] as number) > requestEv && span < 0) span = s;
    expect(span).toBeGreaterThanOrEqual(0);
    expect(model.spans.startEv[span]).toBe(requestEv + 1);
  });

  test("version 2 traces are still read, and a version this reader does not know is refused, saying which it reads", () => {
    const summary = '{"type":"summary","events":0,"endUs":0,"digest":"0000000000000000","stats":{"processed":0,"sent":0,"delivered":0,"duplicated":0,"dropped":{"loss":0,"partition":0,"crashed":0,"paused-queue-full":0},"timers":0,"syncs":0,"faults":0,"violations":0}}';
    const header = (version: number) => `{"type":"header","format":"zksim-trace","version":${version},"seed":1,"level":"full","config":{}}`;
    const v2 = parseTrace(`${header(2)}\n${summary}\n`, "old.jsonl");
    expect(v2.header.version).toBe(2);
    expect(v2.summary?.stats.dropped.intervention).toBe(0);
    expect(() => parseTrace(`${header(TRACE_VERSION + 1)}\n${summary}\n`, "new.jsonl")).toThrow(/line 1 version: expected a trace version this zksim reads: 2 or 3 or 4/);
  });
});
