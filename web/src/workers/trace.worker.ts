import type { ScenarioReport } from "../../../src/scenario/index.ts";
import { TraceReader, type TraceEvent, type TraceReadResult } from "../../../src/sim/index.ts";
import { Column } from "../model/growable.ts";
import { modelTransferables, TraceModelBuilder } from "../model/trace-model.ts";
import type { ReadSummary, TraceSource, TraceWorkerRequest, TraceWorkerResponse } from "../protocol.ts";
import { PaxosFactsBuilder, paxosFactsTransferables } from "../lenses/paxos-facts.ts";
import { ByteLines } from "./byte-lines.ts";
import { lessonFacts } from "../lessons/facts.ts";
import { readFileInSlices, readUrlStream } from "./sources.ts";

/**
 * Reads a trace into a model, off the page's thread: a file in slices, a
 * URL as a stream, or the lines of a scenario run here and now. Every line
 * goes through the core's TraceReader (the trace's zod schemas), and the
 * model is handed to the page with its arrays transferred, not copied. The
 * worker keeps where each event's line is, to send one back on request.
 */

const scope = self as unknown as DedicatedWorkerGlobalScope;

/** The longest line accepted: a file with no line end this far in is no trace. */
const LINE_BYTES_MAX = 64 * 1024 * 1024;
/** How often progress is reported, in events. */
const PROGRESS_EVERY = 50_000;

/** Where each event's line is: in a file (byte ranges) or in memory (lines of a run made here). */
interface LineStore {
  line(ev: number): Promise<string | null>;
  /** The whole trace: the file as read, or every line the run wrote (header, events, summary). */
  whole(): Blob;
}

let lines: LineStore | null = null;

scope.onmessage = (message: MessageEvent<TraceWorkerRequest>) => {
  const request = message.data;
  switch (request.kind) {
    case "open":
      void open(request.source).catch((error: unknown) => post({ kind: "failed", name: nameOf(request.source), message: errorText(error), problems: [] }));
      return;
    case "line":
      void (lines?.line(request.ev) ?? Promise.resolve(null)).then((text) => post({ kind: "line", requestId: request.requestId, text }));
      return;
    case "whole":
      post({ kind: "whole", requestId: request.requestId, blob: lines?.whole() ?? null });
      return;
    default: {
      const unknown: never = request;
      throw new Error(`unknown request ${String(unknown)}`);
    }
  }
};

function post(response: TraceWorkerResponse, transfer: Transferable[] = []): void {
  scope.postMessage(response, transfer);
}

