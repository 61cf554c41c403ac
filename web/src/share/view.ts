import type { Filters } from "../model/filters.ts";
import type { AxisMode } from "../model/layout.ts";
import { EV, type EventKind, type TraceModel } from "../model/trace-model.ts";
import type { LinkProblem, LinkView, MarkName } from "./link.ts";

/**
 * A link's view settings against a run: names of nodes and message types
 * become the model's indexes and back. A name the run does not have is a
 * problem of its parameter, not a silent no-op.
 */

const MARK_KINDS: Readonly<Record<MarkName, EventKind>> = { start: EV.start, timer: EV.timer, sync: EV.sync, note: EV.note };

/** What the page shows, in the page's own terms. */
export interface PageView {
  readonly mode: AxisMode;
  readonly filters: Filters;
  /** The stretch in view; null for the whole run. */
  readonly zoom: readonly [number, number] | null;
}

/** The page's view as a link writes it: names, and whole µs (or rows to a hundredth) for the stretch in view. */
export function linkViewOf(model: TraceModel, view: PageView): LinkView {
  const { filters } = view;
  const marks = (Object.keys(MARK_KINDS) as MarkName[]).filter((name) => filters.markedKinds.has(MARK_KINDS[name]));
  const roundZoom = (v: number) => (view.mode === "time" ? Math.round(v) : Math.round(v * 100) / 100);
  const zoom = view.zoom === null ? null : ([roundZoom(view.zoom[0]), roundZoom(view.zoom[1])] as const);
  return {
    order: view.mode === "order",
    heartbeats: filters.showHeartbeats,
    hiddenNodes: [...filters.hiddenLanes].sort((a, b) => a - b).map((lane) => model.lanes[lane]?.id ?? ""),
    hiddenTypes: [...filters.hiddenTypes].sort((a, b) => a - b).map((type) => model.messageTypes[type] ?? ""),
    marks,
    windowUs: filters.windowUs === null ? null : [Math.round(filters.windowUs[0]), Math.round(filters.windowUs[1])],
    zoom: zoom !== null && zoom[0] < zoom[1] ? zoom : null,
  };
}

/** The page's view from a link's, with a problem for every name the run does not have. */
export function pageViewOf(model: TraceModel, view: LinkView): { readonly view: PageView; readonly problems: readonly LinkProblem[] } {
  const problems: LinkProblem[] = [];
  const lanes = indexes(view.hiddenNodes, model.lanes.map((lane) => lane.id), "hide", "node", problems);
  const types = indexes(view.hiddenTypes, model.messageTypes, "hideTypes", "message type", problems);
  const filters: Filters = {
    hiddenLanes: new Set(lanes),
    hiddenTypes: new Set(types),
    showHeartbeats: view.heartbeats,
    markedKinds: new Set(view.marks.map((name) => MARK_KINDS[name])),
    windowUs: view.windowUs,
  };
  return { view: { mode: view.order ? "order" : "time", filters, zoom: view.zoom }, problems };
}

function indexes(names: readonly string[], known: readonly string[], param: string, what: string, problems: LinkProblem[]): number[] {
  const found: number[] = [];
  for (const name of names) {
    const index = known.indexOf(name);
    if (index < 0) problems.push({ param, message: `this run has no ${what} ${JSON.stringify(name)} (it has ${known.slice(0, 30).join(", ")}${known.length > 30 ? ", …" : ""})` });
    else found.push(index);
  }
  return found;
}
