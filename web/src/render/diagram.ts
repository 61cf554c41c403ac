import * as d3 from "d3";
import type { CounterexampleInTrace } from "../../../src/scenario/index.ts";
import type { CauseChain } from "../model/causes.ts";
import { lowerBound, type FilterView } from "../model/filters.ts";
import { laneXs, segmentDistance, type Coordinates } from "../model/layout.ts";
import { EV, MSG_DROPPED, MSG_DUPLICATE, type TraceModel } from "../model/trace-model.ts";
import { ballotColor, COLORS, groupShade, messageColor, OUTCOME_COLORS } from "./palette.ts";
import { TILE_HEIGHT, TileCache, type Tile } from "./tiles.ts";

/**
 * The space-time diagram, drawn on a canvas: a lane per node, virtual time
 * (or event order) running down, messages as arrows from send to delivery.
 * d3 gives the vertical scale, the axis and zoom/pan.
 *
 * Arrows, spans, lanes and shading are drawn in horizontal tiles, each a
 * small offscreen canvas kept in a cache: a frame only places tiles and
 * draws the overlays (cursor, in-flight messages, labels, selection), so
 * stepping the cursor redraws no arrow. While the view moves, tiles of a
 * nearby scale are stretched into place and at most a few new ones are drawn
 * per frame; once the view rests, it is drawn crisp. Within a tile, past a
 * budget of arrows, one arrow per pixel row and lane pair stands for the
 * others.
 */

export type Hit = { readonly kind: "message"; readonly m: number; /** A dot in flight at the cursor (not the arrow). */ readonly inflight?: boolean } | { readonly kind: "span"; readonly s: number } | { readonly kind: "event"; readonly ev: number };

export interface DiagramScene {
  readonly model: TraceModel;
  readonly view: FilterView;
  readonly coords: Coordinates;
  readonly cursor: number;
  readonly selectedEvent: number;
  readonly selectedMessage: number;
  readonly chain: CauseChain | null;
  readonly searchHits: ReadonlySet<number> | null;
  /** A linearizability counterexample to draw over the clients' lanes, or null. */
  readonly counterexample: CounterexampleInTrace | null;
}

/** What a lesson step points at (web/src/lessons/): lanes shaded and their names boxed, messages outlined. */
export interface Emphasis {
  readonly lanes: ReadonlySet<number>;
  readonly messages: ReadonlySet<number>;
}

/** What an overlay (the protocol lenses) may draw with, once per frame, over the tiles (see Diagram.overlay). */
export interface OverlayLayer {
  readonly ctx: CanvasRenderingContext2D;
  readonly scene: DiagramScene;
  readonly y: d3.ScaleLinear<number, number>;
  /** The visible stretch of coordinates. */
  readonly c0: number;
  readonly c1: number;
  readonly width: number;
  readonly height: number;
  /** A lane's x (NaN when hidden). */
  laneX(lane: number): number;
  /** Outlines messages (rows) in view with a glow of this colour and width, the arrows on top. */
  outlineMessages(messages: ReadonlySet<number>, color: string, width: number): void;
}

export interface DiagramCallbacks {
  hover(hit: Hit | null, clientX: number, clientY: number): void;
  click(hit: Hit | null, coordinate: number, clientX: number, clientY: number): void;
  viewChanged(): void;
}

/** What the last frame drew (for tests and the benchmark). */
export interface FrameStats {
  lanes: number;
  /** Messages that pass the filters. */
  arrowsShown: number;
  /** Of those, the ones in view. */
  arrowsInView: number;
  /** Arrows drawn for the view: all in view, unless tiles stood one arrow for several. */
  arrowsDrawn: number;
  spansDrawn: number;
  inflight: number;
  /** Main-thread time of the last frame, ms (placing tiles, drawing new ones, the overlays). */
  drawMs: number;
  frames: number;
  /** Tiles drawn so far. */
  tiles: number;
}

const MARGIN = { top: 38, right: 28, bottom: 12, left: 76 } as const;
/** The band at the top where lanes are named (the live view puts its lane buttons over it). */
export const LANE_HEADER_PX = MARGIN.top - 6;
/** Arrows per screen height drawn one by one; past it a tile draws one per pixel row and lane pair. */
const ARROWS_PER_SCREEN = 20_000;
/** Arrowheads only where a tile holds this few arrows (heads on dense arrows are a smudge). */
const DETAIL_ARROWS_PER_TILE = 120;
const TICKS_MAX = 6_000;
/** The hit-test radius, px. */
const HIT_PX = 5;
/** How long after the view last moved it counts as resting (ms). */
const SETTLE_MS = 140;
/** While moving, tiles of another scale are stretched up to this factor. */
const STRETCH_MAX = 2.5;
/** New tiles drawn per frame while the view moves (the rest come in the next frames). */
const TILES_PER_MOVING_FRAME = 2;
/** Items this close to a tile's edge (px) are drawn in it too, so shapes that cross the edge join up. */
const TILE_OVERLAP_PX = 10;

