import { execFileSync } from "node:child_process";
import { join } from "node:path";
import { describe, expect, test } from "vitest";
import { runGossipDemo } from "../../src/examples/index.ts";
import {
  assert,
  AssertionError,
  EventHeap,
  InputError,
  latencySampler,
  MemorySink,
  parseEngineConfig,
  parseTrace,
  Rng,
  Simulation,
  SimulationFailure,
  type Context,
  type EngineConfigInput,
  type Node,
  type TraceEvent,
} from "../../src/sim/index.ts";

type Msg = { type: "m"; n: number; body?: { x: number } };
/** The probe's timer tags: whatever a test sets, numbers or words. */
type Tag = number | string;
type ProbeContext = Context<Msg, Tag>;

/** A scriptable node: records what it sees; the test drives it through `act`. */
class Probe implements Node<Msg, Tag> {
  readonly got: { from: string; n: number; atUs: number }[] = [];
  readonly fired: { tag: Tag; atUs: number }[] = [];
  readonly syncs: number[] = [];
  volatile = 0;
  ctx!: ProbeContext;
  constructor(private readonly onStart: (node: Probe, ctx: ProbeContext) => void = () => {}) {}
  start(ctx: ProbeContext): void {
    this.ctx = ctx;
    this.onStart(this, ctx);
  }
  receive(ctx: ProbeContext, from: string, msg: Msg): void {
    this.got.push({ from, n: msg.n, atUs: ctx.now() });
    this.volatile++;
  }
  timer(ctx: ProbeContext, tag: Tag): void {
    this.fired.push({ tag, atUs: ctx.now() });
  }
  synced(_ctx: ProbeContext, sync: number): void {
    this.syncs.push(sync);
  }
}

function sim(config: Partial<EngineConfigInput> & { seed?: number }, onStart?: (node: Probe, ctx: ProbeContext) => void, level: "off" | "full" = "full") {
  const sink = new MemorySink();
  const s = new Simulation<Msg>({
    config: { seed: config.seed ?? 1, nodes: ["a", "b", "c"], network: { latency: { kind: "constant", us: 1000 } }, ...config },
    createNode: () => new Probe(onStart),
    trace: { level, sink },
  });
  return { s, sink, node: (id: string) => s.nodeObject(id) as Probe, events: () => parseTrace(sink.text(), "t").events };
}

describe("determinism", () => {
  test("the same seed gives the same digest twice, different seeds differ (seeds 1, 2)", () => {
    expect(runGossipDemo(1).summary.digest).toBe(runGossipDemo(1).summary.digest);
    expect(runGossipDemo(1).summary.digest).not.toBe(runGossipDemo(2).summary.digest);
  });

  test("two separately started processes compute the same digest (seed 9)", () => {
    const script = join(import.meta.dirname, "fixtures", "digest-run.ts");
    const run = () => execFileSync(process.execPath, ["--import", "tsx", script, "9"], { encoding: "utf8" }).trim();
    const first = run();
    expect(first).toMatch(/^[0-9a-f]{16}$/);
    expect(run()).toBe(first);
    expect(first).toBe(runGossipDemo(9).summary.digest);
  });

  test("random draws are pinned by golden values, so saved seeds keep their meaning", () => {
    const r = new Rng(42);
    expect([r.uint32(), r.uint32(), r.uint32()]).toEqual([2232694636, 3524054855, 2787582759]);
    expect(new Rng(42).fork("net").uint32()).toBe(3835029198);
    expect(new Rng(7).below(1000)).toBe(408);
  });
});

