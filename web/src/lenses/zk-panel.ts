import { h, plural, replaceChildren } from "../ui/dom.ts";
import { epochOf, formatZxid, type ZkLensView, type ZkServerColumn, type ZnodeCell } from "./zk-lens.ts";

/**
 * The ZooKeeper lens in the side panel: the servers' znode trees side by
 * side (a row per path, a column per server, with the zxid each applied and
 * lagging servers marked), the sessions and the ephemerals they own, and the
 * watches each server holds. Figures a test checks are data attributes.
 */
export class ZkPanel {
  constructor(private readonly root: HTMLElement) {}

  clear(message: string): void {
    this.root.dataset["target"] = "";
    replaceChildren(this.root, h("p", { class: "muted" }, message));
  }

  show(view: ZkLensView, target: number): void {
    const lagging = view.servers.filter((s) => s.lagging).map((s) => s.node);
    this.root.dataset["target"] = String(target);
    this.root.dataset["lagging"] = lagging.join(",");
    this.root.dataset["maxZxid"] = String(view.maxZxid);
    replaceChildren(
      this.root,
      h("p", { class: "muted small" }, `After event #${target}. Highest zxid applied: ${formatZxid(view.maxZxid)} (epoch ${epochOf(view.maxZxid)}). ${lagging.length === 0 ? "No server lags." : `Lagging: ${lagging.join(", ")}.`}`),
      this.treeSection(view),
      this.sessionSection(view),
      this.watchSection(view),
    );
  }

  private serverHead(server: ZkServerColumn): HTMLElement {
    const state = !server.known ? server.status : server.lagging ? "lagging" : "current";
    return h(
      "th",
      { "data-server": server.node, "data-zxid": server.lastZxid, "data-lagging": server.lagging, "data-state": state, class: `zk-server ${state}` },
      server.node,
      h("div", { class: "small" }, server.known ? formatZxid(server.lastZxid) : server.status),
      server.known ? h("div", { class: "muted small" }, `${server.role} · slot ${server.applied}`) : null,
      server.lagging ? h("div", { class: "lag-badge" }, server.behind === null ? "lagging (older epoch)" : `lagging ${plural(server.behind, "txn")}`) : null,
    );
  }

  private treeSection(view: ZkLensView): HTMLElement {
    const rows = view.znodes.map((row) =>
      h(
        "tr",
        { "data-path": row.path, class: row.differs ? "differs" : "" },
        h("td", { class: "path", style: `padding-left:${4 + 10 * row.depth}px`, title: row.path }, row.path === "/" ? "/" : (row.path.split("/").pop() ?? row.path)),
        ...row.cells.map((cell, k) => cellOf(cell, view.servers[k] as ZkServerColumn)),
      ),
    );
    return h(
      "section",
      { class: "lens-section" },
      h("h3", {}, "Znode trees"),
      h("table", { class: "lens-table zk-tree" }, h("thead", {}, h("tr", {}, h("th", {}, "znode"), ...view.servers.map((s) => this.serverHead(s)))), h("tbody", {}, ...rows)),
      h("p", { class: "muted small" }, `A cell is the znode's version and mzxid (e: ephemeral); rows where the servers differ are marked. /zookeeper left out.${view.znodesLeftOut > 0 ? ` ${plural(view.znodesLeftOut, "more znode")} not shown.` : ""}`),
    );
  }

  private sessionSection(view: ZkLensView): HTMLElement {
    if (view.sessions.length === 0) return h("section", { class: "lens-section" }, h("h3", {}, "Sessions"), h("p", { class: "muted" }, "No session."));
    return h(
      "section",
      { class: "lens-section" },
      h("h3", {}, "Sessions"),
      h(
        "table",
        { class: "lens-table" },
        h("thead", {}, h("tr", {}, h("th", {}, "session"), h("th", {}, "client"), h("th", {}, "ephemerals"), ...view.servers.map((s) => h("th", {}, s.node)))),
        h(
          "tbody",
          {},
          ...view.sessions.map((s) =>
            h(
              "tr",
              { "data-session": s.sessionId, "data-client": s.client ?? "", "data-ephemerals": s.ephemerals.length },
              h("td", { class: "num", title: `timeout ${s.timeoutMs} ms` }, `0x${s.sessionId.toString(16)}`),
              h("td", {}, s.client === null ? h("span", { class: "muted" }, "none") : `${s.client}@${s.server ?? "?"}`),
              h("td", { class: "small" }, s.ephemerals.length === 0 ? "—" : s.ephemerals.join(" ")),
              ...s.held.map((held, k) => h("td", { class: held ? "" : "missing", "data-server": view.servers[k]?.node ?? "" }, held ? "✓" : view.servers[k]?.known === true ? "✗" : "")),
            ),
          ),
        ),
      ),
    );
  }

  private watchSection(view: ZkLensView): HTMLElement {
    const kinds = ["data", "child", "persistent", "recursive"] as const;
    return h(
      "section",
      { class: "lens-section" },
      h("h3", {}, "Watches"),
      view.watches.length === 0
        ? h("p", { class: "muted" }, "No watch set on any server.")
        : h(
            "ul",
            { class: "lens-list" },
            ...view.watches.map((w) =>
              h(
                "li",
                { "data-watch-server": w.server, "data-watch-client": w.client },
                h("strong", {}, w.server),
                ` for ${w.client}: `,
                kinds
                  .filter((kind) => w[kind].length > 0)
                  .map((kind) => `${kind} ${w[kind].join(" ")}`)
                  .join("; "),
              ),
            ),
          ),
    );
  }
}

function cellOf(cell: ZnodeCell | null, server: ZkServerColumn): HTMLElement {
  if (!server.known) return h("td", { class: "muted" }, "");
  if (cell === null) return h("td", { class: "missing", "data-server": server.node }, "—");
  const data = cell.data === null ? "null" : cell.data.length > 24 ? `${cell.data.slice(0, 24)}…` : cell.data;
  return h("td", { "data-server": server.node, "data-version": cell.version, title: `data ${data} · mzxid ${formatZxid(cell.mzxid)} · ${cell.numChildren} children` }, `v${cell.version} ${formatZxid(cell.mzxid)}${cell.ephemeralOwner !== 0 ? " e" : ""}`);
}
