import { Simulation, type EngineConfigInput, type TraceEvent, type TraceSink, type TraceSummary } from "../sim/index.ts";
import { GossipNode, type GossipMsg, type GossipOptions } from "./gossip.ts";

/** What the demo shows: five nodes gossip two rumors through a partition, a crash and a restart. */
export const GOSSIP_DEMO_DESCRIPTION =
  "Five nodes gossip rumors. s1 starts rumor 'alpha'; at 1 s the network splits {s1,s2} from {s3,s4,s5}; " +
  "s4 starts 'beta' on its side; s2 crashes at 2 s (it keeps what it synced to disk); " +
  "the partition heals at 3 s and s2 restarts at 3.5 s. Every node should end up knowing both rumors.";

const GOSSIP: GossipOptions = {
  roundUs: 100_000,
  seeds: { s1: [[10_000, "alpha"]], s4: [[1_500_000, "beta"]] },
};

export function gossipDemoConfig(seed: number | string): EngineConfigInput {
  return {
    seed,
    nodes: ["s1", "s2", "s3", "s4", "s5"],
    network: { latency: { kind: "exponential", minUs: 500, meanUs: 2_000, capUs: 20_000 }, loss: 0.05 },
    disk: { syncLatencyUs: 200 },
    faults: [
      { atUs: 1_000_000, fault: { type: "partition", groups: [["s1", "s2"]] } },
      { atUs: 2_000_000, fault: { type: "crash", node: "s2" } },
      { atUs: 3_000_000, fault: { type: "heal" } },
      { atUs: 3_500_000, fault: { type: "restart", node: "s2" } },
    ],
  };
}

export const GOSSIP_DEMO_DURATION_US = 6_000_000;

export interface GossipDemoResult {
  summary: TraceSummary;
  /** Faults and first learnings, in order: what a person wants to read. */
  highlights: { t: number; text: string }[];
  /** Each node's rumors at the end. */
  finalRumors: Record<string, string[]>;
}

/** Runs the demo to the end and collects its highlights (the trace goes to `sink` when given). */
export function runGossipDemo(seed: number | string, sink?: TraceSink): GossipDemoResult {
  const sim = new Simulation<GossipMsg>({
    config: gossipDemoConfig(seed),
    createNode: () => new GossipNode(GOSSIP),
    trace: { level: "full", ...(sink === undefined ? {} : { sink }), meta: { demo: "gossip" } },
  });
  const highlights: GossipDemoResult["highlights"] = [];
  sim.subscribe((event) => {
    const text = describe(event);
    if (text !== undefined) highlights.push({ t: event.t, text });
  });
  sim.run({ untilUs: GOSSIP_DEMO_DURATION_US });
  const summary = sim.finish();
  const finalRumors: Record<string, string[]> = {};
  for (const id of sim.nodeIds) {
    const node = sim.nodeObject(id);
    finalRumors[id] = node instanceof GossipNode ? node.rumors() : [];
  }
  return { summary, highlights, finalRumors };
}

function describe(event: TraceEvent): string | undefined {
  switch (event.type) {
    case "fault": {
      const f = event.fault;
      const detail = "node" in f ? ` ${f.node}` : f.type === "partition" ? ` ${f.groups.map((g) => `{${g.join(",")}}`).join(" ")} | rest` : "";
      const count = f.type === "crash" && event.count !== undefined ? ` (${event.count} unsynced writes lost)` : "";
      return `${f.type}${detail}${count}`;
    }
    case "note":
      if (event.kind === "learned") return `${event.node} learns ${(event.data as { rumor: string }).rumor}`;
      if (event.kind === "recovered" && event.t > 0) return `${event.node} recovers ${JSON.stringify((event.data as { rumors: string[] }).rumors)} from disk`;
      return undefined;
    default:
      return undefined;
  }
}
