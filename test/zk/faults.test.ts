import fc from "fast-check";
import { describe, expect, test } from "vitest";
import { buildZkCluster, ZkError, type ZooKeeper } from "../../src/client/index.ts";
import type { Fault, ScheduledFault, TraceEvent } from "../../src/sim/index.ts";
import { OPEN_ACL, type CreateMode } from "../../src/zk/index.ts";

/**
 * The service under random faults: servers crash and restart, pause, lose
 * their links, drift; clients lose theirs. Whatever happens, replicas that
 * applied the same zxid hold the same tree (equal digests), and once the
 * faults stop every replica catches up to the same tree.
 */

interface FaultCase {
  readonly seed: number;
  readonly serverCount: number;
  readonly lossPercent: number;
  readonly schedule: readonly ScheduledFault[];
}

const CLIENT_COUNT = 4;
const CALM_US = 4_000_000;
const END_US = 12_000_000;

function caseArbitrary(): fc.Arbitrary<FaultCase> {
  return fc.record({ seed: fc.nat(2 ** 31 - 1), serverCount: fc.constantFrom(3, 5), lossPercent: fc.constantFrom(0, 0, 1, 3) }).chain(({ seed, serverCount, lossPercent }) => {
    const server = fc.integer({ min: 1, max: serverCount }).map((i) => `s${i}`);
    const client = fc.integer({ min: 1, max: CLIENT_COUNT }).map((i) => `c${i}`);
    const fault: fc.Arbitrary<Fault> = fc.oneof(
      server.map((node): Fault => ({ type: "crash", node })),
      server.map((node): Fault => ({ type: "restart", node })),
      server.map((node): Fault => ({ type: "pause", node })),
      server.map((node): Fault => ({ type: "resume", node })),
      server.map((node): Fault => ({ type: "isolate", node })),
      client.map((node): Fault => ({ type: "isolate", node })),
      fc.constant<Fault>({ type: "heal" }),
      fc.tuple(server, fc.integer({ min: -200_000, max: 200_000 }), fc.integer({ min: -50_000, max: 50_000 })).map(([node, skewUs, driftPpm]): Fault => ({ type: "clock", node, skewUs, driftPpm })),
    );
    const scheduled = fc.record({ atUs: fc.integer({ min: 200_000, max: CALM_US - 1 }), fault });
    return fc.array(scheduled, { maxLength: 12 }).map((schedule) => ({ seed, serverCount, lossPercent, schedule: [...schedule].sort((a, b) => a.atUs - b.atUs) }));
  });
}

/** Heals everything at the calm point: links, paused and crashed servers, clocks. */
function calm(c: FaultCase): ScheduledFault[] {
  const servers = Array.from({ length: c.serverCount }, (_, i) => `s${i + 1}`);
  const faults: Fault[] = [{ type: "heal" }, { type: "network", loss: 0 }];
  for (const node of servers) faults.push({ type: "resume", node }, { type: "restart", node }, { type: "clock", node, driftPpm: 0 });
  return faults.map((fault) => ({ atUs: CALM_US, fault }));
}

async function workload(zk: ZooKeeper, p: { rng: { below(n: number): number }; sleep(ms: number): Promise<void> }, k: number): Promise<void> {
  const paths = ["/a", "/a/x", "/b", "/e", "/s"];
  for (let i = 0; i < 60 && zk.state !== "Expired" && zk.state !== "Closed"; i++) {
    const path = paths[p.rng.below(paths.length)] as string;
    const mode: CreateMode = (["PERSISTENT", "EPHEMERAL", "PERSISTENT_SEQUENTIAL"] as const)[p.rng.below(3)] as CreateMode;
    try {
      switch (p.rng.below(4)) {
        case 0:
          await zk.create(path, `${k}.${i}`, { mode });
          break;
        case 1:
          await zk.setData(path, `${k}.${i}`, p.rng.below(3) - 1);
          break;
        case 2:
          await zk.delete(path, -1);
          break;
        default:
          await zk.multi([
            { op: "create", path: `${path}-m`, data: null, acl: OPEN_ACL, mode: "PERSISTENT" },
            { op: "setData", path, data: `${k}.${i}`, version: -1 },
          ]);
      }
    } catch (error) {
      if (!(error instanceof ZkError)) throw error;
    }
    await p.sleep(10 + p.rng.below(40));
  }
}

async function runCase(c: FaultCase): Promise<string[]> {
  const cluster = buildZkCluster({
    engine: { seed: c.seed, network: { latency: { kind: "uniform", minUs: 200, maxUs: 3_000 }, loss: c.lossPercent / 100 }, faults: [...c.schedule, ...calm(c)] },
    serverCount: c.serverCount,
    tickMs: 200,
    clients: Array.from({ length: CLIENT_COUNT }, (_, k) => ({ sessionTimeoutMs: 1_200, workload: (zk: ZooKeeper, p: Parameters<typeof workload>[1]) => workload(zk, p, k) })),
    trace: { level: "observe" },
  });
  const problems: string[] = [];
  const digests = new Map<number, string>();
  cluster.sim.subscribe((event: TraceEvent) => {
    if (event.type !== "note") return;
    if (event.kind === "workload-failed") problems.push(`${event.node}: workload failed: ${JSON.stringify(event.data)}`);
    if (event.kind !== "zk-apply") return;
    const { zxid, digest } = event.data as { zxid: number; digest: string };
    const known = digests.get(zxid);
    if (known === undefined) digests.set(zxid, digest);
    else if (known !== digest) problems.push(`${event.node} at zxid ${zxid}: digest ${digest}, another replica had ${known}`);
  });
  await cluster.sim.runAsync({ untilUs: END_US });
  const finals = cluster.servers.map((id) => {
    const server = cluster.server(id);
    return server === null ? "down" : `${server.lastZxid}/${server.treeDigest}`;
  });
  if (new Set(finals).size !== 1) problems.push(`after the calm the replicas differ: ${finals.join(", ")}`);
  if (digests.size < 5) problems.push(`only ${digests.size} transactions applied`);
  if (process.env["ZK_FAULT_VERBOSE"] !== undefined) console.log(`${digests.size} txns, ${cluster.records.length} requests, ${cluster.records.filter((r) => r.reply?.ok === true).length} ok, finals ${finals.join(" ")}`);
  return problems;
}

describe("the service under faults", () => {
  const seed = Number(process.env["ZK_FAULT_SEED"] ?? 4242);
  const runs = Number(process.env["ZK_FAULT_RUNS"] ?? 25);
  test(`replicas agree at every zxid and converge after the faults stop (fast-check seed ${seed}, ${runs} runs)`, async () => {
    await fc.assert(
      fc.asyncProperty(caseArbitrary(), async (c) => {
        const problems = await runCase(c);
        if (problems.length > 0) throw new Error(`${problems.slice(0, 5).join("\n")}\ncase: ${JSON.stringify(c)}`);
      }),
      { seed, numRuns: runs, endOnFailure: true },
    );
  }, 120_000);
});
