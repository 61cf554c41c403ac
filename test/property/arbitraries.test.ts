import fc from "fast-check";
import { describe, expect, test } from "vitest";
import {
  checkZkProperty,
  clusterSizeArbitrary,
  faultScheduleArbitrary,
  networkArbitrary,
  PropertyUsageError,
  ZkPropertyOptionsError,
  type FaultSchedule,
  type FaultScheduleOptions,
  type PropertyFaultKind,
} from "../../src/property/index.ts";

/** Replays a schedule's effect on the servers: who is down after each instant, and which kinds it used. */
function replaySchedule(schedule: FaultSchedule): { downMaxSeen: number; kinds: Set<PropertyFaultKind>; open: string[] } {
  const crashed = new Set<string>();
  const paused = new Set<string>();
  const cut = new Set<string>();
  const kinds = new Set<PropertyFaultKind>();
  let downMaxSeen = 0;
  for (let i = 0; i < schedule.length; i++) {
    const { fault } = schedule[i]!;
    if ("crash" in fault) (crashed.add(fault.crash), kinds.add("crash"));
    else if ("restart" in fault) expect(crashed.delete(fault.restart)).toBe(true);
    else if ("pause" in fault) (paused.add(fault.pause), kinds.add(fault.pause.startsWith("c") ? "pause-client" : "pause"));
    else if ("resume" in fault) expect(paused.delete(fault.resume)).toBe(true);
    else if ("isolate" in fault) (cut.add(fault.isolate), kinds.add(fault.isolate.startsWith("c") ? "isolate-client" : "isolate"));
    else if ("partition" in fault) {
      cut.clear(); // a partition replaces every cut
      for (const node of fault.partition[0] ?? []) cut.add(node);
      kinds.add("partition");
    } else if ("heal" in fault) cut.clear();
    else if ("skew" in fault) kinds.add("skew");
    // Faults at one instant apply together: count the servers down once the instant is over.
    if (schedule[i + 1]?.atMs === schedule[i]!.atMs) continue;
    const down = new Set([...crashed, ...paused, ...cut].filter((node) => node.startsWith("s")));
    downMaxSeen = Math.max(downMaxSeen, down.size);
  }
  return { downMaxSeen, kinds, open: [...crashed, ...paused] };
}

