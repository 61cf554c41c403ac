import { causesOf } from "../model/causes.ts";
import { describeEvent, describeMessage, describeSpan } from "../model/describe.ts";
import type { TraceModel } from "../model/trace-model.ts";
import { h, replaceChildren } from "./dom.ts";

/**
 * The event, message or operation clicked: its summary, its full line from
 * the trace (the message payload, pretty-printed), and its causes, each a
 * link that moves the cursor there. "Trace back" draws the causes through
 * the diagram.
 */
export interface DetailsActions {
  jump(ev: number): void;
  traceBack(ev: number): void;
  line(ev: number): Promise<string | null>;
}

export class DetailsPanel {
  private shown = -1;

  constructor(
    private readonly root: HTMLElement,
    private readonly actions: DetailsActions,
  ) {}

  clear(): void {
    this.shown = -1;
    replaceChildren(this.root, h("p", { class: "muted" }, "Click an arrow, an operation or a mark to see it here."));
  }

  showSpan(model: TraceModel, s: number): void {
    const start = model.spans.startEv[s] as number;
    this.showEvent(model, start, describeSpan(model, s));
  }

  showEvent(model: TraceModel, ev: number, heading: string | null = null): void {
    this.shown = ev;
    const m = model.events.msg[ev] as number;
    const causes = causesOf(model, ev);
    const line = h("pre", { class: "payload" }, "…");
    const endEv = m >= 0 ? (model.messages.endEv[m] as number) : -1;
    replaceChildren(
      this.root,
      heading === null ? null : h("p", { class: "details-heading" }, heading),
      h("p", { class: "details-event" }, describeEvent(model, ev)),
      m >= 0 ? h("p", { class: "muted" }, describeMessage(model, m)) : null,
      h(
        "div",
        { class: "details-links" },
        m >= 0 && (model.messages.sendEv[m] as number) !== ev ? this.link("the send", model.messages.sendEv[m] as number) : null,
        endEv >= 0 && endEv !== ev ? this.link("the delivery or drop", endEv) : null,
      ),
      h("h4", {}, "Causes"),
      causes.length === 0
        ? h("p", { class: "muted" }, "none recorded (a start, a timer, a fault, or the first step of a handler)")
        : h("ul", { class: "causes" }, ...causes.map((c) => h("li", {}, this.link(describeEvent(model, c), c)))),
      h("button", { type: "button", class: "trace-back" }, "Trace back through the diagram"),
      h("h4", {}, "The line in the trace"),
      line,
    );
    this.root.querySelector(".trace-back")?.addEventListener("click", () => this.actions.traceBack(ev));
    void this.actions.line(ev).then((text) => {
      if (this.shown !== ev) return;
      line.textContent = text === null ? "(not available)" : pretty(text);
    });
  }

  private link(text: string, ev: number): HTMLElement {
    const a = h("a", { href: "#", "data-ev": ev }, text);
    a.addEventListener("click", (e) => {
      e.preventDefault();
      this.actions.jump(ev);
    });
    return a;
  }
}

function pretty(text: string): string {
  try {
    return JSON.stringify(JSON.parse(text), null, 2);
  } catch {
    return text;
  }
}
