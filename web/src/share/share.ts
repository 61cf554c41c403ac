import type { TraceModel } from "../model/trace-model.ts";
import type { TraceSource } from "../protocol.ts";
import type { DiagramFrame } from "../render/diagram.ts";
import { byId, h } from "../ui/dom.ts";
import { decodeLink, defaultLinkView, LINK_PARAMS, linkQuery, packRun, type Intervention, type LinkProblem, type LinkRun, type LinkView, type PackedRun } from "./link.ts";
import { linkViewOf, pageViewOf, type PageView } from "./view.ts";

/**
 * Sharing and exporting, the page's side: the address always holds the run
 * shown (its scenario, seed and interventions), its cursor and its view, so
 * that a copied link opened anywhere (the dev server or a static copy of the
 * built viewer) runs the same scenario in that page and shows the same
 * instant; and the run leaves the page as files: its trace, its scenario
 * (the interventions appended to its faults), and the diagram as PNG or SVG.
 *
 * The link's format is link.ts's; its run is checked and built by run.ts,
 * loaded on demand (it brings the scenario parser into the page).
 */

/** What Sharing needs of the page (App implements it). */
export interface ShareHost {
  /** Opens a source; resolves when it is shown or has failed (App.open calls opening() and opened()). */
  open(source: TraceSource): Promise<void>;
  showError(name: string, message: string, problems: readonly { line: number; path: string; message: string }[], hint?: string): void;
  /** The run shown, or null. */
  model(): TraceModel | null;
  /** The digest the run shown reached (its summary's, or the re-run's). */
  digest(): string | null;
  view(): PageView & { readonly cursor: number };
  applyView(view: PageView, cursor: number | null): void;
  /** The trace as a file (from the trace worker). */
  wholeTrace(): Promise<Blob | null>;
  frame(): DiagramFrame | null;
  canvas(): HTMLCanvasElement;
  /** Banners changed: the page shows banners() again. */
  bannersChanged(): void;
}

/** The run a link holds: the scenario as given and the interventions of the branch shown. */
interface ShownRun {
  readonly name: string;
  readonly run: LinkRun;
  packed: PackedRun | null;
}

/** How long the address waits for the cursor and view to rest before it is rewritten (ms). */
const ADDRESS_DEBOUNCE_MS = 250;
/** The parameters of a link's cursor and view. */
const VIEW_PARAMS: readonly string[] = LINK_PARAMS.filter((name) => name !== "src" && name !== "seed" && name !== "iv");
/** Parameters of the page kept in the address as they are (not a run's or a view's); a lesson's name too, so a reload opens the lesson. */
const KEPT_PARAMS = ["reruns", "lesson"];
/** How long a status message stays (ms). */
const STATUS_MS = 6_000;

export class Sharing {
  private record: ShownRun | null = null;
  /** A trace opened from a URL keeps that URL in the address (reloading reads the same file). */
  private traceUrl: string | null = null;
  /** The cursor and view a link asked for, applied when its run is shown. */
  private pending: { view: LinkView; cursor: number | null } | null = null;
  /** Set while a link's own run opens (with the source it opens): the record is the link's, not one read back from the trace header. */
  private linkRecord: { readonly source: TraceSource; readonly shown: ShownRun } | null = null;
  private notes: HTMLElement[] = [];
  private addressTimer: ReturnType<typeof setTimeout> | null = null;
  private statusTimer: ReturnType<typeof setTimeout> | null = null;
  private readonly status = byId("share-status", HTMLSpanElement);
  private readonly copyButton = byId("copy-link", HTMLButtonElement);
  private readonly exportSelect = byId("export-select", HTMLSelectElement);

  constructor(private readonly host: ShareHost) {
    this.copyButton.addEventListener("click", () => void this.copyLink());
    this.exportSelect.addEventListener("change", () => {
      const what = this.exportSelect.value;
      this.exportSelect.value = "";
      if (what === "trace" || what === "scenario" || what === "png" || what === "svg") void this.export(what);
    });
    this.enable(false);
  }

