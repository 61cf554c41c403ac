import { describe, expect, test } from "vitest";
import {
  compareBallots,
  LogServer,
  PaxosChecker,
  paxosConfigSchema,
  runPaxosCluster,
  serverIds,
  type AcceptedEntry,
  type Ballot,
  type LogCmd,
  type LogServerMsg,
} from "../../src/paxos/index.ts";
import { Acceptor } from "../../src/paxos/acceptor.ts";
import { Learner } from "../../src/paxos/learner.ts";
import { MemorySink, parseTrace, Simulation, unreachable, type Context, type Node, type NodeId, type Storage, type TraceEvent } from "../../src/sim/index.ts";

/** Storage without a simulation, for the roles' own rules (sync is a no-op here). */
function memoryStorage(): Storage & { map: Map<string, unknown> } {
  const map = new Map<string, unknown>();
  return {
    map,
    read: (k) => map.get(k),
    write: (k, v) => void map.set(k, v),
    delete: (k) => void map.delete(k),
    keys: () => [...map.keys()].sort(),
    sync: () => 1,
    unsyncedCount: 0,
  };
}

const b = (round: number, node: string): Ballot => ({ round, node });
const value = (id: string) => ({ id, cmd: id });

describe("ballots and the acceptor", () => {
  test("ballots order by round, then node id", () => {
    expect(compareBallots(b(2, "a"), b(1, "z"))).toBeGreaterThan(0);
    expect(compareBallots(b(1, "a"), b(1, "b"))).toBeLessThan(0);
    expect(compareBallots(b(3, "s1"), b(3, "s1"))).toBe(0);
  });

  test("an acceptor promises only ballots at least its promise, reports accepted values, and refuses lower accepts", () => {
    const storage = memoryStorage();
    const acceptor = new Acceptor<string>(storage, false, false);
    expect(acceptor.prepare(b(2, "a"), 0)).toEqual([]);
    expect(acceptor.prepare(b(1, "z"), 0)).toBeNull();
    expect(acceptor.accept(b(1, "z"), 0, value("low"))).toBe(false);
    expect(acceptor.accept(b(3, "a"), 0, value("v"))).toBe(true);
    expect(acceptor.promised).toEqual(b(3, "a"));
    expect(acceptor.prepare(b(4, "b"), 0)).toEqual([{ slot: 0, ballot: b(3, "a"), value: value("v") }]);
    const recovered = new Acceptor<string>(storage, false, false);
    recovered.recover();
    expect(recovered.promised).toEqual(b(4, "b"));
    expect(recovered.acceptedIn(0)).toEqual({ ballot: b(3, "a"), value: value("v") });
  });

  test("with forget-promise the promise never reaches the disk; with accept-lower-ballot a low accept passes", () => {
    const storage = memoryStorage();
    const forgetful = new Acceptor<string>(storage, true, false);
    forgetful.prepare(b(5, "a"), 0);
    const recovered = new Acceptor<string>(storage, true, false);
    recovered.recover();
    expect(recovered.promised.round).toBe(0);
    const sloppy = new Acceptor<string>(memoryStorage(), false, true);
    sloppy.prepare(b(5, "a"), 0);
    expect(sloppy.accept(b(1, "a"), 0, value("x"))).toBe(true);
  });
});

describe("the learner", () => {
  test("applies strictly in slot order, exactly once, holding later slots until the hole fills", () => {
    const applied: string[] = [];
    const learner = new Learner<string>(
      memoryStorage(),
      { apply: (slot, v) => applied.push(`${slot}:${v.id}`), snapshot: () => applied.length, restore: () => {} },
      () => {},
      () => {},
    );
    learner.choose(1, value("b"));
    learner.choose(2, value("c"));
    expect(applied).toEqual([]);
    learner.choose(0, value("a"));
    learner.choose(1, value("b"));
    expect(applied).toEqual(["0:a", "1:b", "2:c"]);
    expect(learner.appliedEnd).toBe(3);
  });

  test("a second value for a chosen slot is reported, and a snapshot restores the machine after a restart", () => {
    const storage = memoryStorage();
    const conflicts: number[] = [];
    let state = 0;
    const machine = { apply: () => void state++, snapshot: () => state, restore: (_slot: number, s: unknown) => void (state = s as number) };
    const learner = new Learner<string>(storage, machine, () => {}, (slot) => conflicts.push(slot));
    learner.choose(0, value("a"));
    learner.choose(0, value("other"));
    expect(conflicts).toEqual([0]);
    learner.choose(1, value("b"));
    expect(learner.compact().slot).toBe(2);
    learner.choose(2, value("c"));
    state = -1;
    const restarted = new Learner<string>(storage, machine, () => {}, () => {});
    restarted.recover();
    expect(state).toBe(3);
    expect(restarted.appliedEnd).toBe(3);
  });
});

