import { describe, expect, test } from "vitest";
import { Simulation, SimulationFailure, StallError, type Context, type Node } from "../../src/sim/index.ts";

type Msg = { type: "poke" };

/** Sets a zero-delay timer from every timer: the clock never moves again. */
class Spinner implements Node<Msg> {
  start(ctx: Context<Msg>): void {
    ctx.setTimer(0, "spin");
  }
  receive(): void {}
  timer(ctx: Context<Msg>): void {
    ctx.setTimer(0, "spin");
  }
}

/** Pokes its peer on every poke, with no network delay: a message loop at one instant. */
class PingPong implements Node<Msg> {
  start(ctx: Context<Msg>): void {
    if (ctx.self === "a") ctx.send("b", { type: "poke" });
  }
  receive(ctx: Context<Msg>, from: string): void {
    ctx.send(from, { type: "poke" });
  }
  timer(): void {}
}

function stallOf(run: () => unknown): SimulationFailure {
  try {
    run();
  } catch (error) {
    if (error instanceof SimulationFailure) return error;
    throw error;
  }
  throw new Error("expected the run to stall");
}

describe("a run whose virtual clock stands still", () => {
  test("zero-delay timers in a loop stop with a StallError naming the instant, the node and the seed", () => {
    const sim = new Simulation<Msg>({ config: { seed: 7, nodes: ["a"], eventsPerInstantMax: 1_000 }, createNode: () => new Spinner() });
    const failure = stallOf(() => sim.run({ untilUs: 1_000_000 }));
    expect(failure.cause).toBeInstanceOf(StallError);
    expect(failure.seed).toBe(7);
    expect(failure.nowUs).toBe(0);
    expect(failure.message).toBe(
      "seed 7, at 0 µs on node a: StallError: more than 1000 events at virtual time 0 µs without the clock advancing (eventsPerInstantMax): something schedules timers or messages with no delay in a loop",
    );
  });

  test("the default bound (1,000,000 events at one instant) stops a zero-latency message loop, counted across run calls", () => {
    const sim = new Simulation<Msg>({
      config: { seed: 1, nodes: ["a", "b"], network: { latency: { kind: "constant", us: 0 } } },
      createNode: () => new PingPong(),
    });
    expect(sim.config.eventsPerInstantMax).toBe(1_000_000);
    // Steps of 400,000 events: the count carries over from one call to the next.
    expect(sim.run({ eventsMax: 400_000 }).reason).toBe("events");
    expect(sim.run({ eventsMax: 400_000 }).reason).toBe("events");
    const failure = stallOf(() => sim.run({ untilUs: 10 }));
    expect(failure.cause).toBeInstanceOf(StallError);
    expect(sim.nowUs).toBe(0);
  });

  test("many events at one instant below the bound, then time moving on, is no stall", () => {
    let spins = 0;
    class Burst implements Node<Msg> {
      start(ctx: Context<Msg>): void {
        ctx.setTimer(0, "burst");
      }
      receive(): void {}
      timer(ctx: Context<Msg>): void {
        spins++;
        ctx.setTimer(spins % 900 === 0 ? 1 : 0, "burst");
      }
    }
    const sim = new Simulation<Msg>({ config: { seed: 1, nodes: ["a"], eventsPerInstantMax: 1_000 }, createNode: () => new Burst() });
    expect(sim.run({ untilUs: 20 }).reason).toBe("time");
    expect(spins).toBeGreaterThan(10_000);
  });
});
