/**
 * The branches of a live run, as a tree (DSLabs's event tree, not a single
 * line): the first branch is the scenario as written; going back to an
 * earlier event of a branch and continuing differently makes a child branch
 * that shares the parent's run up to there. A branch is fully described by
 * the scenario, the seed and its interventions (each a timed scenario entry),
 * so any branch can be simulated again from the seed. Pure: no worker, no DOM.
 */

/** An intervention as a branch records it: the scenario entry (with its `at`, µs) and where in the trace it went. */
export interface Recorded<E extends { readonly at: number }> {
  readonly entry: E;
  /**
   * How many trace events the run had recorded when it was applied: its own
   * events (the fault it causes) start at this index. A cursor on event `ev`
   * shows the state after it, so the intervention is part of that state when
   * firstEv <= ev.
   */
  readonly firstEv: number;
}

export interface Branch<E extends { readonly at: number }> {
  readonly id: number;
  /** The branch this one left; null for the first. */
  readonly parent: number | null;
  /** The parent's event the fork was made at (the cursor's event: the state after it); -1 for the first branch. */
  readonly forkEv: number;
  /** The virtual time of that event, µs. */
  readonly forkUs: number;
  /** Every intervention of the branch, in the order applied: the parent's kept ones first. */
  readonly interventions: readonly Recorded<E>[];
  /** How many of `interventions` came from the parent. */
  readonly inherited: number;
}

/** One row of the tree as drawn: a branch, how deep it hangs, and its children's count. */
export interface TreeRow<E extends { readonly at: number }> {
  readonly branch: Branch<E>;
  readonly depth: number;
}

/** At most this many branches in one tree: each may hold a parked run in memory. */
export const BRANCHES_MAX = 64;
/** At most this many interventions on one branch (a person clicks them one by one). */
export const INTERVENTIONS_MAX = 1_000;

export class ForkTreeError extends Error {
  override readonly name = "ForkTreeError";
}

export class ForkTree<E extends { readonly at: number }> {
  private readonly branches: Branch<E>[] = [{ id: 0, parent: null, forkEv: -1, forkUs: 0, interventions: [], inherited: 0 }];

  get size(): number {
    return this.branches.length;
  }

  get root(): Branch<E> {
    return this.branches[0] as Branch<E>;
  }

  branch(id: number): Branch<E> {
    const branch = this.branches[id];
    if (branch === undefined) throw new ForkTreeError(`no branch ${id}: the tree has ${this.branches.length}`);
    return branch;
  }

  /** Records an intervention applied on a branch; it must come after the branch's last one. */
  record(id: number, recorded: Recorded<E>): Branch<E> {
    const branch = this.branch(id);
    const last = branch.interventions[branch.interventions.length - 1];
    if (last !== undefined && (recorded.entry.at < last.entry.at || recorded.firstEv < last.firstEv)) {
      throw new ForkTreeError(`an intervention at ${recorded.entry.at} µs (event ${recorded.firstEv}) comes before the branch's last one at ${last.entry.at} µs (event ${last.firstEv}): go back and fork instead`);
    }
    if (branch.interventions.length >= INTERVENTIONS_MAX) throw new ForkTreeError(`a branch holds at most ${INTERVENTIONS_MAX} interventions`);
    const updated: Branch<E> = { ...branch, interventions: [...branch.interventions, recorded] };
    this.branches[id] = updated;
    return updated;
  }

  /** The interventions of a branch that are part of the state after event `ev`. */
  interventionsUpTo(id: number, ev: number): readonly Recorded<E>[] {
    return this.branch(id).interventions.filter((r) => r.firstEv <= ev);
  }

  /**
   * A new branch leaving `parent` after its event `ev` (at `evUs`): it keeps the
   * parent's interventions up to there and none after.
   */
  fork(parent: number, ev: number, evUs: number): Branch<E> {
    if (this.branches.length >= BRANCHES_MAX) throw new ForkTreeError(`at most ${BRANCHES_MAX} branches: switch to one that exists, or start the run again`);
    if (!Number.isInteger(ev) || ev < -1) throw new ForkTreeError(`a fork is made after an event (an index from -1), got ${ev}`);
    const kept = this.interventionsUpTo(parent, ev);
    const branch: Branch<E> = { id: this.branches.length, parent, forkEv: ev, forkUs: evUs, interventions: kept.slice(), inherited: kept.length };
    this.branches.push(branch);
    return branch;
  }

  /** The branches from the first down to this one. */
  path(id: number): Branch<E>[] {
    const out: Branch<E>[] = [];
    for (let branch: Branch<E> | null = this.branch(id); branch !== null; branch = branch.parent === null ? null : this.branch(branch.parent)) out.push(branch);
    return out.reverse();
  }

  children(id: number): Branch<E>[] {
    return this.branches.filter((b) => b.parent === id).sort(byForkPoint);
  }

  /** The tree in drawing order: each branch, then its children by fork point (depth first). */
  rows(): TreeRow<E>[] {
    const rows: TreeRow<E>[] = [];
    const visit = (branch: Branch<E>, depth: number) => {
      rows.push({ branch, depth });
      for (const child of this.children(branch.id)) visit(child, depth + 1);
    };
    visit(this.root, 0);
    return rows;
  }

  /** The interventions a branch made itself (not inherited from its parent). */
  own(id: number): readonly Recorded<E>[] {
    const branch = this.branch(id);
    return branch.interventions.slice(branch.inherited);
  }
}

/** Children ordered by where they leave their parent, then by age: a total order (ids are unique). */
function byForkPoint<E extends { readonly at: number }>(a: Branch<E>, b: Branch<E>): number {
  return a.forkEv - b.forkEv || a.id - b.id;
}

/** Where a branch is drawn in the tree picture: its row, its line's span in virtual time, and the row of the line it leaves. */
export interface PlacedBranch<E extends { readonly at: number }> {
  readonly branch: Branch<E>;
  readonly row: number;
  /** The row of the parent's line (the fork node sits on it); -1 for the first branch. */
  readonly parentRow: number;
  /** Where its line starts: the fork point's virtual time, µs (0 for the first branch). */
  readonly startUs: number;
  /** Where its line ends: how far the branch has run, µs (at least its start). */
  readonly endUs: number;
}

/**
 * The tree laid out for drawing, DSLabs's way: one row per branch in
 * depth-first order (so a child is below its parent and above its parent's
 * later children), each branch a line along virtual time from its fork point
 * to where it has run, and its fork node on the parent's line at that time.
 * `reachedUs` says how far each branch has run (absent: not run yet, so its
 * line is its fork point alone).
 */
export function placeBranches<E extends { readonly at: number }>(tree: ForkTree<E>, reachedUs: ReadonlyMap<number, number>): PlacedBranch<E>[] {
  const rows = tree.rows();
  const rowOf = new Map<number, number>();
  rows.forEach((r, k) => rowOf.set(r.branch.id, k));
  return rows.map(({ branch }, row) => {
    const startUs = branch.parent === null ? 0 : branch.forkUs;
    return { branch, row, parentRow: branch.parent === null ? -1 : (rowOf.get(branch.parent) as number), startUs, endUs: Math.max(startUs, reachedUs.get(branch.id) ?? startUs) };
  });
}
