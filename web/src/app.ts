import type { CheckReport, CounterexampleInTrace, ScenarioReport } from "../../src/scenario/index.ts";
import { causeChain, type CauseChain } from "./model/causes.ts";
import { describeEvent, describeMessage, describeSpan, formatUs } from "./model/describe.ts";
import { defaultFilters, eventMatcher, FilterView, stepTo, type Filters } from "./model/filters.ts";
import { Coordinates, type AxisMode } from "./model/layout.ts";
import { parseSearch, searchMessages } from "./model/search.ts";
import { EV, EVENT_KIND_NAMES, type TraceModel } from "./model/trace-model.ts";
import type { InspectResponse, ReadSummary, TraceSource } from "./protocol.ts";
import { Diagram, type Hit } from "./render/diagram.ts";
import { BUNDLED_SCENARIOS } from "./scenarios.ts";
import { ChecksPanel } from "./ui/checks-panel.ts";
import { DetailsPanel } from "./ui/details-panel.ts";
import { byId, formatMs, h, plural, replaceChildren } from "./ui/dom.ts";
import { FiltersPanel } from "./ui/filters-panel.ts";
import { helpContent } from "./ui/help.ts";
import { InspectorPanel } from "./ui/inspector-panel.ts";
import { Sharing, type ShareHost } from "./share/share.ts";
import { Lenses } from "./lenses/lenses.ts";
import type { ViewerHook } from "./hook.ts";
import { InspectorClient, Resimulator, TraceLoader } from "./workers-client.ts";
import { Lessons } from "./lessons/lessons.ts";
import type { LessonHost } from "./lessons/player.ts";
import type { LessonFactsResult } from "./lessons/facts.ts";
import { LiveView, type LiveHost } from "./live/live-view.ts";

/**
 * The viewer: opens a trace (or runs a scenario), draws it, keeps a cursor,
 * and asks its workers for the rest (re-runs for the checks and the digest,
 * parked runs for the inspector). The page's state lives here; the diagram,
 * the panels and the workers only hear what they need.
 */

/** What a trace-backed session holds once loaded. */
interface Loaded {
  readonly model: TraceModel;
  readonly read: ReadSummary;
  readonly sourceName: string;
  /** The checks' report: from the run itself (a scenario run here) or from the re-run. */
  report: ScenarioReport | null;
  resimDigest: string | null;
  resimState: "none" | "running" | "done" | "failed" | "unavailable";
  resimNote: string;
  /** A lesson's steps and answers, found in this run by the trace worker (web/src/lessons/). */
  lesson?: LessonFactsResult;
}

/** How long the cursor rests before the inspector is asked (ms): stepping fast does not queue re-runs. */
const INSPECT_DEBOUNCE_MS = 40;
/** Event order plays this many events per second at 1×. */
const ORDER_EVENTS_PER_SECOND = 20;

export class App {
  private readonly diagramElement = byId("diagram", HTMLDivElement);
  private readonly diagram: Diagram;
  private readonly loader = new TraceLoader();
  private readonly resimulator = new Resimulator();
  private readonly inspector: InspectorClient;
  private readonly inspectorPanel = new InspectorPanel(byId("panel-inspector", HTMLDivElement));
  private readonly details: DetailsPanel;
  private readonly checks: ChecksPanel;
  private readonly filtersPanel: FiltersPanel;
  private readonly tooltip = byId("tooltip", HTMLDivElement);
  private readonly scrub = byId("scrub", HTMLInputElement);
  private readonly cursorLabel = byId("cursor-label", HTMLSpanElement);
  private readonly searchInput = byId("search", HTMLInputElement);
  /** The link in the address, Copy link and the exports (web/src/share/). */
  private readonly sharing: Sharing;
  /** The protocol lenses (web/src/lenses/): Paxos, Ring and ZK tabs, and their marks on the diagram. */
  private readonly lenses: Lenses;

  private loaded: Loaded | null = null;
  private filters: Filters = defaultFilters();
  private mode: AxisMode = "time";
  private view: FilterView | null = null;
  private coords: Coordinates | null = null;
  private cursor = -1;
  private selectedEvent = -1;
  private selectedMessage = -1;
  private chain: CauseChain | null = null;
  /** The linearizability counterexample drawn over the clients' lanes (a check's, chosen in the checks panel). */
  private counterexample: CounterexampleInTrace | null = null;
  private searchHits: number[] = [];
  private searchMessagesSet: Set<number> | null = null;
  private searchIndex = -1;
  private playing = false;
  private playLastMs = 0;
  private playCoordinate = 0;
  private inspectTimer: ReturnType<typeof setTimeout> | null = null;
  private openGeneration = 0;
  /** The lessons (web/src/lessons/): the menu, ?lesson=NAME and the player's pane. */
  private readonly lessons: Lessons;
  /** Live runs, interventions and forks (web/src/live/). */
  private readonly live: LiveView;

  constructor() {
    this.sharing = new Sharing(this.shareHost());
    this.diagram = new Diagram(this.diagramElement, {
      hover: (hit, x, y) => this.hover(hit, x, y),
      click: (hit, coordinate, clientX, clientY) => {
        if (!this.live.click(hit, coordinate, clientX, clientY)) this.click(hit, coordinate);
      },
      viewChanged: () => {
        this.live?.viewChanged();
        this.sharing.viewChanged();
      },
    });
    this.inspector = new InspectorClient((response, latest) => this.inspection(response, latest));
    this.lenses = new Lenses(
      { jump: (ev) => this.jumpTo(ev), selectLane: (lane) => this.selectLane(lane), redraw: () => this.redraw() },
      { paxos: byId("panel-paxos", HTMLDivElement), ring: byId("panel-ring", HTMLDivElement), zk: byId("panel-zk", HTMLDivElement), side: byId("side", HTMLElement) },
    );
    this.diagram.overlay = (layer) => this.lenses.drawOverlay(layer);
    this.details = new DetailsPanel(byId("panel-details", HTMLDivElement), {
      jump: (ev) => this.jumpTo(ev),
      traceBack: (ev) => this.traceBack([ev]),
      line: (ev) => (this.live.active ? this.live.line(ev) : this.loader.line(ev)),
    });
    this.checks = new ChecksPanel(byId("panel-checks", HTMLDivElement), (check) => this.showCheck(check));
    this.filtersPanel = new FiltersPanel(byId("panel-filters", HTMLDivElement), (filters) => this.setFilters(filters));
    this.details.clear();
    this.checks.clear("Open a trace: its scenario is re-run here and every check judged.");
    this.inspectorPanel.clear("Open a trace or run a scenario: the inspector re-runs it to the cursor and shows every node.");
    this.wireToolbar();
    this.wireTransport();
    this.wireDrop();
    this.wireKeys();
    this.wireTabs();
    this.lessons = new Lessons(this.lessonHost(), byId("lesson-pane", HTMLElement), byId("lessons-menu", HTMLDetailsElement));
    this.live = new LiveView(this.liveHost());
  }

