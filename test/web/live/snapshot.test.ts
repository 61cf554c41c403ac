import { describe, expect, test } from "vitest";
import { TraceReader } from "../../../src/sim/index.ts";
import { TraceModelBuilder } from "../../../web/src/model/trace-model.ts";
import { chosenMarks, replicasOf } from "../../../web/src/lenses/chosen.ts";
import { PaxosFactsBuilder, paxosFactsOf } from "../../../web/src/lenses/paxos-facts.ts";
import type { TraceEvent } from "../../../src/sim/index.ts";
import { modelOf, traceOf } from "../fixtures.ts";

describe("snapshots of a model that goes on growing (the live view)", () => {
  test("a snapshot leaves the builder as it was: the model at the end is the one built in one go", async () => {
    const { lines } = await traceOf("default");
    const builder = new TraceModelBuilder();
    const reader = new TraceReader({
      header: (header) => builder.header(header),
      event: (event) => builder.event(event),
      foreignEvent: (event) => builder.foreign(event),
      summary: (summary) => builder.summary(summary),
    });
    // Stop in the partition (4 s to 6 s), while s1 is crashed and a term is open.
    const middle = lines.findIndex((line) => line.includes('"t":5000000,'));
    expect(middle).toBeGreaterThan(0);
    for (const line of lines.slice(0, middle)) reader.line(line);
    const snapshot = builder.finish();
    expect(snapshot.eventCount).toBe(middle - 1);
    expect(snapshot.network.at(-1)?.endEv).toBe(-1);
    expect(snapshot.laneIntervals.some((interval) => interval.kind === "crashed" && interval.endEv === -1)).toBe(true);
    builder.finish();
    for (const line of lines.slice(middle)) reader.line(line);
    const whole = modelOf(lines);
    const end = builder.finish();
    expect(end.eventCount).toBe(whole.eventCount);
    expect(end.laneIntervals).toEqual(whole.laneIntervals);
    expect(end.network).toEqual(whole.network);
    expect(Array.from(end.messages.endEv)).toEqual(Array.from(whole.messages.endEv));
  });

  test("the Paxos facts a live run sends with each snapshot: a snapshot leaves them as they were, and at the end they are those of the whole trace", async () => {
    const { lines } = await traceOf("default");
    const events = lines.slice(1, -1).map((line) => JSON.parse(line) as TraceEvent);
    const builder = new PaxosFactsBuilder();
    const middle = events.findIndex((event) => event.t >= 5_000_000);
    for (const event of events.slice(0, middle)) builder.event(event);
    const snapshot = builder.finish();
    const replicas = replicasOf(modelOf(lines));
    const whole = paxosFactsOf(events);
    const marksWhole = chosenMarks(whole, replicas);
    // The snapshot's marks are the whole run's marks up to there.
    expect(chosenMarks(snapshot, replicas)).toEqual(marksWhole.filter((mark) => mark.ev < middle));
    expect(chosenMarks(snapshot, replicas).length).toBeGreaterThan(10);
    for (const event of events.slice(middle)) builder.event(event);
    const end = builder.finish();
    expect(end.accepts.count).toBe(whole.accepts.count);
    expect(chosenMarks(end, replicas)).toEqual(marksWhole);
  });
});
