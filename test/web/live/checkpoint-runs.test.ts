import { describe, expect, test } from "vitest";
import { LiveRun, type FaultEntry } from "../../../src/scenario/index.ts";
import { agreesUpTo, catchUp, nearestAgreeing } from "../../../web/src/live/checkpoint-runs.ts";
import { scenarioSource } from "../fixtures.ts";

/**
 * Forks from checkpoints: a run parked at an earlier instant of a branch,
 * moved on to the fork's instant with the branch's later interventions
 * applied at their instants, is the run from the seed with the fork's
 * interventions. The live worker keeps such runs so that a fork late in a
 * run does not simulate it all again.
 */

const FILE = "default.yaml";
const SOURCE = scenarioSource("default");

/** The parent branch: a crash, a client's write, a cut, a heal and a pause, each applied live at its instant. */
async function parentInterventions(): Promise<readonly FaultEntry[]> {
  const run = LiveRun.build(SOURCE, FILE);
  await run.runTo(1_000_000);
  await run.intervene({ crash: "s3" });
  await run.runTo(1_500_000);
  await run.intervene({ request: { client: "c1", op: "setData", path: "/k0", data: "parent" } });
  await run.runTo(2_500_000);
  await run.intervene({ cut: { from: "s2", to: "s4", oneWay: true } });
  await run.runTo(3_200_000);
  await run.intervene({ heal: true });
  await run.runTo(3_500_000);
  await run.intervene({ pause: "s4" });
  return run.interventions();
}

const parked = (run: LiveRun) => ({ nowUs: run.nowUs, interventions: run.interventions(), finished: run.finished });

describe("forks from checkpoints", () => {
  test("a fork from a checkpoint reaches the digest, report and scenario file of the same fork simulated from the seed", async () => {
    const parent = await parentInterventions();
    expect(parent).toHaveLength(5);
    const checkpointUs = 2_000_000;
    const forkUs = 3_300_000;
    // The checkpoint: parked at 2 s with the interventions of the branch up to there.
    const checkpoint = LiveRun.build(SOURCE, FILE, { interventions: parent.filter((e) => e.at <= checkpointUs) });
    await checkpoint.runTo(checkpointUs);
    // The fork keeps the parent's interventions up to its instant (the cut and the heal come after the checkpoint).
    const kept = parent.filter((e) => e.at <= forkUs);
    expect(agreesUpTo(parked(checkpoint), kept, forkUs)).toBe(true);
    const applied = await catchUp(checkpoint, kept, forkUs);
    expect(applied.map((e) => Object.keys(e).find((k) => k !== "at" && k !== "live"))).toEqual(["cut", "heal"]);
    expect(checkpoint.interventions()).toEqual(kept);
    expect(checkpoint.nowUs).toBe(forkUs);
    const fresh = LiveRun.build(SOURCE, FILE, { interventions: kept });
    await fresh.runTo(forkUs);
    expect(checkpoint.events).toBe(fresh.events);
    expect(checkpoint.simulation.digest()).toBe(fresh.simulation.digest());

    // Both go on the same way: the fork's own intervention, then to the end.
    for (const run of [checkpoint, fresh]) await run.intervene({ restart: "s3" });
    const [a, b] = [await checkpoint.finish(), await fresh.finish()];
    expect(a.digest).toMatch(/^[0-9a-f]{16}$/);
    expect(a.digest).toBe(b.digest);
    expect(a.checks).toEqual(b.checks);
    expect(checkpoint.exportSource()).toBe(fresh.exportSource());
    // And it is another run than the parent's: the fork made a difference.
    const whole = LiveRun.build(SOURCE, FILE, { interventions: parent });
    expect((await whole.finish()).digest).not.toBe(a.digest);
  }, 120_000);

  test("a parked run serves a fork only when its interventions are the fork's up to its instant and it is not past the fork", async () => {
    const crash = { at: 1_000_000, live: true, crash: "s3" } as FaultEntry;
    const pause = { at: 1_500_000, live: true, pause: "s4" } as FaultEntry;
    const later = { at: 2_500_000, live: true, heal: true } as FaultEntry;
    const at = (nowUs: number, interventions: FaultEntry[], finished = false) => ({ nowUs, interventions, finished });
    expect(agreesUpTo(at(2_000_000, [crash, pause]), [crash, pause, later], 3_000_000)).toBe(true);
    // It lacks the pause the fork has before its instant.
    expect(agreesUpTo(at(2_000_000, [crash]), [crash, pause, later], 3_000_000)).toBe(false);
    // It has the pause the fork has not.
    expect(agreesUpTo(at(2_000_000, [crash, pause]), [crash], 3_000_000)).toBe(false);
    // Past the fork's instant; finished; holding an entry still to come (it would apply it).
    expect(agreesUpTo(at(3_500_000, [crash, pause]), [crash, pause], 3_000_000)).toBe(false);
    expect(agreesUpTo(at(2_000_000, [crash, pause], true), [crash, pause], 3_000_000)).toBe(false);
    expect(agreesUpTo(at(2_000_000, [crash, pause, later]), [crash, pause, later], 3_000_000)).toBe(false);
    // Before the pause, a run with the crash only agrees with the whole branch.
    expect(agreesUpTo(at(1_200_000, [crash]), [crash, pause, later], 3_000_000)).toBe(true);
    // The furthest on of those that agree.
    const runs = [at(500_000, []), at(1_200_000, [crash]), at(2_000_000, [crash]), at(2_800_000, [crash, pause])];
    expect(nearestAgreeing(runs, [crash, pause], 3_000_000)).toBe(runs[3]);
    expect(nearestAgreeing(runs, [crash, pause], 2_700_000)).toBe(runs[1]);
    // The heal at 2.5 s is missing at 2.8 s, the pause at 2 s: back to 1.2 s.
    expect(nearestAgreeing(runs, [crash, pause, later], 3_000_000)).toBe(runs[1]);
    expect(nearestAgreeing(runs, [pause], 2_700_000)).toBe(runs[0]);
    expect(nearestAgreeing(runs.slice(1), [pause], 2_700_000)).toBe(null);
  });
});