  /** Opens what the page's address asks for: ?trace=URL, or ?scenario=NAME[&seed=N], or ?scenarioUrl=URL, or ?lesson=NAME. */
  async openFromAddress(): Promise<void> {
    const params = new URLSearchParams(window.location.search);
    // A lesson opens its own run (the address keeps lesson= through the link's rewrites).
    const lesson = params.get("lesson");
    if (lesson !== null) {
      await this.lessons.open(lesson);
      return;
    }
    // A link with its own run (src=…) opens here; otherwise its cursor and view wait for what opens below.
    if (await this.sharing.openFromAddress(params)) return;
    const trace = params.get("trace");
    const scenario = params.get("scenario");
    const scenarioUrl = params.get("scenarioUrl");
    const seedText = params.get("seed");
    const seed = seedText === null || seedText === "" ? null : Number(seedText);
    if (seed !== null && !Number.isSafeInteger(seed)) {
      this.showError("?seed", "expected a whole number", []);
      return;
    }
    if (trace !== null) await this.open({ kind: "url", url: trace });
    else if (scenario !== null) {
      const load = BUNDLED_SCENARIOS.get(scenario);
      if (load === undefined) this.showError(`scenario ${scenario}`, `no bundled scenario of that name; expected one of ${[...BUNDLED_SCENARIOS.keys()].join(", ")}`, []);
      else await this.open({ kind: "scenario", name: scenario, source: await load(), seed });
    } else if (scenarioUrl !== null) {
      const response = await fetch(scenarioUrl);
      if (!response.ok) this.showError(scenarioUrl, `the server answered ${response.status}`, []);
      else {
        const name = params.get("name") ?? scenarioUrl.replace(/^.*\//, "").replace(/\.ya?ml$/, "");
        await this.open({ kind: "scenario", name, source: await response.text(), seed });
      }
    }
  }

  // ------------------------------------------------------------ opening

  /** Opens a trace or runs a scenario; true once it is shown (false when it failed or another opening overtook it). */
  async open(source: TraceSource): Promise<boolean> {
    this.lessons.opening(source);
    this.live.stop();
    const generation = ++this.openGeneration;
    const openedAt = performance.now();
    this.stopPlaying();
    this.resimulator.stop();
    this.inspector.stop();
    this.setState("loading");
    byId("error-panel", HTMLDivElement).hidden = true;
    byId("empty-message", HTMLDivElement).hidden = true;
    const progress = byId("progress", HTMLDivElement);
    progress.hidden = false;
    const what = source.kind === "scenario" ? `Running scenario ${source.name} in this page` : `Reading ${source.kind === "file" ? source.file.name : source.url}`;
    progress.textContent = `${what}…`;
    this.setBanners([]);
    this.sharing.opening();
    const result = await this.loader.open(source, (events, bytes, total) => {
      progress.textContent = `${what}: ${plural(events, "event")}${total === null ? "" : `, ${Math.round((100 * bytes) / total)}%`}`;
    });
    if (generation !== this.openGeneration) return false;
    progress.hidden = true;
    if (!result.ok) {
      this.showError(result.name, result.message, result.problems);
      return false;
    }
    const loaded: Loaded = { model: result.model, read: result.read, sourceName: result.read.name, report: result.report, resimDigest: null, resimState: "none", resimNote: "", ...(result.lesson === undefined ? {} : { lesson: result.lesson }) };
    this.loaded = loaded;
    this.filters = defaultFilters();
    this.cursor = -1;
    this.selectedEvent = -1;
    this.selectedMessage = -1;
    this.chain = null;
    this.counterexample = null;
    this.searchHits = [];
    this.searchMessagesSet = null;
    this.rebuild(false);
    this.lenses.load(result.model, result.paxos, this.coords as Coordinates);
    this.setState("ready");
    this.diagramElement.dataset["openMs"] = String(Math.round(performance.now() - openedAt));
    this.diagramElement.dataset["events"] = String(result.model.eventCount);
    this.diagramElement.dataset["messages"] = String(result.model.messages.count);
    this.diagramElement.dataset["loadMs"] = String(Math.round(result.read.wallMs));
    this.diagramElement.dataset["digestRead"] = result.read.digestRead;
    this.diagramElement.dataset["digestTrace"] = result.model.summary?.digest ?? "";
    this.fillMatchSelects(result.model);
    this.filtersPanel.show(result.model, this.filters);
    this.details.clear();
    this.setCursor(result.model.eventCount > 0 ? 0 : -1, false);
    if (source.kind === "scenario" && result.report !== null) {
      loaded.resimState = "done";
      loaded.resimDigest = result.report.digest;
      loaded.resimNote = "run here in the page";
      this.checks.show(result.report, result.read.wallMs);
    } else if (this.rerunsOff()) {
      loaded.resimState = "unavailable";
      loaded.resimNote = "re-runs are off (?reruns=off in the address)";
      this.checks.clear(`No checks: ${loaded.resimNote}.`);
    } else {
      void this.resimulate(loaded, generation);
    }
    if (this.rerunsOff()) {
      this.inspectorPanel.clear("The inspector is off: the address says ?reruns=off (no re-runs in the background, for very large traces on small machines).");
      this.lenses.inspectorUnavailable("The inspector is off (?reruns=off), so there is no state at the cursor to read.");
    }
    else this.startInspector(loaded);
    this.sharing.opened(source, result.model);
    this.updateRunPanel();
    this.updateBanners();
    return true;
  }

  /** ?reruns=off: neither the re-run for the checks nor the inspector's (a huge trace on a small machine). */
  private rerunsOff(): boolean {
    return new URLSearchParams(window.location.search).get("reruns") === "off";
  }

  private async resimulate(loaded: Loaded, generation: number): Promise<void> {
    const { model } = loaded;
    const seed = model.header.seed;
    if (model.scenarioSource === null) {
      loaded.resimState = "unavailable";
      loaded.resimNote = "the trace's header records no scenario (meta.scenarioSource), so it cannot be run again here";
      this.checks.clear(`No checks to show: ${loaded.resimNote}.`);
      this.updateRunPanel();
      return;
    }
    if (typeof seed !== "number") {
      loaded.resimState = "unavailable";
      loaded.resimNote = `the trace's seed ${JSON.stringify(seed)} is not a number, and scenarios run with numeric seeds`;
      this.checks.clear(`No checks to show: ${loaded.resimNote}.`);
      this.updateRunPanel();
      return;
    }
    loaded.resimState = "running";
    this.diagramElement.dataset["resim"] = "running";
    this.checks.running();
    this.updateRunPanel();
    const response = await this.resimulator.run({ kind: "resimulate", name: model.scenarioName ?? "scenario", source: model.scenarioSource, seed });
    if (generation !== this.openGeneration) return;
    if (response.kind === "failed") {
      loaded.resimState = "failed";
      loaded.resimNote = response.message;
      this.checks.failed(response.message);
    } else {
      loaded.resimState = "done";
      loaded.report = response.report;
      loaded.resimDigest = response.report.digest;
      loaded.resimNote = `re-run here in ${formatMs(response.wallMs)}`;
      this.checks.show(response.report, response.wallMs);
    }
    this.diagramElement.dataset["resim"] = loaded.resimState;
    this.diagramElement.dataset["digestResim"] = loaded.resimDigest ?? "";
    this.updateRunPanel();
    this.updateBanners();
  }

  private startInspector(loaded: Loaded): void {
    const { model } = loaded;
    const seed = model.header.seed;
    if (model.scenarioSource === null || typeof seed !== "number") {
      this.inspectorPanel.clear("This trace records no scenario to re-run (header.meta.scenarioSource and a numeric seed), so the inspector has nothing to show; the diagram shows what the trace says.");
      return;
    }
    this.inspectorPanel.clear("Starting the inspector's re-run…");
    this.inspector.start({ kind: "init", name: model.scenarioName ?? "scenario", source: model.scenarioSource, seed, eventCount: model.eventCount });
    this.requestInspection();
  }

  showError(name: string, message: string, problems: readonly { line: number; path: string; message: string }[], hint = "A zksim trace is JSON Lines: a header, one event per line, and a summary (npx zksim run NAME writes one)."): void {
    this.setState("error");
    byId("progress", HTMLDivElement).hidden = true;
    byId("empty-message", HTMLDivElement).hidden = true;
    const panel = byId("error-panel", HTMLDivElement);
    panel.hidden = false;
    replaceChildren(
      panel,
      h("h2", {}, `Could not open ${name}`),
      h("p", { class: "error-message" }, message),
      problems.length === 0
        ? null
        : h(
            "ul",
            { class: "problems" },
            ...problems.map((p) => h("li", { "data-line": p.line }, `${p.line > 0 ? `line ${p.line}` : ""}${p.line > 0 && p.path !== "" ? ", " : ""}${p.path}: ${p.message}`)),
          ),
      h("p", { class: "muted" }, hint),
    );
    const first = problems[0];
    this.diagramElement.dataset["error"] = first === undefined ? message : `${first.line > 0 ? `line ${first.line}: ` : ""}${first.line > 0 || first.path === "" ? "" : `${first.path}: `}${first.message}`;
  }

  private setState(state: "empty" | "loading" | "ready" | "error"): void {
    this.diagramElement.dataset["state"] = state;
  }

  // ------------------------------------------------------------ view

  /** Applies filters and mode: new coordinates for the diagram. */
  private rebuild(keepView: boolean): void {
    const loaded = this.loaded;
    if (loaded === null) return;
    const before = this.coords;
    const anchor = before === null || this.cursor < 0 ? null : this.cursor;
    this.view = new FilterView(loaded.model, this.filters);
    this.coords = new Coordinates(loaded.model, this.view, this.mode);
    this.diagram.setScene(this.scene(), keepView && before !== null && before.mode === this.mode);
    if (anchor !== null && !(keepView && before !== null && before.mode === this.mode)) {
      const y = this.coords.y(anchor);
      const [e0, e1] = this.coords.extent;
      if (this.mode === "order") this.diagram.showRange(y - 30, y + 30);
      else if (before !== null) this.diagram.showRange(Math.max(e0, y - (e1 - e0) / 40), Math.min(e1, y + (e1 - e0) / 40));
    }
    this.diagramElement.dataset["mode"] = this.mode;
    this.lenses.setCoords(this.coords);
    this.diagramElement.dataset["shownEvents"] = String(this.view.shownEvents.length);
    this.sharing.viewChanged();
  }

  private scene() {
    const loaded = this.loaded as Loaded;
    return {
      model: loaded.model,
      view: this.view as FilterView,
      coords: this.coords as Coordinates,
      cursor: this.cursor,
      selectedEvent: this.selectedEvent,
      selectedMessage: this.selectedMessage,
      chain: this.chain,
      searchHits: this.searchMessagesSet,
      counterexample: this.counterexample,
    };
  }

  private redraw(): void {
    if (this.loaded === null || this.coords === null) return;
    this.diagram.setScene(this.scene(), true);
  }

  private setFilters(filters: Filters): void {
    this.filters = filters;
    byId("show-heartbeats", HTMLInputElement).checked = filters.showHeartbeats;
    this.rebuild(true);
    if (this.loaded !== null) this.filtersPanel.show(this.loaded.model, filters);
  }

  private setMode(mode: AxisMode): void {
    if (mode === this.mode) return;
    this.mode = mode;
    byId("mode-order", HTMLInputElement).checked = mode === "order";
    this.rebuild(false);
  }

  // ------------------------------------------------------------ cursor

  setCursor(ev: number, reveal: boolean): void {
    const loaded = this.loaded;
    if (loaded === null || this.coords === null) return;
    const model = loaded.model;
    this.cursor = Math.max(-1, Math.min(model.eventCount - 1, ev));
    if (this.cursor >= 0) {
      const t = model.events.t[this.cursor] as number;
      this.scrub.max = String(Math.max(1, model.endUs));
      this.scrub.value = String(t);
      this.cursorLabel.textContent = `#${this.cursor} · ${formatUs(t)} · ${EVENT_KIND_NAMES[model.events.kind[this.cursor] as number] ?? ""}`;
      if (reveal) this.diagram.reveal(this.coords.y(this.cursor));
    } else {
      this.cursorLabel.textContent = "before the first event";
    }
    this.diagramElement.dataset["cursor"] = String(this.cursor);
    this.lenses.setCursor(this.cursor);
    this.redraw();
    this.requestInspection();
    this.live?.cursorMoved();
    this.sharing.viewChanged();
  }

  private requestInspection(): void {
    if (!this.inspector.running) return;
    if (this.inspectTimer !== null) clearTimeout(this.inspectTimer);
    this.inspectTimer = setTimeout(() => {
      this.inspectTimer = null;
      const target = this.cursor;
      this.inspectorPanel.pending(target);
      this.inspector.request(target);
    }, INSPECT_DEBOUNCE_MS);
  }

  private inspection(response: InspectResponse, latest: boolean): void {
    const loaded = this.loaded;
    if (loaded === null) return;
    switch (response.kind) {
      case "inspection":
        if (latest) this.inspectorPanel.show(response, loaded.model);
        if (latest) this.lenses.inspection(response);
        return;
      case "checkpoints":
        this.inspectorPanel.checkpoints(response.filled, response.slots, response.spacing);
        return;
      case "failed":
        if (latest) this.inspectorPanel.failed(response.message);
        if (latest) this.lenses.inspectorUnavailable(`The inspector could not re-run this scenario: ${response.message}`);
        return;
      default: {
        const unknown: never = response;
        throw new Error(`unknown inspector response ${String(unknown)}`);
      }
    }
  }

  /** Steps to the next (or previous) shown event, optionally one that matches the transport's choice. */
  step(direction: 1 | -1, matching: boolean): void {
    const loaded = this.loaded;
    if (loaded === null || this.view === null) return;
    const matcher = matching ? this.matchChoice(loaded.model) : undefined;
    const next = stepTo(this.view, this.cursor, direction, matcher);
    if (next >= 0) this.setCursor(next, true);
  }

  private matchChoice(model: TraceModel): (i: number) => boolean {
    const kind = byId("match-kind", HTMLSelectElement).value;
    const type = byId("match-type", HTMLSelectElement).value;
    const lane = byId("match-lane", HTMLSelectElement).value;
    return eventMatcher(model, {
      ...(kind === "" ? {} : { kind: Number(kind) }),
      ...(type === "" ? {} : { type: Number(type) }),
      ...(lane === "" ? {} : { lane: Number(lane) }),
    });
  }

  /** A lane picked in the ring: the transport's n / p step to its events, and the lenses mark it. */
  private selectLane(lane: number): void {
    byId("match-lane", HTMLSelectElement).value = String(lane);
    this.diagramElement.dataset["selectedLane"] = String(lane);
    this.lenses.selectLane(lane);
    this.redraw();
  }

  private jumpTo(ev: number): void {
    this.select(ev, -1);
    this.setCursor(ev, true);
  }

  private select(ev: number, m: number): void {
    this.selectedEvent = ev;
    this.selectedMessage = m;
    this.diagramElement.dataset["selected"] = String(ev);
    const loaded = this.loaded;
    if (loaded !== null && ev >= 0) this.details.showEvent(loaded.model, ev);
    this.redraw();
  }

  private traceBack(roots: number[]): void {
    const loaded = this.loaded;
    if (loaded === null) return;
    this.chain = causeChain(loaded.model, roots);
    this.diagramElement.dataset["chainEvents"] = String(this.chain.events.size);
    this.diagramElement.dataset["chainMessages"] = String(this.chain.messages.size);
    this.redraw();
  }

  /** Shows the stretch of the run the traced causes span, with a margin. */
  private showChain(): void {
    const chain = this.chain;
    const coords = this.coords;
    if (chain === null || coords === null || chain.events.size === 0) return;
    let low = Number.POSITIVE_INFINITY;
    let high = Number.NEGATIVE_INFINITY;
    for (const ev of chain.events) {
      const y = coords.y(ev);
      low = Math.min(low, y);
      high = Math.max(high, y);
    }
    const margin = Math.max((high - low) * 0.15, this.mode === "order" ? 5 : 1_000);
    this.diagram.showRange(low - margin, high + margin, true);
  }

  /** The counterexample in the details panel, and its operations in view. */
  private showCounterexample(check: CheckReport, picture: CounterexampleInTrace): void {
    const loaded = this.loaded;
    if (loaded === null || this.coords === null) return;
    this.details.showCounterexample(check, picture);
    this.diagramElement.dataset["counterexample"] = check.name;
    const evs = picture.ops.flatMap((op) => [op.invokeEv, op.completeEv]).filter((ev) => ev >= 0);
    const stuck = picture.ops.filter((op) => op.stuck && op.invokeEv >= 0);
    if (evs.length > 0) {
      // From a few operations before the stuck ones to the last of them.
      const lastPlaced = picture.ops.filter((op) => op.place !== null && op.invokeEv >= 0).slice(-4);
      const from = Math.min(...[...lastPlaced, ...stuck].map((op) => this.coords?.y(op.invokeEv) ?? 0));
      const to = Math.max(...evs.map((ev) => this.coords?.yEnd(ev) ?? 0).filter((c) => Number.isFinite(c)));
      const margin = Math.max((to - from) * 0.1, this.mode === "order" ? 5 : 1_000);
      this.diagram.showRange(from - margin, to + margin, true);
    }
    if (stuck[0] !== undefined) this.setCursor(stuck[0].invokeEv, false);
    this.redraw();
  }

  private showCheck(check: CheckReport): void {
    const loaded = this.loaded;
    if (loaded === null) return;
    const model = loaded.model;
    const violation =
      model.violations.find((v) => v.check === check.name) ??
      model.violations.find((v) => check.name === "paxos-safety" && v.check.startsWith("paxos.")) ??
      model.violations.find((v) => v.check.includes(check.name) || check.name.includes(v.check));
    this.counterexample = check.counterexample ?? null;
    if (violation !== undefined) {
      this.select(violation.ev, -1);
      this.setCursor(violation.anchorEv, false);
      this.traceBack([violation.ev]);
      this.showChain();
      if (this.counterexample !== null) this.showCounterexample(check, this.counterexample);
      this.showTab("details");
      return;
    }
    if (this.counterexample !== null) {
      this.showCounterexample(check, this.counterexample);
      this.showTab("details");
      return;
    }
    // No violation event in the trace: go to the time the verdict names, if it names one.
    const at = /at (\d+) µs/.exec(check.detail ?? "");
    if (at !== null && this.coords !== null) {
      const t = Number(at[1]);
      const ev = Math.max(0, this.coordsEventAtTime(model, t));
      this.setCursor(ev, true);
    }
  }

  private coordsEventAtTime(model: TraceModel, t: number): number {
    const times = model.events.t;
    let lo = 0;
    let hi = times.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if ((times[mid] as number) <= t) lo = mid + 1;
      else hi = mid;
    }
    return lo - 1;
  }

