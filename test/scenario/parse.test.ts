import { describe, expect, test } from "vitest";
import { parseScenario, ScenarioError, scenarioJsonSchema } from "../../src/scenario/index.ts";

const VALID = `name: t
description: a test
duration: 2s
servers: { count: 3 }
clients:
  - count: 2
    workload: { kind: register, ops: 10, every: 5ms }
faults:
  - { at: 500ms, crash: leader }
  - { at: 1s, partition: [[s1], [s2, s3]] }
`;

function problems(text: string): string[] {
  try {
    parseScenario(text, "t.yaml");
  } catch (error) {
    if (error instanceof ScenarioError) return error.message.split("\n");
    throw error;
  }
  throw new Error("expected a ScenarioError");
}

describe("scenario files", () => {
  test("a valid file parses, with durations in µs and defaults filled in", () => {
    const s = parseScenario(VALID, "t.yaml");
    expect(s.duration).toBe(2_000_000);
    expect(s.faults?.[0]).toEqual({ at: 500_000, crash: "leader" });
    expect(s.seed).toBe(1);
    expect(s.expect).toBe("pass");
    expect(s.system).toBe("zookeeper");
  });

  test("an unknown field is an error at its line, not ignored", () => {
    expect(problems(VALID.replace("servers: { count: 3 }", "servers: { count: 3, colour: red }"))).toEqual(['t.yaml:4: servers: unknown field "colour"']);
  });

  test("a bad duration names the line, the field and the expected form", () => {
    expect(problems(VALID.replace("duration: 2s", "duration: 2 seconds"))).toEqual(['t.yaml:3: duration: expected a duration such as "250ms", "2s" or "1m"']);
  });

  test("a wrong type, a missing field and an unknown workload are each reported", () => {
    const out = problems(VALID.replace("description: a test\n", "").replace("count: 2", "count: two").replace("kind: register", "kind: queue"));
    expect(out.some((line) => /^t\.yaml:\d+: description: /.test(line))).toBe(true);
    expect(out.some((line) => /^t\.yaml:5: clients\[0\]\.count: /.test(line))).toBe(true);
    expect(out.some((line) => /^t\.yaml:6: clients\[0\]\.workload\.kind: /.test(line))).toBe(true);
  });

  test("a fault entry needs exactly one fault", () => {
    expect(problems(VALID.replace("{ at: 500ms, crash: leader }", "{ at: 500ms, crash: s1, heal: true }"))[0]).toMatch(/^t\.yaml:9: faults\[0\]: expected exactly one fault/);
  });

  test("a fault naming a node the scenario does not have is an error at its line", () => {
    expect(problems(VALID.replace("{ at: 500ms, crash: leader }", "{ at: 500ms, crash: s9 }"))).toEqual(['t.yaml:9: faults[0].crash: unknown node "s9"; expected one of s1, s2, s3, c1, c2, or leader']);
    expect(problems(VALID.replace("partition: [[s1], [s2, s3]]", "partition: [[s1], [s2, c7]]"))[0]).toMatch(/^t\.yaml:10: faults\[1\]\.partition\[1\]\[1\]: unknown node "c7"/);
  });

  test("a client's server index, a paxos-only check list and expect are checked against the scenario", () => {
    expect(problems(VALID.replace("  - count: 2\n", "  - count: 2\n    server: 3\n"))).toEqual(["t.yaml:7: clients[0].server: there are 3 servers: expected an index from 0 to 2"]);
    expect(problems(`${VALID}expect: lock-exclusiv\n`)[0]).toMatch(/^t\.yaml:11: expect: expected pass, or the name of a check that must fail: paxos-safety, /);
  });

  test("a mix names only the workload's operations", () => {
    expect(problems(VALID.replace("ops: 10, every: 5ms", "ops: 10, mix: { read: 50, delete: 50 }"))[0]).toMatch(/^t\.yaml:7: clients\[0\]\.workload\.mix\.delete: unknown operation "delete"; expected read, write, cas/);
  });

  test("broken YAML is reported with its line", () => {
    expect(problems("name: t\ndescription: [unclosed\nduration: 2s\n")[0]).toMatch(/^t\.yaml:\d+: YAML: /);
  });

  test("a YAML alias bomb is one problem at its first alias, not a ReferenceError", () => {
    let bomb = "name: t\ndescription: x\nduration: 1s\na0: &a0 [x, x, x, x, x, x, x, x, x, x]\n";
    for (let i = 1; i < 10; i++) bomb += `a${i}: &a${i} [${Array.from({ length: 10 }, () => `*a${i - 1}`).join(", ")}]\n`;
    expect(problems(bomb)).toEqual(["t.yaml:5: YAML: the aliases expand too far (more than 100 nodes, a guard against alias bombs), from *a0 on; expected a scenario that repeats little"]);
  });

  test("the JSON Schema describes the fields", () => {
    const schema = scenarioJsonSchema() as { properties: Record<string, unknown>; additionalProperties: unknown };
    expect(Object.keys(schema.properties)).toEqual(expect.arrayContaining(["name", "description", "seed", "duration", "servers", "clients", "faults", "checks", "expect"]));
    expect(schema.additionalProperties).toBe(false);
  });
});

