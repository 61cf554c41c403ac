import type { ZkCluster } from "../client/index.ts";
import type { BuggifyPoint, TraceSummary } from "../sim/index.ts";
import type { ScenarioSimulation } from "./build.ts";
import type { CheckReport } from "./judge.ts";
import type { ScenarioObserver } from "./observe.ts";

/** What a scenario run reports: a pure function of the scenario and the seed (wall-clock figures are the caller's to add). */
export interface ScenarioReport {
  readonly name: string;
  readonly system: "zookeeper" | "paxos";
  readonly seed: number;
  readonly expect: string;
  /** Whether the checks came out as `expect` says. */
  readonly matched: boolean;
  readonly checks: readonly CheckReport[];
  readonly operations: { readonly ok: number; readonly failed: number; readonly unknown: number };
  /** Virtual latency of completed operations, µs (null when there were none). */
  readonly latencyUs: { readonly p50: number; readonly p90: number; readonly p99: number; readonly max: number } | null;
  readonly messages: Readonly<Record<string, number>>;
  readonly leaderChanges: number;
  /** Client sessions that learned they expired (ZooKeeper scenarios). */
  readonly sessionsExpired: number;
  /** Periods with no leader, after the first election. */
  readonly leaderless: { readonly count: number; readonly totalUs: number; readonly longestUs: number };
  readonly digest: string | null;
  /** How often each fault point the scenario enables fired (absent when it enables none). */
  readonly buggify?: Readonly<Partial<Record<BuggifyPoint, number>>>;
  readonly events: number;
  readonly endUs: number;
}

/** The last step of a scenario run: the verdict against `expect`, and the run's figures. */
export function reportScenario(run: ScenarioSimulation, observed: ScenarioObserver, checks: readonly CheckReport[], summary: TraceSummary): ScenarioReport {
  const scenario = run.scenario;
  const cluster = run.cluster;
  const failed = (name: string) => checks.some((r) => !r.holds && (r.name === name || r.group === name));
  const matched = scenario.expect === "pass" ? checks.every((r) => r.holds) : failed(scenario.expect);
  const { operations, latencyUs } = cluster === null ? paxosFigures(observed.outcomes) : clientFigures(cluster);
  return {
    name: scenario.name,
    system: scenario.system,
    seed: run.seed,
    expect: scenario.expect,
    matched,
    checks,
    operations,
    latencyUs,
    messages: Object.fromEntries([...observed.messages].sort((a, b) => b[1] - a[1])),
    leaderChanges: observed.leaderChanges,
    sessionsExpired: cluster === null ? 0 : cluster.history.filter((e) => e.kind === "event" && e.event.state === "Expired").length,
    leaderless: observed.leaderless,
    digest: summary.digest,
    ...(scenario.buggify === undefined ? {} : { buggify: run.sim.buggifyFired() }),
    events: summary.events,
    endUs: summary.endUs,
  };
}

function clientFigures(cluster: ZkCluster): Pick<ScenarioReport, "operations" | "latencyUs"> {
  const operations = { ok: 0, failed: 0, unknown: 0 };
  const latencies: number[] = [];
  const invoked = new Map<object, number>();
  for (const entry of cluster.history) {
    if (entry.kind === "invoke") invoked.set(entry.record, entry.atUs);
    if (entry.kind !== "complete") continue;
    const reply = entry.record.reply;
    if (reply === null || (!reply.ok && (reply.err === "ConnectionLoss" || reply.err === "SessionExpired"))) operations.unknown++;
    else if (reply.ok) operations.ok++;
    else operations.failed++;
    const start = invoked.get(entry.record);
    if (start !== undefined) latencies.push(entry.atUs - start);
  }
  for (const record of invoked.keys()) if ((record as { reply: unknown }).reply === null) operations.unknown++;
  return { operations, latencyUs: percentiles(latencies) };
}

/** A Paxos scenario's operations are its log commands: chosen ones are ok. */
function paxosFigures(outcomes: ScenarioObserver["outcomes"]): Pick<ScenarioReport, "operations" | "latencyUs"> {
  const chosen = outcomes.filter((o) => o.chosen);
  return { operations: { ok: chosen.length, failed: 0, unknown: outcomes.length - chosen.length }, latencyUs: percentiles(chosen.map((o) => o.latencyUs)) };
}

function percentiles(values: number[]): ScenarioReport["latencyUs"] {
  if (values.length === 0) return null;
  values.sort((a, b) => a - b);
  const at = (q: number) => values[Math.min(values.length - 1, Math.floor(q * values.length))] as number;
  return { p50: at(0.5), p90: at(0.9), p99: at(0.99), max: values[values.length - 1] as number };
}
