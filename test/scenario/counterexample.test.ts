import { readFileSync } from "node:fs";
import { expect, test } from "vitest";
import { parseScenario, runScenario } from "../../src/scenario/index.ts";
import { MemorySink, parseTrace } from "../../src/sim/index.ts";

/**
 * A failed linearizability check carries its counterexample in trace terms
 * (the picture the viewer draws as Porcupine does): the key's operations,
 * the longest linearizable prefix in order, the operation that cannot come
 * next, each with its client, its times and its invoke and complete events.
 */

const load = (name: string) => parseScenario(readFileSync(new URL(`../../scenarios/${name}.yaml`, import.meta.url), "utf8"), name);

test("stale-read: the stale read is the operation that cannot be placed, after a prefix that ends with the write it missed", async () => {
  const scenario = load("stale-read");
  const sink = new MemorySink();
  const report = await runScenario(scenario, { traceSink: sink });
  const trace = parseTrace(sink.lines.join("\n"), "stale-read.jsonl");
  const byIndex = new Map(trace.events.map((e) => [e.i, e]));
  const check = report.checks.find((c) => c.name === "reads-linearizable");
  expect(check?.holds, `seed ${scenario.seed}`).toBe(false);
  const picture = check?.counterexample;
  expect(picture, "a failed linearizability check carries its counterexample").toBeDefined();
  if (picture === undefined) return;
  expect(picture.key).toBe("/x");
  // The prefix is numbered 0, 1, 2... in order, without gaps.
  const placed = picture.ops.filter((op) => op.place !== null).sort((a, b) => (a.place as number) - (b.place as number));
  expect(placed.map((op) => op.place)).toEqual(placed.map((_, k) => k));
  const stuck = picture.ops.filter((op) => op.stuck);
  expect(stuck.length).toBeGreaterThan(0);
  for (const op of stuck) expect(op.place).toBeNull();
  // The stuck read is a getData by the reader, called after the last write of the prefix returned: it read an older value.
  const read = stuck.find((op) => op.text.includes("getData"));
  expect(read?.client).toBe("c2");
  const lastWrite = [...placed].reverse().find((op) => op.text.includes("setData"));
  expect(lastWrite?.client).toBe("c1");
  expect(read?.invokeUs).toBeGreaterThan(lastWrite?.completeUs ?? Infinity);
  expect(picture.state).toContain(lastWrite?.text.match(/→ (\d+)/)?.[1] ?? "?");
  // Each operation's events are its client's zk-invoke and zk-complete notes at its times.
  for (const op of picture.ops) {
    const invoke = byIndex.get(op.invokeEv);
    expect(invoke?.type === "note" && invoke.kind === "zk-invoke" && invoke.node === op.client && invoke.t === op.invokeUs, `op ${op.id}`).toBe(true);
    if (op.completeUs === null) continue;
    const complete = byIndex.get(op.completeEv);
    expect(complete?.type === "note" && complete.kind === "zk-complete" && complete.node === op.client && complete.t === op.completeUs, `op ${op.id}`).toBe(true);
  }
  // A check that holds carries none.
  expect(report.checks.filter((c) => c.holds && c.counterexample !== undefined)).toEqual([]);
});
