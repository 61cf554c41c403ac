import * as d3 from "d3";
import { lowerBound } from "../model/filters.ts";
import { EV, MSG_DROPPED, MSG_DUPLICATE } from "../model/trace-model.ts";
import { faultColor, faultGlyph, type DiagramFrame } from "../render/diagram.ts";
import { ballotColor, COLORS, groupShade, messageColor, OUTCOME_COLORS } from "../render/palette.ts";

/**
 * The diagram in view as a vector drawing: lanes, shading, operations,
 * arrows, leader terms, marks, labels, the cursor and the axis, built with d3
 * as SVG elements (one path per arrow, classed `arrow`), in the canvas's
 * colours and at its size. Not a picture of the canvas: it scales, and its
 * text is text. Elements are bounded: past the arrows' budget one arrow per
 * lane pair and pixel row stands for the others (as on the canvas), and past
 * the whole budget the drawing stops and says so.
 */

/** Arrows drawn one by one (the canvas's per-screen budget); past it, one per lane pair and pixel row. */
const ARROWS_MAX = 20_000;
/** Marks on lanes (faults, starts, bookkeeping ticks) at most. */
const MARKS_MAX = 8_000;
/** Every element of the drawing at most; past it, layers drawn later are cut and the drawing says so. */
export const SVG_ELEMENTS_MAX = 60_000;
/** Events scanned for ticks; past it only the always-marked ones (faults, findings) are drawn, as on the canvas. */
const TICK_SCAN_MAX = 24_000;
/** Arrowheads only when this few arrows are in view (on dense arrows they are a smudge). */
const HEADS_ARROWS_MAX = 400;

export interface SvgDrawing {
  readonly text: string;
  /** Arrow paths drawn, and the arrows in view they stand for. */
  readonly arrows: number;
  readonly arrowsInView: number;
  readonly elements: number;
  /** Whether the element budget cut the drawing short. */
  readonly capped: boolean;
}

type Group = d3.Selection<SVGGElement, undefined, null, undefined>;
type Scale = d3.ScaleLinear<number, number>;

/** Counts elements against the budget. */
class Budget {
  used = 0;
  capped = false;
  take(n = 1): boolean {
    if (this.used + n > SVG_ELEMENTS_MAX) {
      this.capped = true;
      return false;
    }
    this.used += n;
    return true;
  }
}

/** Draws what the diagram shows now; `title` names the run (scenario, seed, digest). */
export function diagramSvg(frame: DiagramFrame, title: string): SvgDrawing {
  const { width, height, margin } = frame;
  const [c0, c1] = frame.range;
  const y = d3.scaleLinear().domain([c0, c1]).range([margin.top, height - margin.bottom]);
  const budget = new Budget();
  const svg = d3
    .create("svg")
    .attr("xmlns", "http://www.w3.org/2000/svg")
    .attr("width", width)
    .attr("height", height)
    .attr("viewBox", `0 0 ${width} ${height}`)
    .attr("font-family", "system-ui, sans-serif");
  svg.append("title").text(title);
  const defs = svg.append("defs");
  defs.append("clipPath").attr("id", "plot").append("rect").attr("x", 0).attr("y", margin.top - 4).attr("width", width).attr("height", height - margin.top + 4);
  defs
    .append("marker")
    .attr("id", "head")
    .attr("viewBox", "0 0 10 10")
    .attr("refX", 10)
    .attr("refY", 5)
    .attr("markerWidth", 6)
    .attr("markerHeight", 6)
    .attr("markerUnits", "userSpaceOnUse")
    .attr("orient", "auto")
    .append("path")
    .attr("d", "M0,1 L10,5 L0,9 z")
    .attr("fill", "#555");
  svg.append("rect").attr("width", width).attr("height", height).attr("fill", "#ffffff");
  const plot = svg.append("g").attr("clip-path", "url(#plot)");
  budget.take(8);

  drawNetwork(plot.append("g").attr("class", "network"), frame, y, budget);
  drawLanes(plot.append("g").attr("class", "lanes"), frame, y, budget);
  drawSpans(plot.append("g").attr("class", "spans"), frame, y, budget);
  const arrows = drawArrows(plot.append("g").attr("class", "arrows"), frame, y, budget);
  drawRoles(plot.append("g").attr("class", "roles"), frame, y, budget);
  drawMarks(plot.append("g").attr("class", "marks"), frame, y, budget);
  drawCursor(plot.append("g").attr("class", "cursor"), frame, y, budget);
  drawLaneLabels(svg.append("g").attr("class", "lane-labels"), frame);
  const axis = svg.append("g").attr("class", "axis").attr("transform", `translate(${margin.left - 6},0)`).attr("font-size", 10);
  axis.call(axisOf(frame, y));
  if (budget.capped) {
    svg.append("text").attr("class", "capped").attr("x", margin.left + 4).attr("y", height - 4).attr("font-size", 11).attr("fill", COLORS.violation).text(`Cut short: a drawing holds at most ${SVG_ELEMENTS_MAX} elements; zoom in for the rest.`);
  }
  svg.attr("data-arrows", arrows.drawn).attr("data-arrows-in-view", arrows.inView).attr("data-elements", budget.used).attr("data-range", `${c0},${c1}`);
  const node = svg.node() as SVGSVGElement;
  const text = `<?xml version="1.0" encoding="UTF-8"?>\n${new XMLSerializer().serializeToString(node)}\n`;
  return { text, arrows: arrows.drawn, arrowsInView: arrows.inView, elements: budget.used, capped: budget.capped };
}

