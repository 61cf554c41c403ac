import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import fc from "fast-check";
import { parse, stringify } from "yaml";
import { describe, expect, test } from "vitest";
import { mergeSweepRecords, sweepRecord, zkCaseArbitrary, zkCaseYaml, type SweepRecord, type SweepRecordConfig } from "../../src/explore/index.ts";
import { parseScenario, runScenario } from "../../src/scenario/index.ts";
import { BUGGIFY_POINT_NAMES } from "../../src/sim/index.ts";
import { zksim } from "../cli/zksim.ts";

/**
 * Fault points across the service and through sweeps: the correct service
 * holds every check with every point on; a swarm case enables a subset that
 * its scenario file carries; counts are summed into shard records, merged,
 * and the points that never fired are listed; bad input is refused with its
 * place.
 */

const dir = mkdtempSync(join(tmpdir(), "zksim-buggify-"));
const cli = (...args: string[]) => zksim({ cwd: dir, timeoutMs: 120_000 }, ...args);

describe("the correct service with every fault point on", () => {
  // The swarm cases of these seeds hold every check without fault points (see zk-search.test.ts).
  const SEEDS = Array.from({ length: 20 }, (_, k) => 1000 + k);

  test("holds every check in the swarm cases of seeds 1000 to 1019, each point active and firing one time in four", async () => {
    const fired: Record<string, number> = {};
    const failures: string[] = [];
    for (const seed of SEEDS) {
      const [drawn] = fc.sample(zkCaseArbitrary("swarm"), { seed, numRuns: 1 });
      const scenario = parse(zkCaseYaml(drawn as NonNullable<typeof drawn>)) as Record<string, unknown>;
      scenario["buggify"] = { points: "all", activate: 1, fire: 0.25 };
      const report = await runScenario(parseScenario(stringify(scenario), `seed-${seed}`));
      const failed = report.checks.filter((c) => !c.holds);
      if (failed.length > 0) failures.push(`seed ${seed} (swarm case, every point on): ${failed.map((c) => `${c.name}: ${c.detail ?? ""}`).join("; ")}`);
      for (const [point, n] of Object.entries(report.buggify ?? {})) fired[point] = (fired[point] ?? 0) + (n ?? 0);
    }
    expect(failures).toEqual([]);
    // Not vacuous: every point fired somewhere in these runs.
    expect(BUGGIFY_POINT_NAMES.filter((point) => (fired[point] ?? 0) === 0)).toEqual([]);
  }, 300_000);
});

