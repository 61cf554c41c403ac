import { challengeSource, forkSource, type LessonStep } from "../../../src/lesson/index.ts";
import type { CheckReport, ScenarioReport } from "../../../src/scenario/index.ts";
import { formatUs } from "../model/describe.ts";
import type { TraceModel } from "../model/trace-model.ts";
import type { TraceSource } from "../protocol.ts";
import type { Emphasis } from "../render/diagram.ts";
import { h, replaceChildren } from "../ui/dom.ts";
import { TraceLoader } from "../workers-client.ts";
import { bundledLessons, scenarioSources, type BundledLesson } from "./bundled.ts";
import type { LessonFacts, LessonFactsResult } from "./facts.ts";
import { renderMarkdown } from "./markdown.ts";
import { firstDifference, stepMarks } from "./marks.ts";

/**
 * The lesson player: runs a lesson's scenario in the page (as ?scenario=
 * does), with the lesson's steps and answers found in the run by the trace
 * worker, and walks through it: each step moves the diagram's cursor to its
 * event, marks its lanes and messages, and narrates; a question waits for a
 * choice and checks it against the run; a fork runs its variant here and
 * shows what broke, and opens it in the diagram; a challenge shows its goal
 * and can play its solution. Its state is this one lesson; the page's state
 * stays with the App, reached through the host.
 */

export type ScenarioSource = Extract<TraceSource, { kind: "scenario" }>;

/** What the page opened for the player. */
export interface OpenedRun {
  readonly model: TraceModel;
  readonly report: ScenarioReport | null;
  readonly lesson: LessonFactsResult | null;
}

/** What the player may ask of the page. */
export interface LessonHost {
  /** Runs a scenario as the page's run; null when it failed (the page shows why) or another opening overtook it. */
  run(source: ScenarioSource): Promise<OpenedRun | null>;
  showError(name: string, message: string, problems: readonly { line: number; path: string; message: string }[]): void;
  setCursor(ev: number): void;
  /** Brings these events into view (zooming to them). */
  showEvents(evs: readonly number[]): void;
  setEmphasis(emphasis: Emphasis | null): void;
  /** The step's slots and znodes, marked in the protocol lenses (Paxos slot table, ZooKeeper trees); null clears them. */
  setStateEmphasis(emphasis: { readonly slots: readonly number[]; readonly znodes: readonly string[] } | null): void;
  /** Shows a failed check as the checks panel does (its violation, its causes); false when the run has no such check. */
  showCheck(name: string): boolean;
  /** Starts a live run of a scenario in the Live tab (web/src/live/), where the student intervenes. */
  startLive(name: string, source: string, seed: number | null): Promise<void>;
  /** The live branch shown, as a scenario with its interventions in faults, and its seed; null without a live run. */
  liveBranch(): { source: string; seed: number } | null;
}

/** A question's state: not answered yet, or the choice made (null for "show me"). */
type Answer = { readonly choice: string | null };

type ForkState =
  | { readonly kind: "running" }
  | { readonly kind: "failed"; readonly message: string }
  | {
      readonly kind: "done";
      readonly name: string;
      readonly source: string;
      readonly digest: string;
      readonly failed: readonly CheckReport[];
      /** The first event where the fork parts from the lesson's run (-1: nowhere), and its instant. */
      readonly parts: number;
      readonly partsUs: number;
      /** When the expected check was first broken in the fork (NaN: not broken, or no violation event for it). */
      readonly brokenUs: number;
    };

type ChallengeState =
  | { readonly kind: "idle" }
  /** A live run of the challenge is shown; its goal has not fired (yet). */
  | { readonly kind: "live" }
  | { readonly kind: "running" }
  /** `by`: the shipped solution, or the student's live branch. */
  | { readonly kind: "done"; readonly by: "solution" | "live"; readonly reached: boolean; readonly failed: readonly string[] }
  | { readonly kind: "failed"; readonly message: string };

/** What the diagram shows: the lesson's run, a fork's, the challenge's solution, or the student's live run. */
type Showing = { readonly kind: "lesson" } | { readonly kind: "fork"; readonly step: number } | { readonly kind: "solution" } | { readonly kind: "live" };

