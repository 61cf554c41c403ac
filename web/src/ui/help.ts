import { h } from "./dom.ts";

/** Every keyboard shortcut, as the `?` dialog lists them. */
export const SHORTCUTS: readonly (readonly [string, string])[] = [
  ["Space", "play / pause"],
  ["→ or j", "next event"],
  ["← or k", "previous event"],
  ["Shift+→ or n", "next event of the chosen kind, type and node"],
  ["Shift+← or p", "previous event of the chosen kind, type and node"],
  ["Home / End", "first / last event"],
  ["m", "switch virtual time / event order"],
  ["h", "show or hide heartbeats"],
  ["+ / −", "zoom in / out"],
  ["0", "show the whole run"],
  ["c", "centre the view on the cursor"],
  ["/", "search (#id, /path, session:ID)"],
  ["Enter / Shift+Enter in search", "next / previous result"],
  ["Escape", "clear the selection and the traced causes"],
  ["PageDown or . / PageUp or ,", "a lesson's next / previous step"],
  ["1 … 8", "a lesson's question: pick that choice"],
  ["?", "this list"],
];

export function helpContent(): HTMLElement {
  return h(
    "div",
    {},
    h("h3", {}, "Keyboard shortcuts"),
    h("table", { class: "shortcuts" }, ...SHORTCUTS.map(([keys, what]) => h("tr", {}, h("td", {}, h("kbd", {}, keys)), h("td", {}, what)))),
    h("p", { class: "muted" }, "Drag to pan, wheel to zoom. Click an arrow, an operation or a mark for its payload and causes."),
  );
}
