import { isMap, isSeq, parseDocument, YAMLSeq } from "yaml";
import type { ParsedLesson } from "./parse.ts";

/**
 * The scenarios a lesson's forks and challenge run: its own scenario's text
 * with something added, as YAML that `zksim run` accepts (comments and
 * layout of the original kept).
 */

/** A fault entry (as written, without `at`) placed at an instant, applied live: after the events due then, as the viewer applies an intervention. */
function timed(entry: Readonly<Record<string, unknown>>, atUs: number): Record<string, unknown> {
  const { at: _ignored, ...rest } = entry;
  return { at: `${atUs}us`, ...rest, live: true };
}

/** The scenario's text with these entries added to its `faults`. */
export function withFaults(source: string, entries: readonly Record<string, unknown>[]): string {
  const doc = parseDocument(source);
  let faults = doc.get("faults", true);
  if (!isSeq(faults)) {
    faults = new YAMLSeq();
    doc.set("faults", faults);
  }
  for (const entry of entries) (faults as YAMLSeq).add(doc.createNode(entry, { flow: true }));
  return doc.toString();
}

/** The scenario's text with these Paxos bugs switched on in every server. */
export function withBugs(source: string, bugs: readonly string[]): string {
  const doc = parseDocument(source);
  const servers = doc.get("servers", true);
  if (!isMap(servers)) throw new Error("the scenario has no servers mapping");
  servers.set("bugs", doc.createNode([...bugs], { flow: true }));
  return doc.toString();
}

/** What a step's fork runs: a scenario source (the lesson's own, changed, or another bundled one). */
export function forkSource(parsed: ParsedLesson, step: number, atUs: number, load: (name: string) => string): { name: string; source: string } {
  const fork = parsed.lesson.steps[step]?.fork;
  if (fork === undefined) throw new Error(`${parsed.lesson.name}: step ${step + 1} has no fork`);
  if (fork.scenario !== undefined) return { name: fork.scenario, source: load(fork.scenario) };
  const source = load(parsed.lesson.scenario);
  if (fork.bugs !== undefined) return { name: parsed.lesson.scenario, source: withBugs(source, fork.bugs) };
  const apply = parsed.raw.steps[step]?.fork?.apply ?? [];
  return { name: parsed.lesson.scenario, source: withFaults(source, apply.map((entry) => timed(entry, atUs))) };
}

/** The lesson's scenario with its challenge's solution (timed interventions) added. */
export function challengeSource(parsed: ParsedLesson, load: (name: string) => string): string {
  const solution = parsed.raw.challenge?.solution;
  if (solution === undefined) throw new Error(`${parsed.lesson.name}: no challenge`);
  return withFaults(load(parsed.lesson.scenario), solution.map((entry) => ({ ...entry })));
}
