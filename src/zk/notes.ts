import { z } from "zod";

/**
 * What a ZooKeeper server writes into the trace about itself, as data with a
 * schema: the checkers and the viewer read these, so a renamed field is a
 * type error (and a schema error when a trace is read), never a check that
 * silently stops seeing anything.
 */
const zxid = z.int().min(0);

/** A watch trigger of a transaction: [type, path], or [type, path, "acl"] when only watchers with READ may be told. */
export const zkChangeSchema = z.union([
  z.tuple([z.enum(["NodeCreated", "NodeDeleted", "NodeDataChanged", "NodeChildrenChanged"]), z.string()]),
  z.tuple([z.enum(["NodeCreated", "NodeDeleted", "NodeDataChanged", "NodeChildrenChanged"]), z.string(), z.literal("acl")]),
]);

export const zkNoteSchema = z.discriminatedUnion("kind", [
  /** A transaction applied: its zxid, the tree's digest after it, and the watch triggers it made. */
  z.strictObject({ kind: z.literal("zk-apply"), data: z.strictObject({ zxid, digest: z.string().regex(/^[0-9a-f]{16}$/), changes: z.array(zkChangeSchema).optional() }) }),
  /** A transaction of an earlier leader chosen after a later one's: every replica skips it alike. */
  z.strictObject({ kind: z.literal("zk-skip"), data: z.strictObject({ zxid, lastZxid: zxid }) }),
]);
export type ZkNote = z.infer<typeof zkNoteSchema>;
export type ZkNoteKind = ZkNote["kind"];
export const ZK_NOTE_KINDS: readonly ZkNoteKind[] = zkNoteSchema.options.map((o) => o.shape.kind.value);

const KINDS: ReadonlySet<string> = new Set(ZK_NOTE_KINDS);

export function isZkNoteKind(kind: string): kind is ZkNoteKind {
  return KINDS.has(kind);
}

/** The note as its schema types it: for notes a ZooKeeper server of this project wrote (trusted inside a run). */
export function asZkNote(kind: ZkNoteKind, data: unknown): ZkNote {
  return { kind, data } as ZkNote;
}
