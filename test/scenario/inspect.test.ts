import { readFileSync } from "node:fs";
import { expect, test } from "vitest";
import { buildScenario, parseScenario } from "../../src/scenario/index.ts";

const load = (name: string) => parseScenario(readFileSync(new URL(`../../scenarios/${name}.yaml`, import.meta.url), "utf8"), name);

interface Inspectable {
  inspect(): unknown;
}

function inspectAll(run: ReturnType<typeof buildScenario>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const id of run.sim.nodeIds) {
    const node = run.sim.nodeObject(id) as Partial<Inspectable> | null;
    out[id] = node === null ? { status: run.sim.status(id) } : (node.inspect?.() ?? null);
  }
  return out;
}

test("every node of the default scenario shows itself as plain data; after the leader's crash another server leads (seed 1)", async () => {
  const run = buildScenario(load("default"));
  await run.runTo(1_900_000);
  const before = inspectAll(run);
  const leaderBefore = run.leader();
  await run.runTo(3_000_000);
  const after = inspectAll(run);
  for (const image of [before, after]) {
    // Plain data: it survives JSON as it is (what crosses to the page from a Worker).
    expect(JSON.parse(JSON.stringify(image))).toEqual(image);
    for (const [id, node] of Object.entries(image)) expect(node, id).not.toBeNull();
  }
  const leaderAfter = Object.entries(after).find(([, node]) => (node as { paxos?: { proposer: { role: string } } }).paxos?.proposer.role === "leader")?.[0];
  expect(leaderBefore).not.toBeNull();
  expect(leaderAfter).toBeDefined();
  expect(leaderAfter).not.toBe(leaderBefore);
  expect(after[leaderBefore as string]).toEqual({ status: "crashed" });
  const server = after[leaderAfter as string] as { znodes: { path: string }[]; sessions: unknown[]; connections: unknown[] };
  expect(server.znodes.map((n) => n.path)).toContain("/lock");
  expect(server.sessions.length).toBeGreaterThan(0);
  const client = after["c1"] as { kind: string; state: string };
  expect(client.kind).toBe("zk-client");
});
