import type { FaultEntry, ScenarioReport } from "../../../src/scenario/index.ts";
import type { PaxosFacts } from "../lenses/paxos-facts.ts";
import { describeEvent, formatUs } from "../model/describe.ts";
import { EV, EVENT_KIND_NAMES, MSG_DROPPED, type TraceModel } from "../model/trace-model.ts";
import type { LiveBranchSpec, LiveStatus, LiveStepMatch } from "../protocol.ts";
import type { Diagram, Hit } from "../render/diagram.ts";
import { BUNDLED_SCENARIOS } from "../scenarios.ts";
import { h, replaceChildren } from "../ui/dom.ts";
import { CompareView } from "./compare-view.ts";
import { differences, type Differences } from "./compare.ts";
import { ForkTree, type Branch } from "./fork-tree.ts";
import { ForkTreeView } from "./fork-tree-view.ts";
import { CONSOLE_OPS, consoleRequest, describeRecorded, type LiveIntervention } from "./intervention.ts";
import { LaneButtons } from "./lane-buttons.ts";
import { LiveClient, LiveFailure } from "./live-client.ts";
import type { LiveHook } from "./live-hook.ts";
import "./live.css";
import { closeMenu, showMenu, type MenuItem } from "./menu.ts";
import { ScenarioEditor } from "./scenario-editor.ts";
import { controls, follows, placement, SPEED_DEFAULT_US_PER_S, SPEEDS } from "./session.ts";

/**
 * Live mode: a scenario (bundled, or edited here as YAML) run in a worker
 * while the page watches, played, stepped and intervened on at the cursor;
 * going back to an earlier event and intervening there forks a branch, and
 * the branches form a tree that can be switched between and compared. The
 * page (app.ts) shows the live run's snapshots as it shows any trace, so the
 * diagram, inspector, details and checks all work on it.
 */

/** What the live view may ask of the page. */
export interface LiveHost {
  readonly diagram: Diagram;
  readonly diagramElement: HTMLElement;
  /** A live run starts: whatever else the page was showing or running stops. */
  started(): void;
  show(model: TraceModel, info: { readonly paxos: PaxosFacts; readonly name: string; readonly report: ScenarioReport | null; readonly digest: string | null; readonly cursor: number; readonly fresh: boolean; readonly reveal: boolean }): void;
  failed(name: string, message: string, problems: readonly { line: number; path: string; message: string }[]): void;
  model(): TraceModel | null;
  cursor(): number;
  setCursor(ev: number, reveal: boolean): void;
  showTab(name: string): void;
  inspect(name: string, source: string, seed: number, eventCount: number): void;
  stopInspector(): void;
}

/** What a branch was left at, to come back to it. */
interface BranchState {
  nowUs: number;
  events: number;
  finished: boolean;
  digest: string | null;
}

/** How long the run rests (not playing) before the inspector re-runs it (ms). */
const INSPECT_AFTER_MS = 300;
/** The clock step offered first (ms), and the delay (ms). */
const SKEW_MS_DEFAULT = 100;
const DELAY_MS_DEFAULT = 20;

export class LiveView {
  private readonly client: LiveClient;
  private readonly panel: HTMLDivElement;
  private readonly editor: ScenarioEditor;
  private readonly lanes: LaneButtons;
  private readonly compare: CompareView;
  private readonly treeView = new ForkTreeView({ switchTo: (id) => void this.switchTo(id), compare: (id) => void this.compareWith(id) });
  private readonly sections = {
    run: h("section", { class: "live-section", id: "live-run", hidden: true }),
    interventions: h("section", { class: "live-section", id: "live-interventions", hidden: true }),
    console: h("section", { class: "live-section", id: "live-console", hidden: true }),
    tree: h("section", { class: "live-section", id: "live-tree", hidden: true }),
    compare: h("section", { class: "live-section", id: "live-compare-panel", hidden: true }),
    message: h("p", { id: "live-message", class: "live-message", hidden: true }),
  };
  private tree = new ForkTree<FaultEntry>();
  private branch = 0;
  private readonly states = new Map<number, BranchState>();
  private status: LiveStatus | null = null;
  private model: TraceModel | null = null;
  private busy = 0;
  private freshNext = false;
  private forceCursor = false;
  private speedUsPerS = SPEED_DEFAULT_US_PER_S;
  private inspectTimer: ReturnType<typeof setTimeout> | null = null;
  private inspected = "";
  private comparing: { other: number; diff: Differences } | null = null;
  private scenarioName = "edited";
  /** Checkpoint runs the worker keeps for forks; null: its default (tests and the README's figure set 0 to fork from the seed). */
  private checkpointsMax: number | null = null;

