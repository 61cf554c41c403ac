import { parseScenario, ScenarioError, type Scenario, type ScenarioProblem } from "../../../src/scenario/index.ts";
import { h, replaceChildren } from "../ui/dom.ts";

/**
 * A scenario as YAML in the page: a plain textarea with a gutter of line
 * numbers, validated as one types with the core's parseScenario (the same
 * zod schema and messages as `zksim run`). A line with a problem is marked
 * in the gutter, and the problems are listed under the text, each a link to
 * its line.
 */

export type Validation = { readonly ok: true; readonly scenario: Scenario } | { readonly ok: false; readonly problems: readonly ScenarioProblem[] };

/** How long typing rests before the text is validated (ms). */
const VALIDATE_DEBOUNCE_MS = 150;

/** Validates a scenario's text: the scenario, or every problem with its line. */
export function validateScenario(text: string, file: string): Validation {
  try {
    return { ok: true, scenario: parseScenario(text, file) };
  } catch (error) {
    if (error instanceof ScenarioError) return { ok: false, problems: error.problems };
    return { ok: false, problems: [{ line: 0, path: "", message: error instanceof Error ? error.message : String(error) }] };
  }
}

export class ScenarioEditor {
  readonly element: HTMLDivElement;
  private readonly gutter: HTMLDivElement;
  private readonly textarea: HTMLTextAreaElement;
  private readonly problemList: HTMLUListElement;
  private timer: ReturnType<typeof setTimeout> | null = null;
  private lastValidation: Validation = { ok: false, problems: [{ line: 0, path: "", message: "no scenario yet" }] };
  file = "scenario.yaml";

  constructor(private readonly changed: (validation: Validation) => void) {
    this.gutter = h("div", { class: "live-gutter", "aria-hidden": "true" });
    this.textarea = h("textarea", { id: "live-yaml", class: "live-yaml", spellcheck: "false", wrap: "off", rows: 16, "aria-label": "the scenario, in YAML" });
    this.problemList = h("ul", { id: "live-yaml-problems", class: "problems live-problems" });
    this.element = h("div", { class: "live-editor" }, h("div", { class: "live-editor-text" }, this.gutter, this.textarea), this.problemList);
    this.textarea.addEventListener("input", () => {
      this.drawGutter(this.lastValidation.ok ? [] : this.lastValidation.problems);
      if (this.timer !== null) clearTimeout(this.timer);
      this.timer = setTimeout(() => this.validateNow(), VALIDATE_DEBOUNCE_MS);
    });
    this.textarea.addEventListener("scroll", () => {
      this.gutter.scrollTop = this.textarea.scrollTop;
    });
  }

  get text(): string {
    return this.textarea.value;
  }

  get validation(): Validation {
    return this.lastValidation;
  }

  setText(text: string, file: string): void {
    this.textarea.value = text;
    this.file = file;
    this.validateNow();
  }

  /** Validates at once (a pending debounced validation is dropped). */
  validateNow(): Validation {
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = null;
    this.lastValidation = validateScenario(this.textarea.value, this.file);
    const problems = this.lastValidation.ok ? [] : this.lastValidation.problems;
    this.drawGutter(problems);
    replaceChildren(
      this.problemList,
      ...problems.map((p) => {
        const item = h("li", { "data-line": p.line }, h("a", { href: "#" }, `line ${p.line}`), `${p.path === "" ? "" : `, ${p.path}`}: ${p.message}`);
        item.querySelector("a")?.addEventListener("click", (e) => {
          e.preventDefault();
          this.goToLine(p.line);
        });
        return item;
      }),
    );
    this.element.dataset["valid"] = String(this.lastValidation.ok);
    this.element.dataset["problemLines"] = problems.map((p) => p.line).join(",");
    this.changed(this.lastValidation);
    return this.lastValidation;
  }

  private drawGutter(problems: readonly ScenarioProblem[]): void {
    const bad = new Map<number, string>();
    for (const p of problems) bad.set(p.line, `${bad.has(p.line) ? `${bad.get(p.line)}\n` : ""}${p.path === "" ? "" : `${p.path}: `}${p.message}`);
    const count = Math.max(1, this.textarea.value.split("\n").length);
    const rows: HTMLElement[] = [];
    for (let line = 1; line <= count; line++) {
      const problem = bad.get(line);
      rows.push(h("div", problem === undefined ? {} : { class: "bad", title: problem, "data-line": line }, problem === undefined ? String(line) : `● ${line}`));
    }
    replaceChildren(this.gutter, ...rows);
    this.gutter.scrollTop = this.textarea.scrollTop;
  }

  private goToLine(line: number): void {
    const lines = this.textarea.value.split("\n");
    let offset = 0;
    for (let k = 0; k < line - 1 && k < lines.length; k++) offset += (lines[k] as string).length + 1;
    this.textarea.focus();
    this.textarea.setSelectionRange(offset, offset + (lines[line - 1]?.length ?? 0));
  }
}
