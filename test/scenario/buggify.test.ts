import { readFileSync } from "node:fs";
import { describe, expect, test } from "vitest";
import { parseScenario, runScenario, type ScenarioReport } from "../../src/scenario/index.ts";
import { MemorySink, type BuggifyPoint } from "../../src/sim/index.ts";

/**
 * Each fault point fires in a scenario made for it, and what it does shows
 * in the run: the same scenario with the point always on (activated, firing
 * every time it is reached) against the point off. Every check still holds
 * where the point is legal at any rate.
 */

const BASE = `
name: fault-point
description: one fault point, always firing
seed: 5
duration: 4s
servers: { count: 3 }
clients:
  - count: 1
    workload: { kind: register, ops: 40, every: 20ms }
`;

const PIPELINED = `
name: fault-point
description: pipelined clients, whose writes the leader batches
seed: 5
duration: 4s
servers: { count: 3 }
clients:
  - count: 3
    workload: { kind: pipeline, ops: 200, inflight: 16, every: 2ms, mix: { write: 1 } }
`;

async function run(yaml: string, point: BuggifyPoint | null): Promise<{ report: ScenarioReport; events: Record<string, unknown>[] }> {
  const text = point === null ? yaml : `${yaml.trimEnd()}\nbuggify: { points: [${point}], activate: 1, fire: 1 }\n`;
  const sink = new MemorySink();
  const report = await runScenario(parseScenario(text, "fault-point.yaml"), { traceSink: sink });
  const events = sink.lines.slice(1, -1).map((line) => JSON.parse(line) as Record<string, unknown>);
  return { report, events };
}

function failedChecks(report: ScenarioReport): string[] {
  return report.checks.filter((c) => !c.holds).map((c) => `${c.name}: ${c.detail ?? ""}`);
}

function firedNotes(events: readonly Record<string, unknown>[], point: BuggifyPoint): number {
  return events.filter((e) => e["kind"] === "buggify" && (e["data"] as { point: string }).point === point).length;
}

describe("each fault point, always firing, shows in the run", () => {
  test("zk.reply-delay: replies wait in the server's stream for the client's probe, so every operation takes 100 ms or more", async () => {
    const off = await run(BASE, null);
    const on = await run(BASE, "zk.reply-delay");
    expect(on.report.buggify?.["zk.reply-delay"]).toBeGreaterThan(20);
    expect(firedNotes(on.events, "zk.reply-delay")).toBe(on.report.buggify?.["zk.reply-delay"]);
    expect(off.report.latencyUs?.p50).toBeLessThan(20_000);
    expect(on.report.latencyUs?.p50).toBeGreaterThanOrEqual(100_000);
    expect(failedChecks(on.report)).toEqual([]);
  }, 60_000);

  test("zk.batch-short: the leader cuts its batches, so the same transactions take more Paxos values", async () => {
    const notesOnS1 = (events: readonly Record<string, unknown>[], kind: string) => events.filter((e) => e["type"] === "note" && e["node"] === "s1" && e["kind"] === kind).length;
    const off = await run(PIPELINED, null);
    const on = await run(PIPELINED, "zk.batch-short");
    expect(on.report.buggify?.["zk.batch-short"]).toBeGreaterThan(50);
    expect(notesOnS1(on.events, "zk-apply")).toBe(notesOnS1(off.events, "zk-apply"));
    expect(notesOnS1(on.events, "apply")).toBeGreaterThan(notesOnS1(off.events, "apply") * 1.1);
    expect(failedChecks(on.report)).toEqual([]);
  }, 60_000);

  test("zk.touch-lost: no server reports its sessions to the leader, so live sessions expire", async () => {
    const off = await run(BASE, null);
    const on = await run(BASE, "zk.touch-lost");
    expect(off.report.messages["zk-touch"]).toBeGreaterThan(0);
    expect(off.report.sessionsExpired).toBe(0);
    expect(on.report.buggify?.["zk.touch-lost"]).toBeGreaterThan(0);
    expect(on.report.messages["zk-touch"] ?? 0).toBe(0);
    expect(on.report.sessionsExpired).toBeGreaterThan(0);
  }, 60_000);

  test("paxos.heartbeat-skip: the leader's periodic heartbeats are not sent", async () => {
    const off = await run(BASE, null);
    const on = await run(BASE, "paxos.heartbeat-skip");
    expect(on.report.buggify?.["paxos.heartbeat-skip"]).toBeGreaterThan(20);
    // Followers that hear nothing elect new leaders, whose first heartbeats still go out: well under the run without the point.
    expect(on.report.messages["heartbeat"] ?? 0).toBeLessThan((off.report.messages["heartbeat"] ?? 0) * 0.6);
  }, 60_000);

  test("paxos.snapshot-small-chunks: a replica catching up gets the snapshot in eight times as many chunks", async () => {
    const yaml = readFileSync(new URL("../../scenarios/snapshot-sessions.yaml", import.meta.url), "utf8");
    const chunkCounts = (events: readonly Record<string, unknown>[]) =>
      new Set(events.filter((e) => e["type"] === "send" && (e["msg"] as { type: string }).type === "snapshot").map((e) => (e["msg"] as { chunkCount: number }).chunkCount));
    const off = await run(yaml, null);
    const on = await run(yaml, "paxos.snapshot-small-chunks");
    const before = Math.max(...chunkCounts(off.events));
    expect(before).toBeGreaterThan(1);
    expect(on.report.buggify?.["paxos.snapshot-small-chunks"]).toBeGreaterThan(0);
    expect(Math.max(...chunkCounts(on.events))).toBeGreaterThanOrEqual(before * 7);
    expect(on.report.messages["snapshot"]).toBeGreaterThan((off.report.messages["snapshot"] ?? 0) * 2);
    expect(failedChecks(on.report)).toEqual([]);
  }, 60_000);

  test("client.reconnect: the client's session moves from server to server, with no fault at all", async () => {
    const servers = (events: readonly Record<string, unknown>[]) =>
      new Set(events.filter((e) => e["type"] === "send" && e["from"] === "c1" && (e["msg"] as { type: string }).type === "zk-connect").map((e) => e["to"]));
    const off = await run(BASE, null);
    const on = await run(BASE, "client.reconnect");
    expect(servers(off.events).size).toBe(1);
    expect(on.report.buggify?.["client.reconnect"]).toBeGreaterThan(2);
    expect(servers(on.events).size).toBe(3);
    expect(failedChecks(on.report)).toEqual([]);
  }, 60_000);
});