export class LessonPlayer {
  private lesson: BundledLesson | null = null;
  private facts: LessonFacts | null = null;
  private model: TraceModel | null = null;
  private step = 0;
  private readonly answers = new Map<number, Answer>();
  private readonly forks = new Map<number, ForkState>();
  private challenge: ChallengeState = { kind: "idle" };
  private showing: Showing = { kind: "lesson" };
  /** The sources this player opened (an opening of anything else ends the lesson). */
  private readonly own = new WeakSet<TraceSource>();
  private readonly forkLoader = new TraceLoader();
  /** Set while the player itself starts a live run (so the lesson stays). */
  private startingLive = false;
  private courseSize = 0;

  constructor(
    private readonly host: LessonHost,
    private readonly pane: HTMLElement,
  ) {}

  get active(): boolean {
    return this.lesson !== null && !this.pane.hidden;
  }

  /** Opens a bundled lesson by name at its first step. */
  async open(name: string): Promise<void> {
    const all = await bundledLessons();
    if (!all.ok) {
      this.host.showError(all.file, all.message, all.problems);
      return;
    }
    const found = all.lessons.find((l) => l.parsed.lesson.name === name);
    if (found === undefined) {
      this.host.showError(`lesson ${name}`, `no bundled lesson of that name; expected one of ${all.lessons.map((l) => l.parsed.lesson.name).join(", ")}`, []);
      return;
    }
    this.courseSize = all.lessons.length;
    this.lesson = found;
    this.answers.clear();
    this.forks.clear();
    this.challenge = { kind: "idle" };
    await this.showLessonRun(0);
  }

  /** The page opens something else: the lesson steps aside. */
  opening(source: TraceSource): void {
    if (this.own.has(source) || this.lesson === null) return;
    this.lesson = null;
    this.pane.hidden = true;
    this.host.setEmphasis(null);
    this.host.setStateEmphasis(null);
    // The address no longer names the lesson: a reload opens what is shown.
    const url = new URL(window.location.href);
    if (url.searchParams.has("lesson")) {
      url.searchParams.delete("lesson");
      window.history.replaceState(window.history.state, "", url);
    }
  }

  /** A live run starts: the challenge's (the lesson watches its goal), or another (the lesson steps aside). */
  liveStarted(): void {
    if (this.lesson === null) return;
    if (this.startingLive) return;
    this.opening({ kind: "scenario", name: "live", source: "", seed: null });
  }

  /** A live snapshot: once the student's branch has run to its end, its checks say whether the goal fired. */
  liveShown(report: ScenarioReport | null): void {
    if (this.showing.kind !== "live" || report === null) return;
    this.judgeGoal("live", report);
  }

  /** The lesson's keys: PageDown or . for the next step, PageUp or , for the previous, 1–8 for a choice; true when taken. */
  key(key: string): boolean {
    if (!this.active || this.facts === null) return false;
    if (this.showing.kind !== "lesson") return false;
    switch (key) {
      case "PageDown":
      case ".":
        this.next();
        return true;
      case "PageUp":
      case ",":
        this.back();
        return true;
      default: {
        const question = this.current()?.question;
        if (question === undefined || this.answers.has(this.step) || !/^[1-8]$/.test(key)) return false;
        const choice = question.choices[Number(key) - 1];
        if (choice === undefined) return false;
        this.answer(choice);
        return true;
      }
    }
  }

  // ------------------------------------------------------------ the lesson's run

