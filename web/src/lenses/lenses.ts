import type { Coordinates } from "../model/layout.ts";
import type { TraceModel } from "../model/trace-model.ts";
import type { InspectResponse } from "../protocol.ts";
import type { OverlayLayer } from "../render/diagram.ts";
import type { Inspection } from "../resim/inspect-nodes.ts";
import { chosenBy, chosenMarks, replicasOf, type ChosenMark } from "./chosen.ts";
import "./lenses.css";
import type { PaxosFacts } from "./paxos-facts.ts";
import { PaxosPanel } from "./paxos-panel.ts";
import { QuorumIndex } from "./quorums.ts";
import { RingView } from "./ring-view.ts";
import { slotTable } from "./slot-table.ts";
import { zkLens } from "./zk-lens.ts";
import { ZkPanel } from "./zk-panel.ts";

/**
 * The protocol lenses: the Paxos panel (chosen slots, the slot table,
 * quorums), the ring, and the ZooKeeper panel, each a tab of the side panel,
 * plus what they draw over the diagram (chosen marks, quorum messages, the
 * lane picked in the ring). The page tells them the model, the cursor and
 * the inspections; they ask it to move the cursor or pick a lane.
 */

type InspectionResponse = Extract<InspectResponse, { kind: "inspection" }>;

export interface LensHost {
  jump(ev: number): void;
  selectLane(lane: number): void;
  redraw(): void;
}

export interface LensRoots {
  readonly paxos: HTMLElement;
  readonly ring: HTMLElement;
  readonly zk: HTMLElement;
  /** The side panel: wider while a lens with tables is shown. */
  readonly side: HTMLElement;
}

const COLOR_CHOSEN = "#f9a825";
const COLOR_PHASE1 = "#7b1fa2";
const COLOR_SLOT = "#2e7d32";
const COLOR_PREVIOUS = "#ef6c00";
/** Chosen marks labelled per frame; past it, only the marks. */
const MARK_LABELS_MAX = 60;
/** Chosen marks in view drawn in full (diamonds); past it, small ticks. */
const MARKS_FULL_MAX = 200;

interface Loaded {
  readonly model: TraceModel;
  readonly facts: PaxosFacts;
  readonly marks: readonly ChosenMark[];
  readonly quorums: QuorumIndex;
  coords: Coordinates;
}

export class Lenses {
  private emphasis: { readonly slots: readonly number[]; readonly znodes: readonly string[] } | null = null;
  private loaded: Loaded | null = null;
  private cursor = -1;
  private selectedLane = -1;
  private showMarks = true;
  private shown: { response: InspectionResponse; previous: Inspection | null } | null = null;
  private inspectorNote = "Waiting for the inspector's re-run to reach the cursor…";
  private readonly paxos: PaxosPanel;
  private readonly ring: RingView;
  private readonly zk: ZkPanel;

  constructor(
    private readonly host: LensHost,
    private readonly roots: LensRoots,
  ) {
    this.paxos = new PaxosPanel(roots.paxos, {
      jump: (ev) => host.jump(ev),
      showMarks: (on) => {
        this.showMarks = on;
        host.redraw();
      },
    });
    this.ring = new RingView(roots.ring, { selectLane: (lane) => host.selectLane(lane) });
    this.zk = new ZkPanel(roots.zk);
    this.clear("Open a trace or run a scenario.");
    // A lens is drawn when its tab is shown (hidden ones are not kept up to date while the cursor moves).
    const observer = new MutationObserver(() => this.tabsChanged());
    for (const root of [roots.paxos, roots.ring, roots.zk]) observer.observe(root, { attributes: true, attributeFilter: ["hidden"] });
  }

  clear(message: string): void {
    this.loaded = null;
    this.shown = null;
    this.paxos.clear(message);
    this.ring.clear(message);
    this.zk.clear(message);
  }

