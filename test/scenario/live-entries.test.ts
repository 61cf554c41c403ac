import { describe, expect, test } from "vitest";
import { entryInput, parseScenario, ScenarioError, scenarioJsonSchema, type FaultEntry } from "../../src/scenario/index.ts";

/** The fault entries of live runs in scenario files: live: true, drop, duplicate, delay, request. */

const HEAD = `name: t
description: a test
duration: 2s
servers: { count: 3 }
clients:
  - count: 2
    workload: { kind: znode, ops: 10, every: 5ms }
faults:
`;

function parsed(faults: string): FaultEntry[] {
  return parseScenario(`${HEAD}${faults}`, "t.yaml").faults ?? [];
}

function problems(faults: string, head = HEAD): string[] {
  try {
    parseScenario(`${head}${faults}`, "t.yaml");
  } catch (error) {
    if (error instanceof ScenarioError) return error.message.split("\n");
    throw error;
  }
  throw new Error("expected a ScenarioError");
}

describe("live fault entries in scenario files", () => {
  test("each new kind parses, with durations in µs and each operation's defaults filled in", () => {
    const entries = parsed(`  - { at: 1s, live: true, crash: s2 }
  - { at: 2419449us, drop: 1234 }
  - { at: 2419449us, duplicate: 77 }
  - { at: 1500ms, delay: { message: 1234, by: 20ms } }
  - { at: 1500ms, request: { client: c1, op: create, path: /x, data: v, ephemeral: true } }
  - { at: 1600ms, request: { client: c2, op: setData, path: /x, data: w, version: 3 } }
  - { at: 1700ms, request: { client: c2, op: getData, path: /x, watch: true } }
  - { at: 1800ms, request: { client: c1, op: delete, path: /x } }
  - { at: 1900ms, request: { client: c1, op: sync, path: / } }
`);
    expect(entries).toEqual([
      { at: 1_000_000, live: true, crash: "s2" },
      { at: 2_419_449, drop: 1234 },
      { at: 2_419_449, duplicate: 77 },
      { at: 1_500_000, delay: { message: 1234, by: 20_000 } },
      { at: 1_500_000, request: { client: "c1", op: "create", path: "/x", data: "v", ephemeral: true, sequential: false } },
      { at: 1_600_000, request: { client: "c2", op: "setData", path: "/x", data: "w", version: 3 } },
      { at: 1_700_000, request: { client: "c2", op: "getData", path: "/x", watch: true } },
      { at: 1_800_000, request: { client: "c1", op: "delete", path: "/x", version: -1 } },
      { at: 1_900_000, request: { client: "c1", op: "sync", path: "/" } },
    ]);
    // Written back as a file writes them, each parses to itself.
    for (const entry of entries) expect(parsed(`  - ${JSON.stringify(entryInput(entry))}\n`)).toEqual([entry]);
  });

  test("a message id that is not a whole number, and a delay without its amount, are errors at their line", () => {
    expect(problems("  - { at: 1s, drop: first }\n")).toEqual(["t.yaml:9: faults[0].drop: expected a message id (the id of a send in the trace), such as 1234"]);
    expect(problems("  - { at: 1s, crash: s1 }\n  - { at: 1s, delay: { message: 12 } }\n")).toEqual(["t.yaml:10: faults[1].delay.by: expected a duration such as \"250ms\", \"2s\" or \"1m\""]);
    expect(problems("  - { at: 1s, delay: { message: 12, by: 0ms } }\n")).toEqual(["t.yaml:9: faults[0].delay.by: expected at least 1us"]);
  });

  test("a request names a client of the scenario, not a server, the storage node or the leader", () => {
    expect(problems("  - { at: 1s, request: { client: c3, op: sync, path: / } }\n")).toEqual(['t.yaml:9: faults[0].request.client: unknown client "c3"; expected a client, c1 to c2']);
    expect(problems("  - { at: 1s, request: { client: s1, op: sync, path: / } }\n")).toEqual(['t.yaml:9: faults[0].request.client: "s1" is a server, not a client; expected a client, c1 to c2']);
    expect(problems("  - { at: 1s, request: { client: leader, op: sync, path: / } }\n")).toEqual(['t.yaml:9: faults[0].request.client: "leader" is a server, not a client; expected a client, c1 to c2']);
  });

  test("a request's operation, its fields and its path are checked, each at its line", () => {
    expect(problems("  - { at: 1s, request: { client: c1, op: frobnicate, path: /x } }\n")).toEqual([
      "t.yaml:9: faults[0].request.op: expected op: create, setData, getData, exists, getChildren, delete, sync (and client:, path:, and the fields the operation takes)",
    ]);
    expect(problems("  - { at: 1s, request: { client: c1, op: getData, path: /x, data: y } }\n")).toEqual(['t.yaml:9: faults[0].request: unknown field "data"']);
    expect(problems("  - { at: 1s, request: { client: c1, op: create, path: x } }\n")).toEqual([
      "t.yaml:9: faults[0].request.path: expected a znode path such as /app/config: Path must start with / character",
    ]);
    expect(problems("  - { at: 1s, request: { client: c1, op: setData, path: /x, version: -2 } }\n")).toEqual([
      "t.yaml:9: faults[0].request.version: expected a version: -1 (any) or a number from 0",
    ]);
  });

  test("the always-live kinds refuse live: false, and an entry holds one fault", () => {
    expect(problems("  - { at: 1s, live: false, drop: 3 }\n")).toEqual(["t.yaml:9: faults[0].live: a drop is always applied live: leave live out, or write live: true"]);
    expect(problems("  - { at: 1s, drop: 3, crash: s1 }\n")).toEqual([
      't.yaml:9: faults[0]: expected exactly one fault (crash, restart, pause, resume, isolate, partition, cut, heal, skew, network, drop, duplicate, delay or request) besides "at" and "live", got crash, drop',
    ]);
  });

  test("a Paxos scenario has no clients to issue a request", () => {
    const paxos = `name: t
description: a test
system: paxos
duration: 2s
proposals: { every: 10ms }
faults:
`;
    expect(problems("  - { at: 1s, request: { client: c1, op: sync, path: / } }\n", paxos)).toEqual(["t.yaml:7: faults[0].request: a request is issued by a ZooKeeper client: a paxos scenario has none"]);
  });

  test("zksim schema describes the new entries for editors", () => {
    const schema = JSON.stringify(scenarioJsonSchema());
    for (const field of ['"live"', '"drop"', '"duplicate"', '"delay"', '"request"', '"getChildren"']) expect(schema).toContain(field);
  });
});
