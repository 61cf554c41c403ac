import { formatBallot } from "../../../src/paxos/index.ts";
import { formatUs } from "../model/describe.ts";
import type { TraceModel } from "../model/trace-model.ts";
import { h, plural, replaceChildren } from "../ui/dom.ts";
import { chosenBy, describeMark, type ChosenMark } from "./chosen.ts";
import type { QuorumView, SlotQuorum, Vote } from "./quorums.ts";
import type { SlotTable } from "./slot-table.ts";

/**
 * The Paxos lens in the side panel: the slots chosen by the cursor (the
 * omniscient marks), the slot table from the inspection at the cursor, and
 * the current leader's quorums. Every figure a test checks is also a data
 * attribute.
 */

/** Chosen marks listed (the latest by the cursor). */
const MARKS_LISTED = 8;

export interface PaxosPanelInput {
  readonly model: TraceModel;
  readonly cursor: number;
  readonly marks: readonly ChosenMark[];
  readonly malformed: number;
  readonly table: { readonly target: number; readonly table: SlotTable } | { readonly message: string };
  readonly quorums: QuorumView | null;
  readonly showMarks: boolean;
}

export interface PaxosPanelActions {
  jump(ev: number): void;
  showMarks(on: boolean): void;
}

export class PaxosPanel {
  constructor(
    private readonly root: HTMLElement,
    private readonly actions: PaxosPanelActions,
  ) {}

  clear(message: string): void {
    this.root.dataset["cursor"] = "";
    replaceChildren(this.root, h("p", { class: "muted" }, message));
  }

  show(input: PaxosPanelInput): void {
    this.root.dataset["cursor"] = String(input.cursor);
    replaceChildren(this.root, this.chosenSection(input), this.tableSection(input), this.quorumSection(input));
  }

  private chosenSection(input: PaxosPanelInput): HTMLElement {
    const { marks, cursor, model } = input;
    const by = chosenBy(marks, cursor);
    const toggle = h("input", { type: "checkbox", id: "lens-show-chosen" });
    toggle.checked = input.showMarks;
    toggle.addEventListener("change", () => this.actions.showMarks(toggle.checked));
    const listed = marks.slice(Math.max(0, by - MARKS_LISTED), by).reverse();
    return h(
      "section",
      { class: "lens-section", "data-chosen-by-cursor": by, "data-chosen-total": marks.length },
      h("h3", {}, "Chosen"),
      h("p", {}, `${by} of ${plural(marks.length, "slot")} chosen by #${cursor}: a majority of the replicas accepted one value at one ballot (from their accept notes; no node knows it yet at that event).`),
      h("label", {}, toggle, " mark chosen slots on the diagram"),
      input.malformed === 0 ? null : h("p", { class: "error-text" }, `${plural(input.malformed, "Paxos note or message")} did not match the schema and were left out.`),
      listed.length === 0
        ? null
        : h(
            "ul",
            { class: "lens-list" },
            ...listed.map((mark) => h("li", { "data-chosen-slot": mark.slot, "data-ev": mark.ev }, this.link(mark.ev, `#${mark.ev}`), ` ${formatUs(model.events.t[mark.ev] as number)} · ${describeMark(mark)}`)),
          ),
    );
  }

  private tableSection(input: PaxosPanelInput): HTMLElement {
    const section = h("section", { class: "lens-section" }, h("h3", {}, "Slots at the cursor"));
    if ("message" in input.table) {
      section.appendChild(h("p", { class: "muted" }, input.table.message));
      return section;
    }
    const { table, target } = input.table;
    section.dataset["target"] = String(target);
    if (table.acceptors.length === 0) {
      section.appendChild(h("p", { class: "muted" }, "No node of this run is a Paxos replica."));
      return section;
    }
    const head = h(
      "tr",
      {},
      h("th", {}, "slot"),
      ...table.acceptors.map((a) => h("th", { "data-acceptor": a.node, "data-status": a.status, title: a.known ? `promised ${a.promised}` : a.status }, a.node, h("div", { class: "muted small" }, a.known ? `${a.role} · p ${a.promised}` : a.status))),
      h("th", {}, "chosen"),
    );
    const rows = table.rows.map((row) =>
      h(
        "tr",
        { "data-slot-row": row.slot },
        h("td", { class: "num" }, String(row.slot)),
        ...row.cells.map((cell, k) => {
          const acceptor = table.acceptors[k]?.node ?? "";
          if (cell === null) return h("td", { class: "empty", "data-slot": row.slot, "data-acceptor": acceptor }, "·");
          const cls = `cell${cell.changed ? " changed" : ""}${cell.chosen ? " in-majority" : ""}`;
          return h("td", { class: cls, "data-slot": row.slot, "data-acceptor": acceptor, "data-ballot": cell.ballot, "data-vid": cell.vid, "data-changed": cell.changed, title: `${acceptor} accepted ${cell.vid} at ${cell.ballot}` }, cell.ballot, h("div", { class: "vid" }, cell.vid));
        }),
        row.chosen === null ? h("td", { class: "muted" }, "") : h("td", { class: "chosen-cell", "data-chosen-ev": row.chosen.ev }, "✔ ", this.link(row.chosen.ev, `#${row.chosen.ev}`)),
      ),
    );
    const summaryRow = (label: string, value: (a: SlotTable["acceptors"][number]) => string, changed: (a: SlotTable["acceptors"][number]) => boolean, attr: string) =>
      h("tr", { class: "summary-row" }, h("td", {}, label), ...table.acceptors.map((a) => h("td", { class: changed(a) ? "changed" : "", [`data-${attr}`]: a.known ? value(a) : null, "data-acceptor": a.node }, a.known ? value(a) : "—")), h("td", {}, ""));
    section.append(
      h(
        "table",
        { class: "lens-table slot-table" },
        h("thead", {}, head),
        h(
          "tbody",
          {},
          ...rows,
          summaryRow("commit", (a) => String(a.commit), (a) => a.commitChanged, "commit"),
          summaryRow("applied", (a) => String(a.applied), (a) => a.appliedChanged, "applied"),
        ),
      ),
      h("p", { class: "muted small" }, `After event #${target}. A cell is ballot and value id; yellow: changed since the step shown before; green: the majority that chose the slot. An entry appears when the acceptor takes the value (its accept delivered); the chosen moment counts it once it is on disk (its accept note). commit: slots below it known chosen; applied: slots below it applied.${table.slotsBelow > 0 ? ` ${plural(table.slotsBelow, "lower slot")} not shown.` : ""}`),
    );
    return section;
  }

