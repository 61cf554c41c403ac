import fc from "fast-check";
import { stringify } from "yaml";
import { describe, expect, test } from "vitest";
import { parseScenario, runScenario, ScenarioError } from "../../src/scenario/index.ts";

/**
 * The schema is the only gate between a scenario file and the engine: a
 * scenario it accepts must build and run (the engine's and the Paxos
 * configuration's own checks never fire, no assertion trips at start-up, no
 * zero-delay loop stalls the clock), and anything else must be a
 * ScenarioError. Cases mix ordinary values with the edges: 0, 1 µs, more
 * than the engine allows.
 */

const tiny = ["0us", "1us", "999us", "1ms", "1001us"];
const ordinary = ["20ms", "50ms", "200ms", "400ms"];
const huge = ["15m", "31m", "60m"];
const duration = fc.oneof({ weight: 1, arbitrary: fc.constantFrom(...tiny) }, { weight: 5, arbitrary: fc.constantFrom(...ordinary) }, { weight: 1, arbitrary: fc.constantFrom(...huge) });

const latency = fc.oneof(
  fc.record({ kind: fc.constant("constant"), value: duration }),
  fc.record({ kind: fc.constant("uniform"), min: duration, max: duration }),
  fc.record({ kind: fc.constant("normal"), mean: duration, stddev: duration, min: fc.option(duration, { nil: undefined }), max: fc.option(duration, { nil: undefined }) }),
  fc.record({ kind: fc.constant("exponential"), mean: duration, max: fc.option(duration, { nil: undefined }) }),
);

const optional = <T>(arb: fc.Arbitrary<T>) => fc.option(arb, { nil: undefined, freq: 2 });

const scenarioArb = fc
  .record({
    system: fc.constantFrom("zookeeper", "paxos"),
    count: fc.oneof({ weight: 4, arbitrary: fc.integer({ min: 1, max: 9 }) }, { weight: 1, arbitrary: fc.integer({ min: 10, max: 15 }) }),
    tick: optional(duration),
    heartbeat: optional(duration),
    electionTimeout: optional(fc.tuple(duration, duration)),
    latency: optional(latency),
    clients: fc.oneof({ weight: 6, arbitrary: fc.integer({ min: 1, max: 5 }) }, { weight: 1, arbitrary: fc.integer({ min: 240, max: 300 }) }),
    sessionTimeout: optional(duration),
    every: optional(duration),
    nemesis: optional(duration),
    fault: optional(
      fc.oneof(
        fc.constantFrom("-99999999s", "-60m", "-1ms", "0s", "61m").map((by) => ({ skew: { node: "s1", by } })),
        fc.constantFrom({ cut: { from: "s1", to: "s1" } }, { cut: { from: "leader", to: "s1" } }, { cut: { from: "s1", to: "leader" } }, { crash: "leader" }, { isolate: "leader" }),
        fc.constantFrom({ partition: [["s1"], ["s1"]] }, { partition: [["s1", "s1"]] }, { partition: [["s1"]] }),
      ),
    ),
  })
  .map((c) => {
    const servers = { count: c.count, ...(c.tick === undefined || c.system === "paxos" ? {} : { tick: c.tick }), ...(c.heartbeat === undefined ? {} : { heartbeat: c.heartbeat }), ...(c.electionTimeout === undefined ? {} : { electionTimeout: c.electionTimeout }) };
    return {
      name: "edge",
      description: "an edge case",
      system: c.system,
      duration: "3ms",
      servers,
      ...(c.latency === undefined ? {} : { network: { latency: Object.fromEntries(Object.entries(c.latency).filter(([, v]) => v !== undefined)) } }),
      ...(c.system === "zookeeper"
        ? { clients: [{ count: c.clients, ...(c.sessionTimeout === undefined ? {} : { sessionTimeout: c.sessionTimeout }), workload: { kind: "register", ops: 3, ...(c.every === undefined ? {} : { every: c.every }) } }] }
        : { proposals: c.every === undefined ? { at: [{ at: "1ms", node: "s1" }] } : { every: c.every } }),
      ...(c.nemesis === undefined ? {} : { nemesis: { every: c.nemesis, until: "2ms" } }),
      ...(c.fault === undefined ? {} : { faults: [{ at: "1ms", ...c.fault }] }),
    };
  });

describe("every scenario the schema accepts runs", () => {
  test("edge values either are a ScenarioError at parse time or run without an engine error (fast-check seed 1, 150 cases)", async () => {
    let accepted = 0;
    await fc.assert(
      fc.asyncProperty(scenarioArb, async (input) => {
        const text = stringify(input);
        let scenario;
        try {
          scenario = parseScenario(text, "edge.yaml");
        } catch (error) {
          if (error instanceof ScenarioError) return;
          throw error;
        }
        accepted++;
        await runScenario(scenario);
      }),
      { seed: 1, numRuns: 150 },
    );
    // The property is not vacuous: some cases got through to a run.
    expect(accepted).toBeGreaterThan(20);
  });
});