  /** Runs the lesson's scenario as the page's run and shows a step of it. */
  private async showLessonRun(step: number): Promise<void> {
    const bundled = this.lesson;
    if (bundled === null) return;
    const { lesson } = bundled.parsed;
    const sources = await scenarioSources([lesson.scenario]);
    if (!sources.ok) {
      this.host.showError(`lesson ${lesson.name}`, `its scenario ${sources.name} is not bundled with this page`, []);
      return;
    }
    const source: ScenarioSource = { kind: "scenario", name: lesson.scenario, source: sources.load(lesson.scenario), seed: lesson.seed ?? null, lesson: { text: bundled.text, file: bundled.file } };
    this.own.add(source);
    this.showing = { kind: "lesson" };
    this.pane.hidden = false;
    this.pane.dataset["state"] = "loading";
    this.renderLoading(`Running ${lesson.scenario} for the lesson…`);
    const opened = await this.host.run(source);
    if (opened === null || this.lesson !== bundled) return;
    if (opened.lesson === null || !opened.lesson.ok) {
      this.pane.dataset["state"] = "error";
      const message = opened.lesson?.ok === false ? opened.lesson.message : "the run gave no lesson steps";
      replaceChildren(this.pane, h("h2", {}, lesson.title), h("p", { class: "error-text", "data-lesson-error": "" }, `This lesson does not fit its run: ${message}`));
      return;
    }
    this.facts = opened.lesson.facts;
    this.model = opened.model;
    this.pane.dataset["state"] = "ready";
    this.goTo(step);
  }

  private current(): LessonStep | undefined {
    return this.lesson?.parsed.lesson.steps[this.step];
  }

  private next(): void {
    const count = this.lesson?.parsed.lesson.steps.length ?? 0;
    if (this.mustAnswer() || this.step + 1 >= count) return;
    this.goTo(this.step + 1);
  }

  private back(): void {
    if (this.step > 0) this.goTo(this.step - 1);
  }

  /** A question not yet answered holds the next step back. */
  private mustAnswer(): boolean {
    return this.current()?.question !== undefined && !this.answers.has(this.step);
  }

  /** Moves to a step: the cursor to its event, its marks drawn, its stretch of the run in view. */
  private goTo(step: number): void {
    const facts = this.facts;
    const model = this.model;
    const lesson = this.lesson?.parsed.lesson;
    if (facts === null || model === null || lesson === undefined) return;
    this.step = Math.max(0, Math.min(lesson.steps.length - 1, step));
    const located = facts.steps[this.step];
    const current = lesson.steps[this.step];
    if (located === undefined || current === undefined) return;
    const marks = stepMarks(model, current, facts.steps, this.step);
    this.host.setEmphasis({ lanes: marks.lanes, messages: marks.messages });
    this.host.setStateEmphasis({ slots: current.highlight?.slots ?? [], znodes: current.highlight?.znodes ?? [] });
    this.host.showEvents(marks.events);
    this.host.setCursor(located.event);
    this.render();
  }

  // ------------------------------------------------------------ questions

  private answer(choice: string | null): void {
    if (this.answers.has(this.step)) return;
    this.answers.set(this.step, { choice });
    this.render();
  }

  // ------------------------------------------------------------ forks

  /** Runs a step's fork here (not in the diagram): its checks, its digest, where it parts from the lesson's run. */
  private async runFork(step: number): Promise<void> {
    const bundled = this.lesson;
    const facts = this.facts;
    const fork = bundled?.parsed.lesson.steps[step]?.fork;
    if (bundled === null || facts === null || fork === undefined) return;
    this.forks.set(step, { kind: "running" });
    this.render();
    const { lesson } = bundled.parsed;
    const sources = await scenarioSources([lesson.scenario, ...(fork.scenario === undefined ? [] : [fork.scenario])]);
    if (!sources.ok) {
      this.forks.set(step, { kind: "failed", message: `the scenario ${sources.name} is not bundled with this page` });
      this.render();
      return;
    }
    const variant = forkSource(bundled.parsed, step, facts.steps[step]?.atUs ?? 0, sources.load);
    const result = await this.forkLoader.open({ kind: "scenario", name: variant.name, source: variant.source, seed: lesson.seed ?? null }, () => undefined);
    if (this.lesson !== bundled) return;
    if (!result.ok || result.report === null) {
      this.forks.set(step, { kind: "failed", message: result.ok ? "the fork's run gave no report" : result.message });
    } else {
      const parts = this.model === null ? -1 : firstDifference(this.model, result.model);
      this.forks.set(step, {
        kind: "done",
        name: variant.name,
        source: variant.source,
        digest: result.report.digest ?? result.read.digestRead,
        failed: result.report.checks.filter((c) => !c.holds),
        parts,
        partsUs: parts < 0 ? Number.NaN : (result.model.events.t[Math.min(parts, result.model.eventCount - 1)] ?? Number.NaN),
        brokenUs: result.model.violations.find((v) => v.check === fork.expect || (fork.expect === "paxos-safety" && v.check.startsWith("paxos.")))?.atUs ?? Number.NaN,
      });
    }
    this.render();
  }

