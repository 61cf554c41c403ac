/**
 * Scenarios: the file format (YAML, validated by zod), the workloads it can
 * ask for, and the runner that turns a scenario into a simulation, runs it
 * with the checkers and reports.
 */
export { zkHistoryOf } from "./history.ts";
export { scenarioSchema, scenarioJsonSchema, durationSchema, faultEntrySchema, CHECK_NAMES, WORKLOAD_KINDS, MIX_OPERATIONS, FAULT_KINDS, ALWAYS_LIVE } from "./schema.ts";
export type { Scenario, ScenarioInput, WorkloadSpec, FaultEntry, FaultEntryInput, CheckName } from "./schema.ts";
export { parseScenario, parseYamlFile, ScenarioError } from "./parse.ts";
export type { ScenarioProblem } from "./parse.ts";
export { runScenario, concludeRun } from "./runner.ts";
export type { RunOptions } from "./runner.ts";
export { buildScenario } from "./build.ts";
export type { ScenarioSimulation, BuildOptions } from "./build.ts";
export { ScenarioObserver, recipeNoteOf } from "./observe.ts";
export type { Absence } from "./observe.ts";
export { judgeScenario, reportViolations } from "./judge.ts";
export type { CheckReport, CounterexampleInTrace } from "./judge.ts";
export { reportScenario } from "./report.ts";
export type { ScenarioReport } from "./report.ts";
export { LiveRun, entryInput, formatDuration } from "./live.ts";
export type { Intervention, LiveRunOptions } from "./live.ts";
