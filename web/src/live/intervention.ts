import type { Intervention } from "../../../src/scenario/index.ts";
import { formatUs } from "../model/describe.ts";

/**
 * What a person can do to a live run, as the scenario entries they become
 * (a fault entry without its `at`: the run applies it at its current instant
 * and records the `at`). How each is named in the page.
 */

/** The client operations the console submits. */
export const CONSOLE_OPS = ["create", "setData", "getData", "delete", "sync"] as const;
export type ConsoleOp = (typeof CONSOLE_OPS)[number];

export interface ClientRequest {
  readonly client: string;
  readonly op: ConsoleOp;
  readonly path: string;
  readonly data?: string;
  readonly version?: number;
  readonly watch?: boolean;
}

/** An intervention: a scenario fault entry without `at` (durations as text, "20ms"), as the core's LiveRun takes it. */
export type LiveIntervention = Intervention;

/** A short name for an intervention or a recorded entry (its `at`, when it has one, is left to the caller). */
export function describeIntervention(entry: object): string {
  const e = entry as Record<string, unknown>;
  const node = (key: string) => String(e[key]);
  if (e["crash"] !== undefined) return `crash ${node("crash")}`;
  if (e["restart"] !== undefined) return `restart ${node("restart")}`;
  if (e["pause"] !== undefined) return `pause ${node("pause")}`;
  if (e["resume"] !== undefined) return `resume ${node("resume")}`;
  if (e["isolate"] !== undefined) return `isolate ${node("isolate")}`;
  if (e["heal"] !== undefined) return "heal every link";
  if (e["skew"] !== undefined) {
    const skew = e["skew"] as { node: string; by?: number | string };
    const by = skew.by ?? 0;
    if (typeof by === "string") return `step ${skew.node}'s clock ${by.startsWith("-") ? by.replace("-", "−") : `+${by}`}`;
    return `step ${skew.node}'s clock ${by >= 0 ? "+" : "−"}${formatUs(Math.abs(by))}`;
  }
  if (e["cut"] !== undefined) {
    const cut = e["cut"] as { from: string; to: string; oneWay?: boolean };
    return `cut ${cut.from} ${cut.oneWay === true ? "→" : "↔"} ${cut.to}`;
  }
  if (e["partition"] !== undefined) return `partition ${(e["partition"] as string[][]).map((g) => g.join(",")).join(" | ")}`;
  if (e["drop"] !== undefined) return `drop message #${String(e["drop"])}`;
  if (e["duplicate"] !== undefined) return `duplicate message #${String(e["duplicate"])}`;
  if (e["delay"] !== undefined) {
    const delay = e["delay"] as { message: number; by: number | string };
    return `delay message #${delay.message} by ${typeof delay.by === "number" ? formatUs(delay.by) : delay.by}`;
  }
  if (e["request"] !== undefined) {
    const r = e["request"] as ClientRequest;
    const extra = r.op === "create" || r.op === "setData" ? ` "${r.data ?? ""}"` : r.op === "getData" && r.watch === true ? " with a watch" : "";
    return `${r.client}: ${r.op} ${r.path}${extra}`;
  }
  if (e["network"] !== undefined) return "change the network";
  return JSON.stringify(entry);
}

/** A recorded entry, with its instant: "2.000000 s crash s3". */
export function describeRecorded(entry: { readonly at: number }): string {
  return `${formatUs(entry.at)} · ${describeIntervention(entry)}`;
}

/** The request the console builds from its fields; an error names the field and what was expected. */
export function consoleRequest(fields: { client: string; op: string; path: string; data: string; version: string; watch: boolean }): { ok: true; request: ClientRequest } | { ok: false; message: string } {
  if (fields.client === "") return { ok: false, message: "client: expected one of the scenario's clients" };
  if (!(CONSOLE_OPS as readonly string[]).includes(fields.op)) return { ok: false, message: `operation: expected one of ${CONSOLE_OPS.join(", ")}` };
  const op = fields.op as ConsoleOp;
  if (!/^\/[^\s]*$/.test(fields.path) || (fields.path.length > 1 && fields.path.endsWith("/"))) return { ok: false, message: `path: expected an absolute znode path such as /x, got '${fields.path}'` };
  const versionText = fields.version.trim();
  const version = versionText === "" ? -1 : Number(versionText);
  if (!Number.isSafeInteger(version) || version < -1) return { ok: false, message: `version: expected a whole number, -1 for any, got '${fields.version}'` };
  const request: ClientRequest = {
    client: fields.client,
    op,
    path: fields.path,
    ...(op === "create" || op === "setData" ? { data: fields.data } : {}),
    ...(op === "setData" || op === "delete" ? { version } : {}),
    ...(op === "getData" ? { watch: fields.watch } : {}),
  };
  return { ok: true, request };
}
