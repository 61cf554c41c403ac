import { describe, expect, test } from "vitest";
import { parseScenario, runScenario } from "../../src/scenario/index.ts";
import { CheckpointPlan, checkpointOptionsFor, chooseRun, nextSlotToFill } from "../../web/src/model/checkpoints.ts";
import { inspectNodes, plainData } from "../../web/src/resim/inspect-nodes.ts";
import { PausableRun } from "../../web/src/resim/pausable-run.ts";
import { scenarioSource, traceOf } from "./fixtures.ts";

describe("the checkpoint plan", () => {
  test("slots are evenly spaced, at least spacingMin apart, and at most slotsMax", () => {
    const plan = new CheckpointPlan(34_335, { spacingMin: 1_500, slotsMax: 24 });
    expect(plan.spacing).toBe(1_500);
    expect(plan.slots).toHaveLength(22);
    expect(plan.slots[0]).toBe(1_500);
    expect(plan.slots.at(-1)).toBe(33_000);
    const big = new CheckpointPlan(1_000_000, { spacingMin: 1_500, slotsMax: 24 });
    expect(big.slots).toHaveLength(24);
    expect(big.spacing).toBe(40_000);
    expect(new CheckpointPlan(1_000).slots).toEqual([]);
  });

  test("long traces keep fewer runs parked (each holds a cluster in memory)", () => {
    expect(checkpointOptionsFor(34_335).slotsMax).toBe(24);
    expect(checkpointOptionsFor(100_000).slotsMax).toBe(20);
    expect(checkpointOptionsFor(1_000_000).slotsMax).toBe(4);
  });

  test("a question goes to a run already there, else to the nearest run before it, else to a fresh run", () => {
    const runs = [
      { id: 1, seen: 3_000, previous: 2_990 },
      { id: 2, seen: 1_500, previous: 1_497 },
      { id: 3, seen: 9_000, previous: 8_999 },
    ];
    expect(chooseRun(2_995, runs)).toBe(1);
    expect(chooseRun(5_000, runs)).toBe(1);
    expect(chooseRun(2_000, runs)).toBe(2);
    expect(chooseRun(100, runs)).toBeNull();
    expect(chooseRun(20_000, runs)).toBe(3);
  });

  test("slots are filled from the first empty one", () => {
    const plan = new CheckpointPlan(10_000, { spacingMin: 2_000, slotsMax: 10 });
    expect(plan.slots).toEqual([2_000, 4_000, 6_000, 8_000]);
    expect(nextSlotToFill(plan, new Set([2_000, 6_000]))).toBe(4_000);
    expect(nextSlotToFill(plan, new Set(plan.slots))).toBeNull();
  });
});

describe("a run that stops at an event and goes on", async () => {
  const source = scenarioSource("default");
  const scenario = parseScenario(source, "default.yaml");
  const { report: straight } = await traceOf("default");

  test("stopping, inspecting and going on changes nothing: the same digest and verdicts as a straight run", async () => {
    const run = new PausableRun(scenario, scenario.seed, 5_000);
    await run.advanceTo(5_000);
    const { seen, previous } = run.position;
    expect(previous).toBeLessThanOrEqual(5_000);
    expect(seen).toBeGreaterThan(5_000);
    const at = inspectNodes(run.simulation);
    expect(at.nodes.map((n) => n.id)).toEqual(["s1", "s2", "s3", "s4", "s5", "c1", "c2", "c3", "c4", "c5", "c6"]);
    await run.advanceTo(20_000);
    await run.advanceTo(Number.MAX_SAFE_INTEGER);
    await run.finished;
    expect(run.failure).toBeNull();
    expect(run.report?.digest).toBe(straight.digest);
    expect(run.report?.checks).toEqual(straight.checks);
  });

  test("the state after an event is the same from a fresh run and from a run parked earlier and moved on", async () => {
    // Just after the leader's crash at 2 s, and a stretch before it.
    const { lines } = await traceOf("default");
    const crash = lines.map((line) => JSON.parse(line) as { type: string; i?: number; fault?: { type: string } }).find((e) => e.type === "fault" && e.fault?.type === "crash");
    const after = (crash?.i ?? 0) + 50;
    const before = after - 5_000;
    expect(before).toBeGreaterThan(0);
    const fresh = new PausableRun(scenario, scenario.seed, after);
    const moved = new PausableRun(scenario, scenario.seed, before);
    await Promise.all([fresh.advanceTo(after), moved.advanceTo(before)]);
    const early = JSON.stringify(inspectNodes(moved.simulation));
    await moved.advanceTo(after);
    expect(moved.position).toEqual(fresh.position);
    const a = inspectNodes(fresh.simulation);
    const b = inspectNodes(moved.simulation);
    expect(b).toEqual(a);
    expect(JSON.stringify(b)).not.toBe(early);
    // The leader crashed at 2 s: the re-run shows it.
    const s5 = a.nodes.find((n) => n.id === "s5");
    expect(s5?.status).toBe("crashed");
    expect(a.nowUs).toBeGreaterThanOrEqual(2_000_000);
  });

  test("other simulations in the same process run straight through while a run is parked", async () => {
    const parked = new PausableRun(scenario, scenario.seed, 100);
    await parked.advanceTo(100);
    const other = await runScenario(parseScenario(scenarioSource("basic-paxos"), "basic-paxos.yaml"));
    const { report } = await traceOf("basic-paxos");
    expect(other.digest).toBe(report.digest);
    expect(parked.position.seen).toBeLessThan(200);
  });

  test("a run cannot go back: asking for an event behind it is refused", async () => {
    const run = new PausableRun(scenario, scenario.seed, 3_000);
    await run.advanceTo(3_000);
    await expect(run.advanceTo(10)).rejects.toThrow(/past event 10/);
  });
});

describe("plain data for the inspector", () => {
  test("maps, sets and big integers become JSON; functions go; a budget cuts large values", () => {
    const value = { m: new Map([["a", 1]]), s: new Set([2, 3]), b: 10n, f: () => 1, nested: { deep: [1, 2, 3] } };
    expect(plainData(value, { left: 100 })).toEqual({ m: { a: 1 }, s: [2, 3], b: "10", nested: { deep: [1, 2, 3] } });
    expect(JSON.stringify(plainData({ a: [1, 2, 3, 4, 5] }, { left: 4 }))).toBe('{"a":[1,2,"…","…","…"]}');
  });
});
