import type { Filters } from "../model/filters.ts";
import { EV, HEARTBEAT_TYPES, type EventKind, type TraceModel } from "../model/trace-model.ts";
import { messageColor } from "../render/palette.ts";
import { h, replaceChildren } from "./dom.ts";

/** The kinds of bookkeeping event a person may mark on the lanes (and give rows in event order). */
const MARKABLE: readonly (readonly [EventKind, string])[] = [
  [EV.start, "node starts"],
  [EV.timer, "timers"],
  [EV.sync, "disk syncs"],
  [EV.note, "notes (role changes, applies…)"],
];

/** Filters by node, message type, event kind and time window. */
export class FiltersPanel {
  constructor(
    private readonly root: HTMLElement,
    private readonly change: (filters: Filters) => void,
  ) {}

  show(model: TraceModel, filters: Filters): void {
    const counts = new Array<number>(model.messageTypes.length).fill(0);
    for (let m = 0; m < model.messages.count; m++) {
      const type = model.messages.type[m] as number;
      counts[type] = (counts[type] ?? 0) + 1;
    }
    const lanes = model.lanes.map((lane, index) =>
      this.checkbox(`lane-${lane.id}`, `${lane.id} (${lane.kind})`, !filters.hiddenLanes.has(index), (on) => {
        const hidden = new Set(filters.hiddenLanes);
        if (on) hidden.delete(index);
        else hidden.add(index);
        this.change({ ...filters, hiddenLanes: hidden });
      }),
    );
    const types = model.messageTypes
      .map((name, index) => ({ name, index }))
      .sort((a, b) => a.name.localeCompare(b.name))
      .map(({ name, index }) => {
        const heartbeat = HEARTBEAT_TYPES.has(name);
        const box = this.checkbox(`type-${name}`, `${name} (${(counts[index] ?? 0).toLocaleString("en-US")})${heartbeat ? " ♥" : ""}`, !filters.hiddenTypes.has(index), (on) => {
          const hidden = new Set(filters.hiddenTypes);
          if (on) hidden.delete(index);
          else hidden.add(index);
          this.change({ ...filters, hiddenTypes: hidden });
        });
        box.prepend(h("span", { class: "swatch", style: `background:${messageColor(name)}` }));
        return box;
      });
    const kinds = MARKABLE.map(([kind, label]) =>
      this.checkbox(`kind-${kind}`, label, filters.markedKinds.has(kind), (on) => {
        const marked = new Set(filters.markedKinds);
        if (on) marked.add(kind);
        else marked.delete(kind);
        this.change({ ...filters, markedKinds: marked });
      }),
    );
    const from = h("input", { type: "number", id: "window-from", min: 0, step: "any", placeholder: "from ms", value: filters.windowUs === null ? "" : filters.windowUs[0] / 1000 });
    const to = h("input", { type: "number", id: "window-to", min: 0, step: "any", placeholder: "to ms", value: filters.windowUs === null ? "" : filters.windowUs[1] / 1000 });
    const apply = h("button", { type: "button", id: "window-apply" }, "Apply");
    const clear = h("button", { type: "button", id: "window-clear" }, "Whole run");
    apply.addEventListener("click", () => {
      const a = Number(from.value || "0") * 1000;
      const b = to.value === "" ? model.endUs : Number(to.value) * 1000;
      if (Number.isFinite(a) && Number.isFinite(b) && b > a) this.change({ ...filters, windowUs: [Math.max(0, a), b] });
    });
    clear.addEventListener("click", () => this.change({ ...filters, windowUs: null }));
    replaceChildren(
      this.root,
      h("h4", {}, "Nodes"),
      h("div", { class: "filter-list" }, ...lanes),
      h("h4", {}, "Message types"),
      this.checkbox("heartbeats", "heartbeats, acks, pings and pongs (♥)", filters.showHeartbeats, (on) => this.change({ ...filters, showHeartbeats: on })),
      h("div", { class: "filter-list" }, ...types),
      h("h4", {}, "Marks on lanes"),
      h("div", { class: "filter-list" }, ...kinds),
      h("h4", {}, "Time window (virtual ms)"),
      h("div", { class: "window" }, from, " – ", to, " ", apply, " ", clear),
    );
  }

  private checkbox(id: string, label: string, checked: boolean, set: (on: boolean) => void): HTMLElement {
    const input = h("input", { type: "checkbox", "data-filter": id, checked });
    input.addEventListener("change", () => set(input.checked));
    return h("label", { class: "filter-item" }, input, " ", label);
  }
}
