import * as d3 from "d3";
import type { CauseChain } from "../model/causes.ts";
import type { FilterView } from "../model/filters.ts";
import { laneXs, segmentDistance, type Coordinates } from "../model/layout.ts";
import { EV, MSG_DROPPED, MSG_DUPLICATE, type TraceModel } from "../model/trace-model.ts";
import { ballotColor, COLORS, groupShade, messageColor, OUTCOME_COLORS } from "./palette.ts";

/**
 * The space-time diagram, drawn on a canvas: a lane per node, virtual time
 * (or event order) running down, messages as arrows from send to delivery.
 * d3 gives the vertical scale, the axis and zoom/pan; every frame draws only
 * what the visible stretch holds (the layout's interval index finds it), in
 * one path per colour. Past a budget of arrows, one arrow per pixel row and
 * lane pair stands for the others.
 */

export type Hit = { readonly kind: "message"; readonly m: number } | { readonly kind: "span"; readonly s: number } | { readonly kind: "event"; readonly ev: number };

export interface DiagramScene {
  readonly model: TraceModel;
  readonly view: FilterView;
  readonly coords: Coordinates;
  readonly cursor: number;
  readonly selectedEvent: number;
  readonly selectedMessage: number;
  readonly chain: CauseChain | null;
  readonly searchHits: ReadonlySet<number> | null;
}

export interface DiagramCallbacks {
  hover(hit: Hit | null, clientX: number, clientY: number): void;
  click(hit: Hit | null, coordinate: number): void;
  viewChanged(): void;
}

/** What the last frame drew (for tests and the status line). */
export interface FrameStats {
  lanes: number;
  arrowsShown: number;
  arrowsInView: number;
  arrowsDrawn: number;
  spansDrawn: number;
  marksDrawn: number;
  inflight: number;
  drawMs: number;
  frames: number;
  /** Base layers drawn (the arrows themselves); the other frames reuse the last one. */
  bases: number;
}

/** A drawn base layer: coordinates [c0, c1] at `scale` px per unit, for one scene and width. */
interface BaseLayer {
  readonly canvas: HTMLCanvasElement;
  readonly c0: number;
  readonly c1: number;
  readonly scale: number;
  readonly heightCss: number;
  readonly width: number;
  readonly version: number;
}

/** How long after the view last moved it counts as resting (ms). */
const SETTLE_MS = 140;
/** While moving, a base layer is stretched up to this factor before it is drawn again. */
const STRETCH_MAX = 2.5;
/** The tallest base layer, in CSS pixels (a canvas has limits). */
const BASE_HEIGHT_MAX = 8_000;

const MARGIN = { top: 38, right: 28, bottom: 12, left: 76 } as const;
/** Arrows drawn one by one up to this many; past it, one per pixel row and lane pair. */
const ARROWS_BUDGET = Number(new URLSearchParams(window.location.search).get("budget") ?? "25000");
/** Arrowheads and event ticks only when this few are in view. */
const DETAIL_ARROWS_MAX = 2_500;
const TICKS_MAX = 6_000;
/** The hit-test radius, px. */
const HIT_PX = 5;

export class Diagram {
  readonly canvas: HTMLCanvasElement;
  readonly stats: FrameStats = { lanes: 0, arrowsShown: 0, arrowsInView: 0, arrowsDrawn: 0, spansDrawn: 0, marksDrawn: 0, inflight: 0, drawMs: 0, frames: 0, bases: 0 };
  private readonly axisSvg: d3.Selection<SVGSVGElement, unknown, null, undefined>;
  private readonly axisGroup: d3.Selection<SVGGElement, unknown, null, undefined>;
  /** The context layers draw into: the screen's, or the base layer's while it is drawn. */
  private context: CanvasRenderingContext2D;
  private readonly screen: CanvasRenderingContext2D;
  /** The drawn layer under the overlays (see renderBase), and what it was drawn for. */
  private base: BaseLayer | null = null;
  private sceneVersion = 0;
  /** When the view last moved (a zoom or pan), to tell a gesture from a still view. */
  private movedMs = Number.NEGATIVE_INFINITY;
  private crispTimer: ReturnType<typeof setTimeout> | null = null;
  private axisDomain = "";
  /** Where the layer being drawn starts and ends, in its own pixels. */
  private layerTop: number = MARGIN.top;
  private layerBottom = 0;
  private readonly zoom: d3.ZoomBehavior<HTMLCanvasElement, unknown>;
  private scene: DiagramScene | null = null;
  private transform: d3.ZoomTransform = d3.zoomIdentity;
  private width = 0;
  private height = 0;
  private xs: Float64Array = new Float64Array(0);
  private frameRequested = false;
  /** The messages the last frame drew, for hit tests. */
  private drawn = new Int32Array(ARROWS_BUDGET * 2);
  private drawnCount = 0;
  /** One cell per (lane pair, pixel row): marks an arrow drawn there in this frame. */
  private cells = new Uint8Array(0);
  /** Per lane, where the last fault label went in this frame (labels closer than a line are left out). */
  private labelY = new Float64Array(64);