/** Lanes cut off from the majority, shaded by group. */
function drawNetwork(g: Group, frame: DiagramFrame, y: Scale, budget: Budget): void {
  const { scene, laneXs } = frame;
  const [c0, c1] = frame.range;
  const gap = laneGap(frame);
  for (const interval of scene.model.network) {
    const s = scene.coords.y(interval.startEv);
    const e = scene.coords.yEnd(interval.endEv);
    if (e < c0 || s > c1) continue;
    const top = y(Math.max(s, c0));
    const bottom = y(Math.min(e, c1));
    interval.groupOf.forEach((group, lane) => {
      const x = laneXs[lane] as number;
      if (Number.isNaN(x) || group === 0 || !budget.take()) return;
      g.append("rect").attr("x", x - gap / 2 + 2).attr("y", top).attr("width", gap - 4).attr("height", Math.max(1, bottom - top)).attr("fill", groupShade(group));
    });
    if (budget.take()) g.append("text").attr("x", frame.margin.left + 4).attr("y", Math.min(y(e) - 2, Math.max(frame.margin.top + 10, y(s) + 12))).attr("font-size", 11).attr("fill", "#6a1b9a").text(`✂ ${interval.label}`);
  }
}

/** Lane axes; crashed stretches red and dashed, paused ones orange and dotted. */
function drawLanes(g: Group, frame: DiagramFrame, y: Scale, budget: Budget): void {
  const { scene, laneXs } = frame;
  const [c0, c1] = frame.range;
  for (let lane = 0; lane < laneXs.length; lane++) {
    const x = laneXs[lane] as number;
    if (Number.isNaN(x) || !budget.take()) continue;
    g.append("line").attr("class", "lane").attr("data-lane", scene.model.lanes[lane]?.id ?? "").attr("x1", x).attr("x2", x).attr("y1", y(c0)).attr("y2", y(c1)).attr("stroke", COLORS.lane);
  }
  for (const interval of scene.model.laneIntervals) {
    if (interval.kind !== "crashed" && interval.kind !== "paused") continue;
    const x = laneXs[interval.lane] as number;
    if (Number.isNaN(x)) continue;
    const s = scene.coords.y(interval.startEv);
    const e = scene.coords.yEnd(interval.endEv);
    if (e < c0 || s > c1 || !budget.take(2)) continue;
    const y0 = y(Math.max(s, c0));
    const y1 = y(Math.min(e, c1));
    const crashed = interval.kind === "crashed";
    g.append("rect").attr("x", x - 3).attr("y", y0).attr("width", 6).attr("height", Math.max(1, y1 - y0)).attr("fill", crashed ? "rgba(214,39,40,0.18)" : "rgba(255,152,0,0.22)");
    g.append("line").attr("class", interval.kind).attr("x1", x).attr("x2", x).attr("y1", y0).attr("y2", y1).attr("stroke", crashed ? COLORS.crashed : COLORS.paused).attr("stroke-dasharray", crashed ? "6 4" : "2 3");
  }
}