  /**
   * Reads the address. A link with its own run (src=…) is opened here and
   * true returned; otherwise its cursor and view wait for whatever the page
   * opens (trace=…, scenario=…). A bad link shows every bad parameter.
   */
  async openFromAddress(params: URLSearchParams): Promise<boolean> {
    const decoded = await decodeLink(params);
    if (!decoded.ok) {
      this.showProblems(decoded.problems.map((p) => ({ line: 0, path: `?${p.param}`, message: p.message })));
      return true;
    }
    const { run, cursor, view } = decoded.state;
    // A link's run comes with its view (defaults included); an address that only opens a trace keeps the page's own.
    const asksView = [...params.keys()].some((name) => VIEW_PARAMS.includes(name));
    this.pending = run !== null || asksView ? { view, cursor } : null;
    if (run === null) return false;
    const { checkLinkRun } = await import("./run.ts");
    const checked = checkLinkRun(run);
    if (!checked.ok) {
      this.showProblems(checked.problems.map((p) => ({ line: p.line, path: p.path === "" ? `?${p.param}` : `?${p.param}: ${p.path}`, message: p.message })));
      return true;
    }
    const name = checked.scenario.name;
    const source: TraceSource = { kind: "scenario", name, source: checked.source, seed: run.seed };
    this.linkRecord = { source, shown: { name, run, packed: null } };
    await this.host.open(source);
    // Shown (opened() took them) or failed (the page says why): either way they are spent.
    this.linkRecord = null;
    this.pending = null;
    return true;
  }

  /** A run is being opened: until it is shown, the address is left alone. */
  opening(): void {
    this.record = null;
    this.traceUrl = null;
    this.notes = [];
    this.enable(false);
    if (this.addressTimer !== null) clearTimeout(this.addressTimer);
    this.addressTimer = null;
  }

  /** A run is shown: what its link holds, and the cursor and view a link asked for. */
  opened(source: TraceSource, model: TraceModel): void {
    const fromLink = this.linkRecord?.source === source ? this.linkRecord.shown : null;
    this.linkRecord = null;
    this.traceUrl = source.kind === "url" ? source.url : null;
    const seed = typeof model.header.seed === "number" ? model.header.seed : null;
    if (fromLink !== null) {
      this.record = { ...fromLink, run: { ...fromLink.run, seed: seed ?? fromLink.run.seed } };
    } else if (model.scenarioSource !== null && seed !== null) {
      // The scenario the trace records already holds any interventions its run had.
      this.record = { name: model.scenarioName ?? "scenario", run: { source: model.scenarioSource, seed, interventions: [] }, packed: null };
    }
    this.enable(true);
    // A trace that records no scenario, opened from a file: no link can re-make it, and the address must not name the run before it.
    if (this.record === null && this.traceUrl === null) this.setAddress(linkQuery(null, null, defaultLinkView(), this.keptParams()));
    const pending = this.pending;
    this.pending = null;
    if (pending !== null) this.applyLinkView(model, pending.view, pending.cursor, fromLink !== null);
    else if (fromLink !== null) this.noteLink(model, []);
    void this.pack();
  }

  /**
   * The interventions of the branch shown changed (live mode): the link and
   * the exported scenario carry them from now on, appended to the scenario's
   * faults. The run itself is the caller's to re-make.
   */
  setInterventions(interventions: readonly Intervention[]): void {
    const record = this.record;
    if (record === null) return;
    this.record = { ...record, run: { ...record.run, interventions: [...interventions] }, packed: null };
    void this.pack();
  }

  /**
   * A live run's branch is shown: its link and exports carry the branch's
   * scenario (its interventions already in `faults`, as LiveRun exports it)
   * and its seed.
   */
  showRun(name: string, source: string, seed: number): void {
    const record = this.record;
    if (record !== null && record.run.source === source && record.run.seed === seed && record.run.interventions.length === 0) return;
    this.record = { name, run: { source, seed, interventions: [] }, packed: null };
    this.traceUrl = null;
    this.enable(true);
    void this.pack();
  }

  /** The cursor or the view moved: the address follows, once they rest. */
  viewChanged(): void {
    if (this.record === null && this.traceUrl === null) return;
    if (this.addressTimer !== null) clearTimeout(this.addressTimer);
    this.addressTimer = setTimeout(() => {
      this.addressTimer = null;
      this.writeAddress();
    }, ADDRESS_DEBOUNCE_MS);
  }