  constructor(
    readonly container: HTMLElement,
    private readonly callbacks: DiagramCallbacks,
  ) {
    this.canvas = document.createElement("canvas");
    this.canvas.className = "diagram-canvas";
    this.canvas.tabIndex = 0;
    container.appendChild(this.canvas);
    this.axisSvg = d3.select(container).append("svg").attr("class", "diagram-axis");
    this.axisGroup = this.axisSvg.append("g").attr("transform", `translate(${MARGIN.left - 6},0)`);
    const context = this.canvas.getContext("2d", { alpha: false });
    if (context === null) throw new Error("this browser gives no 2D canvas");
    this.context = context;
    this.screen = context;
    this.zoom = d3
      .zoom<HTMLCanvasElement, unknown>()
      .scaleExtent([1, 1])
      .constrain((transform, extent) => this.constrain(transform, extent))
      .filter((event: Event) => (event.type === "wheel" || event.type.startsWith("mouse") || event.type.startsWith("touch") || event.type.startsWith("pointer")) && !(event as MouseEvent).button)
      .on("zoom", (event: d3.D3ZoomEvent<HTMLCanvasElement, unknown>) => {
        this.transform = event.transform;
        this.movedMs = performance.now();
        this.requestDraw();
        this.callbacks.viewChanged();
      });
    d3.select(this.canvas).call(this.zoom).on("dblclick.zoom", null);
    this.canvas.addEventListener("mousemove", (e) => this.hover(e));
    this.canvas.addEventListener("mouseleave", (e) => this.callbacks.hover(null, e.clientX, e.clientY));
    this.canvas.addEventListener("click", (e) => this.click(e));
    new ResizeObserver(() => this.resize()).observe(container);
    this.resize();
  }

  /** Shows a new scene; `keepView` keeps the visible stretch (same coordinates), otherwise the whole run is shown. */
  setScene(scene: DiagramScene, keepView: boolean): void {
    const before = this.scene;
    this.scene = scene;
    if (before === null || before.coords !== scene.coords || before.model !== scene.model) this.sceneVersion++;
    if (this.labelY.length < scene.model.lanes.length) this.labelY = new Float64Array(scene.model.lanes.length);
    this.xs = laneXs(scene.model.lanes.length, (lane) => scene.view.laneVisible(lane), MARGIN.left + 24, Math.max(MARGIN.left + 25, this.width - MARGIN.right - 24));
    this.zoom.scaleExtent([1, this.maxScale()]);
    if (!keepView || before === null || before.coords !== scene.coords) {
      if (!keepView || before === null) d3.select(this.canvas).call(this.zoom.transform, d3.zoomIdentity);
    }
    this.requestDraw();
  }

  /** The current scene's coordinate at the top and bottom of the view. */
  visibleRange(): [number, number] {
    const y = this.yScale();
    return [y.invert(MARGIN.top), y.invert(this.height - MARGIN.bottom)];
  }

  /** Shows the stretch [y0, y1] of coordinates. */
  showRange(y0: number, y1: number, animate = false): void {
    const scene = this.scene;
    if (scene === null) return;
    const [e0, e1] = scene.coords.extent;
    const span = Math.max(1e-9, y1 - y0);
    const k = Math.min(this.maxScale(), Math.max(1, (e1 - e0) / span));
    // The top of the view at y0: base(y0) * k + ty = top.
    const fixed = d3.zoomIdentity.translate(0, MARGIN.top - k * this.baseScale()(y0)).scale(k);
    const selection = d3.select(this.canvas);
    if (animate) selection.transition().duration(250).call(this.zoom.transform, fixed);
    else selection.call(this.zoom.transform, fixed);
  }

  /** Moves the view so that coordinate y is visible (centred if it was off screen). */
  reveal(y: number): void {
    const [y0, y1] = this.visibleRange();
    if (y >= y0 && y <= y1) return;
    const half = (y1 - y0) / 2;
    this.showRange(y - half, y + half);
  }

  /** Zooms by a factor about the middle of the view. */
  zoomBy(factor: number): void {
    d3.select(this.canvas).transition().duration(150).call(this.zoom.scaleBy, factor, [this.width / 2, (MARGIN.top + this.height) / 2]);
  }

  fit(): void {
    d3.select(this.canvas).transition().duration(200).call(this.zoom.transform, d3.zoomIdentity);
  }

  /** Moves the view by `dy` pixels (for benchmarks and keys). */
  panBy(dyPx: number): void {
    d3.select(this.canvas).call(this.zoom.translateBy, 0, dyPx / this.transform.k);
  }

  /** Sets the zoom directly (for benchmarks): scale k, top of the view at coordinate y0. */
  setView(k: number, y0: number): void {
    const base = this.baseScale();
    d3.select(this.canvas).call(this.zoom.transform, d3.zoomIdentity.translate(0, MARGIN.top - k * base(y0)).scale(k));
  }

  requestDraw(): void {
    if (this.frameRequested) return;
    this.frameRequested = true;
    requestAnimationFrame(() => {
      this.frameRequested = false;
      this.draw();
    });
  }

