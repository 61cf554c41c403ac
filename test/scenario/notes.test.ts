import { readFileSync } from "node:fs";
import { expect, test } from "vitest";
import { clientNoteSchema, isClientNoteKind } from "../../src/client/index.ts";
import { isPaxosNoteKind, paxosNoteSchema } from "../../src/paxos/index.ts";
import { buildScenario, parseScenario } from "../../src/scenario/index.ts";
import { isZkNoteKind, zkNoteSchema } from "../../src/zk/index.ts";

/**
 * Every note the service, the replicas, the clients and the recipes write
 * has the shape its layer's schema gives: the checkers and the viewer read
 * them through those schemas, so a field written under another name must
 * fail here rather than switch a check off.
 */
const load = (name: string) => parseScenario(readFileSync(new URL(`../../scenarios/${name}.yaml`, import.meta.url), "utf8"), name);

test("every note of the default, lock, election and Paxos scenarios matches its schema, and every kind the checks read appears", async () => {
  const seen = new Set<string>();
  const problems: string[] = [];
  for (const name of ["default", "lock-connection-loss", "session-expiry-partition", "basic-paxos", "snapshot-sessions"]) {
    const run = buildScenario(load(name));
    run.sim.subscribe((event) => {
      if (event.type !== "note") return;
      const schema = isPaxosNoteKind(event.kind) ? paxosNoteSchema : isZkNoteKind(event.kind) ? zkNoteSchema : isClientNoteKind(event.kind) ? clientNoteSchema : null;
      if (schema === null) return; // a workload's own note
      seen.add(event.kind);
      const parsed = schema.safeParse({ kind: event.kind, data: event.data });
      if (!parsed.success && problems.length < 5) problems.push(`${name}: ${event.node} at ${event.t} µs wrote ${event.kind} ${JSON.stringify(event.data)}: ${parsed.error.message}`);
    });
    await run.runTo(run.scenario.duration);
  }
  expect(problems).toEqual([]);
  for (const kind of ["promise", "accept", "apply", "role", "install", "snapshot", "zk-apply", "zk-invoke", "zk-complete", "lock-wanted", "lock-acquired", "lock-released", "elected", "workload-done", "outcome"]) {
    expect(seen, kind).toContain(kind);
  }
});