  /** Banners about the link (its digest; parameters this run cannot honour). */
  banners(): HTMLElement[] {
    return this.notes;
  }

  // ------------------------------------------------------------ the address

  private async pack(): Promise<void> {
    const record = this.record;
    if (record === null) return;
    const packed = await packRun(record.run);
    if (this.record !== record) return;
    record.packed = packed;
    this.writeAddress();
  }

  /** The link to the run shown, at its cursor and view; null when the run cannot be carried by a link. */
  link(): string | null {
    const query = this.query(true);
    if (query === null) return null;
    const url = new URL(window.location.href);
    url.search = query;
    url.hash = "";
    return url.href;
  }

  /** The query for the address (`portable`: always the run itself, never a trace's URL). */
  private query(portable: boolean): string | null {
    const model = this.host.model();
    const record = this.record;
    if (model === null) return null;
    const kept = this.keptParams();
    const view = this.host.view();
    const linkView = linkViewOf(model, view);
    if (this.traceUrl !== null && !(portable && record !== null)) return linkQuery(null, view.cursor, linkView, [["trace", this.traceUrl], ...kept]);
    if (record === null || record.packed === null) return null;
    return linkQuery(record.packed, view.cursor, linkView, kept);
  }

  /** The page's own parameters in the address (reruns=off), kept through every rewrite. */
  private keptParams(): (readonly [string, string])[] {
    const search = new URLSearchParams(window.location.search);
    return KEPT_PARAMS.flatMap((name) => {
      const value = search.get(name);
      return value === null ? [] : [[name, value] as const];
    });
  }

  private writeAddress(): void {
    const query = this.query(false);
    if (query !== null) this.setAddress(query);
  }

  private setAddress(query: string): void {
    const url = new URL(window.location.href);
    if (url.search === (query === "" ? "" : `?${query}`)) return;
    url.search = query;
    window.history.replaceState(window.history.state, "", url);
  }

  private applyLinkView(model: TraceModel, view: LinkView, cursor: number | null, fromLink: boolean): void {
    const { view: pageView, problems } = pageViewOf(model, view);
    const all = [...problems];
    let target = cursor;
    if (cursor !== null && cursor >= model.eventCount) {
      all.push({ param: "ev", message: `this run has ${model.eventCount} events (0 to ${model.eventCount - 1}); the cursor is at the last` });
      target = model.eventCount - 1;
    }
    this.host.applyView(pageView, target);
    if (fromLink || all.length > 0) this.noteLink(model, all);
  }

  private noteLink(model: TraceModel, problems: readonly LinkProblem[]): void {
    const record = this.record;
    const notes: HTMLElement[] = [];
    if (record !== null) {
      const n = record.run.interventions.length;
      const digest = this.host.digest();
      notes.push(
        h(
          "div",
          { class: "banner green", "data-banner": "link" },
          `Opened from a link: ${record.name}, seed ${String(model.header.seed)}${n === 0 ? "" : `, ${n} intervention${n === 1 ? "" : "s"}`}, run here to digest `,
          h("code", { id: "link-digest" }, digest ?? "—"),
          ".",
        ),
      );
    }
    for (const p of problems) notes.push(h("div", { class: "banner amber", "data-banner": "link-param", "data-param": p.param }, `The link's ?${p.param}: ${p.message}.`));
    this.notes = notes;
    this.host.bannersChanged();
  }

  private showProblems(problems: readonly { line: number; path: string; message: string }[]): void {
    this.host.showError(
      "this link",
      `${problems.length === 1 ? "A parameter" : `${problems.length} parameters`} of the address cannot be used.`,
      problems,
      "A link holds the scenario (src, compressed with deflate-raw, then base64url), the seed, the interventions (iv), the cursor (ev) and the view. Copy it again from the page that shows the run (Copy link).",
    );
  }

  // ------------------------------------------------------------ the buttons

  private enable(on: boolean): void {
    this.copyButton.disabled = !on;
    this.exportSelect.disabled = !on;
  }