  /**
   * Draws a frame: the base layer (everything but the cursor and the
   * highlights), then the overlays. The base layer is redrawn only when the
   * scene or the view changed: stepping the cursor does not redraw a single
   * arrow. While the view moves, the last base layer is stretched into place
   * when it covers the view, and drawn again crisp once the view rests, so
   * panning and zooming stay fluid however many arrows are in view.
   */
  draw(): void {
    const started = performance.now();
    const ctx = this.screen;
    const dpr = window.devicePixelRatio || 1;
    ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
    ctx.fillStyle = "#ffffff";
    ctx.fillRect(0, 0, this.width, this.height);
    const scene = this.scene;
    if (scene === null) {
      this.axisGroup.selectAll("*").remove();
      this.axisDomain = "";
      return;
    }
    const y = this.yScale();
    const [c0, c1] = this.visibleRange();
    const base = this.baseFor(c0, c1);
    ctx.save();
    ctx.beginPath();
    ctx.rect(0, MARGIN.top - 4, this.width, this.height - MARGIN.top + 4);
    ctx.clip();
    const top = y(base.c0);
    const height = y(base.c1) - top;
    ctx.imageSmoothingEnabled = Math.abs(height - base.heightCss) > 0.5;
    ctx.drawImage(base.canvas, 0, 0, base.canvas.width, base.canvas.height, 0, top, this.width, height);
    this.context = ctx;
    this.layerTop = MARGIN.top;
    this.layerBottom = this.height - MARGIN.bottom;
    this.drawHighlights(scene, y);
    this.drawChain(scene, y);
    this.drawCursor(scene, y);
    ctx.restore();
    this.drawLaneLabels(scene);
    this.drawAxis(scene, y);
    this.stats.drawMs = performance.now() - started;
    this.stats.frames++;
    this.container.dataset["arrows"] = String(this.stats.arrowsDrawn);
    this.container.dataset["arrowsShown"] = String(this.stats.arrowsShown);
    this.container.dataset["arrowsInView"] = String(this.stats.arrowsInView);
    this.container.dataset["spans"] = String(this.stats.spansDrawn);
    this.container.dataset["lanes"] = String(this.stats.lanes);
    this.container.dataset["inflight"] = String(this.stats.inflight);
    this.container.dataset["frames"] = String(this.stats.frames);
    this.container.dataset["bases"] = String(this.stats.bases);
  }

  /** The base layer for the view [c0, c1]: the last one if it still serves, else a new one. */
  private baseFor(c0: number, c1: number): BaseLayer {
    const scene = this.scene as DiagramScene;
    const pixels = Math.max(1, this.height - MARGIN.top - MARGIN.bottom);
    const scale = pixels / Math.max(1e-12, c1 - c0);
    const base = this.base;
    const moving = performance.now() - this.movedMs < SETTLE_MS;
    if (base !== null && base.version === this.sceneVersion && base.width === this.width) {
      const slack = (c1 - c0) * 1e-9;
      const covers = base.c0 <= c0 + slack && base.c1 >= c1 - slack;
      const ratio = scale / base.scale;
      const exact = Math.abs(ratio - 1) < 1e-9;
      if (covers && exact) return base;
      if (covers && moving && ratio < STRETCH_MAX && ratio > 1 / STRETCH_MAX) {
        this.settleLater();
        return base;
      }
    }
    // Draw the view and as much again above and below (clipped to the run), so a pan has room.
    const [e0, e1] = scene.coords.extent;
    const span = c1 - c0;
    const b0 = moving ? Math.max(e0, c0 - span) : c0;
    const b1 = moving ? Math.min(e1, c1 + span) : c1;
    this.base = this.renderBase(b0, b1, scale, base);
    if (moving) this.settleLater();
    return this.base;
  }

  /** Draws the view again, crisp, once it has rested. */
  private settleLater(): void {
    if (this.crispTimer !== null) clearTimeout(this.crispTimer);
    this.crispTimer = setTimeout(() => {
      this.crispTimer = null;
      this.requestDraw();
    }, SETTLE_MS + 10);
  }

  /** Draws every layer under the overlays for coordinates [b0, b1] at `scale` px per unit, into an offscreen canvas. */
  private renderBase(b0: number, b1: number, scale: number, reuse: BaseLayer | null): BaseLayer {
    const scene = this.scene as DiagramScene;
    const dpr = window.devicePixelRatio || 1;
    const heightCss = Math.max(1, Math.min(BASE_HEIGHT_MAX, (b1 - b0) * scale));
    const canvas = reuse?.canvas ?? document.createElement("canvas");
    const widthPx = Math.floor(this.width * dpr);
    const heightPx = Math.max(1, Math.floor(heightCss * dpr));
    if (canvas.width !== widthPx) canvas.width = widthPx;
    if (canvas.height !== heightPx) canvas.height = heightPx;
    const ctx = canvas.getContext("2d");
    if (ctx === null) throw new Error("this browser gives no 2D canvas");
    ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
    ctx.fillStyle = "#ffffff";
    ctx.fillRect(0, 0, this.width, heightCss);
    const y = d3.scaleLinear().domain([b0, b1]).range([0, heightCss]);
    this.context = ctx;
    this.layerTop = 0;
    this.layerBottom = heightCss;
    try {
      this.drawNetwork(scene, y, b0, b1);
      this.drawLanes(scene, y, b0, b1);
      this.drawSpans(scene, y, b0, b1);
      this.drawMessages(scene, y, b0, b1, heightCss);
      this.drawRoles(scene, y, b0, b1);
      this.drawMarks(scene, y, b0, b1);
    } finally {
      this.context = this.screen;
    }
    this.stats.bases++;
    return { canvas, c0: b0, c1: b1, scale: heightCss / Math.max(1e-12, b1 - b0), heightCss, width: this.width, version: this.sceneVersion };
  }

  // ------------------------------------------------------------ scales

  private baseScale(): d3.ScaleLinear<number, number> {
    const extent = this.scene?.coords.extent ?? [0, 1];
    return d3.scaleLinear().domain(extent).range([MARGIN.top, Math.max(MARGIN.top + 1, this.height - MARGIN.bottom)]);
  }

  yScale(): d3.ScaleLinear<number, number> {
    return this.transform.rescaleY(this.baseScale());
  }