  constructor(private readonly host: LiveHost) {
    this.client = new LiveClient({
      snapshot: (model, paxos, status, cursor) => this.snapshot(model, paxos, status, cursor),
      failed: (message, problems) => this.failure(message, problems),
      checkpoints: (branch, held) => {
        if (this.status === null || this.status.branch !== branch) return;
        this.status = { ...this.status, checkpoints: held };
        this.renderRun(this.status);
      },
    });
    this.panel = document.getElementById("panel-live") as HTMLDivElement;
    this.editor = new ScenarioEditor(() => this.renderStart());
    this.lanes = new LaneButtons(host.diagram, {
      click: (node, x, y) => this.nodeMenu(node, x, y),
      drag: (from, to, x, y) => this.cutMenu(from, to, x, y),
      pick: (picked, x, y) => this.pickMenu(picked, x, y),
    });
    this.compare = new CompareView(host.diagramElement.parentElement as HTMLElement, host.diagram);
    this.buildPanel();
    window.zksimLive = this.hook();
  }

  /** A live run is shown (its worker is running). */
  get active(): boolean {
    return this.client.running;
  }

  /** Ends the live run (another trace is opened). */
  stop(): void {
    if (!this.client.running) return;
    this.client.stop();
    this.lanes.hide();
    this.compare.hide();
    this.status = null;
    this.render();
  }

  line(ev: number): Promise<string | null> {
    return this.client.line(ev);
  }

  /** The current branch as a scenario file and its seed (for sharing and export); null without a live run. */
  currentBranchScenario(): { source: string; seed: number } | null {
    return this.status === null ? null : { source: this.status.source, seed: this.status.seed };
  }

  /** The page's cursor moved: say whether an intervention now acts at the edge or forks. */
  cursorMoved(): void {
    if (this.status !== null && this.client.running) this.renderRun(this.status);
  }

  /** The main diagram's view moved: the compared branch follows. */
  viewChanged(): void {
    this.compare.mainViewChanged();
    this.lanes.place();
  }

  // ------------------------------------------------------------ starting

  private buildPanel(): void {
    const select = h("select", { id: "live-scenario", title: "a bundled scenario to start from" }, ...[...BUNDLED_SCENARIOS.keys()].map((name) => h("option", { value: name, selected: name === "default" }, name)));
    select.addEventListener("change", () => void this.loadBundled(select.value));
    const seed = h("input", { id: "live-seed", type: "text", inputmode: "numeric", size: 6, placeholder: "seed", title: "the seed (empty: the scenario's own)" });
    const start = h("button", { type: "button", id: "live-start" }, "Start live run");
    start.addEventListener("click", () => void this.start());
    const startSection = h(
      "section",
      { class: "live-section", id: "live-start-section" },
      h("h3", {}, "Live run"),
      h("div", { class: "live-row" }, select, seed, start),
      h("p", { class: "muted" }, "Edit the scenario below (checked as you type), then start: the run goes on in the page, and you can play, step and intervene."),
      this.editor.element,
    );
    replaceChildren(this.panel, startSection, this.sections.message, this.sections.run, this.sections.interventions, this.sections.console, this.sections.tree, this.sections.compare);
    void this.loadBundled("default");
  }

  private async loadBundled(name: string): Promise<void> {
    const load = BUNDLED_SCENARIOS.get(name);
    if (load === undefined) return;
    this.scenarioName = name;
    this.editor.setText(await load(), `${name}.yaml`);
  }

  private renderStart(): void {
    const button = document.getElementById("live-start") as HTMLButtonElement | null;
    if (button !== null) button.disabled = !this.editor.validation.ok;
  }

  /** Starts a live run of a given scenario (a lesson's challenge, web/src/lessons/), as if it were typed here and started. */
  async startWith(name: string, source: string, seed: number | null): Promise<void> {
    this.scenarioName = name;
    this.editor.setText(source, `${name}.yaml`);
    (document.getElementById("live-seed") as HTMLInputElement).value = seed === null ? "" : String(seed);
    await this.start();
  }

  /** Starts a live run of the editor's scenario with the seed typed (or the scenario's own). */
  async start(): Promise<void> {
    const validation = this.editor.validateNow();
    if (!validation.ok) {
      this.say(`The scenario has ${validation.problems.length} problem${validation.problems.length === 1 ? "" : "s"}: see the marked lines.`, true);
      return;
    }
    const seedText = (document.getElementById("live-seed") as HTMLInputElement).value.trim();
    const seed = seedText === "" ? validation.scenario.seed : Number(seedText);
    if (!Number.isSafeInteger(seed) || seed < 0) {
      this.say(`seed: expected a whole number from 0, got '${seedText}'`, true);
      return;
    }
    this.host.started();
    this.compare.hide();
    this.comparing = null;
    this.tree = new ForkTree<FaultEntry>();
    this.branch = 0;
    this.states.clear();
    this.freshNext = true;
    this.inspected = "";
    this.say("", false);
    const name = this.editor.text === "" ? this.scenarioName : validation.scenario.name;
    await this.request(() => this.client.start(name, this.editor.text, seed, this.checkpointsMax));
  }

