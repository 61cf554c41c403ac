import { parseScenario, type Scenario } from "../../../src/scenario/index.ts";
import { CheckpointPlan, checkpointOptionsFor, chooseRun, nextSlotToFill, type RunPosition } from "../model/checkpoints.ts";
import type { InspectRequest, InspectResponse } from "../protocol.ts";
import { inspectNodes } from "../resim/inspect-nodes.ts";
import { PausableRun } from "../resim/pausable-run.ts";

/**
 * The inspector's re-runs. It answers "every node after event k" from the
 * parked run nearest before k, moved forward, and in idle time parks fresh
 * runs from the seed at evenly spaced events (the checkpoints), a slice at
 * a time so that a question never waits long behind them.
 */

const scope = self as unknown as DedicatedWorkerGlobalScope;

/** Events a filling run advances before it lets a waiting question through. */
const FILL_SLICE_EVENTS = 1_000;

interface Parked {
  readonly run: PausableRun;
  /** The slot it holds, or null (the cursor's run, or one being moved to its slot). */
  slot: number | null;
  /** The slot it is on its way to. */
  filling: number | null;
}

interface Session {
  readonly generation: number;
  readonly scenario: Scenario;
  readonly seed: number;
  readonly plan: CheckpointPlan;
  readonly runs: Map<number, Parked>;
  nextId: number;
  pending: { requestId: number; target: number } | null;
  wake: (() => void) | null;
}

let session: Session | null = null;
let generation = 0;

scope.onmessage = (message: MessageEvent<InspectRequest>) => {
  const request = message.data;
  switch (request.kind) {
    case "init": {
      try {
        const scenario = parseScenario(request.source, `${request.name}.yaml`);
        session = { generation: ++generation, scenario, seed: request.seed, plan: new CheckpointPlan(request.eventCount, checkpointOptionsFor(request.eventCount)), runs: new Map(), nextId: 1, pending: null, wake: null };
        void loop(session);
      } catch (error) {
        session = null;
        post({ kind: "failed", requestId: null, message: errorText(error) });
      }
      return;
    }
    case "inspect": {
      if (session === null) {
        post({ kind: "failed", requestId: request.requestId, message: "no scenario to re-run" });
        return;
      }
      // Only the latest question matters: the cursor has moved on from older ones.
      session.pending = { requestId: request.requestId, target: request.target };
      session.wake?.();
      return;
    }
    default: {
      const unknown: never = request;
      throw new Error(`unknown request ${String(unknown)}`);
    }
  }
};

function post(response: InspectResponse): void {
  scope.postMessage(response);
}

/** Answers questions first; fills checkpoint slots when idle; sleeps when there is nothing to do. */
async function loop(s: Session): Promise<void> {
  while (session === s && s.generation === generation) {
    const pending = s.pending;
    if (pending !== null) {
      s.pending = null;
      await answer(s, pending.requestId, pending.target);
      continue;
    }
    if (await fillSome(s)) {
      await yieldToMessages();
      continue;
    }
    await new Promise<void>((resolve) => {
      s.wake = resolve;
    });
    s.wake = null;
  }
}

async function answer(s: Session, requestId: number, target: number): Promise<void> {
  const started = performance.now();
  try {
    const chosen = chooseRun(target, positions(s));
    let parked: Parked;
    let fromSeen = 0;
    let kind: "parked" | "fresh" = "fresh";
    if (chosen === null) {
      parked = { run: new PausableRun(s.scenario, s.seed, target), slot: null, filling: null };
      s.runs.set(s.nextId++, parked);
    } else {
      parked = s.runs.get(chosen) as Parked;
      fromSeen = parked.run.position.seen;
      kind = "parked";
    }
    // The run used leaves its slot (it is moved past it); older cursor runs go.
    for (const [id, other] of s.runs) if (other !== parked && other.slot === null && other.filling === null) s.runs.delete(id);
    parked.slot = null;
    parked.filling = null;
    await parked.run.advanceTo(target);
    if (parked.run.failure !== null) throw parked.run.failure;
    post({
      kind: "inspection",
      requestId,
      target,
      seen: parked.run.position.seen,
      inspection: inspectNodes(parked.run.simulation),
      wallMs: performance.now() - started,
      from: { kind, seen: fromSeen },
    });
  } catch (error) {
    post({ kind: "failed", requestId, message: errorText(error) });
  }
}

/** Moves one run a slice towards an empty slot; false when every slot is held. */
async function fillSome(s: Session): Promise<boolean> {
  let filler: Parked | undefined;
  for (const parked of s.runs.values()) if (parked.filling !== null) filler = parked;
  if (filler === undefined) {
    const held = new Set<number>();
    for (const parked of s.runs.values()) if (parked.slot !== null) held.add(parked.slot);
    const slot = nextSlotToFill(s.plan, held);
    if (slot === null) return false;
    filler = { run: new PausableRun(s.scenario, s.seed, -1), slot: null, filling: slot };
    s.runs.set(s.nextId++, filler);
  }
  const slot = filler.filling as number;
  const seen = filler.run.position.seen;
  await filler.run.advanceTo(Math.min(slot, seen + FILL_SLICE_EVENTS) - 1);
  if (filler.run.failure !== null) {
    post({ kind: "failed", requestId: null, message: errorText(filler.run.failure) });
    return false;
  }
  if (filler.filling !== null && (filler.run.position.seen >= slot || filler.run.isFinished)) {
    filler.slot = slot;
    filler.filling = null;
    let filled = 0;
    for (const parked of s.runs.values()) if (parked.slot !== null) filled++;
    post({ kind: "checkpoints", filled, slots: s.plan.slots.length, spacing: s.plan.spacing });
  }
  return true;
}

function positions(s: Session): RunPosition[] {
  const out: RunPosition[] = [];
  for (const [id, parked] of s.runs) {
    const { seen, previous } = parked.run.position;
    // A finished run holds the last state: every later event maps to it.
    out.push({ id, seen: parked.run.isFinished ? Number.POSITIVE_INFINITY : seen, previous });
  }
  return out;
}

/** Lets queued messages (a new question) in before the next slice. */
function yieldToMessages(): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, 0));
}

function errorText(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
