import fc from "fast-check";
import { stringify } from "yaml";
import type { ClientProcess, ZooKeeper } from "../client/index.ts";
import { buildScenario, concludeRun, ScenarioObserver, scenarioSchema, type CheckName, type ScenarioReport } from "../scenario/index.ts";
import { AssertionError, SimulationFailure, type TraceSink } from "../sim/index.ts";
import {
  clientNames,
  clusterSizeArbitrary,
  faultScheduleArbitrary,
  networkArbitrary,
  serverNames,
  type FaultSchedule,
  type FaultScheduleOptions,
  type NetworkOptions,
  type PropertyNetwork,
} from "./arbitraries.ts";

/**
 * One run of a property: a drawn case (cluster size, network, fault
 * schedule, engine seed) becomes a ZooKeeper scenario whose clients run the
 * user's workload, in virtual time; then zksim's own checks judge it, and
 * the user's code after the run judges what it gathered.
 */

/** What one run of a property draws. */
export interface PropertyCase {
  /** The engine's seed: latencies, losses, election timeouts, each client's `rng`. */
  readonly seed: number;
  readonly servers: number;
  readonly clients: number;
  readonly network: PropertyNetwork;
  readonly faults: FaultSchedule;
}

export interface PropertyCaseOptions {
  /** Simulated clients, c1..cN, each running the workload (default 3). */
  readonly clients?: number;
  /** Cluster sizes to draw from (default 3 or 5 servers). */
  readonly servers?: readonly number[];
  readonly faults?: Omit<FaultScheduleOptions, "servers" | "clients">;
  readonly network?: NetworkOptions;
}

/** The default number of clients. */
export const PROPERTY_CLIENTS = 3;

/** Cases within `options`: each part shrinks (fewer and shorter faults, no loss, the first cluster size). */
export function propertyCaseArbitrary(options: PropertyCaseOptions = {}): fc.Arbitrary<PropertyCase> {
  const clients = options.clients ?? PROPERTY_CLIENTS;
  const network = networkArbitrary(options.network);
  return clusterSizeArbitrary(options.servers).chain((servers) =>
    fc.record({
      seed: fc.nat(2 ** 31 - 1),
      servers: fc.constant(servers),
      clients: fc.constant(clients),
      network,
      faults: faultScheduleArbitrary({ ...options.faults, servers, clients }),
    }),
  );
}

/** A workload, run by every client: `index` is the client's (0 for c1), so clients can take roles. */
export type PropertyWorkload = (zk: ZooKeeper, process: ClientProcess, index: number) => Promise<void>;

/** What the property's body gets: the cluster of this run, and `run` to run the clients in it. */
export interface PropertyCluster {
  readonly servers: readonly string[];
  readonly clients: readonly string[];
  readonly case: PropertyCase;
  /**
   * Runs the simulation: every client runs `workload` while the faults
   * happen, until every workload has finished (or `runMsMax` of virtual
   * time); then zksim's checks judge the run. Call it once. Code after it
   * runs after the simulation and may assert on what the workloads
   * gathered; a throw there fails the property too.
   */
  run(workload: PropertyWorkload): Promise<ScenarioReport>;
}

/** The property: set up shared state, `await cluster.run(workload)`, then assert. */
export type PropertyBody<Args extends unknown[]> = (cluster: PropertyCluster, ...args: Args) => Promise<void>;

/** What does not change from run to run. */
export interface PropertyRunSettings {
  /** A lower-case name with dashes (the scenario's, and the trace's file name). */
  readonly name: string;
  readonly sessionTimeoutMs: number;
  readonly runMsMax: number;
  /** zksim's checks to judge (the workloads' own failures are always judged). */
  readonly checks: readonly CheckName[];
  readonly storage: { readonly fencing: boolean } | null;
}

/** A run's verdict. */
export interface PropertyRunOutcome {
  /** What failed, in words (null: the property held). */
  readonly failure: string | null;
  /** The failure is zksim's own (an assertion, an exception in a node): not a verdict on the user's code. */
  readonly internal: boolean;
  /** null when the body failed before running the simulation. */
  readonly report: ScenarioReport | null;
}

/** A mistake in how the property is written (not a counterexample): reported at once, never shrunk. */
export class PropertyUsageError extends Error {
  override readonly name = "PropertyUsageError";
}

/** Virtual time between looks at whether every workload has finished. */
const STEP_US = 20_000;
/** The servers' tick: session timeouts may be 2 to 20 ticks. */
export const PROPERTY_TICK_MS = 200;

/** What a run uses when not told otherwise (zkProperty's options give each of them). */
export const PROPERTY_RUN_DEFAULTS: PropertyRunSettings = {
  name: "zk-property",
  sessionTimeoutMs: 2_000,
  runMsMax: 30_000,
  checks: ["paxos-safety", "replica-agreement", "zk-guarantees", "recipes"],
  storage: null,
};

/**
 * Runs one case: the body, the simulation it asks for, zksim's checks. With
 * `@fast-check/vitest`, call it in `test.prop([propertyCaseArbitrary()])`
 * and expect its `failure` to be null.
 */
