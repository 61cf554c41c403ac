import type { CheckReport, ScenarioReport } from "../../../src/scenario/index.ts";
import { formatMs, h, replaceChildren } from "./dom.ts";

/**
 * Every check of the run with its verdict, from the scenario runner's report
 * of the re-run here. A broken check is a link: it jumps to its first
 * violation and draws what led to it.
 */
export class ChecksPanel {
  constructor(
    private readonly root: HTMLElement,
    private readonly select: (check: CheckReport) => void,
  ) {}

  clear(message: string): void {
    this.root.dataset["state"] = "none";
    replaceChildren(this.root, h("p", { class: "muted" }, message));
  }

  running(): void {
    this.root.dataset["state"] = "running";
    replaceChildren(this.root, h("p", { class: "muted" }, "Re-running the scenario in this page to judge its checks…"));
  }

  show(report: ScenarioReport, wallMs: number | null): void {
    this.root.dataset["state"] = "done";
    this.root.dataset["failed"] = String(report.checks.filter((c) => !c.holds).length);
    const rows = report.checks.map((check) => {
      const row = h(
        "li",
        { class: check.holds ? "check held" : "check failed", "data-check": check.name },
        h("span", { class: "verdict" }, check.holds ? "held" : "FAILED"),
        " ",
        h("strong", {}, check.name),
        check.group === check.name ? null : h("span", { class: "muted" }, ` (${check.group})`),
        check.detail === null ? null : h("div", { class: "check-detail" }, check.detail),
      );
      if (!check.holds) {
        row.classList.add("clickable");
        row.title = "jump to the first violation and draw what led to it";
        row.addEventListener("click", () => this.select(check));
      }
      return row;
    });
    const o = report.operations;
    replaceChildren(
      this.root,
      h("p", {}, `${report.name}, seed ${report.seed}: `, h("strong", {}, report.matched ? "as expected" : "NOT as expected"), ` (expect: ${report.expect})`),
      h("ul", { class: "checks" }, ...rows),
      h("p", { class: "muted" }, `operations: ${o.ok} ok, ${o.failed} failed, ${o.unknown} unknown · ${report.events.toLocaleString("en-US")} events · digest ${report.digest ?? "—"}${wallMs === null ? "" : ` · re-run in ${formatMs(wallMs)}`}`),
    );
  }

  failed(message: string): void {
    this.root.dataset["state"] = "failed";
    replaceChildren(this.root, h("p", { class: "error-text" }, `The re-run failed: ${message}`));
  }
}