describe("the checker", () => {
  const note = (i: number, node: string, kind: string, data: unknown): TraceEvent => ({ i, t: i, type: "note", node, kind, data });

  test("finds two values chosen in a slot, a promise going down, an accept below the promise, and a gap in applies", () => {
    const checker = new PaxosChecker(["a", "b", "c"]);
    const events = [
      note(0, "a", "accept", { slot: 0, ballot: b(1, "a"), vid: "x" }),
      note(1, "b", "accept", { slot: 0, ballot: b(1, "a"), vid: "x" }),
      note(2, "b", "accept", { slot: 0, ballot: b(2, "c"), vid: "y" }),
      note(3, "c", "accept", { slot: 0, ballot: b(2, "c"), vid: "y" }),
      note(4, "a", "promise", { ballot: b(5, "a") }),
      note(5, "a", "promise", { ballot: b(4, "a") }),
      note(6, "a", "accept", { slot: 1, ballot: b(3, "c"), vid: "z" }),
      note(7, "c", "apply", { slot: 0, vid: "y" }),
      note(8, "c", "apply", { slot: 2, vid: "w" }),
    ];
    const checks = events.flatMap((e) => checker.observe(e)).map((v) => v.check);
    expect(checks).toContain("paxos.stability");
    expect(checks).toContain("paxos.agreement");
    expect(checks).toContain("paxos.promise");
    expect(checks).toContain("paxos.prefix");
  });

  test("a valid run of notes raises nothing", () => {
    const checker = new PaxosChecker(["a", "b", "c"]);
    const events = [
      note(0, "a", "promise", { ballot: b(1, "a") }),
      note(1, "b", "promise", { ballot: b(1, "a") }),
      note(2, "a", "accept", { slot: 0, ballot: b(1, "a"), vid: "x" }),
      note(3, "b", "accept", { slot: 0, ballot: b(1, "a"), vid: "x" }),
      note(4, "a", "apply", { slot: 0, vid: "x" }),
      note(5, "c", "apply", { slot: 0, vid: "x" }),
    ];
    expect(events.flatMap((e) => checker.observe(e))).toEqual([]);
  });
});

describe("replicas in a cluster", () => {
  test.each([1, 3, 5])("%i replicas elect one leader, commit, and apply the same log (seed 1)", (n) => {
    const result = runPaxosCluster({ engine: { seed: 1 }, serverCount: n, paxos: {}, durationUs: 3_000_000, proposeEveryUs: 20_000, liveness: { calmUs: 0, boundUs: 2_000_000 } });
    expect(result.violations).toEqual([]);
    expect(result.leaderChanges).toBe(1);
    expect(result.chosenCount).toBeGreaterThan(50);
    expect(result.liveness?.held).toBe(true);
  });

  test("an acceptor replies to prepare and accept only after its sync completes (seed 2)", () => {
    const sink = new MemorySink();
    const peers = serverIds(3);
    const paxos = paxosConfigSchema.parse({});
    const sim = new Simulation<LogServerMsg>({
      config: { seed: 2, nodes: peers, disk: { syncLatencyUs: 5_000 }, network: { latency: { kind: "constant", us: 1_000 } } },
      createNode: () => new LogServer({ paxos, peers, proposeEveryUs: 50_000, proposals: [] }),
      trace: { level: "full", sink },
    });
    sim.run({ untilUs: 1_000_000 });
    const events = parseTrace(sink.text(), "t").events;
    let checked = 0;
    for (const e of events) {
      if (e.type === "send" && e.from !== e.to) {
        const msg = e.msg as { type: string };
        if (msg.type === "promise" || msg.type === "accepted") {
          const request = events.find(
            (x) => x.type === "deliver" && x.to === e.from && x.from === e.to && x.t <= e.t && x.t > e.t - 6_000,
          );
          if (request !== undefined) {
            expect(e.t - request.t).toBeGreaterThanOrEqual(5_000);
            checked++;
          }
        }
      }
    }
    expect(checked).toBeGreaterThan(10);
  });

  test("an isolated leader steps down, the majority elects another, and after healing all agree (seed 3)", () => {
    const result = runPaxosCluster({
      engine: { seed: 3, faults: [{ atUs: 1_000_000, fault: { type: "isolate", node: "s1" } }, { atUs: 3_000_000, fault: { type: "heal" } }] },
      serverCount: 5,
      paxos: {},
      durationUs: 6_000_000,
      proposeEveryUs: 20_000,
      liveness: { calmUs: 3_000_000, boundUs: 2_500_000 },
      trace: { level: "observe" },
    });
    expect(result.violations).toEqual([]);
    expect(result.leaderChanges).toBeGreaterThanOrEqual(2);
    expect(result.liveness?.held).toBe(true);
    const ends = Object.values(result.appliedEnd);
    expect(Math.max(...(ends as number[])) - Math.min(...(ends as number[]))).toBeLessThan(5);
  });

  test("single-decree mode with three dueling proposers decides one value everywhere, the same for the same seed", () => {
    const decide = (seed: number) =>
      runPaxosCluster({
        engine: { seed },
        serverCount: 3,
        paxos: { mode: "single" },
        durationUs: 3_000_000,
        proposals: serverIds(3).map((node) => ({ node, atUs: 10_000, value: `from-${node}` })),
        trace: { level: "summary" },
      });
    const first = decide(7);
    expect(first.violations).toEqual([]);
    expect(first.chosenCount).toBe(1);
    expect(Object.values(first.appliedEnd)).toEqual([1, 1, 1]);
    expect(decide(7).summary.digest).toBe(first.summary.digest);
  });
});