  // ------------------------------------------------------------ the run

  private snapshot(model: TraceModel, paxos: PaxosFacts, status: LiveStatus, cursor: number): void {
    const previous = this.model?.eventCount ?? 0;
    const fresh = this.freshNext;
    const follow = fresh || this.forceCursor || follows(this.host.cursor(), previous);
    this.freshNext = false;
    this.forceCursor = false;
    this.model = model;
    this.status = status;
    this.states.set(status.branch, { nowUs: status.nowUs, events: status.events, finished: status.finished, digest: status.digest });
    this.host.show(model, {
      paxos,
      name: `live ${status.name} · branch ${status.branch}`,
      report: status.report,
      digest: status.digest,
      cursor: follow ? cursor : this.host.cursor(),
      fresh,
      reveal: follow,
    });
    this.lanes.show(model);
    const data = this.host.diagramElement.dataset;
    data["live"] = status.playing ? "playing" : status.finished ? "finished" : "paused";
    data["liveBranch"] = String(status.branch);
    data["liveNowUs"] = String(status.nowUs);
    data["liveDigest"] = status.digest ?? "";
    this.render();
    this.inspectLater();
  }

  private failure(message: string, problems: readonly { line: number; path: string; message: string }[]): void {
    this.say(message, true);
    if (this.status === null) this.host.failed("the live run", message, problems);
    this.render();
  }

  /** Runs a request with the controls held; a failure is said in the panel. */
  private async request(work: () => Promise<void>): Promise<boolean> {
    this.say("", false);
    this.busy++;
    this.render();
    try {
      await work();
      return true;
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      if (error instanceof LiveFailure && this.status === null) this.host.failed("the live run", message, error.problems);
      this.say(message, true);
      return false;
    } finally {
      this.busy--;
      this.render();
    }
  }

  togglePlay(): void {
    if (this.status?.playing === true) this.client.pause();
    else if (controls(this.status, this.busy > 0).play) {
      // Play from the run's edge: a cursor left in the past follows it again.
      this.forceCursor = true;
      this.client.play(this.speedUsPerS);
    }
  }

  async step(matching: boolean): Promise<void> {
    if (!controls(this.status, this.busy > 0).step) return;
    const match = matching ? this.stepMatch() : null;
    this.forceCursor = true;
    await this.request(() => this.client.step(match));
  }

  private stepMatch(): LiveStepMatch {
    const kind = (document.getElementById("live-match-kind") as HTMLSelectElement | null)?.value ?? "";
    const type = (document.getElementById("live-match-type") as HTMLSelectElement | null)?.value ?? "";
    return { kind: kind === "" ? null : kind, messageType: type === "" ? null : type };
  }

  async finish(): Promise<void> {
    this.forceCursor = true;
    await this.request(() => this.client.finish());
  }

  /** Live keys: Space plays and pauses the run, . steps one event, > steps to the next match. */
  key(key: string, _shift: boolean): boolean {
    switch (key) {
      case " ":
        this.togglePlay();
        return true;
      case ".":
        void this.step(false);
        return true;
      case ">":
        void this.step(true);
        return true;
      default:
        return false;
    }
  }

  // ------------------------------------------------------------ interventions

  /**
   * Applies an intervention at the cursor: on the run's edge as it is, or, with
   * the cursor on an earlier event, on a new branch forked after that event.
   */
  async intervene(entry: LiveIntervention): Promise<void> {
    const model = this.model;
    if (model === null || this.busy > 0) return;
    const place = placement(this.host.cursor(), model.events.t, model.eventCount);
    // At the edge the run must still be going; an earlier event can always be forked from, a finished run too.
    if (place.kind === "edge" && !controls(this.status, false).intervene && this.status?.playing !== true) {
      this.say("The run has reached its end: move the cursor back to an earlier event to fork from there.", true);
      return;
    }
    if (this.status?.playing === true) this.client.pause();
    await this.request(async () => {
      if (place.kind === "fork") await this.forkAt(place.ev);
      this.forceCursor = true;
      const { entry: recorded, firstEv } = await this.client.intervene(entry);
      this.tree.record(this.branch, { entry: recorded, firstEv });
      this.render();
    });
  }

