import { describe, expect, test } from "vitest";
import { PaxosChecker } from "../../src/paxos/index.ts";
import type { TraceEvent } from "../../src/sim/index.ts";
import { chosenBy, chosenMarks, replicasOf } from "../../web/src/lenses/chosen.ts";
import { paxosFactsOf } from "../../web/src/lenses/paxos-facts.ts";
import { eventsOf, modelOf, traceOf } from "./fixtures.ts";

/**
 * The omniscient "chosen" marker: computed from the trace's own accept
 * notes, it must name the very events at which the Paxos checker (the one
 * that judges every run) first saw each slot chosen.
 */

const ballot = (round: number, node: string) => ({ round, node });
let i = 0;
function accept(node: string, slot: number, round: number, leader: string, vid: string): TraceEvent {
  return { i: i++, t: i, type: "note", node, kind: "accept", data: { slot, ballot: ballot(round, leader), vid } };
}

describe("chosen marks from accept notes", () => {
  test("a slot is chosen at the accept that makes a majority at one ballot, each acceptor counted once", () => {
    i = 0;
    const events = [
      accept("s1", 0, 1, "s1", "a"),
      accept("s1", 0, 1, "s1", "a"), // the same acceptor again: still one
      accept("s2", 0, 2, "s2", "b"), // another ballot: its own count
      accept("s3", 0, 1, "s1", "a"), // the second of three at 1.s1: chosen here
      accept("s2", 0, 1, "s1", "a"), // after the choice: nothing new
    ];
    const marks = chosenMarks(paxosFactsOf(events), ["s1", "s2", "s3"]);
    expect(marks).toEqual([{ slot: 0, ev: 3, ballot: ballot(1, "s1"), vid: "a", acceptors: ["s1", "s3"], acceptEvents: [0, 3] }]);
    expect(chosenBy(marks, 2)).toBe(0);
    expect(chosenBy(marks, 3)).toBe(1);
  });

  test("the majority is of all replicas: acceptances by other nodes and a minority never choose", () => {
    i = 0;
    const events = [accept("s1", 4, 1, "s1", "a"), accept("c1", 4, 1, "s1", "a"), accept("s2", 4, 1, "s1", "a")];
    expect(chosenMarks(paxosFactsOf(events), ["s1", "s2", "s3", "s4", "s5"])).toEqual([]);
    expect(chosenMarks(paxosFactsOf(events), ["s1", "s2", "s3"]).map((m) => m.ev)).toEqual([2]);
  });

  test("an accept note that does not match its schema is counted as malformed, not read", () => {
    i = 0;
    const bad: TraceEvent = { i: 0, t: 0, type: "note", node: "s1", kind: "accept", data: { slot: "zero" } };
    const facts = paxosFactsOf([bad]);
    expect(facts.malformed).toBe(1);
    expect(facts.accepts.count).toBe(0);
  });
});

describe("chosen marks agree with the Paxos checker", () => {
  for (const name of ["basic-paxos", "dueling-proposers", "default", "acceptor-restart-unsynced", "bug-minority-quorum"]) {
    test(`${name}: every slot's chosen event, ballot and value are the checker's`, async () => {
      const trace = await traceOf(name);
      const events = eventsOf(trace.lines);
      const model = modelOf(trace.lines);
      const replicas = replicasOf(model);
      const servers = (model.header.config as { nodes: string[] }).nodes.filter((n) => /^s\d+$/.test(n));
      expect(replicas).toEqual(servers);
      const checker = new PaxosChecker(servers);
      for (const event of events) checker.observe(event);
      const fromChecker = checker.chosenSlots.map((c) => ({ slot: c.slot, ev: c.ev, ballot: c.ballot, vid: c.vid, acceptEvents: c.acceptEvents }));
      const marks = chosenMarks(paxosFactsOf(events), replicas).map((m) => ({ slot: m.slot, ev: m.ev, ballot: m.ballot, vid: m.vid, acceptEvents: m.acceptEvents }));
      expect(fromChecker.length).toBeGreaterThan(0);
      expect(marks).toEqual(fromChecker);
      // The checker's events are accept notes, and the mark comes before any node applies the slot.
      for (const mark of marks) {
        const event = events[mark.ev] as TraceEvent;
        expect(event.type === "note" && event.kind === "accept").toBe(true);
        const firstApply = events.findIndex((e) => e.type === "note" && e.kind === "apply" && (e.data as { slot: number }).slot === mark.slot);
        if (name !== "bug-minority-quorum" && name !== "acceptor-restart-unsynced" && firstApply >= 0) expect(firstApply).toBeGreaterThan(mark.ev);
      }
    });
  }
});