  /** Opens a fork's run in the diagram, at the violation it expects (or where it parts, for a fork that breaks nothing). */
  private async openFork(step: number): Promise<void> {
    const state = this.forks.get(step);
    const fork = this.lesson?.parsed.lesson.steps[step]?.fork;
    if (state?.kind !== "done" || fork === undefined || this.lesson === null) return;
    const source: ScenarioSource = { kind: "scenario", name: state.name, source: state.source, seed: this.lesson.parsed.lesson.seed ?? null };
    this.own.add(source);
    this.showing = { kind: "fork", step };
    delete this.pane.dataset["jumped"];
    this.host.setEmphasis(null);
    this.host.setStateEmphasis(null);
    this.render();
    const opened = await this.host.run(source);
    if (opened === null || this.showing.kind !== "fork") return;
    const jumped = fork.expect !== "pass" && this.host.showCheck(fork.expect);
    if (!jumped && state.parts >= 0) this.host.setCursor(Math.min(state.parts, opened.model.eventCount - 1));
    this.pane.dataset["jumped"] = jumped ? fork.expect : "";
    this.render();
  }

  // ------------------------------------------------------------ the challenge

  /** Runs the lesson's scenario with the challenge's shipped solution, in the diagram, and says whether the goal's check fired. */
  private async showSolution(): Promise<void> {
    const bundled = this.lesson;
    const challenge = bundled?.parsed.lesson.challenge;
    if (bundled === null || challenge === undefined) return;
    const { lesson } = bundled.parsed;
    const sources = await scenarioSources([lesson.scenario]);
    if (!sources.ok) return;
    const source: ScenarioSource = { kind: "scenario", name: lesson.scenario, source: challengeSource(bundled.parsed, sources.load), seed: lesson.seed ?? null };
    this.own.add(source);
    this.showing = { kind: "solution" };
    this.challenge = { kind: "running" };
    this.host.setEmphasis(null);
    this.host.setStateEmphasis(null);
    this.render();
    const opened = await this.host.run(source);
    if (this.showing.kind !== "solution") return;
    if (opened === null || opened.report === null) {
      this.challenge = { kind: "failed", message: "the solution's run did not finish" };
      this.render();
    } else if (this.judgeGoal("solution", opened.report)) {
      this.host.showCheck(challenge.check);
    }
  }

  /** The challenge live: the lesson's scenario in the Live tab, where every intervention of live mode is allowed. */
  private async tryLive(): Promise<void> {
    const bundled = this.lesson;
    if (bundled === null || bundled.parsed.lesson.challenge === undefined) return;
    const { lesson } = bundled.parsed;
    const sources = await scenarioSources([lesson.scenario]);
    if (!sources.ok) return;
    this.showing = { kind: "live" };
    this.challenge = { kind: "live" };
    this.host.setEmphasis(null);
    this.host.setStateEmphasis(null);
    this.render();
    this.startingLive = true;
    try {
      await this.host.startLive(lesson.scenario, sources.load(lesson.scenario), lesson.seed ?? null);
    } finally {
      this.startingLive = false;
    }
  }

  /** Runs the student's live branch to its end here (the diagram keeps the live run) and judges the goal. */
  private async checkBranch(): Promise<void> {
    const branch = this.host.liveBranch();
    const lesson = this.lesson?.parsed.lesson;
    if (branch === null || lesson === undefined) return;
    this.challenge = { kind: "running" };
    this.render();
    const result = await this.forkLoader.open({ kind: "scenario", name: lesson.scenario, source: branch.source, seed: branch.seed }, () => undefined);
    if (this.showing.kind !== "live") return;
    if (!result.ok || result.report === null) this.challenge = { kind: "failed", message: result.ok ? "the branch's run gave no report" : result.message };
    else this.judgeGoal("live", result.report);
    this.render();
  }

