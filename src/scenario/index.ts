/**
 * Scenarios: the file format (YAML, validated by zod), the workloads it can
 * ask for, and the runner that turns a scenario into a simulation, runs it
 * with the checkers and reports.
 */
export { zkHistoryOf } from "./history.ts";
export { scenarioSchema, scenarioJsonSchema, durationSchema, CHECK_NAMES, WORKLOAD_KINDS } from "./schema.ts";
export type { Scenario, ScenarioInput, WorkloadSpec, FaultEntry, CheckName } from "./schema.ts";
export { parseScenario, ScenarioError } from "./parse.ts";
export type { ScenarioProblem } from "./parse.ts";
export { runScenario } from "./runner.ts";
export type { RunOptions, ScenarioReport, CheckReport } from "./runner.ts";
