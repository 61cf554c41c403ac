/**
 * Where the inspector keeps its re-runs. A run cannot be copied (its nodes
 * hold closures and promises), but it is deterministic, so a re-run from the
 * seed stopped after event k is a checkpoint of the state at k. The pool
 * keeps such runs parked at evenly spaced events; the state at any event is
 * then the nearest run at or before it, moved forward a little.
 *
 * A run moved forward has left its place, so its slot is filled again later
 * by a fresh run from the seed. This module decides; the worker runs.
 */

/** Where a run is parked: `seen` events recorded, stopped at a handler boundary; `previous` is the boundary before. */
export interface RunPosition {
  readonly id: number;
  readonly seen: number;
  readonly previous: number;
}

export interface CheckpointOptions {
  /** The fewest events between two slots. */
  readonly spacingMin: number;
  /** The most slots (each holds a whole run in memory). */
  readonly slotsMax: number;
}

export const CHECKPOINT_DEFAULTS: CheckpointOptions = { spacingMin: 1_500, slotsMax: 24 };

/**
 * Fewer parked runs for longer traces: every run holds a whole cluster in
 * memory, and a long run's state is large. Up to 24 runs for traces of up to
 * 80,000 events, then fewer, down to 4 for a few hundred thousand or more.
 */
export function checkpointOptionsFor(eventCount: number): CheckpointOptions {
  const slotsMax = Math.max(4, Math.min(CHECKPOINT_DEFAULTS.slotsMax, Math.floor(2_000_000 / Math.max(1, eventCount))));
  return { spacingMin: CHECKPOINT_DEFAULTS.spacingMin, slotsMax };
}

export class CheckpointPlan {
  readonly spacing: number;
  /** The event counts the slots hold runs at, ascending. */
  readonly slots: readonly number[];

  constructor(
    readonly eventCount: number,
    options: CheckpointOptions = CHECKPOINT_DEFAULTS,
  ) {
    this.spacing = Math.max(options.spacingMin, Math.ceil(eventCount / (options.slotsMax + 1)));
    const slots: number[] = [];
    for (let at = this.spacing; at < eventCount && slots.length < options.slotsMax; at += this.spacing) slots.push(at);
    this.slots = slots;
  }

  /** The slot a run parked at `seen` fills: its events reach the slot's, and not past the next slot's start. */
  slotFor(seen: number): number | null {
    for (let k = this.slots.length - 1; k >= 0; k--) {
      const at = this.slots[k] as number;
      if (seen >= at) return seen < at + this.spacing / 2 ? at : null;
    }
    return null;
  }
}

/** Whether a run parked at `p` is already at the state after event `target`. */
export function holdsState(p: RunPosition, target: number): boolean {
  return p.previous <= target && target < p.seen;
}

/** Whether a run parked at `p` can be moved forward to the state after event `target`. */
export function canReach(p: RunPosition, target: number): boolean {
  return p.seen <= target || holdsState(p, target);
}

/**
 * The run to use for the state after event `target`: one already there, else
 * the one that has the least left to run. null: none can reach it, start a
 * fresh run from the seed.
 */
export function chooseRun(target: number, runs: readonly RunPosition[]): number | null {
  let best: RunPosition | null = null;
  for (const run of runs) {
    if (holdsState(run, target)) return run.id;
    if (run.seen <= target && (best === null || run.seen > best.seen)) best = run;
  }
  return best === null ? null : best.id;
}

/** The next slot to fill with a fresh run: the first with no run parked in it; null when all are held. */
export function nextSlotToFill(plan: CheckpointPlan, held: ReadonlySet<number>): number | null {
  for (const at of plan.slots) if (!held.has(at)) return at;
  return null;
}