  // ------------------------------------------------------------ pointer

  private hover(hit: Hit | null, x: number, y: number): void {
    const loaded = this.loaded;
    if (hit === null || loaded === null) {
      this.tooltip.hidden = true;
      return;
    }
    const model = loaded.model;
    this.tooltip.textContent = hit.kind === "message" ? describeMessage(model, hit.m) : hit.kind === "span" ? describeSpan(model, hit.s) : describeEvent(model, hit.ev);
    this.tooltip.hidden = false;
    this.tooltip.style.left = `${Math.min(window.innerWidth - 540, x + 14)}px`;
    this.tooltip.style.top = `${y + 14}px`;
  }

  private click(hit: Hit | null, coordinate: number): void {
    const loaded = this.loaded;
    if (loaded === null || this.coords === null) return;
    const model = loaded.model;
    if (hit === null) {
      // A click on empty space moves the cursor there.
      const ev = this.coords.eventAt(coordinate);
      if (ev >= 0) this.setCursor(ev, false);
      return;
    }
    this.showTab("details");
    switch (hit.kind) {
      case "message": {
        const ev = model.messages.sendEv[hit.m] as number;
        this.select(ev, hit.m);
        this.setCursor(ev, false);
        return;
      }
      case "span": {
        const ev = model.spans.startEv[hit.s] as number;
        this.selectedEvent = ev;
        this.selectedMessage = model.events.msg[ev] as number;
        this.details.showSpan(model, hit.s);
        this.setCursor(ev, false);
        return;
      }
      case "event":
        this.select(hit.ev, -1);
        this.setCursor(hit.ev, false);
        if (model.events.kind[hit.ev] === EV.violation) this.traceBack([hit.ev]);
        return;
      default: {
        const unknown: never = hit;
        throw new Error(`unknown hit ${String(unknown)}`);
      }
    }
  }

