import { z } from "zod";

/**
 * What a Paxos replica (and a log server) writes into the trace about
 * itself, as data with a schema. The safety checker, the scenario runner and
 * the viewer read these: a renamed field is a type error, and a schema error
 * when a trace is read, never a check that silently stops seeing anything.
 */
const slot = z.int().min(0);
export const ballotSchema = z.strictObject({ round: z.int().min(0), node: z.string() });
const valueId = z.string();

export const paxosNoteSchema = z.discriminatedUnion("kind", [
  /** The acceptor promised a ballot (written when the promise is durable and on its way). */
  z.strictObject({ kind: z.literal("promise"), data: z.strictObject({ ballot: ballotSchema, to: z.string() }) }),
  /** The acceptor accepted a value in a slot at a ballot (durable, reply on its way). */
  z.strictObject({ kind: z.literal("accept"), data: z.strictObject({ slot, ballot: ballotSchema, vid: valueId }) }),
  /** The learner applied a chosen value to the state machine. */
  z.strictObject({ kind: z.literal("apply"), data: z.strictObject({ slot, vid: valueId }) }),
  /** A snapshot was installed: everything below `slot` is applied. */
  z.strictObject({ kind: z.literal("install"), data: z.strictObject({ slot }) }),
  /** The log was compacted into a snapshot up to `slot`. */
  z.strictObject({ kind: z.literal("snapshot"), data: z.strictObject({ slot }) }),
  /** The learner heard of two different values chosen for one slot. */
  z.strictObject({ kind: z.literal("conflict"), data: z.strictObject({ slot, kept: valueId, other: valueId }) }),
  /** The replica's role changed (and its ballot: its own as candidate or leader, its promise as follower). */
  z.strictObject({ kind: z.literal("role"), data: z.strictObject({ role: z.enum(["follower", "candidate", "leader"]), ballot: ballotSchema, reason: z.string().optional() }) }),
  /** A log server's proposal ended: chosen, or of unknown fate, or not chosen. */
  z.strictObject({ kind: z.literal("outcome"), data: z.strictObject({ value: z.string(), outcome: z.enum(["chosen", "unknown", "not-chosen"]), latencyUs: z.int().min(0) }) }),
]);
export type PaxosNote = z.infer<typeof paxosNoteSchema>;
export type PaxosNoteKind = PaxosNote["kind"];
export const PAXOS_NOTE_KINDS: readonly PaxosNoteKind[] = paxosNoteSchema.options.map((o) => o.shape.kind.value);

const KINDS: ReadonlySet<string> = new Set(PAXOS_NOTE_KINDS);

export function isPaxosNoteKind(kind: string): kind is PaxosNoteKind {
  return KINDS.has(kind);
}

/** The note as its schema types it: for notes a replica of this project wrote (trusted inside a run, validated when read from a file). */
export function asPaxosNote(kind: PaxosNoteKind, data: unknown): PaxosNote {
  return { kind, data } as PaxosNote;
}
