import type { ScenarioInput } from "../../../src/scenario/index.ts";
import { packText, unpackText, UnpackError } from "./codec.ts";

/**
 * The page's address as a run: the scenario (compressed), the seed, the
 * interventions of the branch shown, the cursor and the view settings. A
 * pure translation between a query string and a LinkState, both ways; the
 * page decides what to do with it (share.ts). Every parameter that cannot be
 * read is named in a problem, with what was expected, never dropped.
 *
 *   ?src=<deflate-raw, base64url: the scenario's YAML>
 *   &seed=7                         the seed (absent: the scenario's own)
 *   &iv=<deflate-raw, base64url: a JSON list of fault entries with `at`>
 *   &ev=1234                        the cursor, an event index
 *   &order=1 &hb=1                  event order; heartbeats shown
 *   &hide=s2,c4 &hideTypes=zk-touch nodes and message types hidden
 *   &marks=start,timer              the kinds of bookkeeping event marked (default start)
 *   &window=2000000-4000000         a window of virtual time, µs
 *   &zoom=1500000,2500000           the stretch in view (µs, or rows in event order)
 */

/** One intervention: a timed fault entry, written as a scenario's `faults` writes it. */
export type Intervention = NonNullable<ScenarioInput["faults"]>[number];

/** The bookkeeping kinds a person may mark on the lanes, by name (filters-panel.ts). */
export const MARK_NAMES = ["start", "timer", "sync", "note"] as const;
export type MarkName = (typeof MARK_NAMES)[number];
const MARKS_DEFAULT: readonly MarkName[] = ["start"];

/** A run a link carries: the scenario as written, its seed, and the interventions appended to its faults. */
export interface LinkRun {
  readonly source: string;
  /** null: the scenario's own seed. */
  readonly seed: number | null;
  readonly interventions: readonly Intervention[];
}

/** How the run is shown. Names, not indexes: a link must not depend on the order a model was built in. */
export interface LinkView {
  readonly order: boolean;
  readonly heartbeats: boolean;
  readonly hiddenNodes: readonly string[];
  readonly hiddenTypes: readonly string[];
  readonly marks: readonly MarkName[];
  readonly windowUs: readonly [number, number] | null;
  /** The stretch of coordinates in view; null for the whole run. */
  readonly zoom: readonly [number, number] | null;
}

export interface LinkState {
  /** null: the address names no run of its own (it opens a trace, or a bundled scenario by name). */
  readonly run: LinkRun | null;
  /** The cursor's event; null when the link does not say. */
  readonly cursor: number | null;
  readonly view: LinkView;
}

/** A parameter that cannot be read: which one, and what was expected. */
export interface LinkProblem {
  readonly param: string;
  readonly message: string;
}

export type LinkDecoded = { readonly ok: true; readonly state: LinkState } | { readonly ok: false; readonly problems: readonly LinkProblem[] };

/** The run's packed parts, computed once per run (compression is async), then reused for every address. */
export interface PackedRun {
  readonly src: string;
  readonly seed: number | null;
  /** null when there are no interventions. */
  readonly iv: string | null;
}

/** The parameters this module reads and writes; others in an address pass through untouched. */
export const LINK_PARAMS: readonly string[] = ["src", "seed", "iv", "ev", "order", "hb", "hide", "hideTypes", "marks", "window", "zoom"];

/** Interventions a link may carry (each is an event in the run: a bound, far above any person's clicking). */
export const INTERVENTIONS_MAX = 10_000;
/** Names hidden by a link, per list. */
const NAMES_MAX = 1_000;

const NODE_ID = /^[a-z][a-z0-9-]*$/;
const TYPE_NAME = /^[A-Za-z0-9][A-Za-z0-9._:-]*$/;
const WHOLE = /^\d+$/;
const DECIMAL = /^-?\d+(?:\.\d+)?(?:e[+-]?\d+)?$/;

export function defaultLinkView(): LinkView {
  return { order: false, heartbeats: false, hiddenNodes: [], hiddenTypes: [], marks: MARKS_DEFAULT, windowUs: null, zoom: null };
}

// ------------------------------------------------------------ encoding

export async function packRun(run: LinkRun): Promise<PackedRun> {
  return {
    src: await packText(run.source),
    seed: run.seed,
    iv: run.interventions.length === 0 ? null : await packText(JSON.stringify(run.interventions)),
  };
}

/**
 * The query string (without "?") for a run, a cursor and a view, in a fixed
 * order; `passthrough` parameters (another run part such as trace=URL, or
 * reruns=off) come first, as given.
 */
