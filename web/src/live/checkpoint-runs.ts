import { entryInput, type FaultEntry, type Intervention, type LiveRun } from "../../../src/scenario/index.ts";

/**
 * Where a fork starts from. A run cannot be copied (its nodes hold closures
 * and promises), but it is deterministic, so the live worker keeps runs
 * parked at instants of the current branch (checkpoints, evenly spaced in
 * its events, as the inspector does with model/checkpoints.ts). A fork at
 * instant T is then the nearest parked run at or before T whose
 * interventions agree with the fork's up to its instant, moved on: the
 * fork's later interventions are applied at their instants, as the run from
 * the seed would apply them, and it runs to T. The same run, sooner.
 */

/** A run parked somewhere: its instant and the interventions it was built with and has applied. */
export interface ParkedRun {
  readonly nowUs: number;
  readonly interventions: readonly FaultEntry[];
  /** A finished run refuses to run on. */
  readonly finished: boolean;
}

/**
 * Whether a run parked at `parked.nowUs` can become a run with `wanted`
 * interventions at `untilUs`: it is not past that instant, and the
 * interventions it holds are exactly `wanted`'s up to its instant (so its
 * state there is the wanted run's, and it has nothing scheduled that the
 * wanted run has not).
 */
export function agreesUpTo(parked: ParkedRun, wanted: readonly FaultEntry[], untilUs: number): boolean {
  if (parked.finished || parked.nowUs > untilUs) return false;
  const held = parked.interventions;
  if (held.some((entry) => entry.at > parked.nowUs)) return false;
  const prefix = wanted.filter((entry) => entry.at <= parked.nowUs);
  return prefix.length === held.length && prefix.every((entry, k) => sameEntry(entry, held[k] as FaultEntry));
}

/** The candidate furthest on that agrees (the least left to run); null when none does. */
export function nearestAgreeing<P extends ParkedRun>(candidates: readonly P[], wanted: readonly FaultEntry[], untilUs: number): P | null {
  let best: P | null = null;
  for (const candidate of candidates) if (agreesUpTo(candidate, wanted, untilUs) && (best === null || candidate.nowUs > best.nowUs)) best = candidate;
  return best;
}

/**
 * Moves a parked run that agrees (agreesUpTo) on to `untilUs` as a run built
 * with `wanted` from the seed would be there: each of `wanted`'s entries
 * after the parked instant is applied at its own instant, once every event
 * due at that instant has run (how a live entry falls due in a run built
 * with it), then the run goes on to `untilUs`. Returns the entries applied.
 */
export async function catchUp(run: LiveRun, wanted: readonly FaultEntry[], untilUs: number): Promise<FaultEntry[]> {
  const parkedUs = run.nowUs;
  const applied: FaultEntry[] = [];
  for (const entry of wanted) {
    if (entry.at <= parkedUs) continue;
    if (entry.at > untilUs) break;
    await run.runTo(entry.at);
    applied.push(await run.intervene(interventionOf(entry)));
  }
  await run.runTo(Math.min(untilUs, run.durationUs));
  return applied;
}

/** A recorded entry as an intervention to apply now (its `at` and `live` left to the run). */
export function interventionOf(entry: FaultEntry): Intervention {
  const { at: _at, live: _live, ...rest } = entryInput(entry) as Record<string, unknown>;
  return rest as Intervention;
}

function sameEntry(a: FaultEntry, b: FaultEntry): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}
