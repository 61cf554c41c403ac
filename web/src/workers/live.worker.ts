import { LiveRun, ScenarioError, type FaultEntry, type ScenarioReport } from "../../../src/scenario/index.ts";
import { TraceReader, type TraceEvent } from "../../../src/sim/index.ts";
import { agreesUpTo, catchUp, nearestAgreeing } from "../live/checkpoint-runs.ts";
import { firstDifference } from "../live/compare.ts";
import { CheckpointPlan, nextSlotToFill } from "../model/checkpoints.ts";
import { eventMatches, MessageTypes } from "../live/step-match.ts";
import { modelTransferables, TraceModelBuilder, type TraceModel } from "../model/trace-model.ts";
import { PaxosFactsBuilder, paxosFactsTransferables } from "../lenses/paxos-facts.ts";
import type { LiveBranchSpec, LiveBuilt, LiveRequest, LiveResponse, LiveStatus, LiveStepMatch } from "../protocol.ts";

/**
 * A live run, off the page's thread: the core's LiveRun for the branch being
 * watched, played slice by slice in virtual time, stepped, and intervened on;
 * its trace lines go through the core's TraceReader into the viewer's model
 * builder, and the page gets snapshots of the model as the run grows. A few
 * branches the page left are parked here, so switching back to one is
 * immediate. In idle time, runs of the current branch are parked at
 * checkpoints (instants of evenly spaced events, live/checkpoint-runs.ts):
 * a fork or any other branch starts from the nearest parked run at or
 * before its instant whose interventions agree with its own up to there,
 * else from the seed (the engine is deterministic: the same run).
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
/** Checkpoint runs kept, unless the start asks for another number (each holds a cluster, its model and its lines). */
const CHECKPOINTS_DEFAULT = 8;
const CHECKPOINTS_MAX = 24;
/** The fewest events between two checkpoints. */
const CHECKPOINT_SPACING_MIN = 1_500;
/** Idle time before the next piece of checkpoint work (ms): requests and play come first. */
const FILL_IDLE_MS = 30;
/** Wall time one piece of checkpoint work lasts, about (ms): a request waits at most this long behind it. */
const FILL_SLICE_MS = 40;

