import type { LiveStatus } from "../protocol.ts";

/**
 * The live view's decisions that need no page: where an intervention goes
 * (at the run's edge, or a fork from an earlier event the cursor is on),
 * whether the cursor follows the run as it grows, which controls work now,
 * and the speeds offered. Pure.
 */

/** An intervention at the cursor: on the branch's edge, or on a new branch forked after the cursor's event. */
export type Placement = { readonly kind: "edge" } | { readonly kind: "fork"; readonly ev: number };

/**
 * The edge is the branch's last instant: an intervention applies once the
 * instant under way is finished, so a cursor on any event of the last instant
 * (or before any event) acts on the run as it is; an earlier one forks.
 */
export function placement(cursor: number, times: ArrayLike<number>, eventCount: number): Placement {
  if (cursor < 0 || cursor >= eventCount - 1) return { kind: "edge" };
  return (times[cursor] as number) >= (times[eventCount - 1] as number) ? { kind: "edge" } : { kind: "fork", ev: cursor };
}

/** A cursor on the last event of the previous snapshot follows the run; one moved back stays where it was put. */
export function follows(cursor: number, previousEventCount: number): boolean {
  return cursor < 0 || cursor >= previousEventCount - 1;
}

/** What the controls can do now: nothing while a request is under way but pause; nothing past the end but look. */
export interface Controls {
  readonly play: boolean;
  readonly pause: boolean;
  readonly step: boolean;
  readonly intervene: boolean;
  readonly finish: boolean;
  readonly fork: boolean;
}

export function controls(status: LiveStatus | null, busy: boolean): Controls {
  if (status === null) return { play: false, pause: false, step: false, intervene: false, finish: false, fork: false };
  const running = !status.finished && status.nowUs < status.durationUs;
  return {
    play: !busy && running && !status.playing,
    pause: status.playing,
    step: !busy && running,
    intervene: !busy && running,
    finish: !busy && !status.finished,
    fork: !busy,
  };
}

/** Speeds offered, in virtual µs per wall second, and how they read. */
export const SPEEDS: readonly { readonly usPerS: number; readonly label: string }[] = [
  { usPerS: 1_000, label: "1 ms/s" },
  { usPerS: 10_000, label: "10 ms/s" },
  { usPerS: 100_000, label: "100 ms/s" },
  { usPerS: 1_000_000, label: "1 s/s" },
  { usPerS: 10_000_000, label: "10 s/s" },
];
export const SPEED_DEFAULT_US_PER_S = 100_000;
