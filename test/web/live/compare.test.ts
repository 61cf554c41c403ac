import { describe, expect, test } from "vitest";
import { MemorySink } from "../../../src/sim/index.ts";
import { parseScenario, runScenario } from "../../../src/scenario/index.ts";
import { differences, firstDifference } from "../../../web/src/live/compare.ts";
import { modelOf, scenarioSource, traceOf } from "../fixtures.ts";

/** The default scenario with its 2 s crash aimed at s3 instead of the leader. */
async function crashS3Instead(): Promise<readonly string[]> {
  const source = scenarioSource("default").replace("{ at: 2s, crash: leader }", "{ at: 2s, crash: s3 }");
  expect(source).toContain("crash: s3");
  const sink = new MemorySink();
  await runScenario(parseScenario(source, "default.yaml"), { traceSink: sink });
  return sink.lines;
}

const events = (lines: readonly string[]) => lines.slice(1, -1);

describe("comparing two branches", () => {
  test("the first difference is the first event line that differs, with both lines", () => {
    expect(firstDifference(["a", "b", "c"], ["a", "b", "c"])).toBeNull();
    expect(firstDifference(["a", "b", "c"], ["a", "x", "c"])).toEqual({ index: 1, a: "b", b: "x" });
    expect(firstDifference(["a", "b"], ["a", "b", "c"])).toEqual({ index: 2, a: null, b: "c" });
    expect(firstDifference(["a", "b", "c"], ["a"])).toEqual({ index: 1, a: "b", b: null });
    expect(firstDifference([], [])).toBeNull();
  });

  test("two runs that crash different servers at 2 s part at the crash, and only their later messages differ", async () => {
    const a = events((await traceOf("default")).lines);
    const b = events(await crashS3Instead());
    const first = firstDifference(a, b);
    expect(first).not.toBeNull();
    const lineA = JSON.parse(first?.a ?? "{}") as { type: string; t: number; fault?: { type: string; node: string } };
    const lineB = JSON.parse(first?.b ?? "{}") as { type: string; t: number; fault?: { type: string; node: string } };
    // The default crashes whoever leads at 2 s; this one crashes s3: the runs are one until that fault.
    expect(lineA.t).toBe(2_000_000);
    expect(lineB).toMatchObject({ type: "fault", t: 2_000_000, fault: { type: "crash", node: "s3" } });
    expect(lineA.fault?.node).not.toBe("s3");

    const modelA = modelOf((await traceOf("default")).lines);
    const modelB = modelOf(await crashS3Instead());
    const diff = differences(modelA, modelB);
    expect(diff.messagesOnlyA.size).toBeGreaterThan(0);
    expect(diff.messagesOnlyB.size).toBeGreaterThan(0);
    // Nothing sent before the parting differs.
    const parted = first?.index ?? 0;
    for (const m of diff.messagesOnlyA) expect(modelA.messages.endEv[m] === -1 || (modelA.messages.endEv[m] as number) >= parted || (modelA.messages.sendEv[m] as number) >= parted).toBe(true);
    for (const m of diff.messagesOnlyB) expect((modelB.messages.sendEv[m] as number) >= parted || (modelB.messages.endEv[m] as number) >= parted).toBe(true);
    // The states differ: a crashed stretch of s3 only in B.
    expect(diff.statesOnlyB.some((s) => s.lane === "s3" && s.kind === "crashed" && s.startUs === 2_000_000)).toBe(true);
    expect(diff.statesOnlyA.some((s) => s.lane === "s3" && s.kind === "crashed" && s.startUs === 2_000_000)).toBe(false);
  });

  test("a run compared with itself differs nowhere", async () => {
    const model = modelOf((await traceOf("default")).lines);
    const diff = differences(model, model);
    expect(diff.messagesOnlyA.size + diff.messagesOnlyB.size + diff.statesOnlyA.length + diff.statesOnlyB.length).toBe(0);
  });
});
