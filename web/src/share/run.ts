import { isMap, isSeq, parseDocument } from "yaml";
import { parseScenario, ScenarioError, type Scenario } from "../../../src/scenario/index.ts";
import type { Intervention, LinkRun } from "./link.ts";

/**
 * A link's run made into a scenario: its interventions appended to the
 * scenario's `faults`, as timed entries the scenario schema knows, so that
 * the run in the page, the exported scenario file and `zksim run` of that
 * file are one and the same run. Loaded only when a link is opened or a
 * scenario exported (it brings the core's scenario parser into the page).
 */

/** A problem with a link's run, by parameter: line and path are in that parameter's own text. */
export interface RunProblem {
  readonly param: "src" | "iv";
  readonly line: number;
  readonly path: string;
  readonly message: string;
}

export type CheckedRun =
  | { readonly ok: true; readonly scenario: Scenario; readonly source: string }
  | { readonly ok: false; readonly problems: readonly RunProblem[] };

/**
 * The scenario's YAML with `interventions` appended to `faults` (created when
 * absent) and, when given, `seed` set: comments and layout are kept, and the
 * text is the source itself when there is nothing to add.
 */
export function scenarioWithInterventions(source: string, interventions: readonly Intervention[], seed: number | null): string {
  if (interventions.length === 0 && seed === null) return source;
  const doc = parseDocument(source, { uniqueKeys: true });
  if (!isMap(doc.contents)) throw new Error("scenarioWithInterventions: the scenario is not a mapping (parse it first)");
  if (interventions.length > 0) {
    const faults = doc.get("faults", true);
    const seq = isSeq(faults) ? faults : doc.createNode([]);
    for (const entry of interventions) {
      const node = doc.createNode(entry);
      // One line per entry, as the bundled scenarios write their faults.
      if (isMap(node)) node.flow = true;
      seq.items.push(node);
    }
    if (!isSeq(faults)) doc.set("faults", seq);
  }
  if (seed !== null) doc.set("seed", seed);
  return doc.toString({ lineWidth: 0 });
}

/**
 * Checks a link's run with the scenario schema: the scenario alone first
 * (its problems are src's, at its lines), then with the interventions
 * appended (new problems are iv's, at interventions[k]).
 */
export function checkLinkRun(run: LinkRun): CheckedRun {
  let base: Scenario;
  try {
    base = parseScenario(run.source, "src");
  } catch (error) {
    if (!(error instanceof ScenarioError)) throw error;
    return { ok: false, problems: error.problems.map((p) => ({ param: "src", ...p })) };
  }
  if (run.interventions.length === 0) return { ok: true, scenario: base, source: run.source };
  const faultCount = base.faults?.length ?? 0;
  const source = scenarioWithInterventions(run.source, run.interventions, null);
  try {
    return { ok: true, scenario: parseScenario(source, "iv"), source };
  } catch (error) {
    if (!(error instanceof ScenarioError)) throw error;
    return { ok: false, problems: error.problems.map((p) => ({ param: "iv", line: 0, path: interventionPath(p.path, faultCount), message: p.message })) };
  }
}

/** faults[5].crash → interventions[2].crash when the scenario had 3 faults of its own. */
function interventionPath(path: string, faultCount: number): string {
  const match = /^faults\[(\d+)\](.*)$/.exec(path);
  if (match === null) return path;
  const index = Number(match[1]);
  return index >= faultCount ? `interventions[${index - faultCount}]${match[2] ?? ""}` : path;
}