/** A paxos scenario, for the settings of the bare log. */
const PAXOS = `name: p
description: a test
system: paxos
duration: 2s
servers: { count: 3 }
proposals: { every: 10ms }
`;

describe("values that validate but the engine cannot run are refused at their line", () => {
  test("more servers than the Paxos log runs (it runs 1 to 9)", () => {
    for (const count of [10, 15]) expect(problems(PAXOS.replace("count: 3", `count: ${count}`))).toEqual(["t.yaml:5: servers.count: at most 9: the Paxos log runs 1 to 9 servers"]);
    expect(parseScenario(PAXOS.replace("count: 3", "count: 9"), "t.yaml").servers.count).toBe(9);
  });

  test("a heartbeat of 0, or one not below the election timeout", () => {
    expect(problems(PAXOS.replace("count: 3", "count: 3, heartbeat: 0us"))).toEqual(["t.yaml:5: servers.heartbeat: expected at least 1ms (a leader sends a heartbeat to every follower each period)"]);
    expect(problems(VALID.replace("count: 3", "count: 3, heartbeat: 400ms"))).toEqual([
      "t.yaml:4: servers.heartbeat: expected less than the election timeout's minimum (300ms, the default for system zookeeper): followers would time out between heartbeats",
    ]);
  });

  test("an election timeout with min above max, or zero", () => {
    expect(problems(PAXOS.replace("count: 3", "count: 3, electionTimeout: [500ms, 200ms]"))).toEqual(["t.yaml:5: servers.electionTimeout[1]: expected at least the minimum before it (500ms)"]);
    expect(problems(PAXOS.replace("count: 3", "count: 3, electionTimeout: [0ms, 0ms]"))).toEqual([
      "t.yaml:5: servers.electionTimeout[0]: expected more than the default heartbeat, 50ms: followers would time out between heartbeats",
    ]);
    expect(problems(PAXOS.replace("count: 3", "count: 3, heartbeat: 20ms, electionTimeout: [20ms, 40ms]"))).toEqual([
      "t.yaml:5: servers.electionTimeout[0]: expected more than the heartbeat, 20ms: followers would time out between heartbeats",
    ]);
  });

  test("a clock step beyond an hour is a problem, not an exception thrown from a transform", () => {
    expect(problems(`${VALID}  - { at: 1s, skew: { node: s1, by: -99999999s } }\n`)).toEqual(["t.yaml:11: faults[2].skew.by: at most 1m·60 (an hour) either way"]);
    expect(problems(`${VALID}  - { at: 1s, skew: { node: s1, by: ${"9".repeat(400)}s } }\n`)).toEqual(["t.yaml:11: faults[2].skew.by: at most 1m·60 (an hour) either way"]);
    expect(parseScenario(`${VALID}  - { at: 1s, skew: { node: s1, by: -60m } }\n`, "t.yaml").faults?.[2]?.skew?.by).toBe(-3_600_000_000);
  });

  test("proposals every 0 is refused rather than silently meaning none", () => {
    expect(problems(PAXOS.replace("every: 10ms", "every: 0us"))).toEqual(["t.yaml:6: proposals.every: expected at least 1ms (leave every out for no periodic proposals)"]);
  });

  test("a tick or session timeout that cannot make progress (0, 1us) or is not whole milliseconds", () => {
    expect(problems(VALID.replace("count: 3", "count: 3, tick: 0ms"))).toEqual(["t.yaml:4: servers.tick: expected at least 1ms"]);
    expect(problems(VALID.replace("count: 3", "count: 3, tick: 1us"))).toEqual(["t.yaml:4: servers.tick: expected at least 1ms"]);
    expect(problems(VALID.replace("count: 3", "count: 3, tick: 1001us"))).toEqual(["t.yaml:4: servers.tick: expected a whole number of milliseconds, such as 200ms or 2s"]);
    expect(problems(VALID.replace("  - count: 2\n", "  - count: 2\n    sessionTimeout: 0ms\n"))).toEqual(["t.yaml:7: clients[0].sessionTimeout: expected at least 1ms"]);
  });

  test("a nemesis that would act every microsecond, or wait longer than the engine allows", () => {
    expect(problems(`${VALID}nemesis: { every: 0ms, until: 1s }\n`)).toEqual(["t.yaml:11: nemesis.every: expected at least 1ms"]);
    expect(problems(`${VALID}nemesis: { every: 40m, until: 1s }\n`)).toEqual(["t.yaml:11: nemesis.every: at most 30m (the nemesis waits up to twice as long)"]);
  });

  test("engine limits are named by the scenario's fields, not the engine's (maxUs, nodes)", () => {
    expect(problems(`${VALID}network: { latency: { kind: uniform, min: 5ms, max: 1ms } }\n`)).toEqual(["t.yaml:11: network.latency.max: expected at least min (5ms)"]);
    expect(problems(`${VALID}network: { latency: { kind: normal, mean: 20m, stddev: 1ms } }\n`)).toEqual(["t.yaml:11: network.latency.mean: at most 15m without a max (the default max is 4·mean, at most an hour)"]);
    expect(problems(`${VALID}network: { latency: { kind: normal, mean: 1ms, stddev: 1ms, min: 5ms } }\n`)).toEqual(["t.yaml:11: network.latency.min: min (5ms) must not exceed max (4ms, 4·mean)"]);
    expect(problems(`${VALID}network: { latency: { kind: exponential, mean: 7m } }\n`)).toEqual(["t.yaml:11: network.latency.mean: at most 6m without a max (the default max is 10·mean, at most an hour)"]);
    expect(problems(VALID.replace("count: 2", "count: 300").replace("faults:\n  - { at: 500ms, crash: leader }\n  - { at: 1s, partition: [[s1], [s2, s3]] }\n", ""))).toEqual([
      "t.yaml:6: clients: 300 clients in all: expected at most 253 (a run simulates at most 256 servers, clients and storage nodes)",
    ]);
    expect(problems(VALID.replace("count: 3", "count: 3, snapshotEvery: 2000000"))).toEqual(["t.yaml:4: servers.snapshotEvery: at most 1000000 (the log keeps that many entries between snapshots)"]);
  });

  test("a cut from a node to itself or from the leader, and a node in two partition groups (engine errors before)", () => {
    expect(problems(VALID.replace("{ at: 1s, partition: [[s1], [s2, s3]] }", "{ at: 1s, cut: { from: s1, to: s1 } }"))).toEqual(["t.yaml:10: faults[1].cut.to: expected a node other than from (s1): a cut is between two nodes"]);
    expect(problems(VALID.replace("{ at: 1s, partition: [[s1], [s2, s3]] }", "{ at: 1s, cut: { from: leader, to: s1 } }"))).toEqual([
      "t.yaml:10: faults[1].cut.from: a cut names nodes, not the leader (crash, restart, pause, resume, isolate and skew may name it)",
    ]);
    expect(problems(VALID.replace("partition: [[s1], [s2, s3]]", "partition: [[s1], [s2, s1]]"))).toEqual(['t.yaml:10: faults[1].partition[1][1]: "s1" is in group 0 already: a node is in one group at most']);
  });

  test("a name too long for a trace's file name", () => {
    expect(problems(VALID.replace("name: t", `name: ${"n".repeat(101)}`))).toEqual(["t.yaml:1: name: at most 100 characters (the name is part of the trace's file name)"]);
  });
});