  private maxScale(): number {
    const scene = this.scene;
    if (scene === null) return 1;
    const [e0, e1] = scene.coords.extent;
    const pixels = Math.max(1, this.height - MARGIN.top - MARGIN.bottom);
    // Time: down to 2 µs per pixel. Event order: rows 40 px apart.
    const finest = scene.coords.mode === "time" ? (e1 - e0) / (pixels * 0.5) : ((e1 - e0) * 40) / pixels;
    return Math.max(1, finest);
  }

  /** Keeps the run in view: no panning above its start or below its end, and no sideways drift. */
  private constrain(transform: d3.ZoomTransform, extent: [[number, number], [number, number]]): d3.ZoomTransform {
    void extent;
    const top = MARGIN.top;
    const bottom = Math.max(top + 1, this.height - MARGIN.bottom);
    const k = transform.k;
    // Content spans [top, bottom] at k = 1; scaled: [top*k + ty, bottom*k + ty] must cover [top, bottom].
    const tyMax = top - top * k;
    const tyMin = bottom - bottom * k;
    const ty = Math.min(tyMax, Math.max(tyMin, transform.y));
    if (ty === transform.y && transform.x === 0) return transform;
    return d3.zoomIdentity.translate(0, ty).scale(k);
  }

  private resize(): void {
    // Keep the stretch in view across a resize (a banner appearing shrinks the diagram).
    const kept = this.scene !== null && this.height > 0 && this.transform.k > 1 ? this.visibleRange() : null;
    const rect = this.container.getBoundingClientRect();
    this.width = Math.max(200, Math.floor(rect.width));
    this.height = Math.max(200, Math.floor(rect.height));
    const dpr = window.devicePixelRatio || 1;
    this.canvas.width = Math.floor(this.width * dpr);
    this.canvas.height = Math.floor(this.height * dpr);
    this.canvas.style.width = `${this.width}px`;
    this.canvas.style.height = `${this.height}px`;
    this.axisSvg.attr("width", MARGIN.left).attr("height", this.height);
    this.zoom.extent([
      [0, MARGIN.top],
      [this.width, Math.max(MARGIN.top + 1, this.height - MARGIN.bottom)],
    ]);
    if (this.scene !== null) {
      const scene = this.scene;
      this.xs = laneXs(scene.model.lanes.length, (lane) => scene.view.laneVisible(lane), MARGIN.left + 24, Math.max(MARGIN.left + 25, this.width - MARGIN.right - 24));
      this.zoom.scaleExtent([1, this.maxScale()]);
      if (kept !== null) this.showRange(kept[0], kept[1]);
    }
    this.requestDraw();
  }

  // ------------------------------------------------------------ layers

  private laneGap(): number {
    let shown = 0;
    for (let k = 0; k < this.xs.length; k++) if (!Number.isNaN(this.xs[k] as number)) shown++;
    return shown <= 1 ? this.width / 2 : (this.width - MARGIN.left - MARGIN.right - 48) / (shown - 1);
  }

  private drawNetwork(scene: DiagramScene, y: d3.ScaleLinear<number, number>, c0: number, c1: number): void {
    const ctx = this.context;
    const gap = this.laneGap();
    for (const interval of scene.model.network) {
      const s = scene.coords.y(interval.startEv);
      const e = scene.coords.yEnd(interval.endEv);
      if (e < c0 || s > c1) continue;
      const top = y(s);
      const bottom = y(e);
      interval.groupOf.forEach((group, lane) => {
        const x = this.xs[lane] as number;
        if (Number.isNaN(x) || group === 0) return;
        ctx.fillStyle = groupShade(group);
        ctx.fillRect(x - gap / 2 + 2, top, gap - 4, Math.max(1, bottom - top));
      });
      ctx.fillStyle = "#6a1b9a";
      ctx.font = "11px system-ui, sans-serif";
      ctx.fillText(`✂ ${interval.label}`, MARGIN.left + 4, Math.max(this.layerTop + 10, top + 12));
    }
  }

  private drawLanes(scene: DiagramScene, y: d3.ScaleLinear<number, number>, c0: number, c1: number): void {
    const ctx = this.context;
    const top = this.layerTop;
    const bottom = this.layerBottom;
    ctx.lineWidth = 1;
    ctx.strokeStyle = COLORS.lane;
    ctx.beginPath();
    let lanes = 0;
    for (let lane = 0; lane < this.xs.length; lane++) {
      const x = this.xs[lane] as number;
      if (Number.isNaN(x)) continue;
      lanes++;
      ctx.moveTo(Math.round(x) + 0.5, top);
      ctx.lineTo(Math.round(x) + 0.5, bottom);
    }
    ctx.stroke();
    this.stats.lanes = lanes;
    for (const interval of scene.model.laneIntervals) {
      const x = this.xs[interval.lane] as number;
      if (Number.isNaN(x)) continue;
      const s = scene.coords.y(interval.startEv);
      const e = scene.coords.yEnd(interval.endEv);
      if (e < c0 || s > c1) continue;
      const y0 = Math.max(top - 4, y(s));
      const y1 = Math.min(bottom + 4, y(e));
      switch (interval.kind) {
        case "leader":
        case "candidate":
          break;
        case "crashed":
        case "paused":
          ctx.fillStyle = interval.kind === "crashed" ? "rgba(214,39,40,0.18)" : "rgba(255,152,0,0.22)";
          ctx.fillRect(x - 3, y0, 6, Math.max(1, y1 - y0));
          ctx.strokeStyle = interval.kind === "crashed" ? COLORS.crashed : COLORS.paused;
          ctx.setLineDash(interval.kind === "crashed" ? [6, 4] : [2, 3]);
          ctx.beginPath();
          ctx.moveTo(x + 0.5, y0);
          ctx.lineTo(x + 0.5, y1);
          ctx.stroke();
          ctx.setLineDash([]);
          break;
        default:
          break;
      }
    }
  }

