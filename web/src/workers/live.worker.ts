import { LiveRun, ScenarioError, type FaultEntry, type ScenarioReport } from "../../../src/scenario/index.ts";
import { TraceReader, type TraceEvent } from "../../../src/sim/index.ts";
import { firstDifference } from "../live/compare.ts";
import { eventMatches, MessageTypes } from "../live/step-match.ts";
import { modelTransferables, TraceModelBuilder, type TraceModel } from "../model/trace-model.ts";
import { PaxosFactsBuilder, paxosFactsTransferables } from "../lenses/paxos-facts.ts";
import type { LiveBranchSpec, LiveRequest, LiveResponse, LiveStatus, LiveStepMatch } from "../protocol.ts";

/**
 * A live run, off the page's thread: the core's LiveRun for the branch being
 * watched, played slice by slice in virtual time, stepped, and intervened on;
 * its trace lines go through the core's TraceReader into the viewer's model
 * builder, and the page gets snapshots of the model as the run grows. A few
 * branches the page left are parked here, so switching back to one is
 * immediate; any other branch is simulated again from the seed with its
 * interventions (the engine is deterministic: the same run).
 *
 * Requests are handled one at a time, in order; playing is a chain of slices
 * queued behind each other, so a pause or an intervention lands between two.
 */

const scope = self as unknown as DedicatedWorkerGlobalScope;

/** Runs kept besides the current one (each holds a cluster and its trace in memory). */
const PARKED_MAX = 4;
/** Wall time a slice of play lasts (ms): the page sees the run grow at about this pace. */
const SLICE_WALL_MS = 40;
/** A snapshot at most this often while playing (ms of wall time): each copies the model. */
const SNAPSHOT_EVERY_MS = 150;
/** "Step to the next" gives up after this many events without a match. */
const STEP_EVENTS_MAX = 500_000;
/** Virtual time per wall second, at most (µs): an hour a second. */
const SPEED_US_PER_S_MAX = 3_600_000_000;

/** A branch built here: its run, its model so far, and its trace lines. */
interface Live {
  readonly branch: number;
  readonly name: string;
  readonly source: string;
  readonly run: LiveRun;
  readonly builder: TraceModelBuilder;
  /** What the Paxos lenses read from the payloads (chosen marks, quorums), as the trace worker builds it. */
  readonly paxos: PaxosFactsBuilder;
  readonly reader: TraceReader;
  /** The event lines, by event index. */
  readonly lines: string[];
  readonly types: MessageTypes;
  /** The interventions it was built with, and those applied since. */
  readonly interventions: FaultEntry[];
  report: ScenarioReport | null;
  /** Set while stepping to a match: the first matching event seen. */
  matching: { readonly match: LiveStepMatch | null; found: number } | null;
}

let scenario: { name: string; source: string; seed: number } | null = null;
let current: Live | null = null;
const parked: Live[] = [];
let playing = false;
let speedUsPerS = 100_000;
/** Where play has got to in virtual time (the run's clock stays at its last event through quiet stretches). */
let playUs = 0;
let lastSnapshotMs = 0;
let queue: Promise<void> = Promise.resolve();

scope.onmessage = (message: MessageEvent<LiveRequest>) => {
  const request = message.data;
  // Pause and speed take effect at once; everything else waits its turn.
  if (request.kind === "pause") {
    playing = false;
    enqueue(null, async () => snapshot());
    return;
  }
  if (request.kind === "play") {
    speedUsPerS = Math.max(1, Math.min(SPEED_US_PER_S_MAX, Math.round(request.speedUsPerS)));
    if (!playing) {
      playing = true;
      if (current !== null) playUs = Math.max(playUs, current.run.nowUs);
      enqueue(null, playSlice);
    }
    return;
  }
  enqueue("requestId" in request ? request.requestId : null, () => handle(request));
};

function enqueue(requestId: number | null, task: () => Promise<void>): void {
  queue = queue.then(task).catch((error: unknown) => {
    playing = false;
    post({ kind: "failed", requestId, message: errorText(error), problems: error instanceof ScenarioError ? error.problems : [] });
  });
}

function post(response: LiveResponse, transfer: Transferable[] = []): void {
  scope.postMessage(response, transfer);
}

async function handle(request: Exclude<LiveRequest, { kind: "play" } | { kind: "pause" }>): Promise<void> {
  switch (request.kind) {
    case "start":
      playing = false;
      scenario = { name: request.name, source: request.source, seed: request.seed };
      parked.length = 0;
      current = null;
      await open({ branch: 0, interventions: [], untilUs: 0 });
      post({ kind: "done", requestId: request.requestId });
      return;
    case "open":
      playing = false;
      await open(request);
      post({ kind: "done", requestId: request.requestId });
      return;
    case "step":
      await step(request.match);
      post({ kind: "done", requestId: request.requestId });
      return;
    case "intervene": {
      const live = need();
      // The instant under way is finished first: the intervention's own events start here.
      await live.run.runTo(live.run.nowUs);
      const firstEv = live.lines.length;
      const entry = await live.run.intervene(request.entry);
      live.interventions.push(entry);
      post({ kind: "intervened", requestId: request.requestId, entry, firstEv });
      snapshot();
      return;
    }
    case "finish": {
      playing = false;
      const live = need();
      live.report = await live.run.finish();
      playUs = live.run.nowUs;
      snapshot();
      post({ kind: "done", requestId: request.requestId });
      return;
    }
    case "compare": {
      const a = await materialize(request.a);
      const b = await materialize(request.b);
      const first = firstDifference(a.lines, b.lines);
      const modelA = a.builder.finish();
      const modelB = b.builder.finish();
      post({ kind: "compared", requestId: request.requestId, a: modelA, b: modelB, first }, [...modelTransferables(modelA), ...modelTransferables(modelB)]);
      return;
    }
    case "line":
      post({ kind: "line", requestId: request.requestId, text: current?.lines[request.ev] ?? null });
      return;
    default: {
      const unknown: never = request;
      throw new Error(`unknown live request ${String(unknown)}`);
    }
  }
}

