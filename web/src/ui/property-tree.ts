import { childPath, type Changes } from "../model/property-diff.ts";
import { h } from "./dom.ts";

/**
 * Any plain data as a collapsible tree: objects and arrays fold, leaves show
 * their value. Branches are built only when opened (a znode tree or a Paxos
 * log can be large). Values that changed since the previous step are
 * highlighted, and a folded branch with a change inside says so.
 */

/** Children shown per branch before "… n more". */
const CHILDREN_SHOWN_MAX = 200;

export interface TreeOptions {
  readonly changes: Changes | null;
  /** Paths open when the tree is drawn (the person's choice survives a step). */
  readonly open: Set<string>;
  /** Depth opened by default. */
  readonly openDepth: number;
}

export function propertyTree(value: unknown, options: TreeOptions, path = "", label: string | null = null, depth = 0): HTMLElement {
  const changed = options.changes?.changed.has(path) === true;
  const inside = options.changes?.containsChange.has(path) === true;
  if (typeof value !== "object" || value === null) {
    return h(
      "div",
      { class: `prop-leaf${changed ? " changed" : ""}`, "data-path": path },
      label === null ? null : h("span", { class: "prop-key" }, `${label}: `),
      h("span", { class: `prop-value prop-${value === null ? "null" : typeof value}` }, formatLeaf(value)),
    );
  }
  const entries: [string | number, unknown][] = Array.isArray(value) ? value.map((item, index) => [index, item]) : Object.entries(value as Record<string, unknown>);
  const details = h("details", { class: `prop-branch${changed ? " changed" : ""}${inside ? " contains-change" : ""}`, "data-path": path });
  const summaryText = Array.isArray(value) ? `[${entries.length}]` : `{${entries.length}}`;
  details.appendChild(h("summary", {}, label === null ? null : h("span", { class: "prop-key" }, `${label}: `), h("span", { class: "prop-count" }, summaryText)));
  const fill = () => {
    if (details.dataset["filled"] === "1") return;
    details.dataset["filled"] = "1";
    const shown = entries.slice(0, CHILDREN_SHOWN_MAX);
    for (const [key, item] of shown) details.appendChild(propertyTree(item, options, childPath(path, key), String(key), depth + 1));
    if (entries.length > shown.length) details.appendChild(h("div", { class: "prop-more" }, `… ${entries.length - shown.length} more`));
  };
  details.addEventListener("toggle", () => {
    if (details.open) {
      options.open.add(path);
      fill();
    } else {
      options.open.delete(path);
    }
  });
  if (options.open.has(path) || depth < options.openDepth) {
    fill();
    details.open = true;
  }
  return details;
}

function formatLeaf(value: unknown): string {
  if (typeof value === "string") return JSON.stringify(value.length > 300 ? `${value.slice(0, 300)}…` : value);
  return String(value);
}