  /** Leader terms as a band left of the lane, with the ballot; candidacies as a dashed outline. */
  private drawRoles(scene: DiagramScene, y: d3.ScaleLinear<number, number>, c0: number, c1: number): void {
    const ctx = this.context;
    const top = this.layerTop;
    const bottom = this.layerBottom;
    for (const interval of scene.model.laneIntervals) {
      if (interval.kind !== "leader" && interval.kind !== "candidate") continue;
      const x = this.xs[interval.lane] as number;
      if (Number.isNaN(x)) continue;
      const s = scene.coords.y(interval.startEv);
      const e = scene.coords.yEnd(interval.endEv);
      if (e < c0 || s > c1) continue;
      const y0 = Math.max(top - 4, y(s));
      const y1 = Math.min(bottom + 4, y(e));
      if (interval.kind === "candidate") {
        ctx.strokeStyle = "#757575";
        ctx.lineWidth = 1;
        ctx.setLineDash([2, 2]);
        ctx.strokeRect(x - 10.5, y0, 6, Math.max(1, y1 - y0));
        ctx.setLineDash([]);
        continue;
      }
      ctx.fillStyle = ballotColor(interval.label);
      ctx.strokeStyle = "#37474f";
      ctx.lineWidth = 1;
      ctx.fillRect(x - 11, y0, 7, Math.max(2, y1 - y0));
      ctx.strokeRect(x - 11.5, y0, 8, Math.max(2, y1 - y0));
      if (y1 - y0 > 16) {
        const label = `leader ${interval.label}`;
        ctx.font = "bold 10px system-ui, sans-serif";
        const width = ctx.measureText(label).width;
        const ly = Math.max(top + 12, y0 + 12);
        ctx.fillStyle = "rgba(255,255,255,0.85)";
        ctx.fillRect(x - 14 - width, ly - 10, width + 2, 13);
        ctx.fillStyle = "#263238";
        ctx.fillText(label, x - 13 - width, ly);
      }
    }
  }

  private drawSpans(scene: DiagramScene, y: d3.ScaleLinear<number, number>, c0: number, c1: number): void {
    const ctx = this.context;
    const spans = scene.model.spans;
    const coords = scene.coords;
    let drawn = 0;
    ctx.font = "9px system-ui, sans-serif";
    coords.spans.query(c0, c1, (s) => {
      const x = this.xs[spans.lane[s] as number] as number;
      if (Number.isNaN(x)) return;
      const y0 = y(coords.spanStart[s] as number);
      const y1 = y(coords.spanEnd[s] as number);
      ctx.fillStyle = OUTCOME_COLORS[spans.outcome[s] as number] ?? "#999";
      ctx.fillRect(x + 4, y0, 5, Math.max(1.5, y1 - y0));
      if (y1 - y0 > 14) {
        ctx.fillStyle = "#555";
        ctx.fillText(scene.model.opNames[spans.op[s] as number] ?? "", x + 11, y0 + 9);
      }
      drawn++;
    });
    this.stats.spansDrawn = drawn;
  }

  private drawMessages(scene: DiagramScene, y: d3.ScaleLinear<number, number>, c0: number, c1: number, heightCss: number): void {
    const ctx = this.context;
    const model = scene.model;
    const msgs = model.messages;
    const coords = scene.coords;
    const types = model.messageTypes.length;
    const inView = coords.messages.count(c0, c1);
    this.stats.arrowsShown = coords.messages.size;
    this.stats.arrowsInView = inView;
    const budget = Math.round((ARROWS_BUDGET * heightCss) / Math.max(1, this.height - MARGIN.top - MARGIN.bottom));
    const thinned = inView > Math.max(ARROWS_BUDGET, budget);
    const detail = inView <= DETAIL_ARROWS_MAX;
    const rows = Math.max(1, Math.ceil(heightCss));
    const lanes = model.lanes.length;
    if (thinned) {
      const size = lanes * lanes * rows;
      if (this.cells.length < size) this.cells = new Uint8Array(size);
      else this.cells.fill(0, 0, size);
    }
    // y = a * coordinate + b: the scale as two numbers, for the hot loop.
    const a = (y(1) as number) - (y(0) as number);
    const b = y(0) as number;
    const paths: (Path2D | null)[] = new Array<Path2D | null>(types).fill(null);
    const dashed: (Path2D | null)[] = new Array<Path2D | null>(types).fill(null);
    const crosses = new Path2D();
    const heads = new Path2D();
    let drawn = 0;
    const out = this.drawn;
    coords.messages.query(c0, c1, (m) => {
      const from = msgs.from[m] as number;
      const to = msgs.to[m] as number;
      const x0 = this.xs[from] as number;
      const x1full = this.xs[to] as number;
      const y0 = a * (coords.msgStart[m] as number) + b;
      const y1 = a * (coords.msgEnd[m] as number) + b;
      if (thinned) {
        const row = Math.min(rows - 1, Math.max(0, Math.floor(y0)));
        const cell = (from * lanes + to) * rows + row;
        if (this.cells[cell] === 1) return;
        this.cells[cell] = 1;
      }
      const flags = msgs.flags[m] as number;
      const type = msgs.type[m] as number;
      const dropped = (flags & MSG_DROPPED) !== 0;
      // A message dropped as it was sent goes a third of the way before its cross.
      const stub = dropped && y1 - y0 < 1.5;
      const x1 = stub ? x0 + (x1full - x0) * 0.35 : x1full;
      const y1d = stub ? y0 + 4 : y1;
      const target = (flags & MSG_DUPLICATE) !== 0 ? dashed : paths;
      let path = target[type] ?? null;
      if (path === null) {
        path = new Path2D();
        target[type] = path;
      }
      path.moveTo(x0, y0);
      path.lineTo(x1, y1d);
      if (dropped) {
        crosses.moveTo(x1 - 3, y1d - 3);
        crosses.lineTo(x1 + 3, y1d + 3);
        crosses.moveTo(x1 + 3, y1d - 3);
        crosses.lineTo(x1 - 3, y1d + 3);
      } else if (detail && (msgs.endEv[m] as number) >= 0) {
        arrowHead(heads, x0, y0, x1, y1d);
      }
      if (drawn < out.length) out[drawn] = m;
      drawn++;
    });
    this.drawnCount = Math.min(drawn, out.length);
    this.stats.arrowsDrawn = drawn;
    ctx.lineWidth = detail ? 1.25 : 1;
    for (let type = 0; type < types; type++) {
      const color = messageColor(model.messageTypes[type] as string);
      const path = paths[type];
      const dash = dashed[type];
      ctx.strokeStyle = color;
      if (path !== null && path !== undefined) ctx.stroke(path);
      if (dash !== null && dash !== undefined) {
        ctx.setLineDash([4, 3]);
        ctx.stroke(dash);
        ctx.setLineDash([]);
      }
    }
    ctx.fillStyle = "#555";
    ctx.fill(heads);
    ctx.strokeStyle = COLORS.crashed;
    ctx.lineWidth = 1.5;
    ctx.stroke(crosses);
  }