export class Diagram {
  readonly canvas: HTMLCanvasElement;
  readonly stats: FrameStats = { lanes: 0, arrowsShown: 0, arrowsInView: 0, arrowsDrawn: 0, spansDrawn: 0, inflight: 0, drawMs: 0, frames: 0, tiles: 0 };
  private readonly axisSvg: d3.Selection<SVGSVGElement, unknown, null, undefined>;
  private readonly axisGroup: d3.Selection<SVGGElement, unknown, null, undefined>;
  private readonly screen: CanvasRenderingContext2D;
  /** The context the layers draw into: the screen's, or a tile's while it is drawn. */
  private context: CanvasRenderingContext2D;
  private readonly zoom: d3.ZoomBehavior<HTMLCanvasElement, unknown>;
  private readonly tiles = new TileCache();
  private scene: DiagramScene | null = null;
  private sceneVersion = 0;
  private transform: d3.ZoomTransform = d3.zoomIdentity;
  private width = 0;
  private height = 0;
  private xs: Float64Array = new Float64Array(0);
  private frameRequested = false;
  /** When the view last moved, to tell a gesture from a still view. */
  private movedMs = Number.NEGATIVE_INFINITY;
  /** The scale tiles were last drawn at while moving (reused, stretched, until too far off). */
  private movingScale = 0;
  private settleTimer: ReturnType<typeof setTimeout> | null = null;
  private axisKey = "";
  private countKey = "";
  /** The tiles placed in the last frame (for hit tests). */
  private placed: Tile[] = [];
  /** Per lane, where the last fault label went in this frame (labels closer than a line are left out). */
  private labelY = new Float64Array(64);
  /** One cell per (lane pair, pixel row) of a tile: an arrow drawn there already. */
  private cells = new Uint8Array(0);
  /** A lesson step's lanes and messages, drawn under the selection; null for none. */
  emphasis: Emphasis | null = null;
  /** The in-flight dots of the last frame: message row, x, y (px), for hit tests. */
  private inflightDots: number[] = [];
  /** Drawn every frame after the counterexample and before the cursor: the protocol lenses' marks and quorums. */
  overlay: ((layer: OverlayLayer) => void) | null = null;

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
    this.screen = context;
    this.context = context;
    this.zoom = d3
      .zoom<HTMLCanvasElement, unknown>()
      .scaleExtent([1, 1])
      .constrain((transform) => this.constrain(transform))
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
    if (before === null || before.coords !== scene.coords || before.model !== scene.model) {
      this.sceneVersion++;
      this.tiles.clear();
      this.countKey = "";
    }
    if (this.labelY.length < scene.model.lanes.length) this.labelY = new Float64Array(scene.model.lanes.length);
    this.layoutLanes();
    this.zoom.scaleExtent([1, this.maxScale()]);
    if (!keepView || before === null) d3.select(this.canvas).call(this.zoom.transform, d3.zoomIdentity);
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
    const transform = d3.zoomIdentity.translate(0, MARGIN.top - k * this.baseScale()(y0)).scale(k);
    const selection = d3.select(this.canvas);
    if (animate) selection.transition().duration(250).call(this.zoom.transform, transform);
    else selection.call(this.zoom.transform, transform);
  }

  /** Moves the view so that coordinate y is visible (centred if it was off screen). */
  reveal(y: number): void {
    const [y0, y1] = this.visibleRange();
    if (y >= y0 && y <= y1) return;
    const half = (y1 - y0) / 2;
    this.showRange(y - half, y + half);
  }

  /** Zooms by a factor at once (keys repeat: each step builds on the last), about the cursor when it is in view. */
  zoomBy(factor: number): void {
    const scene = this.scene;
    const middle = (MARGIN.top + this.height) / 2;
    let about = middle;
    if (scene !== null && scene.cursor >= 0) {
      const y = this.yScale()(scene.coords.y(scene.cursor));
      if (y >= MARGIN.top && y <= this.height - MARGIN.bottom) about = y;
    }
    d3.select(this.canvas).interrupt().call(this.zoom.scaleBy, factor, [this.width / 2, about]);
  }

  fit(): void {
    d3.select(this.canvas).transition().duration(200).call(this.zoom.transform, d3.zoomIdentity);
  }

  /** Moves the view by `dy` pixels. */
  panBy(dyPx: number): void {
    d3.select(this.canvas).call(this.zoom.translateBy, 0, dyPx / this.transform.k);
  }

  /** Sets the zoom directly (benchmarks): scale k, the top of the view at coordinate y0. */
  setView(k: number, y0: number): void {
    d3.select(this.canvas).call(this.zoom.transform, d3.zoomIdentity.translate(0, MARGIN.top - k * this.baseScale()(y0)).scale(k));
  }

  requestDraw(): void {
    if (this.frameRequested) return;
    this.frameRequested = true;
    requestAnimationFrame(() => {
      this.frameRequested = false;
      this.draw();
    });
  }

  /** Draws a frame now: the tiles for the view, then the overlays. */
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
      this.axisKey = "";
      return;
    }
    const y = this.yScale();
    const [c0, c1] = this.visibleRange();
    ctx.save();
    ctx.beginPath();
    ctx.rect(0, MARGIN.top - 4, this.width, this.height - MARGIN.top + 4);
    ctx.clip();
    const complete = this.placeTiles(scene, y, c0, c1);
    this.context = ctx;
    this.drawLabels(scene, y, c0, c1);
    this.drawEmphasis(scene, y);
    this.drawHighlights(scene, y);
    this.drawChain(scene, y);
    this.drawCounterexample(scene, y, c0, c1);
    this.overlay?.({ ctx, scene, y, c0, c1, width: this.width, height: this.height, laneX: (lane) => this.xs[lane] as number, outlineMessages: (messages, color, width) => this.outlineMessages(scene, y, messages, color, width) });
    this.drawCursor(scene, y);
    ctx.restore();
    this.drawLaneLabels(scene);
    this.drawAxis(scene, y);
    this.countArrows(scene, c0, c1);
    if (!complete) this.requestDraw();
    this.stats.drawMs = performance.now() - started;
    this.stats.frames++;
    const data = this.container.dataset;
    data["arrows"] = String(this.stats.arrowsDrawn);
    data["arrowsShown"] = String(this.stats.arrowsShown);
    data["arrowsInView"] = String(this.stats.arrowsInView);
    data["spans"] = String(this.stats.spansDrawn);
    data["lanes"] = String(this.stats.lanes);
    data["inflight"] = String(this.stats.inflight);
    data["frames"] = String(this.stats.frames);
    data["tiles"] = String(this.stats.tiles);
    data["emphasisLanes"] = this.emphasis === null ? "" : [...this.emphasis.lanes].map((lane) => scene.model.lanes[lane]?.id ?? "").join(" ");
    data["emphasisMessages"] = String(this.emphasis?.messages.size ?? 0);
  }

  // ------------------------------------------------------------ tiles

  /**
   * Puts the tiles covering [c0, c1] on the screen, drawing missing ones (a
   * few per frame while moving). Returns false when some are still missing.
   */
  private placeTiles(scene: DiagramScene, y: d3.ScaleLinear<number, number>, c0: number, c1: number): boolean {
    const ctx = this.screen;
    const pixels = Math.max(1, this.height - MARGIN.top - MARGIN.bottom);
    const viewScale = pixels / Math.max(1e-12, c1 - c0);
    const moving = performance.now() - this.movedMs < SETTLE_MS;
    let scale = viewScale;
    if (moving) {
      const ratio = this.movingScale === 0 ? 0 : viewScale / this.movingScale;
      if (ratio > 1 / STRETCH_MAX && ratio < STRETCH_MAX) scale = this.movingScale;
      else this.movingScale = viewScale;
      this.settleLater();
    } else {
      this.movingScale = viewScale;
    }
    const origin = scene.coords.extent[0];
    const first = Math.floor(((c0 - origin) * scale) / TILE_HEIGHT);
    const last = Math.floor(((c1 - origin) * scale) / TILE_HEIGHT);
    let drawnNow = 0;
    let complete = true;
    this.placed = [];
    ctx.imageSmoothingEnabled = scale !== viewScale;
    for (let index = first; index <= last; index++) {
      let tile = this.tiles.get(this.sceneVersion, scale, this.width, index);
      if (tile === undefined && (!moving || drawnNow < TILES_PER_MOVING_FRAME)) {
        tile = this.renderTile(scene, scale, index);
        this.tiles.put(tile);
        drawnNow++;
      }
      if (tile === undefined) {
        complete = false;
        this.placeStandIn(y, origin + (index * TILE_HEIGHT) / scale, origin + ((index + 1) * TILE_HEIGHT) / scale);
        continue;
      }
      this.placed.push(tile);
      const top = y(tile.c0);
      ctx.drawImage(tile.canvas, 0, 0, tile.canvas.width, tile.canvas.height, 0, top, this.width, y(tile.c1) - top);
    }
    return complete;
  }

  /** A tile not drawn yet: any tile of another scale that covers the stretch, stretched; else it stays blank a frame. */
  private placeStandIn(y: d3.ScaleLinear<number, number>, c0: number, c1: number): void {
    const ctx = this.screen;
    ctx.save();
    ctx.beginPath();
    ctx.rect(0, y(c0), this.width, y(c1) - y(c0));
    ctx.clip();
    for (const tile of this.tiles.covering(this.sceneVersion, this.width, c0, c1)) {
      const top = y(tile.c0);
      ctx.drawImage(tile.canvas, 0, 0, tile.canvas.width, tile.canvas.height, 0, top, this.width, y(tile.c1) - top);
    }
    ctx.restore();
  }

  /** Draws tile `index` at `scale` px per unit: shading, lanes, spans, arrows, leader bands and marks. */
  private renderTile(scene: DiagramScene, scale: number, index: number): Tile {
    const dpr = window.devicePixelRatio || 1;
    const origin = scene.coords.extent[0];
    const c0 = origin + (index * TILE_HEIGHT) / scale;
    const c1 = origin + ((index + 1) * TILE_HEIGHT) / scale;
    const canvas = this.tiles.spareCanvas() ?? document.createElement("canvas");
    canvas.width = Math.floor(this.width * dpr);
    canvas.height = Math.floor(TILE_HEIGHT * dpr);
    const ctx = canvas.getContext("2d");
    if (ctx === null) throw new Error("this browser gives no 2D canvas");
    ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
    ctx.fillStyle = "#ffffff";
    ctx.fillRect(0, 0, this.width, TILE_HEIGHT);
    const y = d3.scaleLinear().domain([c0, c1]).range([0, TILE_HEIGHT]);
    // Items a little outside the tile are drawn too (clipped), so arrowheads and marks join across edges.
    const overlap = TILE_OVERLAP_PX / scale;
    const q0 = c0 - overlap;
    const q1 = c1 + overlap;
    this.context = ctx;
    let arrows: ArrowsDrawn;
    try {
      this.drawNetwork(scene, y, q0, q1);
      this.drawLanes(scene, y, q0, q1);
      this.drawSpans(scene, y, q0, q1);
      arrows = this.drawMessages(scene, y, q0, q1, TILE_HEIGHT);
      this.drawRoles(scene, y, q0, q1);
      this.drawMarks(scene, y, q0, q1);
    } finally {
      this.context = this.screen;
    }
    this.stats.tiles++;
    return { canvas, version: this.sceneVersion, scale, width: this.width, index, c0, c1, messages: arrows.messages, thinned: arrows.thinned };
  }

  /** Draws the view crisp once it has rested. */
  private settleLater(): void {
    if (this.settleTimer !== null) clearTimeout(this.settleTimer);
    this.settleTimer = setTimeout(() => {
      this.settleTimer = null;
      this.requestDraw();
    }, SETTLE_MS + 10);
  }

  /** Counts what is in view for the stats (a scan: done when the view rests, not while it moves). */
  private countArrows(scene: DiagramScene, c0: number, c1: number): void {
    const key = `${this.sceneVersion}:${c0}:${c1}:${this.placed.length}`;
    if (key === this.countKey || (this.countKey !== "" && performance.now() - this.movedMs < SETTLE_MS)) return;
    this.countKey = key;
    this.stats.spansDrawn = scene.coords.spans.count(c0, c1);
    const inView = scene.coords.messages.count(c0, c1);
    this.stats.arrowsShown = scene.coords.messages.size;
    this.stats.arrowsInView = inView;
    const thinned = this.placed.some((tile) => tile.thinned);
    if (!thinned) {
      this.stats.arrowsDrawn = inView;
      return;
    }
    const seen = new Set<number>();
    for (const tile of this.placed) for (let k = 0; k < tile.messages.length; k++) seen.add(tile.messages[k] as number);
    this.stats.arrowsDrawn = seen.size;
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
  private constrain(transform: d3.ZoomTransform): d3.ZoomTransform {
    const top = MARGIN.top;
    const bottom = Math.max(top + 1, this.height - MARGIN.bottom);
    const k = transform.k;
    // Content spans [top, bottom] at k = 1; scaled: [top*k + ty, bottom*k + ty] must cover [top, bottom].
    const ty = Math.min(top - top * k, Math.max(bottom - bottom * k, transform.y));
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
      this.tiles.clear();
      this.layoutLanes();
      this.zoom.scaleExtent([1, this.maxScale()]);
      if (kept !== null) this.showRange(kept[0], kept[1]);
    }
    this.requestDraw();
  }

  private layoutLanes(): void {
    const scene = this.scene;
    if (scene === null) return;
    this.xs = laneXs(scene.model.lanes.length, (lane) => scene.view.laneVisible(lane), MARGIN.left + 24, Math.max(MARGIN.left + 25, this.width - MARGIN.right - 24));
  }

  // ------------------------------------------------------------ layers (drawn into tiles)

  private laneGap(): number {
    let shown = 0;
    for (let k = 0; k < this.xs.length; k++) if (!Number.isNaN(this.xs[k] as number)) shown++;
    return shown <= 1 ? this.width / 2 : (this.width - MARGIN.left - MARGIN.right - 48) / (shown - 1);
  }

  /** Lanes cut off from the majority, shaded by group. */
  private drawNetwork(scene: DiagramScene, y: d3.ScaleLinear<number, number>, c0: number, c1: number): void {
    const ctx = this.context;
    const gap = this.laneGap();
    for (const interval of scene.model.network) {
      const s = scene.coords.y(interval.startEv);
      const e = scene.coords.yEnd(interval.endEv);
      if (e < c0 || s > c1) continue;
      const top = y(Math.max(s, c0));
      const bottom = y(Math.min(e, c1));
      interval.groupOf.forEach((group, lane) => {
        const x = this.xs[lane] as number;
        if (Number.isNaN(x) || group === 0) return;
        ctx.fillStyle = groupShade(group);
        ctx.fillRect(x - gap / 2 + 2, top, gap - 4, Math.max(1, bottom - top));
      });
    }
  }

  /** Lane axes; crashed stretches red and dashed, paused ones orange and dotted. */
  private drawLanes(scene: DiagramScene, y: d3.ScaleLinear<number, number>, c0: number, c1: number): void {
    const ctx = this.context;
    const top = y(c0);
    const bottom = y(c1);
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
      if (interval.kind !== "crashed" && interval.kind !== "paused") continue;
      const x = this.xs[interval.lane] as number;
      if (Number.isNaN(x)) continue;
      const s = scene.coords.y(interval.startEv);
      const e = scene.coords.yEnd(interval.endEv);
      if (e < c0 || s > c1) continue;
      const y0 = y(Math.max(s, c0));
      const y1 = y(Math.min(e, c1));
      const crashed = interval.kind === "crashed";
      ctx.fillStyle = crashed ? "rgba(214,39,40,0.18)" : "rgba(255,152,0,0.22)";
      ctx.fillRect(x - 3, y0, 6, Math.max(1, y1 - y0));
      ctx.strokeStyle = crashed ? COLORS.crashed : COLORS.paused;
      ctx.setLineDash(crashed ? [6, 4] : [2, 3]);
      ctx.beginPath();
      ctx.moveTo(x + 0.5, y0);
      ctx.lineTo(x + 0.5, y1);
      ctx.stroke();
      ctx.setLineDash([]);
    }
  }

  /** Leader terms as a band left of the lane; candidacies as a dashed outline. */
  private drawRoles(scene: DiagramScene, y: d3.ScaleLinear<number, number>, c0: number, c1: number): void {
    const ctx = this.context;
    for (const interval of scene.model.laneIntervals) {
      if (interval.kind !== "leader" && interval.kind !== "candidate") continue;
      const x = this.xs[interval.lane] as number;
      if (Number.isNaN(x)) continue;
      const s = scene.coords.y(interval.startEv);
      const e = scene.coords.yEnd(interval.endEv);
      if (e < c0 || s > c1) continue;
      const y0 = y(Math.max(s, c0));
      const y1 = y(Math.min(e, c1));
      if (interval.kind === "candidate") {
        ctx.strokeStyle = "#757575";
        ctx.lineWidth = 1;
        ctx.setLineDash([2, 2]);
        ctx.beginPath();
        ctx.moveTo(x - 10.5, y0);
        ctx.lineTo(x - 10.5, y1);
        ctx.moveTo(x - 4.5, y0);
        ctx.lineTo(x - 4.5, y1);
        ctx.stroke();
        ctx.setLineDash([]);
        continue;
      }
      ctx.fillStyle = ballotColor(interval.label);
      ctx.fillRect(x - 11, y0, 7, Math.max(2, y1 - y0));
      ctx.strokeStyle = "#37474f";
      ctx.lineWidth = 1;
      ctx.beginPath();
      ctx.moveTo(x - 11.5, y0);
      ctx.lineTo(x - 11.5, y1);
      ctx.moveTo(x - 3.5, y0);
      ctx.lineTo(x - 3.5, y1);
      ctx.stroke();
    }
  }

  /** Client operations: a bar right of the client's lane, coloured by outcome. */
  private drawSpans(scene: DiagramScene, y: d3.ScaleLinear<number, number>, c0: number, c1: number): void {
    const ctx = this.context;
    const spans = scene.model.spans;
    const coords = scene.coords;
    coords.spans.query(c0, c1, (s) => {
      const x = this.xs[spans.lane[s] as number] as number;
      if (Number.isNaN(x)) return;
      const y0 = y(Math.max(c0, coords.spanStart[s] as number));
      const y1 = y(Math.min(c1, coords.spanEnd[s] as number));
      ctx.fillStyle = OUTCOME_COLORS[spans.outcome[s] as number] ?? "#999";
      ctx.fillRect(x + 4, y0, 5, Math.max(1.5, y1 - y0));
    });
  }

  /** Arrows, one path per message type; drops end in a cross, duplicates are dashed. */
  private drawMessages(scene: DiagramScene, y: d3.ScaleLinear<number, number>, c0: number, c1: number, heightCss: number): ArrowsDrawn {
    const ctx = this.context;
    const model = scene.model;
    const msgs = model.messages;
    const coords = scene.coords;
    const types = model.messageTypes.length;
    const inTile = coords.messages.count(c0, c1);
    const screenPixels = Math.max(1, this.height - MARGIN.top - MARGIN.bottom);
    const thinned = inTile > (ARROWS_PER_SCREEN * heightCss) / screenPixels;
    const detail = inTile <= DETAIL_ARROWS_PER_TILE;
    const rows = Math.max(1, Math.ceil(heightCss));
    const lanes = model.lanes.length;
    if (thinned) {
      const size = lanes * lanes * rows;
      if (this.cells.length < size) this.cells = new Uint8Array(size);
      else this.cells.fill(0, 0, size);
    }
    const a = y(1) - y(0);
    const b = y(0);
    const paths: (Path2D | null)[] = new Array<Path2D | null>(types).fill(null);
    const dashed: (Path2D | null)[] = new Array<Path2D | null>(types).fill(null);
    const crosses = new Path2D();
    const heads = new Path2D();
    const drawn: number[] = [];
    coords.messages.query(c0, c1, (m) => {
      const from = msgs.from[m] as number;
      const to = msgs.to[m] as number;
      const x0 = this.xs[from] as number;
      const x1full = this.xs[to] as number;
      const y0 = a * (coords.msgStart[m] as number) + b;
      const y1 = a * (coords.msgEnd[m] as number) + b;
      if (thinned) {
        const row = Math.min(rows - 1, Math.max(0, Math.floor(Math.max(0, Math.min(y0, y1)))));
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
      drawn.push(m);
    });
    ctx.lineWidth = detail ? 1.25 : 1;
    for (let type = 0; type < types; type++) {
      const path = paths[type];
      const dash = dashed[type];
      if ((path === null || path === undefined) && (dash === null || dash === undefined)) continue;
      ctx.strokeStyle = messageColor(model.messageTypes[type] as string);
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
    return { messages: Int32Array.from(drawn), thinned };
  }

  /** Marks of events without a message: fault glyphs, violations, starts, and ticks for the kinds asked for. */
  private drawMarks(scene: DiagramScene, y: d3.ScaleLinear<number, number>, c0: number, c1: number): void {
    const ev = scene.model.events;
    const [first, last] = scene.coords.eventRange(c0, c1);
    const ticks = last - first <= TICKS_MAX * 4;
    for (const i of ticks ? range(first, last) : markedIn(scene.view, first, last)) {
      const kind = ev.kind[i] as number;
      // Violations are drawn with the overlays, at the instant they were first broken (see drawViolations).
      if (kind === EV.send || kind === EV.deliver || kind === EV.drop || kind === EV.duplicate || kind === EV.violation) continue;
      if (!scene.view.eventShown(i)) continue;
      const lane = ev.lane[i] as number;
      const yy = y(scene.coords.y(i));
      if (lane < 0) this.globalLine(kind, yy);
      else {
        const x = this.xs[lane] as number;
        if (!Number.isNaN(x)) this.laneMark(kind, i, scene.model, x, yy);
      }
    }
  }

  private laneMark(kind: number, i: number, model: TraceModel, x: number, yy: number): void {
    const ctx = this.context;
    switch (kind) {
      case EV.fault: {
        const type = model.faultTypes[model.events.code[i] as number] ?? "";
        ctx.fillStyle = faultColor(type);
        ctx.font = "bold 13px system-ui, sans-serif";
        ctx.fillText(faultGlyph(type), x - 5, yy + 5);
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
  private globalLine(kind: number, yy: number): void {
    const ctx = this.context;
    ctx.strokeStyle = kind === EV.violation ? COLORS.violation : "#6a1b9a";
    ctx.setLineDash([3, 3]);
    ctx.lineWidth = 1;
    ctx.beginPath();
    ctx.moveTo(MARGIN.left, yy + 0.5);
    ctx.lineTo(this.width - MARGIN.right, yy + 0.5);
    ctx.stroke();
    ctx.setLineDash([]);
  }

  // ------------------------------------------------------------ overlays (drawn every frame)

  /** Text that must not be cut at a tile's edge: leader ballots, partitions, fault names, operation names. */
  private drawLabels(scene: DiagramScene, y: d3.ScaleLinear<number, number>, c0: number, c1: number): void {
    const ctx = this.context;
    const top = MARGIN.top;
    const model = scene.model;
    ctx.font = "bold 10px system-ui, sans-serif";
    for (const interval of model.laneIntervals) {
      if (interval.kind !== "leader") continue;
      const x = this.xs[interval.lane] as number;
      if (Number.isNaN(x)) continue;
      const s = scene.coords.y(interval.startEv);
      const e = scene.coords.yEnd(interval.endEv);
      if (e < c0 || s > c1 || y(e) - y(s) < 16) continue;
      const label = `leader ${interval.label}`;
      const width = ctx.measureText(label).width;
      const ly = Math.min(y(e) - 2, Math.max(top + 12, y(s) + 12));
      ctx.fillStyle = "rgba(255,255,255,0.85)";
      ctx.fillRect(x - 14 - width, ly - 10, width + 2, 13);
      ctx.fillStyle = "#263238";
      ctx.fillText(label, x - 13 - width, ly);
    }
    ctx.font = "11px system-ui, sans-serif";
    ctx.fillStyle = "#6a1b9a";
    for (const interval of model.network) {
      const s = scene.coords.y(interval.startEv);
      const e = scene.coords.yEnd(interval.endEv);
      if (e < c0 || s > c1) continue;
      ctx.fillText(`✂ ${interval.label}`, MARGIN.left + 4, Math.min(y(e) - 2, Math.max(top + 10, y(s) + 12)));
    }
    // Fault and global labels, and operation names where a span is tall enough.
    const [first, last] = scene.coords.eventRange(c0, c1);
    this.labelY.fill(Number.NEGATIVE_INFINITY);
    ctx.font = "10px system-ui, sans-serif";
    this.drawViolations(scene, y, c0, c1);
    for (const i of markedIn(scene.view, first, last)) {
      const kind = model.events.kind[i] as number;
      if (kind === EV.violation) continue;
      const lane = model.events.lane[i] as number;
      const yy = y(scene.coords.y(i));
      const code = model.events.code[i] as number;
      if (lane < 0) {
        const label = kind === EV.fault ? (model.faultTypes[code] ?? "fault") : kind === EV.violation ? "violation" : (model.foreignTypes[code] ?? "");
        ctx.fillStyle = kind === EV.violation ? COLORS.violation : "#6a1b9a";
        ctx.fillText(label, this.width - MARGIN.right - ctx.measureText(label).width, yy - 2);
        continue;
      }
      const x = this.xs[lane] as number;
      if (Number.isNaN(x) || kind !== EV.fault || yy - (this.labelY[lane] as number) < 11) continue;
      const type = model.faultTypes[code] ?? "";
      ctx.fillStyle = faultColor(type);
      ctx.fillText(type, x + 8, yy + 4);
      this.labelY[lane] = yy;
    }
    // Operation names fit only when zoomed in far enough: then few events are in view.
    if (last - first > TICKS_MAX * 4) return;
    ctx.font = "9px system-ui, sans-serif";
    ctx.fillStyle = "#555";
    scene.coords.spans.query(c0, c1, (s) => {
      const y0 = y(scene.coords.spanStart[s] as number);
      const y1 = y(scene.coords.spanEnd[s] as number);
      if (y1 - y0 <= 14) return;
      const x = this.xs[model.spans.lane[s] as number] as number;
      ctx.fillText(model.opNames[model.spans.op[s] as number] ?? "", x + 11, Math.max(top + 9, y0 + 9));
    });
  }

  /**
   * Broken checks, where they were first broken: a check judged after the
   * run is reported at its end, but drawn at its anchor (its latest cause, or
   * the last event by its instant). A few per run at most, so every frame.
   */
  private drawViolations(scene: DiagramScene, y: d3.ScaleLinear<number, number>, c0: number, c1: number): void {
    const ctx = this.context;
    ctx.font = "bold 10px system-ui, sans-serif";
    for (const violation of scene.model.violations) {
      const c = scene.coords.y(violation.anchorEv);
      if (c < c0 || c > c1) continue;
      const yy = y(c);
      const lane = scene.model.events.lane[violation.ev] as number;
      const x = lane < 0 ? Number.NaN : (this.xs[lane] as number);
      if (Number.isNaN(x)) this.globalLine(EV.violation, yy);
      else this.laneMark(EV.violation, violation.ev, scene.model, x, yy);
      const label = `✖ ${violation.check}`;
      ctx.fillStyle = COLORS.violation;
      ctx.fillText(label, this.width - MARGIN.right - ctx.measureText(label).width, yy - 2);
    }
  }

  /**
   * A linearizability counterexample as Porcupine draws it: each operation of
   * the key as a bar beside its client's lane, from its invocation to its
   * completion (to the bottom when never answered); the longest linearizable
   * prefix green and numbered, joined in its order by a line through one
   * possible linearization point per operation; the operations that cannot
   * come next red; the key's other operations grey.
   */
  private drawCounterexample(scene: DiagramScene, y: d3.ScaleLinear<number, number>, c0: number, c1: number): void {
    const picture = scene.counterexample;
    const data = this.container.dataset;
    if (picture === null) {
      data["counterexampleOps"] = "";
      return;
    }
    const ctx = this.context;
    const model = scene.model;
    const bottom = this.height - MARGIN.bottom;
    const laneOf = new Map(model.lanes.map((lane, index) => [lane.id, index]));
    const barX = (client: string): number => {
      const lane = laneOf.get(client);
      const x = lane === undefined ? Number.NaN : (this.xs[lane] as number);
      return Number.isNaN(x) ? Number.NaN : x + 16;
    };
    let drawn = 0;
    // The linearization points of the prefix, in its order: each as early as its call allows, never before the previous one.
    const placed = picture.ops.filter((op) => op.place !== null && op.invokeEv >= 0).sort((a, b) => (a.place as number) - (b.place as number));
    const points: { x: number; c: number }[] = [];
    let previous = Number.NEGATIVE_INFINITY;
    for (const op of placed) {
      const start = scene.coords.y(op.invokeEv);
      const end = op.completeEv >= 0 ? scene.coords.yEnd(op.completeEv) : Number.POSITIVE_INFINITY;
      const c = Math.min(Math.max(start, previous), end);
      previous = c;
      points.push({ x: barX(op.client), c });
    }
    ctx.font = "bold 9px system-ui, sans-serif";
    for (const op of picture.ops) {
      if (op.invokeEv < 0) continue;
      const x = barX(op.client);
      if (Number.isNaN(x)) continue;
      const s = scene.coords.y(op.invokeEv);
      const e = op.completeEv >= 0 ? scene.coords.yEnd(op.completeEv) : Number.POSITIVE_INFINITY;
      if (e < c0 || s > c1) continue;
      const y0 = y(s);
      const y1 = Number.isFinite(e) ? Math.max(y(e), y0 + 3) : bottom;
      const color = op.stuck ? COLORS.violation : op.place !== null ? "#2e7d32" : "#9e9e9e";
      ctx.fillStyle = op.stuck ? "rgba(198,40,40,0.25)" : op.place !== null ? "rgba(46,125,50,0.22)" : "rgba(158,158,158,0.2)";
      ctx.fillRect(x, y0, 10, y1 - y0);
      ctx.strokeStyle = color;
      ctx.lineWidth = op.stuck ? 2 : 1;
      ctx.strokeRect(x + 0.5, y0 + 0.5, 9, y1 - y0 - 1);
      if (!Number.isFinite(e)) {
        ctx.setLineDash([2, 2]);
        ctx.beginPath();
        ctx.moveTo(x + 5, y1);
        ctx.lineTo(x + 5, bottom);
        ctx.stroke();
        ctx.setLineDash([]);
      }
      ctx.fillStyle = color;
      const text = op.text.replace(/^p\d+ /, "");
      const label = op.stuck ? `✖ ${text}` : op.place !== null ? `${op.place + 1}. ${text}` : text;
      if (y1 - y0 >= 10 || op.stuck || op.place !== null) {
        // Labels of lanes in the right half go to the left of their bar, so that they stay on the canvas.
        const width = ctx.measureText(label).width;
        const right = x + 13 + width > this.width - MARGIN.right;
        ctx.fillStyle = "rgba(255,255,255,0.8)";
        ctx.fillRect(right ? x - 20 - width : x + 12, y0, width + 2, 11);
        ctx.fillStyle = color;
        ctx.fillText(label, right ? x - 19 - width : x + 13, y0 + 9);
      }
      drawn++;
    }
    ctx.strokeStyle = "#2e7d32";
    ctx.lineWidth = 1.5;
    ctx.setLineDash([4, 3]);
    ctx.beginPath();
    let started = false;
    for (const point of points) {
      if (Number.isNaN(point.x)) continue;
      const py = y(point.c);
      if (started) ctx.lineTo(point.x + 5, py);
      else ctx.moveTo(point.x + 5, py);
      started = true;
    }
    ctx.stroke();
    ctx.setLineDash([]);
    ctx.fillStyle = "#2e7d32";
    for (const point of points) {
      if (Number.isNaN(point.x)) continue;
      ctx.beginPath();
      ctx.arc(point.x + 5, y(point.c), 2.5, 0, Math.PI * 2);
      ctx.fill();
    }
    data["counterexampleOps"] = String(drawn);
  }

  /** A lesson step's lanes (a band along each) and messages (outlined). */
  private drawEmphasis(scene: DiagramScene, y: d3.ScaleLinear<number, number>): void {
    const emphasis = this.emphasis;
    if (emphasis === null) return;
    const ctx = this.context;
    const gap = Math.min(this.laneGap(), 60);
    ctx.fillStyle = COLORS.lesson;
    ctx.globalAlpha = 0.12;
    for (const lane of emphasis.lanes) {
      const x = this.xs[lane] as number;
      if (!Number.isNaN(x)) ctx.fillRect(x - gap / 3, MARGIN.top - 4, (2 * gap) / 3, this.height);
    }
    ctx.globalAlpha = 1;
    if (emphasis.messages.size > 0) this.outlineMessages(scene, y, emphasis.messages, COLORS.lesson, 6);
  }

  /** Search results and the selection. */
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

  private outlineMessages(scene: DiagramScene, y: d3.ScaleLinear<number, number>, messages: ReadonlySet<number>, color: string, width: number): void {
    const ctx = this.context;
    const coords = scene.coords;
    const msgs = scene.model.messages;
    const [c0, c1] = this.visibleRange();
    const glow = new Path2D();
    const lines: number[] = [];
    for (const m of messages) {
      const s = coords.msgStart[m] as number;
      const e = coords.msgEnd[m] as number;
      if (Number.isNaN(s) || e < c0 || s > c1) continue;
      const x0 = this.xs[msgs.from[m] as number] as number;
      const x1 = this.xs[msgs.to[m] as number] as number;
      glow.moveTo(x0, y(s));
      glow.lineTo(x1, y(e));
      if (lines.length < 4_000) lines.push(m);
    }
    ctx.strokeStyle = color;
    ctx.lineWidth = width;
    ctx.globalAlpha = 0.8;
    ctx.stroke(glow);
    ctx.globalAlpha = 1;
    // The arrows themselves on top of the glow.
    ctx.lineWidth = 1.25;
    for (const m of lines) {
      ctx.strokeStyle = messageColor(scene.model.messageTypes[msgs.type[m] as number] as string);
      ctx.beginPath();
      ctx.moveTo(this.xs[msgs.from[m] as number] as number, y(coords.msgStart[m] as number));
      ctx.lineTo(this.xs[msgs.to[m] as number] as number, y(coords.msgEnd[m] as number));
      ctx.stroke();
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

  /** The cursor, and a dot on every message in flight at it. */
  private drawCursor(scene: DiagramScene, y: d3.ScaleLinear<number, number>): void {
    if (scene.cursor < 0) {
      this.stats.inflight = 0;
      this.inflightDots = [];
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
    const coords = scene.coords;
    const msgs = scene.model.messages;
    let inflight = 0;
    this.inflightDots = [];
    coords.messages.query(c, c, (m) => {
      const s = coords.msgStart[m] as number;
      const e = coords.msgEnd[m] as number;
      // A message with no end yet (a live run's edge, a trace cut short) is in flight from its send on;
      // where it will land is not known, so its dot stays on the first half of its way.
      const open = (msgs.endEv[m] as number) < 0;
      if (!(s <= c && (c < e || open))) return;
      const along = open ? Math.min(0.5, e === s ? 0 : (c - s) / (e - s)) : e === s ? 0 : (c - s) / (e - s);
      const x0 = this.xs[msgs.from[m] as number] as number;
      const x1 = this.xs[msgs.to[m] as number] as number;
      ctx.fillStyle = messageColor(scene.model.messageTypes[msgs.type[m] as number] as string);
      ctx.strokeStyle = "#fff";
      ctx.lineWidth = 1;
      ctx.beginPath();
      const x = x0 + (x1 - x0) * along;
      ctx.arc(x, yy, 3.5, 0, Math.PI * 2);
      ctx.fill();
      ctx.stroke();
      this.inflightDots.push(m, x, yy);
      inflight++;
    });
    this.stats.inflight = inflight;
  }

  private drawLaneLabels(scene: DiagramScene): void {
    const ctx = this.context;
    ctx.fillStyle = "#fafafa";
    ctx.fillRect(0, 0, this.width, MARGIN.top - 6);
    ctx.strokeStyle = "#ddd";
    ctx.lineWidth = 1;
    ctx.beginPath();
    ctx.moveTo(0, MARGIN.top - 6.5);
    ctx.lineTo(this.width, MARGIN.top - 6.5);
    ctx.stroke();
    ctx.textAlign = "center";
    scene.model.lanes.forEach((lane, index) => {
      const x = this.xs[index] as number;
      if (Number.isNaN(x)) return;
      if (this.emphasis?.lanes.has(index) === true) {
        ctx.strokeStyle = COLORS.lesson;
        ctx.lineWidth = 2;
        ctx.strokeRect(x - 22, 2, 44, MARGIN.top - 11);
      }
      ctx.font = "bold 12px system-ui, sans-serif";
      ctx.fillStyle = lane.kind === "server" ? "#0d47a1" : lane.kind === "client" ? "#4a148c" : COLORS.laneText;
      ctx.fillText(lane.id, x, 15);
      ctx.font = "9px system-ui, sans-serif";
      ctx.fillStyle = "#777";
      ctx.fillText(lane.kind, x, 27);
    });
    ctx.textAlign = "start";
  }

  private drawAxis(scene: DiagramScene, y: d3.ScaleLinear<number, number>): void {
    const mode = scene.coords.mode;
    const [d0, d1] = y.domain() as [number, number];
    // The axis is DOM: leave it alone while the cursor moves and the view does not.
    const key = `${mode}:${d0}:${d1}:${this.height}:${this.sceneVersion}`;
    if (key === this.axisKey) return;
    this.axisKey = key;
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
    const dot = this.inflightAt(px, py);
    if (dot >= 0) return { kind: "message", m: dot, inflight: true };
    // Operation spans: a thin bar right of the client's lane.
    let span: number | null = null;
    coords.spans.query(c - slack, c + slack, (s) => {
      const x = this.xs[scene.model.spans.lane[s] as number] as number;
      if (px >= x + 2 && px <= x + 11) span = s;
    });
    if (span !== null) return { kind: "span", s: span };
    // Arrows drawn in the tiles on screen.
    const msgs = scene.model.messages;
    let best = -1;
    let bestDistance = HIT_PX;
    for (const tile of this.placed) {
      if (c + slack < tile.c0 || c - slack > tile.c1) continue;
      for (let k = 0; k < tile.messages.length; k++) {
        const m = tile.messages[k] as number;
        const y0 = y(coords.msgStart[m] as number);
        const y1 = y(coords.msgEnd[m] as number);
        if (py < Math.min(y0, y1) - HIT_PX || py > Math.max(y0, y1) + HIT_PX) continue;
        const d = segmentDistance(px, py, this.xs[msgs.from[m] as number] as number, y0, this.xs[msgs.to[m] as number] as number, y1);
        if (d < bestDistance) {
          bestDistance = d;
          best = m;
        }
      }
    }
    if (best >= 0) return { kind: "message", m: best };
    // Marks on lanes.
    const [first, last] = coords.eventRange(c - slack, c + slack);
    for (let i = first; i < last && i < first + 2_000; i++) {
      const kind = scene.model.events.kind[i] as number;
      // Violations are drawn with the overlays, at the instant they were first broken (see drawViolations).
      if (kind === EV.send || kind === EV.deliver || kind === EV.drop || kind === EV.duplicate || kind === EV.violation) continue;
      if (!scene.view.eventShown(i)) continue;
      const lane = scene.model.events.lane[i] as number;
      const x = lane < 0 ? px : (this.xs[lane] as number);
      if (Math.abs(px - x) <= 8) return { kind: "event", ev: i };
    }
    return null;
  }

  /** The message whose in-flight dot (drawn at the cursor in the last frame) is under a point; -1 for none. */
  inflightAt(px: number, py: number): number {
    const dots = this.inflightDots;
    let best = -1;
    let bestDistance = HIT_PX + 1;
    for (let k = 0; k < dots.length; k += 3) {
      const d = Math.hypot(px - (dots[k + 1] as number), py - (dots[k + 2] as number));
      if (d < bestDistance) {
        bestDistance = d;
        best = dots[k] as number;
      }
    }
    return best;
  }

  /** The in-flight dots of the last frame, as [message row, x, y] (for tests and the live view). */
  inflightDotsDrawn(): [number, number, number][] {
    const out: [number, number, number][] = [];
    for (let k = 0; k < this.inflightDots.length; k += 3) out.push([this.inflightDots[k] as number, this.inflightDots[k + 1] as number, this.inflightDots[k + 2] as number]);
    return out;
  }

  private hover(e: MouseEvent): void {
    const rect = this.canvas.getBoundingClientRect();
    this.callbacks.hover(this.hitAt(e.clientX - rect.left, e.clientY - rect.top), e.clientX, e.clientY);
  }

  private click(e: MouseEvent): void {
    if (e.defaultPrevented) return;
    const rect = this.canvas.getBoundingClientRect();
    const py = e.clientY - rect.top;
    this.callbacks.click(this.hitAt(e.clientX - rect.left, py), this.yScale().invert(py), e.clientX, e.clientY);
  }

  /** The x of a lane (for tests and overlays); NaN when hidden. */
  laneX(lane: number): number {
    return this.xs[lane] as number;
  }

  /** What is in view, for drawing it elsewhere (the SVG export, web/src/share/svg.ts); null before a scene. */
  frame(): DiagramFrame | null {
    const scene = this.scene;
    if (scene === null) return null;
    return { scene, width: this.width, height: this.height, margin: MARGIN, laneXs: this.xs.slice(), range: this.visibleRange() };
  }
}

/** The diagram as it stands: its scene, size and margins, each lane's x (NaN when hidden) and the stretch in view. */
export interface DiagramFrame {
  readonly scene: DiagramScene;
  readonly width: number;
  readonly height: number;
  readonly margin: { readonly top: number; readonly right: number; readonly bottom: number; readonly left: number };
  readonly laneXs: Float64Array;
  readonly range: readonly [number, number];
}

interface ArrowsDrawn {
  readonly messages: Int32Array;
  readonly thinned: boolean;
}

function* range(first: number, last: number): Generator<number> {
  for (let i = first; i < last; i++) yield i;
}

/** The always-marked events (faults, findings, foreign events) with index in [first, last). */
function* markedIn(view: FilterView, first: number, last: number): Generator<number> {
  const marked = view.markedEvents;
  for (let k = lowerBound(marked, first); k < marked.length && (marked[k] as number) < last; k++) yield marked[k] as number;
}

export function faultColor(type: string): string {
  return type === "crash" ? COLORS.crashed : type === "pause" || type === "resume" ? COLORS.paused : type === "restart" ? "#2e7d32" : "#1565c0";
}

export function faultGlyph(type: string): string {
  return type === "crash" ? "✕" : type === "restart" ? "↻" : type === "pause" ? "⏸" : type === "resume" ? "▶" : type === "clock" ? "⏱" : "⚡";
}

function arrowHead(path: Path2D, x0: number, y0: number, x1: number, y1: number): void {
  const angle = Math.atan2(y1 - y0, x1 - x0);
  const size = 6;
  path.moveTo(x1, y1);
  path.lineTo(x1 - size * Math.cos(angle - 0.4), y1 - size * Math.sin(angle - 0.4));
  path.lineTo(x1 - size * Math.cos(angle + 0.4), y1 - size * Math.sin(angle + 0.4));
  path.closePath();
}