export async function runPropertyCase<Args extends unknown[]>(
  c: PropertyCase,
  settingsGiven: Partial<PropertyRunSettings>,
  body: PropertyBody<Args>,
  args: Args,
  trace?: { readonly sink: TraceSink; readonly meta: Record<string, unknown> },
): Promise<PropertyRunOutcome> {
  const settings: PropertyRunSettings = { ...PROPERTY_RUN_DEFAULTS, ...settingsGiven };
  let simulated: { report: ScenarioReport; failures: string[] } | null = null;
  const cluster: PropertyCluster = {
    servers: serverNames(c.servers),
    clients: clientNames(c.clients),
    case: c,
    run: async (workload) => {
      if (simulated !== null) throw new PropertyUsageError("cluster.run() was called twice in one run: call it once, with one workload that every client runs");
      simulated = await simulate(c, settings, workload, trace);
      return simulated.report;
    },
  };
  let thrown: unknown = null;
  try {
    await body(cluster, ...args);
  } catch (error) {
    if (error instanceof PropertyUsageError) throw error;
    thrown = error;
  }
  const run = simulated as { report: ScenarioReport; failures: string[] } | null;
  if (run === null && thrown === null) throw new PropertyUsageError("the property's body never called cluster.run(workload): nothing was simulated");
  const failures = [...(run?.failures ?? [])];
  if (thrown !== null) failures.push(`${run === null ? "the body threw before the run" : "the body threw"}: ${messageOf(thrown)}`);
  const internal = thrown instanceof SimulationFailure || thrown instanceof AssertionError;
  return { failure: failures.length === 0 ? null : failures.join("\n"), internal, report: run?.report ?? null };
}

/** Builds the case's scenario with the user's workload on every client, runs it until the workloads finish, judges it. */
async function simulate(
  c: PropertyCase,
  settings: PropertyRunSettings,
  workload: PropertyWorkload,
  trace: { readonly sink: TraceSink; readonly meta: Record<string, unknown> } | undefined,
): Promise<{ report: ScenarioReport; failures: string[] }> {
  const scenario = scenarioSchema.parse(scenarioInput(c, settings));
  const states: ("running" | "done" | "failed")[] = clientNames(c.clients).map(() => "running");
  const workloads = states.map((_, index) => async (zk: ZooKeeper, process: ClientProcess) => {
    try {
      await workload(zk, process, index);
      states[index] = "done";
    } catch (error) {
      states[index] = "failed";
      throw error; // the client notes it, and zksim's "workloads" check reports it
    }
  });
  const run = buildScenario(scenario, { workloads, ...(trace === undefined ? {} : { traceSink: trace.sink, traceMeta: trace.meta }) });
  const observer = new ScenarioObserver(run);
  while (states.includes("running") && run.sim.nowUs < scenario.duration) await run.runTo(Math.min(scenario.duration, run.sim.nowUs + STEP_US));
  const report = concludeRun(run, observer);
  const failures = report.checks.filter((check) => !check.holds).map((check) => `${check.name}: ${check.detail ?? "broken"}`);
  states.forEach((state, index) => {
    if (state === "running") failures.push(`c${index + 1}'s workload did not finish within ${settings.runMsMax} ms of virtual time`);
  });
  return { report, failures };
}

/** The scenario a case runs: the cluster, the network, the faults; the clients' workloads come from the property. */
function scenarioInput(c: PropertyCase, settings: PropertyRunSettings): Record<string, unknown> {
  return {
    name: settings.name,
    description: `A run of the property ${settings.name}.`,
    seed: c.seed,
    duration: `${settings.runMsMax}ms`,
    servers: { count: c.servers, tick: `${PROPERTY_TICK_MS}ms` },
    network: { latency: { kind: "uniform", min: `${c.network.latencyUsMin}us`, max: `${c.network.latencyUsMax}us` }, loss: c.network.lossPercent / 100 },
    // The workload named here is a placeholder: buildScenario is given the property's own.
    clients: [{ count: c.clients, sessionTimeout: `${settings.sessionTimeoutMs}ms`, workload: { kind: "register" } }],
    ...(settings.storage === null ? {} : { storage: settings.storage }),
    faults: c.faults.map(({ atMs, fault }) => ({ at: `${atMs}ms`, ...fault })),
    checks: settings.checks.length === 0 ? ["workloads"] : [...settings.checks],
  };
}

/** A case as a person reads it: the cluster and network in a line, the faults as a scenario file lists them. */
export function formatPropertyCase(c: PropertyCase): string {
  const network = `latency ${c.network.latencyUsMin}-${c.network.latencyUsMax} µs, loss ${c.network.lossPercent}%`;
  const head = `${c.servers} servers, ${c.clients} clients, engine seed ${c.seed}, ${network}`;
  if (c.faults.length === 0) return `${head}\nfaults: []   # none: the failure needs no fault`;
  const lines = c.faults.map(({ atMs, fault }) => `  - ${stringify({ at: `${atMs}ms`, ...fault }, { collectionStyle: "flow" }).trim()}`);
  return `${head}\nfaults:\n${lines.join("\n")}`;
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