  private async copyLink(): Promise<void> {
    if (this.record !== null && this.record.packed === null) await this.pack();
    const link = this.link();
    if (link === null) {
      this.say("This trace records no scenario (header.meta.scenarioSource), so no link can re-make it: export the trace file instead.", true);
      return;
    }
    this.status.dataset["link"] = link;
    try {
      await navigator.clipboard.writeText(link);
      this.say(`Link copied (${link.length.toLocaleString("en-US")} characters).`, false);
    } catch {
      // No clipboard (an insecure origin, or permission refused): the address bar holds the same link.
      this.say("The browser refused the clipboard: copy the address bar, which holds the link.", true);
    }
  }

  private async export(what: "trace" | "scenario" | "png" | "svg"): Promise<void> {
    const model = this.host.model();
    if (model === null) return;
    const base = this.fileBase(model);
    try {
      switch (what) {
        case "trace": {
          const blob = await this.host.wholeTrace();
          if (blob === null) throw new Error("the trace is no longer in the page");
          save(blob, `${base}.trace.jsonl`);
          return this.say(`Saved ${base}.trace.jsonl (${(blob.size / 1e6).toFixed(1)} MB).`, false);
        }
        case "scenario": {
          const record = this.record;
          if (record === null) throw new Error("this trace records no scenario (header.meta.scenarioSource)");
          const { scenarioWithInterventions } = await import("./run.ts");
          const text = scenarioWithInterventions(record.run.source, record.run.interventions, record.run.seed);
          save(new Blob([text], { type: "application/yaml" }), `${base}.yaml`);
          return this.say(`Saved ${base}.yaml: run it with npx zksim run ${base}.yaml`, false);
        }
        case "png": {
          const blob = await new Promise<Blob | null>((resolve) => this.host.canvas().toBlob(resolve, "image/png"));
          if (blob === null) throw new Error("the canvas gave no image");
          save(blob, `${base}.png`);
          return this.say(`Saved ${base}.png.`, false);
        }
        case "svg": {
          const frame = this.host.frame();
          if (frame === null) throw new Error("nothing is drawn");
          const { diagramSvg } = await import("./svg.ts");
          const drawing = diagramSvg(frame, `${base}: ${model.scenarioName ?? "trace"}, seed ${String(model.header.seed)}, digest ${this.host.digest() ?? "—"}`);
          save(new Blob([drawing.text], { type: "image/svg+xml" }), `${base}.svg`);
          this.status.dataset["svgArrows"] = String(drawing.arrows);
          return this.say(`Saved ${base}.svg: ${drawing.arrows.toLocaleString("en-US")} arrows${drawing.arrows < drawing.arrowsInView ? ` standing for ${drawing.arrowsInView.toLocaleString("en-US")}` : ""}${drawing.capped ? ", cut short (zoom in for the rest)" : ""}.`, false);
        }
        default: {
          const unknown: never = what;
          throw new Error(`unknown export ${String(unknown)}`);
        }
      }
    } catch (error) {
      this.say(`Could not export the ${what}: ${error instanceof Error ? error.message : String(error)}.`, true);
    }
  }

  /** NAME-SEED, as zksim run names its traces. */
  private fileBase(model: TraceModel): string {
    const name = (this.record?.name ?? model.scenarioName ?? "trace").replace(/[^A-Za-z0-9._-]/g, "-");
    return `${name}-${String(model.header.seed)}`;
  }

  private say(text: string, bad: boolean): void {
    this.status.textContent = text;
    this.status.classList.toggle("share-bad", bad);
    this.status.hidden = false;
    if (this.statusTimer !== null) clearTimeout(this.statusTimer);
    this.statusTimer = setTimeout(() => {
      this.status.hidden = true;
    }, STATUS_MS);
  }
}

/** Saves a file through the browser's download. */
function save(blob: Blob, name: string): void {
  const url = URL.createObjectURL(blob);
  const a = h("a", { href: url, download: name });
  document.body.appendChild(a);
  a.click();
  a.remove();
  // The download has its own reference by now; the address can go.
  setTimeout(() => URL.revokeObjectURL(url), 60_000);
}
