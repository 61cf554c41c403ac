import type { FaultEntry, ScenarioReport } from "../../src/scenario/index.ts";
import type { LiveIntervention } from "./live/intervention.ts";
import type { TraceLineProblem } from "../../src/sim/index.ts";
import type { TraceModel } from "./model/trace-model.ts";
import type { Inspection } from "./resim/inspect-nodes.ts";
import type { LessonFactsResult, LessonRequest } from "./lessons/facts.ts";
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
  | {
      readonly kind: "scenario";
      readonly name: string;
      readonly source: string;
      readonly seed: number | null;
      /** A lesson to find in the run (web/src/lessons/): its steps' events and its questions' answers come back with the model. */
      readonly lesson?: LessonRequest;
    };

export type TraceWorkerRequest =
  | { readonly kind: "open"; readonly source: TraceSource }
  /** The full line of event `ev`, for the payload panel. */
  | { readonly kind: "line"; readonly requestId: number; readonly ev: number }
  /** The whole trace as a file (the export): a file's bytes, or the lines a run here wrote. */
  | { readonly kind: "whole"; readonly requestId: number };

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
  | { readonly kind: "model"; readonly model: TraceModel; readonly read: ReadSummary; readonly report: ScenarioReport | null; readonly paxos: PaxosFacts; readonly lesson?: LessonFactsResult }
  | { readonly kind: "failed"; readonly name: string; readonly message: string; readonly problems: readonly TraceLineProblem[] }
  | { readonly kind: "line"; readonly requestId: number; readonly text: string | null }
  | { readonly kind: "whole"; readonly requestId: number; readonly blob: Blob | null };

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

// ------------------------------------------------------------ live runs (web/src/live/, workers/live.worker.ts)

/**
 * A live run: the page asks the live worker to build a branch (from the
 * scenario, the seed and the branch's interventions, up to an instant), to
 * play, step and intervene; the worker answers with model snapshots as the run
 * grows. The page keeps the tree of branches (live/fork-tree.ts); the worker
 * keeps the current run and a few parked ones to switch back to at once.
 */
export interface LiveBranchSpec {
  readonly branch: number;
  /** The branch's interventions, as scenario entries with their `at`. */
  readonly interventions: readonly FaultEntry[];
  /** Run to this instant (µs): a fork's point, or where the branch was left. */
  readonly untilUs: number;
}

/** What "step to the next" stops at: an event kind (trace-model.ts EV names) and/or a message type. */
export interface LiveStepMatch {
  readonly kind: string | null;
  readonly messageType: string | null;
}

export type LiveRequest =
  /** checkpointsMax: runs kept parked at checkpoints of the current branch, for forks (absent: the worker's default; 0: none, every fork from the seed). */
  | { readonly kind: "start"; readonly requestId: number; readonly name: string; readonly source: string; readonly seed: number; readonly checkpointsMax?: number }
  | ({ readonly kind: "open"; readonly requestId: number } & LiveBranchSpec)
  | { readonly kind: "play"; readonly speedUsPerS: number }
  | { readonly kind: "pause" }
  | { readonly kind: "step"; readonly requestId: number; readonly match: LiveStepMatch | null }
  | { readonly kind: "intervene"; readonly requestId: number; readonly entry: LiveIntervention }
  | { readonly kind: "finish"; readonly requestId: number }
  | { readonly kind: "compare"; readonly requestId: number; readonly a: LiveBranchSpec; readonly b: LiveBranchSpec }
  | { readonly kind: "line"; readonly requestId: number; readonly ev: number };

export interface LiveStatus {
  readonly branch: number;
  readonly name: string;
  readonly seed: number;
  readonly nowUs: number;
  readonly durationUs: number;
  readonly events: number;
  readonly finished: boolean;
  readonly playing: boolean;
  /** The digest of the trace so far (the run's digest once finished). */
  readonly digest: string | null;
  /** The branch as a scenario file: the scenario with its interventions in `faults`. */
  readonly source: string;
  /** The checks' report, once the branch has run to its end. */
  readonly report: ScenarioReport | null;
  /** How the run of this branch was brought to the instant first asked of it; null for the first branch, run from the start. */
  readonly built: LiveBuilt | null;
  /** Runs parked at checkpoints that serve this branch (its instants, its interventions up to there). */
  readonly checkpoints: number;
}

/** Where a branch's run came from: a new run from the seed, or a checkpoint's run moved on; and the wall time it took to reach `untilUs`. */
export interface LiveBuilt {
  readonly from: { readonly kind: "seed" | "checkpoint"; readonly atUs: number };
  readonly untilUs: number;
  readonly wallMs: number;
}

export type LiveResponse =
  /** The model so far, and what the Paxos lenses read from the same lines (as the trace worker gives with a model). */
  | { readonly kind: "snapshot"; readonly model: TraceModel; readonly paxos: PaxosFacts; readonly status: LiveStatus; readonly cursor: number }
  | { readonly kind: "done"; readonly requestId: number }
  /** A checkpoint was parked (in idle time): how many now serve the current branch. */
  | { readonly kind: "checkpoints"; readonly branch: number; readonly held: number }
  | { readonly kind: "intervened"; readonly requestId: number; readonly entry: FaultEntry; readonly firstEv: number }
  | { readonly kind: "compared"; readonly requestId: number; readonly a: TraceModel; readonly b: TraceModel; readonly first: LiveFirstDifference | null }
  | { readonly kind: "failed"; readonly requestId: number | null; readonly message: string; readonly problems: readonly { line: number; path: string; message: string }[] }
  | { readonly kind: "line"; readonly requestId: number; readonly text: string | null };

/** Where two branches' traces part: the event index and each side's line (null past its end). */
export interface LiveFirstDifference {
  readonly index: number;
  readonly a: string | null;
  readonly b: string | null;
}