  private drawMarks(scene: DiagramScene, y: d3.ScaleLinear<number, number>, c0: number, c1: number): void {
    const ctx = this.context;
    const model = scene.model;
    const ev = model.events;
    const [first, last] = scene.coords.eventRange(c0, c1);
    let marks = 0;
    this.labelY.fill(Number.NEGATIVE_INFINITY);
    const ticks = last - first <= TICKS_MAX * 4;
    ctx.font = "11px system-ui, sans-serif";
    for (let i = first; i < last; i++) {
      const kind = ev.kind[i] as number;
      if (kind === EV.send || kind === EV.deliver || kind === EV.drop || kind === EV.duplicate) continue;
      if (!ticks && kind !== EV.fault && kind !== EV.violation) continue;
      if (!scene.view.eventShown(i)) continue;
      const lane = ev.lane[i] as number;
      const yy = y(scene.coords.y(i));
      if (lane < 0) {
        this.globalMark(kind, i, model, yy);
      } else {
        const x = this.xs[lane] as number;
        if (Number.isNaN(x)) continue;
        this.laneMark(kind, i, model, x, yy);
      }
      marks++;
    }
    this.stats.marksDrawn = marks;
  }

  /** Search results and the selection, over the base layer. */
  private drawHighlights(scene: DiagramScene, y: d3.ScaleLinear<number, number>): void {
    const ctx = this.context;
    const ev = scene.model.events;
    if (scene.searchHits !== null) this.outlineMessages(scene, y, scene.searchHits, COLORS.search, 5);
    if (scene.selectedMessage >= 0) this.outlineMessages(scene, y, new Set([scene.selectedMessage]), COLORS.selection, 3);
    if (scene.selectedEvent >= 0) {
      const lane = ev.lane[scene.selectedEvent] as number;
      const x = lane >= 0 ? (this.xs[lane] as number) : MARGIN.left + 10;
      if (!Number.isNaN(x)) {
        ctx.strokeStyle = COLORS.selection;
        ctx.lineWidth = 2;
        ctx.beginPath();
        ctx.arc(x, y(scene.coords.y(scene.selectedEvent)), 7, 0, Math.PI * 2);
        ctx.stroke();
      }
    }
  }

  private laneMark(kind: number, i: number, model: TraceModel, x: number, yy: number): void {
    const ctx = this.context;
    switch (kind) {
      case EV.fault: {
        const type = model.faultTypes[model.events.code[i] as number] ?? "";
        const color = type === "crash" ? COLORS.crashed : type === "pause" || type === "resume" ? COLORS.paused : type === "restart" ? "#2e7d32" : "#1565c0";
        ctx.fillStyle = color;
        ctx.font = "bold 13px system-ui, sans-serif";
        const glyph = type === "crash" ? "✕" : type === "restart" ? "↻" : type === "pause" ? "⏸" : type === "resume" ? "▶" : type === "clock" ? "⏱" : "⚡";
        ctx.fillText(glyph, x - 5, yy + 5);
        const lane = model.events.lane[i] as number;
        if (yy - (this.labelY[lane] as number) >= 11) {
          ctx.font = "10px system-ui, sans-serif";
          ctx.fillText(type, x + 8, yy + 4);
          this.labelY[lane] = yy;
        }
        return;
      }
      case EV.violation:
        ctx.fillStyle = COLORS.violation;
        ctx.beginPath();
        ctx.moveTo(x, yy - 7);
        ctx.lineTo(x + 7, yy);
        ctx.lineTo(x, yy + 7);
        ctx.lineTo(x - 7, yy);
        ctx.fill();
        return;
      case EV.start:
        ctx.strokeStyle = "#2e7d32";
        ctx.lineWidth = 1.5;
        ctx.beginPath();
        ctx.arc(x, yy, 4, 0, Math.PI * 2);
        ctx.stroke();
        return;
      case EV.invoke:
      case EV.complete:
        ctx.fillStyle = "#6d4c41";
        ctx.fillRect(x + 3, yy - 1, 8, 2);
        return;
      case EV.foreign:
        ctx.fillStyle = "#757575";
        ctx.fillRect(x - 3, yy - 3, 6, 6);
        return;
      default:
        ctx.fillStyle = kind === EV.note ? "#5e35b1" : kind === EV.timer ? "#00897b" : "#8d6e63";
        ctx.fillRect(x - 4, yy - 0.5, 8, 1.5);
    }
  }

