/**
 * Multi-Paxos throughput in steady state, under 10% message loss, and with the
 * leader crashed every 5 virtual seconds, for 3, 5 and 7 replicas. Prints
 * commits per wall second, messages per commit, mean virtual latency from
 * propose to applied-at-the-leader, engine events per wall second, and
 * simulated time over wall time.
 *
 *   node --import tsx bench/paxos.bench.ts [--quick]
 */
import { LogServer, paxosConfigSchema, serverIds, type LogServerMsg } from "../src/paxos/index.ts";
import { Simulation } from "../src/sim/index.ts";

const quick = process.argv.includes("--quick");
const DURATION_US = quick ? 5_000_000 : 30_000_000;
const PROPOSE_EVERY_US = 200; // the leader proposes one command every 0.2 ms: the window stays full

type Condition = "steady" | "loss 10%" | "leader crash/5 s";

function run(serverCount: number, condition: Condition) {
  const peers = serverIds(serverCount);
  const paxos = paxosConfigSchema.parse({ pipelineWindow: 32, snapshotEvery: 5_000 });
  const sim = new Simulation<LogServerMsg>({
    config: {
      seed: 1,
      nodes: peers,
      network: { latency: { kind: "uniform", minUs: 200, maxUs: 1_000 }, loss: condition === "loss 10%" ? 0.1 : 0 },
      disk: { syncLatencyUs: 100 },
      freezeMessages: false,
    },
    createNode: () => new LogServer({ paxos, peers, proposeEveryUs: PROPOSE_EVERY_US, proposals: [] }),
    trace: { level: "observe" },
  });
  let commits = 0;
  let latencySumUs = 0;
  sim.subscribe((event) => {
    if (event.type === "note" && event.kind === "outcome") {
      const data = event.data as { outcome: string; latencyUs: number };
      if (data.outcome !== "chosen") return;
      commits++;
      latencySumUs += data.latencyUs;
    }
  });
  const started = process.hrtime.bigint();
  if (condition === "leader crash/5 s") {
    for (let atUs = 5_000_000; atUs <= DURATION_US; atUs += 5_000_000) {
      sim.run({ untilUs: atUs });
      const leader = peers.find((id) => (sim.nodeObject(id) as LogServer | null)?.paxos.role === "leader");
      if (leader !== undefined) sim.schedule(atUs, { type: "crash", node: leader });
      if (leader !== undefined) sim.schedule(atUs + 1_000_000, { type: "restart", node: leader });
    }
  }
  sim.run({ untilUs: DURATION_US });
  const wallS = Number(process.hrtime.bigint() - started) / 1e9;
  const stats = sim.statsSnapshot();
  return {
    commitsPerS: commits / wallS,
    messagesPerCommit: stats.sent / Math.max(1, commits),
    latencyUs: latencySumUs / Math.max(1, commits),
    eventsPerS: stats.processed / wallS,
    simOverWall: DURATION_US / 1e6 / wallS,
    commits,
  };
}

console.log(`Paxos benchmark: ${DURATION_US / 1e6} virtual s per run, the leader proposes every ${PROPOSE_EVERY_US} µs, window 32, latency 0.2-1 ms, sync 0.1 ms`);
console.log("replicas  condition          commits/s  msgs/commit  latency µs  events/s   sim/wall  commits");
for (const condition of ["steady", "loss 10%", "leader crash/5 s"] as const) {
  for (const n of [3, 5, 7]) {
    const r = run(n, condition);
    console.log(
      `${String(n).padEnd(9)} ${condition.padEnd(18)} ${Math.round(r.commitsPerS).toString().padStart(9)}  ${r.messagesPerCommit.toFixed(1).padStart(11)}  ${Math.round(r.latencyUs).toString().padStart(10)}  ${(r.eventsPerS / 1e6).toFixed(2).padStart(6)} M  ${r.simOverWall.toFixed(2).padStart(7)}x  ${r.commits}`,
    );
  }
}
