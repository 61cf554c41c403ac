import type { Operation } from "./history.ts";
import type { CheckResult } from "./linearizability.ts";
import { showValue, type Model } from "./models.ts";

/**
 * A linearizability counterexample as Porcupine draws it: the operations of
 * the failing key with their intervals, the longest order the model accepts
 * (each placed operation's position in it), and the operations that had to
 * come next and cannot. Plain data, for the viewer and for `--json`.
 */
export interface CounterexamplePicture {
  readonly key: string | null;
  /** The model's state after the prefix, as text. */
  readonly state: string;
  /** Operations of the key, by call: the prefix's, the stuck ones and those between. */
  readonly ops: readonly PictureOp[];
  /** Operations of the key called before the first shown, left out to keep the picture small. */
  readonly leftOut: number;
}

export interface PictureOp {
  /** The operation's id in the history it was checked from. */
  readonly id: number;
  readonly process: number;
  readonly text: string;
  /** Positions in the history (the checker's call and return; null: never returned). */
  readonly call: number;
  readonly ret: number | null;
  /** Its position in the longest linearizable prefix (0 first), or null when it is not in it. */
  readonly place: number | null;
  /** One of the operations that had to come next after the prefix and that the model refuses. */
  readonly stuck: boolean;
}

/** Operations drawn at most; the earliest are left out first (the stuck ones come at the prefix's end). */
export const PICTURE_OPS_MAX = 300;

/** The picture of a failed check's counterexample; null when the check did not fail with one. */
export function counterexamplePicture(operations: readonly Operation[], check: CheckResult, model: Model, opsMax = PICTURE_OPS_MAX): CounterexamplePicture | null {
  const c = check.counterexample;
  if (check.verdict !== "not-linearizable" || c === undefined) return null;
  const place = new Map<number, number>();
  c.prefix.forEach((op, index) => place.set(op.id, index));
  const stuck = new Set(c.stuck.map((op) => op.id));
  const stuckRet = Math.max(...operations.filter((op) => stuck.has(op.id)).map((op) => op.ret));
  // The key's operations that took effect or may have, called before the stuck ones returned.
  const ofKey = operations
    .filter((op) => op.key === c.key && op.outcome !== "fail" && (op.call <= stuckRet || place.has(op.id) || stuck.has(op.id)))
    .sort((a, b) => a.call - b.call || a.id - b.id);
  const shown = ofKey.slice(Math.max(0, ofKey.length - opsMax));
  return {
    key: c.key,
    state: showValue(c.state),
    leftOut: ofKey.length - shown.length,
    ops: shown.map((op) => ({
      id: op.id,
      process: op.process,
      text: model.describe(op),
      call: op.call,
      ret: Number.isFinite(op.ret) ? op.ret : null,
      place: place.get(op.id) ?? null,
      stuck: stuck.has(op.id),
    })),
  };
}