/** A branch built here: its run, its model so far, and its trace lines. */
interface Live {
  /** The branch it is a run of; -1 for a checkpoint not taken by a branch yet. */
  branch: number;
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
  /** How it was brought to the instant first asked of it (a fresh run from the seed, a checkpoint or a parked run moved on). */
  built: LiveBuilt | null;
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
/** Runs parked at checkpoints, and the one on its way to a checkpoint. */
let checkpoints: Live[] = [];
let filling: { live: Live; targetUs: number; stepUs: number } | null = null;
let checkpointsMax = CHECKPOINTS_DEFAULT;
let fillTimer: ReturnType<typeof setTimeout> | null = null;
/** Requests queued and not handled yet: checkpoint work waits for none. */
let pending = 0;
/** Set when checkpoint work found nothing to do: it waits for the next request. */
let fillSettled = false;
/** Virtual time a first piece of checkpoint work runs (µs); then sized to FILL_SLICE_MS of wall time. */
const FILL_STEP_US_FIRST = 100_000;

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
  if (task !== fillStep) fillSettled = false;
  pending++;
  queue = queue
    .then(task)
    .catch((error: unknown) => {
      playing = false;
      post({ kind: "failed", requestId, message: errorText(error), problems: error instanceof ScenarioError ? error.problems : [] });
    })
    .finally(() => {
      pending--;
      fillLater();
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
      checkpoints = [];
      filling = null;
      checkpointsMax = Math.max(0, Math.min(CHECKPOINTS_MAX, Math.round(request.checkpointsMax ?? CHECKPOINTS_DEFAULT)));
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

/**
 * A run of the branch at spec.untilUs: the current or a parked run of it not
 * past that instant, or the checkpoint furthest on whose interventions agree
 * with the branch's up to its instant, moved on; else a new run from the seed.
 */
async function materialize(spec: LiveBranchSpec): Promise<Live> {
  const started = performance.now();
  const candidates = current === null ? parked : [current, ...parked];
  const same = candidates.find((live) => live.branch === spec.branch && live.run.nowUs <= spec.untilUs && sameEntries(live.interventions, spec.interventions));
  const checkpoint = nearestAgreeing(checkpoints.map(asParked), spec.interventions, spec.untilUs)?.live;
  if (same !== undefined && (checkpoint === undefined || same.run.nowUs >= checkpoint.run.nowUs)) {
    // A finished run is at its end already (and refuses to run on).
    if (same.report === null) await same.run.runTo(Math.min(spec.untilUs, same.run.durationUs));
    return same;
  }
  let live: Live;
  let from: LiveBuilt["from"];
  if (checkpoint !== undefined) {
    checkpoints = checkpoints.filter((c) => c !== checkpoint);
    live = checkpoint;
    live.branch = spec.branch;
    from = { kind: "checkpoint", atUs: live.run.nowUs };
    live.interventions.push(...(await catchUp(live.run, spec.interventions, spec.untilUs)));
  } else {
    live = build(spec);
    from = { kind: "seed", atUs: 0 };
    await live.run.runTo(Math.min(spec.untilUs, live.run.durationUs));
  }
  live.built = { from, untilUs: spec.untilUs, wallMs: Math.round(performance.now() - started) };
  if (live !== current) park(live);
  return live;
}

function asParked(live: Live): { live: Live; nowUs: number; interventions: readonly FaultEntry[]; finished: boolean } {
  return { live, nowUs: live.run.nowUs, interventions: live.interventions, finished: live.report !== null };
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
  live = { branch: spec.branch, name: scenario.name, source: scenario.source, run, builder, paxos, reader, lines, types, interventions: spec.interventions.slice(), report: null, built: null, matching: null };
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
    built: live.built,
    checkpoints: checkpointsHeld(live).length,
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

// ------------------------------------------------------------ checkpoints

/** Schedules the next piece of checkpoint work, once the worker is idle. */
function fillLater(): void {
  if (fillTimer !== null || fillSettled || checkpointsMax === 0) return;
  fillTimer = setTimeout(() => {
    fillTimer = null;
    if (pending > 0 || playing || fillSettled) return;
    enqueue(null, fillStep);
  }, FILL_IDLE_MS);
}

/**
 * One piece of checkpoint work for the current branch: the run on its way to
 * the next checkpoint goes on for about FILL_SLICE_MS; one that arrives is
 * parked. Nothing to do (every slot held, no room): settled until the next
 * request.
 */
async function fillStep(): Promise<void> {
  const live = current;
  if (live === null || playing) return;
  if (filling !== null && !agreesUpTo({ nowUs: filling.targetUs, interventions: filling.live.interventions, finished: false }, live.interventions, live.run.nowUs)) filling = null;
  const target = filling ?? nextCheckpoint(live);
  if (target === null) {
    fillSettled = true;
    return;
  }
  filling = target;
  const started = performance.now();
  await target.live.run.runTo(Math.min(target.targetUs, target.live.run.nowUs + target.stepUs));
  const wallMs = Math.max(1, performance.now() - started);
  target.stepUs = Math.max(1_000, Math.min(target.stepUs * 2, Math.round((target.stepUs * FILL_SLICE_MS) / wallMs)));
  if (target.live.run.nowUs >= target.targetUs) {
    checkpoints.push(target.live);
    filling = null;
    post({ kind: "checkpoints", branch: live.branch, held: checkpointsHeld(live).length });
  }
}

/** The checkpoints that serve a branch: parked at or before its instant, with its interventions up to theirs. */
function checkpointsHeld(live: Live): Live[] {
  return checkpoints.filter((c) => agreesUpTo(asParked(c), live.interventions, live.run.nowUs));
}

/**
 * A run to build for the branch's next checkpoint: at the instant of the
 * event that starts the first slot of its plan (evenly spaced events, as
 * the inspector's) that no checkpoint holds. Room is made by dropping a
 * checkpoint that serves neither the branch nor a slot of its plan; none,
 * and there is nothing to do.
 */
function nextCheckpoint(live: Live): { live: Live; targetUs: number; stepUs: number } | null {
  const plan = new CheckpointPlan(live.lines.length, { spacingMin: CHECKPOINT_SPACING_MIN, slotsMax: checkpointsMax });
  const held = checkpointsHeld(live);
  const slots = new Set<number>();
  for (const c of held) {
    const slot = plan.slotFor(c.lines.length);
    if (slot !== null) slots.add(slot);
  }
  const slot = nextSlotToFill(plan, slots);
  if (slot === null) return null;
  if (checkpoints.length >= checkpointsMax) {
    const spare = checkpoints.find((c) => !held.includes(c)) ?? held.find((c) => plan.slotFor(c.lines.length) === null);
    if (spare === undefined) return null;
    checkpoints = checkpoints.filter((c) => c !== spare);
  }
  // Parked after every event of that instant: at least `slot` events seen.
  const targetUs = (JSON.parse(live.lines[slot - 1] as string) as { t: number }).t;
  const interventions = live.interventions.filter((entry) => entry.at <= targetUs);
  return { live: build({ branch: -1, interventions, untilUs: targetUs }), targetUs, stepUs: FILL_STEP_US_FIRST };
}

function errorText(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