  /** Whether a run's checks show the goal reached: the goal's check fails there. */
  private judgeGoal(by: "solution" | "live", report: ScenarioReport): boolean {
    const challenge = this.lesson?.parsed.lesson.challenge;
    if (challenge === undefined) return false;
    const failed = report.checks.filter((c) => !c.holds).map((c) => c.name);
    const reached = failed.includes(challenge.check);
    this.challenge = { kind: "done", by, reached, failed };
    this.render();
    return reached;
  }

  /** Back from a fork or the solution to the lesson's run, at the step the student was on. */
  private async returnToLesson(): Promise<void> {
    await this.showLessonRun(this.step);
  }

  // ------------------------------------------------------------ drawing the panel

  private renderLoading(message: string): void {
    replaceChildren(this.pane, h("p", { class: "muted" }, message));
  }

  private render(): void {
    const bundled = this.lesson;
    const facts = this.facts;
    if (bundled === null || facts === null) return;
    const { lesson } = bundled.parsed;
    const step = lesson.steps[this.step];
    const located = facts.steps[this.step];
    if (step === undefined || located === undefined) return;
    const data = this.pane.dataset;
    data["lesson"] = lesson.name;
    data["step"] = String(this.step);
    data["steps"] = String(lesson.steps.length);
    data["event"] = String(located.event);
    data["showing"] = this.showing.kind;
    data["nodes"] = (step.highlight?.nodes ?? []).join(" ");
    replaceChildren(
      this.pane,
      h("div", { class: "lesson-course muted" }, `Lesson ${lesson.order} of ${this.courseSize}`),
      h("h2", { class: "lesson-title" }, lesson.title),
      this.showing.kind === "lesson" ? null : this.returnBar(),
      h("details", { class: "lesson-summary", ...(this.step === 0 ? { open: true } : {}) }, h("summary", {}, "What this lesson is about"), h("div", { class: "markdown" }, renderMarkdown(lesson.summary))),
      this.stepSection(step, located.event, located.atUs),
      this.navigation(lesson.steps.length),
      this.step === lesson.steps.length - 1 ? this.challengeSection() : null,
    );
  }

  private stepSection(step: LessonStep, event: number, atUs: number): HTMLElement {
    return h(
      "section",
      { class: "lesson-step", "data-step": this.step, "data-event": event },
      h("h3", {}, `${this.step + 1}. ${step.title ?? "Step"}`, " ", h("span", { class: "muted lesson-when" }, `${formatUs(atUs)} · event #${event}`)),
      h("div", { class: "markdown lesson-say" }, renderMarkdown(step.say)),
      this.marks(step),
      step.question === undefined ? null : this.questionBox(step.question),
      step.fork === undefined ? null : this.forkBox(step.fork),
    );
  }

  /** The step's nodes, message types, slots and znodes, named. */
  private marks(step: LessonStep): HTMLElement | null {
    const highlight = step.highlight;
    if (highlight === undefined) return null;
    const chips = [
      ...(highlight.nodes ?? []).map((n) => h("span", { class: "chip chip-node", "data-node": n, title: "a node: its lane is marked" }, n)),
      ...(highlight.messages ?? []).map((m) => h("span", { class: "chip chip-message", "data-message": m, title: "a message type: its arrows around this step are outlined" }, m)),
      ...(highlight.slots ?? []).map((s) => h("span", { class: "chip chip-slot", "data-slot": s, title: "a slot of the Paxos log (marked in the Paxos tab's slot table)" }, `slot ${s}`)),
      ...(highlight.znodes ?? []).map((z) => h("span", { class: "chip chip-znode", "data-znode": z, title: "a znode (marked in the ZK tab's trees)" }, z)),
    ];
    return chips.length === 0 ? null : h("div", { class: "lesson-marks" }, ...chips);
  }

