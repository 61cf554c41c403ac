import { z } from "zod";

/**
 * What clients, their recipes and the storage node write into the trace, as
 * data with a schema: the recipe invariants, liveness and the viewer read
 * these. A workload's own notes (`ClientProcess.note`) may be anything; the
 * kinds listed here are reserved for these meanings.
 */
const token = z.int().min(0);
const errorText = z.string();

export const clientNoteSchema = z.discriminatedUnion("kind", [
  z.strictObject({ kind: z.literal("workload-done"), data: z.strictObject({}) }),
  /** The workload threw something a ZooKeeper workload does not expect: a failed run. */
  z.strictObject({ kind: z.literal("workload-failed"), data: z.strictObject({ error: errorText }) }),
  /** A request issued (xid in the session, the operation, its path, the session it went out on). */
  z.strictObject({ kind: z.literal("zk-invoke"), data: z.strictObject({ xid: z.int(), op: z.string(), path: z.string().nullable(), session: z.number().nullable() }) }),
  /** A request answered: ok, failed (a ZooKeeper error: it did not happen) or unknown (ConnectionLoss, SessionExpired). */
  z.strictObject({
    kind: z.literal("zk-complete"),
    data: z.strictObject({ xid: z.int(), outcome: z.enum(["ok", "fail", "unknown"]), err: z.string().nullable(), zxid: z.number().nullable() }),
  }),
  /** A watch set by a console request (ZooKeeper's watcher object of the console) fired: the event as the client received it. */
  z.strictObject({
    kind: z.literal("console-watch"),
    data: z.strictObject({ type: z.string(), path: z.string(), zxid: z.number() }),
  }),
  z.strictObject({ kind: z.literal("lock-wanted"), data: z.strictObject({ lock: z.string() }) }),
  z.strictObject({ kind: z.literal("lock-acquired"), data: z.strictObject({ lock: z.string(), token }) }),
  z.strictObject({ kind: z.literal("lock-released"), data: z.strictObject({ lock: z.string(), token }) }),
  z.strictObject({ kind: z.literal("lock-abandoned"), data: z.strictObject({ lock: z.string(), error: errorText }) }),
  z.strictObject({ kind: z.literal("election-wanted"), data: z.strictObject({ election: z.string() }) }),
  z.strictObject({ kind: z.literal("elected"), data: z.strictObject({ election: z.string(), term: token }) }),
  z.strictObject({ kind: z.literal("resigned"), data: z.strictObject({ election: z.string() }) }),
  z.strictObject({ kind: z.literal("election-abandoned"), data: z.strictObject({ election: z.string(), error: errorText }) }),
  z.strictObject({ kind: z.literal("barrier-enter"), data: z.strictObject({ barrier: z.string(), name: z.string(), count: z.int().min(1) }) }),
  z.strictObject({ kind: z.literal("barrier-passed"), data: z.strictObject({ barrier: z.string(), name: z.string(), count: z.int().min(1) }) }),
  z.strictObject({ kind: z.literal("barrier-left"), data: z.strictObject({ barrier: z.string() }) }),
  z.strictObject({ kind: z.literal("barrier-abandoned"), data: z.strictObject({ barrier: z.string(), name: z.string(), error: errorText }) }),
  z.strictObject({ kind: z.literal("config-seen"), data: z.strictObject({ path: z.string(), version: z.int(), mzxid: z.number() }) }),
  /** The storage node took (or, fencing, refused) a write. */
  z.strictObject({
    kind: z.literal("storage-write"),
    data: z.strictObject({ key: z.string(), value: z.string(), token: z.number(), from: z.string(), accepted: z.boolean(), highest: z.number() }),
  }),
]);
export type ClientNote = z.infer<typeof clientNoteSchema>;
export type ClientNoteKind = ClientNote["kind"];
export const CLIENT_NOTE_KINDS: readonly ClientNoteKind[] = clientNoteSchema.options.map((o) => o.shape.kind.value);

/** Writes one of these notes through anything that writes notes (a client process, a node's context). */
export function writeNote(to: { note(kind: string, data?: unknown): void }, note: ClientNote): void {
  to.note(note.kind, note.data);
}

const KINDS: ReadonlySet<string> = new Set(CLIENT_NOTE_KINDS);

/** Whether a note kind is one of these (reserved: a workload's own notes may not use them with another shape). */
export function isClientNoteKind(kind: string): kind is ClientNoteKind {
  return KINDS.has(kind);
}

/**
 * The note as its schema types it. Only for notes that this project's own
 * code wrote (through `writeNote`, or a workload's note checked against the
 * schema when it used a reserved kind): inside a run they are trusted, not
 * parsed again on every event.
 */
export function asClientNote(kind: ClientNoteKind, data: unknown): ClientNote {
  return { kind, data } as ClientNote;
}