  /**
   * A model to read. `keep`: the same run, grown (a live run's next
   * snapshot): the cursor, the lane picked and the inspection shown stay.
   */
  load(model: TraceModel, facts: PaxosFacts, coords: Coordinates, options: { readonly keep: boolean } = { keep: false }): void {
    const replicas = replicasOf(model);
    const marks = chosenMarks(facts, replicas);
    this.loaded = { model, facts, marks, quorums: new QuorumIndex(model, facts, replicas), coords };
    if (!options.keep) {
      this.cursor = -1;
      this.selectedLane = -1;
      this.shown = null;
    }
    this.inspectorNote = model.scenarioSource === null ? "This trace records no scenario to re-run, so there is no inspection to read the slots from." : "Waiting for the inspector's re-run to reach the cursor…";
    const data = this.roots.paxos.ownerDocument.getElementById("diagram")?.dataset;
    if (data !== undefined) data["chosenMarks"] = String(marks.length);
    this.ring.load(model);
    this.zk.clear(this.inspectorNote);
    this.render();
  }

  /** The diagram's coordinates changed (filters, mode). */
  setCoords(coords: Coordinates): void {
    if (this.loaded === null) return;
    this.loaded.coords = coords;
    this.render();
  }

  setCursor(cursor: number): void {
    this.cursor = cursor;
    this.render();
  }

  selectLane(lane: number): void {
    this.selectedLane = lane;
    this.render();
  }

  /** An inspection at the cursor arrived (only the latest question's). */
  inspection(response: InspectionResponse): void {
    const before = this.shown;
    const previous = before === null || before.response.target === response.target ? (before?.previous ?? null) : before.response.inspection;
    this.shown = { response, previous };
    this.render();
  }

  inspectorUnavailable(message: string): void {
    this.inspectorNote = message;
    this.render();
  }

  private tabsChanged(): void {
    this.roots.side.classList.toggle("lens-wide", !this.roots.paxos.hidden || !this.roots.zk.hidden);
    this.render();
    this.host.redraw();
  }

  /** Draws the lenses that are visible (hidden ones are drawn when their tab is shown). */
  private render(): void {
    const loaded = this.loaded;
    if (loaded === null) return;
    if (!this.roots.paxos.hidden) this.renderPaxos(loaded);
    if (!this.roots.ring.hidden) this.ring.show(loaded.coords, this.cursor, this.selectedLane);
    if (!this.roots.zk.hidden) this.renderZk();
    this.markEmphasis();
  }

  /** Slots and znodes a lesson's step points at: marked in the slot table and the znode trees (null: none). */
  setEmphasis(emphasis: { readonly slots: readonly number[]; readonly znodes: readonly string[] } | null): void {
    this.emphasis = emphasis;
    this.markEmphasis();
  }

  private markEmphasis(): void {
    const slots = new Set((this.emphasis?.slots ?? []).map(String));
    const znodes = new Set(this.emphasis?.znodes ?? []);
    for (const row of this.roots.paxos.querySelectorAll<HTMLElement>("[data-slot-row]")) row.classList.toggle("lesson-emphasis", slots.has(row.dataset["slotRow"] ?? ""));
    for (const row of this.roots.zk.querySelectorAll<HTMLElement>("tr[data-path]")) row.classList.toggle("lesson-emphasis", znodes.has(row.dataset["path"] ?? ""));
    this.roots.paxos.dataset["emphasisSlots"] = String(this.roots.paxos.querySelectorAll(".lesson-emphasis").length);
    this.roots.zk.dataset["emphasisZnodes"] = String(this.roots.zk.querySelectorAll(".lesson-emphasis").length);
  }

  private renderPaxos(loaded: Loaded): void {
    const shown = this.shown;
    const table = shown === null ? { message: this.inspectorNote } : { target: shown.response.target, table: slotTable(shown.response.inspection, shown.previous, loaded.marks.slice(0, chosenBy(loaded.marks, shown.response.target))) };
    this.paxos.show({ model: loaded.model, cursor: this.cursor, marks: loaded.marks, malformed: loaded.facts.malformed, table, quorums: loaded.quorums.at(this.cursor), showMarks: this.showMarks });
  }

  private renderZk(): void {
    const shown = this.shown;
    if (shown === null) {
      this.zk.clear(this.inspectorNote);
      return;
    }
    const view = zkLens(shown.response.inspection);
    if (view === null) this.zk.clear("No node of this run is a ZooKeeper server (a bare Paxos run): see the Paxos tab.");
    else this.zk.show(view, shown.response.target);
  }

