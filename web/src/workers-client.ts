import type {
  InspectRequest,
  InspectResponse,
  ReadSummary,
  ResimRequest,
  ResimResponse,
  TraceSource,
  TraceWorkerRequest,
  TraceWorkerResponse,
} from "./protocol.ts";
import type { ScenarioReport } from "../../src/scenario/index.ts";
import type { TraceLineProblem } from "../../src/sim/index.ts";
import type { TraceModel } from "./model/trace-model.ts";
import type { LessonFactsResult } from "./lessons/facts.ts";
import type { PaxosFacts } from "./lenses/paxos-facts.ts";

/**
 * The page's side of its three workers. Each trace, re-run or inspection
 * session gets a fresh worker (the old one is ended), so memory from an
 * earlier trace goes with its worker.
 */

export type TraceLoad =
  | { readonly ok: true; readonly model: TraceModel; readonly read: ReadSummary; readonly report: ScenarioReport | null; readonly paxos: PaxosFacts; readonly lesson?: LessonFactsResult }
  | { readonly ok: false; readonly name: string; readonly message: string; readonly problems: readonly TraceLineProblem[] };

export class TraceLoader {
  private worker: Worker | null = null;
  private nextRequest = 1;
  private readonly waiting = new Map<number, (text: string | null) => void>();
  private readonly waitingWhole = new Map<number, (blob: Blob | null) => void>();

  open(source: TraceSource, progress: (events: number, bytes: number, bytesTotal: number | null) => void): Promise<TraceLoad> {
    this.worker?.terminate();
    this.waiting.clear();
    this.waitingWhole.clear();
    const worker = new Worker(new URL("./workers/trace.worker.ts", import.meta.url), { type: "module", name: "zksim-trace" });
    this.worker = worker;
    return new Promise<TraceLoad>((resolve) => {
      worker.onerror = (event) => resolve({ ok: false, name: describe(source), message: `the trace worker failed: ${event.message || "it could not start"}`, problems: [] });
      worker.onmessage = (event: MessageEvent<TraceWorkerResponse>) => {
        const response = event.data;
        switch (response.kind) {
          case "progress":
            progress(response.events, response.bytes, response.bytesTotal);
            return;
          case "model":
            resolve({ ok: true, model: response.model, read: response.read, report: response.report, paxos: response.paxos, ...(response.lesson === undefined ? {} : { lesson: response.lesson }) });
            return;
          case "failed":
            resolve({ ok: false, name: response.name, message: response.message, problems: response.problems });
            return;
          case "line":
            this.waiting.get(response.requestId)?.(response.text);
            this.waiting.delete(response.requestId);
            return;
          case "whole":
            this.waitingWhole.get(response.requestId)?.(response.blob);
            this.waitingWhole.delete(response.requestId);
            return;
          default: {
            const unknown: never = response;
            throw new Error(`unknown response ${String(unknown)}`);
          }
        }
      };
      const request: TraceWorkerRequest = { kind: "open", source };
      worker.postMessage(request);
    });
  }

  /** The whole trace, as a file to save: the bytes of the file or URL read, or every line of the run made here. */
  whole(): Promise<Blob | null> {
    const worker = this.worker;
    if (worker === null) return Promise.resolve(null);
    const requestId = this.nextRequest++;
    return new Promise((resolve) => {
      this.waitingWhole.set(requestId, resolve);
      const request: TraceWorkerRequest = { kind: "whole", requestId };
      worker.postMessage(request);
    });
  }

  /** The full line of an event, as the trace has it. */
  line(ev: number): Promise<string | null> {
    const worker = this.worker;
    if (worker === null) return Promise.resolve(null);
    const requestId = this.nextRequest++;
    return new Promise((resolve) => {
      this.waiting.set(requestId, resolve);
      const request: TraceWorkerRequest = { kind: "line", requestId, ev };
      worker.postMessage(request);
    });
  }
}

export class Resimulator {
  private worker: Worker | null = null;

  run(request: ResimRequest): Promise<ResimResponse> {
    this.worker?.terminate();
    const worker = new Worker(new URL("./workers/resim.worker.ts", import.meta.url), { type: "module", name: "zksim-resim" });
    this.worker = worker;
    return new Promise((resolve) => {
      worker.onerror = (event) => resolve({ kind: "failed", message: `the re-simulation worker failed: ${event.message || "it could not start"}` });
      worker.onmessage = (event: MessageEvent<ResimResponse>) => {
        resolve(event.data);
        worker.terminate();
        if (this.worker === worker) this.worker = null;
      };
      worker.postMessage(request);
    });
  }

  stop(): void {
    this.worker?.terminate();
    this.worker = null;
  }
}

export class InspectorClient {
  private worker: Worker | null = null;
  private nextRequest = 1;
  private latest = 0;

  constructor(private readonly receive: (response: InspectResponse, latest: boolean) => void) {}

  start(init: Extract<InspectRequest, { kind: "init" }>): void {
    this.stop();
    const worker = new Worker(new URL("./workers/inspect.worker.ts", import.meta.url), { type: "module", name: "zksim-inspect" });
    this.worker = worker;
    worker.onerror = (event) => this.receive({ kind: "failed", requestId: null, message: `the inspector worker failed: ${event.message || "it could not start"}` }, true);
    worker.onmessage = (event: MessageEvent<InspectResponse>) => {
      const response = event.data;
      const latest = response.kind !== "inspection" || response.requestId === this.latest;
      this.receive(response, latest);
    };
    worker.postMessage(init);
  }

  /** Asks for every node after event `target`; only the latest question's answer counts. */
  request(target: number): number {
    const worker = this.worker;
    if (worker === null) return 0;
    const requestId = this.nextRequest++;
    this.latest = requestId;
    const request: InspectRequest = { kind: "inspect", requestId, target };
    worker.postMessage(request);
    return requestId;
  }

  get running(): boolean {
    return this.worker !== null;
  }

  stop(): void {
    this.worker?.terminate();
    this.worker = null;
  }
}

function describe(source: TraceSource): string {
  return source.kind === "file" ? source.file.name : source.kind === "url" ? source.url : `scenario ${source.name}`;
}
