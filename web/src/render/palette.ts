import * as d3 from "d3";
import { OUTCOME } from "../model/trace-model.ts";

/**
 * Colours: one per message type (the protocol's own words keep their colour
 * from trace to trace), one per outcome, one per network group.
 */
const KNOWN: Readonly<Record<string, string>> = {
  prepare: "#1f77b4",
  promise: "#17becf",
  accept: "#2ca02c",
  accepted: "#98df8a",
  reject: "#d62728",
  decided: "#9467bd",
  fetch: "#8c564b",
  entries: "#c49c94",
  "snapshot-chunk": "#c49c94",
  heartbeat: "#c7c7c7",
  "heartbeat-ack": "#dddddd",
  "zk-ping": "#c7c7c7",
  "zk-pong": "#dddddd",
  "zk-connect": "#ff7f0e",
  "zk-connected": "#ffbb78",
  "zk-refused": "#d62728",
  "zk-request": "#e377c2",
  "zk-reply": "#f7b6d2",
  "zk-watch": "#bcbd22",
  "zk-expired": "#d62728",
  "zk-close": "#7f7f7f",
  "zk-forward": "#9467bd",
  "zk-forward-session": "#c5b0d5",
  "zk-forward-close": "#c5b0d5",
  "zk-touch": "#aec7e8",
};

const FALLBACK = [...d3.schemeTableau10, ...d3.schemeSet2];

export function messageColor(type: string): string {
  const known = KNOWN[type];
  if (known !== undefined) return known;
  let hash = 0;
  for (let k = 0; k < type.length; k++) hash = (Math.imul(hash, 31) + type.charCodeAt(k)) | 0;
  return FALLBACK[Math.abs(hash) % FALLBACK.length] as string;
}

export const OUTCOME_COLORS: Readonly<Record<number, string>> = {
  [OUTCOME.ok]: "#2ca02c",
  [OUTCOME.failed]: "#ff7f0e",
  [OUTCOME.unknown]: "#d62728",
  [OUTCOME.pending]: "#9e9e9e",
};

/** Shading of network groups (0, the majority, is not shaded; -1 is a node cut off alone). */
export function groupShade(group: number): string {
  if (group < 0) return "rgba(214, 39, 40, 0.10)";
  const shades = ["rgba(0,0,0,0)", "rgba(148, 103, 189, 0.12)", "rgba(255, 127, 14, 0.12)", "rgba(23, 190, 207, 0.12)"];
  return shades[group % shades.length] as string;
}

/** A ballot's colour: each leader term its own. */
export function ballotColor(label: string): string {
  let hash = 7;
  for (let k = 0; k < label.length; k++) hash = (Math.imul(hash, 131) + label.charCodeAt(k)) | 0;
  return d3.schemeSet3[Math.abs(hash) % d3.schemeSet3.length] as string;
}

export const COLORS = {
  lane: "#b0b0b0",
  laneText: "#222",
  crashed: "#d62728",
  paused: "#ff9800",
  cursor: "#1565c0",
  chain: "#e31a1c",
  selection: "#111",
  search: "#ffd600",
  violation: "#c62828",
  /** What a lesson step points at. */
  lesson: "#7b1fa2",
} as const;