  /** A new branch after event `ev` of the current one, simulated again from the seed up to there, and made current. */
  private async forkAt(ev: number): Promise<void> {
    const model = this.model;
    if (model === null) return;
    const child = this.tree.fork(this.branch, ev, model.events.t[ev] as number);
    this.branch = child.id;
    this.forceCursor = true;
    await this.client.open(this.spec(child, child.forkUs));
  }

  /** Goes back to the cursor's event on a new branch (nothing applied yet). */
  async forkHere(): Promise<void> {
    const cursor = this.host.cursor();
    if (this.model === null || cursor < 0) return;
    if (this.status?.playing === true) this.client.pause();
    await this.request(() => this.forkAt(cursor));
  }

  async switchTo(id: number): Promise<void> {
    if (id === this.branch && this.comparing === null) return;
    if (this.status?.playing === true) this.client.pause();
    const branch = this.tree.branch(id);
    const state = this.states.get(id);
    this.compare.hide();
    this.comparing = null;
    await this.request(async () => {
      this.branch = id;
      this.freshNext = true;
      await this.client.open(this.spec(branch, state?.nowUs ?? branch.forkUs));
      if (state?.finished === true) await this.client.finish();
    });
  }

  private spec(branch: Branch<FaultEntry>, untilUs: number): LiveBranchSpec {
    return { branch: branch.id, interventions: branch.interventions.map((r) => r.entry), untilUs };
  }

  /** Compares the current branch (left, the page's diagram) with another (right). */
  async compareWith(other: number): Promise<void> {
    if (other === this.branch) return;
    if (this.status?.playing === true) this.client.pause();
    await this.request(async () => {
      const mine = this.tree.branch(this.branch);
      const theirs = this.tree.branch(other);
      const result = await this.client.compare(this.spec(mine, this.states.get(this.branch)?.nowUs ?? mine.forkUs), this.spec(theirs, this.states.get(other)?.nowUs ?? theirs.forkUs));
      const diff = differences(result.a, result.b);
      this.comparing = { other, diff };
      const first = result.first;
      this.compare.show(result.b, `branch ${other}`, diff.messagesOnlyB, first === null ? -1 : Math.min(first.index, result.b.eventCount - 1));
      this.renderCompare(result.a, result.b, first, diff, other);
      if (first !== null) this.host.setCursor(Math.min(first.index, result.a.eventCount - 1), true);
      this.host.diagramElement.dataset["compareFirst"] = first === null ? "none" : String(first.index);
    });
  }

  // ------------------------------------------------------------ menus

  private nodeMenu(node: string, x: number, y: number): void {
    const amount = h("input", { type: "number", id: "live-skew-ms", value: SKEW_MS_DEFAULT, min: 1, max: 3_600_000, step: 1, size: 6, title: "how far to step the clock, ms" });
    const ms = () => Math.max(1, Math.min(3_600_000, Math.round(Number(amount.value) || SKEW_MS_DEFAULT)));
    const where = this.whereLabel();
    showMenu(
      x,
      y,
      `${node} ${where}`,
      [
        { label: `crash ${node}`, action: "crash", run: () => void this.intervene({ crash: node }) },
        { label: `restart ${node}`, action: "restart", run: () => void this.intervene({ restart: node }) },
        { label: `pause ${node}`, action: "pause", run: () => void this.intervene({ pause: node }) },
        { label: `resume ${node}`, action: "resume", run: () => void this.intervene({ resume: node }) },
        { label: "clock + the amount", action: "skew-forward", run: () => void this.intervene({ skew: { node, by: `${ms()}ms` } }) },
        { label: "clock − the amount", action: "skew-back", run: () => void this.intervene({ skew: { node, by: `-${ms()}ms` } }) },
        this.partitionItem(this.lanes.picked),
      ],
      h("label", { class: "live-menu-extra" }, "clock step ", amount, " ms"),
    );
  }

  /** After a shift-click: partition the servers picked from the rest, or clear the pick. */
  private pickMenu(picked: readonly string[], x: number, y: number): void {
    if (picked.length === 0) {
      closeMenu();
      return;
    }
    showMenu(x, y, `picked ${picked.join(", ")} ${this.whereLabel()}`, [this.partitionItem(picked), { label: "clear the pick", action: "clear-pick", run: () => this.lanes.clearPick() }]);
  }

  /**
   * One partition: the servers picked in one group, everyone else (the other
   * servers and the clients) in the other, as a scenario's `partition` entry
   * with one group says it.
   */
  private partitionItem(picked: readonly string[]): MenuItem {
    const group = picked.slice();
    if (group.length === 0) return { label: "partition: shift-click servers' names to pick a group first", action: "partition", disabled: true, run: () => {} };
    return {
      label: `partition ${group.join(", ")} from the rest`,
      action: "partition",
      run: () => {
        this.lanes.clearPick();
        void this.intervene({ partition: [group] });
      },
    };
  }