  /** A fault of the whole network (partition, heal, loss change) or a finding not tied to one node: a line across. */
  private globalMark(kind: number, i: number, model: TraceModel, yy: number): void {
    const ctx = this.context;
    const label = kind === EV.fault ? (model.faultTypes[model.events.code[i] as number] ?? "fault") : kind === EV.violation ? "violation" : (model.foreignTypes[model.events.code[i] as number] ?? "");
    ctx.strokeStyle = kind === EV.violation ? COLORS.violation : "#6a1b9a";
    ctx.setLineDash([3, 3]);
    ctx.lineWidth = 1;
    ctx.beginPath();
    ctx.moveTo(MARGIN.left, yy + 0.5);
    ctx.lineTo(this.width - MARGIN.right, yy + 0.5);
    ctx.stroke();
    ctx.setLineDash([]);
    ctx.fillStyle = ctx.strokeStyle;
    ctx.font = "10px system-ui, sans-serif";
    ctx.fillText(label, this.width - MARGIN.right - ctx.measureText(label).width, yy - 2);
  }

  private outlineMessages(scene: DiagramScene, y: d3.ScaleLinear<number, number>, messages: ReadonlySet<number>, color: string, width: number): void {
    const ctx = this.context;
    const coords = scene.coords;
    const msgs = scene.model.messages;
    ctx.strokeStyle = color;
    ctx.lineWidth = width;
    ctx.globalAlpha = 0.8;
    ctx.beginPath();
    let n = 0;
    for (const m of messages) {
      if (n++ > 20_000) break;
      const s = coords.msgStart[m] as number;
      if (Number.isNaN(s)) continue;
      const x0 = this.xs[msgs.from[m] as number] as number;
      const x1 = this.xs[msgs.to[m] as number] as number;
      ctx.moveTo(x0, y(s));
      ctx.lineTo(x1, y(coords.msgEnd[m] as number));
    }
    ctx.stroke();
    ctx.globalAlpha = 1;
    // Redraw the arrows themselves on top of the glow.
    ctx.lineWidth = 1.25;
    for (const m of messages) {
      const s = coords.msgStart[m] as number;
      if (Number.isNaN(s)) continue;
      ctx.strokeStyle = messageColor(scene.model.messageTypes[msgs.type[m] as number] as string);
      ctx.beginPath();
      ctx.moveTo(this.xs[msgs.from[m] as number] as number, y(s));
      ctx.lineTo(this.xs[msgs.to[m] as number] as number, y(coords.msgEnd[m] as number));
      ctx.stroke();
      if (--n < 0) break;
    }
  }

  private drawChain(scene: DiagramScene, y: d3.ScaleLinear<number, number>): void {
    const chain = scene.chain;
    if (chain === null) return;
    this.outlineMessages(scene, y, chain.messages, COLORS.chain, 4);
    const ctx = this.context;
    ctx.strokeStyle = COLORS.chain;
    ctx.lineWidth = 2;
    for (const ev of chain.events) {
      const lane = scene.model.events.lane[ev] as number;
      if (lane < 0) continue;
      const x = this.xs[lane] as number;
      if (Number.isNaN(x)) continue;
      ctx.beginPath();
      ctx.arc(x, y(scene.coords.y(ev)), 5, 0, Math.PI * 2);
      ctx.stroke();
    }
  }

  private drawCursor(scene: DiagramScene, y: d3.ScaleLinear<number, number>): void {
    if (scene.cursor < 0) {
      this.stats.inflight = 0;
      return;
    }
    const ctx = this.context;
    const c = scene.coords.y(scene.cursor);
    const yy = Math.round(y(c)) + 0.5;
    ctx.strokeStyle = COLORS.cursor;
    ctx.lineWidth = 1.5;
    ctx.beginPath();
    ctx.moveTo(MARGIN.left - 6, yy);
    ctx.lineTo(this.width - MARGIN.right + 10, yy);
    ctx.stroke();
    // Messages in flight at the cursor: a dot where each is on its way.
    const coords = scene.coords;
    const msgs = scene.model.messages;
    let inflight = 0;
    coords.messages.query(c, c, (m) => {
      const s = coords.msgStart[m] as number;
      const e = coords.msgEnd[m] as number;
      if (!(s <= c && c < e)) return;
      const along = e === s ? 0 : (c - s) / (e - s);
      const x0 = this.xs[msgs.from[m] as number] as number;
      const x1 = this.xs[msgs.to[m] as number] as number;
      ctx.fillStyle = messageColor(scene.model.messageTypes[msgs.type[m] as number] as string);
      ctx.strokeStyle = "#fff";
      ctx.lineWidth = 1;
      ctx.beginPath();
      ctx.arc(x0 + (x1 - x0) * along, yy, 3.5, 0, Math.PI * 2);
      ctx.fill();
      ctx.stroke();
      inflight++;
    });
    this.stats.inflight = inflight;
  }