  // ------------------------------------------------------------ search

  private runSearch(): void {
    const loaded = this.loaded;
    const count = byId("search-count", HTMLSpanElement);
    if (loaded === null) return;
    const query = parseSearch(this.searchInput.value);
    if (query.kind === "invalid") {
      count.textContent = query.reason;
      this.searchHits = [];
      this.searchMessagesSet = null;
      this.redraw();
      return;
    }
    this.searchHits = searchMessages(loaded.model, query);
    this.searchMessagesSet = query.kind === "empty" ? null : new Set(this.searchHits.map((ev) => loaded.model.events.msg[ev] as number));
    this.searchIndex = -1;
    count.textContent = query.kind === "empty" ? "" : plural(this.searchHits.length, "message");
    this.diagramElement.dataset["searchHits"] = String(this.searchHits.length);
    this.nextResult(1);
  }

  private nextResult(direction: 1 | -1): void {
    if (this.searchHits.length === 0) {
      this.redraw();
      return;
    }
    this.searchIndex = (this.searchIndex + direction + this.searchHits.length) % this.searchHits.length;
    const ev = this.searchHits[this.searchIndex] as number;
    const loaded = this.loaded as Loaded;
    this.select(ev, loaded.model.events.msg[ev] as number);
    this.setCursor(ev, true);
    byId("search-count", HTMLSpanElement).textContent = `${this.searchIndex + 1} of ${plural(this.searchHits.length, "message")}`;
  }

