import type { ZkHistory } from "../check/index.ts";
import type { TraceSink } from "../sim/index.ts";
import { buildScenario, type ScenarioSimulation } from "./build.ts";
import { zkHistoryOf } from "./history.ts";
import { judgeScenario, reportViolations } from "./judge.ts";
import { ScenarioObserver } from "./observe.ts";
import { reportScenario, type ScenarioReport } from "./report.ts";
import type { Scenario } from "./schema.ts";

export interface RunOptions {
  /** Overrides the scenario's seed. */
  readonly seed?: number;
  /** Where the full trace goes (level full); without it the run keeps a digest only. */
  readonly traceSink?: TraceSink;
  /** Extra trace header fields (the CLI records the scenario file for replay). */
  readonly traceMeta?: Record<string, unknown>;
  /** Receives the clients' history after the run (ZooKeeper scenarios), e.g. to write it for zksim check. */
  readonly onHistory?: (history: ZkHistory) => void;
  /** Called now and then with the virtual time reached and the events so far. */
  readonly progress?: (nowUs: number, events: number) => void;
  /** The scenario's file and text: a live entry that cannot apply is then reported at its line. */
  readonly origin?: { readonly file: string; readonly source: string };
}

/**
 * Runs a scenario in four steps that the command line, the searches and the
 * viewer share: build the simulation it describes, observe it while it runs
 * to the end, judge its checks, report. The report is a pure function of the
 * scenario and the seed.
 */
export async function runScenario(scenario: Scenario, options: RunOptions = {}): Promise<ScenarioReport> {
  const run = buildScenario(scenario, {
    ...(options.seed === undefined ? {} : { seed: options.seed }),
    ...(options.traceSink === undefined ? {} : { traceSink: options.traceSink }),
    ...(options.traceMeta === undefined ? {} : { traceMeta: options.traceMeta }),
    ...(options.origin === undefined ? {} : { origin: options.origin }),
  });
  const observer = new ScenarioObserver(run);
  await run.runTo(scenario.duration, options.progress);
  return concludeRun(run, observer, options);
}

/**
 * The last three steps, once the run has reached its end: observe the end,
 * judge the checks (their violations go into the trace), report. A live run
 * (LiveRun) ends the same way.
 */
export function concludeRun(run: ScenarioSimulation, observer: ScenarioObserver, options: Pick<RunOptions, "onHistory"> = {}): ScenarioReport {
  observer.finish(run.sim.nowUs);
  // Entries applied while the run went (a person's interventions) may have moved the calm point.
  observer.liveness.moveCalm(run.calmUs);
  // The clients' history, converted once for the guarantees and the caller.
  const zkHistory = run.cluster === null ? null : zkHistoryOf(run.cluster.history, [...observer.changes].sort((a, b) => a.zxid - b.zxid));
  if (zkHistory !== null && options.onHistory !== undefined) options.onHistory(zkHistory);
  const checks = judgeScenario(run, observer, zkHistory);
  reportViolations(run, checks);
  return reportScenario(run, observer, checks, run.sim.finish());
}
