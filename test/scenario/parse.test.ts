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

  test("the JSON Schema describes the fields", () => {
    const schema = scenarioJsonSchema() as { properties: Record<string, unknown>; additionalProperties: unknown };
    expect(Object.keys(schema.properties)).toEqual(expect.arrayContaining(["name", "description", "seed", "duration", "servers", "clients", "faults", "checks", "expect"]));
    expect(schema.additionalProperties).toBe(false);
  });
});
