/**
 * The narration's Markdown, a small and safe subset: paragraphs, **bold**,
 * *emphasis*, `code`, and lists ("- " or "1. "). Text is parsed into plain
 * data first (tested in Node), then built as DOM nodes with text content
 * only: nothing in a lesson's text is ever read as HTML, so a lesson cannot
 * put markup, scripts or links into the page.
 */

export type Inline =
  | { readonly kind: "text"; readonly text: string }
  | { readonly kind: "code"; readonly text: string }
  | { readonly kind: "strong"; readonly children: readonly Inline[] }
  | { readonly kind: "em"; readonly children: readonly Inline[] };

export type Block =
  | { readonly kind: "paragraph"; readonly inlines: readonly Inline[] }
  | { readonly kind: "list"; readonly ordered: boolean; readonly items: readonly (readonly Inline[])[] };

/** Narration longer than this is cut (a lesson step is a few sentences). */
const TEXT_CHARS_MAX = 20_000;
/** Emphasis inside emphasis deeper than this stays literal text. */
const NESTING_MAX = 4;

const LIST_ITEM = /^\s*(?:([-*])|(\d{1,3})[.)])\s+(.*)$/;

/** The blocks of a Markdown text. */
export function parseMarkdown(source: string): Block[] {
  const lines = source.slice(0, TEXT_CHARS_MAX).replace(/\r\n?/g, "\n").split("\n");
  const blocks: Block[] = [];
  let paragraph: string[] = [];
  let list: { ordered: boolean; items: string[] } | null = null;
  const flush = () => {
    if (paragraph.length > 0) blocks.push({ kind: "paragraph", inlines: parseInline(paragraph.join(" "), 0) });
    if (list !== null) blocks.push({ kind: "list", ordered: list.ordered, items: list.items.map((item) => parseInline(item, 0)) });
    paragraph = [];
    list = null;
  };
  for (const raw of lines) {
    const line = raw.trim();
    if (line === "") {
      flush();
      continue;
    }
    const item = LIST_ITEM.exec(raw);
    if (item !== null) {
      const ordered = item[2] !== undefined;
      if (list === null || list.ordered !== ordered) {
        flush();
        list = { ordered, items: [] };
      }
      list.items.push((item[3] ?? "").trim());
      continue;
    }
    // A line after a list item, indented or not, continues the item (a blank line ends the list).
    if (list !== null) {
      const last = list.items.length - 1;
      list.items[last] = `${list.items[last] ?? ""} ${line}`;
      continue;
    }
    paragraph.push(line);
  }
  flush();
  return blocks;
}

/** The inline parts of a line: code spans first (nothing inside them is markup), then ** and *. */
export function parseInline(text: string, depth: number): Inline[] {
  const out: Inline[] = [];
  let plain = "";
  const push = (inline: Inline) => {
    if (plain !== "") out.push({ kind: "text", text: plain });
    plain = "";
    out.push(inline);
  };
  let k = 0;
  while (k < text.length) {
    const c = text[k] as string;
    if (c === "`") {
      const end = text.indexOf("`", k + 1);
      if (end > k + 1) {
        push({ kind: "code", text: text.slice(k + 1, end) });
        k = end + 1;
        continue;
      }
    } else if (c === "*" && depth < NESTING_MAX) {
      const strong = text.startsWith("**", k);
      const marker = strong ? "**" : "*";
      const end = closing(text, k + marker.length, marker);
      if (end > k + marker.length && text[k + marker.length] !== " ") {
        const inner = parseInline(text.slice(k + marker.length, end), depth + 1);
        push(strong ? { kind: "strong", children: inner } : { kind: "em", children: inner });
        k = end + marker.length;
        continue;
      }
    }
    plain += c;
    k++;
  }
  if (plain !== "") out.push({ kind: "text", text: plain });
  return out;
}

/** Where the marker that closes one opened before `from` is: skips code spans, and for "*" the "**" pairs inside. */
function closing(text: string, from: number, marker: "*" | "**"): number {
  let k = from;
  while (k < text.length) {
    if (text[k] === "`") {
      const end = text.indexOf("`", k + 1);
      if (end > k) {
        k = end + 1;
        continue;
      }
    }
    if (marker === "**" && text.startsWith("**", k) && text[k - 1] !== " ") return k;
    if (marker === "*" && text[k] === "*") {
      if (text.startsWith("**", k)) {
        const inner = text.indexOf("**", k + 2);
        if (inner > 0) {
          k = inner + 2;
          continue;
        }
      }
      if (text[k - 1] !== " ") return k;
    }
    k++;
  }
  return -1;
}

/** The text without its markup (for titles and tests). */
export function plainText(blocks: readonly Block[]): string {
  const inline = (parts: readonly Inline[]): string => parts.map((p) => (p.kind === "text" || p.kind === "code" ? p.text : inline(p.children))).join("");
  return blocks.map((b) => (b.kind === "paragraph" ? inline(b.inlines) : b.items.map(inline).join("\n"))).join("\n\n");
}

/** The blocks as DOM nodes: elements p, ul, ol, li, strong, em, code, and text nodes; never parsed HTML. */
export function renderMarkdown(source: string, doc: Document = document): DocumentFragment {
  const fragment = doc.createDocumentFragment();
  const inlines = (parent: Node, parts: readonly Inline[]) => {
    for (const part of parts) {
      if (part.kind === "text") parent.appendChild(doc.createTextNode(part.text));
      else if (part.kind === "code") {
        const code = doc.createElement("code");
        code.textContent = part.text;
        parent.appendChild(code);
      } else {
        const element = doc.createElement(part.kind);
        inlines(element, part.children);
        parent.appendChild(element);
      }
    }
  };
  for (const block of parseMarkdown(source)) {
    if (block.kind === "paragraph") {
      const p = doc.createElement("p");
      inlines(p, block.inlines);
      fragment.appendChild(p);
    } else {
      const list = doc.createElement(block.ordered ? "ol" : "ul");
      for (const item of block.items) {
        const li = doc.createElement("li");
        inlines(li, item);
        list.appendChild(li);
      }
      fragment.appendChild(list);
    }
  }
  return fragment;
}
