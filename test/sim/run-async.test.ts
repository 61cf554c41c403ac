import { describe, expect, test } from "vitest";
import { Simulation, unreachable, type Context, type Node } from "../../src/sim/index.ts";

type Msg = { type: "ping"; n: number } | { type: "pong"; n: number };

/**
 * A node whose logic is async/await code: it awaits replies through promises
 * settled by its receive handler. runAsync lets each continuation run at the
 * virtual time its reply arrived, before the next event.
 */
class AsyncPinger implements Node<Msg, never> {
  readonly log: string[] = [];
  private waiting: ((n: number) => void) | null = null;
  private hops = 0;
  private ctx!: Context<Msg, never>;

  start(ctx: Context<Msg, never>): void {
    this.ctx = ctx;
    if (ctx.self !== "a") return;
    void this.main();
  }

  private async main(): Promise<void> {
    for (let n = 0; n < 5; n++) {
      const sentUs = this.ctx.now();
      const reply = await this.ask(n);
      // Runs before any later event: the clock still reads the arrival time of the pong.
      this.log.push(`pong ${reply} after ${this.ctx.now() - sentUs} µs`);
    }
  }

  private ask(n: number): Promise<number> {
    return new Promise((resolve) => {
      this.waiting = resolve;
      this.ctx.send("b", { type: "ping", n });
    });
  }

  receive(ctx: Context<Msg, never>, from: string, msg: Msg): void {
    switch (msg.type) {
      case "ping":
        return ctx.send(from, { type: "pong", n: msg.n });
      case "pong": {
        const wake = this.waiting;
        this.waiting = null;
        this.hops = 8;
        return wake?.(msg.n);
      }
      default:
        return unreachable(msg, "pinger message");
    }
  }

  /** It sets no timers. */
  timer(_ctx: Context<Msg, never>, tag: never): void {
    unreachable(tag, "pinger timer");
  }

  isSettled(): boolean {
    if (this.hops === 0) return true;
    this.hops--;
    return false;
  }
}

function build(seed: number): Simulation<Msg> {
  return new Simulation<Msg>({
    config: { seed, nodes: ["a", "b"], network: { latency: { kind: "uniform", minUs: 1000, maxUs: 3000 } } },
    createNode: () => new AsyncPinger(),
    trace: { level: "summary" },
  });
}

describe("runAsync", () => {
  test("async/await node code runs to completion, each continuation at its reply's virtual time (seed 3)", async () => {
    const sim = build(3);
    await sim.runAsync({ untilUs: 1_000_000 });
    const log = (sim.nodeObject("a") as AsyncPinger).log;
    expect(log).toHaveLength(5);
    for (const line of log) {
      const us = Number(/after (\d+) µs/.exec(line)?.[1]);
      expect(us).toBeGreaterThanOrEqual(2000);
      expect(us).toBeLessThanOrEqual(6000);
    }
  });

  test("the same seed gives the same digest twice with async node code (seed 4)", async () => {
    const a = build(4);
    await a.runAsync({ untilUs: 1_000_000 });
    const b = build(4);
    await b.runAsync({ untilUs: 1_000_000 });
    expect(a.finish().digest).toBe(b.finish().digest);
    expect((a.nodeObject("a") as AsyncPinger).log).toEqual((b.nodeObject("a") as AsyncPinger).log);
  });

  test("the synchronous run refuses a node that has continuations to run (seed 5)", () => {
    const sim = build(5);
    expect(() => sim.run({ untilUs: 1_000_000 })).toThrow(/use runAsync/);
  });
});
