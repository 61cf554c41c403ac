import { changesBetween } from "../model/property-diff.ts";
import { formatUs, laneFactsAt } from "../model/describe.ts";
import type { TraceModel } from "../model/trace-model.ts";
import type { InspectResponse } from "../protocol.ts";
import type { NodeInspection } from "../resim/inspect-nodes.ts";
import { formatMs, h, replaceChildren } from "./dom.ts";
import { propertyTree } from "./property-tree.ts";

type InspectionResponse = Extract<InspectResponse, { kind: "inspection" }>;

/**
 * Every node at the cursor, from a re-run stopped there: what the engine
 * says (status, incarnation, clock, durable storage) and the node's own
 * inspect() when it has one, as a property tree. Values that changed since
 * the previous step are highlighted.
 */
export class InspectorPanel {
  private previous = new Map<string, unknown>();
  private readonly open = new Map<string, Set<string>>();
  private readonly openNodes = new Set<string>();
  private lastTarget = -1;

  constructor(private readonly root: HTMLElement) {}

  clear(message: string): void {
    this.previous = new Map();
    this.lastTarget = -1;
    this.root.dataset["target"] = "";
    replaceChildren(this.root, h("p", { class: "muted" }, message));
  }

  pending(target: number): void {
    this.root.dataset["pending"] = String(target);
    this.root.querySelector(".inspect-status")?.replaceChildren(`re-running to event #${target}…`);
  }

  failed(message: string): void {
    this.root.dataset["pending"] = "";
    replaceChildren(this.root, h("p", { class: "error-text" }, `The inspector could not re-run this scenario: ${message}`));
  }

  checkpoints(filled: number, slots: number, spacing: number): void {
    this.root.dataset["checkpoints"] = `${filled}/${slots}`;
    const note = this.root.querySelector(".inspect-checkpoints");
    if (note !== null) note.textContent = `checkpoints: ${filled} of ${slots} parked runs, every ${spacing.toLocaleString("en-US")} events`;
  }

  show(response: InspectionResponse, model: TraceModel): void {
    const { inspection, target } = response;
    const stepped = target !== this.lastTarget;
    this.lastTarget = target;
    const from = response.from.kind === "fresh" ? "a fresh run from the seed" : `a run parked after ${response.from.seen.toLocaleString("en-US")} events`;
    const header = h(
      "div",
      { class: "inspect-header" },
      h("div", { class: "inspect-title" }, `State after event #${target} (virtual ${formatUs(inspection.nowUs)})`),
      h("div", { class: "inspect-status muted" }, `re-run from ${from} in ${formatMs(response.wallMs)}`),
      h("div", { class: "inspect-checkpoints muted" }, this.root.dataset["checkpoints"] === undefined ? "" : `checkpoints: ${this.root.dataset["checkpoints"]}`),
    );
    const sections = inspection.nodes.map((node, lane) => this.nodeSection(node, model, lane, target, stepped));
    replaceChildren(this.root, header, ...sections);
    const current = new Map<string, unknown>();
    for (const node of inspection.nodes) current.set(node.id, snapshotOf(node));
    this.previous = current;
    this.root.dataset["target"] = String(target);
    this.root.dataset["pending"] = "";
    this.root.dataset["ms"] = String(Math.round(response.wallMs));
  }

  private nodeSection(node: NodeInspection, model: TraceModel, lane: number, target: number, stepped: boolean): HTMLElement {
    const snapshot = snapshotOf(node);
    const before = this.previous.get(node.id);
    const changes = stepped && before !== undefined ? changesBetween(before, snapshot) : null;
    let open = this.open.get(node.id);
    if (open === undefined) {
      open = new Set();
      this.open.set(node.id, open);
    }
    const laneIndex = model.lanes.findIndex((l) => l.id === node.id);
    const facts = laneIndex < 0 ? [] : laneFactsAt(model, laneIndex, target);
    const changed = changes !== null && changes.changed.size > 0;
    const role = node.status === "crashed" ? null : roleOf(node.state);
    const details = h("details", {
      class: `inspect-node${changed ? " contains-change" : ""}`,
      "data-node": node.id,
      "data-changes": changes === null ? 0 : changes.changed.size,
      "data-role": role?.role ?? "",
    });
    if (this.openNodes.has(node.id) || (this.openNodes.size === 0 && lane < 3)) details.open = true;
    details.addEventListener("toggle", () => (details.open ? this.openNodes.add(node.id) : this.openNodes.delete(node.id)));
    details.appendChild(
      h(
        "summary",
        {},
        h("strong", {}, node.id),
        " ",
        h("span", { class: `badge status-${node.status}` }, node.status),
        role === null ? null : " ",
        role === null ? null : h("span", { class: `badge role role-${role.role}`, title: "its Paxos role and ballot, from its own inspect()" }, role.ballot === "" ? role.role : `${role.role} ${role.ballot}`),
        ` incarnation ${node.incarnation} · clock ${formatUs(node.clockUs)}`,
        facts.length === 0 ? null : h("span", { class: "facts" }, ` · ${facts.join(", ")}`),
        changed ? h("span", { class: "change-dot", title: "changed since the previous step" }, " ●") : null,
      ),
    );
    if (!node.inspectable) {
      details.appendChild(h("p", { class: "muted no-inspect" }, `${node.id} offers no inspection yet (its node has no inspect()): the engine's view only.`));
    } else if (node.state !== null) {
      details.appendChild(propertyTree(node.state, { changes, open, openDepth: 1 }, "state", "state"));
    }
    details.appendChild(propertyTree(snapshot.durable, { changes, open, openDepth: 0 }, "durable", `durable storage (${node.durable.keys} keys)`));
    return details;
  }
}

/** The part of an inspection compared between steps. */
function snapshotOf(node: NodeInspection): { status: string; incarnation: number; state: unknown; durable: unknown } {
  return { status: node.status, incarnation: node.incarnation, state: node.state, durable: node.durable.shown };
}

/** A Paxos replica's role and ballot, from a server's or a replica's inspect() (null for other nodes). */
export function roleOf(state: unknown): { role: string; ballot: string } | null {
  const record = (value: unknown): Record<string, unknown> | null => (typeof value === "object" && value !== null ? (value as Record<string, unknown>) : null);
  const top = record(state);
  const replica = top?.["kind"] === "zk-server" || top?.["kind"] === "log-server" ? record(top["paxos"]) : top?.["kind"] === "paxos-replica" ? top : null;
  const proposer = record(replica?.["proposer"]);
  const role = proposer?.["role"];
  if (typeof role !== "string") return null;
  const ballot = record(proposer?.["ballot"]);
  const round = ballot?.["round"];
  // A follower's own ballot is what it last campaigned with: not worth a badge.
  const campaigning = role === "leader" || role === "candidate";
  return { role, ballot: campaigning && typeof round === "number" && round > 0 ? `${round}.${String(ballot?.["node"] ?? "?")}` : "" };
}
