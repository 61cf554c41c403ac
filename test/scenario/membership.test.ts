import { readFileSync } from "node:fs";
import { expect, test } from "vitest";
import { parseScenario, runScenario } from "../../src/scenario/index.ts";
import { MemorySink, parseTrace } from "../../src/sim/index.ts";

/**
 * Cluster management (the cluster-membership scenario): members register in
 * /group and stand for primary; a balancer follows the group. The primary
 * crashes; once its session expires its node vanishes, the balancer stops
 * routing to it, and another member becomes primary.
 */
test("cluster-membership: the crashed primary leaves the balancer's view and its routes, and another member takes over (seed 1)", async () => {
  const scenario = parseScenario(readFileSync(new URL("../../scenarios/cluster-membership.yaml", import.meta.url), "utf8"), "cluster-membership.yaml");
  const sink = new MemorySink();
  const report = await runScenario(scenario, { traceSink: sink });
  expect(report.matched, `seed ${scenario.seed}`).toBe(true);
  const checks = Object.fromEntries(report.checks.map((c) => [c.name, c]));
  expect(checks["membership"]?.holds).toBe(true);
  expect(checks["membership-progress"]?.holds).toBe(true);
  const notes = parseTrace(sink.lines.join("\n"), "cluster-membership.jsonl").events.flatMap((e) => (e.type === "note" ? [e] : []));
  const elected = notes.filter((n) => n.kind === "elected").map((n) => ({ node: n.node, t: n.t }));
  expect(elected[0]?.node).toBe("c2");
  const crashUs = 2_000_000;
  const next = elected.find((e) => e.t > crashUs);
  expect(["c3", "c4"]).toContain(next?.node);
  // The balancer's first view without c2 comes after its session expired (1 s after the crash at least).
  const views = notes.filter((n) => n.kind === "members-seen").map((n) => ({ t: n.t, members: (n.data as { members: string[] }).members }));
  const without = views.find((v) => v.t > crashUs && !v.members.includes("c2"));
  expect(without?.t).toBeGreaterThan(crashUs + 1_000_000);
  const routes = notes.filter((n) => n.kind === "routed").map((n) => ({ t: n.t, member: (n.data as { member: string }).member }));
  expect(routes.filter((r) => r.member === "c2" && r.t > crashUs).length).toBeGreaterThan(0); // it did not know yet
  expect(routes.filter((r) => r.member === "c2" && r.t > (without?.t ?? 0))).toEqual([]);
  expect(new Set(routes.filter((r) => r.t > (without?.t ?? 0)).map((r) => r.member))).toEqual(new Set(["c3", "c4"]));
  // The new primary came no earlier than the view without c2's session.
  expect(next?.t).toBeGreaterThan(crashUs + 1_000_000);
});