  private cutMenu(from: string, to: string, x: number, y: number): void {
    showMenu(x, y, `link ${from} – ${to} ${this.whereLabel()}`, [
      { label: `cut ${from} → ${to} (one way)`, action: "cut-one-way", run: () => void this.intervene({ cut: { from, to, oneWay: true } }) },
      { label: `cut ${from} ↔ ${to} (both ways)`, action: "cut-both", run: () => void this.intervene({ cut: { from, to, oneWay: false } }) },
    ]);
  }

  /**
   * A click on the diagram in a live run: an in-flight dot opens the message's
   * menu; a click on a shaded (cut off) lane offers to heal. Returns true when
   * it took the click.
   */
  click(hit: Hit | null, coordinate: number, x: number, y: number): boolean {
    const model = this.model;
    if (!this.active || model === null) return false;
    if (hit !== null && hit.kind === "message" && hit.inflight === true) {
      const m = hit.m;
      const id = model.messages.id[m] as number;
      const type = model.messageTypes[model.messages.type[m] as number] ?? "?";
      const amount = h("input", { type: "number", id: "live-delay-ms", value: DELAY_MS_DEFAULT, min: 1, max: 3_600_000, step: 1, size: 6, title: "how long to delay it, ms" });
      const ms = () => Math.max(1, Math.min(3_600_000, Math.round(Number(amount.value) || DELAY_MS_DEFAULT)));
      showMenu(
        x,
        y,
        `message #${id} ${type} ${this.whereLabel()}`,
        [
          { label: "drop it", action: "drop", run: () => void this.intervene({ drop: id }) },
          { label: "duplicate it", action: "duplicate", run: () => void this.intervene({ duplicate: id }) },
          { label: "delay it by the amount", action: "delay", run: () => void this.intervene({ delay: { message: id, by: `${ms()}ms` } }) },
        ],
        h("label", { class: "live-menu-extra" }, "delay ", amount, " ms"),
      );
      return true;
    }
    if (hit === null && this.cutAt(model, coordinate)) {
      showMenu(x, y, `cut links ${this.whereLabel()}`, [{ label: "heal every link", action: "heal", run: () => void this.intervene({ heal: true }) }]);
      return true;
    }
    return false;
  }

  /** Whether links are cut at the event under a time coordinate (a shaded band). */
  private cutAt(model: TraceModel, coordinate: number): boolean {
    const times = model.events.t;
    let ev = -1;
    for (let lo = 0, hi = model.eventCount; lo < hi; ) {
      const mid = (lo + hi) >>> 1;
      if ((times[mid] as number) <= coordinate) {
        ev = mid;
        lo = mid + 1;
      } else hi = mid;
    }
    return ev >= 0 && model.network.some((n) => n.startEv <= ev && (n.endEv < 0 || n.endEv > ev));
  }

  /** Where an intervention goes now, said in a menu's title. */
  private whereLabel(): string {
    const model = this.model;
    if (model === null) return "";
    const place = placement(this.host.cursor(), model.events.t, model.eventCount);
    return place.kind === "edge" ? `at ${formatUs(this.status?.nowUs ?? 0)}` : `— forks at event #${place.ev} (${formatUs(model.events.t[place.ev] as number)})`;
  }

  // ------------------------------------------------------------ the inspector

  /** Once the run rests, the inspector re-runs the branch (its scenario file, interventions included) to show every node. */
  private inspectLater(): void {
    if (this.inspectTimer !== null) clearTimeout(this.inspectTimer);
    const status = this.status;
    if (status === null || status.playing || this.busy > 0) return;
    this.inspectTimer = setTimeout(() => {
      this.inspectTimer = null;
      const now = this.status;
      if (now === null || now.playing) return;
      const key = `${now.branch}:${now.events}:${now.source}`;
      if (key === this.inspected) return;
      this.inspected = key;
      this.host.inspect(now.name, now.source, now.seed, now.events);
    }, INSPECT_AFTER_MS);
  }

  // ------------------------------------------------------------ the panel

  private say(message: string, error: boolean): void {
    const p = this.sections.message;
    p.hidden = message === "";
    p.textContent = message;
    p.classList.toggle("error-text", error);
    p.dataset["error"] = error ? message : "";
  }

  private render(): void {
    const status = this.status;
    const shown = status !== null && this.client.running;
    for (const key of ["run", "interventions", "console", "tree"] as const) this.sections[key].hidden = !shown;
    if (!shown || status === null) return;
    this.renderRun(status);
    this.renderInterventions();
    this.renderConsole();
    this.renderTree();
  }

