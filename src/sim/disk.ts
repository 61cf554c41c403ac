import { assert } from "./assert.ts";
import { freezePlainData } from "./freeze.ts";

/** Marks a key deleted in a layer that is not yet durable. */
const DELETED: unique symbol = Symbol("deleted");
type Layer = Map<string, unknown>;

/**
 * One node's disk. Reads see the newest write. Writes live in the `pending`
 * layer until a sync takes them; a sync in flight holds its layer until it
 * completes, then merges it into `durable`. A crash drops `pending` and every
 * sync in flight: exactly the writes that were not yet durable.
 *
 * The disk belongs to the machine, not to the node object: it outlives crashes.
 */
export class Disk {
  private readonly durable: Layer = new Map();
  private pending: Layer = new Map();
  /** Syncs in flight, oldest first; they complete in this order. */
  private readonly inflight: { sync: number; layer: Layer }[] = [];

  constructor(private readonly freeze: boolean) {}

  read(key: string): unknown {
    let value = this.pending.get(key);
    if (value === undefined) {
      for (let k = this.inflight.length - 1; k >= 0 && value === undefined; k--) {
        value = (this.inflight[k] as { layer: Layer }).layer.get(key);
      }
    }
    if (value === undefined) value = this.durable.get(key);
    return value === DELETED ? undefined : value;
  }

  write(key: string, value: unknown): void {
    assert(value !== undefined, "storage cannot hold undefined; use delete", { key });
    if (this.freeze) freezePlainData(value, `the value written to "${key}"`);
    this.pending.set(key, value);
  }

  delete(key: string): void {
    this.pending.set(key, DELETED);
  }

  keys(): string[] {
    const visible = new Set(this.durable.keys());
    const apply = (layer: Layer) => {
      for (const [key, value] of layer) {
        if (value === DELETED) visible.delete(key);
        else visible.add(key);
      }
    };
    for (const { layer } of this.inflight) apply(layer);
    apply(this.pending);
    return [...visible].sort();
  }

  get unsyncedCount(): number {
    let count = this.pending.size;
    for (const { layer } of this.inflight) count += layer.size;
    return count;
  }

  /** Takes the pending writes into a sync in flight named `sync`. */
  beginSync(sync: number): void {
    this.inflight.push({ sync, layer: this.pending });
    this.pending = new Map();
  }

  /** Makes sync `sync` durable; returns how many keys it wrote. Syncs complete in the order they began. */
  completeSync(sync: number): number {
    const first = this.inflight.shift();
    assert(first !== undefined && first.sync === sync, "syncs complete in the order they began", { sync, first: first?.sync });
    for (const [key, value] of first.layer) {
      if (value === DELETED) this.durable.delete(key);
      else this.durable.set(key, value);
    }
    return first.layer.size;
  }

  /** A crash: every write not yet durable is lost. Returns how many keys were lost. */
  crash(): number {
    const lost = this.unsyncedCount;
    this.pending = new Map();
    this.inflight.length = 0;
    return lost;
  }

  /** The durable contents, sorted by key (for tests and inspection). */
  durableEntries(): [string, unknown][] {
    return [...this.durable].sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
  }
}