  // ------------------------------------------------------------ playing

  togglePlay(): void {
    if (this.playing) this.stopPlaying();
    else this.startPlaying();
  }

  private startPlaying(): void {
    if (this.loaded === null || this.coords === null) return;
    this.playing = true;
    byId("play", HTMLButtonElement).textContent = "⏸";
    this.playLastMs = performance.now();
    this.playCoordinate = this.cursor >= 0 ? this.coords.y(this.cursor) : this.coords.extent[0];
    const tick = (now: number) => {
      if (!this.playing || this.coords === null || this.loaded === null) return;
      const speed = Number(byId("speed", HTMLSelectElement).value);
      const dtMs = Math.min(100, now - this.playLastMs);
      this.playLastMs = now;
      // Time: speed × real time. Event order: a number of rows per second.
      this.playCoordinate += this.mode === "time" ? speed * dtMs * 1000 : (speed * 10 * ORDER_EVENTS_PER_SECOND * dtMs) / 1000;
      const ev = this.coords.eventAt(this.playCoordinate);
      if (ev !== this.cursor && ev >= 0) this.setCursor(ev, true);
      if (this.playCoordinate >= this.coords.extent[1]) {
        this.stopPlaying();
        return;
      }
      requestAnimationFrame(tick);
    };
    requestAnimationFrame(tick);
  }

  private stopPlaying(): void {
    this.playing = false;
    byId("play", HTMLButtonElement).textContent = "▶";
  }

  // ------------------------------------------------------------ panels

  private updateRunPanel(): void {
    const panel = byId("panel-run", HTMLDivElement);
    const loaded = this.loaded;
    if (loaded === null) return;
    const { model, read } = loaded;
    const summaryDigest = model.summary?.digest ?? null;
    const row = (label: string, ...value: (string | HTMLElement)[]) => h("tr", {}, h("td", { class: "muted" }, label), h("td", {}, ...value));
    const digestCell = (digest: string | null, id: string) =>
      h("span", { id, class: digest === null || summaryDigest === null ? "" : digest === summaryDigest ? "digest-ok" : "digest-bad" }, digest ?? "—");
    const foreign = Object.entries(read.foreignTypes);
    replaceChildren(
      panel,
      h(
        "table",
        { class: "run-table" },
        row("trace", loaded.sourceName),
        row("scenario", model.scenarioName ?? "(not recorded)"),
        row("seed", String(model.header.seed)),
        row("level", model.header.level),
        row("events", model.eventCount.toLocaleString("en-US")),
        row("messages", model.messages.count.toLocaleString("en-US")),
        row("operations", `${model.spans.count.toLocaleString("en-US")} (${model.spanSource === "invoke-complete" ? "from invoke and complete events" : model.spanSource === "request-reply" ? "requests paired with their replies" : "none"})`),
        row("virtual time", formatUs(model.endUs)),
        row("read", `${read.lines.toLocaleString("en-US")} lines, ${(read.bytes / 1e6).toFixed(1)} MB in ${formatMs(read.wallMs)}`),
        row("digest (summary)", digestCell(summaryDigest, "digest-summary")),
        row("digest (lines read)", digestCell(read.digestRead, "digest-read")),
        row("digest (re-run here)", digestCell(loaded.resimDigest, "digest-resim"), h("div", { class: "muted" }, `${loaded.resimState}${loaded.resimNote === "" ? "" : `: ${loaded.resimNote}`}`)),
      ),
      foreign.length === 0 ? null : h("p", { class: "muted" }, `Events of types this viewer does not know, shown as grey marks: ${foreign.map(([type, n]) => `${type} ×${n}`).join(", ")}.`),
    );
  }