describe("ordering", () => {
  test("the heap orders by (time, seq) like a stable sort, over 5,000 random items (seed 3)", () => {
    const rng = new Rng(3);
    const heap = new EventHeap<{ timeUs: number; seq: number }>();
    const items = Array.from({ length: 5000 }, (_, seq) => ({ timeUs: rng.below(50), seq }));
    for (const item of items) heap.push(item);
    const out: number[] = [];
    for (let item = heap.pop(); item !== undefined; item = heap.pop()) out.push(item.seq);
    expect(out).toEqual(items.slice().sort((x, y) => x.timeUs - y.timeUs || x.seq - y.seq).map((x) => x.seq));
  });

  test("dropping items anywhere and rebuilding (cancelled timers) leaves the rest to pop in (time, seq) order, pops and pushes interleaved (seed 4)", () => {
    const rng = new Rng(4);
    type It = { timeUs: number; seq: number; dead: boolean };
    const heap = new EventHeap<It>();
    const live = new Set<It>();
    let seq = 0;
    let nowUs = 0;
    let dropped = 0;
    for (let round = 0; round < 3000; round++) {
      const item = { timeUs: nowUs + rng.below(1000), seq: seq++, dead: false };
      heap.push(item);
      live.add(item);
      if (rng.below(3) === 0) {
        const victims = [...live];
        const victim = victims[rng.below(victims.length)] as It;
        victim.dead = true;
        live.delete(victim);
      }
      if (rng.below(50) === 0) heap.removeWhere((it) => it.dead, () => dropped++);
      if (rng.below(2) === 0) {
        let top = heap.pop();
        while (top !== undefined && top.dead) top = heap.pop();
        const first = [...live].sort((x, y) => x.timeUs - y.timeUs || x.seq - y.seq)[0];
        expect(top).toBe(first);
        if (top !== undefined) {
          live.delete(top);
          nowUs = top.timeUs;
        }
      }
    }
    expect(dropped).toBeGreaterThan(100);
  });

  test("cancelled timers do not pile up: a node that re-arms one timer a thousand times keeps the queue within a few hundred entries", () => {
    const { s } = sim({}, (p, ctx) => {
      if (ctx.self !== "a") return;
      let timer = ctx.setTimer(1_000_000, "far");
      for (let k = 0; k < 1000; k++) {
        ctx.cancelTimer(timer);
        timer = ctx.setTimer(1_000_000 + k, "far");
      }
    });
    s.run({ untilUs: 1 });
    expect(s.pendingCount).toBeLessThan(300);
  });

  test("timers due at the same instant fire in the order they were set; untilUs, eventsMax, step and idle behave", () => {
    const { s, node } = sim({}, (p, ctx) => {
      if (ctx.self === "a") for (const tag of [1, 2, 3]) ctx.setTimer(500, tag);
    });
    expect(s.run({ untilUs: 500 }).reason).toBe("time");
    expect(s.nowUs).toBe(500);
    expect(node("a").fired.map((f) => f.tag)).toEqual([1, 2, 3]);
    expect(s.step()).toBe(false);
    expect(s.run().reason).toBe("idle");
  });

  test("run stops at a predicate and at an event budget", () => {
    const { s, node } = sim({}, (p, ctx) => {
      if (ctx.self === "a") for (let k = 0; k < 10; k++) ctx.setTimer(100 * (k + 1), k);
    });
    expect(s.run({ eventsMax: 5 }).reason).toBe("events");
    expect(s.run({ until: () => node("a").fired.length === 7 }).reason).toBe("predicate");
    expect(node("a").fired.length).toBe(7);
  });
});