function need(): Live {
  if (current === null) throw new Error("no live run: start one first");
  return current;
}

/** Makes a branch the current one, at the instant asked for: a parked run moved on, or a fresh one. */
async function open(spec: LiveBranchSpec): Promise<void> {
  const live = await materialize(spec);
  if (current !== null && current !== live) park(current);
  const index = parked.indexOf(live);
  if (index >= 0) parked.splice(index, 1);
  current = live;
  playUs = live.run.nowUs;
  snapshot();
}

/** A run of the branch at spec.untilUs: the current or a parked one when it is that branch and not past it, else a new one. */
async function materialize(spec: LiveBranchSpec): Promise<Live> {
  const candidates = current === null ? parked : [current, ...parked];
  const same = candidates.find((live) => live.branch === spec.branch && live.run.nowUs <= spec.untilUs && sameEntries(live.interventions, spec.interventions));
  const live = same ?? build(spec);
  if (same === undefined && live !== current) park(live);
  // A finished run is at its end already (and refuses to run on).
  if (live.report === null) await live.run.runTo(Math.min(spec.untilUs, live.run.durationUs));
  return live;
}

function park(live: Live): void {
  if (parked.includes(live)) return;
  parked.unshift(live);
  parked.length = Math.min(parked.length, PARKED_MAX);
}

function build(spec: LiveBranchSpec): Live {
  if (scenario === null) throw new Error("no scenario: start a live run first");
  const builder = new TraceModelBuilder();
  const paxos = new PaxosFactsBuilder();
  const types = new MessageTypes();
  const lines: string[] = [];
  let events = 0;
  let live: Live | null = null;
  const seen = (event: TraceEvent) => {
    const type = types.read(event);
    const matching = live?.matching;
    if (matching !== null && matching !== undefined && matching.found < 0 && eventMatches(event, type, matching.match)) matching.found = events;
  };
  const reader = new TraceReader({
    header: (header) => builder.header(header),
    event: (event) => {
      builder.event(event);
      paxos.event(event);
      seen(event);
      events++;
    },
    foreignEvent: (event) => {
      builder.foreign(event);
      events++;
    },
    summary: (summary) => builder.summary(summary),
  });
  const run = LiveRun.build(scenario.source, `${scenario.name}.yaml`, {
    seed: scenario.seed,
    interventions: spec.interventions,
    traceSink: {
      write: (line) => {
        const before = events;
        reader.line(line);
        if (events > before) lines.push(line);
      },
    },
  });
  live = { branch: spec.branch, name: scenario.name, source: scenario.source, run, builder, paxos, reader, lines, types, interventions: spec.interventions.slice(), report: null, matching: null };
  return live;
}

function sameEntries(a: readonly FaultEntry[], b: readonly FaultEntry[]): boolean {
  return a.length === b.length && a.every((entry, k) => JSON.stringify(entry) === JSON.stringify(b[k]));
}

// ------------------------------------------------------------ playing and stepping

async function playSlice(): Promise<void> {
  const live = current;
  if (!playing || live === null) return;
  if (live.run.finished || live.run.nowUs >= live.run.durationUs) {
    playing = false;
    snapshot();
    return;
  }
  const started = performance.now();
  playUs = Math.min(live.run.durationUs, Math.max(playUs, live.run.nowUs) + Math.max(1, Math.round((speedUsPerS * SLICE_WALL_MS) / 1000)));
  await live.run.runTo(playUs);
  const now = performance.now();
  if (now - lastSnapshotMs >= SNAPSHOT_EVERY_MS || playUs >= live.run.durationUs) snapshot();
  const restMs = Math.max(0, SLICE_WALL_MS - (performance.now() - started));
  setTimeout(() => enqueue(null, playSlice), restMs);
}

/** One event, or on to the first event that matches (bounded); the cursor goes to it. */
async function step(match: LiveStepMatch | null): Promise<void> {
  const live = need();
  playing = false;
  live.matching = { match, found: -1 };
  try {
    const start = live.lines.length;
    while (live.matching.found < 0 && !live.run.finished && live.lines.length - start < STEP_EVENTS_MAX) {
      const ran = await live.run.runEvents(1);
      if (ran === 0) break;
    }
    playUs = live.run.nowUs;
    snapshot(live.matching.found >= 0 ? live.matching.found : live.lines.length - 1);
  } finally {
    live.matching = null;
  }
}

// ------------------------------------------------------------ telling the page

function status(live: Live): LiveStatus {
  return {
    branch: live.branch,
    name: live.name,
    seed: live.run.seed,
    nowUs: live.run.nowUs,
    durationUs: live.run.durationUs,
    events: live.lines.length,
    finished: live.run.finished,
    playing,
    digest: live.report?.digest ?? live.run.simulation.digest(),
    source: live.run.exportSource(),
    report: live.report,
  };
}

function snapshot(cursor?: number): void {
  const live = current;
  if (live === null) return;
  lastSnapshotMs = performance.now();
  const model: TraceModel = live.builder.finish();
  const paxos = live.paxos.finish();
  post({ kind: "snapshot", model, paxos, status: status(live), cursor: cursor ?? model.eventCount - 1 }, [...modelTransferables(model), ...paxosFactsTransferables(paxos)]);
}

function errorText(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