  private updateBanners(): void {
    const loaded = this.loaded;
    if (loaded === null) return;
    const { model, read } = loaded;
    const banners: HTMLElement[] = [];
    const summaryDigest = model.summary?.digest ?? null;
    if (model.summary === null) banners.push(h("div", { class: "banner amber", "data-banner": "no-summary" }, "This trace has no summary line: the run did not finish, or the file was cut off."));
    else if (model.header.level === "full" && summaryDigest !== null && summaryDigest !== read.digestRead) {
      banners.push(h("div", { class: "banner red", "data-banner": "read-digest" }, `The trace's lines give digest ${read.digestRead}, but its summary says ${summaryDigest}: the file was changed after the run.`));
    }
    if (loaded.resimDigest !== null && summaryDigest !== null && loaded.resimDigest !== summaryDigest) {
      banners.push(
        h(
          "div",
          { class: "banner red", "data-banner": "resim-digest" },
          `Re-running ${model.scenarioName ?? "the scenario"} with seed ${String(model.header.seed)} here gives digest ${loaded.resimDigest}; the trace says ${summaryDigest}. This trace was not made by this build of zksim: the re-run (checks, inspector) differs from it.`,
        ),
      );
    } else if (loaded.resimDigest !== null && summaryDigest !== null) {
      banners.push(h("div", { class: "banner green", "data-banner": "resim-ok" }, `Re-run here: same digest ${summaryDigest}.`));
    }
    banners.push(...this.sharing.banners());
    this.setBanners(banners);
  }

  private setBanners(banners: HTMLElement[]): void {
    replaceChildren(byId("banners", HTMLDivElement), ...banners);
  }

  private fillMatchSelects(model: TraceModel): void {
    const kind = byId("match-kind", HTMLSelectElement);
    const type = byId("match-type", HTMLSelectElement);
    const lane = byId("match-lane", HTMLSelectElement);
    replaceChildren(kind, h("option", { value: "" }, "any kind"), ...EVENT_KIND_NAMES.map((name, index) => h("option", { value: index }, name)));
    replaceChildren(
      type,
      h("option", { value: "" }, "any type"),
      ...model.messageTypes.map((name, index) => ({ name, index })).sort((a, b) => a.name.localeCompare(b.name)).map(({ name, index }) => h("option", { value: index }, name)),
    );
    replaceChildren(lane, h("option", { value: "" }, "any node"), ...model.lanes.map((l, index) => h("option", { value: index }, l.id)));
  }

  private showTab(name: string): void {
    for (const button of document.querySelectorAll<HTMLButtonElement>("#tabs button")) button.classList.toggle("active", button.dataset["tab"] === name);
    for (const panel of document.querySelectorAll<HTMLElement>(".panel")) panel.hidden = panel.dataset["panel"] !== name;
  }

  // ------------------------------------------------------------ wiring

  private wireTabs(): void {
    for (const button of document.querySelectorAll<HTMLButtonElement>("#tabs button")) {
      button.addEventListener("click", () => this.showTab(button.dataset["tab"] ?? "inspector"));
    }
  }

  private wireToolbar(): void {
    const fileInput = byId("file-input", HTMLInputElement);
    byId("open-file", HTMLButtonElement).addEventListener("click", () => fileInput.click());
    fileInput.addEventListener("change", () => {
      const file = fileInput.files?.[0];
      if (file !== undefined) void this.open({ kind: "file", file });
      fileInput.value = "";
    });
    const select = byId("scenario-select", HTMLSelectElement);
    for (const name of BUNDLED_SCENARIOS.keys()) select.appendChild(h("option", { value: name }, name));
    byId("run-scenario", HTMLButtonElement).addEventListener("click", () => void this.runBundled(select.value));
    this.searchInput.addEventListener("input", () => this.runSearch());
    this.searchInput.addEventListener("keydown", (e) => {
      if (e.key === "Enter") {
        e.preventDefault();
        this.nextResult(e.shiftKey ? -1 : 1);
      }
    });
    byId("mode-order", HTMLInputElement).addEventListener("change", (e) => this.setMode((e.target as HTMLInputElement).checked ? "order" : "time"));
    byId("show-heartbeats", HTMLInputElement).addEventListener("change", (e) => this.setFilters({ ...this.filters, showHeartbeats: (e.target as HTMLInputElement).checked }));
    byId("zoom-fit", HTMLButtonElement).addEventListener("click", () => this.diagram.fit());
    byId("help-button", HTMLButtonElement).addEventListener("click", () => this.showHelp());
  }

  /** Runs a bundled scenario in the page, with the seed typed (if any); the address says which. */
  private async runBundled(name: string): Promise<void> {
    const load = BUNDLED_SCENARIOS.get(name);
    if (load === undefined) return;
    const seedText = byId("seed-input", HTMLInputElement).value.trim();
    const seed = seedText === "" ? null : Number(seedText);
    if (seed !== null && !Number.isSafeInteger(seed)) {
      this.showError("the seed", `expected a whole number, got '${seedText}'`, []);
      return;
    }
    const url = new URL(window.location.href);
    url.search = new URLSearchParams({ scenario: name, ...(seed === null ? {} : { seed: String(seed) }) }).toString();
    window.history.replaceState(null, "", url);
    await this.open({ kind: "scenario", name, source: await load(), seed });
  }

