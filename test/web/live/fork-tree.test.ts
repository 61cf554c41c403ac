import { describe, expect, test } from "vitest";
import { BRANCHES_MAX, ForkTree, ForkTreeError, placeBranches } from "../../../web/src/live/fork-tree.ts";

type Entry = { readonly at: number; readonly what: string };

function entry(at: number, what: string): Entry {
  return { at, what };
}

describe("the fork tree of a live run", () => {
  test("a fork keeps the parent's interventions up to its event and none after; the parent keeps all of its own", () => {
    const tree = new ForkTree<Entry>();
    tree.record(0, { entry: entry(1_000, "crash s1"), firstEv: 10 });
    tree.record(0, { entry: entry(2_000, "cut s2 s3"), firstEv: 20 });
    tree.record(0, { entry: entry(3_000, "heal"), firstEv: 30 });
    const fork = tree.fork(0, 20, 2_000);
    expect(fork.parent).toBe(0);
    expect(fork.interventions.map((r) => r.entry.what)).toEqual(["crash s1", "cut s2 s3"]);
    expect(fork.inherited).toBe(2);
    expect(tree.own(fork.id)).toEqual([]);
    // The event just before an intervention's own event: the state before it.
    expect(tree.fork(0, 19, 2_000).interventions.map((r) => r.entry.what)).toEqual(["crash s1"]);
    expect(tree.branch(0).interventions).toHaveLength(3);
  });

  test("interventions made on a fork are its own; the parent does not see them", () => {
    const tree = new ForkTree<Entry>();
    tree.record(0, { entry: entry(1_000, "crash s1"), firstEv: 10 });
    const fork = tree.fork(0, 15, 1_500);
    tree.record(fork.id, { entry: entry(1_500, "crash s2"), firstEv: 16 });
    expect(tree.own(fork.id).map((r) => r.entry.what)).toEqual(["crash s2"]);
    expect(tree.branch(fork.id).interventions.map((r) => r.entry.what)).toEqual(["crash s1", "crash s2"]);
    expect(tree.branch(0).interventions.map((r) => r.entry.what)).toEqual(["crash s1"]);
    expect(tree.path(fork.id).map((b) => b.id)).toEqual([0, fork.id]);
  });

  test("an intervention before the branch's last one is refused: that is a fork", () => {
    const tree = new ForkTree<Entry>();
    tree.record(0, { entry: entry(2_000, "crash s1"), firstEv: 20 });
    expect(() => tree.record(0, { entry: entry(1_000, "crash s2"), firstEv: 10 })).toThrow(ForkTreeError);
    expect(() => tree.record(0, { entry: entry(2_000, "crash s2"), firstEv: 19 })).toThrow(/go back and fork/);
    // The same instant, later in the trace, is fine.
    tree.record(0, { entry: entry(2_000, "crash s2"), firstEv: 21 });
    expect(tree.branch(0).interventions).toHaveLength(2);
  });

  test("rows are drawn depth first, children by their fork point, so the tree reads top down", () => {
    const tree = new ForkTree<Entry>();
    const late = tree.fork(0, 50, 5_000);
    const early = tree.fork(0, 10, 1_000);
    const grandchild = tree.fork(early.id, 30, 3_000);
    expect(tree.rows().map((r) => [r.branch.id, r.depth])).toEqual([
      [0, 0],
      [early.id, 1],
      [grandchild.id, 2],
      [late.id, 1],
    ]);
    expect(tree.path(grandchild.id).map((b) => b.id)).toEqual([0, early.id, grandchild.id]);
  });

  test("the tree is bounded, and names what it refuses", () => {
    const tree = new ForkTree<Entry>();
    for (let k = 1; k < BRANCHES_MAX; k++) tree.fork(0, k, k);
    expect(() => tree.fork(0, 1, 1)).toThrow(`at most ${BRANCHES_MAX} branches`);
    expect(() => tree.branch(BRANCHES_MAX)).toThrow(`no branch ${BRANCHES_MAX}`);
    expect(() => new ForkTree<Entry>().fork(0, -2, 0)).toThrow(/after an event/);
  });

  test("laid out for drawing, each branch has its own row below its parent's and its line starts at its fork's instant on the parent's row", () => {
    const tree = new ForkTree<Entry>();
    tree.record(0, { entry: entry(1_000, "crash s1"), firstEv: 10 });
    const late = tree.fork(0, 40, 4_000);
    const early = tree.fork(0, 20, 2_000);
    const grandchild = tree.fork(early.id, 30, 3_000);
    const placed = placeBranches(tree, new Map([[0, 9_000], [early.id, 5_000], [grandchild.id, 2_500]]));
    const byId = new Map(placed.map((p) => [p.branch.id, p]));
    // Depth first, children by fork point: 0, early, its child, then late.
    expect(placed.map((p) => p.branch.id)).toEqual([0, early.id, grandchild.id, late.id]);
    expect(placed.map((p) => p.row)).toEqual([0, 1, 2, 3]);
    expect(byId.get(0)).toMatchObject({ parentRow: -1, startUs: 0, endUs: 9_000 });
    expect(byId.get(early.id)).toMatchObject({ parentRow: 0, startUs: 2_000, endUs: 5_000 });
    expect(byId.get(grandchild.id)).toMatchObject({ parentRow: 1, startUs: 3_000, endUs: 3_000 });
    // Not run yet: its line is its fork point.
    expect(byId.get(late.id)).toMatchObject({ parentRow: 0, startUs: 4_000, endUs: 4_000 });
  });
});
