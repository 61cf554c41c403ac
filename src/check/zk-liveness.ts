import { Found, type ViolationSite } from "./violations.ts";
import type { ZkHistory, ZkHistoryOp } from "./zk-guarantees.ts";

/**
 * Liveness of the service as its clients see it: once the faults stop (the
 * calm point), every request is answered within a bound, by its reply or by
 * its session's ConnectionLoss or expiry. A request lost inside the service
 * (dropped by a full batch, forgotten by a leader) waits for ever, and only
 * a check like this one notices.
 */
export interface LivenessOptions {
  /** Virtual time (µs) after which no more faults come. */
  readonly calmUs: number;
  /** How long (µs) a request may wait after the later of its invocation and the calm point. */
  readonly boundUs: number;
  /** When the run ended (µs): a request whose bound ends later is not judged. */
  readonly endUs: number;
  /**
   * Spans in which a client was crashed or paused (it cannot take its
   * answers then, and a crashed one never will): its requests that were
   * waiting at any time in such a span are not judged.
   */
  readonly absences?: readonly { readonly node: string; readonly fromUs: number; readonly toUs: number }[];
}

export interface LivenessResult {
  readonly name: "requests-answered";
  readonly description: string;
  readonly holds: boolean;
  readonly checked: number;
  readonly violations: readonly string[];
  readonly first: ViolationSite | null;
}

const VIOLATIONS_MAX = 5;

export function checkRequestsAnswered(history: ZkHistory, options: LivenessOptions): LivenessResult {
  const found = new Found();
  let checked = 0;
  let late = 0;
  const absent = (op: ZkHistoryOp, untilUs: number): boolean =>
    (options.absences ?? []).some((a) => a.node === op.client && a.fromUs <= untilUs && a.toUs >= op.invokeUs);
  for (const op of history.ops) {
    const fromUs = Math.max(op.invokeUs, options.calmUs);
    const dueUs = fromUs + options.boundUs;
    if (absent(op, op.completeUs ?? options.endUs)) continue;
    if (op.completeUs === null) {
      if (dueUs > options.endUs) continue;
      checked++;
      late++;
      if (found.length < VIOLATIONS_MAX) found.add(`${describe(op)}, invoked at ${op.invokeUs} µs, was never answered (the run ended at ${options.endUs} µs)`, { atUs: dueUs, ops: [op.id] });
      continue;
    }
    checked++;
    if (op.completeUs <= dueUs) continue;
    late++;
    if (found.length < VIOLATIONS_MAX) found.add(`${describe(op)}, invoked at ${op.invokeUs} µs, was answered only at ${op.completeUs} µs, more than ${options.boundUs} µs after ${op.invokeUs >= options.calmUs ? "it was invoked" : "the calm point"}`, { atUs: dueUs, ops: [op.id] });
  }
  const violations = found.texts.slice();
  if (late > violations.length) violations.push(`${late} requests in all`);
  return {
    name: "requests-answered",
    description: "after the calm point every request is answered (or fails with ConnectionLoss or SessionExpired) within the bound",
    holds: late === 0,
    checked,
    violations,
    first: found.site,
  };
}

function describe(op: ZkHistoryOp): string {
  return `${op.client} xid ${op.xid} ${op.f}${op.path === null ? "" : ` ${op.path}`}`;
}