  private drawLaneLabels(scene: DiagramScene): void {
    const ctx = this.context;
    ctx.fillStyle = "#fafafa";
    ctx.fillRect(0, 0, this.width, MARGIN.top - 6);
    ctx.strokeStyle = "#ddd";
    ctx.beginPath();
    ctx.moveTo(0, MARGIN.top - 6.5);
    ctx.lineTo(this.width, MARGIN.top - 6.5);
    ctx.stroke();
    ctx.font = "bold 12px system-ui, sans-serif";
    ctx.textAlign = "center";
    scene.model.lanes.forEach((lane, index) => {
      const x = this.xs[index] as number;
      if (Number.isNaN(x)) return;
      ctx.fillStyle = lane.kind === "server" ? "#0d47a1" : lane.kind === "client" ? "#4a148c" : COLORS.laneText;
      ctx.fillText(lane.id, x, 15);
      ctx.font = "9px system-ui, sans-serif";
      ctx.fillStyle = "#777";
      ctx.fillText(lane.kind, x, 27);
      ctx.font = "bold 12px system-ui, sans-serif";
    });
    ctx.textAlign = "start";
  }

  private drawAxis(scene: DiagramScene, y: d3.ScaleLinear<number, number>): void {
    const mode = scene.coords.mode;
    const [d0, d1] = y.domain() as [number, number];
    // The axis is DOM: leave it alone while the cursor moves and the view does not.
    const key = `${mode}:${d0}:${d1}:${this.height}:${this.sceneVersion}`;
    if (key === this.axisDomain) return;
    this.axisDomain = key;
    const span = Math.abs(d1 - d0);
    const shown = scene.view.shownEvents;
    const axis = d3
      .axisLeft(y)
      .ticks(Math.max(2, Math.floor(this.height / 60)))
      .tickFormat((value) => {
        const v = Number(value);
        if (mode === "order") {
          const row = Math.round(v);
          return Number.isInteger(v) && row >= 0 && row < shown.length ? `#${shown[row]}` : "";
        }
        return span >= 2_000_000 ? `${(v / 1e6).toFixed(2)} s` : span >= 2_000 ? `${(v / 1e3).toFixed(span >= 20_000 ? 1 : 3)} ms` : `${v.toFixed(0)} µs`;
      });
    this.axisGroup.call(axis);
  }

  // ------------------------------------------------------------ pointer

  /** What is under a point: an operation span, an arrow, or a mark. */
  hitAt(px: number, py: number): Hit | null {
    const scene = this.scene;
    if (scene === null || py < MARGIN.top) return null;
    const y = this.yScale();
    const coords = scene.coords;
    const c = y.invert(py);
    const slack = Math.abs(y.invert(py + HIT_PX) - c);
    // Operation spans: a thin bar right of the client's lane.
    let span: number | null = null;
    coords.spans.query(c - slack, c + slack, (s) => {
      const x = this.xs[scene.model.spans.lane[s] as number] as number;
      if (px >= x + 2 && px <= x + 11) span = s;
    });
    if (span !== null) return { kind: "span", s: span };
    // Arrows drawn in the last frame.
    const msgs = scene.model.messages;
    let best = -1;
    let bestDistance = HIT_PX;
    for (let k = 0; k < this.drawnCount; k++) {
      const m = this.drawn[k] as number;
      const y0 = y(coords.msgStart[m] as number);
      const y1 = y(coords.msgEnd[m] as number);
      if (py < Math.min(y0, y1) - HIT_PX || py > Math.max(y0, y1) + HIT_PX) continue;
      const d = segmentDistance(px, py, this.xs[msgs.from[m] as number] as number, y0, this.xs[msgs.to[m] as number] as number, y1);
      if (d < bestDistance) {
        bestDistance = d;
        best = m;
      }
    }
    if (best >= 0) return { kind: "message", m: best };
    // Marks on lanes.
    const [first, last] = coords.eventRange(c - slack, c + slack);
    for (let i = first; i < last && i < first + 2_000; i++) {
      const kind = scene.model.events.kind[i] as number;
      if (kind === EV.send || kind === EV.deliver || kind === EV.drop || kind === EV.duplicate) continue;
      if (!scene.view.eventShown(i)) continue;
      const lane = scene.model.events.lane[i] as number;
      const x = lane < 0 ? px : (this.xs[lane] as number);
      if (Math.abs(px - x) <= 8) return { kind: "event", ev: i };
    }
    return null;
  }

  private hover(e: MouseEvent): void {
    const rect = this.canvas.getBoundingClientRect();
    this.callbacks.hover(this.hitAt(e.clientX - rect.left, e.clientY - rect.top), e.clientX, e.clientY);
  }

  private click(e: MouseEvent): void {
    if (e.defaultPrevented) return;
    const rect = this.canvas.getBoundingClientRect();
    const py = e.clientY - rect.top;
    this.callbacks.click(this.hitAt(e.clientX - rect.left, py), this.yScale().invert(py));
  }

  /** The x of a lane (for tests and overlays); NaN when hidden. */
  laneX(lane: number): number {
    return this.xs[lane] as number;
  }
}

function arrowHead(path: Path2D, x0: number, y0: number, x1: number, y1: number): void {
  const angle = Math.atan2(y1 - y0, x1 - x0);
  const size = 6;
  path.moveTo(x1, y1);
  path.lineTo(x1 - size * Math.cos(angle - 0.4), y1 - size * Math.sin(angle - 0.4));
  path.lineTo(x1 - size * Math.cos(angle + 0.4), y1 - size * Math.sin(angle + 0.4));
  path.closePath();
}