  private wireTransport(): void {
    byId("play", HTMLButtonElement).addEventListener("click", () => this.togglePlay());
    byId("step-back", HTMLButtonElement).addEventListener("click", () => this.step(-1, false));
    byId("step-forward", HTMLButtonElement).addEventListener("click", () => this.step(1, false));
    byId("step-match-back", HTMLButtonElement).addEventListener("click", () => this.step(-1, true));
    byId("step-match", HTMLButtonElement).addEventListener("click", () => this.step(1, true));
    this.scrub.addEventListener("input", () => {
      const loaded = this.loaded;
      if (loaded === null) return;
      this.setCursor(Math.max(0, this.coordsEventAtTime(loaded.model, Number(this.scrub.value))), true);
    });
  }

  private wireDrop(): void {
    const overlay = byId("drop-overlay", HTMLDivElement);
    let depth = 0;
    window.addEventListener("dragenter", (e) => {
      e.preventDefault();
      depth++;
      overlay.hidden = false;
    });
    window.addEventListener("dragleave", () => {
      depth = Math.max(0, depth - 1);
      if (depth === 0) overlay.hidden = true;
    });
    window.addEventListener("dragover", (e) => e.preventDefault());
    window.addEventListener("drop", (e) => {
      e.preventDefault();
      depth = 0;
      overlay.hidden = true;
      const file = e.dataTransfer?.files[0];
      if (file !== undefined) void this.open({ kind: "file", file });
    });
  }

  private wireKeys(): void {
    document.addEventListener("keydown", (e) => {
      const target = e.target as HTMLElement | null;
      const typing = target !== null && (target.tagName === "INPUT" || target.tagName === "SELECT" || target.tagName === "TEXTAREA") && (target as HTMLInputElement).type !== "checkbox" && (target as HTMLInputElement).type !== "range";
      if (typing && e.key !== "Escape") return;
      if (e.ctrlKey || e.metaKey || e.altKey) return;
      const handled = this.key(e.key, e.shiftKey);
      if (handled) e.preventDefault();
    });
  }

  /** One keyboard shortcut (see help.ts); true when the key was one. */
  key(key: string, shift: boolean): boolean {
    if (this.live.active && this.live.key(key, shift)) return true;
    if (this.lessons.key(key)) return true;
    switch (key) {
      case " ":
        this.togglePlay();
        return true;
      case "ArrowRight":
        this.step(1, shift);
        return true;
      case "ArrowLeft":
        this.step(-1, shift);
        return true;
      case "j":
        this.step(1, false);
        return true;
      case "k":
        this.step(-1, false);
        return true;
      case "n":
        this.step(1, true);
        return true;
      case "p":
        this.step(-1, true);
        return true;
      case "Home":
        this.setCursor(0, true);
        return true;
      case "End":
        if (this.loaded !== null) this.setCursor(this.loaded.model.eventCount - 1, true);
        return true;
      case "m":
        this.setMode(this.mode === "time" ? "order" : "time");
        return true;
      case "h":
        this.setFilters({ ...this.filters, showHeartbeats: !this.filters.showHeartbeats });
        return true;
      case "+":
      case "=":
        this.diagram.zoomBy(2);
        return true;
      case "-":
        this.diagram.zoomBy(0.5);
        return true;
      case "0":
        this.diagram.fit();
        return true;
      case "c":
        if (this.coords !== null && this.cursor >= 0) {
          const [y0, y1] = this.diagram.visibleRange();
          const y = this.coords.y(this.cursor);
          this.diagram.showRange(y - (y1 - y0) / 2, y + (y1 - y0) / 2, true);
        }
        return true;
      case "/":
        this.searchInput.focus();
        return true;
      case "?":
        this.showHelp();
        return true;
      case "Escape":
        this.chain = null;
        this.selectedEvent = -1;
        this.selectedMessage = -1;
        this.tooltip.hidden = true;
        this.redraw();
        return true;
      default:
        return false;
    }
  }

  private showHelp(): void {
    replaceChildren(byId("help-content", HTMLDivElement), helpContent());
    const dialog = byId("help-dialog", HTMLDialogElement);
    if (!dialog.open) dialog.showModal();
  }

  // ------------------------------------------------------------ lessons (web/src/lessons/)

  /** What the lesson player may do to the page: run its scenarios, move the cursor, mark a step, show a check. */
  private lessonHost(): LessonHost {
    return {
      run: async (source) => {
        if (!(await this.open(source)) || this.loaded === null) return null;
        return { model: this.loaded.model, report: this.loaded.report, lesson: this.loaded.lesson ?? null };
      },
      showError: (name, message, problems) => this.showError(name, message, problems),
      setCursor: (ev) => this.setCursor(ev, true),
      showEvents: (evs) => {
        const coords = this.coords;
        if (coords === null || evs.length === 0) return;
        const ys = evs.map((ev) => coords.y(ev));
        const [e0, e1] = coords.extent;
        const low = Math.min(...ys);
        const high = Math.max(...ys);
        const span = Math.max(high - low, this.mode === "order" ? 30 : (e1 - e0) / 40);
        const middle = (low + high) / 2;
        this.diagram.showRange(Math.max(e0, middle - span * 0.65), Math.min(e1, middle + span * 0.65));
      },
      setEmphasis: (emphasis) => {
        this.diagram.emphasis = emphasis;
        this.redraw();
      },
      setStateEmphasis: (emphasis) => this.lenses.setEmphasis(emphasis),
      showCheck: (name) => {
        const check = this.loaded?.report?.checks.find((c) => c.name === name && !c.holds);
        if (check === undefined) return false;
        this.showCheck(check);
        return true;
      },
      startLive: async (name, source, seed) => {
        this.showTab("live");
        await this.live.startWith(name, source, seed);
      },
      liveBranch: () => (this.live.active ? this.live.currentBranchScenario() : null),
    };
  }

  // ------------------------------------------------------------ live runs (web/src/live/)

  /** The live run's current branch as a scenario file and its seed (for sharing and export); null when no live run is shown. */
  currentBranchScenario(): { source: string; seed: number } | null {
    return this.live.active ? this.live.currentBranchScenario() : null;
  }