describe("faultScheduleArbitrary", () => {
  const shapes: (FaultScheduleOptions & { downMax: number; durationMs: number })[] = [
    { servers: 3, clients: 2, downMax: 1, durationMs: 3_000 },
    { servers: 5, clients: 3, downMax: 2, durationMs: 1_000, kinds: ["crash", "partition", "pause-client"], faultsMax: 20 },
    { servers: 5, clients: 1, downMax: 1, durationMs: 500, kinds: ["isolate", "pause", "skew"], episodeMsMin: 10, episodeMsMax: 400 },
    { servers: 7, clients: 4, downMax: 3, durationMs: 2_000, faultsMax: 30 },
    { servers: 3, clients: 3, downMax: 0, durationMs: 2_000 },
  ];

  for (const shape of shapes) {
    test(`keeps to its constraints: ${shape.servers} servers, at most ${shape.downMax} down, within ${shape.durationMs} ms, kinds ${shape.kinds?.join(", ") ?? "default"}`, () => {
      const allowed = new Set(shape.kinds ?? ["crash", "pause", "isolate", "partition", "pause-client", "isolate-client"]);
      let reachedDownMax = 0;
      const kindsSeen = new Set<PropertyFaultKind>();
      for (const schedule of fc.sample(faultScheduleArbitrary(shape), { seed: 11, numRuns: 300 })) {
        const { downMaxSeen, kinds, open } = replaySchedule(schedule);
        expect(downMaxSeen).toBeLessThanOrEqual(shape.downMax);
        if (downMaxSeen === shape.downMax) reachedDownMax++;
        for (const kind of kinds) expect(allowed.has(kind)).toBe(true);
        for (const kind of kinds) kindsSeen.add(kind);
        expect(open).toEqual([]); // every crash restarted, every pause resumed
        for (const { atMs } of schedule) expect(atMs).toBeGreaterThanOrEqual(0), expect(atMs).toBeLessThanOrEqual(shape.durationMs);
        expect(schedule.map((f) => f.atMs)).toEqual([...schedule.map((f) => f.atMs)].sort((a, b) => a - b));
      }
      // Not vacuous: the limit is reached, and every kind allowed is drawn (none when nothing may go down but clients and clocks).
      expect(reachedDownMax).toBeGreaterThan(10);
      const drawable = [...allowed].filter((kind) => shape.downMax > 0 || kind === "skew" || kind.endsWith("-client"));
      expect([...kindsSeen].sort()).toEqual(drawable.sort());
    });
  }

  test("draws the same schedules from the same seed", () => {
    const arbitrary = faultScheduleArbitrary({ servers: 5, clients: 3 });
    expect(fc.sample(arbitrary, { seed: 3, numRuns: 50 })).toEqual(fc.sample(arbitrary, { seed: 3, numRuns: 50 }));
  });

  test("bad constraints are refused, each named", () => {
    expect(() => faultScheduleArbitrary({ servers: 3, clients: 1, downMax: 4 })).toThrow(/downMax: expected a whole number from 0 to 3, got 4/);
    expect(() => faultScheduleArbitrary({ servers: 3, clients: 1, kinds: ["meteor" as PropertyFaultKind] })).toThrow(/kinds: unknown kind "meteor"/);
    expect(() => clusterSizeArbitrary([3, 10])).toThrow(/from 1 to 9 servers/);
    expect(() => networkArbitrary({ lossPercentMax: 80 })).toThrow(/lossPercentMax: expected a whole number from 0 to 50, got 80/);
  });
});

describe("zkProperty's options", () => {
  const body = async () => {};
  const refusal = async (options: object): Promise<string> => {
    const error = await checkZkProperty(options as never, body).then(
      () => null,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(ZkPropertyOptionsError);
    return (error as Error).message;
  };

  test("bad options are refused before any run, each by its place and what was expected", async () => {
    expect(await refusal({ servers: [3, 5], faults: { downMax: 4 } })).toMatch(/options\.faults\.downMax: 4 servers down at once, but the smallest cluster drawn has 3/);
    expect(await refusal({ faults: { kinds: ["crash", "flood"] } })).toMatch(/options\.faults\.kinds\.1: expected one of crash, pause, isolate/);
    expect(await refusal({ sessionTimeoutMs: 10_000 })).toMatch(/options\.sessionTimeoutMs: expected a whole number from 400 to 4000/);
    expect(await refusal({ name: "My Lock" })).toMatch(/options\.name: expected a lower-case name with dashes/);
    expect(await refusal({ runs: 0, checks: ["paxos-liveness"] })).toMatch(/options\.runs: .*; options\.checks: expected false, or a list of zksim's checks among paxos-safety, replica-agreement/);
    expect(await refusal({ faults: { durationMs: 5_000 }, runMsMax: 4_000 })).toMatch(/options\.runMsMax: 4000 ms leaves no time after the faults/);
    expect(await refusal({ clients: 2, faults: { kind: ["crash"] } })).toMatch(/options\.faults: Unrecognized key: "kind"/);
  });

  test("a malformed ZKSIM_REPLAY is refused, naming the variable and the form it takes", async () => {
    process.env["ZKSIM_REPLAY"] = "seven";
    try {
      expect(await refusal({})).toMatch(/ZKSIM_REPLAY=seven: expected seed:path as a failure prints it/);
    } finally {
      delete process.env["ZKSIM_REPLAY"];
    }
  });

  test("a body that never runs the cluster is a mistake in the test, said at once", async () => {
    await expect(checkZkProperty({ runs: 5 }, async () => {})).rejects.toThrow(PropertyUsageError);
    await expect(checkZkProperty({ runs: 5 }, async () => {})).rejects.toThrow(/never called cluster\.run\(workload\)/);
  });
});
