import { describe, expect, test } from "vitest";
import { formatBallot } from "../../src/paxos/index.ts";
import { parseScenario } from "../../src/scenario/index.ts";
import type { TraceEvent } from "../../src/sim/index.ts";
import { chosenBy, chosenMarks, replicasOf } from "../../web/src/lenses/chosen.ts";
import { paxosFactsOf } from "../../web/src/lenses/paxos-facts.ts";
import { QuorumIndex, termIndexAt } from "../../web/src/lenses/quorums.ts";
import { flightsAt, ringLayout } from "../../web/src/lenses/ring.ts";
import { replicaOf, slotTable } from "../../web/src/lenses/slot-table.ts";
import { zkLens } from "../../web/src/lenses/zk-lens.ts";
import { defaultFilters, FilterView } from "../../web/src/model/filters.ts";
import { Coordinates } from "../../web/src/model/layout.ts";
import { MSG_DELIVERED, type TraceModel } from "../../web/src/model/trace-model.ts";
import { inspectNodes, type Inspection } from "../../web/src/resim/inspect-nodes.ts";
import { PausableRun } from "../../web/src/resim/pausable-run.ts";
import { eventsOf, inflightAt, lastDeliveryBefore, modelOf, scenarioSource, traceOf } from "./fixtures.ts";

/** The lenses' pure parts on real runs: quorums, the slot table, the ZooKeeper lens and the ring. */

async function inspectionAt(name: string, ev: number): Promise<Inspection> {
  const scenario = parseScenario(scenarioSource(name), `${name}.yaml`);
  const run = new PausableRun(scenario, scenario.seed, ev);
  await run.advanceTo(ev);
  return inspectNodes(run.simulation);
}

async function loaded(name: string) {
  const trace = await traceOf(name);
  const events = eventsOf(trace.lines);
  const model = modelOf(trace.lines);
  const facts = paxosFactsOf(events);
  const replicas = replicasOf(model);
  return { events, model, facts, replicas, marks: chosenMarks(facts, replicas), quorums: new QuorumIndex(model, facts, replicas) };
}

describe("quorums", () => {
  for (const name of ["default", "dueling-proposers", "leader-crash-mid-write"]) {
    test(`${name}: each leader's phase-1 majority is promises at its ballot that reached it before it led, from distinct servers; any two majorities meet`, async () => {
      const { model, quorums, events } = await loaded(name);
      expect(quorums.terms.length).toBeGreaterThan(0);
      for (const term of quorums.terms) {
        const q = quorums.quorumsOf(term);
        const from = q.phase1.map((v) => v.from);
        expect(new Set(from).size).toBe(from.length);
        expect(from.length).toBe(quorums.majority);
        for (const vote of q.phase1) {
          const send = events[vote.sendEv] as TraceEvent & { type: "send" };
          expect(send.type).toBe("send");
          expect((send.msg as { type: string; ballot: unknown }).type).toBe("promise");
          expect(formatBallot((send.msg as { ballot: { round: number; node: string } }).ballot)).toBe(formatBallot(term.ballot));
          expect(send.to).toBe(term.node);
          expect(vote.deliverEv).toBeLessThanOrEqual(term.startEv);
          expect((model.messages.flags[vote.m] as number) & MSG_DELIVERED).toBe(MSG_DELIVERED);
        }
        for (const slot of q.slots) {
          const senders = slot.quorum.map((v) => v.from);
          expect(new Set(senders).size).toBe(senders.length);
          if (slot.completeEv >= 0) expect(senders.length).toBe(quorums.majority);
        }
      }
      // Where a leader follows another, their majorities share a member (any two majorities of one set meet).
      let compared = 0;
      for (const term of quorums.terms) {
        const view = quorums.at(term.startEv);
        if (view?.previous === null || view === null) continue;
        expect(view.previous.withPhase1.length).toBeGreaterThan(0);
        if (view.previous.lastSlot !== null) expect(view.previous.withLastSlot.length).toBeGreaterThan(0);
        compared++;
      }
      if (name !== "dueling-proposers") expect(compared).toBeGreaterThan(0);
    });
  }

  test("default: a slot's majority reaches the leader after the omniscient chosen moment, never before", async () => {
    const { quorums, marks } = await loaded("default");
    const chosenAt = new Map(marks.map((m) => [m.slot, m.ev]));
    let checked = 0;
    for (const term of quorums.terms) {
      for (const slot of quorums.quorumsOf(term).slots) {
        if (slot.completeEv < 0) continue;
        const ev = chosenAt.get(slot.slot);
        expect(ev).toBeDefined();
        expect(slot.completeEv).toBeGreaterThan(ev as number);
        checked++;
      }
    }
    expect(checked).toBeGreaterThan(100);
  });

  test("the term at the cursor is the highest ballot leading there, else the last one before it", async () => {
    const { quorums } = await loaded("default");
    const terms = quorums.terms;
    expect(termIndexAt(terms, -1)).toBe(-1);
    const second = terms[1];
    expect(second).toBeDefined();
    if (second === undefined) return;
    expect(terms[termIndexAt(terms, second.startEv)]).toBe(second);
    const view = quorums.at(second.startEv + 1);
    expect(view?.current.term).toBe(second);
    expect(view?.previous?.quorums.term).toBe(terms[0]);
  });
});