/** Client operations: a bar right of the client's lane, coloured by outcome. */
function drawSpans(g: Group, frame: DiagramFrame, y: Scale, budget: Budget): void {
  const { scene, laneXs } = frame;
  const [c0, c1] = frame.range;
  const spans = scene.model.spans;
  const coords = scene.coords;
  coords.spans.query(c0, c1, (s) => {
    const x = laneXs[spans.lane[s] as number] as number;
    if (Number.isNaN(x) || !budget.take()) return;
    const y0 = y(Math.max(c0, coords.spanStart[s] as number));
    const y1 = y(Math.min(c1, coords.spanEnd[s] as number));
    g.append("rect")
      .attr("class", "span")
      .attr("x", x + 4)
      .attr("y", y0)
      .attr("width", 5)
      .attr("height", Math.max(1.5, y1 - y0))
      .attr("fill", OUTCOME_COLORS[spans.outcome[s] as number] ?? "#999")
      .append("title")
      .text(scene.model.opNames[spans.op[s] as number] ?? "");
    // The operation's name where its bar is tall enough, as on the canvas.
    const top = y(coords.spanStart[s] as number);
    if (y(coords.spanEnd[s] as number) - top > 14 && budget.take()) {
      g.append("text").attr("x", x + 11).attr("y", Math.max(frame.margin.top + 9, top + 9)).attr("font-size", 9).attr("fill", "#555555").text(scene.model.opNames[spans.op[s] as number] ?? "");
    }
  });
}

/** One path per message in view, from send to delivery; a drop ends in a cross, a duplicate is dashed. */
function drawArrows(g: Group, frame: DiagramFrame, y: Scale, budget: Budget): { drawn: number; inView: number } {
  const { scene, laneXs } = frame;
  const [c0, c1] = frame.range;
  const model = scene.model;
  const msgs = model.messages;
  const coords = scene.coords;
  const inView = coords.messages.count(c0, c1);
  const thinned = inView > ARROWS_MAX;
  const heads = inView <= HEADS_ARROWS_MAX;
  const seen = new Set<number>();
  const lanes = model.lanes.length;
  let drawn = 0;
  coords.messages.query(c0, c1, (m) => {
    const from = msgs.from[m] as number;
    const to = msgs.to[m] as number;
    const x0 = laneXs[from] as number;
    const x1full = laneXs[to] as number;
    const y0 = y(coords.msgStart[m] as number);
    const y1 = y(coords.msgEnd[m] as number);
    if (thinned) {
      const cell = (Math.floor(Math.max(0, Math.min(y0, y1))) * lanes + from) * lanes + to;
      if (seen.has(cell)) return;
      seen.add(cell);
    }
    if (!budget.take()) return;
    const flags = msgs.flags[m] as number;
    const dropped = (flags & MSG_DROPPED) !== 0;
    // A message dropped as it was sent goes a third of the way before its cross.
    const stub = dropped && y1 - y0 < 1.5;
    const x1 = stub ? x0 + (x1full - x0) * 0.35 : x1full;
    const y1d = stub ? y0 + 4 : y1;
    const type = model.messageTypes[msgs.type[m] as number] as string;
    const path = g
      .append("path")
      .attr("class", "arrow")
      .attr("data-id", msgs.id[m] as number)
      .attr("data-type", type)
      .attr("d", `M${round(x0)},${round(y0)}L${round(x1)},${round(y1d)}`)
      .attr("stroke", messageColor(type))
      .attr("stroke-width", heads ? 1.25 : 1);
    if ((flags & MSG_DUPLICATE) !== 0) path.attr("stroke-dasharray", "4 3");
    if (heads && !dropped && (msgs.endEv[m] as number) >= 0) path.attr("marker-end", "url(#head)");
    drawn++;
    if (dropped && budget.take()) {
      g.append("path")
        .attr("class", "cross")
        .attr("d", `M${round(x1 - 3)},${round(y1d - 3)}L${round(x1 + 3)},${round(y1d + 3)}M${round(x1 + 3)},${round(y1d - 3)}L${round(x1 - 3)},${round(y1d + 3)}`)
        .attr("stroke", COLORS.crashed)
        .attr("stroke-width", 1.5);
    }
  });
  return { drawn, inView };
}

/** Leader terms as a band left of the lane, with the ballot; candidacies as a dashed outline. */
function drawRoles(g: Group, frame: DiagramFrame, y: Scale, budget: Budget): void {
  const { scene, laneXs } = frame;
  const [c0, c1] = frame.range;
  for (const interval of scene.model.laneIntervals) {
    if (interval.kind !== "leader" && interval.kind !== "candidate") continue;
    const x = laneXs[interval.lane] as number;
    if (Number.isNaN(x)) continue;
    const s = scene.coords.y(interval.startEv);
    const e = scene.coords.yEnd(interval.endEv);
    if (e < c0 || s > c1 || !budget.take(2)) continue;
    const y0 = y(Math.max(s, c0));
    const y1 = y(Math.min(e, c1));
    if (interval.kind === "candidate") {
      g.append("rect").attr("x", x - 10.5).attr("y", y0).attr("width", 6).attr("height", Math.max(1, y1 - y0)).attr("fill", "none").attr("stroke", "#757575").attr("stroke-dasharray", "2 2");
      continue;
    }
    g.append("rect").attr("class", "leader").attr("x", x - 11).attr("y", y0).attr("width", 7).attr("height", Math.max(2, y1 - y0)).attr("fill", ballotColor(interval.label)).attr("stroke", "#37474f");
    if (y(e) - y(s) >= 16) {
      const ly = Math.min(y(e) - 2, Math.max(frame.margin.top + 12, y(s) + 12));
      g.append("text").attr("x", x - 13).attr("y", ly).attr("text-anchor", "end").attr("font-size", 10).attr("font-weight", "bold").attr("fill", "#263238").attr("paint-order", "stroke").attr("stroke", "#ffffff").attr("stroke-width", 3).text(`leader ${interval.label}`);
    }
  }
}