describe("network faults", () => {
  test("a one-way cut blocks a→b but not b→a, and heal restores it", () => {
    const { s, node } = sim({ faults: [{ atUs: 0, fault: { type: "cut", from: "a", to: "b", oneWay: true } }] }, (p, ctx) => {
      ctx.setTimer(100, "go");
    });
    s.run({ untilUs: 0 });
    expect(s.isLinkCut("a", "b")).toBe(true);
    expect(s.isLinkCut("b", "a")).toBe(false);
    node("a").ctx.send("b", { type: "m", n: 1 });
    node("b").ctx.send("a", { type: "m", n: 2 });
    s.run({ untilUs: 5_000 });
    expect(node("b").got).toEqual([]);
    expect(node("a").got.map((g) => g.n)).toEqual([2]);
    s.inject({ type: "heal" });
    node("a").ctx.send("b", { type: "m", n: 3 });
    s.run({ untilUs: 10_000 });
    expect(node("b").got.map((g) => g.n)).toEqual([3]);
  });

  test("a partition blocks exactly the cross-group links, and drops messages in flight when it starts", () => {
    const { s, node, sink } = sim({});
    s.run({ untilUs: 0 });
    node("a").ctx.send("c", { type: "m", n: 1 }); // in flight when the partition starts
    s.inject({ type: "partition", groups: [["a", "b"]] });
    expect([s.isLinkCut("a", "b"), s.isLinkCut("a", "c"), s.isLinkCut("c", "b"), s.isLinkCut("b", "a")]).toEqual([false, true, true, false]);
    node("a").ctx.send("b", { type: "m", n: 2 });
    s.run({ untilUs: 5_000 });
    expect(node("c").got).toEqual([]);
    expect(node("b").got.map((g) => g.n)).toEqual([2]);
    const drops = parseTrace(sink.text(), "t").events.filter((e) => e.type === "drop");
    expect(drops.map((d) => (d as TraceEvent & { type: "drop" }).reason)).toEqual(["partition"]);
    s.inject({ type: "isolate", node: "b" });
    expect([s.isLinkCut("a", "b"), s.isLinkCut("b", "a")]).toEqual([true, true]);
  });

  test("loss 0.3 and duplication 0.2 land within ±2% over 20,000 messages (seed 11)", () => {
    const { s, node } = sim({ seed: 11, network: { latency: { kind: "constant", us: 10 }, loss: 0.3, duplication: 0.2 } }, undefined, "off");
    s.run({ untilUs: 0 });
    for (let k = 0; k < 20_000; k++) node("a").ctx.send("b", { type: "m", n: k });
    s.run();
    const stats = s.statsSnapshot();
    expect(stats.dropped.loss / 20_000).toBeGreaterThan(0.28);
    expect(stats.dropped.loss / 20_000).toBeLessThan(0.32);
    const passed = 20_000 - stats.dropped.loss;
    expect(stats.duplicated / passed).toBeGreaterThan(0.18);
    expect(stats.duplicated / passed).toBeLessThan(0.22);
    expect(node("b").got.length).toBe(passed + stats.duplicated);
  });

  test("latency distributions stay in bounds with about the right mean (seed 12)", () => {
    const rng = new Rng(12);
    const mean = (f: () => number) => {
      let sum = 0;
      for (let k = 0; k < 20_000; k++) {
        const x = f();
        expect(x).toBeGreaterThanOrEqual(0);
        sum += x;
      }
      return sum / 20_000;
    };
    const uniform = latencySampler({ kind: "uniform", minUs: 100, maxUs: 300 });
    const normal = latencySampler({ kind: "normal", meanUs: 1000, stddevUs: 100, minUs: 700, maxUs: 1300 });
    const exponential = latencySampler({ kind: "exponential", minUs: 50, meanUs: 1000, capUs: 100_000 });
    expect(Math.abs(mean(() => uniform(rng)) - 200)).toBeLessThan(5);
    expect(Math.abs(mean(() => normal(rng)) - 1000)).toBeLessThan(10);
    expect(Math.abs(mean(() => exponential(rng)) - 1050)).toBeLessThan(40);
    for (let k = 0; k < 1000; k++) {
      const x = normal(rng);
      expect(x >= 700 && x <= 1300).toBe(true);
    }
  });
});

