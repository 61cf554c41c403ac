/**
 * Compares two normalized traces of the same sequence and reports the first
 * difference in words: which step, which op, and both sides. Per step: the
 * watch events that arrived (count, order, type and path, per session), the
 * reply, the zxid in its header, and the zxids of the barrier syncs.
 */
import { describeStep } from "./sequence.ts";
import type { Trace, TraceStep } from "./trace.ts";

export interface TraceDifference {
  /** The step where the traces part, or null for a difference after the steps (tree, anomalies). */
  readonly stepIndex: number | null;
  readonly message: string;
}

/** The first difference between `reference` and `candidate`, or null when they agree on everything. */
export function compareTraces(reference: Trace, candidate: Trace, labels: readonly [string, string] = ["reference", "candidate"]): TraceDifference | null {
  const [refLabel, candLabel] = labels;
  const side = (what: string, ref: unknown, cand: unknown): string => `${what}\n  ${refLabel}: ${canonicalJson(ref)}\n  ${candLabel}: ${canonicalJson(cand)}`;
  if (canonicalJson(reference.setupZxids) !== canonicalJson(candidate.setupZxids)) {
    return {
      stepIndex: null,
      message: side(`${reference.name}: before the first step, the reply zxids differ (each session's first sync, the observer's, the root's create, the syncs after it)`, reference.setupZxids, candidate.setupZxids),
    };
  }
  const stepCount = Math.max(reference.steps.length, candidate.steps.length);
  for (let i = 0; i < stepCount; i++) {
    const ref = reference.steps[i];
    const cand = candidate.steps[i];
    if (ref === undefined || cand === undefined) {
      return { stepIndex: i, message: `${reference.name}: step ${i}: one trace ends here\n  ${refLabel}: ${stepLine(ref)}\n  ${candLabel}: ${stepLine(cand)}` };
    }
    const where = `${reference.name}: step ${i} (${describeStep(ref.step)})`;
    if (canonicalJson(ref.step) !== canonicalJson(cand.step)) {
      return { stepIndex: i, message: side(`${where}: the traces ran different steps`, ref.step, cand.step) };
    }
    if (canonicalJson(ref.events) !== canonicalJson(cand.events)) {
      return { stepIndex: i, message: side(`${where}: the watch events it caused differ`, ref.events, cand.events) };
    }
    if (canonicalJson(ref.reply) !== canonicalJson(cand.reply)) {
      return { stepIndex: i, message: side(`${where}: the replies differ`, ref.reply, cand.reply) };
    }
    if (ref.zxid !== cand.zxid) {
      return { stepIndex: i, message: side(`${where}: the zxid in the reply header differs (counted from the zxid before session 0's creation)`, ref.zxid, cand.zxid) };
    }
    if (canonicalJson(ref.barriers) !== canonicalJson(cand.barriers)) {
      return { stepIndex: i, message: side(`${where}: the zxids in the reply headers of the other sessions' sync barriers differ`, ref.barriers, cand.barriers) };
    }
  }
  const nodeCount = Math.max(reference.tree.length, candidate.tree.length);
  for (let i = 0; i < nodeCount; i++) {
    const ref = reference.tree[i];
    const cand = candidate.tree[i];
    if (canonicalJson(ref) !== canonicalJson(cand)) {
      return { stepIndex: null, message: side(`${reference.name}: the final tree differs at node ${i} (${ref?.path ?? cand?.path})`, ref, cand) };
    }
  }
  if (canonicalJson(reference.anomalies) !== canonicalJson(candidate.anomalies)) {
    return { stepIndex: null, message: side(`${reference.name}: the anomalies differ`, reference.anomalies, candidate.anomalies) };
  }
  return null;
}

function stepLine(step: TraceStep | undefined): string {
  return step === undefined ? "(no step)" : `${describeStep(step.step)} → ${canonicalJson(step.reply)}`;
}

/**
 * JSON with object keys sorted, so that two executors that build equal
 * objects in a different key order still compare equal. Undefined fields are
 * left out, as JSON.stringify does.
 */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) => {
    if (v === null || typeof v !== "object" || Array.isArray(v)) return v;
    const sorted: Record<string, unknown> = {};
    for (const key of Object.keys(v).sort()) sorted[key] = (v as Record<string, unknown>)[key];
    return sorted;
  });
}