  private quorumSection(input: PaxosPanelInput): HTMLElement {
    const view = input.quorums;
    const section = h("section", { class: "lens-section quorums" }, h("h3", {}, "Quorums"));
    if (view === null) {
      section.appendChild(h("p", { class: "muted" }, "No leader yet at the cursor."));
      return section;
    }
    const term = view.current.term;
    section.dataset["leader"] = term.node;
    section.dataset["ballot"] = formatBallot(term.ballot);
    section.dataset["phase1"] = view.current.phase1.map((v) => v.from).join(",");
    section.dataset["focusSlot"] = view.focus === null ? "" : String(view.focus.slot);
    section.append(
      h("p", {}, h("strong", {}, `${term.node} leads at ${formatBallot(term.ballot)}`), view.active ? " since " : "",
        view.active ? this.link(term.startEv, `#${term.startEv}`) : ` (its term ended at #${term.endEv}; no leader at the cursor)`, ` · majority ${view.majority}`),
      h("div", { class: "legend" }, h("span", { class: "swatch", style: "background:#7b1fa2" }), "phase-1 promises ", h("span", { class: "swatch", style: "background:#2e7d32" }), "the slot's accepted replies ", h("span", { class: "swatch", style: "background:#ef6c00" }), "the previous leader's promises"),
      h("p", {}, "Phase 1: ", ...this.votes(view.current.phase1, (v) => (v.entries > 0 ? ` (reported ${plural(v.entries, "accepted slot")})` : ""))),
      this.slotsList(view),
      this.previousBlock(view),
    );
    return section;
  }

  private slotsList(view: QuorumView): HTMLElement {
    if (view.slots.length === 0) return h("p", { class: "muted" }, "Phase 2: no accepted reply at the leader yet.");
    return h(
      "ul",
      { class: "lens-list" },
      ...view.slots
        .slice()
        .reverse()
        .map((s: SlotQuorum) =>
          h(
            "li",
            { "data-quorum-slot": s.slot, "data-complete": s.completeEv, class: view.focus === s ? "focus" : "" },
            `slot ${s.slot}: `,
            s.completeEv >= 0 ? h("span", { class: "ok" }, "majority ") : h("span", { class: "muted" }, `${s.quorum.length} of ${view.majority} `),
            ...this.votes(s.quorum, () => ""),
          ),
        ),
    );
  }

  private previousBlock(view: QuorumView): HTMLElement {
    const previous = view.previous;
    if (previous === null) return h("p", { class: "muted" }, "No earlier leader to compare with.");
    const before = previous.quorums.term;
    const members = (list: readonly string[]) => (list.length === 0 ? "nobody" : list.join(", "));
    return h(
      "div",
      { class: "previous", "data-previous": before.node, "data-with-phase1": previous.withPhase1.join(","), "data-with-last-slot": previous.withLastSlot.join(",") },
      h("p", {}, `Previous leader ${before.node} at ${formatBallot(before.ballot)}: phase 1 by `, ...this.votes(previous.quorums.phase1, () => "")),
      h("p", {}, `Both phase-1 majorities hold ${members(previous.withPhase1)}.`),
      previous.lastSlot === null
        ? h("p", { class: "muted" }, `${before.node} completed no slot before ${view.current.term.node} took over.`)
        : h(
            "p",
            {},
            `Its last slot chosen through it, ${previous.lastSlot.slot}, was accepted by ${members(previous.lastSlot.quorum.map((v) => v.from))}; `,
            h("strong", {}, members(previous.withLastSlot)),
            ` of them promised to ${view.current.term.node}, so its promise carried what was accepted there: a chosen value cannot be missed.`,
          ),
    );
  }

  private votes(votes: readonly Vote[], extra: (vote: Vote) => string): (HTMLElement | string)[] {
    const out: (HTMLElement | string)[] = [];
    votes.forEach((vote, k) => {
      if (k > 0) out.push(", ");
      out.push(h("span", { "data-vote-from": vote.from, "data-deliver-ev": vote.deliverEv }, vote.from, " ", this.link(vote.deliverEv, `#${vote.deliverEv}`), extra(vote)));
    });
    return out;
  }

  private link(ev: number, text: string): HTMLElement {
    const a = h("a", { href: "#", class: "ev-link", "data-jump": ev }, text);
    a.addEventListener("click", (e) => {
      e.preventDefault();
      this.actions.jump(ev);
    });
    return a;
  }
}
