import { z } from "zod";
import { faultSchema } from "./config.ts";

/**
 * The trace's format: its name and versions, and the schemas of its header,
 * events and summary. Both the writer (trace.ts, trace-bytes.ts) and the
 * readers take them from here.
 */

/** The trace format's name and version, written in every header. */
export const TRACE_FORMAT = "zksim-trace";
/**
 * 2: sends carry their cause, and messages a node hands to itself are recorded.
 * 3: faults that act on one message in flight (drop, duplicate, delay) and
 * requests handed to a node from outside (request), and the drop reason
 * "intervention". A version 2 trace is a version 3 trace without them, so
 * both are read.
 * 4: the digest is computed over the UTF-8 bytes of the event lines, 32-bit
 * words at a time (`ByteDigest`), not over their UTF-16 code units: the same
 * lines, another digest. The lines are as in version 3; a trace of version 2
 * or 3 is read with the digest of its version.
 */
export const TRACE_VERSION = 4;
/** The versions this reader reads. */
export const TRACE_VERSIONS_READ = [2, 3, 4] as const;

/**
 * How much of a run is recorded.
 * - off: no event objects are built at all (the fastest; no digest).
 * - observe: events are built and handed to subscribers (checkers), but not serialized or digested.
 * - summary: every event is also folded into the digest, but only the header and summary are written.
 * - full: every event is written to the sink as one JSON line.
 */
export type TraceLevel = "off" | "observe" | "summary" | "full";
export const traceLevelSchema = z.enum(["off", "observe", "summary", "full"]);

/** Why a message was not delivered. */
export const dropReasonSchema = z.enum(["loss", "partition", "crashed", "paused-queue-full", "intervention"]);
export type DropReason = z.infer<typeof dropReasonSchema>;

/** Who applied a fault. */
export const faultSourceSchema = z.enum(["schedule", "api", "nemesis"]);
export type FaultSource = z.infer<typeof faultSourceSchema>;

const base = { i: z.int().min(0), t: z.int().min(0) };
const nodeId = z.string();

/** Every event of the trace. `i` is the event's index in the stream, `t` the virtual time in µs. */
export const traceEventSchema = z.discriminatedUnion("type", [
  z.strictObject({ ...base, type: z.literal("start"), node: nodeId, incarnation: z.int().min(1) }),
  /**
   * A message sent; `cause` is the index of the event whose handling sent it
   * (-1 for none), so a reader can walk back along happens-before. A message
   * a node hands to itself (from = to) is recorded too, with its delivery at the same instant.
   */
  z.strictObject({ ...base, type: z.literal("send"), id: z.int().min(1), from: nodeId, to: nodeId, msg: z.unknown(), cause: z.int().min(-1) }),
  z.strictObject({ ...base, type: z.literal("deliver"), id: z.int().min(1), from: nodeId, to: nodeId }),
  z.strictObject({ ...base, type: z.literal("drop"), id: z.int().min(1), from: nodeId, to: nodeId, reason: dropReasonSchema }),
  /** A copy of message `of`, travelling as message `id`. */
  z.strictObject({ ...base, type: z.literal("duplicate"), id: z.int().min(1), of: z.int().min(1), from: nodeId, to: nodeId }),
  z.strictObject({ ...base, type: z.literal("timer"), node: nodeId, timer: z.int().min(1), tag: z.unknown() }),
  z.strictObject({ ...base, type: z.literal("sync"), node: nodeId, sync: z.int().min(1), keys: z.int().min(0) }),
  z.strictObject({
    ...base,
    type: z.literal("fault"),
    by: faultSourceSchema,
    fault: faultSchema,
    /** For a crash: how many written but unsynced keys it lost. For a resume: how many queued items it released. */
    count: z.int().min(0).optional(),
  }),
  /** Something a node reported about itself through ctx.trace (a role change, a decision...). */
  z.strictObject({ ...base, type: z.literal("note"), node: nodeId, kind: z.string(), data: z.unknown() }),
  /**
   * A checker found a property broken. `causes` are the indices (`i`) of the
   * events that led to it, so a reader (or the viewer) can jump to them. `t`
   * is the instant it was first broken: a check that watches the run as it
   * goes (Paxos safety) reports in place, while the checks judged after the
   * run (linearizability, ZooKeeper's guarantees, recipes, liveness) report
   * at its end, so their `t` may be earlier than the event before them. This
   * is the one event type whose time may go back.
   */
  z.strictObject({
    ...base,
    type: z.literal("violation"),
    check: z.string(),
    message: z.string(),
    data: z.unknown(),
    causes: z.array(z.int().min(0)),
  }),
]);
export type TraceEvent = z.infer<typeof traceEventSchema>;

export const traceHeaderSchema = z.strictObject({
  type: z.literal("header"),
  format: z.literal(TRACE_FORMAT),
  version: z.literal(TRACE_VERSIONS_READ, { error: `expected a trace version this zksim reads: ${TRACE_VERSIONS_READ.join(" or ")}` }),
  seed: z.union([z.int(), z.string()]),
  level: traceLevelSchema,
  /** The engine configuration the run used (as validated). */
  config: z.unknown(),
  /** Whatever the layer above wants to record to replay the run (a scenario name and file, say). */
  meta: z.record(z.string(), z.unknown()).optional(),
});
export type TraceHeader = z.infer<typeof traceHeaderSchema>;

export const runStatsSchema = z.strictObject({
  /** Queue entries processed (deliveries, timers, syncs, faults, starts). */
  processed: z.int().min(0),
  sent: z.int().min(0),
  delivered: z.int().min(0),
  duplicated: z.int().min(0),
  /** By reason; traces of version 2 have no "intervention" (read as 0). */
  dropped: z.strictObject({
    loss: z.int().min(0),
    partition: z.int().min(0),
    crashed: z.int().min(0),
    "paused-queue-full": z.int().min(0),
    intervention: z.int().min(0).default(0),
  }),
  timers: z.int().min(0),
  syncs: z.int().min(0),
  faults: z.int().min(0),
  /** Properties found broken by checkers (see the `violation` events). */
  violations: z.int().min(0),
});
export type RunStats = z.infer<typeof runStatsSchema>;

export const traceSummarySchema = z.strictObject({
  type: z.literal("summary"),
  /** Trace events recorded (all of them, also at level summary where they are not written). */
  events: z.int().min(0),
  endUs: z.int().min(0),
  /** Digest of every event line, in order; null when the level was off or observe. */
  digest: z.string().regex(/^[0-9a-f]{16}$/).nullable(),
  stats: runStatsSchema,
});
export type TraceSummary = z.infer<typeof traceSummarySchema>;