  /** The run's controls: built once, updated in place (a button under the pointer stays the same button). */
  private readonly runControls = (() => {
    const button = (id: string, label: string, title: string, run: () => void) => {
      const b = h("button", { type: "button", id, title }, label);
      b.addEventListener("click", run);
      return b;
    };
    const speed = h("select", { id: "live-speed", title: "virtual time per wall second" }, ...SPEEDS.map((s) => h("option", { value: s.usPerS, selected: s.usPerS === SPEED_DEFAULT_US_PER_S }, s.label)));
    speed.addEventListener("change", () => {
      this.speedUsPerS = Number(speed.value);
      if (this.status?.playing === true) this.client.play(this.speedUsPerS);
    });
    return {
      title: h("h3", {}),
      play: button("live-play", "▶ Play", "Space", () => this.togglePlay()),
      step: button("live-step", "Step", ". : one event", () => void this.step(false)),
      stepMatch: button("live-step-match", "»", "> : the next event of this kind and type", () => void this.step(true)),
      finish: button("live-finish", "Run to end", "run to the end and judge every check", () => void this.finish()),
      fork: button("live-fork", "Fork here", "go back to the cursor's event on a new branch", () => void this.forkHere()),
      speed,
      kinds: h("select", { id: "live-match-kind", title: "the event kind to step to" }, h("option", { value: "" }, "any kind"), ...EVENT_KIND_NAMES.slice(0, 10).map((k) => h("option", { value: k }, k))),
      types: h("select", { id: "live-match-type", title: "the message type to step to" }, h("option", { value: "" }, "any type")),
      now: h("td", { id: "live-now" }),
      events: h("td", { id: "live-events" }),
      digestLabel: h("td", { class: "muted" }),
      digest: h("td", { id: "live-digest" }),
      built: h("td", { id: "live-built" }),
      where: h("p", { id: "live-where" }),
      whereText: h("span", {}),
      exportHolder: h("div", {}),
    };
  })();

  private renderRun(status: LiveStatus): void {
    const c = this.runControls;
    if (this.sections.run.childElementCount === 0) {
      const exportButton = h("button", { type: "button", id: "live-export", title: "the branch as a scenario file: the scenario with its interventions in faults" }, "Scenario file…");
      exportButton.addEventListener("click", () => this.showExport());
      c.where.append(c.whereText, c.fork);
      replaceChildren(
        this.sections.run,
        c.title,
        h("div", { class: "live-row" }, c.play, c.step, c.speed, c.finish),
        h("div", { class: "live-row" }, "step to the next ", c.kinds, c.types, c.stepMatch),
        h(
          "table",
          { class: "run-table" },
          h("tr", {}, h("td", { class: "muted" }, "virtual time"), c.now),
          h("tr", {}, h("td", { class: "muted" }, "events"), c.events),
          h("tr", {}, c.digestLabel, c.digest),
          h("tr", { title: "how this branch's run was reached: simulated from the seed, or from a run parked at a checkpoint of the branch it left" }, h("td", { class: "muted" }, "reached"), c.built),
        ),
        c.where,
        h("div", {}, exportButton, c.exportHolder),
      );
    }
    const can = controls(status, this.busy > 0);
    c.title.textContent = `Branch ${status.branch} · ${status.name}, seed ${status.seed}`;
    c.play.textContent = status.playing ? "⏸ Pause" : "▶ Play";
    c.play.disabled = !(can.play || can.pause);
    c.step.disabled = !can.step;
    c.stepMatch.disabled = !can.step;
    c.finish.disabled = !can.finish;
    c.fork.disabled = !can.fork;
    const types = this.model?.messageTypes ?? [];
    if (c.types.options.length !== types.length + 1) {
      const kept = c.types.value;
      replaceChildren(c.types, h("option", { value: "" }, "any type"), ...types.slice().sort().map((t) => h("option", { value: t, selected: t === kept }, t)));
    }
    c.now.textContent = `${formatUs(status.nowUs)} of ${formatUs(status.durationUs)}${status.finished ? " (finished)" : status.playing ? " (playing)" : ""}`;
    c.events.textContent = status.events.toLocaleString("en-US");
    c.digestLabel.textContent = status.finished ? "digest" : "digest so far";
    c.digest.textContent = status.digest ?? "—";
    const built = status.built;
    c.built.textContent =
      (built === null ? "from the start" : `${formatUs(built.untilUs)} ${built.from.kind === "seed" ? "from the seed" : `from a checkpoint at ${formatUs(built.from.atUs)}`}, in ${built.wallMs} ms`) + ` · ${status.checkpoints} checkpoint${status.checkpoints === 1 ? "" : "s"}`;
    const model = this.model;
    const place = model === null ? null : placement(this.host.cursor(), model.events.t, model.eventCount);
    const past = place !== null && place.kind === "fork";
    c.where.className = past ? "live-past" : "muted";
    c.fork.hidden = !past;
    c.whereText.textContent = past && model !== null ? `The cursor is back at event #${place.ev} (${formatUs(model.events.t[place.ev] as number)}): an intervention there forks a new branch. ` : `The cursor is at the run's edge: interventions apply at ${formatUs(status.nowUs)}.`;
  }

