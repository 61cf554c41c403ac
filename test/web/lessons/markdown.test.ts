import { describe, expect, test } from "vitest";
import { parseInline, parseMarkdown, plainText, renderMarkdown, type Block } from "../../../web/src/lessons/markdown.ts";

/**
 * The lesson narration's Markdown: the subset lessons use (paragraphs, bold,
 * emphasis, code, lists), and nothing a lesson writes ever reaching the page
 * as markup.
 */

/** Just enough of a DOM to render into in Node: elements with tag, children and text. */
class FakeNode {
  readonly children: FakeNode[] = [];
  constructor(
    readonly tag: string,
    public text = "",
  ) {}
  appendChild(child: FakeNode): FakeNode {
    this.children.push(child);
    return child;
  }
  set textContent(value: string) {
    this.children.length = 0;
    this.children.push(new FakeNode("#text", value));
  }
  get html(): string {
    if (this.tag === "#text") return this.text.replace(/&/g, "&amp;").replace(/</g, "&lt;");
    const inner = this.children.map((c) => c.html).join("");
    return this.tag === "#fragment" ? inner : `<${this.tag}>${inner}</${this.tag}>`;
  }
}
const fakeDocument = {
  createDocumentFragment: () => new FakeNode("#fragment"),
  createElement: (tag: string) => new FakeNode(tag),
  createTextNode: (text: string) => new FakeNode("#text", text),
} as unknown as Document;
const html = (source: string): string => (renderMarkdown(source, fakeDocument) as unknown as FakeNode).html;

describe("narration Markdown", () => {
  test("paragraphs are separated by blank lines; lines within one are joined", () => {
    expect(html("At 100 ms s1 wants\nto propose v1.\n\nIt picks a ballot.")).toBe("<p>At 100 ms s1 wants to propose v1.</p><p>It picks a ballot.</p>");
  });

  test("bold, emphasis and code, nested, as lessons write them", () => {
    expect(html("s1 sends **prepare(1.s1)** to every acceptor")).toBe("<p>s1 sends <strong>prepare(1.s1)</strong> to every acceptor</p>");
    expect(html("a value is *chosen* the moment")).toBe("<p>a value is <em>chosen</em> the moment</p>");
    expect(html("**a majority has *accepted* one value**")).toBe("<p><strong>a majority has <em>accepted</em> one value</strong></p>");
    expect(html("*see **this** here*")).toBe("<p><em>see <strong>this</strong> here</em></p>");
    expect(html("run `zksim run default` now")).toBe("<p>run <code>zksim run default</code> now</p>");
  });

  test("code spans are literal: no emphasis inside them", () => {
    expect(html("`a *b* **c**` and *d*")).toBe("<p><code>a *b* **c**</code> and <em>d</em></p>");
  });

  test("markers that do not pair, or stand alone, stay as text", () => {
    expect(html("2 * 3 * 4 and **open")).toBe("<p>2 * 3 * 4 and **open</p>");
    expect(html("a ` alone")).toBe("<p>a ` alone</p>");
    expect(plainText(parseMarkdown("**x"))).toBe("**x");
  });

  test("lists: - or * items, 1. items ordered, a wrapped line continues its item", () => {
    const blocks: Block[] = parseMarkdown("Before:\n\n- one **bold**\n- two\n  wrapped\n\n1. first\n2. second");
    expect(blocks.map((b) => b.kind)).toEqual(["paragraph", "list", "list"]);
    expect(html("- one **bold**\n- two\n  wrapped")).toBe("<ul><li>one <strong>bold</strong></li><li>two wrapped</li></ul>");
    expect(html("1. first\n2) second")).toBe("<ol><li>first</li><li>second</li></ol>");
    expect(html("text\n- item")).toBe("<p>text</p><ul><li>item</li></ul>");
  });

  test("HTML in a lesson is text, never markup: tags, entities and scripts come out as written", () => {
    const evil = 'Hi <script>alert(1)</script> <img src=x onerror="x()"> &amp; <b>bold</b>';
    const out = html(evil);
    expect(out).not.toContain("<script>");
    expect(out).not.toContain("<img");
    expect(out).not.toContain("<b>");
    expect(plainText(parseMarkdown(evil))).toBe(evil);
    // Only the elements the subset knows are ever created.
    const tags = new Set<string>();
    const walk = (node: FakeNode) => {
      tags.add(node.tag);
      node.children.forEach(walk);
    };
    walk(renderMarkdown(`${evil}\n\n- **a** *b* \`c\`\n\n1. d`, fakeDocument) as unknown as FakeNode);
    expect([...tags].sort()).toEqual(["#fragment", "#text", "code", "em", "li", "ol", "p", "strong", "ul"]);
  });

  test("deep nesting and long text are bounded", () => {
    const deep = `${"*".repeat(40)}x${"*".repeat(40)}`;
    expect(() => parseInline(deep, 0)).not.toThrow();
    expect(plainText(parseMarkdown("a".repeat(50_000))).length).toBe(20_000);
  });
});
