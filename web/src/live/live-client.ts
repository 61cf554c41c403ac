import type { FaultEntry } from "../../../src/scenario/index.ts";
import type { PaxosFacts } from "../lenses/paxos-facts.ts";
import type { TraceModel } from "../model/trace-model.ts";
import type { LiveBranchSpec, LiveFirstDifference, LiveRequest, LiveResponse, LiveStatus, LiveStepMatch } from "../protocol.ts";
import type { LiveIntervention } from "./intervention.ts";

/**
 * The page's side of the live worker: requests with an id are answered
 * through a promise; snapshots and failures without an id go to the
 * callbacks. One worker per live run: starting another ends the old one.
 */

export interface LiveCallbacks {
  snapshot(model: TraceModel, paxos: PaxosFacts, status: LiveStatus, cursor: number): void;
  /** A failure not tied to a request (a slice of play that threw). */
  failed(message: string, problems: readonly { line: number; path: string; message: string }[]): void;
  /** Checkpoints parked in the background: how many serve the branch now. */
  checkpoints(branch: number, held: number): void;
}

export class LiveFailure extends Error {
  override readonly name = "LiveFailure";
  constructor(
    message: string,
    readonly problems: readonly { line: number; path: string; message: string }[],
  ) {
    super(message);
  }
}

type Waiting = { resolve(response: LiveResponse): void; reject(error: LiveFailure): void };

export class LiveClient {
  private worker: Worker | null = null;
  private nextRequest = 1;
  private readonly waiting = new Map<number, Waiting>();

  constructor(private readonly callbacks: LiveCallbacks) {}

  get running(): boolean {
    return this.worker !== null;
  }

  /** A fresh worker with the scenario's first branch built at time 0. */
  async start(name: string, source: string, seed: number, checkpointsMax: number | null = null): Promise<void> {
    this.stop();
    const worker = new Worker(new URL("../workers/live.worker.ts", import.meta.url), { type: "module", name: "zksim-live" });
    this.worker = worker;
    worker.onerror = (event) => this.callbacks.failed(`the live worker failed: ${event.message || "it could not start"}`, []);
    worker.onmessage = (event: MessageEvent<LiveResponse>) => this.receive(event.data);
    await this.ask({ kind: "start", requestId: 0, name, source, seed, ...(checkpointsMax === null ? {} : { checkpointsMax }) });
  }

  stop(): void {
    this.worker?.terminate();
    this.worker = null;
    for (const waiting of this.waiting.values()) waiting.reject(new LiveFailure("the live run was stopped", []));
    this.waiting.clear();
  }

  play(speedUsPerS: number): void {
    this.post({ kind: "play", speedUsPerS });
  }

  pause(): void {
    this.post({ kind: "pause" });
  }

  async step(match: LiveStepMatch | null): Promise<void> {
    await this.ask({ kind: "step", requestId: 0, match });
  }

  async open(spec: LiveBranchSpec): Promise<void> {
    await this.ask({ kind: "open", requestId: 0, ...spec });
  }

  async intervene(entry: LiveIntervention): Promise<{ entry: FaultEntry; firstEv: number }> {
    const response = await this.ask({ kind: "intervene", requestId: 0, entry });
    if (response.kind !== "intervened") throw new LiveFailure(`unexpected answer ${response.kind}`, []);
    return { entry: response.entry, firstEv: response.firstEv };
  }

  async finish(): Promise<void> {
    await this.ask({ kind: "finish", requestId: 0 });
  }

  async compare(a: LiveBranchSpec, b: LiveBranchSpec): Promise<{ a: TraceModel; b: TraceModel; first: LiveFirstDifference | null }> {
    const response = await this.ask({ kind: "compare", requestId: 0, a, b });
    if (response.kind !== "compared") throw new LiveFailure(`unexpected answer ${response.kind}`, []);
    return { a: response.a, b: response.b, first: response.first };
  }

  async line(ev: number): Promise<string | null> {
    if (this.worker === null) return null;
    const response = await this.ask({ kind: "line", requestId: 0, ev });
    return response.kind === "line" ? response.text : null;
  }

  private post(request: LiveRequest): void {
    this.worker?.postMessage(request);
  }

  /** Sends a request with a fresh id; resolves with its answer (done, intervened, compared, line), rejects with its failure. */
  private ask(request: Extract<LiveRequest, { requestId: number }>): Promise<LiveResponse> {
    const worker = this.worker;
    if (worker === null) return Promise.reject(new LiveFailure("no live run: start one first", []));
    const requestId = this.nextRequest++;
    return new Promise((resolve, reject) => {
      this.waiting.set(requestId, { resolve, reject });
      worker.postMessage({ ...request, requestId });
    });
  }

  private receive(response: LiveResponse): void {
    switch (response.kind) {
      case "snapshot":
        this.callbacks.snapshot(response.model, response.paxos, response.status, response.cursor);
        return;
      case "checkpoints":
        this.callbacks.checkpoints(response.branch, response.held);
        return;
      case "failed": {
        const waiting = response.requestId === null ? undefined : this.waiting.get(response.requestId);
        if (waiting === undefined) {
          this.callbacks.failed(response.message, response.problems);
          return;
        }
        this.waiting.delete(response.requestId as number);
        waiting.reject(new LiveFailure(response.message, response.problems));
        return;
      }
      case "done":
      case "intervened":
      case "compared":
      case "line": {
        const waiting = this.waiting.get(response.requestId);
        this.waiting.delete(response.requestId);
        waiting?.resolve(response);
        return;
      }
      default: {
        const unknown: never = response;
        throw new Error(`unknown live response ${String(unknown)}`);
      }
    }
  }
}
