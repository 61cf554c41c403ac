import { readFileSync } from "node:fs";
import { join } from "node:path";
import { parseScenario, runScenario, type ScenarioReport } from "../../src/scenario/index.ts";
import { MemorySink, TraceReader } from "../../src/sim/index.ts";
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