  /** What the live view may do to the page: show its snapshots as the trace, move the cursor, run the inspector. */
  private liveHost(): LiveHost {
    return {
      diagram: this.diagram,
      diagramElement: this.diagramElement,
      started: () => {
        this.lessons.liveStarted();
        ++this.openGeneration;
        this.stopPlaying();
        this.resimulator.stop();
        this.inspector.stop();
        this.loaded = null;
        byId("error-panel", HTMLDivElement).hidden = true;
        byId("empty-message", HTMLDivElement).hidden = true;
        this.setBanners([]);
      },
      show: (model, info) => this.showLiveModel(model, info),
      failed: (name, message, problems) => this.showError(name, message, problems),
      model: () => this.loaded?.model ?? null,
      cursor: () => this.cursor,
      setCursor: (ev, reveal) => this.setCursor(ev, reveal),
      showTab: (name) => this.showTab(name),
      inspect: (name, source, seed, eventCount) => {
        if (this.rerunsOff()) return;
        this.inspector.start({ kind: "init", name, source, seed, eventCount });
        this.requestInspection();
      },
      stopInspector: () => this.inspector.stop(),
    };
  }

  /** A snapshot of a live run, shown as the trace: a fresh view for a new run or branch, the same view as it grows. */
  private showLiveModel(model: TraceModel, info: Parameters<LiveHost["show"]>[1]): void {
    const fresh = info.fresh || this.loaded === null;
    const read: ReadSummary = { name: info.name, lines: model.eventCount + 1, bytes: 0, digestRead: info.digest ?? "", foreignTypes: {}, wallMs: 0 };
    this.loaded = { model, read, sourceName: info.name, report: info.report, resimDigest: info.digest, resimState: info.report === null ? "none" : "done", resimNote: "a live run in this page" };
    if (fresh) {
      this.filters = defaultFilters();
      this.selectedEvent = -1;
      this.selectedMessage = -1;
      this.chain = null;
      this.counterexample = null;
      this.searchHits = [];
      this.searchMessagesSet = null;
      this.details.clear();
    }
    const kept = ["match-kind", "match-type", "match-lane"].map((id) => byId(id, HTMLSelectElement).value);
    this.fillMatchSelects(model);
    ["match-kind", "match-type", "match-lane"].forEach((id, k) => {
      const select = byId(id, HTMLSelectElement);
      if ([...select.options].some((o) => o.value === kept[k])) select.value = kept[k] as string;
    });
    this.rebuild(!fresh);
    this.setState("ready");
    this.diagramElement.dataset["events"] = String(model.eventCount);
    this.diagramElement.dataset["messages"] = String(model.messages.count);
    this.diagramElement.dataset["digestResim"] = info.digest ?? "";
    if (fresh) this.filtersPanel.show(model, this.filters);
    // The lenses follow the live run (chosen marks, quorums, the ring) as they follow a trace.
    this.lenses.load(model, info.paxos, this.coords as Coordinates, { keep: !fresh });
    if (info.report !== null) this.checks.show(info.report, 0);
    else this.checks.clear("A live run: its checks are judged when it has run to its end (Run to end).");
    this.setCursor(info.cursor, info.reveal);
    this.updateRunPanel();
    // The link and the exports follow the live branch shown.
    const branch = this.live.currentBranchScenario();
    if (branch !== null) this.sharing.showRun(info.name, branch.source, branch.seed);
    this.lessons.liveShown(info.report);
  }

  // ------------------------------------------------------------ share (web/src/share/)

  /** What the link and the exports read of the page, and how a link's view is applied. */
  private shareHost(): ShareHost {
    return {
      open: async (source) => {
        await this.open(source);
      },
      showError: (name, message, problems, hint) => this.showError(name, message, problems, hint),
      model: () => this.loaded?.model ?? null,
      digest: () => this.loaded?.model.summary?.digest ?? this.loaded?.resimDigest ?? null,
      view: () => ({ mode: this.mode, filters: this.filters, cursor: this.cursor, zoom: this.zoomedRange() }),
      applyView: (view, cursor) => {
        const loaded = this.loaded;
        if (loaded === null) return;
        this.filters = view.filters;
        this.mode = view.mode;
        byId("show-heartbeats", HTMLInputElement).checked = view.filters.showHeartbeats;
        byId("mode-order", HTMLInputElement).checked = view.mode === "order";
        this.rebuild(false);
        this.filtersPanel.show(loaded.model, this.filters);
        // No zoom in a link is the whole run.
        const [top, bottom] = view.zoom ?? this.coords?.extent ?? [0, 1];
        this.diagram.showRange(top, bottom);
        if (cursor !== null) this.setCursor(cursor, view.zoom === null);
      },
      wholeTrace: () => this.loader.whole(),
      frame: () => this.diagram.frame(),
      canvas: () => this.diagram.canvas,
      bannersChanged: () => this.updateBanners(),
    };
  }

  /** The stretch in view, or null when the whole run is. */
  private zoomedRange(): [number, number] | null {
    if (this.coords === null) return null;
    const [y0, y1] = this.diagram.visibleRange();
    const [e0, e1] = this.coords.extent;
    return y1 - y0 >= (e1 - e0) * 0.999 ? null : [y0, y1];
  }

  // ------------------------------------------------------------ for tests and benchmarks

  /** What tests and the benchmark read and drive (window.zksimViewer). */
  hook(): ViewerHook {
    return {
      state: () => ({
        state: this.diagramElement.dataset["state"] ?? "",
        events: this.loaded?.model.eventCount ?? 0,
        messages: this.loaded?.model.messages.count ?? 0,
        lanes: this.diagram.stats.lanes,
        arrowsShown: this.diagram.stats.arrowsShown,
        arrowsDrawn: this.diagram.stats.arrowsDrawn,
        spans: this.loaded?.model.spans.count ?? 0,
        spansDrawn: this.diagram.stats.spansDrawn,
        cursor: this.cursor,
        mode: this.mode,
        loadMs: this.loaded?.read.wallMs ?? 0,
        digestRead: this.loaded?.read.digestRead ?? null,
        digestSummary: this.loaded?.model.summary?.digest ?? null,
        digestResim: this.loaded?.resimDigest ?? null,
        resim: this.loaded?.resimState ?? "none",
      }),
      setCursor: (ev) => this.setCursor(ev, true),
      key: (key, shift = false) => this.key(key, shift),
      drawMs: () => {
        this.diagram.draw();
        return this.diagram.stats.drawMs;
      },
      setView: (k, y0) => this.diagram.setView(k, y0),
      extent: () => (this.coords === null ? [0, 1] : [this.coords.extent[0], this.coords.extent[1]]),
      panBy: (dy) => this.diagram.panBy(dy),
      lastFrame: () => ({ drawMs: this.diagram.stats.drawMs, frames: this.diagram.stats.frames }),
    };
  }
}