  /** The branch as a scenario file, to read, copy or download. */
  private showExport(): void {
    const status = this.status;
    if (status === null) return;
    const text = h("textarea", { id: "live-export-text", class: "live-yaml", rows: 14, readonly: true });
    text.value = status.source;
    const download = h("a", { href: URL.createObjectURL(new Blob([status.source], { type: "text/yaml" })), download: `${status.name}-branch-${status.branch}.yaml` }, "download");
    replaceChildren(this.runControls.exportHolder, h("p", { class: "muted" }, `Replays in Node: npx zksim run FILE.yaml --seed ${status.seed} · `, download), text);
  }

  private renderInterventions(): void {
    const branch = this.tree.branch(this.branch);
    const model = this.model;
    const openCuts = model?.network.filter((n) => n.endEv < 0) ?? [];
    const heal = h("button", { type: "button", id: "live-heal", title: "heal every cut link, at the cursor" }, "heal");
    heal.addEventListener("click", () => void this.intervene({ heal: true }));
    replaceChildren(
      this.sections.interventions,
      h("h3", {}, "Interventions"),
      branch.interventions.length === 0
        ? h("p", { class: "muted" }, "None yet. Click a server's name on the diagram (crash, restart, pause, resume, clock), drag from one server's name to another's (cut the link), or click a message in flight at the cursor (drop, duplicate, delay).")
        : h(
            "ol",
            { class: "live-list", id: "live-intervention-list" },
            ...branch.interventions.map((r, k) => h("li", { class: k < branch.inherited ? "inherited" : "", "data-ev": r.firstEv }, describeRecorded(r.entry), k < branch.inherited ? h("span", { class: "muted" }, " (before the fork)") : null)),
          ),
      openCuts.length === 0 ? null : h("p", { id: "live-cuts" }, `Cut now: ${openCuts.map((n) => n.label).join("; ")} `, heal),
    );
    for (const item of this.sections.interventions.querySelectorAll<HTMLElement>("li[data-ev]")) {
      item.addEventListener("click", () => this.host.setCursor(Number(item.dataset["ev"]), true));
    }
  }

  private renderConsole(): void {
    if (this.sections.console.childElementCount > 0 && this.sections.console.dataset["clients"] === this.clients().join(",")) return;
    const clients = this.clients();
    this.sections.console.dataset["clients"] = clients.join(",");
    const client = h("select", { id: "live-client" }, ...clients.map((c) => h("option", { value: c }, c)));
    const op = h("select", { id: "live-op" }, ...CONSOLE_OPS.map((o) => h("option", { value: o }, o)));
    const path = h("input", { id: "live-path", type: "text", value: "/live", size: 10, title: "the znode's path" });
    const data = h("input", { id: "live-data", type: "text", value: "v", size: 6, title: "the data (create, setData)" });
    const version = h("input", { id: "live-version", type: "text", value: "-1", size: 3, title: "the expected version (setData, delete); -1 for any" });
    const watch = h("input", { id: "live-watch", type: "checkbox", checked: true, title: "getData: leave a watch" });
    const submit = h("button", { type: "button", id: "live-submit" }, "Submit");
    submit.addEventListener("click", () => {
      const built = consoleRequest({ client: client.value, op: op.value, path: path.value, data: data.value, version: version.value, watch: watch.checked });
      if (!built.ok) {
        this.say(built.message, true);
        return;
      }
      void this.intervene({ request: built.request });
    });
    replaceChildren(
      this.sections.console,
      h("h3", {}, "Client console"),
      clients.length === 0
        ? h("p", { class: "muted" }, "This scenario has no clients.")
        : h("div", { class: "live-row" }, client, op, path, data, h("label", { title: "setData, delete" }, "v ", version), h("label", {}, watch, " watch"), submit),
    );
  }

  private clients(): string[] {
    return (this.model?.lanes ?? []).filter((l) => l.kind === "client").map((l) => l.id);
  }

  private renderTree(): void {
    if (this.sections.tree.childElementCount === 0) replaceChildren(this.sections.tree, h("h3", {}, "Branches"), this.treeView.element);
    this.treeView.render(this.tree, this.branch, this.states, this.status?.durationUs ?? 1);
  }