describe("fault points in sweeps", () => {
  test("a swarm case enables a subset of the points and its scenario file carries it; without buggify the case is the one drawn before", () => {
    const plain = fc.sample(zkCaseArbitrary("swarm"), { seed: 3, numRuns: 30 });
    const withPoints = fc.sample(zkCaseArbitrary("swarm", true), { seed: 3, numRuns: 30 });
    expect(withPoints.map(({ buggify: _points, ...rest }) => rest)).toEqual(plain);
    const sizes = new Set(withPoints.map((c) => c.buggify?.length ?? 0));
    expect(sizes.has(0) && sizes.size > 2).toBe(true);
    const some = withPoints.find((c) => (c.buggify?.length ?? 0) > 0);
    const scenario = parseScenario(zkCaseYaml(some as NonNullable<typeof some>), "case");
    expect(scenario.buggify).toEqual({ points: some?.buggify, activate: 0.25, fire: 0.25 });
    expect(parseScenario(zkCaseYaml(plain[0] as NonNullable<(typeof plain)[0]>), "case").buggify).toBeUndefined();
    // The fixed mix enables every point when asked to.
    expect(fc.sample(zkCaseArbitrary("fixed", true), { seed: 3, numRuns: 3 }).map((c) => c.buggify)).toEqual([BUGGIFY_POINT_NAMES, BUGGIFY_POINT_NAMES, BUGGIFY_POINT_NAMES]);
  });

  const CONFIG: SweepRecordConfig = { target: "zookeeper", bugs: [], seed: 1, mix: "swarm", buggify: true, runs: 10, shardCount: 2, failuresMax: 1 };
  const record = (index: number, buggifyFired: Record<string, number>): SweepRecord =>
    sweepRecord(CONFIG, { index, count: 2 }, { runs: 5, stopped: "runs", timeMs: null, workers: 1, wallMs: 1000, failures: [], buggifyFired });

  test("zksim merge sums each point's count over the shards and lists the registry's points that never fired", () => {
    const a = record(0, { "zk.reply-delay": 3, "client.reconnect": 0 });
    const b = record(1, { "zk.reply-delay": 2, "paxos.heartbeat-skip": 4 });
    const { merged } = mergeSweepRecords([
      { source: "a", record: a },
      { source: "b", record: b },
    ]);
    expect(merged?.buggify).toBe(true);
    expect(merged?.buggifyFired).toEqual({ "zk.reply-delay": 5, "paxos.heartbeat-skip": 4, "client.reconnect": 0 });
    expect(merged?.buggifyNeverFired).toEqual(["zk.batch-short", "zk.touch-lost", "paxos.snapshot-small-chunks", "client.reconnect"]);
    const off = mergeSweepRecords([
      { source: "a", record: a },
      { source: "b", record: { ...b, config: { ...CONFIG, buggify: false } } },
    ]);
    expect(off.problems).toEqual(["b was run with another configuration than a: buggify false against true"]);
  });

  test("explore zookeeper --buggify on writes every point's count in its record and JSON summary; merge lists those that never fired", () => {
    const out = join(dir, "sweep");
    const r = cli("explore", "zookeeper", "--runs", "2", "--seed", "1000", "--mix", "fixed", "--buggify", "on", "--workers", "1", "--out", out, "--json");
    expect(r.stderr).toBe("");
    expect(r.status).toBe(0);
    const summary = JSON.parse(r.stdout) as { buggify: boolean; buggifyFired: Record<string, number>; buggifyNeverFired: string[] };
    const shard = JSON.parse(readFileSync(join(out, "shard-0-of-1.json"), "utf8")) as SweepRecord;
    expect(shard.config.buggify).toBe(true);
    expect(Object.keys(shard.buggifyFired).sort()).toEqual([...BUGGIFY_POINT_NAMES].sort());
    expect(summary.buggify).toBe(true);
    expect(summary.buggifyFired).toEqual(shard.buggifyFired);
    expect(summary.buggifyNeverFired).toEqual(BUGGIFY_POINT_NAMES.filter((p) => shard.buggifyFired[p] === 0));
    const merged = cli("merge", out);
    expect(merged.status).toBe(0);
    expect(merged.stdout).toMatch(/^ {2}fault points: /m);
    for (const point of summary.buggifyNeverFired) expect(merged.stdout).toContain(point);
    const off = cli("explore", "zookeeper", "--runs", "1", "--seed", "1000", "--buggify", "off", "--workers", "1");
    expect(off.stdout).toContain("  fault points: off");
  }, 240_000);

  test("a bad --buggify, or one for explore paxos, exits 2 naming the flag", () => {
    const bad = cli("explore", "zookeeper", "--buggify", "sometimes");
    expect(bad.status).toBe(2);
    expect(bad.stderr).toContain("--buggify: expected on or off, got 'sometimes'");
    const paxos = cli("explore", "paxos", "--buggify", "on");
    expect(paxos.status).toBe(2);
    expect(paxos.stderr).toContain("--buggify: explore paxos runs no fault points");
  });
});

describe("buggify: in a scenario file", () => {
  const SCENARIO = `name: t
description: a test
duration: 1s
servers: { count: 3 }
clients:
  - count: 1
    workload: { kind: register, ops: 10, every: 5ms }
`;
  const write = (name: string, text: string) => {
    const path = join(dir, name);
    writeFileSync(path, text);
    return path;
  };

  test("zksim run lists each enabled point's fired count, in the report and in --json", () => {
    const file = write("on.yaml", `${SCENARIO}buggify: { points: [zk.reply-delay, client.reconnect], activate: 1, fire: 0.5 }\n`);
    const json = cli("run", file, "--json", "--quiet");
    expect(json.status).toBe(0);
    const report = JSON.parse(json.stdout) as { buggify: Record<string, number> };
    expect(Object.keys(report.buggify)).toEqual(["zk.reply-delay", "client.reconnect"]);
    expect(report.buggify["zk.reply-delay"]).toBeGreaterThan(0);
    const text = cli("run", file);
    expect(text.stdout).toContain(`  fault points fired: zk.reply-delay ${report.buggify["zk.reply-delay"]}, client.reconnect ${report.buggify["client.reconnect"]}`);
  });

  test.each([
    ["an unknown point", "buggify: { points: [zk.reply-delay, zk.nap] }", `bad.yaml:8: buggify.points[1]: unknown fault point "zk.nap"; expected one of ${BUGGIFY_POINT_NAMES.join(", ")}`],
    ["points that are neither all nor a list", "buggify: { points: some }", `bad.yaml:8: buggify.points: expected all, or a list of fault points from: ${BUGGIFY_POINT_NAMES.join(", ")}`],
    ["a rate above 1", "buggify: { points: all, fire: 2 }", "bad.yaml:8: buggify.fire: "],
    ["an unknown field", "buggify: { points: all, often: true }", 'bad.yaml:8: buggify: unknown field "often"'],
  ])("%s exits 2 with the file, the line and the field", (_what, line, message) => {
    const r = cli("run", write("bad.yaml", `${SCENARIO}${line}\n`));
    expect(r.status).toBe(2);
    expect(r.stdout).toBe("");
    expect(r.stderr).toContain(message);
  });
});
