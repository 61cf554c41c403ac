import { readFileSync } from "node:fs";
import { describe, expect, test } from "vitest";
import { parseScenario, runScenario } from "../../src/scenario/index.ts";

const load = (name: string) => parseScenario(readFileSync(new URL(`../../scenarios/${name}.yaml`, import.meta.url), "utf8"), name);

describe("what the teaching scenarios show", () => {
  test("clock-skew-expiry: the leader's clock jump expires live sessions that the same run without it keeps, the lock holder's among them (seed 2)", async () => {
    const skewed = load("clock-skew-expiry");
    const calm = { ...skewed, faults: [] };
    const [withSkew, without] = [await runScenario(skewed), await runScenario(calm)];
    expect(without.sessionsExpired).toBe(0);
    expect(withSkew.sessionsExpired).toBeGreaterThan(0);
    expect(withSkew.checks.find((c) => c.name === "lock-exclusive")?.holds).toBe(false);
    expect(without.checks.every((c) => c.holds)).toBe(true);
    expect(withSkew.checks.filter((c) => c.group === "zk-guarantees").every((c) => c.holds)).toBe(true);
  });

  test("stale-read and stale-read-sync: the same partition, a stale read without sync, none with it", async () => {
    const stale = await runScenario(load("stale-read"));
    const synced = await runScenario(load("stale-read-sync"));
    const readsLinearizable = (r: typeof stale) => r.checks.find((c) => c.name === "reads-linearizable")?.holds;
    expect(readsLinearizable(stale)).toBe(false);
    expect(stale.checks.filter((c) => c.group === "zk-guarantees").every((c) => c.holds)).toBe(true);
    expect(readsLinearizable(synced)).toBe(true);
  });

  test("lock-pause with and without fencing: the belief breaks in both, the damage only without fencing", async () => {
    const holds = (r: Awaited<ReturnType<typeof runScenario>>, name: string) => r.checks.find((c) => c.name === name)?.holds;
    const plain = await runScenario(load("lock-pause"));
    const fenced = await runScenario(load("lock-pause-fencing"));
    expect([holds(plain, "lock-exclusive"), holds(plain, "fencing")]).toEqual([false, false]);
    expect([holds(fenced, "lock-exclusive"), holds(fenced, "fencing")]).toEqual([false, true]);
  });

  test("a network fault's latency applies from its time on (it was ignored)", async () => {
    const base = parseScenario(
      ["name: slow", "description: x", "duration: 2s", "servers: { count: 3 }", "clients:", "  - count: 1", "    workload: { kind: register, ops: 60, every: 10ms }", "checks: [paxos-safety]"].join("\n"),
      "slow.yaml",
    );
    const slowed = { ...base, faults: parseScenario(["name: slow", "description: x", "duration: 2s", "faults:", "  - { at: 500ms, network: { latency: { kind: constant, value: 40ms } } }"].join("\n"), "f.yaml").faults };
    const [fast, slow] = [await runScenario(base), await runScenario(slowed)];
    expect(fast.latencyUs?.p90 ?? 0).toBeLessThan(20_000);
    // Every request after 0.5 s crosses at least two 40 ms hops.
    expect(slow.latencyUs?.p90 ?? 0).toBeGreaterThanOrEqual(80_000);
  });
});
