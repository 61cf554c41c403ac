import { checkRecipeProgress, checkRecipes, checkRequestsAnswered, checkZkGuarantees, type CounterexamplePicture, type GuaranteeResult, type ViolationSite, type ZkHistory } from "../check/index.ts";
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
  /** When it was first broken, and the trace events that show it (null when it holds or is not known). */
  readonly site: { readonly atUs: number; readonly causes: readonly number[] } | null;
  /** A linearizability check that failed: its counterexample in trace terms, for the viewer to draw as Porcupine does. */
  readonly counterexample?: CounterexampleInTrace;
}

/** A counterexample's operations placed in the run: who issued each, when, and its invoke and complete events. */
export interface CounterexampleInTrace {
  readonly key: string | null;
  /** The znode's state after the longest linearizable prefix. */
  readonly state: string;
  readonly leftOut: number;
  readonly ops: readonly {
    readonly id: number;
    readonly client: string;
    readonly text: string;
    readonly invokeUs: number;
    /** null: never answered (or ConnectionLoss: unknown). */
    readonly completeUs: number | null;
    /** The zk-invoke and zk-complete notes' event indices (-1 when not traced). */
    readonly invokeEv: number;
    readonly completeEv: number;
    readonly outcome: "ok" | "fail" | "info";
    /** Position in the longest linearizable prefix, or null. */
    readonly place: number | null;
    /** It had to come next and cannot. */
    readonly stuck: boolean;
  }[];
}

/** A counterexample's picture, its operations found in the history and the trace. */
function inTrace(picture: CounterexamplePicture, history: ZkHistory, observed: ScenarioObserver): CounterexampleInTrace {
  const ops: CounterexampleInTrace["ops"][number][] = [];
  for (const p of picture.ops) {
    const op = history.ops[p.id];
    if (op === undefined) continue;
    const events = observed.requestEvents.get(`${op.client} ${op.xid}`) ?? [];
    const answered = op.outcome !== "info" && op.completeUs !== null;
    ops.push({
      id: p.id,
      client: op.client,
      text: p.text,
      invokeUs: op.invokeUs,
      completeUs: answered ? op.completeUs : null,
      invokeEv: events[0] ?? -1,
      completeEv: answered ? (events[events.length - 1] ?? -1) : -1,
      outcome: op.outcome,
      place: p.place,
      stuck: p.stuck,
    });
  }
  return { key: picture.key, state: picture.state, leftOut: picture.leftOut, ops };
}

/**
 * The third step of a scenario run: judges every check the scenario asks
 * for, from what the observer kept and the clients' history.
 */
export function judgeScenario(run: ScenarioSimulation, observed: ScenarioObserver, zkHistory: ZkHistory | null): CheckReport[] {
  const reports: CheckReport[] = [];
  /** A check's site in trace terms: its operations' invoke and complete events, and the events it names itself. */
  const site = (first: ViolationSite | null | undefined): CheckReport["site"] => {
    if (first === null || first === undefined) return null;
    const causes = [...(first.events ?? [])];
    for (const id of first.ops) {
      const op = zkHistory?.ops[id];
      if (op !== undefined) causes.push(...(observed.requestEvents.get(`${op.client} ${op.xid}`) ?? []));
    }
    return { atUs: Math.min(first.atUs, run.sim.nowUs), causes: [...new Set(causes)].sort((a, b) => a - b) };
  };
  const nowUs = run.sim.nowUs;
  let guarantees: GuaranteeResult[] | undefined;
  for (const group of run.checks) {
    switch (group) {
      case "paxos-safety": {
        const first = observed.paxosViolations[0];
        reports.push({ name: "paxos-safety", group, holds: first === undefined, detail: first === undefined ? null : `${first.check}: ${first.message} (at ${first.t} µs)`, site: first === undefined ? null : { atUs: first.t, causes: first.causes } });
        break;
      }
      case "paxos-liveness": {
        const verdict = observed.liveness.verdict(nowUs, (id) => run.sim.status(id) === "running");
        reports.push({ name: "paxos-liveness", group, holds: verdict.held, detail: verdict.held ? null : verdict.message, site: verdict.held ? null : { atUs: nowUs, causes: [] } });
        break;
      }
      case "replica-agreement":
        reports.push({ name: "replica-agreement", group, holds: observed.agreement === null, detail: observed.agreement, site: observed.agreement === null ? null : { atUs: observed.agreementAtUs, causes: observed.agreementEvents } });
        break;
      case "zk-guarantees":
      case "linearizable-reads": {
        if (zkHistory === null) break;
        // One pass over the history serves both checks: reads-linearizable belongs to linearizable-reads.
        guarantees ??= checkZkGuarantees(zkHistory, { linearizableReads: run.checks.includes("linearizable-reads"), stepsMax: 20_000_000 });
        for (const r of guarantees) {
          if ((r.name === "reads-linearizable") !== (group === "linearizable-reads")) continue;
          const counterexample = r.picture === undefined ? {} : { counterexample: inTrace(r.picture, zkHistory, observed) };
          reports.push({ name: r.name, group, holds: r.holds, detail: r.violations[0] ?? null, site: site(r.first), ...counterexample });
        }
        break;
      }
      case "recipes":
        for (const r of checkRecipes(observed.recipeNotes)) reports.push({ name: r.name, group, holds: r.holds, detail: r.violations[0] ?? null, site: site(r.first) });
        break;
      case "zk-liveness": {
        if (zkHistory === null) break;
        const progress = { calmUs: run.calmUs, boundUs: run.livenessBoundUs, endUs: nowUs, absences: observed.absencesUntil(nowUs) };
        const answered = checkRequestsAnswered(zkHistory, progress);
        reports.push({ name: answered.name, group, holds: answered.holds, detail: answered.violations[0] ?? null, site: site(answered.first) });
        for (const r of checkRecipeProgress(observed.recipeNotes, { ...progress, deletions: observed.deletions })) reports.push({ name: r.name, group, holds: r.holds, detail: r.violations[0] ?? null, site: site(r.first) });
        break;
      }
      case "workloads": {
        const failed = observed.workloadFailures;
        const first = failed[0];
        const detail = first === undefined ? null : `${first.node}'s workload failed at ${first.t} µs: ${first.error}${failed.length > 1 ? ` (and ${failed.length - 1} more)` : ""}`;
        reports.push({ name: "workloads", group, holds: first === undefined, detail, site: first === undefined ? null : { atUs: first.t, causes: [first.i] } });
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

/**
 * Puts every broken check into the trace as a violation event, stamped with
 * the instant it was first broken and the events that show it (Paxos safety
 * is reported as the run goes; the rest are judged after it, so their events
 * come last, in the order of their instants).
 */
export function reportViolations(run: ScenarioSimulation, checks: readonly CheckReport[]): void {
  const late = checks.filter((c) => !c.holds && c.name !== "paxos-safety");
  const ordered = [...late].sort((a, b) => (a.site?.atUs ?? run.sim.nowUs) - (b.site?.atUs ?? run.sim.nowUs) || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  for (const check of ordered) {
    run.sim.reportViolation(check.name, check.detail ?? "broken", { group: check.group }, check.site?.causes ?? [], check.site?.atUs ?? run.sim.nowUs);
  }
}