  private questionBox(question: NonNullable<LessonStep["question"]>): HTMLElement {
    const answer = this.answers.get(this.step);
    const right = this.facts?.answers[this.step];
    const state = answer === undefined ? "open" : answer.choice === null ? "shown" : answer.choice === right ? "right" : "wrong";
    const box = h("div", { class: `lesson-question ${state}`, "data-answer": state }, h("div", { class: "lesson-ask" }, h("strong", {}, "Predict: "), question.ask));
    const choices = h("div", { class: "lesson-choices" });
    question.choices.forEach((choice, k) => {
      const picked = answer?.choice === choice;
      const button = h("button", { type: "button", class: `choice${picked ? " picked" : ""}${answer !== undefined && choice === right ? " right-answer" : ""}`, "data-choice": choice, title: `key ${k + 1}`, disabled: answer !== undefined }, `${k + 1}. ${choice}`);
      button.addEventListener("click", () => this.answer(choice));
      choices.appendChild(button);
    });
    box.appendChild(choices);
    if (answer === undefined) {
      const show = h("button", { type: "button", class: "show-me" }, "Show me");
      show.addEventListener("click", () => this.answer(null));
      box.appendChild(h("div", { class: "muted lesson-wait" }, "Pick one to go on, or ", show, "."));
      return box;
    }
    const verdict = state === "right" ? "Right." : state === "wrong" ? `Not quite: the run says ${right ?? "?"}.` : `The run says ${right ?? "?"}.`;
    box.appendChild(h("div", { class: "lesson-verdict" }, verdict));
    box.appendChild(h("div", { class: "markdown lesson-reveal" }, renderMarkdown(question.reveal)));
    return box;
  }

  private forkBox(fork: NonNullable<LessonStep["fork"]>): HTMLElement {
    const state = this.forks.get(this.step);
    const box = h("div", { class: "lesson-fork", "data-fork": state?.kind ?? "idle", "data-expect": fork.expect }, h("div", { class: "lesson-fork-head" }, h("strong", {}, "What if…")), h("div", { class: "markdown" }, renderMarkdown(fork.say)));
    if (state === undefined) {
      const run = h("button", { type: "button", class: "run-fork" }, "Run the fork");
      run.addEventListener("click", () => void this.runFork(this.step));
      box.appendChild(run);
      return box;
    }
    if (state.kind === "running") {
      box.appendChild(h("p", { class: "muted" }, "Running the fork here…"));
      return box;
    }
    if (state.kind === "failed") {
      box.appendChild(h("p", { class: "error-text" }, `The fork did not run: ${state.message}`));
      return box;
    }
    const expectedBroke = fork.expect === "pass" ? state.failed.length === 0 : state.failed.some((c) => c.name === fork.expect);
    box.dataset["consequence"] = expectedBroke ? "shown" : "missing";
    box.appendChild(
      h(
        "div",
        { class: "fork-result" },
        h("div", {}, "Fork ", h("code", { class: "fork-digest" }, state.digest), state.parts < 0 ? " is the same run." : ` parts from the lesson's run at ${formatUs(state.partsUs)} (event #${state.parts}; the first event that differs in kind, node or type).`),
        Number.isNaN(state.brokenUs) ? null : h("div", { class: "fork-broken" }, `${fork.expect} is first broken at ${formatUs(state.brokenUs)}.`),
        state.failed.length === 0
          ? h("p", { class: "fork-none" }, "Every check holds in the fork.")
          : h(
              "ul",
              { class: "fork-checks" },
              ...state.failed.map((c) =>
                h("li", { class: `fork-check${c.name === fork.expect ? " expected" : ""}`, "data-check": c.name }, h("strong", {}, c.name), " fails", c.detail === undefined ? null : h("span", { class: "muted" }, `: ${c.detail}`)),
              ),
            ),
        expectedBroke ? null : h("p", { class: "error-text" }, fork.expect === "pass" ? "The lesson expected every check to hold here." : `The lesson expected ${fork.expect} to fail here.`),
      ),
    );
    const open = h("button", { type: "button", class: "open-fork" }, fork.expect === "pass" ? "Open the fork in the diagram" : `Open the fork at its ${fork.expect} violation`);
    open.addEventListener("click", () => void this.openFork(this.step));
    box.appendChild(open);
    return box;
  }

