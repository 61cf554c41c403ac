import { EV, EVENT_KIND_NAMES, MSG_DELIVERED, MSG_DROPPED, MSG_DUPLICATE, OUTCOME_NAMES, type TraceModel } from "./trace-model.ts";

/** Short descriptions of events, messages and operations, for hover and the details panel. */

export function formatUs(us: number): string {
  if (!Number.isFinite(us)) return "—";
  if (Math.abs(us) >= 1_000_000) return `${(us / 1_000_000).toFixed(6)} s`;
  if (Math.abs(us) >= 1_000) return `${(us / 1_000).toFixed(3)} ms`;
  return `${us} µs`;
}

export function laneName(model: TraceModel, lane: number): string {
  return lane < 0 ? "—" : (model.lanes[lane]?.id ?? `lane ${lane}`);
}

export function describeMessage(model: TraceModel, m: number): string {
  const msgs = model.messages;
  const t = model.events.t;
  const type = model.messageTypes[msgs.type[m] as number] ?? "?";
  const sendUs = t[msgs.sendEv[m] as number] as number;
  const endEv = msgs.endEv[m] as number;
  const flags = msgs.flags[m] as number;
  const parts = [`#${msgs.id[m]} ${type}  ${laneName(model, msgs.from[m] as number)} → ${laneName(model, msgs.to[m] as number)}`, `sent ${formatUs(sendUs)}`];
  if (endEv < 0) parts.push("still in flight at the end");
  else {
    const endUs = t[endEv] as number;
    const verb = (flags & MSG_DROPPED) !== 0 ? "dropped" : (flags & MSG_DELIVERED) !== 0 ? "delivered" : "ended";
    parts.push(`${verb} ${formatUs(endUs)} (after ${formatUs(endUs - sendUs)})`);
  }
  if ((flags & MSG_DUPLICATE) !== 0) {
    const original = msgs.dupOf[m] as number;
    parts.push(`a duplicate${original >= 0 ? ` of #${msgs.id[original]}` : ""}`);
  }
  const path = msgs.path[m] as number;
  if (path >= 0) parts.push(`path ${model.paths[path]}`);
  const session = msgs.session[m] as number;
  if (!Number.isNaN(session)) parts.push(`session ${session}`);
  return parts.join(" · ");
}

export function describeEvent(model: TraceModel, ev: number): string {
  const e = model.events;
  const kind = e.kind[ev] as number;
  const head = `event #${ev} at ${formatUs(e.t[ev] as number)}: ${EVENT_KIND_NAMES[kind] ?? "?"} on ${laneName(model, e.lane[ev] as number)}`;
  const m = e.msg[ev] as number;
  if (m >= 0) return `${head} · ${describeMessage(model, m)}`;
  const code = e.code[ev] as number;
  switch (kind) {
    case EV.note:
      return `${head} · ${model.noteKinds[code] ?? "?"}`;
    case EV.fault:
      return `${head} · ${model.faultTypes[code] ?? "?"}`;
    case EV.foreign:
      return `${head} · type "${model.foreignTypes[code] ?? "?"}" (unknown to this viewer)`;
    case EV.violation: {
      const v = model.violations.find((x) => x.ev === ev);
      if (v === undefined) return head;
      const where = e.lane[ev] as number;
      const lead = `event #${ev}: ${v.check} broken${where < 0 ? "" : ` on ${laneName(model, where)}`}`;
      // A check judged after the run is reported at its end; say when it was first broken.
      return v.anchorEv === ev ? `${lead} at ${formatUs(v.atUs)} · ${v.message}` : `${lead}, first at ${formatUs(v.atUs)} (by event #${v.anchorEv}; judged after the run) · ${v.message}`;
    }
    default:
      return head;
  }
}

export function describeSpan(model: TraceModel, s: number): string {
  const spans = model.spans;
  const t = model.events.t;
  const start = t[spans.startEv[s] as number] as number;
  const endEv = spans.endEv[s] as number;
  const xid = spans.xid[s] as number;
  const op = model.opNames[spans.op[s] as number] ?? "?";
  const outcome = OUTCOME_NAMES[spans.outcome[s] as number] ?? "?";
  const end = endEv < 0 ? "not answered by the end" : `${formatUs(t[endEv] as number)} (${formatUs((t[endEv] as number) - start)})`;
  return `${laneName(model, spans.lane[s] as number)} ${op}${Number.isNaN(xid) ? "" : ` xid ${xid}`} · ${outcome} · from ${formatUs(start)} to ${end}`;
}

/** What the trace itself says about a lane at an event: crashed or paused, leading or campaigning. */
export function laneFactsAt(model: TraceModel, lane: number, ev: number): string[] {
  const facts: string[] = [];
  for (const interval of model.laneIntervals) {
    if (interval.lane !== lane || interval.startEv > ev || (interval.endEv >= 0 && interval.endEv <= ev)) continue;
    facts.push(interval.kind === "leader" || interval.kind === "candidate" ? `${interval.kind} ${interval.label}` : interval.kind);
  }
  return facts;
}
