import type { ScenarioReport } from "../../../src/scenario/index.ts";
import type { TraceSource } from "../protocol.ts";
import { h, replaceChildren } from "../ui/dom.ts";
import type { LessonHost, LessonPlayer } from "./player.ts";
import "./lessons.css";

/**
 * The page's door to the lessons: the Lessons menu (the course in order)
 * and ?lesson=NAME. The player and the lessons themselves (with the core's
 * lesson and scenario code) are loaded only when a lesson is opened or the
 * menu is, so a page that opens a trace loads none of it.
 */
export class Lessons {
  private player: LessonPlayer | null = null;

  constructor(
    private readonly host: LessonHost,
    private readonly pane: HTMLElement,
    private readonly menu: HTMLDetailsElement,
  ) {
    menu.addEventListener("toggle", () => {
      if (menu.open) void this.fillMenu();
    });
  }

  /** Opens a bundled lesson by name (the address says which, so a reload comes back to it). */
  async open(name: string): Promise<void> {
    const { LessonPlayer } = await import("./player.ts");
    this.player ??= new LessonPlayer(this.host, this.pane);
    await this.player.open(name);
  }

  /** The page is opening something: unless the lesson asked for it, the lesson steps aside. */
  opening(source: TraceSource): void {
    this.player?.opening(source);
  }

  /** A live run starts (the challenge's, or one started from the Live tab). */
  liveStarted(): void {
    this.player?.liveStarted();
  }

  /** The live run shows a snapshot; once it has run to its end, its report. */
  liveShown(report: ScenarioReport | null): void {
    this.player?.liveShown(report);
  }

  /** A lesson's key (next, back, a choice); true when taken. */
  key(key: string): boolean {
    return this.player?.key(key) ?? false;
  }

  private async fillMenu(): Promise<void> {
    const list = this.menu.querySelector("ol") ?? this.menu.appendChild(h("ol", { class: "lessons-list" }));
    if (list.dataset["filled"] === "1") return;
    const { bundledLessons } = await import("./bundled.ts");
    const all = await bundledLessons();
    if (!all.ok) {
      replaceChildren(list, h("li", { class: "error-text" }, `${all.message}: ${all.problems.map((p) => `line ${p.line}, ${p.path}: ${p.message}`).join("; ")}`));
      return;
    }
    replaceChildren(
      list,
      ...all.lessons.map(({ parsed: { lesson } }) => {
        const link = h("a", { href: `?lesson=${encodeURIComponent(lesson.name)}`, "data-lesson": lesson.name }, lesson.title);
        link.addEventListener("click", (event) => {
          event.preventDefault();
          this.menu.open = false;
          const url = new URL(window.location.href);
          url.search = new URLSearchParams({ lesson: lesson.name }).toString();
          window.history.replaceState(null, "", url);
          void this.open(lesson.name);
        });
        return h("li", { "data-order": lesson.order }, link, " ", h("span", { class: "muted" }, `${lesson.steps.length} steps${lesson.challenge === undefined ? "" : ", a challenge"}`));
      }),
    );
    list.dataset["filled"] = "1";
  }
}