async function open(source: TraceSource): Promise<void> {
  const started = performance.now();
  const builder = new TraceModelBuilder();
  // What the Paxos lenses read from the payloads, which the page never holds.
  const paxos = new PaxosFactsBuilder();
  const name = nameOf(source);
  let events = 0;
  // A lesson's run keeps its events, to find the lesson's steps in them (lessons run small scenarios).
  const lessonEvents: TraceEvent[] | null = source.kind === "scenario" && source.lesson !== undefined ? [] : null;
  const reader = new TraceReader({
    header: (header) => builder.header(header),
    event: (event) => {
      builder.event(event);
      lessonEvents?.push(event);
      paxos.event(event);
      if (++events % PROGRESS_EVERY === 0) post({ kind: "progress", events, bytes: bytesRead, bytesTotal });
    },
    foreignEvent: (event) => {
      builder.foreign(event);
      events++;
    },
    summary: (summary) => builder.summary(summary),
  });
  let bytesRead = 0;
  let bytesTotal: number | null = null;
  let report: ScenarioReport | null = null;
  const starts = new Column(Float64Array);
  const lengths = new Column(Int32Array);
  // Event lines are lines 2.. up to the summary; their index is their event number.
  const eventLine = (byteStart: number, byteLength: number) => {
    starts.push(byteStart);
    lengths.push(byteLength);
  };

  if (source.kind === "scenario") {
    // Every line the run wrote: the header first, so event ev is line ev + 1.
    const written: string[] = [];
    report = await runHere(source, (line) => {
      reader.line(line);
      written.push(line);
      bytesRead += line.length + 1;
    });
    lines = {
      line: (ev) => Promise.resolve(ev >= 0 && ev < events ? (written[ev + 1] ?? null) : null),
      // As zksim run writes a trace file: one line each, every one ended.
      whole: () => new Blob([written.join("\n"), "\n"], { type: "application/jsonl" }),
    };
  } else {
    const chunks: Uint8Array[] = [];
    const splitter = new ByteLines((text, byteStart, byteLength) => {
      const before = events;
      reader.line(text);
      if (events > before) eventLine(byteStart, byteLength);
    }, LINE_BYTES_MAX);
    const feed = (chunk: Uint8Array) => {
      bytesRead += chunk.length;
      splitter.push(chunk);
    };
    if (source.kind === "file") {
      bytesTotal = source.file.size;
      await readFileInSlices(source.file, feed, () => reader.stopped || splitter.tooLong);
    } else {
      bytesTotal = await readUrlStream(source.url, (chunk) => {
        chunks.push(chunk);
        feed(chunk);
      }, () => reader.stopped || splitter.tooLong);
    }
    if (splitter.tooLong) {
      post({ kind: "failed", name, message: `${name} is not a zksim trace`, problems: [{ line: 1, path: "", message: `expected a line end within ${LINE_BYTES_MAX} bytes (a trace has one JSON object per line)` }] });
      return;
    }
    splitter.end();
    const blob = source.kind === "file" ? source.file : new Blob(chunks as BlobPart[]);
    const lineStarts = starts.finish();
    const lineLengths = lengths.finish();
    lines = {
      line: async (ev) => {
        if (ev < 0 || ev >= lineStarts.length) return null;
        const start = lineStarts[ev] as number;
        return blob.slice(start, start + (lineLengths[ev] as number)).text();
      },
      whole: () => blob,
    };
  }

  const result = reader.end();
  if (result.problems.length > 0 || result.header === undefined) {
    post({ kind: "failed", name, message: failureMessage(name, result), problems: result.problems });
    return;
  }
  const model = builder.finish();
  const read: ReadSummary = {
    name,
    lines: result.lines,
    bytes: bytesRead,
    digestRead: result.digest,
    foreignTypes: Object.fromEntries(result.foreignTypes),
    wallMs: performance.now() - started,
  };
  const facts = paxos.finish();
  const lesson = source.kind === "scenario" && source.lesson !== undefined && lessonEvents !== null ? lessonFacts(source.lesson, lessonEvents) : undefined;
  post({ kind: "model", model, read, report, paxos: facts, ...(lesson === undefined ? {} : { lesson }) }, [...modelTransferables(model), ...paxosFactsTransferables(facts)]);
}

/**
 * Runs a scenario here, its trace lines going to `line` as they are written.
 * The runner (and with it the whole service) is loaded only for this: opening
 * a trace file needs the reader alone.
 */
async function runHere(source: Extract<TraceSource, { kind: "scenario" }>, line: (text: string) => void): Promise<ScenarioReport> {
  const { parseScenario, runScenario } = await import("../../../src/scenario/index.ts");
  const scenario = parseScenario(source.source, `${source.name}.yaml`);
  return runScenario(scenario, {
    ...(source.seed === null ? {} : { seed: source.seed }),
    traceSink: { write: line },
    traceMeta: { scenarioFile: `${source.name}.yaml`, scenarioSource: source.source },
  });
}

function failureMessage(name: string, result: TraceReadResult): string {
  if (result.header === undefined) return `${name} is not a zksim trace`;
  const n = result.problems.length;
  return `${name}: ${n} problem${n === 1 ? "" : "s"}${result.stopped ? " (reading stopped there)" : ""}`;
}

function nameOf(source: TraceSource): string {
  switch (source.kind) {
    case "file":
      return source.file.name;
    case "url":
      return source.url;
    case "scenario":
      return `scenario ${source.name}`;
    default: {
      const unknown: never = source;
      return String(unknown);
    }
  }
}

function errorText(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