  private renderCompare(a: TraceModel, b: TraceModel, first: { index: number; a: string | null; b: string | null } | null, diff: Differences, other: number): void {
    const section = this.sections.compare;
    section.hidden = false;
    const close = h("button", { type: "button", id: "live-compare-close" }, "Close");
    close.addEventListener("click", () => {
      this.compare.hide();
      this.comparing = null;
      section.hidden = true;
    });
    const parted =
      first === null
        ? h("p", { id: "live-parting" }, "The two branches are the same run so far.")
        : h(
            "div",
            { id: "live-parting" },
            h("p", {}, h("strong", {}, `They part at event #${first.index}`), ` (${formatUs(Math.min(first.index < a.eventCount ? (a.events.t[first.index] as number) : Infinity, first.index < b.eventCount ? (b.events.t[first.index] as number) : Infinity))}):`),
            h("p", {}, `branch ${this.branch}: `, first.index < a.eventCount ? describeEvent(a, first.index) : "(its trace ends here)"),
            h("p", {}, `branch ${other}: `, first.index < b.eventCount ? describeEvent(b, first.index) : "(its trace ends here)"),
          );
    const states = (list: Differences["statesOnlyA"]) => (list.length === 0 ? "none" : list.slice(0, 12).map((s) => `${s.lane} ${s.kind}${s.label === "" ? "" : ` ${s.label}`} from ${formatUs(s.startUs)}`).join("; ") + (list.length > 12 ? `; and ${list.length - 12} more` : ""));
    replaceChildren(
      section,
      h("h3", {}, `Branch ${this.branch} (left) and branch ${other} (right)`),
      parted,
      h("p", {}, `Messages only in ${this.branch}: ${diff.messagesOnlyA.size}; only in ${other}: ${diff.messagesOnlyB.size} (outlined on the diagrams).`),
      h("p", {}, `States only in ${this.branch}: ${states(diff.statesOnlyA)}.`),
      h("p", {}, `States only in ${other}: ${states(diff.statesOnlyB)}.`),
      close,
    );
    this.host.showTab("live");
  }

  // ------------------------------------------------------------ for tests

  private hook(): LiveHook {
    return {
      status: () => this.status,
      branch: () => this.branch,
      branches: () => this.tree.rows().map((r) => ({ id: r.branch.id, parent: r.branch.parent, depth: r.depth, interventions: r.branch.interventions.map((i) => ({ ...i.entry })), digest: this.states.get(r.branch.id)?.digest ?? null })),
      busy: () => this.busy > 0,
      leaders: () => {
        const model = this.model;
        if (model === null) return [];
        return model.laneIntervals.filter((i) => i.kind === "leader").map((i) => ({ node: model.lanes[i.lane]?.id ?? "?", startUs: model.events.t[i.startEv] as number, endUs: i.endEv < 0 ? -1 : (model.events.t[i.endEv] as number), label: i.label }));
      },
      inflightDots: () => this.host.diagram.inflightDotsDrawn().map(([m, x, y]) => ({ m, id: this.model?.messages.id[m] ?? -1, type: this.model?.messageTypes[this.model.messages.type[m] as number] ?? "?", x, y })),
      notes: (kind, sinceUs) => {
        const model = this.model;
        const counts: Record<string, number> = {};
        if (model === null) return counts;
        const code = model.noteKinds.indexOf(kind);
        const { t, kind: kinds, code: codes, lane } = model.events;
        for (let ev = 0; ev < model.eventCount; ev++) {
          if (kinds[ev] !== EV.note || codes[ev] !== code || (t[ev] as number) < sinceUs) continue;
          const node = model.lanes[lane[ev] as number]?.id ?? "?";
          counts[node] = (counts[node] ?? 0) + 1;
        }
        return counts;
      },
      sends: (type) => {
        const model = this.model;
        if (model === null) return [];
        const msgs = model.messages;
        const out: { m: number; id: number; ev: number; from: string; to: string; sendUs: number; dropped: boolean }[] = [];
        for (let m = 0; m < msgs.count; m++) {
          if (model.messageTypes[msgs.type[m] as number] !== type) continue;
          const ev = msgs.sendEv[m] as number;
          out.push({ m, id: msgs.id[m] as number, ev, from: model.lanes[msgs.from[m] as number]?.id ?? "?", to: model.lanes[msgs.to[m] as number]?.id ?? "?", sendUs: model.events.t[ev] as number, dropped: ((msgs.flags[m] as number) & MSG_DROPPED) !== 0 });
        }
        return out;
      },
      line: (ev) => this.client.line(ev),
      intervene: (entry) => this.intervene(entry),
      scenario: () => this.currentBranchScenario(),
      closeMenu: () => closeMenu(),
      setCheckpoints: (max) => {
        this.checkpointsMax = max;
      },
    };
  }
}
