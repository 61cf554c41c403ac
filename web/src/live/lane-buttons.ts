import type { Diagram } from "../render/diagram.ts";
import { LANE_HEADER_PX } from "../render/diagram.ts";
import type { TraceModel } from "../model/trace-model.ts";
import { h, replaceChildren } from "../ui/dom.ts";

/**
 * Buttons over the server lanes' names at the top of the diagram, for a live
 * run: a click on one opens that server's menu; a drag from one to another
 * asks to cut the link between them; a shift-click picks it into a group
 * (for a partition) or takes it out again. They sit over the canvas, placed
 * at the lanes' x, and follow it when it is resized or lanes are hidden.
 */

export interface LaneButtonActions {
  click(node: string, clientX: number, clientY: number): void;
  drag(from: string, to: string, clientX: number, clientY: number): void;
  /** A shift-click changed the group picked (servers in lane order; empty: none). */
  pick(picked: readonly string[], clientX: number, clientY: number): void;
}

export class LaneButtons {
  readonly element: HTMLDivElement;
  private servers: string[] = [];
  private lanesOf: number[] = [];
  private dragFrom: string | null = null;
  private readonly pickedSet = new Set<string>();

  constructor(
    private readonly diagram: Diagram,
    private readonly actions: LaneButtonActions,
  ) {
    this.element = h("div", { id: "live-lanes", class: "live-lanes", hidden: true });
    diagram.container.appendChild(this.element);
    new ResizeObserver(() => this.place()).observe(diagram.container);
    document.addEventListener("pointerup", (e) => this.release(e));
  }

  /** Buttons for the model's servers (rebuilt only when they change), placed at their lanes. */
  show(model: TraceModel): void {
    const servers: string[] = [];
    const lanes: number[] = [];
    model.lanes.forEach((lane, index) => {
      if (lane.kind !== "server") return;
      servers.push(lane.id);
      lanes.push(index);
    });
    this.element.hidden = false;
    if (servers.join(",") !== this.servers.join(",")) {
      this.servers = servers;
      this.pickedSet.clear();
      replaceChildren(
        this.element,
        ...servers.map((id) => {
          const button = h("div", { class: "live-lane", "data-node": id, title: `${id}: click for crash, restart, pause, resume, clock; drag to another server to cut the link` });
          button.addEventListener("pointerdown", (e) => {
            e.preventDefault();
            if (e.shiftKey) {
              this.toggle(id);
              this.actions.pick(this.picked, e.clientX, e.clientY);
              return;
            }
            this.dragFrom = id;
            button.classList.add("dragging");
          });
          return button;
        }),
      );
    }
    this.lanesOf = lanes;
    this.place();
  }

  hide(): void {
    this.element.hidden = true;
    this.clearPick();
  }

  /** The servers picked with shift-clicks, in lane order. */
  get picked(): string[] {
    return this.servers.filter((id) => this.pickedSet.has(id));
  }

  clearPick(): void {
    this.pickedSet.clear();
    for (const button of this.element.querySelectorAll(".picked")) button.classList.remove("picked");
  }

  private toggle(id: string): void {
    if (this.pickedSet.has(id)) this.pickedSet.delete(id);
    else this.pickedSet.add(id);
    for (const button of this.element.querySelectorAll<HTMLElement>(".live-lane")) button.classList.toggle("picked", this.pickedSet.has(button.dataset["node"] ?? ""));
  }

  /** Puts each button over its lane's name (hidden lanes have none). */
  place(): void {
    const buttons = this.element.children;
    for (let k = 0; k < buttons.length; k++) {
      const button = buttons[k] as HTMLElement;
      const x = this.diagram.laneX(this.lanesOf[k] as number);
      button.hidden = Number.isNaN(x);
      button.style.left = `${x - 22}px`;
      button.style.height = `${LANE_HEADER_PX}px`;
    }
  }

  private release(e: PointerEvent): void {
    const from = this.dragFrom;
    if (from === null) return;
    this.dragFrom = null;
    for (const button of this.element.querySelectorAll(".dragging")) button.classList.remove("dragging");
    const target = document.elementFromPoint(e.clientX, e.clientY);
    const to = target instanceof HTMLElement ? (target.closest(".live-lane") as HTMLElement | null)?.dataset["node"] : undefined;
    if (to === undefined) return;
    if (to === from) this.actions.click(from, e.clientX, e.clientY);
    else this.actions.drag(from, to, e.clientX, e.clientY);
  }
}
