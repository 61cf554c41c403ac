/**
 * The ZooKeeper service end to end: simulated clients (async/await code)
 * against 3 and 5 servers on the Multi-Paxos log. Each client runs a closed
 * loop on its own znode. Prints completed operations per wall second and per
 * simulated second, mean virtual latency, engine events per wall second, and
 * simulated over wall time.
 *
 * The target row: 3 servers, 32 clients, each writing its own znode (the load
 * a real 3-server ZooKeeper serves at 2,000–3,500 writes/s on this kind of
 * machine, ../shared/baselines.md), to be simulated at ≥ 50,000 completed
 * writes per wall second with ≥ 1 M engine events per second.
 *
 *   node --import tsx bench/zk.bench.ts [--quick]
 */
import { buildZkCluster, type ZooKeeper } from "../src/client/index.ts";

const quick = process.argv.includes("--quick");
const DURATION_US = quick ? 2_000_000 : 10_000_000;
const VALUE = "x".repeat(100);

interface Row {
  readonly servers: number;
  readonly clients: number;
  /** Percent of operations that are getData (the rest are setData). */
  readonly readPercent: number;
}

function run(row: Row) {
  let completed = 0;
  let latencySumUs = 0;
  const cluster = buildZkCluster({
    engine: {
      seed: 1,
      network: { latency: { kind: "uniform", minUs: 200, maxUs: 1_000 } },
      disk: { syncLatencyUs: 100 },
      freezeMessages: false,
    },
    serverCount: row.servers,
    history: false,
    clients: Array.from({ length: row.clients }, (_, k) => ({
      sessionTimeoutMs: 4_000,
      workload: async (zk: ZooKeeper, p) => {
        const path = `/c${k}`;
        await zk.create(path, VALUE);
        for (;;) {
          const startUs = p.now();
          if (p.rng.below(100) < row.readPercent) await zk.getData(path);
          else await zk.setData(path, VALUE);
          completed++;
          latencySumUs += p.now() - startUs;
        }
      },
    })),
  });
  const started = process.hrtime.bigint();
  return cluster.sim.runAsync({ untilUs: DURATION_US }).then(() => {
    const wallS = Number(process.hrtime.bigint() - started) / 1e9;
    const stats = cluster.sim.statsSnapshot();
    return {
      opsPerWallS: completed / wallS,
      opsPerSimS: completed / (DURATION_US / 1e6),
      latencyUs: latencySumUs / Math.max(1, completed),
      eventsPerS: stats.processed / wallS,
      simOverWall: DURATION_US / 1e6 / wallS,
      completed,
    };
  });
}

const ROWS: readonly Row[] = [
  { servers: 3, clients: 32, readPercent: 0 },
  { servers: 3, clients: 10, readPercent: 50 },
  { servers: 3, clients: 100, readPercent: 50 },
  { servers: 5, clients: 10, readPercent: 50 },
  { servers: 5, clients: 100, readPercent: 50 },
];

console.log(`ZooKeeper service benchmark: ${DURATION_US / 1e6} virtual s per row (best of ${quick ? 1 : 3}), closed-loop clients on their own znodes, 100-byte values, latency 0.2-1 ms, sync 0.1 ms`);
console.log("servers  clients  reads  ops/wall s  ops/sim s  latency µs  events/s  sim/wall  completed");
const REPEATS = quick ? 1 : 3;
for (const row of ROWS) {
  // Best of three: the first run of a row also pays for the JIT's warm-up.
  let r = await run(row);
  for (let k = 1; k < REPEATS; k++) {
    const again = await run(row);
    if (again.opsPerWallS > r.opsPerWallS) r = again;
  }
  console.log(
    `${String(row.servers).padEnd(8)} ${String(row.clients).padEnd(8)} ${`${row.readPercent}%`.padEnd(5)} ${Math.round(r.opsPerWallS).toString().padStart(10)}  ${Math.round(r.opsPerSimS).toString().padStart(9)}  ${Math.round(r.latencyUs).toString().padStart(10)}  ${(r.eventsPerS / 1e6).toFixed(2).padStart(6)} M  ${r.simOverWall.toFixed(2).padStart(7)}x  ${r.completed}`,
  );
  if (row.readPercent === 0 && row.servers === 3 && row.clients === 32) {
    console.log(`  target: >= 50,000 writes/wall s (reached ${Math.round(r.opsPerWallS)}) and >= 1 M events/s (reached ${(r.eventsPerS / 1e6).toFixed(2)} M); a real 3-server ZooKeeper serves this load at 2,000-3,500 writes/s`);
  }
}
