import { describe, expect, test } from "vitest";
import { BUGGIFY_POINT_NAMES, InputError, MemorySink, Simulation, type BuggifyPoint, type Context, type EngineConfigInput, type Node } from "../../src/sim/index.ts";

/**
 * Fault points in the engine (ctx.buggify): off, they draw nothing and change
 * no run; on, each point has its own stream, is activated for the whole run
 * or not when first reached, fires as its rate says, and every firing is a
 * trace note and a count.
 */

type Msg = { type: "tick"; n: number };

/** A node that reaches a fault point at every step and draws from its own stream, so that a shifted stream would show in the digest. */
class Reacher implements Node<Msg> {
  constructor(
    private readonly points: readonly BuggifyPoint[],
    private readonly fired: string[],
  ) {}
  start(ctx: Context<Msg>): void {
    ctx.setTimer(1_000, "step");
  }
  receive(): void {}
  timer(ctx: Context<Msg>): void {
    for (const point of this.points) if (ctx.buggify(point)) this.fired.push(`${ctx.now()} ${point}`);
    ctx.trace("draw", { n: ctx.rng.below(1_000_000) });
    if (ctx.now() < 200_000) ctx.setTimer(1_000 + ctx.rng.below(1_000), "step");
  }
}

function run(buggify: EngineConfigInput["buggify"] | undefined, points: readonly BuggifyPoint[] = BUGGIFY_POINT_NAMES) {
  const fired: string[] = [];
  const sink = new MemorySink();
  const sim = new Simulation<Msg>({
    config: { seed: 7, nodes: ["a", "b"], ...(buggify === undefined ? {} : { buggify }) },
    createNode: () => new Reacher(points, fired),
    trace: { level: "full", sink },
  });
  sim.run({ untilUs: 300_000 });
  const summary = sim.finish();
  return { digest: summary.digest, fired, counts: sim.buggifyFired(), lines: sink.lines };
}

describe("fault points in the engine", () => {
  test("off (no buggify in the configuration), a point reached draws nothing: the run is the one of a node that never asks", () => {
    const asking = run(undefined);
    const silent = run(undefined, []);
    expect(asking.digest).toBe(silent.digest);
    expect(asking.fired).toEqual([]);
    expect(asking.counts).toEqual({});
  });

  test("a point that the configuration does not enable draws nothing either", () => {
    const others = run({ points: ["zk.batch-short"], activatePerMillion: 1_000_000, firePerMillion: 1_000_000 }, ["client.reconnect"]);
    expect(others.digest).toBe(run(undefined, []).digest);
    expect(others.counts).toEqual({ "zk.batch-short": 0 });
  });

  test("activated and firing always, a point fires each time it is reached, with a buggify note on the node and a count", () => {
    const always = run({ points: ["client.reconnect"], activatePerMillion: 1_000_000, firePerMillion: 1_000_000 }, ["client.reconnect"]);
    const notes = always.lines.filter((line) => line.includes('"kind":"buggify"'));
    expect(always.fired.length).toBeGreaterThan(100);
    expect(notes.length).toBe(always.fired.length);
    expect(JSON.parse(notes[0] as string)).toMatchObject({ type: "note", kind: "buggify", data: { point: "client.reconnect" } });
    expect(always.counts).toEqual({ "client.reconnect": always.fired.length });
  });

  test("never activated, a point never fires", () => {
    const never = run({ points: [...BUGGIFY_POINT_NAMES], activatePerMillion: 0, firePerMillion: 1_000_000 });
    expect(never.fired).toEqual([]);
    expect(Object.values(never.counts)).toEqual(BUGGIFY_POINT_NAMES.map(() => 0));
  });

  test("activation is decided once for the whole run: over seeds, a point either fires often or not at all", () => {
    const outcomes = new Set<string>();
    for (let seed = 0; seed < 40; seed++) {
      const fired: string[] = [];
      const sim = new Simulation<Msg>({
        config: { seed, nodes: ["a"], buggify: { points: ["zk.touch-lost"], activatePerMillion: 500_000, firePerMillion: 1_000_000 } },
        createNode: () => new Reacher(["zk.touch-lost"], fired),
      });
      sim.run({ untilUs: 300_000 });
      outcomes.add(fired.length === 0 ? "inactive" : fired.length > 100 ? "active" : `partly ${fired.length}`);
    }
    expect([...outcomes].sort()).toEqual(["active", "inactive"]);
  });

  test("the same seed fires the same points at the same instants; each point has its own stream, so enabling another shifts none of its draws", () => {
    const config = { activatePerMillion: 1_000_000, firePerMillion: 300_000 };
    const both = run({ points: ["zk.reply-delay", "client.reconnect"], ...config }, ["zk.reply-delay", "client.reconnect"]);
    expect(run({ points: ["zk.reply-delay", "client.reconnect"], ...config }, ["zk.reply-delay", "client.reconnect"]).fired).toEqual(both.fired);
    const alone = run({ points: ["client.reconnect"], ...config }, ["zk.reply-delay", "client.reconnect"]);
    const reconnects = (fired: string[]) => fired.filter((f) => f.endsWith("client.reconnect"));
    expect(reconnects(alone.fired).length).toBeGreaterThan(10);
    expect(reconnects(alone.fired)).toEqual(reconnects(both.fired));
    // Firing writes notes but no node draws changed: the nodes' own draws are the same with the points on or off.
    const draws = (lines: string[]) => lines.filter((line) => line.includes('"kind":"draw"')).map((line) => line.replace(/"i":\d+,/, ""));
    expect(draws(both.lines)).toEqual(draws(run(undefined).lines));
  });

  test("a name outside the registry is refused, naming the known points", () => {
    let error: unknown;
    try {
      new Simulation<Msg>({ config: { seed: 1, nodes: ["a"], buggify: { points: ["zk.reply-delay", "zk.nap"] } }, createNode: () => new Reacher([], []) });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(InputError);
    expect((error as InputError).problems).toEqual([{ path: "buggify.points[1]", message: `unknown fault point "zk.nap"; expected one of ${BUGGIFY_POINT_NAMES.join(", ")}` }]);
  });
});