describe("node faults", () => {
  test("a crash loses volatile state, timers and unsynced writes; a restart recovers what was synced", () => {
    const { s, node } = sim({ disk: { syncLatencyUs: 100 } }, (p, ctx) => {
      if (ctx.self !== "a" || ctx.incarnation !== 1) return;
      ctx.storage.write("synced", 1);
      ctx.storage.sync();
      ctx.setTimer(5_000, "never");
    });
    s.run({ untilUs: 1_000 });
    const first = node("a");
    first.volatile = 42;
    first.ctx.storage.write("unsynced", 2);
    s.inject({ type: "crash", node: "a" });
    expect(s.status("a")).toBe("crashed");
    s.run({ untilUs: 10_000 });
    expect(first.fired).toEqual([]);
    s.inject({ type: "restart", node: "a" });
    const second = node("a");
    expect(second).not.toBe(first);
    expect(second.volatile).toBe(0);
    expect(s.incarnation("a")).toBe(2);
    expect(second.ctx.storage.read("synced")).toBe(1);
    expect(second.ctx.storage.read("unsynced")).toBeUndefined();
    expect(first.syncs.length).toBe(1);
    expect(() => first.ctx.send("b", { type: "m", n: 0 })).toThrow(/crashed node's context/);
  });

  test("a crash before a slow sync completes loses the write, and synced is never called", () => {
    const { s, node } = sim({ disk: { syncLatencyUs: 5_000 } }, (p, ctx) => {
      if (ctx.self === "a" && ctx.incarnation === 1) {
        ctx.storage.write("k", "v");
        ctx.storage.sync();
      }
    });
    s.run({ untilUs: 1_000 });
    const first = node("a");
    s.inject({ type: "crash", node: "a" });
    s.run({ untilUs: 10_000 });
    expect(first.syncs).toEqual([]);
    expect(s.durableStorage("a")).toEqual([]);
  });

  test("messages to a crashed node are dropped; a paused node gets its queued messages and timers, in order, on resume", () => {
    const { s, node, events } = sim({}, (p, ctx) => {
      if (ctx.self === "b") ctx.setTimer(2_000, "t");
    });
    s.run({ untilUs: 0 });
    s.inject({ type: "pause", node: "b" });
    s.inject({ type: "crash", node: "c" });
    for (let n = 1; n <= 3; n++) node("a").ctx.send("b", { type: "m", n });
    node("a").ctx.send("c", { type: "m", n: 9 });
    s.run({ untilUs: 5_000 });
    expect(node("b").got).toEqual([]);
    expect(node("b").fired).toEqual([]);
    s.inject({ type: "resume", node: "b" });
    s.run({ untilUs: 5_000 });
    expect(node("b").got.map((g) => g.n)).toEqual([1, 2, 3]);
    expect(node("b").fired.map((f) => f.tag)).toEqual(["t"]);
    expect(events().some((e) => e.type === "drop" && e.reason === "crashed" && e.to === "c")).toBe(true);
  });

  test("skew and drift change one node's clock and timers only", () => {
    const { s, node } = sim({ faults: [{ atUs: 0, fault: { type: "clock", node: "a", skewUs: 7_000, driftPpm: 500_000 } }] }, (p, ctx) => {
      ctx.setTimer(1_500_000, "t");
    });
    s.run({ untilUs: 0 });
    // The timers were set at start, before the clock fault; set new ones now.
    node("a").ctx.setTimer(1_500_000, "drifted");
    node("b").ctx.setTimer(1_500_000, "plain");
    s.run({ untilUs: 1_000_000 });
    expect(s.localTimeUs("a")).toBe(7_000 + 1_500_000);
    expect(s.localTimeUs("b")).toBe(1_000_000);
    expect(node("a").fired.some((f) => f.tag === "drifted")).toBe(true);
    expect(node("b").fired.some((f) => f.tag === "plain")).toBe(false);
    s.run({ untilUs: 1_500_000 });
    expect(node("b").fired.some((f) => f.tag === "plain")).toBe(true);
  });

  test("a node that mutates a received message fails loudly, naming the node and the seed (seed 13)", () => {
    class Mutator extends Probe {
      override receive(_ctx: ProbeContext, _from: string, msg: Msg): void {
        (msg as { n: number }).n = 99;
      }
    }
    const s = new Simulation<Msg>({ config: { seed: 13, nodes: ["a", "b"] }, createNode: (id) => (id === "b" ? new Mutator() : new Probe((p, ctx) => ctx.send("b", { type: "m", n: 1, body: { x: 1 } }))) });
    let failure: unknown;
    try {
      s.run();
    } catch (error) {
      failure = error;
    }
    expect(failure).toBeInstanceOf(SimulationFailure);
    expect(String((failure as Error).message)).toMatch(/seed 13.*node b/);
  });

  test("the nemesis never takes more than downMax targets down and heals everything at stopUs (seed 14)", () => {
    const { s, events } = sim({
      seed: 14,
      nodes: ["a", "b", "c", "d", "e"],
      nemesis: { stopUs: 2_000_000, intervalUsMin: 10_000, intervalUsMax: 50_000, downMax: 2, weights: { crash: 2, restart: 1, pause: 2, resume: 1, partition: 1, heal: 1 } },
    });
    let downMax = 0;
    s.run({
      untilUs: 3_000_000,
      until: (x) => {
        downMax = Math.max(downMax, ["a", "b", "c", "d", "e"].filter((id) => x.status(id) !== "running").length);
        return false;
      },
    });
    expect(downMax).toBeLessThanOrEqual(2);
    expect(events().filter((e) => e.type === "fault" && e.by === "nemesis").length).toBeGreaterThan(20);
    expect(["a", "b", "c", "d", "e"].every((id) => s.status(id) === "running")).toBe(true);
    expect(["a", "b", "c", "d", "e"].every((x) => ["a", "b", "c", "d", "e"].every((y) => !s.isLinkCut(x, y)))).toBe(true);
  });
});

describe("node invariants", () => {
  /** A probe that counts its invariant checks, and breaks its invariant once it has seen `breakAt` messages. */
  class Checked extends Probe {
    checks: string[] = [];
    breakAt = Number.POSITIVE_INFINITY;
    private last = "start";
    override start(ctx: ProbeContext): void {
      super.start(ctx);
      this.last = "start";
    }
    override receive(ctx: ProbeContext, from: string, msg: Msg): void {
      super.receive(ctx, from, msg);
      this.last = "receive";
    }
    override timer(ctx: ProbeContext, tag: Tag): void {
      super.timer(ctx, tag);
      this.last = "timer";
    }
    override synced(ctx: ProbeContext, sync: number): void {
      super.synced(ctx, sync);
      this.last = "synced";
    }
    invariants(): void {
      this.checks.push(this.last);
      assert(this.got.length < this.breakAt, "too many messages", { got: this.got.length });
    }
  }

  function checked(checkInvariants: boolean | undefined) {
    const s = new Simulation<Msg>({
      config: { seed: 21, nodes: ["a", "b"], network: { latency: { kind: "constant", us: 1_000 } }, disk: { syncLatencyUs: 10 }, ...(checkInvariants === undefined ? {} : { checkInvariants }) },
      createNode: () =>
        new Checked((p, ctx) => {
          if (ctx.self !== "a") return;
          ctx.send("b", { type: "m", n: 1 });
          ctx.setTimer(5_000, "t");
          ctx.storage.write("k", 1);
          ctx.storage.sync();
        }),
    });
    return { s, node: (id: string) => s.nodeObject(id) as Checked };
  }

  test("with checkInvariants (the default), a node's invariants run after its start, each message, timer and sync report", () => {
    const { s, node } = checked(undefined);
    s.run({ untilUs: 10_000 });
    expect(node("a").checks).toEqual(["start", "synced", "timer"]);
    expect(node("b").checks).toEqual(["start", "receive"]);
    s.inject({ type: "restart", node: "b" });
    expect(node("b").checks).toEqual(["start"]);
  });

  test("with checkInvariants off they never run", () => {
    const { s, node } = checked(false);
    s.run({ untilUs: 10_000 });
    expect(node("a").checks).toEqual([]);
    expect(node("b").checks).toEqual([]);
  });

  test("a broken invariant stops the run as a bug, naming the seed, the time and the node (seed 21)", () => {
    const { s, node } = checked(true);
    s.run({ untilUs: 0 });
    node("b").breakAt = 1;
    let failure: unknown;
    try {
      s.run({ untilUs: 10_000 });
    } catch (error) {
      failure = error;
    }
    expect(failure).toBeInstanceOf(SimulationFailure);
    const f = failure as SimulationFailure;
    expect([f.seed, f.nowUs, f.node]).toEqual([21, 1_000, "b"]);
    expect(f.cause).toBeInstanceOf(AssertionError);
    expect(f.message).toMatch(/seed 21, at 1000 µs on node b: AssertionError: too many messages/);
  });

  test("a start caused by a restart fault is checked too, and its failure names the node (seed 22)", () => {
    class Broken extends Checked {
      override invariants(): void {
        assert(false, "broken at start");
      }
    }
    let created = 0;
    const s = new Simulation<Msg>({
      config: { seed: 22, nodes: ["a"], faults: [{ atUs: 500, fault: { type: "restart", node: "a" } }] },
      createNode: () => (++created === 1 ? new Checked() : new Broken()),
    });
    expect(() => s.run()).toThrow(/seed 22, at 500 µs on node a: AssertionError: broken at start/);
  });
});

describe("bad input and the trace", () => {
  test("an invalid configuration is rejected naming each field, and nothing starts", () => {
    let error: unknown;
    try {
      parseEngineConfig({
        seed: 1,
        nodes: ["s1", "s2", "s1"],
        network: { latency: { kind: "constant", us: -5 }, loss: 1.5 },
        faults: [{ atUs: 0, fault: { type: "partition", groups: [["s1", "s9"]] } }],
        bogus: true,
      });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(InputError);
    const paths = (error as InputError).problems.map((p) => p.path);
    expect(paths).toEqual(expect.arrayContaining(["network.latency.us", "network.loss", ""]));
    const all = (error as InputError).message;
    expect(all).toMatch(/unrecognized|bogus/i);
    const dup = () => parseEngineConfig({ seed: 1, nodes: ["s1", "s1"] });
    expect(dup).toThrow(/nodes\[1\]: duplicate node id "s1"/);
    expect(() => parseEngineConfig({ seed: 1, nodes: ["s1"], faults: [{ atUs: 0, fault: { type: "crash", node: "s9" } }] })).toThrow(
      /faults\[0\]\.fault\.node: unknown node "s9"/,
    );
    const { s } = sim({});
    expect(() => s.inject({ type: "crash", node: "zz" })).toThrow(InputError);
  });

  test("a full trace has a header, events and a summary whose digest parseTrace recomputes; summary level gives the same digest", () => {
    const full = new MemorySink();
    const a = runGossipDemo(5, full);
    const parsed = parseTrace(full.text(), "demo");
    expect(parsed.header.format).toBe("zksim-trace");
    expect(parsed.summary?.digest).toBe(a.summary.digest);
    expect(parsed.digest).toBe(a.summary.digest);
    expect(parsed.events.length).toBe(a.summary.events);
    const broken = full.text().split("\n");
    broken[3] = "{not json";
    expect(() => parseTrace(broken.join("\n"), "demo")).toThrow(/line 4/);
    const { s } = sim({}, undefined, "off");
    s.run();
    expect(s.finish().digest).toBeNull();
  });
});