  // ------------------------------------------------------------ over the diagram

  /** Chosen marks, the quorums of the Paxos tab, and the lane picked in the ring. */
  drawOverlay(layer: OverlayLayer): void {
    const loaded = this.loaded;
    const data = layer.ctx.canvas.parentElement?.dataset;
    if (loaded === null || layer.scene.model !== loaded.model) return;
    this.drawSelectedLane(layer);
    const quorums = this.roots.paxos.hidden ? 0 : this.drawQuorums(layer, loaded);
    const drawn = this.showMarks ? this.drawMarks(layer, loaded) : [];
    if (data !== undefined) {
      data["chosenDrawn"] = String(drawn.length);
      data["chosenAt"] = drawn.slice(0, 100).join(",");
      data["quorumMessages"] = String(quorums);
    }
  }

  private drawSelectedLane(layer: OverlayLayer): void {
    if (this.selectedLane < 0) return;
    const x = layer.laneX(this.selectedLane);
    if (Number.isNaN(x)) return;
    layer.ctx.fillStyle = "rgba(21,101,192,0.08)";
    layer.ctx.fillRect(x - 9, 0, 18, layer.height);
  }

  /** Returns "slot:event" for each mark drawn. */
  private drawMarks(layer: OverlayLayer, loaded: Loaded): string[] {
    const { ctx, scene, y } = layer;
    const [first, last] = scene.coords.eventRange(layer.c0, layer.c1);
    const drawn: string[] = [];
    // Thousands of slots in view (a whole long run): small ticks, no labels.
    const dense = chosenBy(loaded.marks, last - 1) - chosenBy(loaded.marks, first - 1) > MARKS_FULL_MAX;
    ctx.font = "bold 10px system-ui, sans-serif";
    let lastLabelY = Number.NEGATIVE_INFINITY;
    for (let k = chosenBy(loaded.marks, first - 1); k < loaded.marks.length; k++) {
      const mark = loaded.marks[k] as ChosenMark;
      if (mark.ev >= last) break;
      const lane = loaded.model.events.lane[mark.ev] as number;
      const x = layer.laneX(lane);
      if (Number.isNaN(x)) continue;
      const yy = y(scene.coords.y(mark.ev));
      drawn.push(`${mark.slot}:${mark.ev}`);
      if (dense) {
        ctx.fillStyle = COLOR_CHOSEN;
        ctx.fillRect(x - 3, yy - 1, 6, 2);
        continue;
      }
      diamond(ctx, x, yy, 6);
      if (drawn.length <= MARK_LABELS_MAX && yy - lastLabelY >= 12) {
        const label = `slot ${mark.slot} chosen`;
        const width = ctx.measureText(label).width;
        // Labels of lanes near the right edge go to the left of their mark.
        const left = x + 14 + width > layer.width ? x - 14 - width : x + 8;
        ctx.fillStyle = "rgba(255,255,255,0.85)";
        ctx.fillRect(left, yy - 9, width + 4, 12);
        ctx.fillStyle = "#8d6e00";
        ctx.fillText(label, left + 2, yy + 1);
        lastLabelY = yy;
      }
    }
    return drawn;
  }

  private drawQuorums(layer: OverlayLayer, loaded: Loaded): number {
    const view = loaded.quorums.at(this.cursor);
    if (view === null) return 0;
    const messages = loaded.quorums.messagesOf(view);
    layer.outlineMessages(messages.previous, COLOR_PREVIOUS, 4);
    layer.outlineMessages(messages.phase1, COLOR_PHASE1, 5);
    layer.outlineMessages(messages.slot, COLOR_SLOT, 5);
    return messages.previous.size + messages.phase1.size + messages.slot.size;
  }
}

function diamond(ctx: CanvasRenderingContext2D, x: number, y: number, r: number): void {
  ctx.beginPath();
  ctx.moveTo(x, y - r);
  ctx.lineTo(x + r, y);
  ctx.lineTo(x, y + r);
  ctx.lineTo(x - r, y);
  ctx.closePath();
  ctx.fillStyle = COLOR_CHOSEN;
  ctx.fill();
  ctx.strokeStyle = "#5d4037";
  ctx.lineWidth = 1;
  ctx.stroke();
}