/** Marks of events without a message: fault glyphs and names, violations, starts, and ticks for the kinds asked for. */
function drawMarks(g: Group, frame: DiagramFrame, y: Scale, budget: Budget): void {
  const { scene, laneXs, width, margin } = frame;
  const model = scene.model;
  const ev = model.events;
  const [first, last] = scene.coords.eventRange(frame.range[0], frame.range[1]);
  const marked = scene.view.markedEvents;
  const events: Iterable<number> = last - first <= TICK_SCAN_MAX ? rangeOf(first, last) : marked.subarray(lowerBound(marked, first), lowerBound(marked, last));
  let marks = 0;
  for (const i of events) {
    const kind = ev.kind[i] as number;
    if (kind === EV.send || kind === EV.deliver || kind === EV.drop || kind === EV.duplicate || kind === EV.violation) continue;
    if (!scene.view.eventShown(i)) continue;
    if (marks >= MARKS_MAX || !budget.take(2)) break;
    marks++;
    const lane = ev.lane[i] as number;
    const yy = y(scene.coords.y(i));
    const code = ev.code[i] as number;
    if (lane < 0) {
      const label = kind === EV.fault ? (model.faultTypes[code] ?? "fault") : (model.foreignTypes[code] ?? "");
      g.append("line").attr("x1", margin.left).attr("x2", width - margin.right).attr("y1", yy).attr("y2", yy).attr("stroke", "#6a1b9a").attr("stroke-dasharray", "3 3");
      g.append("text").attr("x", width - margin.right).attr("y", yy - 2).attr("text-anchor", "end").attr("font-size", 10).attr("fill", "#6a1b9a").text(label);
      continue;
    }
    const x = laneXs[lane] as number;
    if (Number.isNaN(x)) continue;
    laneMark(g, kind, x, yy, kind === EV.fault ? (model.faultTypes[code] ?? "") : "");
  }
  for (const violation of model.violations) {
    const c = scene.coords.y(violation.anchorEv);
    if (c < frame.range[0] || c > frame.range[1] || !budget.take(2)) continue;
    const yy = y(c);
    const lane = ev.lane[violation.ev] as number;
    const x = lane < 0 ? Number.NaN : (laneXs[lane] as number);
    if (Number.isNaN(x)) g.append("line").attr("x1", margin.left).attr("x2", width - margin.right).attr("y1", yy).attr("y2", yy).attr("stroke", COLORS.violation).attr("stroke-dasharray", "3 3");
    else g.append("path").attr("class", "violation").attr("d", `M${x},${yy - 7}L${x + 7},${yy}L${x},${yy + 7}L${x - 7},${yy}z`).attr("fill", COLORS.violation);
    g.append("text").attr("x", width - margin.right).attr("y", yy - 2).attr("text-anchor", "end").attr("font-size", 10).attr("font-weight", "bold").attr("fill", COLORS.violation).text(`✖ ${violation.check}`);
  }
}

function laneMark(g: Group, kind: number, x: number, yy: number, faultType: string): void {
  switch (kind) {
    case EV.fault:
      g.append("text").attr("class", "fault").attr("x", x - 5).attr("y", yy + 5).attr("font-size", 13).attr("font-weight", "bold").attr("fill", faultColor(faultType)).text(faultGlyph(faultType));
      g.append("text").attr("x", x + 8).attr("y", yy + 4).attr("font-size", 10).attr("fill", faultColor(faultType)).text(faultType);
      return;
    case EV.start:
      g.append("circle").attr("cx", x).attr("cy", yy).attr("r", 4).attr("fill", "none").attr("stroke", "#2e7d32").attr("stroke-width", 1.5);
      return;
    case EV.invoke:
    case EV.complete:
      g.append("rect").attr("x", x + 3).attr("y", yy - 1).attr("width", 8).attr("height", 2).attr("fill", "#6d4c41");
      return;
    case EV.foreign:
      g.append("rect").attr("x", x - 3).attr("y", yy - 3).attr("width", 6).attr("height", 6).attr("fill", "#757575");
      return;
    default:
      g.append("rect")
        .attr("x", x - 4)
        .attr("y", yy - 0.5)
        .attr("width", 8)
        .attr("height", 1.5)
        .attr("fill", kind === EV.note ? "#5e35b1" : kind === EV.timer ? "#00897b" : "#8d6e63");
  }
}