describe("the slot table", () => {
  test("basic-paxos at the chosen event: the acceptors' entries, the majority marked; the acceptance marked changed where it happened", async () => {
    const { marks, events } = await loaded("basic-paxos");
    const mark = marks[0];
    expect(mark).toBeDefined();
    if (mark === undefined) return;
    const last = mark.acceptors.at(-1) as string;
    // The acceptor takes the value when the accept is delivered; its note (the chosen moment) follows its disk sync.
    const delivered = lastDeliveryBefore(events, mark.ev, last);
    expect(delivered).toBeGreaterThan(0);
    const before = await inspectionAt("basic-paxos", delivered - 1);
    const after = await inspectionAt("basic-paxos", delivered);
    const changes = slotTable(after, before, []);
    changes.acceptors.forEach((acceptor, k) => expect(changes.rows[0]?.cells[k]?.changed ?? false).toBe(acceptor.node === last));
    const at = await inspectionAt("basic-paxos", mark.ev);
    const table = slotTable(at, after, marks.slice(0, chosenBy(marks, mark.ev)));
    expect(table.acceptors.map((a) => a.node)).toEqual(["s1", "s2", "s3"]);
    const row = table.rows.find((r) => r.slot === mark.slot);
    expect(row?.chosen?.ev).toBe(mark.ev);
    table.acceptors.forEach((acceptor, k) => {
      const replica = replicaOf(at.nodes.find((n) => n.id === acceptor.node)?.state);
      const entry = replica?.acceptor.accepted.find((e) => e.slot === mark.slot);
      const cell = row?.cells[k] ?? null;
      expect(cell === null ? null : { ballot: cell.ballot, vid: cell.vid }).toEqual(entry === undefined ? null : { ballot: formatBallot(entry.ballot), vid: entry.vid });
      expect(cell?.chosen ?? false).toBe(mark.acceptors.includes(acceptor.node));
      expect(cell?.changed ?? false).toBe(false);
      expect(acceptor.commit).toBe(replica?.learner.chosenEnd);
      expect(acceptor.applied).toBe(replica?.learner.appliedEnd);
    });
    // Before the choice, no row names a chosen event.
    expect(slotTable(before, null, marks.slice(0, chosenBy(marks, mark.ev - 1))).rows.every((r) => r.chosen === null)).toBe(true);
  });
});

describe("the ZooKeeper lens", () => {
  test("default after the restarts at 6 s: s5, down since 2 s, lags behind the others' zxid while it catches up", async () => {
    const { events } = await loaded("default");
    const ev = events.findIndex((e) => e.t >= 6_300_000);
    const view = zkLens(await inspectionAt("default", ev));
    expect(view).not.toBeNull();
    if (view === null) return;
    const s5 = view.servers.find((s) => s.node === "s5");
    expect(s5?.lagging).toBe(true);
    expect(s5?.lastZxid).toBeLessThan(view.maxZxid);
    for (const server of view.servers) expect(server.lagging).toBe(server.known && server.lastZxid < view.maxZxid);
    expect(view.znodes.length).toBeGreaterThan(1);
    expect(view.sessions.length).toBeGreaterThan(0);
    expect(view.znodes.some((row) => row.differs)).toBe(true);
  });

  test("a bare Paxos run has no ZooKeeper lens", async () => {
    expect(zkLens(await inspectionAt("basic-paxos", 10))).toBeNull();
  });
});

describe("the ring", () => {
  function coordsOf(model: TraceModel): Coordinates {
    return new Coordinates(model, new FilterView(model, defaultFilters()), "time");
  }

  test("servers on the inner circle, clients outside it", async () => {
    const { model } = await loaded("default");
    const nodes = ringLayout(model, 400);
    const radius = (n: { x: number; y: number }) => Math.hypot(n.x - 200, n.y - 200);
    const servers = nodes.filter((n) => n.kind === "server");
    const clients = nodes.filter((n) => n.kind === "client");
    expect(servers).toHaveLength(5);
    expect(clients).toHaveLength(6);
    expect(Math.max(...servers.map(radius))).toBeLessThan(Math.min(...clients.map(radius)));
  });

  test("the messages in flight at a cursor are those sent by its instant and not yet delivered, heartbeats hidden", async () => {
    const { model, events } = await loaded("default");
    const coords = coordsOf(model);
    for (const cursor of [500, 5_000, 20_000]) {
      const expected = inflightAt(events, cursor, model.endUs);
      const flights = flightsAt(model, coords, cursor);
      expect(flights.length).toBe(expected);
      for (const f of flights) expect(f.along).toBeGreaterThanOrEqual(0);
      for (const f of flights) expect(f.along).toBeLessThan(1);
    }
  });
});
