import type { NodeId } from "../sim/index.ts";

/**
 * A ballot number (round, node): totally ordered by round, then by node id, so
 * two proposers never use the same ballot. Plain data, since ballots travel in
 * messages and sit on disk.
 */
export interface Ballot {
  readonly round: number;
  readonly node: NodeId;
}

/** Below every real ballot: what an acceptor has promised before it promised anything. */
export const BALLOT_ZERO: Ballot = Object.freeze({ round: 0, node: "" });

/** Negative, zero or positive as a is below, equal to or above b. */
export function compareBallots(a: Ballot, b: Ballot): number {
  if (a.round !== b.round) return a.round - b.round;
  return a.node < b.node ? -1 : a.node > b.node ? 1 : 0;
}

export function ballotsEqual(a: Ballot, b: Ballot): boolean {
  return a.round === b.round && a.node === b.node;
}

/** "3.s2": how ballots are written in traces and by the viewer. */
export function formatBallot(b: Ballot): string {
  return `${b.round}.${b.node === "" ? "-" : b.node}`;
}