/** The cursor, and a dot on every message in flight at it. */
function drawCursor(g: Group, frame: DiagramFrame, y: Scale, budget: Budget): void {
  const { scene, laneXs, width, margin } = frame;
  if (scene.cursor < 0) return;
  const c = scene.coords.y(scene.cursor);
  if (c < frame.range[0] || c > frame.range[1]) return;
  const yy = y(c);
  g.append("line").attr("class", "cursor-line").attr("x1", margin.left - 6).attr("x2", width - margin.right + 10).attr("y1", yy).attr("y2", yy).attr("stroke", COLORS.cursor).attr("stroke-width", 1.5);
  const coords = scene.coords;
  const msgs = scene.model.messages;
  coords.messages.query(c, c, (m) => {
    const s = coords.msgStart[m] as number;
    const e = coords.msgEnd[m] as number;
    if (!(s <= c && c < e) || !budget.take()) return;
    const along = e === s ? 0 : (c - s) / (e - s);
    const x0 = laneXs[msgs.from[m] as number] as number;
    const x1 = laneXs[msgs.to[m] as number] as number;
    g.append("circle")
      .attr("class", "inflight")
      .attr("cx", round(x0 + (x1 - x0) * along))
      .attr("cy", yy)
      .attr("r", 3.5)
      .attr("fill", messageColor(scene.model.messageTypes[msgs.type[m] as number] as string))
      .attr("stroke", "#ffffff");
  });
}

function drawLaneLabels(g: Group, frame: DiagramFrame): void {
  const { scene, laneXs, width, margin } = frame;
  g.append("rect").attr("width", width).attr("height", margin.top - 6).attr("fill", "#fafafa");
  g.append("line").attr("x1", 0).attr("x2", width).attr("y1", margin.top - 6.5).attr("y2", margin.top - 6.5).attr("stroke", "#dddddd");
  scene.model.lanes.forEach((lane, index) => {
    const x = laneXs[index] as number;
    if (Number.isNaN(x)) return;
    g.append("text")
      .attr("class", "lane-label")
      .attr("x", x)
      .attr("y", 15)
      .attr("text-anchor", "middle")
      .attr("font-size", 12)
      .attr("font-weight", "bold")
      .attr("fill", lane.kind === "server" ? "#0d47a1" : lane.kind === "client" ? "#4a148c" : COLORS.laneText)
      .text(lane.id);
    g.append("text").attr("x", x).attr("y", 27).attr("text-anchor", "middle").attr("font-size", 9).attr("fill", "#777777").text(lane.kind);
  });
}

/** The axis as the diagram draws it: virtual time, or event numbers in event order. */
function axisOf(frame: DiagramFrame, y: Scale): d3.Axis<d3.NumberValue> {
  const mode = frame.scene.coords.mode;
  const span = Math.abs(frame.range[1] - frame.range[0]);
  const shown = frame.scene.view.shownEvents;
  return d3
    .axisLeft(y)
    .ticks(Math.max(2, Math.floor(frame.height / 60)))
    .tickFormat((value) => {
      const v = Number(value);
      if (mode === "order") {
        const row = Math.round(v);
        return Number.isInteger(v) && row >= 0 && row < shown.length ? `#${shown[row]}` : "";
      }
      return span >= 2_000_000 ? `${(v / 1e6).toFixed(2)} s` : span >= 2_000 ? `${(v / 1e3).toFixed(span >= 20_000 ? 1 : 3)} ms` : `${v.toFixed(0)} µs`;
    });
}

function laneGap(frame: DiagramFrame): number {
  let shown = 0;
  for (let k = 0; k < frame.laneXs.length; k++) if (!Number.isNaN(frame.laneXs[k] as number)) shown++;
  return shown <= 1 ? frame.width / 2 : (frame.width - frame.margin.left - frame.margin.right - 48) / (shown - 1);
}

function* rangeOf(first: number, last: number): Generator<number> {
  for (let i = first; i < last; i++) yield i;
}

/** Coordinates to a tenth of a pixel: the file stays small and the drawing exact enough. */
function round(v: number): number {
  return Math.round(v * 10) / 10;
}