  private challengeSection(): HTMLElement | null {
    const challenge = this.lesson?.parsed.lesson.challenge;
    if (challenge === undefined) return null;
    const state = this.challenge;
    const goal = state.kind === "done" ? (state.reached ? "reached" : "not-reached") : state.kind;
    const box = h(
      "section",
      { class: "lesson-challenge", "data-goal": goal, "data-by": state.kind === "done" ? state.by : "", "data-check": challenge.check },
      h("h3", {}, "Challenge"),
      h("div", { class: "markdown" }, renderMarkdown(challenge.goal)),
      h("p", { class: "muted" }, "The goal is reached when the check ", h("code", {}, challenge.check), " fails."),
      challenge.hint === undefined ? null : h("details", { class: "lesson-hint" }, h("summary", {}, "A hint"), h("div", { class: "markdown" }, renderMarkdown(challenge.hint))),
    );
    const live = h("button", { type: "button", class: "try-live", disabled: state.kind === "running", title: "the lesson's scenario in the Live tab: crash, pause, cut links, drop messages" }, "Try it live");
    live.addEventListener("click", () => void this.tryLive());
    const solution = h("button", { type: "button", class: "show-solution", disabled: state.kind === "running" }, "Show the solution");
    solution.addEventListener("click", () => void this.showSolution());
    const check = h("button", { type: "button", class: "check-branch", disabled: state.kind === "running", title: "run your live branch to its end here and judge its checks" }, "Check my branch");
    check.addEventListener("click", () => void this.checkBranch());
    box.appendChild(h("div", { class: "lesson-buttons" }, live, " ", solution, this.showing.kind === "live" ? " " : null, this.showing.kind === "live" ? check : null));
    if (this.showing.kind === "live" && state.kind === "live") {
      box.appendChild(h("p", { class: "muted" }, "Intervene in the Live tab (click a lane's name, drag between lanes, click a message in flight), play the run to its end, or check your branch: the page says when the goal's check fires."));
    }
    if (state.kind === "running") box.appendChild(h("p", { class: "muted" }, "Running to the end…"));
    if (state.kind === "failed") box.appendChild(h("p", { class: "error-text" }, state.message));
    if (state.kind === "done") {
      const whose = state.by === "solution" ? "The solution" : "Your branch";
      box.appendChild(
        state.reached
          ? h("p", { class: "goal-reached" }, `Goal reached: ${challenge.check} fails. ${state.by === "solution" ? "The diagram shows where." : "Well done."}`)
          : h("p", { class: "error-text" }, `${whose} does not reach the goal yet: ${state.failed.length === 0 ? "every check holds" : `only ${state.failed.join(", ")} failed`}.`),
      );
    }
    return box;
  }

  private navigation(count: number): HTMLElement {
    const back = h("button", { type: "button", id: "lesson-back", title: "PageUp or ,", disabled: this.step === 0 || this.showing.kind !== "lesson" }, "◀ Back");
    const next = h("button", { type: "button", id: "lesson-next", title: "PageDown or .", disabled: this.step + 1 >= count || this.mustAnswer() || this.showing.kind !== "lesson" }, "Next ▶");
    back.addEventListener("click", () => this.back());
    next.addEventListener("click", () => this.next());
    return h("nav", { class: "lesson-nav" }, back, h("span", { class: "muted" }, `step ${this.step + 1} of ${count}`), next);
  }

  private returnBar(): HTMLElement {
    const what = this.showing.kind === "fork" ? `the fork of step ${this.showing.step + 1}` : this.showing.kind === "live" ? "your live run (the Live tab)" : "the challenge's solution";
    const back = h("button", { type: "button", id: "lesson-return" }, "Back to the lesson");
    back.addEventListener("click", () => void this.returnToLesson());
    return h("div", { class: "lesson-return" }, `The diagram shows ${what}. `, back);
  }
}
