import type { ZkHistoryOp } from "./zk-history.ts";

/**
 * Where and when a check was first broken: the virtual time, and the
 * operations (ids in the history) that show it, so that a run can place a
 * violation event at that instant with those operations as its causes.
 */
export interface ViolationSite {
  readonly atUs: number;
  readonly ops: readonly number[];
  /** Trace events (their indices) that show it, for checks that read the trace's notes. */
  readonly events?: readonly number[];
}

/** The violations a check found, in words, and the earliest one's site. */
export class Found {
  readonly texts: string[] = [];
  site: ViolationSite | null = null;

  add(text: string, site: ViolationSite): void {
    this.texts.push(text);
    if (this.site === null || site.atUs < this.site.atUs) this.site = site;
  }

  get length(): number {
    return this.texts.length;
  }
}

/** The site of a violation shown by these operations: the latest of their completions (or invocations, for those never answered). */
export function siteOf(...ops: readonly ZkHistoryOp[]): ViolationSite {
  return { atUs: Math.max(0, ...ops.map((op) => op.completeUs ?? op.invokeUs)), ops: ops.map((op) => op.id) };
}