/** An acceptor played from a script: it promises every prepare, reporting `accepted`, and accepts every accept. It sets no timers. */
class ScriptedAcceptor implements Node<LogServerMsg, never> {
  constructor(private readonly accepted: readonly AcceptedEntry<LogCmd>[]) {}
  start(): void {}
  receive(ctx: Context<LogServerMsg, never>, from: NodeId, msg: LogServerMsg): void {
    switch (msg.type) {
      case "prepare":
        return ctx.send(from, { type: "promise", ballot: msg.ballot, fromSlot: msg.fromSlot, accepted: this.accepted, snapshotSlot: 0 });
      case "accept":
        return ctx.send(from, { type: "accepted", ballot: msg.ballot, slot: msg.slot });
      default:
        return; // the script answers nothing else (heartbeats, fetches...)
    }
  }
  timer(_ctx: Context<LogServerMsg, never>, tag: never): void {
    unreachable(tag, "scripted acceptor timer");
  }
}

describe("a new leader's recovery", () => {
  test("re-proposes more open slots than its pipeline window a window at a time, in slot order, then its barrier no-op (seed 4)", () => {
    const window = 4;
    // Ten slots accepted at an earlier ballot and never chosen: the new leader must re-propose them all.
    const recovered = Array.from({ length: 10 }, (_, slot) => ({ slot, ballot: b(0, "s2"), value: value(`old-${slot}`) }));
    const peers = serverIds(3);
    const paxos = paxosConfigSchema.parse({ pipelineWindow: window });
    const sim = new Simulation<LogServerMsg>({
      config: { seed: 4, nodes: peers, network: { latency: { kind: "constant", us: 1_000 } } },
      createNode: (id) => (id === "s1" ? new LogServer({ paxos, peers, proposeEveryUs: 0, proposals: [] }) : new ScriptedAcceptor(recovered)),
      trace: { level: "observe" },
    });
    // Slots the leader has sent accepts for and not yet applied: what it has in phase 2 (every slot is chosen in order here).
    const open = new Set<number>();
    let openMax = 0;
    const applied: string[] = [];
    sim.subscribe((e) => {
      if (e.type === "send" && e.from === "s1" && e.to === "s2" && (e.msg as LogServerMsg).type === "accept") {
        open.add((e.msg as { slot: number }).slot);
        openMax = Math.max(openMax, open.size);
      }
      if (e.type === "note" && e.node === "s1" && e.kind === "apply") {
        const { slot, vid } = e.data as { slot: number; vid: string };
        open.delete(slot);
        applied.push(vid);
      }
    });
    sim.run({ untilUs: 1_000_000 });
    expect((sim.nodeObject("s1") as LogServer).paxos.role).toBe("leader");
    expect(openMax).toBe(window);
    expect(applied.slice(0, 10)).toEqual(recovered.map((r) => r.value.id));
    expect(applied[10]).toMatch(/^noop\./);
  });
});
