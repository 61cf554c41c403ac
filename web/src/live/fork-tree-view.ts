import * as d3 from "d3";
import type { FaultEntry } from "../../../src/scenario/index.ts";
import { formatUs } from "../model/describe.ts";
import { h, replaceChildren } from "../ui/dom.ts";
import { placeBranches, type ForkTree, type PlacedBranch } from "./fork-tree.ts";
import { describeIntervention } from "./intervention.ts";

/**
 * The branches of a live run drawn as a tree, as DSLabs draws its event
 * tree (not RaftScope's single line): virtual time runs left to right, each
 * branch is a line from its fork point to where it has run, hanging from a
 * node on its parent's line at the fork's instant; the edge down to it is
 * labelled with the interventions it made, and small ticks on its line mark
 * their instants. The current branch is drawn bold and blue; a click on a
 * branch switches to it, "compare" puts it beside the current one.
 */

export interface TreeActions {
  switchTo(branch: number): void;
  compare(branch: number): void;
}

/** How far a branch has run and its digest, as the page last heard. */
export interface BranchEnd {
  readonly nowUs: number;
  readonly finished: boolean;
  readonly digest: string | null;
}

const WIDTH_PX = 360;
const ROW_PX = 38;
const TOP_PX = 24;
const LEFT_PX = 28;
const RIGHT_PX = 58;
/** Characters of an edge's label before it is cut (the whole is in its tooltip). */
const LABEL_CHARS_MAX = 44;

export class ForkTreeView {
  readonly element: HTMLDivElement = h("div", { class: "live-tree", id: "live-tree-view" });

  constructor(private readonly actions: TreeActions) {}

  render(tree: ForkTree<FaultEntry>, current: number, ends: ReadonlyMap<number, BranchEnd>, durationUs: number): void {
    const reached = new Map<number, number>();
    for (const [id, end] of ends) reached.set(id, end.nowUs);
    const placed = placeBranches(tree, reached);
    const heightPx = TOP_PX + placed.length * ROW_PX + 4;
    const x = d3.scaleLinear().domain([0, Math.max(1, durationUs)]).range([LEFT_PX, WIDTH_PX - RIGHT_PX]);
    const y = (row: number) => TOP_PX + row * ROW_PX + ROW_PX - 10;
    replaceChildren(this.element);
    const svg = d3
      .select(this.element)
      .append("svg")
      .attr("id", "live-tree-svg")
      .attr("viewBox", `0 0 ${WIDTH_PX} ${heightPx}`)
      .attr("width", "100%")
      .attr("data-branches", placed.length)
      .attr("data-current", current);
    svg
      .append("g")
      .attr("class", "live-tree-axis")
      .attr("transform", `translate(0,${TOP_PX - 6})`)
      .call(d3.axisTop(x).ticks(4).tickSizeOuter(0).tickFormat((us) => `${Number(us) / 1_000_000} s`));
    // The current branch last, so that it is drawn over the others.
    const order = placed.slice().sort((a, b) => Number(a.branch.id === current) - Number(b.branch.id === current) || a.row - b.row);
    for (const p of order) this.drawBranch(svg, tree, p, p.branch.id === current, ends.get(p.branch.id), x, y);
  }

  private drawBranch(
    svg: d3.Selection<SVGSVGElement, unknown, null, undefined>,
    tree: ForkTree<FaultEntry>,
    p: PlacedBranch<FaultEntry>,
    isCurrent: boolean,
    end: BranchEnd | undefined,
    x: d3.ScaleLinear<number, number>,
    y: (row: number) => number,
  ): void {
    const { branch } = p;
    const own = tree.own(branch.id);
    const did = own.map((r) => describeIntervention(r.entry)).join(", ");
    const label = branch.parent === null ? (own.length === 0 ? "the scenario" : `the scenario; ${did}`) : own.length === 0 ? "no intervention yet" : did;
    const x0 = x(p.startUs);
    const x1 = Math.max(x0 + 2, x(p.endUs));
    const yy = y(p.row);
    const g = svg
      .append("g")
      .attr("class", `live-branch${isCurrent ? " current" : ""}`)
      .attr("data-branch", branch.id)
      .attr("data-parent", branch.parent ?? "")
      .attr("data-fork-us", p.startUs)
      .attr("data-end-us", p.endUs)
      .attr("data-label", label)
      .attr("data-digest", end?.digest ?? "")
      .on("click", () => this.actions.switchTo(branch.id));
    const where = branch.parent === null ? "from the start" : `forked from ${branch.parent} after event #${branch.forkEv} (${formatUs(branch.forkUs)})`;
    g.append("title").text(`branch ${branch.id}, ${where}: ${label}${end === undefined ? "" : ` · run to ${formatUs(end.nowUs)}${end.finished ? " (finished)" : ""}${end.digest === null ? "" : ` · digest ${end.digest}`}`} · click to switch to it`);
    // A band across the row: the whole row takes the click.
    g.append("rect").attr("class", "live-branch-hit").attr("x", 0).attr("y", yy - ROW_PX + 10).attr("width", WIDTH_PX).attr("height", ROW_PX);
    if (p.parentRow >= 0) {
      // The edge: down from the fork node on the parent's line to this branch's line, labelled with what it did.
      g.append("path").attr("class", "live-branch-edge").attr("d", `M${x0},${y(p.parentRow)} V${yy - 4} Q${x0},${yy} ${x0 + 4},${yy}`);
    }
    g.append("line").attr("class", "live-branch-line").attr("x1", x0).attr("x2", x1).attr("y1", yy).attr("y2", yy);
    for (const r of own) g.append("line").attr("class", "live-branch-tick").attr("x1", x(r.entry.at)).attr("x2", x(r.entry.at)).attr("y1", yy - 4).attr("y2", yy + 4);
    if (p.parentRow >= 0) g.append("circle").attr("class", "live-fork-node").attr("cx", x0).attr("cy", y(p.parentRow)).attr("r", 3.5);
    g.append("circle").attr("class", `live-branch-head${end?.finished === true ? " finished" : ""}`).attr("cx", x1).attr("cy", yy).attr("r", 4);
    g.append("text").attr("class", "live-branch-id").attr("x", 4).attr("y", yy + 4).text(String(branch.id));
    g.append("text")
      .attr("class", "live-branch-label")
      .attr("x", Math.min(x0 + 6, WIDTH_PX - RIGHT_PX - 60))
      .attr("y", yy - 6)
      .text(label.length > LABEL_CHARS_MAX ? `${label.slice(0, LABEL_CHARS_MAX - 1)}…` : label);
    if (!isCurrent) {
      g.append("text")
        .attr("class", "live-compare-button")
        .attr("data-branch", branch.id)
        .attr("x", WIDTH_PX - 4)
        .attr("y", yy + 4)
        .attr("text-anchor", "end")
        .text("compare")
        .on("click", (event: MouseEvent) => {
          event.stopPropagation();
          this.actions.compare(branch.id);
        })
        .append("title")
        .text("compare with the current branch, side by side");
    }
  }
}
