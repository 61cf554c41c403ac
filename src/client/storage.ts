import { writeNote } from "./notes.ts";
import { assert, unreachable } from "../sim/index.ts";
import type { Context, Node, NodeId } from "../sim/index.ts";

/**
 * A shared resource outside ZooKeeper: a small storage service that the lock
 * recipe protects (a file server, a database). It keeps one value per key.
 * With fencing on, it remembers the highest fencing token that wrote each
 * key and refuses a write with a lower one, so a lock holder that lost its
 * lock without knowing it (paused past its session) cannot overwrite the
 * work of the next holder. With fencing off it takes every write.
 */
export type StorageMsg =
  | { readonly type: "storage-write"; readonly id: number; readonly key: string; readonly value: string; readonly token: number }
  | { readonly type: "storage-ack"; readonly id: number; readonly accepted: boolean; readonly highest: number };

export interface StorageOptions {
  readonly fencing: boolean;
}

/** Keys the storage node holds; a write to a new key beyond it is refused. */
const KEY_COUNT_MAX = 10_000;
/** Writes it remembers per writer, so that a retransmitted write is answered, not applied twice. */
const DONE_MAX = 1_000;

export class StorageNode implements Node<StorageMsg, never> {
  private readonly values = new Map<string, { value: string; highest: number }>();
  private readonly done = new Map<NodeId, Map<number, StorageMsg & { type: "storage-ack" }>>();

  constructor(private readonly options: StorageOptions) {}

  start(): void {}

  receive(ctx: Context<StorageMsg, never>, from: NodeId, msg: StorageMsg): void {
    switch (msg.type) {
      case "storage-write":
        return this.write(ctx, from, msg);
      case "storage-ack":
        return; // what the storage node sends, not receives
      default:
        return unreachable(msg, "storage message");
    }
  }

  private write(ctx: Context<StorageMsg, never>, from: NodeId, msg: StorageMsg & { type: "storage-write" }): void {
    let done = this.done.get(from);
    if (done === undefined) {
      done = new Map();
      this.done.set(from, done);
    }
    const earlier = done.get(msg.id);
    if (earlier !== undefined) return ctx.send(from, earlier);
    const stored = this.values.get(msg.key);
    const highest = stored?.highest ?? 0;
    const accepted = (!this.options.fencing || msg.token >= highest) && (stored !== undefined || this.values.size < KEY_COUNT_MAX);
    if (accepted) this.values.set(msg.key, { value: msg.value, highest: Math.max(highest, msg.token) });
    writeNote({ note: (kind, data) => ctx.trace(kind, data) }, { kind: "storage-write", data: { key: msg.key, value: msg.value, token: msg.token, from, accepted, highest } });
    const ack = { type: "storage-ack", id: msg.id, accepted, highest: Math.max(highest, accepted ? msg.token : 0) } as const;
    done.set(msg.id, ack);
    if (done.size > DONE_MAX) done.delete(done.keys().next().value as number);
    ctx.send(from, ack);
  }

  /** The storage node sets no timers. */
  timer(_ctx: Context<StorageMsg, never>, tag: never): void {
    unreachable(tag, "storage timer");
  }

  invariants(): void {
    assert(this.values.size <= KEY_COUNT_MAX, "the storage node holds more keys than it may", { keys: this.values.size });
    for (const done of this.done.values()) assert(done.size <= DONE_MAX, "a writer's remembered writes beyond their bound", { size: done.size });
  }

  /** What the viewer's inspector shows: each key's value and the highest fencing token it saw. */
  inspect(): { readonly kind: "storage"; readonly fencing: boolean; readonly values: readonly { readonly key: string; readonly value: string; readonly highest: number }[] } {
    const values = [...this.values].sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0)).map(([key, v]) => ({ key, value: v.value, highest: v.highest }));
    return { kind: "storage", fencing: this.options.fencing, values };
  }

  /** The value a key holds now (for tests and checkers). */
  read(key: string): string | undefined {
    return this.values.get(key)?.value;
  }
}
