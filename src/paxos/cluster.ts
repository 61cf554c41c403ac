import { asPaxosNote } from "./notes.ts";
import {
  Simulation,
  type EngineConfigInput,
  type NodeId,
  type RunStats,
  type TraceEvent,
  type TraceSink,
  type TraceSummary,
} from "../sim/index.ts";
import { PaxosChecker, type PaxosViolation } from "./checker.ts";
import { paxosConfigSchema, type PaxosConfigInput } from "./config.ts";
import { PaxosLiveness, type LivenessVerdict } from "./liveness.ts";
import { LogServer, type LogServerMsg, type ScheduledProposal } from "./server.ts";

export interface PaxosClusterOptions {
  /** Engine settings (seed, network, disk, faults, nemesis); `nodes` defaults to s1..sN. */
  engine: Omit<EngineConfigInput, "nodes"> & { nodes?: readonly NodeId[] };
  serverCount: number;
  paxos: PaxosConfigInput;
  durationUs: number;
  /** While leader, propose a command this often (0: never). */
  proposeEveryUs?: number;
  proposals?: readonly ScheduledProposal[];
  /** Stop at the first safety violation (the explorer does; teaching runs go on). */
  stopOnViolation?: boolean;
  /** Judge liveness after this calm point. */
  liveness?: { calmUs: number; boundUs: number };
  /** At least "observe" (the checkers read events); "summary" adds the digest. Default "summary". */
  trace?: { level: "observe" | "summary" | "full"; sink?: TraceSink; meta?: Record<string, unknown> };
}

export interface PaxosRunResult {
  readonly seed: string | number;
  readonly violations: readonly PaxosViolation[];
  readonly liveness: LivenessVerdict | undefined;
  readonly summary: TraceSummary;
  readonly stats: RunStats;
  /** Slots the checker saw chosen. */
  readonly chosenCount: number;
  readonly leaderChanges: number;
  /** Per server at the end: its applied end, or null if it is down. */
  readonly appliedEnd: Readonly<Record<NodeId, number | null>>;
  readonly endUs: number;
}

/** Server ids s1..sN. */
export function serverIds(count: number): NodeId[] {
  return Array.from({ length: count }, (_, i) => `s${i + 1}`);
}

/**
 * Runs a cluster of LogServers with the safety checker (and optionally the
 * liveness check) watching every event. The wiring the Paxos tests, the bug
 * search and the benchmark share.
 */
export function runPaxosCluster(options: PaxosClusterOptions): PaxosRunResult {
  const paxos = paxosConfigSchema.parse(options.paxos);
  const peers = options.engine.nodes?.slice(0, options.serverCount) ?? serverIds(options.serverCount);
  const sim = new Simulation<LogServerMsg>({
    config: { ...options.engine, nodes: [...(options.engine.nodes ?? peers)] },
    createNode: () =>
      new LogServer({ paxos, peers, proposeEveryUs: options.proposeEveryUs ?? 0, proposals: options.proposals ?? [] }),
    trace: options.trace ?? { level: "summary" },
  });
  const checker = new PaxosChecker(peers);
  const liveness = options.liveness === undefined ? undefined : new PaxosLiveness(peers, options.liveness.calmUs, options.liveness.boundUs);
  let leaderChanges = 0;
  sim.subscribe((event: TraceEvent) => {
    if (event.type === "violation") return;
    if (event.type === "note" && event.kind === "role") {
      const note = asPaxosNote(event.kind, event.data);
      if (note.kind === "role" && note.data.role === "leader") leaderChanges++;
    }
    liveness?.observe(event);
    for (const v of checker.observe(event)) {
      sim.reportViolation(v.check, v.message, v.data, v.causes);
      if (options.stopOnViolation === true) sim.stop();
    }
  });
  sim.run({ untilUs: options.durationUs });
  const appliedEnd: Record<NodeId, number | null> = {};
  for (const id of peers) {
    const node = sim.nodeObject(id);
    appliedEnd[id] = node instanceof LogServer ? node.paxos.appliedEnd : null;
  }
  const verdict = liveness?.verdict(sim.nowUs, (id) => sim.status(id) === "running");
  if (verdict !== undefined && !verdict.held) sim.reportViolation("paxos.liveness", verdict.message, {}, []);
  const summary = sim.finish();
  return {
    seed: sim.seed,
    violations: checker.violations,
    liveness: verdict,
    summary,
    stats: summary.stats,
    chosenCount: checker.chosenCount,
    leaderChanges,
    appliedEnd,
    endUs: sim.nowUs,
  };
}