export function linkQuery(run: PackedRun | null, cursor: number | null, view: LinkView, passthrough: readonly (readonly [string, string])[] = []): string {
  const parts: [string, string][] = passthrough.map(([k, v]) => [k, v]);
  if (run !== null) {
    parts.push(["src", run.src]);
    if (run.seed !== null) parts.push(["seed", String(run.seed)]);
    if (run.iv !== null) parts.push(["iv", run.iv]);
  }
  if (cursor !== null && cursor >= 0) parts.push(["ev", String(cursor)]);
  if (view.order) parts.push(["order", "1"]);
  if (view.heartbeats) parts.push(["hb", "1"]);
  if (view.hiddenNodes.length > 0) parts.push(["hide", view.hiddenNodes.join(",")]);
  if (view.hiddenTypes.length > 0) parts.push(["hideTypes", view.hiddenTypes.join(",")]);
  if (!sameList(view.marks, MARKS_DEFAULT)) parts.push(["marks", view.marks.join(",")]);
  if (view.windowUs !== null) parts.push(["window", `${view.windowUs[0]}-${view.windowUs[1]}`]);
  if (view.zoom !== null) parts.push(["zoom", `${view.zoom[0]},${view.zoom[1]}`]);
  // Commas are legal in a query and keep the lists readable.
  return parts.map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(v).replace(/%2C/g, ",")}`).join("&");
}

/** The whole state as a query string. */
export async function encodeLink(state: LinkState): Promise<string> {
  return linkQuery(state.run === null ? null : await packRun(state.run), state.cursor, state.view);
}

// ------------------------------------------------------------ decoding

/** Reads a query string (or its parameters) into a LinkState, or names every parameter that is wrong. */
export async function decodeLink(query: string | URLSearchParams): Promise<LinkDecoded> {
  const params = typeof query === "string" ? new URLSearchParams(query) : query;
  const problems: LinkProblem[] = [];
  const run = params.has("src") ? await decodeRun(params, problems) : null;
  if (!params.has("src") && params.has("iv")) problems.push({ param: "iv", message: "interventions need the scenario they apply to (src)" });
  const cursor = decodeCursor(params, problems);
  const view = decodeView(params, problems);
  if (problems.length > 0) return { ok: false, problems };
  return { ok: true, state: { run, cursor, view } };
}

async function decodeRun(params: URLSearchParams, problems: LinkProblem[]): Promise<LinkRun | null> {
  const src = params.get("src") ?? "";
  let source: string | null = null;
  if (src === "") problems.push({ param: "src", message: "it is empty (expected the scenario, compressed: deflate-raw, then base64url)" });
  else source = await unpack("src", src, problems);
  const seed = decodeSeed(params, problems);
  const interventions = params.has("iv") ? await decodeInterventions(params.get("iv") ?? "", problems) : [];
  if (source === null || seed === undefined || interventions === null) return null;
  return { source, seed, interventions };
}

async function unpack(param: string, packed: string, problems: LinkProblem[]): Promise<string | null> {
  try {
    return await unpackText(packed);
  } catch (error) {
    if (!(error instanceof UnpackError)) throw error;
    problems.push({ param, message: `${error.message}; expected text compressed with deflate-raw, then base64url` });
    return null;
  }
}

/** The seed: a whole number the scenario schema accepts; absent means the scenario's own. undefined: wrong. */
function decodeSeed(params: URLSearchParams, problems: LinkProblem[]): number | null | undefined {
  const text = params.get("seed");
  if (text === null) return null;
  const seed = wholeNumber(text);
  if (seed === null) {
    problems.push({ param: "seed", message: `expected a whole number from 0 to ${Number.MAX_SAFE_INTEGER}, got ${quote(text)}` });
    return undefined;
  }
  return seed;
}

/** A JSON (so also YAML) list of fault entries, each a mapping with `at`. The scenario's schema judges the rest (share/run.ts). */
async function decodeInterventions(packed: string, problems: LinkProblem[]): Promise<Intervention[] | null> {
  if (packed === "") return [];
  const text = await unpack("iv", packed, problems);
  if (text === null) return null;
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (error) {
    problems.push({ param: "iv", message: `it is not JSON (${error instanceof Error ? error.message : String(error)}); expected a list of fault entries such as [{"at":"3s","crash":"leader"}]` });
    return null;
  }
  if (!Array.isArray(data)) {
    problems.push({ param: "iv", message: `expected a list of fault entries such as [{"at":"3s","crash":"leader"}], got ${typeof data === "object" ? (data === null ? "null" : "a mapping") : typeof data}` });
    return null;
  }
  if (data.length > INTERVENTIONS_MAX) {
    problems.push({ param: "iv", message: `${data.length} interventions: at most ${INTERVENTIONS_MAX}` });
    return null;
  }
  const bad = data.findIndex((entry) => typeof entry !== "object" || entry === null || Array.isArray(entry) || typeof (entry as { at?: unknown }).at !== "string");
  if (bad >= 0) {
    problems.push({ param: "iv", message: `interventions[${bad}]: expected a fault entry with a time, such as {"at":"3s","crash":"leader"}` });
    return null;
  }
  return data as Intervention[];
}

function decodeCursor(params: URLSearchParams, problems: LinkProblem[]): number | null {
  const text = params.get("ev");
  if (text === null) return null;
  const ev = wholeNumber(text);
  if (ev === null) problems.push({ param: "ev", message: `expected an event index (a whole number, 0 for the first event), got ${quote(text)}` });
  return ev;
}

function decodeView(params: URLSearchParams, problems: LinkProblem[]): LinkView {
  const defaults = defaultLinkView();
  return {
    order: flag(params, "order", problems),
    heartbeats: flag(params, "hb", problems),
    hiddenNodes: names(params, "hide", NODE_ID, "node ids such as s2 or c4", problems),
    hiddenTypes: names(params, "hideTypes", TYPE_NAME, "message types such as zk-touch", problems),
    marks: marks(params, problems) ?? defaults.marks,
    windowUs: timeWindow(params, problems),
    zoom: zoom(params, problems),
  };
}

function flag(params: URLSearchParams, param: string, problems: LinkProblem[]): boolean {
  const text = params.get(param);
  if (text === null || text === "0") return false;
  if (text === "1") return true;
  problems.push({ param, message: `expected 1 or 0, got ${quote(text)}` });
  return false;
}

function names(params: URLSearchParams, param: string, pattern: RegExp, what: string, problems: LinkProblem[]): string[] {
  const text = params.get(param);
  if (text === null || text === "") return [];
  const list = text.split(",");
  if (list.length > NAMES_MAX) {
    problems.push({ param, message: `${list.length} names: at most ${NAMES_MAX}` });
    return [];
  }
  const bad = list.find((name) => !pattern.test(name));
  if (bad !== undefined) problems.push({ param, message: `expected ${what}, separated by commas; ${quote(bad)} is not one` });
  const repeated = list.find((name, index) => list.indexOf(name) !== index);
  if (bad === undefined && repeated !== undefined) problems.push({ param, message: `${quote(repeated)} is named twice` });
  return list;
}

function marks(params: URLSearchParams, problems: LinkProblem[]): MarkName[] | null {
  const text = params.get("marks");
  if (text === null) return null;
  if (text === "") return [];
  const list = text.split(",");
  const bad = list.find((name) => !(MARK_NAMES as readonly string[]).includes(name));
  if (bad !== undefined) {
    problems.push({ param: "marks", message: `expected some of ${MARK_NAMES.join(", ")} (separated by commas); ${quote(bad)} is not one` });
    return null;
  }
  const repeated = list.find((name, index) => list.indexOf(name) !== index);
  if (repeated !== undefined) problems.push({ param: "marks", message: `${quote(repeated)} is named twice` });
  return list as MarkName[];
}

function timeWindow(params: URLSearchParams, problems: LinkProblem[]): [number, number] | null {
  const text = params.get("window");
  if (text === null) return null;
  const match = /^(\d+)-(\d+)$/.exec(text);
  const from = match === null ? null : wholeNumber(match[1] as string);
  const to = match === null ? null : wholeNumber(match[2] as string);
  if (from === null || to === null || from >= to) {
    problems.push({ param: "window", message: `expected FROM-TO in virtual µs, FROM below TO (such as 2000000-4000000), got ${quote(text)}` });
    return null;
  }
  return [from, to];
}

function zoom(params: URLSearchParams, problems: LinkProblem[]): [number, number] | null {
  const text = params.get("zoom");
  if (text === null) return null;
  const parts = text.split(",");
  const numbers = parts.map((part) => (DECIMAL.test(part) ? Number(part) : Number.NaN));
  const [top, bottom] = numbers as [number, number];
  if (parts.length !== 2 || !Number.isFinite(top) || !Number.isFinite(bottom) || top >= bottom) {
    problems.push({ param: "zoom", message: `expected TOP,BOTTOM: the stretch in view (virtual µs, or rows in event order), TOP above BOTTOM, got ${quote(text)}` });
    return null;
  }
  return [top, bottom];
}

/** A whole number from 0 to 2^53 - 1 written in decimal digits, or null. */
function wholeNumber(text: string): number | null {
  if (!WHOLE.test(text) || text.length > 16) return null;
  const n = Number(text);
  return Number.isSafeInteger(n) ? n : null;
}

function sameList(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((x, k) => x === b[k]);
}

function quote(text: string): string {
  return JSON.stringify(text.length > 60 ? `${text.slice(0, 60)}…` : text);
}
