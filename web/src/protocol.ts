import type { ScenarioReport } from "../../src/scenario/index.ts";
import type { TraceLineProblem } from "../../src/sim/index.ts";
import type { TraceModel } from "./model/trace-model.ts";
import type { Inspection } from "./resim/inspect-nodes.ts";
import type { PaxosFacts } from "./lenses/paxos-facts.ts";

/**
 * The messages between the page and its workers. The trace worker reads a
 * trace (or runs a scenario) into a model; the re-simulation worker runs a
 * trace's scenario again to compare digests and judge the checks; the
 * inspector worker keeps parked runs and reports every node at an event.
 */

/** Where a trace comes from. */
export type TraceSource =
  | { readonly kind: "file"; readonly file: File }
  | { readonly kind: "url"; readonly url: string }
  | { readonly kind: "scenario"; readonly name: string; readonly source: string; readonly seed: number | null };

export type TraceWorkerRequest =
  | { readonly kind: "open"; readonly source: TraceSource }
  /** The full line of event `ev`, for the payload panel. */
  | { readonly kind: "line"; readonly requestId: number; readonly ev: number };

/** How a trace read went: the reader's checks and the digest it computed. */
export interface ReadSummary {
  readonly name: string;
  readonly lines: number;
  readonly bytes: number;
  readonly digestRead: string;
  readonly foreignTypes: Readonly<Record<string, number>>;
  readonly wallMs: number;
}

export type TraceWorkerResponse =
  | { readonly kind: "progress"; readonly events: number; readonly bytes: number; readonly bytesTotal: number | null }
  | { readonly kind: "model"; readonly model: TraceModel; readonly read: ReadSummary; readonly report: ScenarioReport | null; readonly paxos: PaxosFacts }
  | { readonly kind: "failed"; readonly name: string; readonly message: string; readonly problems: readonly TraceLineProblem[] }
  | { readonly kind: "line"; readonly requestId: number; readonly text: string | null };

export type ResimRequest = { readonly kind: "resimulate"; readonly name: string; readonly source: string; readonly seed: number };

export type ResimResponse =
  | { readonly kind: "report"; readonly report: ScenarioReport; readonly wallMs: number }
  | { readonly kind: "failed"; readonly message: string };

export type InspectRequest =
  | { readonly kind: "init"; readonly name: string; readonly source: string; readonly seed: number; readonly eventCount: number }
  | { readonly kind: "inspect"; readonly requestId: number; readonly target: number };

export type InspectResponse =
  | {
      readonly kind: "inspection";
      readonly requestId: number;
      readonly target: number;
      /** Events the run had recorded when it stopped (the state is after event seen - 1). */
      readonly seen: number;
      readonly inspection: Inspection;
      readonly wallMs: number;
      /** How the state was reached: a parked run moved forward by this many events, or a fresh run. */
      readonly from: { readonly kind: "parked" | "fresh"; readonly seen: number };
    }
  | { readonly kind: "checkpoints"; readonly filled: number; readonly slots: number; readonly spacing: number }
  | { readonly kind: "failed"; readonly requestId: number | null; readonly message: string };
