import { defaultFilters, FilterView } from "../model/filters.ts";
import { Coordinates } from "../model/layout.ts";
import { describeEvent, describeMessage } from "../model/describe.ts";
import type { TraceModel } from "../model/trace-model.ts";
import { Diagram } from "../render/diagram.ts";
import { h } from "../ui/dom.ts";

/**
 * The second branch of a comparison, drawn beside the first on the same
 * time axis: the page's diagram keeps the current branch on the left, this
 * one shows the other on the right, and moving either view moves both. The
 * messages one branch has and the other has not are outlined in both, and
 * both cursors stand on the first event where the branches part.
 */
export class CompareView {
  readonly element: HTMLDivElement;
  private readonly label: HTMLDivElement;
  private diagram: Diagram | null = null;
  private syncing = false;

  constructor(
    private readonly pane: HTMLElement,
    private readonly main: Diagram,
  ) {
    this.label = h("div", { class: "live-compare-label" });
    this.element = h("div", { id: "live-compare", class: "live-compare", hidden: true }, this.label);
    pane.appendChild(this.element);
  }

  get showing(): boolean {
    return !this.element.hidden;
  }

  /** Shows branch B's model beside the main diagram, its differing messages marked, its cursor at the parting. */
  show(model: TraceModel, title: string, only: ReadonlySet<number>, cursor: number): void {
    this.element.hidden = false;
    this.pane.classList.add("comparing");
    this.label.textContent = title;
    if (this.diagram === null) {
      const host = h("div", { class: "live-compare-diagram" });
      this.element.appendChild(host);
      this.diagram = new Diagram(host, {
        hover: (hit, x, y) => this.hover(model, hit === null ? null : hit.kind === "message" ? describeMessage(model, hit.m) : hit.kind === "event" ? describeEvent(model, hit.ev) : null, x, y),
        click: () => undefined,
        viewChanged: () => this.follow(this.diagram, this.main),
      });
    }
    const view = new FilterView(model, defaultFilters());
    const coords = new Coordinates(model, view, "time");
    this.diagram.setScene({ model, view, coords, cursor, selectedEvent: -1, selectedMessage: -1, chain: null, searchHits: only, counterexample: null }, false);
    this.diagram.container.dataset["compareOnly"] = String(only.size);
    this.mainViewChanged();
  }

  hide(): void {
    this.element.hidden = true;
    this.pane.classList.remove("comparing");
  }

  /** The main diagram moved: this one shows the same stretch of time. */
  mainViewChanged(): void {
    if (this.showing) this.follow(this.main, this.diagram);
  }

  private follow(from: Diagram | null, to: Diagram | null): void {
    if (from === null || to === null || this.syncing) return;
    this.syncing = true;
    const [y0, y1] = from.visibleRange();
    to.showRange(y0, y1);
    this.syncing = false;
  }

  private hover(_model: TraceModel, text: string | null, x: number, y: number): void {
    const tooltip = document.getElementById("tooltip");
    if (tooltip === null) return;
    if (text === null) {
      tooltip.hidden = true;
      return;
    }
    tooltip.textContent = text;
    tooltip.hidden = false;
    tooltip.style.left = `${Math.min(window.innerWidth - 540, x + 14)}px`;
    tooltip.style.top = `${y + 14}px`;
  }
}
