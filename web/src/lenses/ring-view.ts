import * as d3 from "d3";
import type { Coordinates } from "../model/layout.ts";
import type { TraceModel } from "../model/trace-model.ts";
import { messageColor } from "../render/palette.ts";
import { h, replaceChildren } from "../ui/dom.ts";
import { flightsAt, ringLayout, type Flight, type RingNode } from "./ring.ts";

/**
 * The ring: the servers on a circle, clients outside it, and every message
 * in flight at the diagram's cursor as a dot on its way (the picture known
 * from Raft visualizations), redrawn whenever the cursor moves. A node's
 * state at the cursor colours it (leader, crashed, paused); clicking one
 * selects its lane.
 */

const SIZE_MIN_PX = 240;
const NODE_RADIUS_PX = 17;

export interface RingActions {
  selectLane(lane: number): void;
}

export class RingView {
  private svg: d3.Selection<SVGSVGElement, unknown, null, undefined> | null = null;
  private nodes: RingNode[] = [];
  private model: TraceModel | null = null;
  private size = 0;
  private readonly caption: HTMLElement = h("p", { class: "muted small" });

  constructor(
    private readonly root: HTMLElement,
    private readonly actions: RingActions,
  ) {}

  clear(message: string): void {
    this.svg = null;
    this.model = null;
    this.root.dataset["inflight"] = "";
    replaceChildren(this.root, h("p", { class: "muted" }, message));
  }

  /** Builds the ring for a model (the nodes' places); `show` then draws a cursor. */
  load(model: TraceModel): void {
    this.model = model;
    this.size = Math.max(SIZE_MIN_PX, Math.min(560, this.root.clientWidth - 24));
    this.nodes = ringLayout(model, this.size);
    replaceChildren(this.root);
    const svg = d3.select(this.root).append("svg").attr("class", "ring").attr("width", this.size).attr("height", this.size).attr("viewBox", `0 0 ${this.size} ${this.size}`);
    const half = this.size / 2;
    svg.append("circle").attr("class", "ring-circle").attr("cx", half).attr("cy", half).attr("r", 0.52 * half);
    svg.append("g").attr("class", "ring-trails");
    svg.append("g").attr("class", "ring-nodes");
    svg.append("g").attr("class", "ring-flights");
    this.svg = svg;
    this.root.appendChild(this.caption);
  }

  /** Draws the nodes' states and the messages in flight at the cursor. */
  show(coords: Coordinates, cursor: number, selectedLane: number): void {
    const model = this.model;
    const svg = this.svg;
    if (model === null || svg === null) return;
    if (this.root.clientWidth > 0 && Math.abs(Math.max(SIZE_MIN_PX, Math.min(560, this.root.clientWidth - 24)) - this.size) > 40) this.load(model);
    const flights = flightsAt(model, coords, cursor);
    this.drawNodes(model, cursor, selectedLane);
    this.drawFlights(flights);
    this.root.dataset["inflight"] = String(flights.length);
    this.root.dataset["cursor"] = String(cursor);
    this.root.dataset["selectedLane"] = String(selectedLane);
    const byType = d3.rollups(flights, (v) => v.length, (f) => f.type).sort((a, b) => b[1] - a[1]);
    this.caption.textContent = `${flights.length} message${flights.length === 1 ? "" : "s"} in flight at #${cursor}${byType.length === 0 ? "" : `: ${byType.map(([type, n]) => `${type} ×${n}`).join(", ")}`}. Click a node to select its lane.`;
  }

  private drawNodes(model: TraceModel, cursor: number, selectedLane: number): void {
    const states = laneStatesAt(model, cursor);
    const group = (this.svg as d3.Selection<SVGSVGElement, unknown, null, undefined>).select<SVGGElement>("g.ring-nodes");
    const joined = group
      .selectAll<SVGGElement, RingNode>("g.ring-node")
      .data(this.nodes, (d) => d.id)
      .join((enter) => {
        const g = enter.append("g").attr("class", "ring-node").attr("data-node", (d) => d.id).attr("transform", (d) => `translate(${d.x},${d.y})`);
        g.append("circle").attr("r", (d) => (d.kind === "server" ? NODE_RADIUS_PX : NODE_RADIUS_PX - 5));
        g.append("text").attr("text-anchor", "middle").attr("dy", "0.35em");
        g.on("click", (_event, d) => this.actions.selectLane(d.lane));
        return g;
      });
    joined
      .attr("data-state", (d) => states[d.lane] ?? "")
      .attr("class", (d) => `ring-node ${d.kind} ${states[d.lane] ?? ""}${d.lane === selectedLane ? " selected" : ""}`);
    joined.select("text").text((d) => d.id);
  }

  private drawFlights(flights: readonly Flight[]): void {
    const svg = this.svg as d3.Selection<SVGSVGElement, unknown, null, undefined>;
    const at = new Map(this.nodes.map((n) => [n.lane, n]));
    const point = (f: Flight): [number, number] => {
      const a = at.get(f.from);
      const b = at.get(f.to);
      if (a === undefined || b === undefined) return [Number.NaN, Number.NaN];
      return [a.x + (b.x - a.x) * f.along, a.y + (b.y - a.y) * f.along];
    };
    svg
      .select("g.ring-trails")
      .selectAll<SVGLineElement, Flight>("line")
      .data(flights, (f) => String(f.m))
      .join("line")
      .attr("x1", (f) => at.get(f.from)?.x ?? 0)
      .attr("y1", (f) => at.get(f.from)?.y ?? 0)
      .attr("x2", (f) => point(f)[0])
      .attr("y2", (f) => point(f)[1])
      .attr("stroke", (f) => messageColor(f.type));
    svg
      .select("g.ring-flights")
      .selectAll<SVGCircleElement, Flight>("circle")
      .data(flights, (f) => String(f.m))
      .join("circle")
      .attr("r", 5)
      .attr("data-m", (f) => f.m)
      .attr("cx", (f) => point(f)[0])
      .attr("cy", (f) => point(f)[1])
      .attr("fill", (f) => messageColor(f.type))
      .call((c) => c.selectAll("title").remove())
      .append("title")
      .text((f) => `${f.type}: ${this.model?.lanes[f.from]?.id ?? "?"} → ${this.model?.lanes[f.to]?.id ?? "?"}`);
  }
}

/** Each lane's state at the cursor for the ring's colours: leader, candidate, crashed, paused or nothing. */
function laneStatesAt(model: TraceModel, cursor: number): string[] {
  const out = model.lanes.map(() => "");
  for (const interval of model.laneIntervals) {
    if (interval.startEv > cursor || (interval.endEv >= 0 && interval.endEv <= cursor)) continue;
    const known = out[interval.lane] ?? "";
    // Down beats a role: a crashed leader is crashed.
    if (known === "crashed" || known === "paused") continue;
    out[interval.lane] = interval.kind;
  }
  return out;
}
