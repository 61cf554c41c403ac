import type { CheckReport, CounterexampleInTrace } from "../../../src/scenario/index.ts";
import { causesOf } from "../model/causes.ts";
import { describeEvent, describeMessage, describeSpan, formatUs } from "../model/describe.ts";
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

  /**
   * A linearizability counterexample: the longest order of operations the
   * model accepts, the state it leaves, and the operations that cannot come
   * next; each links to its invocation in the diagram.
   */
  showCounterexample(check: CheckReport, picture: CounterexampleInTrace): void {
    this.shown = -1;
    const placed = picture.ops.filter((op) => op.place !== null).sort((a, b) => (a.place as number) - (b.place as number));
    const stuck = picture.ops.filter((op) => op.stuck);
    const item = (op: CounterexampleInTrace["ops"][number]) => {
      const when = `${op.client}, ${formatUs(op.invokeUs)} to ${op.completeUs === null ? "never answered" : formatUs(op.completeUs)}`;
      const text = `${op.text.replace(/^p\d+ /, "")} (${when})`;
      return h("li", { "data-op": op.id }, op.invokeEv >= 0 ? this.link(text, op.invokeEv) : text);
    };
    replaceChildren(
      this.root,
      h("p", { class: "details-heading" }, `${check.name}: not linearizable${picture.key === null ? "" : ` on ${picture.key}`}`),
      h("p", { class: "muted" }, "Drawn over the clients' lanes as Porcupine draws it: green bars are the longest linearizable prefix, numbered in its order and joined through one possible linearization point each; red bars cannot come next; grey ones are the key's other operations."),
      h("h4", {}, `Longest linearizable prefix (${placed.length} operations${picture.leftOut > 0 ? `; ${picture.leftOut} earlier ones of the key not drawn` : ""})`),
      h("ol", { class: "counterexample-prefix" }, ...placed.slice(-12).map(item)),
      placed.length > 12 ? h("p", { class: "muted" }, `(the last 12 of ${placed.length})`) : null,
      h("p", {}, "State after it: ", h("code", {}, picture.state)),
      h("h4", {}, "Cannot come next"),
      h("ul", { class: "counterexample-stuck" }, ...stuck.map(item)),
      check.detail === null ? null : h("p", { class: "muted" }, check.detail),
    );
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
