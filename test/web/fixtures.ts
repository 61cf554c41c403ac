import { readFileSync } from "node:fs";
import { join } from "node:path";
import { parseScenario, runScenario, type ScenarioReport } from "../../src/scenario/index.ts";
import { MemorySink, TraceReader, type TraceEvent } from "../../src/sim/index.ts";
import { TraceModelBuilder, type TraceModel } from "../../web/src/model/trace-model.ts";

/** Traces of bundled scenarios, made in this process the way `zksim run` makes them (with the scenario in the header). */

export const ROOT = join(import.meta.dirname, "..", "..");

export interface MadeTrace {
  readonly lines: readonly string[];
  readonly text: string;
  readonly report: ScenarioReport;
}

const made = new Map<string, Promise<MadeTrace>>();

export function scenarioSource(name: string): string {
  return readFileSync(join(ROOT, "scenarios", `${name}.yaml`), "utf8");
}

export function traceOf(name: string, seed?: number): Promise<MadeTrace> {
  const key = `${name}:${seed ?? ""}`;
  let trace = made.get(key);
  if (trace === undefined) {
    trace = (async () => {
      const source = scenarioSource(name);
      const sink = new MemorySink();
      const report = await runScenario(parseScenario(source, `${name}.yaml`), {
        ...(seed === undefined ? {} : { seed }),
        traceSink: sink,
        traceMeta: { scenarioFile: `${name}.yaml`, scenarioSource: source },
      });
      return { lines: sink.lines, text: sink.text(), report };
    })();
    made.set(key, trace);
  }
  return trace;
}

/** A model built from trace lines the way the page's worker builds it. */
export function modelOf(lines: readonly string[]): TraceModel {
  const builder = new TraceModelBuilder();
  const reader = new TraceReader({
    header: (header) => builder.header(header),
    event: (event) => builder.event(event),
    foreignEvent: (event) => builder.foreign(event),
    summary: (summary) => builder.summary(summary),
  });
  for (const line of lines) reader.line(line);
  const result = reader.end();
  if (result.problems.length > 0) throw new Error(`bad trace: ${JSON.stringify(result.problems)}`);
  return builder.finish();
}

/** Message types the diagram and the ring hide by default. */
export const HEARTBEATS: ReadonlySet<string> = new Set(["heartbeat", "heartbeat-ack", "zk-ping", "zk-pong"]);

/** A trace's events, from its lines (header and summary left out). */
export function eventsOf(lines: readonly string[]): TraceEvent[] {
  return lines.slice(1, -1).map((line) => JSON.parse(line) as TraceEvent);
}

/** The last delivery to `node` before event `ev` (an acceptor takes a value when the accept is delivered). */
export function lastDeliveryBefore(events: readonly TraceEvent[], ev: number, node: string): number {
  for (let k = ev - 1; k >= 0; k--) {
    const e = events[k] as TraceEvent;
    if (e.type === "deliver" && e.to === node) return k;
  }
  return -1;
}

/** Messages sent at or before the cursor's instant and not yet delivered or dropped, heartbeats left out (as the diagram and the ring show them). */
export function inflightAt(events: readonly TraceEvent[], cursor: number, endUs: number): number {
  const t = (events[cursor] as TraceEvent).t;
  const sent = new Map<number, { t: number; type: string }>();
  const ended = new Map<number, number>();
  for (const e of events) {
    if (e.type === "send") sent.set(e.id, { t: e.t, type: (e.msg as { type: string }).type });
    if (e.type === "duplicate") sent.set(e.id, { t: e.t, type: sent.get(e.of)?.type ?? "?" });
    if (e.type === "deliver" || e.type === "drop") ended.set(e.id, e.t);
  }
  let count = 0;
  for (const [id, s] of sent) if (!HEARTBEATS.has(s.type) && s.t <= t && t < (ended.get(id) ?? endUs)) count++;
  return count;
}
