import { checkRecipeProgress, checkRecipes, checkRequestsAnswered, checkZkGuarantees, type GuaranteeResult, type ZkHistory } from "../check/index.ts";
import type { ScenarioSimulation } from "./build.ts";
import type { ScenarioObserver } from "./observe.ts";
import type { CheckName } from "./schema.ts";

/** One check of a scenario (or one guarantee or invariant it expands to), with its verdict. */
export interface CheckReport {
  readonly name: string;
  /** The scenario check it belongs to. */
  readonly group: CheckName;
  readonly holds: boolean;
  /** The first violation, in words (with its virtual time when known). */
  readonly detail: string | null;
}

/**
 * The third step of a scenario run: judges every check the scenario asks
 * for, from what the observer kept and the clients' history.
 */
export function judgeScenario(run: ScenarioSimulation, observed: ScenarioObserver, zkHistory: ZkHistory | null): CheckReport[] {
  const reports: CheckReport[] = [];
  const nowUs = run.sim.nowUs;
  let guarantees: GuaranteeResult[] | undefined;
  for (const group of run.checks) {
    switch (group) {
      case "paxos-safety": {
        const first = observed.paxosViolations[0];
        reports.push({ name: "paxos-safety", group, holds: first === undefined, detail: first === undefined ? null : `${first.check}: ${first.message} (at ${first.t} µs)` });
        break;
      }
      case "paxos-liveness": {
        const verdict = observed.liveness.verdict(nowUs, (id) => run.sim.status(id) === "running");
        reports.push({ name: "paxos-liveness", group, holds: verdict.held, detail: verdict.held ? null : verdict.message });
        break;
      }
      case "replica-agreement":
        reports.push({ name: "replica-agreement", group, holds: observed.agreement === null, detail: observed.agreement });
        break;
      case "zk-guarantees":
      case "linearizable-reads": {
        if (zkHistory === null) break;
        // One pass over the history serves both checks: reads-linearizable belongs to linearizable-reads.
        guarantees ??= checkZkGuarantees(zkHistory, { linearizableReads: run.checks.includes("linearizable-reads"), stepsMax: 20_000_000 });
        for (const r of guarantees) {
          if ((r.name === "reads-linearizable") !== (group === "linearizable-reads")) continue;
          reports.push({ name: r.name, group, holds: r.holds, detail: r.violations[0] ?? null });
        }
        break;
      }
      case "recipes":
        for (const r of checkRecipes(observed.recipeNotes)) reports.push({ name: r.name, group, holds: r.holds, detail: r.violations[0] ?? null });
        break;
      case "zk-liveness": {
        if (zkHistory === null) break;
        const progress = { calmUs: run.calmUs, boundUs: run.livenessBoundUs, endUs: nowUs, absences: observed.absencesUntil(nowUs) };
        const answered = checkRequestsAnswered(zkHistory, progress);
        reports.push({ name: answered.name, group, holds: answered.holds, detail: answered.violations[0] ?? null });
        for (const r of checkRecipeProgress(observed.recipeNotes, progress)) reports.push({ name: r.name, group, holds: r.holds, detail: r.violations[0] ?? null });
        break;
      }
      case "workloads": {
        const failed = observed.workloadFailures;
        const first = failed[0];
        const detail = first === undefined ? null : `${first.node}'s workload failed at ${first.t} µs: ${first.error}${failed.length > 1 ? ` (and ${failed.length - 1} more)` : ""}`;
        reports.push({ name: "workloads", group, holds: first === undefined, detail });
        break;
      }
      default: {
        const unknown: never = group;
        throw new Error(`unknown check ${String(unknown)}`);
      }
    }
  }
  return reports;
}
